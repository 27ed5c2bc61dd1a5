#!/usr/bin/env bats
# pf-report: HTML (rendered in Debian's chromium, headless), SARIF (checked
# against the OASIS schema) and text, from a real run on the local Hub and
# from a run whose artifacts carry what a hostile model writes.

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
	run_dir="$BATS_TEST_TMPDIR/run"
	mkdir -p "$run_dir"
}

stages() { pf_run_stages "$1" "$run_dir" gate; }

# hostile: findings, a file name and evidence as an attacker would write
# them; the beacon URL is a server of this test's, which must see nothing.
hostile() {
	local url=$1 x='<script>document.title="pwned";fetch("'"$url"'/s")</script>'
	jq --arg x "$x" --arg img "<img src=\"$url/i.png\" onerror=\"document.title='pwned'\">" '
	    .status = "failed"
	    | .findings = [{"rule": "py.exec.eval", "severity": "critical", "id": "1111111111111111",
	        "file": $img, "message": $x, "evidence": {"source": ($x + "<style>body{background:url(" + $img + ")}</style>")}}]' \
	    "$run_dir/scan-py.json" >"$run_dir/x" && mv "$run_dir/x" "$run_dir/scan-py.json"
	jq --arg img "<img src=\"$url/f.png\">" '.files[0].path = $img' "$run_dir/fetch.json" >"$run_dir/x"
	mv "$run_dir/x" "$run_dir/fetch.json"
}

# beacon_start: a loopback HTTP server that logs every request it gets;
# sets BEACON_URL and BEACON_PID.
beacon_start() {
	python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        open(sys.argv[2], "a").write(self.path + "\n"); self.send_response(404); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write(str(s.server_port))
s.serve_forever()' "$BATS_TEST_TMPDIR/port" "$BATS_TEST_TMPDIR/hits" >/dev/null 2>&1 3>&- &
	BEACON_PID=$!
	for _ in $(seq 50); do [ -s "$BATS_TEST_TMPDIR/port" ] && break; sleep 0.1; done
	touch "$BATS_TEST_TMPDIR/hits"
	BEACON_URL="http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/port")"
}

teardown() {
	[ -z "${BEACON_PID:-}" ] || kill "$BEACON_PID" 2>/dev/null || true
}

chromium_bin() {
	command -v chromium || command -v chromium-browser || skip "Debian's chromium is not installed (make deps installs it)"
}

@test "pf-report: --help, --version and a bad format" {
	run -0 pf-report --help
	[[ "${lines[0]}" == "usage: pf-report "* ]]
	run -0 pf-report --version
	[ "$output" = "pf-report 0.1.0" ]
	run -2 --separate-stderr pf-report --format pdf --run .
	[[ "$stderr" == *"--format 'pdf': not html, sarif or text"* ]]
}

@test "pf-report: the HTML page is self-contained: a strict CSP, no script, no external asset" {
	stages helpful-ai/custom-model
	run -0 pf-report --run "$run_dir" -o "$run_dir/report.html"
	grep -q "Content-Security-Policy\" content=\"default-src 'none'; style-src 'sha256-" "$run_dir/report.html"
	! grep -qi '<script\|<link\|src="http\|@import' "$run_dir/report.html"
	grep -q 'Verdict: needs-approval' "$run_dir/report.html"
	grep -q 'weights.config.auto-map' "$run_dir/report.html"
	grep -q '<meter' "$run_dir/report.html"
	# The style block's hash is the one the policy names.
	want=$(sed -n 's/.*<style>\(.*\)<\/style>.*/\1/p' "$run_dir/report.html" | tr -d '\n' |
	    openssl dgst -sha256 -binary | base64)
	grep -q "style-src 'sha256-$want'" "$run_dir/report.html"
}

