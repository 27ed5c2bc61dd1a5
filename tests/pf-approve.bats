#!/usr/bin/env bats
# pf-approve: requests, signed records, and the two-person rule refusing each
# way around it (self-approval, one approver twice, unregistered keys, missing
# roles, other commits, changed manifests, forged signatures, rejections).

setup_file() {
	KEYS="$BATS_FILE_TMPDIR/keys"
	mkdir -p "$KEYS"
	for who in alice bob carol dave erin mallory; do
		openssl ecparam -genkey -name prime256v1 -noout -out "$KEYS/$who.pem"
		openssl pkey -in "$KEYS/$who.pem" -pubout -out "$KEYS/$who.pub.pem"
	done
}

setup() {
	load helpers
	KEYS="$BATS_FILE_TMPDIR/keys"
	C1=1111111111111111111111111111111111111111
	C2=2222222222222222222222222222222222222222
	PLAN="$BATS_TEST_TMPDIR/plan.json"
	FETCH="$BATS_TEST_TMPDIR/fetch.json"
	DIR="$PF_HOME/approvals/acme/helpful/$C1"
	approvers_policy
	make_plan "$PLAN" "$C1"
	make_fetch "$FETCH" "$C1"
}

# approvers_policy [FILTER]: alice, bob (inline PEM) and dave approve; carol
# and erin are registered to request only; mallory is not registered at all.
approvers_policy() {
	pf_policy "$(printf '.approvals = {"rule": "two-person", "approvers": [
	    {"id": "alice", "public_key": "%s", "roles": ["approver"]},
	    {"id": "bob", "public_key": %s, "roles": ["approver", "auditor"]},
	    {"id": "carol", "public_key": "%s", "roles": ["requester"]},
	    {"id": "dave", "public_key": "%s", "roles": ["approver"]},
	    {"id": "erin", "public_key": "%s", "roles": ["requester"]}]} | %s' \
	    "$KEYS/alice.pub.pem" "$(jq -Rs . "$KEYS/bob.pub.pem")" \
	    "$KEYS/carol.pub.pem" "$KEYS/dave.pub.pem" "$KEYS/erin.pub.pem" \
	    "${1:-.}")"
}

# make_plan FILE COMMIT [LEVEL]: a plan for acme/helpful that needs approval.
make_plan() {
	jq -n --arg c "$2" --arg lvl "${3:-two-person}" '{
	    pathfinder_version: "0.1.0", stage: "plan",
	    generated_at: "2025-11-25T10:00:00Z",
	    model: {id: "acme/helpful", revision: "main", commit: $c},
	    status: "passed",
	    findings: [{rule: "preflight.remote-code.required", severity: "high",
	        file: "config.json", message: "auto_map names custom code"}],
	    preflight: {allowlist_status: "requires-approval", org_verified: false,
	        trust_remote_code_required: ($lvl == "two-person"), approval_level: $lvl,
	        risk_warnings: ["custom modeling code"],
	        remote_code_files: ["modeling_helpful.py"]}}' >"$1"
}

# make_fetch FILE COMMIT [SIZE [SHA256 [ELAPSED]]]: its manifest, with the
# members a rerun may change (time, timings) besides those it may not.
make_fetch() {
	jq -n --arg c "$2" --argjson size "${3:-100}" \
	    --arg sha "${4:-$(printf 'a%.0s' $(seq 64))}" --argjson el "${5:-0.5}" '{
	    pathfinder_version: "0.1.0", stage: "fetch",
	    generated_at: "2025-11-25T10:00:00Z",
	    model: {id: "acme/helpful", revision: "main", commit: $c},
	    status: "passed", findings: [],
	    files: [{path: "config.json", size: 20,
	        quarantine_path: "/q/config.json", sha256: ("c" * 64),
	        elapsed_seconds: $el, status: "verified"},
	      {path: "modeling_helpful.py", size: $size,
	        quarantine_path: "/q/modeling_helpful.py", sha256: $sha,
	        elapsed_seconds: $el, status: "verified"}]}' >"$1"
}

request() {	# REQUESTER [KEY]
	pf-approve request --plan "$PLAN" --fetch "$FETCH" --requester "$1" \
	    --key "${2:-$KEYS/$1.pem}" --reason "needs its own modeling code"
}

approve() {	# ID [KEY]: exit 0 when the record counts, 1 when it will not
	pf-approve approve --plan "$PLAN" --fetch "$FETCH" --approver "$1" \
	    --key "${2:-$KEYS/$1.pem}"
}

key_id() {	# the key id pf-approve records: SHA-256 of the DER public key
	openssl pkey -pubin -in "$KEYS/$1.pub.pem" -outform DER | sha256sum | cut -d' ' -f1
}

