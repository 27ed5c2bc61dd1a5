#!/usr/bin/env bats
# What every tool shares (lib/tool/pf_tool, pf_diag, pf_inputs): the one-line
# verdict on stderr, -q and -v, getopt's messages under the tool's name, an
# artifact given as a PATH, a terminal on stdin, plain scans with no store,
# and "made_from", what an artifact was made from. The Hub parts (a denied
# plan, reruns) are in pipeline.bats and pf-fetch.bats.

bats_require_minimum_version 1.5.0

TOOLS="pf-preflight pf-fetch pf-scan-pickle pf-scan-py pf-scan-weights pf-gate pf-sign pf-verify pf-mlbom
    pf-scan-secrets pf-scan-deps pf-redact pf-audit pf-approve"
SCANNERS="pf-scan-pickle pf-scan-py pf-scan-weights pf-scan-secrets pf-scan-deps"

setup() {
	load helpers
	D="$BATS_TEST_TMPDIR/model"
	mkdir -p "$D"
	gen_fixture pickle evil-global-proto0 >"$D/evil.pkl"
	echo '{"model_type": "llama"}' >"$D/config.json"
}

# fetch_of FILE...: a fetch.json listing FILEs of $D, copied into a
# quarantine folder laid out as pf-fetch's, with their SHA-256
fetch_of() {
	local f q="$BATS_TEST_TMPDIR/q/acme/m/0000000000000000000000000000000000000000" args=()
	mkdir -p "$q"
	for f in "$@"; do
		cp "$D/$f" "$q/$f"
		args+=("$f" "$(sha256sum "$D/$f" | cut -c1-64)" "$(stat -c %s "$D/$f")")
	done
	jq -n --arg d "$q" --args '{pathfinder_version: "0.1.0", stage: "fetch",
	    generated_at: "2025-11-25T10:00:00Z",
	    model: {id: "acme/m", revision: "main", commit: ("0" * 40)},
	    status: "passed", findings: [], quarantine: $d,
	    files: [$ARGS.positional | _nwise(3) | select(length == 3) | {path: .[0],
	        quarantine_path: ($d + "/" + .[0]), size: (.[2] | tonumber),
	        sha256: .[1]}]}' "${args[@]}"
}

@test "every tool: getopt's messages name the tool, not the path it was run by" {
	local t
	for t in $TOOLS; do
		run -2 --separate-stderr "$PF_BIN/$t" --no-such-option
		[[ "${stderr_lines[0]}" == "$t: unrecognized option '--no-such-option'" ]]
		run -2 --separate-stderr "$PF_BIN/$t" -Z
		[[ "${stderr_lines[0]}" == "$t: invalid option -- 'Z'" ]]
	done
}

@test "every tool: -q/--quiet and -v/--verbose are options, and not together" {
	local t
	for t in $TOOLS; do
		run -0 --separate-stderr "$t" --help
		[[ "$output" == *"-q, --quiet"* && "$output" == *"-v, --verbose"* ]]
		grep -q '^\.It Fl q , ' "$PF_REPO/man/$t.1"
		grep -q '^\.It Fl v , ' "$PF_REPO/man/$t.1"
		run -2 --separate-stderr "$t" -q -v
		[[ "$stderr" == *"-q and -v exclude each other"* ]]
	done
}

@test "a verdict says itself: one line, the word, counts, the first finding, the artifact" {
	run -1 --separate-stderr pf-scan-pickle -o "$BATS_TEST_TMPDIR/s.json" "$D/evil.pkl"
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "pf-scan-pickle: failed: 1 finding (1 critical): pickle.global.not-allowed in '$D/evil.pkl'; artifact '$BATS_TEST_TMPDIR/s.json'" ]]
	run -1 --separate-stderr pf-scan-pickle -q "$D/evil.pkl"
	[ -z "$stderr" ]
	jq -e '.status == "failed"' <<<"$output"
}

@test "a pass is silent, and says itself with -v" {
	run -0 --separate-stderr pf-scan-pickle "$D/config.json"
	[ -z "$stderr" ]
	run -0 --separate-stderr pf-scan-pickle -v "$D/config.json"
	[[ "${stderr_lines[-1]}" == "pf-scan-pickle: passed: 0 findings; artifact on stdout" ]]
}

