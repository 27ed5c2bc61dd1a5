#!/usr/bin/env bats
# pf-gate: the decision between quarantine and the verified store, on the
# local Hub's models run through the earlier stages.

setup_file() {
	load helpers
	hub_build
	hub_start
}

teardown_file() {
	load helpers
	hub_stop
}

setup() {
	load helpers
	hub_clear_faults
	run_dir="$BATS_TEST_TMPDIR/run"
	mkdir -p "$run_dir"
}

# stages MODEL: plan, fetch and the five scans of MODEL into $run_dir.
stages() { pf_run_stages "$1" "$run_dir"; }

commit_of() { jq -r .model.commit "$run_dir/plan.json"; }
verified_dir() { echo "$PF_HOME/verified/$1/$(commit_of)"; }
quarantine_dir() { echo "$PF_HOME/quarantine/$1/$(commit_of)"; }

@test "pf-gate: --help prints the synopsis on stdout and exits 0" {
	run -0 --separate-stderr pf-gate --help
	[[ "${lines[0]}" == "usage: pf-gate "* ]]
	[ -z "$stderr" ]
}

@test "pf-gate: --version names the tool" {
	run -0 pf-gate --version
	[ "$output" = "pf-gate 0.1.0" ]
}

@test "pf-gate: an unknown option is a usage error on stderr" {
	run -2 --separate-stderr pf-gate --frobnicate
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-gate --help'"* ]]
}

@test "pf-gate: --plan without --fetch is a usage error" {
	run -2 --separate-stderr pf-gate --plan plan.json
	[[ "$stderr" == *"--fetch is required"* ]]
}

@test "pf-gate: a clean model passes and exactly its files are promoted read-only" {
	stages demo/tiny-gpt
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	v=$(verified_dir demo/tiny-gpt)
	jq -e --arg v "$v" '.stage == "gate" and .status == "passed"
	    and .gate.decision == "passed" and .gate.mode == "enforce"
	    and .gate.verified.path == $v and .gate.unvetted == false' "$run_dir/gate.json"
	[ "$(stat -c %a "$v")" = 555 ]
	diff <(jq -r '.files[].path' "$run_dir/fetch.json" | sort) \
	    <(cd "$v" && find . -type f | sed 's|^\./||' | sort)
	while read -r p sha; do
		[ "$(stat -c %a "$v/$p")" = 444 ]
		[ "$(sha256sum <"$v/$p" | cut -d' ' -f1)" = "$sha" ]
	done < <(jq -r '.files[] | "\(.path) \(.sha256)"' "$run_dir/fetch.json")
	[ ! -e "$(quarantine_dir demo/tiny-gpt)" ]
	grep -q '"type":"gate.decision"' "$PF_HOME/audit.log"
}

@test "pf-gate: a second gate of a promoted commit passes and replaces nothing" {
	stages demo/tiny-gpt
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate2.json"
	jq -e '.gate.verified.already_there == true' "$run_dir/gate2.json"
}

@test "pf-gate: a missing scan blocks and nothing is promoted" {
	stages demo/tiny-gpt
	rm "$run_dir/scan-secrets.json"
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.status == "failed" and .gate.decision == "blocked"
	    and ([.gate.reasons[] | select(.reason == "scan.missing")] | .[0].stage == "scan-secrets")
	    and (.gate.scans[] | select(.stage == "scan-secrets") | .status == "missing")
	    and .gate.verified == null' "$run_dir/gate.json"
	[ ! -e "$(verified_dir demo/tiny-gpt)" ]
	[ -f "$(quarantine_dir demo/tiny-gpt)/config.json" ]
}

@test "pf-gate: a scan that did not finish never counts as passed" {
	stages demo/tiny-gpt
	jq '.status = "incomplete"' "$run_dir/scan-py.json" >"$run_dir/x" && mv "$run_dir/x" "$run_dir/scan-py.json"
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '[.gate.reasons[].reason] == ["scan.incomplete"]' "$run_dir/gate.json"
}