# check_fails CONDITION [ARGS]: check exits 1 and CONDITION is the first failure.
check_fails() {
	local cond=$1
	shift
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH" "$@"
	jq -e --arg c "$cond" '.status == "failed" and .approval.satisfied == false
	    and .approval.failed[0] == $c
	    and any(.findings[]; .rule == "approve." + $c)' <<<"$output"
}

@test "pf-approve: --help prints the synopsis on stdout and exits 0" {
	run -0 --separate-stderr pf-approve --help
	[[ "${lines[0]}" == "usage: pf-approve request "* ]]
	[ -z "$stderr" ]
}

@test "pf-approve: --version prints the version" {
	run -0 pf-approve --version
	[ "$output" = "pf-approve 0.1.0" ]
}

@test "pf-approve: an unknown option exits 2 with the synopsis on stderr only" {
	run -2 --separate-stderr pf-approve check --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-approve --help'"* ]]
}

@test "pf-approve: options of another subcommand are reported together" {
	run -2 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH" \
	    --key "$KEYS/alice.pem" --requester erin
	[[ "${stderr_lines[0]}" == "pf-approve: not options of check: --requester, --key" ]]
}

@test "pf-approve: the man page synopsis uses the usage text's words" {
	for opt in plan fetch requester approver key pub id role reason policy; do
		grep -q -- "Fl -$opt" "$PF_REPO/man/pf-approve.1"
	done
	for cmd in request approve reject check list keygen policy-entry; do
		grep -q -- "Cm $cmd" "$PF_REPO/man/pf-approve.1"
	done
}

@test "pf-approve: a malformed plan exits 2 and names it" {
	printf '{"stage": "plan",' >"$PLAN"
	run -2 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	[ -z "$output" ]
	[[ "$stderr" == "pf-approve: '$PLAN': invalid JSON"* ]]
}

@test "pf-approve: a fetch manifest given as the plan exits 2" {
	run -2 --separate-stderr pf-approve check --plan "$FETCH" --fetch "$FETCH"
	[[ "$stderr" == *"stage is 'fetch', expected 'plan'"* ]]
}

@test "pf-approve: a manifest of another commit than the plan exits 2" {
	make_fetch "$FETCH" "$C2"
	run -2 --separate-stderr pf-approve request --plan "$PLAN" --fetch "$FETCH" \
	    --requester erin --key "$KEYS/erin.pem"
	[[ "$stderr" == *"for another model or commit"* ]]
	[ ! -e "$DIR/request.json" ]
}

@test "pf-approve: request writes request.json with the review, requester, risk and signature" {
	run -0 --separate-stderr request erin
	[ -z "$stderr" ]
	plan_sha=$(sha256sum <"$PLAN" | cut -d' ' -f1)
	fetch_sha=$(sha256sum <"$FETCH" | cut -d' ' -f1)
	run -0 jq -e --arg p "$plan_sha" --arg f "$fetch_sha" --arg c "$C1" \
	    --arg k "$(key_id erin)" '
	    .stage == "approval-request" and .model.commit == $c
	    and .requester == "erin" and .reason == "needs its own modeling code"
	    and (.review_sha256 | test("^[0-9a-f]{64}$"))
	    and .review.model_id == "acme/helpful" and .review.commit == $c
	    and ([.review.files[].path] == ["config.json", "modeling_helpful.py"])
	    and .review.files[1].sha256 == ("a" * 64) and .review.files[1].size == 100
	    and .review.remote_code_files == ["modeling_helpful.py"]
	    and (.review.policy_sha256 | test("^[0-9a-f]{64}$"))
	    and .plan_sha256 == $p and .fetch_sha256 == $f
	    and .key_id == $k and (.signature | length > 80)
	    and .risk.remote_code_files == ["modeling_helpful.py"]
	    and .risk.approval_level == "two-person"
	    and .risk.findings[0].stage == "plan"
	    and .risk.findings[0].rule == "preflight.remote-code.required"' "$DIR/request.json"
}

@test "pf-approve: two registered approvers other than the requester pass check with 0" {
	request erin
	run -0 approve alice
	run -0 approve bob
	run -0 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	[ -z "$stderr" ]
	jq -e '.stage == "approve" and .status == "passed" and .findings == []
	    and .approval.satisfied and .approval.approvers == ["alice", "bob"]
	    and .approval.requester == "erin" and .approval.failed == []
	    and all(.approval.records[]; .counted)' <<<"$output"
}

