#!/usr/bin/env bats
# README.md's worked example, run as printed against the local Hub: the
# commands are taken from the README itself, so the two cannot drift apart.
# Only the paths change (the test's own folder, the built tools, a free
# port), and each command marked "# N" must exit N.

bats_require_minimum_version 1.5.0
setup() { load helpers; }

# The README's shell blocks under "## A worked example", rewritten to run in
# the test's folder, each "cmd  # N: ..." checked for exit status N.
example_script() {
	local port=$1
	echo 'trap '\''kill $(jobs -p) 2>/dev/null'\'' EXIT'
	awk '/^## A worked example/ { on = 1; next } /^## / { on = 0 }
	    on && /^```sh$/ { blk = 1; next } blk && /^```$/ { blk = 0; next }
	    blk { print }' "$PF_REPO/README.md" |
	sed -E -e "s|\\\$PWD/build/bin|$PF_BIN|g" -e "s| tests/| $PF_REPO/tests/|g" \
	    -e "s|/tmp/pf-|$BATS_TEST_TMPDIR/pf-|g" -e "s|8088|$port|g" \
	    -e 's/^(pf-[^#]*[^ #]) +# ([0-3])([^0-9].*)?$/\1; rc=$?; [ $rc -eq \2 ] || { echo "exit $rc, the README says \2: \1" >\&2; exit 1; }/' \
	    -e 's|^export HF_ENDPOINT=.*$|&\nfor _ in $(seq 100); do curl -s "$HF_ENDPOINT/api/models" >/dev/null \&\& break; sleep 0.1; done|'
}

@test "README: the worked example works as printed against the local Hub" {
	local port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	example_script "$port" >"$BATS_TEST_TMPDIR/example.sh"
	# Every annotated command became a check.
	[ "$(grep -c 'the README says' "$BATS_TEST_TMPDIR/example.sh")" -ge 10 ]
	unset PF_POLICY PF_RULES_DIR HF_ENDPOINT
	cd "$BATS_TEST_TMPDIR"
	run bash "$BATS_TEST_TMPDIR/example.sh"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *'"proceed"'* ]]
	[ "$(grep -cx passed <<<"$output")" = 1 ]
	jq -e '.status == "passed"' "$BATS_TEST_TMPDIR/gate.json"
	jq -e '.preflight.hub.private' "$BATS_TEST_TMPDIR/private.json"
}
