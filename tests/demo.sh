#!/usr/bin/env bash
# make demo: the bundled demo Hub on loopback, and the pipeline's first
# stages run on each of its models, with what each stage decided.
# Nothing here reaches the internet: HF_ENDPOINT is the local Hub.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
PF_BIN=${PF_BIN:-$repo/build/bin}
export PATH="$PF_BIN:$PATH"
work=$(mktemp -d "${TMPDIR:-/tmp}/pathfinder-demo.XXXXXX")
export HUB_DIR="$work/hub" PF_HOME="$work/store" PF_RULES_DIR="$repo/policies"
export SOURCE_DATE_EPOCH=1764064800
# shellcheck source=tests/hub.bash
. "$repo/tests/hub.bash"
trap 'hub_stop >/dev/null 2>&1; rm -rf "$work"' EXIT

say() { printf '%s\n' "$*"; }
say "Pathfinder demo: a local Hub with sample models ($work)"
hub_build >/dev/null || { say "demo: could not build the demo Hub"; exit 1; }
hub_start || { say "demo: could not start the demo Hub"; exit 1; }
say "local Hub at $HF_ENDPOINT"
jq '.allowlist = ["demo/tiny-gpt"] | .hub.allowed_hosts = ["127.0.0.1", "127.0.0.2"]' \
	"$repo/policies/default.json" >"$work/policy.json"
export PF_POLICY="$work/policy.json"

demo_model() {
	local id=$1 run="$PF_HOME/runs/$1"
	mkdir -p "$run"
	say ""
	say "== $id"
	pf-preflight -o "$run/plan.json" "$id"
	local rc=$?
	if [ ! -f "$run/plan.json" ]; then
		say "   preflight failed (exit $rc)"
		return
	fi
	jq -r '"   [1] preflight: \(.preflight.decision) (exit '"$rc"')",
	    "       allowlist: \(.preflight.allowlist_status), approval: \(.preflight.approval_level)",
	    "       format check: \(.preflight.format_check), remote code: \(.preflight.trust_remote_code_required)",
	    "       parameters: \(.resource_plan.parameters.total) (\(.resource_plan.parameters.by_dtype | to_entries | map("\(.key) \(.value)") | join(", ")))",
	    "       \(.resource_plan.recommended_device_count) x \(.resource_plan.device_type) recommended",
	    (.files[] | select(.action == "skip") | "       skip \(.path): \(.reason)"),
	    (.preflight.risk_warnings[] | "       ! \(.)"),
	    (.findings[] | select(.severity != "info") | "       \(.severity): \(.rule): \(.message)")' \
	    "$run/plan.json"
	if [ "$(jq -r .preflight.next_stage "$run/plan.json")" != download ] ||
	    ! command -v pf-fetch >/dev/null; then
		return
	fi
	pf-fetch --quiet -i "$run/plan.json" -o "$run/fetch.json"
	rc=$?
	[ -f "$run/fetch.json" ] && jq -r '"   [2] fetch: \(.status) (exit '"$rc"'), \(.files | length) files into quarantine"' \
	    "$run/fetch.json"
	local scanner
	for scanner in pf-scan-pickle pf-scan-py pf-scan-weights pf-scan-secrets pf-scan-deps; do
		command -v "$scanner" >/dev/null && [ -f "$run/fetch.json" ] || continue
		"$scanner" -i "$run/fetch.json" -o "$run/${scanner#pf-}.json" 2>/dev/null
		rc=$?
		[ -f "$run/${scanner#pf-}.json" ] && jq -r '"   [3] \(.stage): \(.status) (exit '"$rc"'), \(.findings | length) findings",
		    (.findings[] | select(.severity == "critical" or .severity == "high")
		    | "       \(.severity): \(.file): \(.rule)")' "$run/${scanner#pf-}.json"
	done
}

for id in demo/tiny-gpt demo/tiny-bert demo/remote-code-model demo/pickle-model; do
	demo_model "$id"
done
say ""
say "artifacts were in $PF_HOME/runs (removed on exit; rerun with stages by hand to keep them)"