@test "pf-approve: a record binds approver, decision, commit and the review digest, signed" {
	request erin
	approve alice
	run -0 jq -e --arg c "$C1" --arg k "$(key_id alice)" \
	    --arg r "$(jq -r .review_sha256 "$DIR/request.json")" '
	    .approver == "alice" and .decision == "approve" and .commit == $c
	    and .model_id == "acme/helpful" and .review_sha256 == $r
	    and (has("plan_sha256") | not)
	    and .requester == "erin" and .key_id == $k
	    and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))
	    and (.signature | length > 80)' "$DIR/record.alice.json"
}

@test "pf-approve: no approvals at all is a verdict: exit 1, approvals.insufficient" {
	request erin
	check_fails approvals.insufficient
	jq -e '.approval.approvers == [] and .approval.required == 2' <<<"$output"
}

@test "pf-approve: a failed check says its verdict in one line on stderr, and none with -q" {
	request erin
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH" -o "$BATS_TEST_TMPDIR/approve.json"
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "pf-approve: failed: "*" finding"*"approve.approvals.insufficient"*"; artifact '$BATS_TEST_TMPDIR/approve.json'" ]]
	run -1 --separate-stderr pf-approve -q check --plan "$PLAN" --fetch "$FETCH"
	[ -z "$stderr" ]
	jq -e '.status == "failed"' <<<"$output"
}

