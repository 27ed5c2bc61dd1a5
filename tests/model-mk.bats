#!/usr/bin/env bats
# pipelines/model.mk: one target per artifact with true dependencies, on
# the local Hub. Which stages ran is read from the artifacts' mtimes and
# from make's own answer to -q (up to date or not).

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
	mkdir -p "$PF_HOME/keys"
	(umask 077; openssl ecparam -genkey -name prime256v1 -noout -out "$PF_HOME/keys/signing.pem")
}

pmk() { make -s --no-print-directory -f "$PF_REPO/pipelines/model.mk" PF_BIN="$PF_BIN" "$@"; }
run_of() { echo "$PF_HOME/runs/$1/$(cat "$PF_HOME/runs/$1/main.commit")"; }
stamps() { stat -c '%n %Y.%y' "$1"/*.json "$1"/report.html 2>/dev/null | sort; }

@test "model.mk: the whole pipeline, then a second run does nothing" {
	run -0 pmk MODEL=demo/tiny-gpt
	d=$(run_of demo/tiny-gpt)
	for a in plan fetch scan-pickle scan-py scan-weights scan-secrets scan-deps approve gate sign mlbom; do
		[ -f "$d/$a.json" ]
	done
	[ -f "$d/report.html" ]
	c=$(cat "$PF_HOME/runs/demo/tiny-gpt/main.commit")
	run -0 pmk MODEL=demo/tiny-gpt COMMIT="$c" -q all
	before=$(stamps "$d")
	run -0 pmk MODEL=demo/tiny-gpt
	[ "$(stamps "$d")" = "$before" ]
}

@test "model.mk: deleting one artifact reruns exactly that stage and what depends on it" {
	run -0 pmk MODEL=demo/tiny-gpt
	d=$(run_of demo/tiny-gpt)
	rm "$d/scan-py.json"
	run -0 pmk MODEL=demo/tiny-gpt -n
	ran=$(grep -o 'pf-[a-z-]*' <<<"$output" | sort -u | tr '\n' ' ')
	[ "$ran" = "pf-gate pf-mlbom pf-report pf-scan-py pf-sign " ]
	run -0 pmk MODEL=demo/tiny-gpt
	[ -f "$d/scan-py.json" ]
}

@test "model.mk: a changed policy file reruns the stages that read it" {
	run -0 pmk MODEL=demo/tiny-gpt
	touch -d '+2 seconds' "$PF_POLICY"
	run -0 pmk MODEL=demo/tiny-gpt -n
	for t in pf-preflight pf-fetch pf-scan-pickle pf-scan-deps pf-approve pf-gate pf-mlbom; do
		[[ "$output" == *"$t"* ]]
	done
}

@test "model.mk: one stage for an auditor, after the plan it needs" {
	run -0 pmk MODEL=demo/tiny-gpt scan-pickle
	d=$(run_of demo/tiny-gpt)
	[ -f "$d/scan-pickle.json" ] && [ -f "$d/fetch.json" ]
	[ ! -e "$d/scan-py.json" ] && [ ! -e "$d/gate.json" ]
}

@test "model.mk: a stage that fails leaves no artifact, make stops, and a rerun resumes" {
	hub_fault '{"path": "/demo/tiny-bert/resolve/[0-9a-f]+/.gitattributes", "kind": "status", "status": 500}'
	pf_policy '.hub.retries = 0'
	# make's own status for a failed recipe is 2.
	run -2 pmk MODEL=demo/tiny-bert
	[[ "$output" == *"pf-fetch: "* ]]
	d=$(run_of demo/tiny-bert)
	[ -f "$d/plan.json" ] && [ ! -e "$d/fetch.json" ] && [ ! -e "$d/gate.json" ]
	hub_clear_faults
	run -0 pmk MODEL=demo/tiny-bert
	[ -f "$d/report.html" ]
}

@test "model.mk: several models at once with make -j do not interfere" {
	printf 'all: a b c\na:\n\t$(MAKE) -f %s PF_BIN=%s MODEL=demo/tiny-gpt\nb:\n\t$(MAKE) -f %s PF_BIN=%s MODEL=trusted-org/small-bert\nc:\n\t$(MAKE) -f %s PF_BIN=%s MODEL=acme/tiny-llama\n' \
	    "$PF_REPO/pipelines/model.mk" "$PF_BIN" "$PF_REPO/pipelines/model.mk" "$PF_BIN" \
	    "$PF_REPO/pipelines/model.mk" "$PF_BIN" >"$BATS_TEST_TMPDIR/many.mk"
	run -0 make -s -j6 -f "$BATS_TEST_TMPDIR/many.mk"
	for m in demo/tiny-gpt trusted-org/small-bert acme/tiny-llama; do
		jq -e '.gate.decision == "passed"' "$(run_of $m)/gate.json"
	done
	run -0 pf-audit verify
	want=$(jq -s '[.[].files | length] | add' "$(run_of demo/tiny-gpt)/fetch.json" \
	    "$(run_of trusted-org/small-bert)/fetch.json" "$(run_of acme/tiny-llama)/fetch.json")
	[ "$(jq '[.files[][]] | length' "$PF_HOME/verified/index.json")" = "$want" ]
}

@test "model.mk: no MODEL is a clear error" {
	run -2 make -s -f "$PF_REPO/pipelines/model.mk"
	[[ "$output" == *"MODEL is not set"* ]]
}