@test "every scanner: an artifact given as a PATH stops with 'did you mean -i?'" {
	local t
	fetch_of config.json >"$BATS_TEST_TMPDIR/fetch.json"
	for t in $SCANNERS; do
		run -2 --separate-stderr "$t" "$BATS_TEST_TMPDIR/fetch.json"
		[ -z "$output" ]
		[ "$stderr" = "$t: '$BATS_TEST_TMPDIR/fetch.json': a Pathfinder 'fetch' artifact, not a file to scan; did you mean -i '$BATS_TEST_TMPDIR/fetch.json'?" ]
	done
}

@test "every scanner: a terminal on stdin is said, not waited on in silence" {
	local t
	for t in $SCANNERS; do
		# script(1) gives the tool a terminal; its own stdin ends at once
		run script -qec "$t" /dev/null </dev/null
		[[ "$output" == *"$t: reading the fetch artifact from the terminal; end it with Ctrl-D, or give -i FILE"* ]]
	done
}

@test "every scanner: plain paths with no HOME and no store write the artifact" {
	local t
	for t in $SCANNERS; do
		run --separate-stderr env -u HOME -u PF_HOME -u XDG_DATA_HOME \
		    "$t" -o "$BATS_TEST_TMPDIR/$t.json" "$D"
		[ "$status" -le 1 ]
		jq -e '.coverage.scanned + (.coverage.not_scanned | length) == 2' "$BATS_TEST_TMPDIR/$t.json"
		[[ "$stderr" == *"$t: warning: no audit log (PF_HOME, XDG_DATA_HOME and HOME are unset): this verdict is not recorded"* ]]
	done
	# and the finding is there: the scan was not lost for want of a log
	jq -e '.findings[0].evidence.global == "posix.system"' "$BATS_TEST_TMPDIR/pf-scan-pickle.json"
}

@test "a model's scan still needs the audit log" {
	fetch_of config.json >"$BATS_TEST_TMPDIR/fetch.json"
	run -3 --separate-stderr env -u HOME -u PF_HOME -u XDG_DATA_HOME \
	    pf-scan-pickle -i "$BATS_TEST_TMPDIR/fetch.json" -o "$BATS_TEST_TMPDIR/s.json"
	[[ "$stderr" == "pf-scan-pickle: audit log: no PF_HOME, XDG_DATA_HOME or HOME"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/s.json" ]
}

@test "made_from: the policy's, the input's (the only one of inputs) and the rule table's SHA-256, each file's as fetch.json gave it" {
	fetch_of config.json evil.pkl >"$BATS_TEST_TMPDIR/fetch.json"
	run -1 --separate-stderr pf-scan-pickle -q --profile sklearn -i "$BATS_TEST_TMPDIR/fetch.json"
	local pol in tab
	pol=$(sha256sum "$PF_POLICY" | cut -c1-64)
	in=$(sha256sum "$BATS_TEST_TMPDIR/fetch.json" | cut -c1-64)
	tab=$(sha256sum "$PF_REPO/policies/pickle-globals.json" | cut -c1-64)
	jq -e --arg pol "$pol" --arg in "$in" --arg tab "$tab" \
	    --arg p "$PF_POLICY" --arg i "$BATS_TEST_TMPDIR/fetch.json" \
	    --slurpfile f "$BATS_TEST_TMPDIR/fetch.json" '.made_from
	    | .tool == "pf-scan-pickle 0.1.0"
	    and .policy == {path: $p, sha256: $pol}
	    and .input == {path: $i, sha256: $in} and .inputs == [.input]
	    and .rules == [{path: "'"$PF_REPO"'/policies/pickle-globals.json", sha256: $tab}]
	    and .options == {profile: ["sklearn"]}
	    and .files == [$f[0].files[] | {path, sha256}]' <<<"$output"
}

@test "made_from: every scanner records its rule tables" {
	local t
	for t in pf-scan-pickle pf-scan-py pf-scan-weights pf-scan-secrets; do
		run --separate-stderr "$t" -q "$D/config.json"
		jq -e '.made_from.rules | length >= 1 and all(.[]; .sha256 | test("^[0-9a-f]{64}$"))' <<<"$output"
	done
}

@test "coverage: an empty folder is never a pass" {
	local t
	mkdir "$BATS_TEST_TMPDIR/empty"
	for t in $SCANNERS; do
		run -1 --separate-stderr "$t" "$BATS_TEST_TMPDIR/empty"
		jq -e --arg p "${t#pf-scan-}" '.status == "failed" and .coverage.state == "none"
		    and .coverage.scanned == 0
		    and any(.findings[]; .rule == $p + ".coverage.empty")' <<<"$output"
		summary_only failed
	done
}

@test "coverage: files not scanned are listed with why" {
	run -0 --separate-stderr pf-scan-py "$D"
	jq -e '.coverage == {state: "complete", scanned: 0, not_scanned: [
	    {path: "config.json", reason: "not a file this scanner reads"},
	    {path: "evil.pkl", reason: "not a file this scanner reads"}]}' <<<"$output"
}