@test "pf-gate: a denied plan blocks even when every scan passed" {
	stages olduser/pickle-only
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.gate.decision == "blocked" and (.gate.reasons[0].reason == "plan.denied")' "$run_dir/gate.json"
	[ ! -e "$(verified_dir olduser/pickle-only)" ]
}

@test "pf-gate: a remote-code model without approval needs approval" {
	stages helpful-ai/custom-model
	pf_policy '.gate.waivers = []'
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.gate.decision == "needs-approval"
	    and any(.gate.reasons[]; .reason == "plan.approval-required" and .effect == "needs-approval")
	    and any(.gate.reasons[]; .reason == "findings.need-approval" and .stage == "scan-weights")' "$run_dir/gate.json"
	[ ! -e "$(verified_dir helpful-ai/custom-model)" ]
}

# approve_run [FILTER]: erin asks, alice and bob approve, each with a key made
# and registered the way an administrator would; approve.json as pf-approve
# check writes it. FILTER adjusts the policy the approvals are made under.
approve_run() {
	local who entries=""
	for who in erin alice bob; do
		pf-approve keygen --key "$BATS_TEST_TMPDIR/$who.pem"
		entries="$entries${entries:+, }$(pf-approve policy-entry --id "$who" \
		    --pub "$BATS_TEST_TMPDIR/$who.pub.pem" \
		    --role "$([ "$who" = erin ] && echo requester || echo approver)")"
	done
	pf_policy ".approvals.approvers = [$entries] | ${1:-.}"
	pf-approve request --plan "$run_dir/plan.json" --fetch "$run_dir/fetch.json" \
	    --requester erin --key "$BATS_TEST_TMPDIR/erin.pem"
	for who in alice bob; do
		pf-approve approve --plan "$run_dir/plan.json" --fetch "$run_dir/fetch.json" \
		    --approver "$who" --key "$BATS_TEST_TMPDIR/$who.pem"
	done
	pf-approve check --plan "$run_dir/plan.json" --fetch "$run_dir/fetch.json" \
	    -o "$run_dir/approve.json"
}

@test "pf-gate: a satisfied approval covers the remote-code findings, and only those" {
	stages helpful-ai/custom-model
	approve_run
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e --slurpfile a "$run_dir/approve.json" '
	    $a[0].approval.covers.rules as $rules
	    | .gate.approval.satisfied and (.gate.approval.covered | length) > 0
	    and all(.gate.approval.covered[]; .rule as $r | $rules | index($r))
	    and any(.gate.approval.covered[]; .rule == "weights.config.auto-map")' "$run_dir/gate.json"
}

@test "pf-gate: an approval made for other rules or files is stale and covers nothing" {
	stages helpful-ai/custom-model
	approve_run
	# The rules the model is judged by change after the approvals.
	pf_policy "$(jq -c .approvals "$PF_POLICY" | sed 's/^/.approvals = /') | .scan.fail_on = \"medium\""
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.gate.decision == "needs-approval" and (.gate.approval.satisfied | not)
	    and any(.gate.reasons[]; .reason == "approval.stale")
	    and (.gate.approval.covered == [])' "$run_dir/gate.json"
}

@test "pf-gate: artifacts of another commit are refused" {
	stages demo/tiny-gpt
	jq '.model.commit = "0000000000000000000000000000000000000000"' "$run_dir/scan-py.json" >"$run_dir/x"
	mv "$run_dir/x" "$run_dir/scan-py.json"
	run -2 --separate-stderr pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	[[ "$stderr" == *"scan-py.json': commit '0000000000000000000000000000000000000000' is not the plan's"* ]]
	[ ! -e "$run_dir/gate.json" ]
}

@test "pf-gate: a scan made from another fetch.json is refused" {
	stages demo/tiny-gpt
	jq '.made_from.input.sha256 = "'"$(printf x | sha256sum | cut -c1-64)"'"' "$run_dir/scan-deps.json" >"$run_dir/x"
	mv "$run_dir/x" "$run_dir/scan-deps.json"
	run -2 --separate-stderr pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	[[ "$stderr" == *"scan-deps.json' was made from another fetch.json"* ]]
	[ ! -e "$run_dir/gate.json" ]
}