@test "pf-approve: check with stdout on /dev/full exits 3" {
	request erin
	run -3 --separate-stderr bash -c 'exec pf-approve check --plan "$1" --fetch "$2" >/dev/full' \
	    _ "$PLAN" "$FETCH"
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "pf-approve: self-approval is refused: approver.is-requester" {
	request alice
	run -1 --separate-stderr approve alice
	[[ "$stderr" == *"will not count it: approver.is-requester"* ]]
	run -0 approve bob
	check_fails approver.is-requester
	jq -e '.approval.approvers == ["bob"]
	    and (.approval.records[] | select(.approver == "alice")
	        | .counted == false and .condition == "approver.is-requester")
	    and .approval.failed == ["approver.is-requester", "approvals.insufficient"]' <<<"$output"
}

@test "pf-approve: the same approver twice is refused: approver.duplicate" {
	request erin
	approve alice
	cp "$DIR/record.alice.json" "$DIR/record.alice-again.json"
	check_fails approver.duplicate
	jq -e '.approval.approvers == ["alice"]
	    and (.approval.failed | index("approvals.insufficient"))' <<<"$output"
}

@test "pf-approve: naming the same approver twice is refused: approvers.same" {
	request erin
	approve alice
	approve bob
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH" \
	    --approver alice --approver alice
	jq -e '.approval.failed == ["approvers.same", "approvals.insufficient"]' <<<"$output"
	jq -e '.approval.approvers == ["alice"] and .approval.selected == ["alice", "alice"]' <<<"$output"
}

@test "pf-approve: named approvers select which signed records count" {
	request erin
	approve alice
	approve bob
	approve dave
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH" --approver bob --approver dave
	jq -e '.approval.approvers == ["bob", "dave"]' <<<"$output"
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH" \
	    --approver alice --approver carol
	jq -e '.approval.failed == ["approver.no-approval", "approvals.insufficient"]' <<<"$output"
}

@test "pf-approve: a key the policy does not register for the approver is refused: key.unregistered" {
	request erin
	run -1 --separate-stderr approve alice "$KEYS/mallory.pem"
	[[ "$stderr" == *"key.unregistered"* ]]
	approve bob
	check_fails key.unregistered
}

@test "pf-approve: an approver the policy does not register is refused: approver.unregistered" {
	request erin
	run -1 approve mallory
	approve bob
	check_fails approver.unregistered
}

@test "pf-approve: a registered key without the approver role is refused: role.missing" {
	request erin
	run -1 --separate-stderr approve carol
	[[ "$stderr" == *"role.missing"* ]]
	approve bob
	check_fails role.missing
}

@test "pf-approve: approvals of another commit are refused: commit.mismatch" {
	request erin
	approve alice
	approve bob
	make_plan "$PLAN" "$C2"
	make_fetch "$FETCH" "$C2"
	request erin
	check_fails approvals.insufficient
	cp "$DIR"/record.*.json "$PF_HOME/approvals/acme/helpful/$C2/"
	check_fails commit.mismatch
	jq -e '[.approval.records[].condition] == ["commit.mismatch", "commit.mismatch"]' <<<"$output"
}

@test "pf-approve: a file changed after approval voids it: review.changed" {
	request erin
	approve alice
	approve bob
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
	make_fetch "$FETCH" "$C1" 100 "$(printf 'b%.0s' $(seq 64))"
	check_fails review.changed
	jq -e '.approval.approvers == [] and (.approval.failed | index("request.changed"))
	    and ([.approval.records[].condition] == ["review.changed", "review.changed"])' <<<"$output"
}

@test "pf-approve: a file added, a size changed or remote code added voids it: review.changed" {
	request erin
	approve alice
	approve bob
	cp "$FETCH" "$FETCH.orig"
	make_fetch "$FETCH" "$C1" 101
	check_fails review.changed
	jq '.files += [{path: "extra.bin", size: 1, sha256: ("e" * 64)}]' "$FETCH.orig" >"$FETCH"
	check_fails review.changed
	cp "$FETCH.orig" "$FETCH"
	jq '.preflight.remote_code_files += ["config.json"]' "$PLAN" >"$PLAN.new" && mv "$PLAN.new" "$PLAN"
	check_fails review.changed
	jq -e '[.approval.records[].condition] == ["review.changed", "review.changed"]' <<<"$output"
}

@test "pf-approve: a harmless rerun of preflight and fetch keeps the approvals" {
	request erin
	approve alice
	approve bob
	# A rerun: new times and timings, files listed in another order.
	jq '.generated_at = "2025-11-26T09:00:00Z" | .preflight.risk_warnings += ["again"]' \
	    "$PLAN" >"$PLAN.new" && mv "$PLAN.new" "$PLAN"
	make_fetch "$FETCH" "$C1" 100 "" 7.25
	jq '.generated_at = "2025-11-26T09:01:00Z" | .files |= reverse' "$FETCH" >"$FETCH.new" &&
		mv "$FETCH.new" "$FETCH"
	run -0 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	jq -e '.approval.satisfied and .approval.approvers == ["alice", "bob"]' <<<"$output"
	run -0 pf-approve list
	jq -e '.requests[0].approval.satisfied' <<<"$output"
	run -0 pf-approve list --plan "$PLAN" --fetch "$FETCH"
	jq -e '.requests[0].approval.satisfied and .requests[0].judged_against == "files"' <<<"$output"
}

@test "pf-approve: list and check agree when the files or the policy's rules change" {
	request erin
	approve alice
	approve bob
	make_fetch "$FETCH" "$C1" 100 "$(printf 'b%.0s' $(seq 64))"
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	run -0 pf-approve list --plan "$PLAN" --fetch "$FETCH"
	jq -e '.requests[0].approval.satisfied == false
	    and (.requests[0].approval.failed | index("review.changed"))' <<<"$output"
	make_fetch "$FETCH" "$C1"
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
	# The rules a model is judged by changed: both see it, with or without files.
	approvers_policy '.scan.fail_on = "critical"'
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	run -0 pf-approve list
	jq -e '.requests[0].approval.satisfied == false
	    and .requests[0].judged_against == "request"' <<<"$output"
	# Who may approve is not what was reviewed: registering someone keeps them.
	approvers_policy '.approvals.approvers += [{id: "frank", public_key: .approvals.approvers[0].public_key | sub("alice"; "mallory"), roles: ["approver"]}]'
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
	run -0 pf-approve list
	jq -e '.requests[0].approval.satisfied' <<<"$output"
}

@test "pf-approve: a met approval of remote code records what it covers" {
	request erin
	approve alice
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	jq -e '.approval.covers == null' <<<"$output"
	approve bob
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
	jq -e '.approval.covers as $c | $c.review_sha256 == .approval.review_sha256
	    and ($c.rules | index("weights.config.auto-map"))
	    and ($c.rules | index("preflight.remote-code.required"))
	    and ($c.rules | index("weights.config.remote-code-repo") | not)
	    and ($c.rules | any(startswith("py.")) | not)
	    and $c.code_files == [{path: "modeling_helpful.py", sha256: ("a" * 64)}]
	    and ([$c.files[].path] == ["config.json", "modeling_helpful.py"])' <<<"$output"
}

@test "pf-approve: an altered record is refused: signature.invalid" {
	request erin
	approve alice
	approve bob
	jq '.reason = "I never said this"' "$DIR/record.bob.json" >"$BATS_TEST_TMPDIR/r" &&
		mv "$BATS_TEST_TMPDIR/r" "$DIR/record.bob.json"
	check_fails signature.invalid
	jq -e 'any(.findings[]; .rule == "approve.signature.invalid"
	    and .severity == "critical" and .file == "record.bob.json")' <<<"$output"
}

@test "pf-approve: a record signed by another key claiming a registered key id is refused: signature.invalid" {
	request erin
	approve alice
	run -1 approve bob "$KEYS/mallory.pem"
	jq --arg k "$(key_id bob)" '.key_id = $k' "$DIR/record.bob.json" >"$BATS_TEST_TMPDIR/r" &&
		mv "$BATS_TEST_TMPDIR/r" "$DIR/record.bob.json"
	check_fails signature.invalid
}

