#!/usr/bin/env bats
# The stages chained as the driver and model.mk will chain them, on the
# local Hub: each artifact is the next stage's input, and the verdicts
# agree with what the fixture models are.

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
	pf_policy '.hub.backoff_initial_seconds = 0.01'
	run_dir="$BATS_TEST_TMPDIR/run"
	mkdir -p "$run_dir"
}

# stage NAME TOOL ARGS...: runs one stage with -o into the run folder and
# prints its exit status; the artifact must exist after a 0 or a 1.
stage() {
	local name=$1 tool=$2
	shift 2
	"$tool" "$@" -o "$run_dir/$name.json" 2>"$run_dir/$name.err"
	local rc=$?
	echo "$rc"
	if [ "$rc" -le 1 ]; then
		[ -f "$run_dir/$name.json" ] || echo "missing $name.json"
	fi
}

scan_all() {
	local s
	for s in scan-pickle scan-py scan-weights scan-secrets scan-deps; do
		echo "$s $(stage "$s" "pf-$s" -i "$run_dir/fetch.json")"
	done
}

@test "pipeline: an allow-listed safetensors model passes every stage" {
	[ "$(stage plan pf-preflight demo/tiny-gpt)" = 0 ]
	[ "$(stage fetch pf-fetch --quiet -i "$run_dir/plan.json")" = 0 ]
	run -0 scan_all
	[ "$output" = "scan-pickle 0
scan-py 0
scan-weights 0
scan-secrets 0
scan-deps 0" ]
	commit=$(hub_commit demo/tiny-gpt)
	for a in "$run_dir"/*.json; do
		jq -e --arg c "$commit" '.model.commit == $c and .model.id == "demo/tiny-gpt"' "$a"
	done
}

@test "pipeline: a remote-code model is fetched for review and its code is scanned" {
	[ "$(stage plan pf-preflight demo/remote-code-model)" = 1 ]
	jq -e '.preflight.approval_level == "two-person" and .preflight.next_stage == "download"' \
	    "$run_dir/plan.json"
	[ "$(stage fetch pf-fetch --quiet -i "$run_dir/plan.json")" = 0 ]
	jq -e '[.files[].path] | index("modeling_custom.py")' "$run_dir/fetch.json"
	[ "$(stage scan-py pf-scan-py -i "$run_dir/fetch.json")" -le 1 ]
	jq -e '.stage == "scan-py"' "$run_dir/scan-py.json"
}

@test "pipeline: a denied plan leaves nothing to fetch" {
	[ "$(stage plan pf-preflight demo/pickle-model)" = 1 ]
	jq -e '.preflight.decision == "denied"
	    and all(.files[]; .path != "pytorch_model.bin" or .action == "skip")' "$run_dir/plan.json"
	# pf-fetch refuses it: exit 1, a finding, nothing downloaded, and the
	# plan's decision and skipped files carried for the stages after it
	hub_clear_requests
	[ "$(stage fetch pf-fetch -i "$run_dir/plan.json")" = 1 ]
	[ "$(jq -s length "$(hub_requests)")" = 0 ]
	[ ! -e "$PF_HOME/quarantine/demo" ]
	jq -e '.status == "failed" and .files == []
	    and .plan.decision == "denied"
	    and [.findings[].rule] == ["fetch.plan.denied"]
	    and (.skipped | any(.path == "pytorch_model.bin"
	        and (.reason | test("pickle"))))' "$run_dir/fetch.json"
	[ "$(cat "$run_dir/fetch.err")" = "pf-fetch: failed: 1 finding (1 critical): fetch.plan.denied; artifact '$run_dir/fetch.json'" ]
	# no scanner passes it later, so a | b | c ends in failure
	for s in scan-pickle scan-py scan-weights scan-secrets scan-deps; do
		[ "$(stage "$s" "pf-$s" -i "$run_dir/fetch.json")" = 1 ]
		jq -e --arg p "${s#scan-}" 'any(.findings[]; .rule == $p + ".input.failed")' "$run_dir/$s.json"
	done
	jq -e '.coverage.state == "none" and any(.coverage.not_scanned[];
	    .path == "pytorch_model.bin")' "$run_dir/scan-pickle.json"
	# and the shell sees it in a pipe
	run -1 --separate-stderr bash -c 'set -o pipefail; pf-preflight -q demo/pickle-model |
	    pf-fetch -q | pf-scan-pickle -q'
}

@test "pipeline: CI tells approval-required from denied by the first word, without jq" {
	run -1 --separate-stderr pf-preflight -o "$run_dir/a.json" demo/remote-code-model
	[[ "${stderr_lines[-1]}" == "pf-preflight: approval-required: "* ]]
	run -1 --separate-stderr pf-preflight -o "$run_dir/d.json" demo/pickle-model
	[[ "${stderr_lines[-1]}" == "pf-preflight: denied: "*"; artifact '$run_dir/d.json'" ]]
	run -0 --separate-stderr pf-preflight -v -o "$run_dir/p.json" demo/tiny-gpt
	[[ "${stderr_lines[-1]}" == "pf-preflight: proceed: "* ]]
}

@test "pipeline: each stage refuses another stage's artifact" {
	[ "$(stage plan pf-preflight demo/tiny-gpt)" = 0 ]
	for tool in pf-scan-pickle pf-scan-py pf-scan-weights pf-scan-secrets pf-scan-deps; do
		run -2 --separate-stderr "$tool" -i "$run_dir/plan.json"
		[[ "$stderr" == *"stage is 'plan', expected 'fetch'"* ]]
	done
}

@test "pipeline: a model that lies about its checksums never gets past fetch" {
	pf_policy '.allowlist += ["evil/wrong-checksums"] | .hub.backoff_initial_seconds = 0.01'
	rc=$(stage plan pf-preflight evil/wrong-checksums)
	[ "$rc" -le 1 ]
	[ "$(stage fetch pf-fetch --quiet -i "$run_dir/plan.json")" = 1 ]
	jq -e '.status == "failed" and any(.files[]; .status == "rejected")' "$run_dir/fetch.json"
}

@test "pipeline: every stage's verdict lands in the audit log, and the chain verifies" {
	[ "$(stage plan pf-preflight demo/tiny-gpt)" = 0 ]
	[ "$(stage fetch pf-fetch --quiet -i "$run_dir/plan.json")" = 0 ]
	run -0 scan_all
	run -0 pf-audit verify
	jq -e -s --arg plan "$(sha256sum <"$run_dir/plan.json" | cut -d' ' -f1)" \
	    '[.[].event] | .[0].type == "plan.verdict" and .[0].artifact.sha256 == $plan
	    and .[1].type == "fetch.verdict" and .[1].exit == 0
	    and ([.[].type] | index("scan-py.verdict"))' "$PF_HOME/audit.log"
}

@test "pipeline: a gated model is signed, verifies, and fails once a byte changes" {
	[ "$(stage plan pf-preflight demo/tiny-gpt)" = 0 ]
	[ "$(stage fetch pf-fetch --quiet -i "$run_dir/plan.json")" = 0 ]
	run -0 scan_all
	run -0 pf-gate --run "$run_dir" -o "$run_dir/gate.json"
	(umask 077; openssl ecparam -genkey -name prime256v1 -noout -out "$BATS_TEST_TMPDIR/k.pem")
	openssl pkey -in "$BATS_TEST_TMPDIR/k.pem" -pubout -out "$BATS_TEST_TMPDIR/k.pub.pem"
	rc=$(stage sign pf-sign --key "$BATS_TEST_TMPDIR/k.pem" -i "$run_dir/gate.json" \
	    --fetch "$run_dir/fetch.json")
	[ "$rc" = 0 ]
	v=$(jq -r .gate.verified.path "$run_dir/gate.json")
	jq -e --arg v "$v" '.vouched_by_gate and .directory == $v and .model.id == "demo/tiny-gpt"
	    and (.files | map(.path)) == ([.files[].path] | sort)' "$run_dir/sign.json"
	# Every file but the git ones, which no OpenSSF signature covers.
	diff <(jq -r '.files[] | select(.path | startswith(".git") | not)
	    | "\(.path) \(.sha256)"' "$run_dir/fetch.json" | sort) \
	     <(jq -r '.files[] | "\(.path) \(.sha256)"' "$run_dir/sign.json" | sort)
	[ "$(stat -c %a "$v")" = 555 ]
	run -0 pf-verify --key "$BATS_TEST_TMPDIR/k.pub.pem" -o "$run_dir/verify.json" "$v"
	f=$(jq -r '.files[0].path' "$run_dir/sign.json")
	chmod u+w "$v" "$v/$f"
	printf 'x' >>"$v/$f"
	run -1 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/k.pub.pem" "$v"
	jq -e --arg f "$f" '[.findings[] | [.rule, .file]] == [["verify.file.changed", $f]]' <<<"$output"
}