@test "pf-gate: the same scan stage twice is refused" {
	stages demo/tiny-gpt
	run -2 --separate-stderr pf-gate --plan "$run_dir/plan.json" --fetch "$run_dir/fetch.json" \
	    "$run_dir"/scan-*.json "$run_dir/scan-py.json"
	[[ "$stderr" == *"are both scan-py"* ]]
}

@test "pf-gate: a file changed in quarantine after the fetch blocks in every mode" {
	stages demo/tiny-gpt
	printf 'x' >>"$(quarantine_dir demo/tiny-gpt)/config.json"
	pf_policy '.gate.mode = "observe"'
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.gate.decision == "blocked"
	    and any(.findings[]; .rule == "gate.quarantine.size" and .file == "config.json")
	    and any(.gate.reasons[]; .reason == "quarantine.changed" and .effect == "block")' "$run_dir/gate.json"
	[ ! -e "$(verified_dir demo/tiny-gpt)" ]
}

# stat_ns FILE: "dev ino size mtime ctime" as fstat gives them, the times
# as fetch.json's identity writes them ("<seconds>.<9 digits>").
stat_ns() {
	python3 -c 'import os, sys; s = os.stat(sys.argv[1])
t = lambda ns: "%d.%09d" % divmod(ns, 10**9)
print(s.st_dev, s.st_ino, s.st_size, t(s.st_mtime_ns), t(s.st_ctime_ns))' "$1"
}

@test "pf-gate: a file rewritten after the fetch, size and mtime put back, is caught" {
	stages demo/tiny-gpt
	f=$(quarantine_dir demo/tiny-gpt)/config.json
	touch -r "$f" "$BATS_TEST_TMPDIR/mtime"
	before=$(stat_ns "$f")
	# The same number of bytes, one changed, in place; then the old mtime.
	printf '%s' "$(head -c 1 "$f" | tr '{' '[')" |
	    dd of="$f" bs=1 count=1 conv=notrunc status=none
	touch -r "$BATS_TEST_TMPDIR/mtime" "$f"
	read -r dev ino size mtime ctime <<<"$(stat_ns "$f")"
	read -r dev0 ino0 size0 mtime0 ctime0 <<<"$before"
	# What fetch.json recorded is exactly the file before, but for ctime.
	jq -e --argjson d "$dev0" --argjson i "$ino0" --argjson s "$size0" \
	    --arg m "$mtime0" --arg c "$ctime0" '.files[]
	    | select(.path == "config.json") | .identity
	    | .dev == $d and .ino == $i and .size == $s and .mtime == $m
	    and .ctime == $c' "$run_dir/fetch.json"
	[ "$dev $ino $size $mtime" = "$dev0 $ino0 $size0 $mtime0" ]
	[ "$ctime" != "$ctime0" ]
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.gate.decision == "blocked"
	    and any(.findings[]; .rule == "gate.quarantine.digest" and .file == "config.json")' \
	    "$run_dir/gate.json"
	[ ! -e "$(verified_dir demo/tiny-gpt)" ]
}

@test "pf-gate: a file replaced by a copy of itself is hashed again and passes" {
	stages demo/tiny-gpt
	f=$(quarantine_dir demo/tiny-gpt)/config.json
	cp -p "$f" "$f.new"
	mv "$f.new" "$f"
	jq -e --argjson i "$(stat -c %i "$f")" '.files[]
	    | select(.path == "config.json") | .identity.ino != $i' "$run_dir/fetch.json"
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.gate.decision == "passed"' "$run_dir/gate.json"
}