@test "pf-approve: a rejection after the approvals voids them: rejection.after-approval" {
	request erin
	approve alice
	approve bob
	SOURCE_DATE_EPOCH=$((SOURCE_DATE_EPOCH + 60)) run -0 pf-approve reject \
	    --plan "$PLAN" --fetch "$FETCH" --approver dave --key "$KEYS/dave.pem" --reason "calls home"
	check_fails rejection.after-approval
	jq -e '.approval.approvers == []
	    and (.approval.records[] | select(.approver == "dave")
	        | .decision == "reject" and .condition == null)' <<<"$output"
}

@test "pf-approve: approvals made after a rejection count" {
	request erin
	SOURCE_DATE_EPOCH=$((SOURCE_DATE_EPOCH - 60)) pf-approve reject \
	    --plan "$PLAN" --fetch "$FETCH" --approver dave --key "$KEYS/dave.pem"
	approve alice
	approve bob
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
}

@test "pf-approve: a forged rejection does not count" {
	request erin
	approve alice
	approve bob
	SOURCE_DATE_EPOCH=$((SOURCE_DATE_EPOCH + 60)) run -1 pf-approve reject \
	    --plan "$PLAN" --fetch "$FETCH" --approver dave --key "$KEYS/mallory.pem"
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	jq -e '.approval.satisfied and .approval.approvers == ["alice", "bob"]
	    and .approval.failed == ["key.unregistered"]' <<<"$output"
}

@test "pf-approve: approve refuses files other than those of the request with exit 1" {
	request erin
	make_fetch "$FETCH" "$C1" 101
	run -1 --separate-stderr approve alice
	[[ "$stderr" == *"other files, remote code or policy than those given"* ]]
	[ ! -e "$DIR/record.alice.json" ]
}

@test "pf-approve: approve without a request exits 2" {
	run -2 --separate-stderr approve alice
	[[ "$stderr" == *"no approval request for 'acme/helpful'"* ]]
}

@test "pf-approve: a plan that needs no approval passes check without any" {
	make_plan "$PLAN" "$C1" auto
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
	jq -e '.approval.required == 0 and .approval.rule == "none" and .approval.satisfied' <<<"$output"
}

@test "pf-approve: a one-person plan (no remote code) needs one approver who did not ask" {
	make_plan "$PLAN" "$C1" one-person
	request erin
	check_fails approvals.insufficient
	jq -e '.approval.rule == "one-person" and .approval.required == 1' <<<"$output"
	approve alice
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
}

@test "pf-approve: a one-person plan that needs remote code still needs two" {
	make_plan "$PLAN" "$C1" one-person
	jq '.preflight.trust_remote_code_required = true' "$PLAN" >"$PLAN.new" && mv "$PLAN.new" "$PLAN"
	request erin
	approve alice
	check_fails approvals.insufficient
	jq -e '.approval.rule == "two-person" and .approval.required == 2' <<<"$output"
}

@test "pf-approve: a symlink among the records is a malformed record, not followed" {
	request erin
	approve alice
	approve bob
	ln -s "$DIR/record.alice.json" "$DIR/record.zed.json"
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	jq -e '.approval.satisfied and .approval.failed == ["record.malformed"]
	    and (.approval.records[2].message | contains("symlink"))' <<<"$output"
}

@test "pf-approve: list shows each request with its records" {
	request erin
	approve alice
	run -0 pf-approve list
	jq -e --arg c "$C1" '.requests | length == 1 and .[0].model.commit == $c
	    and .[0].requester == "erin" and .[0].approval.approvers == ["alice"]
	    and .[0].approval.satisfied == false' <<<"$output"
}

@test "pf-approve: requests, decisions and checks are recorded in a chain that verifies" {
	request erin
	approve alice
	approve bob
	pf-approve check --plan "$PLAN" --fetch "$FETCH" >/dev/null
	run -0 jq -r -s 'map(.event.type) | join(" ")' "$PF_HOME/audit.log"
	[ "$output" = "approval.request approval.approve approval.approve approval.check" ]
	run -0 pf-audit verify
}

@test "pf-approve: an audit log with a torn tail stops a check with exit 3" {
	request erin
	printf '{"seq":' >>"$PF_HOME/audit.log"
	run -3 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	[ -z "$output" ]
	[[ "$stderr" == "pf-approve: audit: "*"torn tail"* ]]
}

