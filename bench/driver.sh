#!/usr/bin/env bash
# bench/driver.sh: what the driver (pipelines/pathfinder and model.mk)
# costs on top of the stage tools it runs, on the demo Hub's smallest
# model, where the tools themselves cost little and the driver's fixed
# cost shows.
#
# Each round, in turns, into a fresh store:
#
#   stages    the stage tools one by one, with the arguments model.mk gives
#             them: pf-preflight, pf-fetch, the five scanners, pf-approve
#             check, pf-gate, pf-sign, pf-mlbom, pf-report;
#   enable    `pathfinder enable demo/tiny-gpt` as a user types it (the same
#             stages through model.mk, its output drawn from the artifacts).
#
# Wall and CPU seconds (user + system of the side's processes) come from
# bash's time keyword; the figures are each side's median and best, and
# the ratio enable / stages round by round (median and best). With strace
# installed, one more run of each side, not timed, counts the programs it
# starts (successful execve).
#
# Usage: bench/driver.sh   (PF_BIN, BENCH_DIR, DRIVER_ROUNDS override the
#                          defaults). Needs: python3, jq, make, openssl,
#                          gpg (the demo Hub's signed models); strace for
#                          the counts.
# Writes the figures to stdout and into bench/README-e2e.md, between the
# driver markers.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PF_BIN=${PF_BIN:-$repo/build/bin}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/pf-bench-driver}
DRIVER_ROUNDS=${DRIVER_ROUNDS:-10}
readme=$here/README-e2e.md
model=demo/tiny-gpt
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

for tool in python3 jq make openssl; do
	command -v "$tool" >/dev/null || { echo "driver.sh: $tool not found" >&2; exit 3; }
done
[ -x "$PF_BIN/pf-preflight" ] || { echo "driver.sh: no $PF_BIN/pf-preflight (make first)" >&2; exit 3; }
export PATH=$PF_BIN:$repo/pipelines:$PATH PF_BIN
mkdir -p "$BENCH_DIR"

# The demo Hub on loopback: the mirror is built once into hub-cache (again
# when its recipes change) and copied for the run.
export HUB_DIR=$BENCH_DIR/hub PF_HUB_CACHE=$BENCH_DIR/hub-cache
rm -rf "$HUB_DIR"
# shellcheck source=tests/hub.bash
. "$repo/tests/hub.bash"
trap 'hub_stop >/dev/null 2>&1' EXIT
hub_build || exit 3
hub_start || exit 3

# The demo's policy (tests/demo.sh): the default, the local Hub's hosts,
# the model allow-listed.
jq --arg m "$model" '.allowlist = [$m] | .hub.allowed_hosts = ["127.0.0.1", "127.0.0.2"]' \
    "$repo/policies/default.json" >"$BENCH_DIR/policy.json"
export PF_POLICY=$BENCH_DIR/policy.json PF_SIGN_KEY=$BENCH_DIR/keys/signing.pem
export PF_RULES_DIR=$repo/policies SOURCE_DATE_EPOCH=1764064800
if [ ! -f "$PF_SIGN_KEY" ]; then
	mkdir -p "$BENCH_DIR/keys"
	(umask 077 && openssl ecparam -genkey -name prime256v1 -noout -out "$PF_SIGN_KEY")
	openssl ec -in "$PF_SIGN_KEY" -pubout -out "${PF_SIGN_KEY%.pem}.pub.pem" 2>/dev/null
fi
store=$BENCH_DIR/store

# tool ARG...: one stage tool; 0 or 1 (a verdict) go on, as in model.mk.
tool() {
	local rc=0
	"$@" 2>>"$BENCH_DIR/stages.err" || rc=$?
	[ $rc -le 1 ] || { echo "driver.sh: $1 exited $rc (see $BENCH_DIR/stages.err)" >&2; exit 3; }
}