@test "pf-gate: an unchanged identity keeps fetch.json's digest; --rehash and gate.rehash read the bytes" {
	stages demo/tiny-gpt
	# A manifest whose digest is not the bytes' (the identity still is):
	# only hashing the file again can tell. The scans are made from it.
	jq '(.files[] | select(.path == "config.json") | .sha256) = ("0" * 64)' \
	    "$run_dir/fetch.json" >"$run_dir/f.json"
	mv "$run_dir/f.json" "$run_dir/fetch.json"
	for s in pickle py weights secrets deps; do
		pf-scan-$s -i "$run_dir/fetch.json" -o "$run_dir/scan-$s.json" 2>/dev/null || true
	done
	run -1 pf-gate --run "$run_dir" --no-promote --rehash -o "$run_dir/gate.json"
	jq -e 'any(.findings[]; .rule == "gate.quarantine.digest" and .file == "config.json")' \
	    "$run_dir/gate.json"
	pf_policy '.gate.rehash = true'
	run -1 pf-gate --run "$run_dir" --no-promote -o "$run_dir/gate.json"
	jq -e 'any(.findings[]; .rule == "gate.quarantine.digest" and .file == "config.json")' \
	    "$run_dir/gate.json"
	# By default the identity vouches for the digest: no gate finding (the
	# scans, which hash what they read, still say the file changed).
	pf_policy
	run -1 pf-gate --run "$run_dir" --no-promote -o "$run_dir/gate.json"
	jq -e 'all(.findings[]; .rule != "gate.quarantine.digest")
	    and any(.findings[]; .rule == "pickle.file.changed")' "$run_dir/gate.json"
}

@test "pf-gate: gate.rehash that is not a boolean is a policy error" {
	stages demo/tiny-gpt
	pf_policy '.gate.rehash = "yes"'
	run -2 --separate-stderr pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	[ "$stderr" = "pf-gate: policy: gate.rehash: not true or false" ]
	[ ! -e "$run_dir/gate.json" ]
}

@test "pf-gate: a file in quarantine that the manifest lacks is a finding and is not promoted" {
	stages demo/tiny-gpt
	echo 'import os' >"$(quarantine_dir demo/tiny-gpt)/sneaky.py"
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e 'any(.findings[]; .rule == "gate.quarantine.extra" and .file == "sneaky.py" and .severity == "high")' "$run_dir/gate.json"
	# Waived, the model passes and the extra file stays behind.
	id=$(jq -r '.findings[] | select(.rule == "gate.quarantine.extra") | .id' "$run_dir/gate.json")
	pf_policy ".gate.waivers = [{\"id\": \"$id\", \"reason\": \"test\", \"waived_by\": \"alice\", \"expires\": \"2099-01-01\"}]"
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	[ ! -e "$(verified_dir demo/tiny-gpt)/sneaky.py" ]
	[ -f "$(quarantine_dir demo/tiny-gpt)/sneaky.py" ]
	jq -e '.gate.waivers[0].status == "applied" and (.gate.waived | length) == 1' "$run_dir/gate.json"
}