@test "pf-approve: two approvers sharing one key is a policy error" {
	approvers_policy ".approvals.approvers[3].public_key = \"$KEYS/alice.pub.pem\""
	run -2 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	[[ "$stderr" == *"'alice' and 'dave' have the same public key"* ]]
}

@test "pf-approve: a rule other than two-person is a policy error" {
	approvers_policy '.approvals.rule = "one-person"'
	run -2 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	[[ "$stderr" == *'approvals.rule must be "two-person"'* ]]
}

@test "pf-approve: an encrypted or non-P-256 key exits 2 and writes nothing" {
	request erin
	openssl pkey -in "$KEYS/alice.pem" -aes256 -passout pass:x -out "$BATS_TEST_TMPDIR/enc.pem"
	run -2 --separate-stderr approve alice "$BATS_TEST_TMPDIR/enc.pem"
	[[ "$stderr" == *"encrypted keys are not supported"* ]]
	openssl ecparam -genkey -name secp384r1 -noout -out "$BATS_TEST_TMPDIR/p384.pem"
	run -2 --separate-stderr approve alice "$BATS_TEST_TMPDIR/p384.pem"
	[[ "$stderr" == *"not an ECDSA P-256"* ]]
	[ ! -e "$DIR/record.alice.json" ]
}

@test "pf-approve: the private key never appears in output or records" {
	request erin
	run -0 approve alice
	secret=$(sed -n 2p "$KEYS/alice.pem")
	! grep -rqF -- "${secret:0:24}" "$PF_HOME"
	[[ "$output" != *PRIVATE* ]]
}

@test "pf-approve: a key file of exactly caps.key_pem bytes is read" {
	request erin
	cp "$KEYS/alice.pem" "$BATS_TEST_TMPDIR/k.pem"
	printf '%*s' $((2048 - $(wc -c <"$KEYS/alice.pem"))) '' | tr ' ' '\n' >>"$BATS_TEST_TMPDIR/k.pem"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/k.pem")" -eq 2048 ]
	approvers_policy '.caps.key_pem = 2048'
	run -0 approve alice "$BATS_TEST_TMPDIR/k.pem"
}

@test "pf-approve: a key file one byte over caps.key_pem exits 2 naming the cap" {
	request erin
	cp "$KEYS/alice.pem" "$BATS_TEST_TMPDIR/k.pem"
	printf '%*s' $((2049 - $(wc -c <"$KEYS/alice.pem"))) '' | tr ' ' '\n' >>"$BATS_TEST_TMPDIR/k.pem"
	approvers_policy '.caps.key_pem = 2048'
	run -2 --separate-stderr approve alice "$BATS_TEST_TMPDIR/k.pem"
	[[ "$stderr" == *"larger than PF_MAX_KEY_PEM (2048 bytes)"* ]]
}

@test "pf-approve: a reason of PF_MAX_APPROVAL_REASON bytes is kept, one more exits 2" {
	r=$(printf 'r%.0s' $(seq 4096))
	run -0 pf-approve request --plan "$PLAN" --fetch "$FETCH" --requester erin \
	    --key "$KEYS/erin.pem" --reason "$r"
	run -0 jq -e '.reason | length == 4096' "$DIR/request.json"
	run -2 --separate-stderr pf-approve request --plan "$PLAN" --fetch "$FETCH" \
	    --requester erin --key "$KEYS/erin.pem" --reason "${r}r"
	[[ "$stderr" == *"longer than PF_MAX_APPROVAL_REASON (4096 bytes)"* ]]
}

@test "pf-approve: an id of PF_MAX_APPROVER_ID bytes is accepted, one more exits 2" {
	id=$(printf 'e%.0s' $(seq 128))
	approvers_policy ".approvals.approvers[4].id = \"$id\""
	run -0 pf-approve request --plan "$PLAN" --fetch "$FETCH" --requester "$id" \
	    --key "$KEYS/erin.pem"
	run -2 --separate-stderr pf-approve request --plan "$PLAN" --fetch "$FETCH" \
	    --requester "${id}e" --key "$KEYS/erin.pem"
	[[ "$stderr" == *"not a valid id"* ]]
}

@test "pf-approve: a record of exactly caps.approval_record bytes counts, one more does not" {
	request erin
	approve alice
	approve bob
	size=$(wc -c <"$DIR/record.bob.json")
	printf '%*s' $((1024 - size)) '' >>"$DIR/record.bob.json"
	approvers_policy '.caps.approval_record = 1024'
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
	approvers_policy '.caps.approval_record = 1023'
	check_fails record.malformed
	jq -e '.approval.records[1].message | contains("PF_MAX_APPROVAL_RECORD (1023 bytes)")' <<<"$output"
}