@test "pf-report: a hostile model's strings are escaped, run no script and fetch nothing in chromium" {
	chromium_bin >/dev/null
	stages demo/tiny-gpt
	beacon_start
	hostile "$BEACON_URL"
	run -0 pf-report --run "$run_dir" -o "$run_dir/report.html"
	! grep -q '<script>document' "$run_dir/report.html"
	grep -q '&lt;script&gt;document.title=&quot;pwned&quot;' "$run_dir/report.html"
	run -0 timeout 60 "$(chromium_bin)" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --user-data-dir="$BATS_TEST_TMPDIR/chr" \
	    --virtual-time-budget=3000 --dump-dom "file://$run_dir/report.html"
	[[ "$output" == *"<title>Pathfinder: demo/tiny-gpt</title>"* ]]
	[[ "$output" != *"pwned</title>"* ]]
	timeout 60 "$(chromium_bin)" --headless --no-sandbox --disable-gpu \
	    --disable-background-networking --user-data-dir="$BATS_TEST_TMPDIR/chr" \
	    --window-size=1200,1600 --screenshot="$BATS_TEST_TMPDIR/shot.png" \
	    "file://$run_dir/report.html" 2>/dev/null
	[ -s "$BATS_TEST_TMPDIR/shot.png" ]
	[ ! -s "$BATS_TEST_TMPDIR/hits" ]
}

@test "pf-report: SARIF 2.1.0 validates against the OASIS schema, one result per finding" {
	stages helpful-ai/custom-model
	url=http://127.0.0.1:9
	hostile "$url"
	run -0 pf-report --run "$run_dir" --format sarif -o "$run_dir/report.sarif"
	node_ok=$PF_REPO/tests/node_modules/ajv-draft-04
	[ -d "$node_ok" ] || skip "ajv-draft-04 is not installed (make deps installs it where npm is present)"
	run -0 node "$PF_REPO/tests/schema/validate-draft4.cjs" "$PF_REPO/tests/schema/sarif-2.1.0-rtm.5.json" "$run_dir/report.sarif"
	n=$(jq -s '[.[] | .findings[] | select((.rule | startswith("gate.")) or true)] | length' \
	    "$run_dir/plan.json" "$run_dir/fetch.json" "$run_dir"/scan-*.json)
	g=$(jq '[.findings[] | select(.rule | startswith("gate."))] | length' "$run_dir/gate.json")
	[ "$(jq '.runs[0].results | length' "$run_dir/report.sarif")" = $((n + g)) ]
	jq -e '.runs[0].results[] | select(.ruleId == "py.exec.eval")
	    | .level == "error" and (.locations[0].physicalLocation.artifactLocation.uri | test("^%3Cimg"))' \
	    "$run_dir/report.sarif"
}

@test "pf-report: text for a terminal names the verdict and each finding" {
	stages helpful-ai/custom-model
	run -0 pf-report --run "$run_dir" --format text
	[[ "${lines[1]}" == "verdict: needs-approval" ]]
	[[ "$output" == *"high     scan-weights weights.config.auto-map 'config.json'"* ]]
}

@test "pf-report: artifacts named one by one, and one of another commit is refused" {
	stages demo/tiny-gpt
	run -0 pf-report --format text --no-audit "$run_dir/plan.json" "$run_dir/fetch.json" "$run_dir/scan-py.json"
	jq '.model.commit = "0000000000000000000000000000000000000000"' "$run_dir/scan-py.json" >"$run_dir/other.json"
	run -2 --separate-stderr pf-report --format text "$run_dir/plan.json" "$run_dir/other.json"
	[[ "$stderr" == *"of another model commit"* ]]
}

@test "pf-report: a folder that is not a run is exit 2; stdout on /dev/full is exit 3" {
	run -2 --separate-stderr pf-report --run "$BATS_TEST_TMPDIR"
	[[ "$stderr" == *"no plan.json: not a run folder"* ]]
	stages demo/tiny-gpt
	run -3 --separate-stderr bash -c 'exec pf-report --run "$1" >/dev/full' _ "$run_dir"
}