@test "pf-gate: waivers apply by id, lapse at their expiry, and never cover a critical finding by default" {
	stages demo/tiny-gpt
	# A high and a critical finding in the secrets scan, as a scanner would write them.
	jq '.status = "failed" | .findings = [
	    {"rule": "secrets.test.high", "severity": "high", "id": "1111111111111111", "file": "README.md", "message": "m"},
	    {"rule": "secrets.test.crit", "severity": "critical", "id": "2222222222222222", "file": "config.json", "message": "m"}]' \
	    "$run_dir/scan-secrets.json" >"$run_dir/x" && mv "$run_dir/x" "$run_dir/scan-secrets.json"
	w='{"reason": "known test key", "waived_by": "alice"}'
	pf_policy ".gate.waivers = [($w + {\"id\": \"1111111111111111\", \"expires\": \"2099-01-01\"}),
	    ($w + {\"id\": \"2222222222222222\", \"expires\": \"2099-01-01\"}),
	    ($w + {\"id\": \"3333333333333333\", \"expires\": \"2020-01-01\"})]"
	run -1 pf-gate --run "$run_dir" --no-promote -o "$run_dir/gate.json"
	jq -e '[.gate.waivers[].status] == ["applied", "refused-critical", "expired"]
	    and [.findings[].rule] == ["secrets.test.crit"]' "$run_dir/gate.json"
	pf_policy ".gate.waive_critical = true | .gate.waivers = [($w + {\"id\": \"1111111111111111\", \"expires\": \"2020-01-01\"}),
	    ($w + {\"id\": \"2222222222222222\", \"expires\": \"2099-01-01\"})]"
	run -1 pf-gate --run "$run_dir" --no-promote -o "$run_dir/gate.json"
	jq -e '[.gate.waivers[].status] == ["expired", "applied"] and [.findings[].rule] == ["secrets.test.high"]' "$run_dir/gate.json"
}

@test "pf-gate: a waiver without an expiry or with an unknown member is a policy error" {
	stages demo/tiny-gpt
	pf_policy '.gate.waivers = [{"id": "1111111111111111", "reason": "r", "waived_by": "a"}]'
	run -2 --separate-stderr pf-gate --run "$run_dir"
	[[ "$stderr" == *"gate.waivers[0]: no 'expires'"* ]]
	pf_policy '.gate.mode = "lenient"'
	run -2 --separate-stderr pf-gate --run "$run_dir"
	[[ "$stderr" == *"gate.mode: not observe, warn or enforce"* ]]
}

@test "pf-gate: a waiver file named by the policy is read" {
	stages demo/tiny-gpt
	jq '.status = "failed" | .findings = [{"rule": "secrets.test.high", "severity": "high", "id": "1111111111111111", "file": "README.md", "message": "m"}]' \
	    "$run_dir/scan-secrets.json" >"$run_dir/x" && mv "$run_dir/x" "$run_dir/scan-secrets.json"
	echo '{"waivers": [{"id": "1111111111111111", "reason": "r", "waived_by": "a", "expires": "2099-12-31"}]}' \
	    >"$BATS_TEST_TMPDIR/waivers.json"
	pf_policy ".gate.waiver_file = \"$BATS_TEST_TMPDIR/waivers.json\""
	run -0 pf-gate --run "$run_dir" --no-promote -o "$run_dir/gate.json"
	echo '{"waivers": [{"id": "nothex"}]}' >"$BATS_TEST_TMPDIR/waivers.json"
	run -2 --separate-stderr pf-gate --run "$run_dir" --no-promote
	[[ "$stderr" == *"waivers.json"* ]]
}

@test "pf-gate: observe records every verdict, blocks nothing, and marks the model unvetted" {
	stages demo/tiny-gpt
	rm "$run_dir/scan-deps.json"
	pf_policy '.gate.mode = "observe"'
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.status == "passed" and .gate.decision == "passed" and .gate.mode == "observe"
	    and .gate.unvetted == true and .gate.reasons[0].effect == "record"' "$run_dir/gate.json"
	[ -d "$(verified_dir demo/tiny-gpt)" ]
	grep '"type":"gate.decision"' "$PF_HOME/audit.log" | grep -q '"mode":"observe"'
}

@test "pf-gate: warn passes findings with a warning but remote code still needs approval" {
	stages helpful-ai/custom-model
	pf_policy '.gate.mode = "warn"'
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.gate.decision == "needs-approval"' "$run_dir/gate.json"
	stages demo/tiny-gpt
	rm "$run_dir/scan-deps.json" "$run_dir/gate.json"
	jq '.status = "failed" | .findings = [{"rule": "secrets.test.high", "severity": "high", "id": "1111111111111111", "file": "README.md", "message": "m"}]' \
	    "$run_dir/scan-secrets.json" >"$run_dir/x" && mv "$run_dir/x" "$run_dir/scan-secrets.json"
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e '.gate.unvetted == true and ([.gate.reasons[].effect] | unique) == ["warn"]
	    and ([.gate.reasons[].reason] | sort) == ["findings", "scan.missing"]' "$run_dir/gate.json"
}

@test "pf-gate: a file blocked once is blocked in another model that carries the same bytes" {
	# acme/tiny-llama and demo/tiny-gpt share no file; a hand-made
	# registry entry says one of tiny-gpt's files was blocked elsewhere.
	stages demo/tiny-gpt
	sha=$(jq -r '.files[] | select(.path == "config.json") | .sha256' "$run_dir/fetch.json")
	mkdir -p "$PF_HOME/verified"
	jq -n --arg s "$sha" '{version: 1, files: {($s): [{model: "evil/x", commit: "abc", file: "cfg.json", verdict: "blocked", time: "2025-01-01T00:00:00Z"}]}}' \
	    >"$PF_HOME/verified/index.json"
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e 'any(.findings[]; .rule == "gate.registry.blocked" and .file == "config.json"
	    and .evidence.model == "evil/x")' "$run_dir/gate.json"
}

@test "pf-gate: the registry records a blocked file, and a second model with it is blocked" {
	stages demo/tiny-gpt
	cp -r "$run_dir" "$BATS_TEST_TMPDIR/clean"
	jq '.status = "failed" | .findings = [{"rule": "secrets.test.high", "severity": "high", "id": "1111111111111111", "file": "config.json", "message": "m"}]' \
	    "$run_dir/scan-secrets.json" >"$run_dir/x" && mv "$run_dir/x" "$run_dir/scan-secrets.json"
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	sha=$(jq -r '.files[] | select(.path == "config.json") | .sha256' "$run_dir/fetch.json")
	jq -e --arg s "$sha" '.files[$s][0].verdict == "blocked" and .files[$s][0].model == "demo/tiny-gpt"' \
	    "$PF_HOME/verified/index.json"
	# Only the file the finding names is recorded as blocked.
	[ "$(jq '[.files[][] | select(.verdict == "blocked")] | length' "$PF_HOME/verified/index.json")" = 1 ]
	# The same bytes under another model: copy the commit's artifacts and
	# quarantine under a second model id.
	c=$(commit_of)
	mkdir -p "$PF_HOME/quarantine/other"
	cp -r "$PF_HOME/quarantine/demo/tiny-gpt" "$PF_HOME/quarantine/other/twin"
	# Each artifact records its input's digest: rewrite them in order.
	up=
	for a in plan fetch scan-pickle scan-py scan-weights scan-secrets scan-deps; do
		jq --arg q "$PF_HOME/quarantine/other/twin/$c" --arg up "$up" '.model.id = "other/twin"
		    | if .quarantine then .quarantine = $q else . end
		    | if $up != "" then .made_from.input.sha256 = $up else . end' "$BATS_TEST_TMPDIR/clean/$a.json" \
		    >"$BATS_TEST_TMPDIR/clean/x" && mv "$BATS_TEST_TMPDIR/clean/x" "$BATS_TEST_TMPDIR/clean/$a.json"
		case $a in plan | fetch) up=$(sha256sum <"$BATS_TEST_TMPDIR/clean/$a.json" | cut -c1-64) ;; esac
	done
	run -1 pf-gate --run "$BATS_TEST_TMPDIR/clean" -o "$BATS_TEST_TMPDIR/clean/gate.json"
	jq -e 'any(.findings[]; .rule == "gate.registry.blocked" and .evidence.model == "demo/tiny-gpt")' \
	    "$BATS_TEST_TMPDIR/clean/gate.json"
}

@test "pf-gate: concurrent gates of two models keep every registry entry" {
	stages demo/tiny-gpt
	mv "$run_dir" "$BATS_TEST_TMPDIR/a"
	mkdir -p "$run_dir"
	stages trusted-org/small-bert
	pf-gate --run "$BATS_TEST_TMPDIR/a" -o "$BATS_TEST_TMPDIR/a/gate.json" &
	pf-gate --run "$run_dir" -o "$run_dir/gate.json" &
	wait
	n=$(jq -s '[.[].files[]] | length' "$BATS_TEST_TMPDIR/a/fetch.json" "$run_dir/fetch.json")
	[ "$(jq '[.files[][]] | length' "$PF_HOME/verified/index.json")" = "$n" ]
}

@test "pf-gate: a gate interrupted before its rename leaves no verified folder, and the next one cleans up" {
	stages demo/tiny-gpt
	c=$(commit_of)
	# What an interrupted gate leaves: a private staging folder, read-only.
	mkdir -p "$PF_HOME/verified/demo/tiny-gpt/.$c.staging/sub"
	echo partial >"$PF_HOME/verified/demo/tiny-gpt/.$c.staging/sub/config.json"
	chmod -R a-w "$PF_HOME/verified/demo/tiny-gpt/.$c.staging"
	[ ! -e "$(verified_dir demo/tiny-gpt)" ]
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	[ ! -e "$PF_HOME/verified/demo/tiny-gpt/.$c.staging" ]
	[ ! -e "$(verified_dir demo/tiny-gpt)/sub" ]
}

@test "pf-gate: a verified folder that differs from the manifest is not replaced and blocks" {
	stages demo/tiny-gpt
	mkdir -p "$(verified_dir demo/tiny-gpt)"
	echo '{}' >"$(verified_dir demo/tiny-gpt)/config.json"
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	jq -e 'any(.gate.reasons[]; .reason == "verified.differs")
	    and any(.findings[]; .rule == "gate.verified.missing")' "$run_dir/gate.json"
	[ "$(cat "$(verified_dir demo/tiny-gpt)/config.json")" = '{}' ]
}

@test "pf-gate: a blocked model runs the policy's alert command with gate.json's path" {
	stages olduser/pickle-only
	pf_policy ".gate.alert_command = [\"cp\", \"--\"] | .gate.alert_command += []"
	# cp -- GATE (one argument) fails: its failure is reported, not fatal.
	run -1 --separate-stderr pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	[[ "$stderr" == *"alert_command 'cp' exited"* ]]
	printf '#!/bin/sh\ncp "$1" "%s/alerted.json"\n' "$BATS_TEST_TMPDIR" >"$BATS_TEST_TMPDIR/alert"
	chmod +x "$BATS_TEST_TMPDIR/alert"
	pf_policy ".gate.alert_command = [\"$BATS_TEST_TMPDIR/alert\"]"
	run -1 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	cmp "$BATS_TEST_TMPDIR/alerted.json" "$run_dir/gate.json"
}

@test "pf-gate: --no-promote decides without touching the store" {
	stages demo/tiny-gpt
	run -0 pf-gate --run "$run_dir" --no-promote -o "$run_dir/gate.json"
	jq -e '.gate.verified == null' "$run_dir/gate.json"
	[ ! -e "$PF_HOME/verified" ]
}

@test "pf-gate: a malformed scan artifact is exit 2 naming it" {
	stages demo/tiny-gpt
	echo '{"stage": ' >"$run_dir/scan-py.json"
	run -2 --separate-stderr pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	[[ "$stderr" == "pf-gate: "*"scan-py.json"* ]]
	[ ! -e "$run_dir/gate.json" ]
}

@test "pf-gate: stdout on /dev/full is exit 3" {
	stages demo/tiny-gpt
	run -3 --separate-stderr bash -c 'exec pf-gate --run "$1" --no-promote >/dev/full' _ "$run_dir"
}

@test "pf-gate: made_from.inputs names every artifact it read with its SHA-256" {
	stages demo/tiny-gpt
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	local a want=()
	for a in plan fetch scan-deps scan-pickle scan-py scan-secrets scan-weights; do
		want+=("$run_dir/$a.json" "$(sha256sum <"$run_dir/$a.json" | cut -c1-64)")
	done
	jq -e --args '[$ARGS.positional | _nwise(2) | {path: .[0], sha256: .[1]}] as $w
	    | .made_from.input == {path: $w[0].path, sha256: $w[0].sha256}
	    and (.made_from.inputs | sort_by(.path)) == ($w | sort_by(.path))' \
	    "${want[@]}" <"$run_dir/gate.json"
}