@test "pf-approve: caps.approval_records records are read, one more file exits 2" {
	request erin
	approve alice
	approve bob
	approvers_policy '.caps.approval_records = 2'
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
	approve dave
	run -2 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	[[ "$stderr" == *"more than PF_MAX_APPROVAL_RECORDS (2) records"* ]]
}

@test "pf-approve: a signature of PF_MAX_SIGNATURE characters is checked, one more is malformed" {
	request erin
	approve alice
	approve bob
	sig=$(printf 'A%.0s' $(seq 512))
	jq --arg s "$sig" '.signature = $s' "$DIR/record.bob.json" >"$BATS_TEST_TMPDIR/r" &&
		mv "$BATS_TEST_TMPDIR/r" "$DIR/record.bob.json"
	check_fails signature.invalid
	jq --arg s "${sig}A" '.signature = $s' "$DIR/record.bob.json" >"$BATS_TEST_TMPDIR/r" &&
		mv "$BATS_TEST_TMPDIR/r" "$DIR/record.bob.json"
	check_fails record.malformed
	jq -e '.approval.records[1].message | contains("PF_MAX_SIGNATURE")' <<<"$output"
}

@test "pf-approve: a record with a member added is malformed" {
	request erin
	approve alice
	approve bob
	jq '.role = "admin"' "$DIR/record.bob.json" >"$BATS_TEST_TMPDIR/r" &&
		mv "$BATS_TEST_TMPDIR/r" "$DIR/record.bob.json"
	check_fails record.malformed
}

# sign_record APPROVER DECISION TIME: a record signed outside pf-approve with
# the approver's own key, for the pending request; prints its log digest.
sign_record() {
	local who=$1 dec=$2 time=$3 review requester kid sig digest
	review=$(jq -r .review_sha256 "$DIR/request.json")
	requester=$(jq -r .requester "$DIR/request.json")
	kid=$(key_id "$who")
	canon() {
		local pair name val
		printf 'pathfinder-approval-v2\0'
		for pair in "approver=$who" "decision=$dec" "time=$time" \
		    "model_id=acme/helpful" "revision=main" "commit=$C1" \
		    "review_sha256=$review" "requester=$requester" "reason=" \
		    "key_id=$kid"; do
			name=${pair%%=*} val=${pair#*=}
			printf '%s=%d:%s\n' "$name" "${#val}" "$val"
		done
	}
	sig=$(canon | openssl dgst -sha256 -sign "$KEYS/$who.pem" | base64 -w0)
	digest=$(canon | sha256sum | cut -d' ' -f1)
	jq -n --arg a "$who" --arg d "$dec" --arg t "$time" --arg c "$C1" \
	    --arg r "$review" --arg q "$requester" --arg k "$kid" --arg s "$sig" \
	    '{approver: $a, decision: $d, time: $t, model_id: "acme/helpful",
	    revision: "main", commit: $c, review_sha256: $r, requester: $q,
	    reason: "", key_id: $k, signature: $s}' >"$DIR/record.$who.json"
	echo "$digest"
}

log_record() {	# APPROVER DECISION DIGEST: the event pf-approve would log
	jq -cn --arg a "$1" --arg d "$2" --arg h "$3" \
	    '{type: ("approval." + $d), approver: $a, record_sha256: $h}' | pf-audit append
}

@test "pf-approve: decisions are ordered by the audit log, not by the time they claim" {
	request erin
	approve alice
	approve bob
	# dave's clock is a day behind: his rejection still comes after.
	SOURCE_DATE_EPOCH=$((SOURCE_DATE_EPOCH - 86400)) run -0 pf-approve reject \
	    --plan "$PLAN" --fetch "$FETCH" --approver dave --key "$KEYS/dave.pem"
	check_fails rejection.after-approval
	jq -e '.approval.approvers == [] and (.approval.records[0].message
	    | contains("later in the audit log"))' <<<"$output"
}

@test "pf-approve: an approval dated in the future does not count, nor outlive a rejection" {
	request erin
	digest=$(sign_record alice approve 2099-01-01T00:00:00Z)
	log_record alice approve "$digest"
	approve bob
	check_fails record.future
	jq -e '.approval.records[0].message | contains("after now")' <<<"$output"
	run -0 pf-approve reject --plan "$PLAN" --fetch "$FETCH" --approver dave --key "$KEYS/dave.pem"
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	jq -e '[.approval.records[].condition] == ["record.future", "rejection.after-approval", null]' <<<"$output"
}

@test "pf-approve: approve with SOURCE_DATE_EPOCH after now exits 2 and writes nothing" {
	request erin
	SOURCE_DATE_EPOCH=4102444800 run -2 --separate-stderr approve alice
	[[ "$stderr" == *"dated 2100-01-01T00:00:00Z, after now"* ]]
	[ ! -e "$DIR/record.alice.json" ]
}

