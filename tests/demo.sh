#!/usr/bin/env bash
# make demo: the bundled demo Hub on loopback and `pathfinder enable` on
# each of its models, the way a user would run it: a clean model, a gated
# one that needs the token, one whose pickle the scan catches, and one
# with its own code that two approvers sign off. Everything it makes stays
# in DEMO_OUT (default ./demo-out) for a newcomer to open; nothing here
# reaches the internet (HF_ENDPOINT is the local Hub).
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
PF_BIN=${PF_BIN:-$repo/build/bin}
out=${DEMO_OUT:-$PWD/demo-out}
export PATH="$PF_BIN:$repo/pipelines:$PATH"
rm -rf "$out"
mkdir -p "$out" || exit 3
out=$(cd "$out" && pwd)
export HUB_DIR="$out/hub" PF_HOME="$out/store" PF_SIGN_KEY="$out/keys/signing.pem" PF_RULES_DIR="$repo/policies"
export SOURCE_DATE_EPOCH=1764064800 NO_COLOR=${NO_COLOR:-}
# shellcheck source=tests/hub.bash
. "$repo/tests/hub.bash"
trap 'hub_stop >/dev/null 2>&1' EXIT

say() { printf '%s\n' "$*"; }
say "Pathfinder demo: a local Hub with sample models; everything lands in $out"
hub_build >/dev/null || { say "demo: could not build the demo Hub"; exit 3; }
hub_start || { say "demo: could not start the demo Hub"; exit 3; }
say "local Hub at $HF_ENDPOINT"

# The demo's policy: the default, with the local Hub's hosts, two
# allow-listed models, pickle files fetched so that the scan can judge
# them, two approvers and a requester whose keys the demo makes.
mkdir -p "$out/keys"
for who in alice bob erin; do
	(umask 077; openssl ecparam -genkey -name prime256v1 -noout -out "$out/keys/$who.pem")
	openssl ec -in "$out/keys/$who.pem" -pubout -out "$out/keys/$who.pub.pem" 2>/dev/null
done
jq --arg a "$out/keys/alice.pub.pem" --arg b "$out/keys/bob.pub.pem" --arg e "$out/keys/erin.pub.pem" '
    .allowlist = ["demo/tiny-gpt", "demo/malicious-pickle", "acme/gated-llm"]
    | .hub.allowed_hosts = ["127.0.0.1", "127.0.0.2"]
    | .formats.allow_pickle = true
    | .approvals = {"rule": "two-person", "approvers": [
        {"id": "alice", "public_key": $a, "roles": ["approver"]},
        {"id": "bob", "public_key": $b, "roles": ["approver"]},
        {"id": "erin", "public_key": $e, "roles": ["requester"]}]}' \
    "$repo/policies/default.json" >"$out/policy.json"
export PF_POLICY="$out/policy.json"
printf '%s\n' "$PF_TEST_TOKEN" >"$out/hf-token"
chmod 600 "$out/hf-token"
export HF_TOKEN_PATH="$out/hf-token"

failed=0
# expect RC COMMAND...: runs a step as a user would type it, output shown.
expect() {
	local want=$1 rc
	shift
	say ""
	say "\$ $*"
	"$@"
	rc=$?
	if [ "$rc" != "$want" ]; then
		say "demo: expected exit $want from '$*', got $rc"
		failed=1
	fi
}

expect 0 pathfinder enable demo/tiny-gpt
expect 0 pathfinder enable acme/gated-llm
expect 1 pathfinder enable demo/malicious-pickle
# The design's second case: remote code, two approvals, then enable.
expect 1 pathfinder enable demo/remote-code-model
expect 0 pathfinder request-approval demo/remote-code-model --requester erin --key "$out/keys/erin.pem" --reason 'custom attention layer'
expect 0 pathfinder approve demo/remote-code-model --approver alice --key "$out/keys/alice.pem"
expect 0 pathfinder approve demo/remote-code-model --approver bob --key "$out/keys/bob.pem"
expect 0 pathfinder enable demo/remote-code-model --accept-remote-code-risk
expect 0 pathfinder list --verified
expect 0 pathfinder audit verify

say ""
say "Reports (open them in a browser):"
find "$PF_HOME/runs" -name report.html | sort | sed 's/^/  /'
say "The store: $PF_HOME (quarantine, verified, runs, approvals, audit.log)"
exit $failed
