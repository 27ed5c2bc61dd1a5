#!/usr/bin/env bats
# pf-approve: requests, signed records, and the two-person rule refusing each
# way around it (self-approval, one approver twice, unregistered keys, missing
# roles, other commits, changed manifests, forged signatures, rejections).

setup_file() {
	KEYS="$BATS_FILE_TMPDIR/keys"
	mkdir -p "$KEYS"
	for who in alice bob carol dave mallory; do
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
# is registered to request only; mallory is not registered at all.
approvers_policy() {
	pf_policy "$(printf '.approvals = {"rule": "two-person", "approvers": [
	    {"id": "alice", "public_key": "%s", "roles": ["approver"]},
	    {"id": "bob", "public_key": %s, "roles": ["approver", "auditor"]},
	    {"id": "carol", "public_key": "%s", "roles": ["requester"]},
	    {"id": "dave", "public_key": "%s", "roles": ["approver"]}]} | %s' \
	    "$KEYS/alice.pub.pem" "$(jq -Rs . "$KEYS/bob.pub.pem")" \
	    "$KEYS/carol.pub.pem" "$KEYS/dave.pub.pem" "${1:-.}")"
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

# make_fetch FILE COMMIT [SIZE]: its manifest.
make_fetch() {
	jq -n --arg c "$2" --argjson size "${3:-100}" '{
	    pathfinder_version: "0.1.0", stage: "fetch",
	    generated_at: "2025-11-25T10:00:00Z",
	    model: {id: "acme/helpful", revision: "main", commit: $c},
	    status: "passed", findings: [],
	    files: [{path: "modeling_helpful.py", size: $size,
	        quarantine_path: "/q/modeling_helpful.py"}]}' >"$1"
}

request() {	# REQUESTER
	pf-approve request --plan "$PLAN" --fetch "$FETCH" --requester "$1" \
	    --reason "needs its own modeling code"
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
	for opt in plan fetch requester approver key reason policy; do
		grep -q -- "Fl -$opt" "$PF_REPO/man/pf-approve.1"
	done
	for cmd in request approve reject check list; do
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
	run -2 --separate-stderr pf-approve request --plan "$PLAN" --fetch "$FETCH" --requester erin
	[[ "$stderr" == *"for another model or commit"* ]]
	[ ! -e "$DIR/request.json" ]
}

@test "pf-approve: request writes request.json with digests, requester and risk" {
	run -0 --separate-stderr request erin
	[ -z "$stderr" ]
	plan_sha=$(sha256sum <"$PLAN" | cut -d' ' -f1)
	fetch_sha=$(sha256sum <"$FETCH" | cut -d' ' -f1)
	run -0 jq -e --arg p "$plan_sha" --arg f "$fetch_sha" --arg c "$C1" '
	    .stage == "approval-request" and .model.commit == $c
	    and .requester == "erin" and .reason == "needs its own modeling code"
	    and .plan_sha256 == $p and .fetch_sha256 == $f
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

@test "pf-approve: a record binds approver, decision, commit and both digests, signed" {
	request erin
	approve alice
	run -0 jq -e --arg c "$C1" --arg k "$(key_id alice)" \
	    --arg f "$(sha256sum <"$FETCH" | cut -d' ' -f1)" '
	    .approver == "alice" and .decision == "approve" and .commit == $c
	    and .model_id == "acme/helpful" and .fetch_sha256 == $f
	    and .requester == "erin" and .key_id == $k
	    and (.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$"))
	    and (.signature | length > 80)' "$DIR/record.alice.json"
}

@test "pf-approve: no approvals at all is a verdict: exit 1, approvals.insufficient" {
	request erin
	check_fails approvals.insufficient
	jq -e '.approval.approvers == [] and .approval.required == 2' <<<"$output"
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

@test "pf-approve: a manifest changed after approval voids it: manifest.changed" {
	request erin
	approve alice
	approve bob
	run -0 pf-approve check --plan "$PLAN" --fetch "$FETCH"
	make_fetch "$FETCH" "$C1" 101
	check_fails manifest.changed
	jq -e '.approval.approvers == []' <<<"$output"
}

@test "pf-approve: a plan changed after approval voids it: plan.changed" {
	request erin
	approve alice
	approve bob
	jq '.preflight.remote_code_files += ["extra.py"]' "$PLAN" >"$PLAN.new" && mv "$PLAN.new" "$PLAN"
	check_fails plan.changed
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
	[[ "$stderr" == *"other plan or fetch files"* ]]
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
	run -0 pf-approve request --plan "$PLAN" --fetch "$FETCH" --requester erin --reason "$r"
	run -0 jq -e '.reason | length == 4096' "$DIR/request.json"
	run -2 --separate-stderr pf-approve request --plan "$PLAN" --fetch "$FETCH" \
	    --requester erin --reason "${r}r"
	[[ "$stderr" == *"longer than PF_MAX_APPROVAL_REASON (4096 bytes)"* ]]
}

@test "pf-approve: an id of PF_MAX_APPROVER_ID bytes is accepted, one more exits 2" {
	id=$(printf 'e%.0s' $(seq 128))
	run -0 pf-approve request --plan "$PLAN" --fetch "$FETCH" --requester "$id"
	run -2 --separate-stderr pf-approve request --plan "$PLAN" --fetch "$FETCH" \
	    --requester "${id}e"
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