@test "pf-approve: a record the audit log does not hold does not count" {
	request erin
	approve alice
	sign_record bob approve 2025-11-25T10:00:00Z >/dev/null
	check_fails record.unlogged
	digest=$(sign_record bob approve 2025-11-25T10:00:00Z)
	log_record bob approve "$digest"
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
}

@test "pf-approve: a record logged only after a rejection does not outlive it" {
	request erin
	approve alice
	digest=$(sign_record bob approve 2025-11-25T10:00:00Z)
	SOURCE_DATE_EPOCH=$((SOURCE_DATE_EPOCH + 60)) pf-approve reject \
	    --plan "$PLAN" --fetch "$FETCH" --approver dave --key "$KEYS/dave.pem"
	log_record bob approve "$digest"
	check_fails rejection.after-approval
}

@test "pf-approve: a broken audit log stops a check: log.unverified" {
	request erin
	approve alice
	approve bob
	sed -i '2s/"approver":"alice"/"approver":"zed"/' "$PF_HOME/audit.log"
	run -1 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	jq -e '.approval.failed | index("log.unverified")' <<<"$output"
}

@test "pf-approve: a requester the policy does not register cannot request" {
	run -2 --separate-stderr request mallory
	[[ "$stderr" == *"--requester 'mallory': not an identity the policy registers"* ]]
	[ ! -e "$DIR/request.json" ]
}

@test "pf-approve: an approver cannot request under another's name" {
	run -2 --separate-stderr request erin "$KEYS/alice.pem"
	[[ "$stderr" == *"not the key the policy registers for 'erin'"* ]]
	[ ! -e "$DIR/request.json" ]
	# Rewriting the requester of one's own request breaks its signature.
	request alice
	jq '.requester = "erin"' "$DIR/request.json" >"$DIR/r" && mv "$DIR/r" "$DIR/request.json"
	run -1 --separate-stderr approve alice
	[[ "$stderr" == *"does not stand: request.signature.invalid"* ]]
	[ ! -e "$DIR/record.alice.json" ]
	check_fails request.signature.invalid
}

@test "pf-approve: one person never counts twice: ids differing in case are one" {
	approvers_policy '.approvals.approvers[3].id = "Alice"'
	run -2 --separate-stderr pf-approve check --plan "$PLAN" --fetch "$FETCH"
	[[ "$stderr" == *"'Alice' is listed twice"* ]]
}

@test "pf-approve: keygen makes a key pair, private 0600, and never overwrites" {
	k="$BATS_TEST_TMPDIR/frank.pem"
	run -0 --separate-stderr pf-approve keygen --key "$k"
	[ -z "$output" ]
	[ "$(stat -c %a "$k")" = 600 ]
	[ "$(stat -c %a "$BATS_TEST_TMPDIR/frank.pub.pem")" = 644 ]
	openssl pkey -in "$k" -noout
	[ "$(openssl pkey -in "$k" -pubout)" = "$(cat "$BATS_TEST_TMPDIR/frank.pub.pem")" ]
	before=$(sha256sum <"$k")
	run -2 --separate-stderr pf-approve keygen --key "$k"
	[[ "$stderr" == *"exists; refusing to overwrite a key"* ]]
	[ "$(sha256sum <"$k")" = "$before" ]
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep tmp)" ]
}

@test "pf-approve: policy-entry prints the entry that registers a new approver's key" {
	k="$BATS_TEST_TMPDIR/frank.pem"
	pf-approve keygen --key "$k" --pub "$BATS_TEST_TMPDIR/frank.pub"
	run -0 --separate-stderr pf-approve policy-entry --id frank --pub "$BATS_TEST_TMPDIR/frank.pub"
	jq -e '.id == "frank" and .roles == ["approver"]
	    and (.public_key | startswith("-----BEGIN PUBLIC KEY-----"))' <<<"$output"
	approvers_policy ".approvals.approvers += [$output]"
	request erin
	approve alice
	run -0 pf-approve approve --plan "$PLAN" --fetch "$FETCH" --approver frank --key "$k"
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
	jq -e '.approval.approvers == ["alice", "frank"]' <<<"$output"
	run -0 pf-approve policy-entry --id gina --pub "$BATS_TEST_TMPDIR/frank.pub" --role requester
	jq -e '.roles == ["requester"]' <<<"$output"
	run -2 --separate-stderr pf-approve policy-entry --id frank --pub "$k"
	[[ "$stderr" == *"not a PEM public key"* ]]
}