# stages: every stage tool in turn into the store (removed before).
stages() {
	local run=$store/run s
	mkdir -p "$run"
	PF_HOME=$store
	export PF_HOME
	tool pf-preflight "$model" --revision main -o "$run/plan.json"
	tool pf-fetch -i "$run/plan.json" -o "$run/fetch.json"
	for s in pickle py weights secrets deps; do
		tool "pf-scan-$s" -i "$run/fetch.json" -o "$run/scan-$s.json"
	done
	tool pf-approve check --plan "$run/plan.json" --fetch "$run/fetch.json" -o "$run/approve.json"
	tool pf-gate --plan "$run/plan.json" -i "$run/fetch.json" --approval "$run/approve.json" \
	    "$run"/scan-*.json -o "$run/gate.json"
	tool pf-sign --key "$PF_SIGN_KEY" -i "$run/gate.json" --fetch "$run/fetch.json" -o "$run/sign.json"
	tool pf-mlbom --run "$run" -o "$run/mlbom.json"
	tool pf-report --run "$run" -o "$run/report.html"
	unset PF_HOME
}

# enable: pathfinder enable into the store (removed before).
enable() {
	PF_HOME=$store pathfinder enable "$model" >"$BENCH_DIR/enable.out" 2>&1 ||
	    { echo "driver.sh: pathfinder enable failed (see $BENCH_DIR/enable.out)" >&2; exit 1; }
}

# timed SIDE: runs it on a fresh store, appends "wall cpu" to
# BENCH_DIR/SIDE.times.
timed() {
	local t
	rm -rf "$store"
	t=$( { TIMEFORMAT='%3R %3U %3S'; time "$1" >/dev/null; } 2>&1) || exit 1
	awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$t" >>"$BENCH_DIR/$1.times"
}

# execs SIDE: the programs one run of SIDE on a fresh store starts
# (successful execve), less the bash that strace starts to run it.
execs() {
	rm -rf "$store"
	strace -f -qq -z -e trace=execve -e signal=none -o "$BENCH_DIR/$1.strace" \
	    bash -c "$1" >/dev/null 2>&1
	echo $(($(grep -c 'execve(' "$BENCH_DIR/$1.strace") - 1))
}
export -f stages enable tool
export model store BENCH_DIR

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best() { sort -n | head -1; }
col() { awk -v c="$1" '{ print $c }' "$BENCH_DIR/$2.times"; }

rm -f "$BENCH_DIR"/*.times "$BENCH_DIR/stages.err"
rm -rf "$store" && enable	# a warm-up of each side, not counted
rm -rf "$store" && stages
jq -e '.gate.decision == "passed"' "$store/run/gate.json" >/dev/null ||
    { echo "driver.sh: the stages did not pass the gate" >&2; exit 1; }
for ((r = 1; r <= DRIVER_ROUNDS; r++)); do
	timed stages
	timed enable
done
rm -rf "$store"
load=$(cut -d' ' -f1-3 /proc/loadavg)
# Ratios round by round (enable / stages), wall then CPU.
paste "$BENCH_DIR/enable.times" "$BENCH_DIR/stages.times" |
    awk '{ printf "%.2f %.2f\n", $1 / $3, $2 / $4 }' >"$BENCH_DIR/ratio.times"
# The driver's own cost round by round: enable less stages.
paste "$BENCH_DIR/enable.times" "$BENCH_DIR/stages.times" |
    awk '{ printf "%.3f %.3f\n", $1 - $3, $2 - $4 }' >"$BENCH_DIR/driver.times"

ex_stages=n/a ex_enable=n/a
if command -v strace >/dev/null; then
	ex_stages=$(execs stages)
	ex_enable=$(execs enable)
fi
row() {	# row LABEL SIDE: its median and best, wall and CPU
	printf '| %s | %s | %s | %s | %s |' "$1" \
	    "$(col 1 "$2" | median)" "$(col 1 "$2" | best)" "$(col 2 "$2" | median)" "$(col 2 "$2" | best)"
}
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

results=$(cat <<EOF
Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), $(uname -sr); \`$model\` on the demo
Hub (tests/hub), a fresh store each run; $DRIVER_ROUNDS rounds in turns; load average at the end $load.

| side | wall median (s) | wall best (s) | CPU median (s) | CPU best (s) | programs started |
|---|---|---|---|---|---|
$(row "stage tools one by one" stages) $ex_stages |
$(row "\`pathfinder enable\`" enable) $ex_enable |
$(row "the driver's own (enable less stages)" driver) $( [ "$ex_enable" = n/a ] && echo n/a || echo $((ex_enable - ex_stages)) ) |
$(row "enable / stages" ratio) |
EOF
)
printf '%s\n' "$results"
bench_record "$readme" "$results" driver