@test "coverage: a manifest whose files of the scanner's kind were all skipped is never a pass" {
	fetch_of >"$BATS_TEST_TMPDIR/fetch.json"
	jq '.skipped = [{path: "pytorch_model.bin", format: "pickle",
	    reason: "pickle format blocked by policy"}]' "$BATS_TEST_TMPDIR/fetch.json" >"$BATS_TEST_TMPDIR/f2.json"
	run -1 --separate-stderr pf-scan-pickle -i "$BATS_TEST_TMPDIR/f2.json"
	jq -e '.coverage.state == "none" and .coverage.not_scanned == [{path: "pytorch_model.bin",
	    reason: "not downloaded: pickle format blocked by policy"}]
	    and any(.findings[]; .rule == "pickle.coverage.none"
	    and (.message | contains("pytorch_model.bin")))' <<<"$output"
	[[ "$stderr" == "pf-scan-pickle: failed: 1 finding (1 high): pickle.coverage.none; artifact on stdout" ]]
}

@test "coverage: a scan of a failed manifest fails too, whatever it finds" {
	fetch_of config.json | jq '.status = "failed" | .plan = {decision: "denied"}' >"$BATS_TEST_TMPDIR/fetch.json"
	local t
	for t in $SCANNERS; do
		run -1 --separate-stderr "$t" -q -i "$BATS_TEST_TMPDIR/fetch.json"
		jq -e --arg p "${t#pf-scan-}" 'any(.findings[]; .rule == $p + ".input.failed"
		    and (.message | contains("the plan denied this model")))' <<<"$output"
	done
}

@test "a slow failure says what it waits for: each retry with its cause and its wait" {
	# the Hub is a closed port on loopback (helpers.bash)
	pf_policy '.hub.retries = 2 | .hub.backoff_initial_seconds = 0.01'
	run -3 --separate-stderr pf-preflight -v acme/tiny-llama
	[[ "${stderr_lines[0]}" == "pf-preflight: '$HF_ENDPOINT/api/models/acme/tiny-llama/revision/main?"*"': Couldn't connect to server; retry 1 of 2 in 0.0"?" s" ]]
	[[ "${stderr_lines[1]}" == *"retry 2 of 2 in 0.0"?" s" ]]
	# waits of a second or more are said without -v, and -q silences them
	pf_policy '.hub.retries = 1 | .hub.backoff_initial_seconds = 2'
	run -3 --separate-stderr pf-preflight acme/tiny-llama
	[[ "${stderr_lines[0]}" == *"Couldn't connect to server; retry 1 of 1 in "[12]" s" ]]
	run -3 --separate-stderr pf-preflight -q acme/tiny-llama
	[[ "$stderr" != *"retry 1 of 1"* ]]
}

@test "-v says how long each file took, so a slow one shows" {
	local t
	for t in pf-scan-pickle pf-scan-py pf-scan-weights pf-scan-secrets; do
		run --separate-stderr "$t" -v "$D"
		[[ "$stderr" == *"$t: 'config.json': scanned in "*" s"* ]] ||
		    [ "$t" = pf-scan-py ]
		[[ "${stderr_lines[-1]}" == "$t: "*": "*" finding"* ]]
	done
}
