#!/usr/bin/env bash
# bench/fetch.sh: pf-fetch against curl one file at a time plus sha256sum,
# in one run, on the same files served by nginx on loopback.
#
# A generated model of >= 2 GB in several shards (random bytes, plus a
# config.json) is laid out as the Hub's /resolve/ URLs under an nginx root;
# nginx (sendfile, 2 workers, no logs) is not the bottleneck. Each round runs
# the reference (curl each file in turn to disk, then sha256sum them all)
# and pf-fetch (a plan with the same files and their digests) into fresh
# folders on the same file system; the median of the rounds is reported.
# Peak resident memory of pf-fetch is taken from getrusage; a second, small
# model (one 64 MiB shard) shows that it does not grow with file size.
#
# BENCH_RATE (nginx's limit_rate, per connection: "50m" is 50 MiB/s) shapes
# the link like a network, where the cores and the disk wait for the bytes;
# unset, loopback delivers as fast as the cores copy. A shaped run records
# its figures in their own block of the page.
#
# Usage: bench/fetch.sh   (PF_BIN, BENCH_DIR, BENCH_SHARDS, BENCH_SHARD_MIB,
#                          BENCH_ROUNDS, BENCH_PARALLEL, BENCH_RATE override
#                          the defaults)
# Needs: nginx (Debian's nginx-light), curl, openssl, python3, jq, git.
# Writes the figures to stdout and into bench/README-fetch.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PF_BIN=${PF_BIN:-$repo/build/bin}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/pf-bench-fetch}
BENCH_SHARDS=${BENCH_SHARDS:-5}
BENCH_SHARD_MIB=${BENCH_SHARD_MIB:-420}
BENCH_ROUNDS=${BENCH_ROUNDS:-3}
BENCH_PARALLEL=${BENCH_PARALLEL:-4}
BENCH_RATE=${BENCH_RATE:-}
readme=$here/README-fetch.md
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

for tool in nginx curl openssl python3 jq git; do
	command -v "$tool" >/dev/null || { echo "fetch.sh: $tool not found" >&2; exit 3; }
done
[ -x "$PF_BIN/pf-fetch" ] || { echo "fetch.sh: no $PF_BIN/pf-fetch (make first)" >&2; exit 3; }

commit=0123456789abcdef0123456789abcdef01234567
www=$BENCH_DIR/www
mkdir -p "$BENCH_DIR"

# ------------------------------------------------------------ the model

# make_model ID SHARDS MIB: random shards and a config.json under the nginx
# root at /ID/resolve/COMMIT/, once (kept for later runs), and a list of
# "name size sha256 blob_id" in BENCH_DIR/ID.list.
make_model() {
	local id=$1 shards=$2 mib=$3 dir list i name f
	dir=$www/$id/resolve/$commit
	list=$BENCH_DIR/${id//\//--}-$shards-$mib.list
	if [ -f "$list" ]; then
		printf '%s\n' "$list"
		return
	fi
	rm -rf "$dir"
	mkdir -p "$dir"
	printf '{"model_type": "llama", "shards": %d}\n' "$shards" >"$dir/config.json"
	for ((i = 1; i <= shards; i++)); do
		name=$(printf 'model-%05d-of-%05d.safetensors' "$i" "$shards")
		# AES-CTR of zeros: incompressible bytes at disk speed.
		openssl enc -aes-128-ctr -nosalt -pass "pass:pf-bench-$i" -pbkdf2 </dev/zero 2>/dev/null |
		    head -c $((mib * 1024 * 1024)) >"$dir/$name"
	done
	: >"$list.tmp"
	for f in "$dir"/*; do
		name=${f##*/}
		sum=$(openssl dgst -sha256 -r "$f")
		printf '%s %s %s %s\n' "$name" "$(stat -c %s "$f")" "${sum%% *}" \
		    "$(git hash-object "$f")" >>"$list.tmp"
	done
	mv "$list.tmp" "$list"
	printf '%s\n' "$list"
}

# make_plan ID LIST: plan.json for those files (shards in LFS, config not).
make_plan() {
	local id=$1 list=$2
	jq -Rn --arg id "$id" --arg c "$commit" '
	    [inputs | split(" ") | {path: .[0], size: (.[1] | tonumber),
	        blob_id: .[3], lfs_sha256: (if .[0] | endswith(".safetensors") then .[2] else null end),
	        action: "download", reason: null}] as $files
	    | {pathfinder_version: "0.1.0", stage: "plan", generated_at: "2025-11-25T10:00:00Z",
	       model: {id: $id, revision: "main", commit: $c}, status: "passed", findings: [],
	       preflight: {decision: "proceed", approval_level: "auto", next_stage: "download"},
	       files: $files}' <"$list"
}

# ------------------------------------------------------------ nginx

nginx_pid=
stop_nginx() {
	if [ -n "$nginx_pid" ]; then
		kill "$nginx_pid" 2>/dev/null || true
		wait "$nginx_pid" 2>/dev/null || true
		nginx_pid=
	fi
}
trap stop_nginx EXIT

start_nginx() {
	bench_nginx "$BENCH_DIR/nginx" 127.0.0.1 "root $www;" "$BENCH_RATE"
	nginx_pid=$BENCH_NGINX_PID
	export HF_ENDPOINT=http://127.0.0.1:$BENCH_NGINX_PORT
}

# ------------------------------------------------------------ measuring

# timed CMD...: runs CMD, prints "seconds peak_rss_kib" of it and its children.
timed() {
	python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.run(sys.argv[1:]).returncode
e = time.monotonic() - t
if rc != 0:
    sys.exit("timed: %s exited %d" % (sys.argv[1], rc))
print("%.3f %d" % (e, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
EOF
}

# reference LIST OUT: curl each file in turn, then sha256sum them all.
reference() {
	local list=$1 out=$2 id=$3
	rm -rf "$out"
	mkdir -p "$out"
	timed bash -c '
	    set -e
	    out=$1 base=$2; shift 2
	    for f in "$@"; do curl -sf -o "$out/$f" "$base/$f"; done
	    cd "$out" && sha256sum -- "$@" >/dev/null' _ "$out" \
	    "$HF_ENDPOINT/$id/resolve/$commit" $(cut -d' ' -f1 "$list")
}

# curl_alone LIST OUT ID: curl fetching every file, BENCH_PARALLEL at once (as
# many as pf-fetch's fetch.parallel), to disk, nothing else: the rate of the
# network and the page cache that pf-fetch's streaming hash and fsync must
# hide behind.
curl_alone() {
	local list=$1 out=$2 id=$3 f
	local -a args=()
	rm -rf "$out"
	mkdir -p "$out"
	for f in $(cut -d' ' -f1 "$list"); do
		args+=(-o "$out/$f" "$HF_ENDPOINT/$id/resolve/$commit/$f")
	done
	if [ "${4:-}" = sync ]; then
		# The same, and then until the bytes are on disk, as pf-fetch's are.
		timed sh -c 'curl "$@" && sync' _ -sfL --no-progress-meter --parallel \
		    --parallel-immediate --parallel-max "$BENCH_PARALLEL" "${args[@]}"
	else
		timed curl -sfL --no-progress-meter --parallel --parallel-immediate \
		    --parallel-max "$BENCH_PARALLEL" "${args[@]}"
	fi
}

# pathfinder PLAN HOME: pf-fetch the plan into a fresh store.
pathfinder() {
	local plan=$1 home=$2
	rm -rf "$home"
	PF_HOME=$home timed "$PF_BIN/pf-fetch" --quiet --policy "$BENCH_DIR/policy.json" \
	    -i "$plan" -o "$BENCH_DIR/fetch.json"
	jq -e '.status == "passed" and all(.files[]; .status == "verified")' \
	    "$BENCH_DIR/fetch.json" >/dev/null || { echo "fetch.sh: pf-fetch did not verify" >&2; exit 1; }
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ------------------------------------------------------------ the run

echo "fetch.sh: generating the model in $BENCH_DIR (once) ..."
big=$(make_model bench/big "$BENCH_SHARDS" "$BENCH_SHARD_MIB")
small=$(make_model bench/small 1 64)
make_plan bench/big "$big" >"$BENCH_DIR/big.plan.json"
make_plan bench/small "$small" >"$BENCH_DIR/small.plan.json"
jq --argjson p "$BENCH_PARALLEL" '.hub.allowed_hosts = ["127.0.0.1"] | .hub.requests_per_second = 1000
    | .fetch.parallel = $p' "$repo/policies/default.json" >"$BENCH_DIR/policy.json"
start_nginx
total=$(awk '{ s += $2 } END { print s }' "$big")
files=$(wc -l <"$big")
# Warm the page cache with the sources, so both sides read them from memory.
cat "$www"/bench/big/resolve/$commit/* "$www"/bench/small/resolve/$commit/* >/dev/null

ref_t=() curl_t=() curlsync_t=() pf_t=() pf_rss=() rate=() rate_sync=()
# Neither side may pay for the other's writeback: the disk is idle at each start.
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	sync
	read -r t _ < <(reference "$big" "$BENCH_DIR/ref" bench/big)
	ref_t+=("$t")
	rm -rf "$BENCH_DIR/ref"
	sync
	read -r t _ < <(curl_alone "$big" "$BENCH_DIR/ref" bench/big)
	curl_t+=("$t")
	rm -rf "$BENCH_DIR/ref"
	sync
	read -r t _ < <(curl_alone "$big" "$BENCH_DIR/ref" bench/big sync)
	curlsync_t+=("$t")
	rm -rf "$BENCH_DIR/ref"
	sync
	read -r t rss < <(pathfinder "$BENCH_DIR/big.plan.json" "$BENCH_DIR/store")
	pf_t+=("$t")
	pf_rss+=("$rss")
	rm -rf "$BENCH_DIR/store"
	# pf-fetch's rate as a share of curl's, in this round: curl time / ours.
	rate+=("$(awk -v c="${curl_t[-1]}" -v p="$t" 'BEGIN { printf "%.3f", c / p }')")
	rate_sync+=("$(awk -v c="${curlsync_t[-1]}" -v p="$t" 'BEGIN { printf "%.3f", c / p }')")
	echo "fetch.sh: round $r: curl+sha256sum ${ref_t[-1]} s, curl alone ${curl_t[-1]} s," \
	    "curl then sync ${curlsync_t[-1]} s, pf-fetch $t s (${rate[-1]}x curl's rate," \
	    "${rate_sync[-1]}x curl+sync's), peak RSS $((rss / 1024)) MiB; load $(cut -d' ' -f1 /proc/loadavg)"
done
sync
read -r _ small_rss < <(pathfinder "$BENCH_DIR/small.plan.json" "$BENCH_DIR/store")
rm -rf "$BENCH_DIR/store"

ref=$(printf '%s\n' "${ref_t[@]}" | median)
curl=$(printf '%s\n' "${curl_t[@]}" | median)
curlsync=$(printf '%s\n' "${curlsync_t[@]}" | median)
rate_med=$(printf '%s\n' "${rate[@]}" | median)
rs_med=$(printf '%s\n' "${rate_sync[@]}" | median)
rate_best=$(printf '%s\n' "${rate[@]}" | sort -n | tail -1)
load=$(cut -d' ' -f1-3 /proc/loadavg)
pf=$(printf '%s\n' "${pf_t[@]}" | median)
rss=$(printf '%s\n' "${pf_rss[@]}" | sort -n | tail -1)
ratio=$(awk -v a="$pf" -v b="$ref" 'BEGIN { printf "%.2f", a / b }')
gib=$(awk -v t="$total" 'BEGIN { printf "%.2f", t / 1073741824 }')
mbps=$(awk -v t="$total" -v s="$pf" 'BEGIN { printf "%.0f", t / s / 1048576 }')
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
link=$(bench_link "$BENCH_RATE")
verdict_t=$(awk -v r="$ratio" 'BEGIN { print (r <= 0.6) ? "met" : "NOT met" }')
verdict_r=$(awk -v r="$rate_med" 'BEGIN { print (r >= 0.9) ? "met" : "NOT met" }')
verdict_m=$(awk -v m="$rss" 'BEGIN { print (m < 65536) ? "met" : "NOT met" }')

results=$(cat <<EOF
Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), $(uname -sr), nginx $(nginx -v 2>&1 | sed 's|.*/||'),
$files files, $gib GiB ($BENCH_SHARDS shards of $BENCH_SHARD_MIB MiB and a config.json), median of $BENCH_ROUNDS rounds,
pf-fetch with fetch.parallel = $BENCH_PARALLEL; $link:

| | wall time | peak RSS |
|---|---|---|
| curl one by one, then sha256sum | $ref s | |
| curl alone, $BENCH_PARALLEL at once, to disk (no hash, no fsync) | $curl s | |
| the same, then \`sync\` (the bytes on disk, as pf-fetch's are) | $curlsync s | |
| pf-fetch (hashing while streaming, fsync, rename) | $pf s ($mbps MiB/s) | $((rss / 1024)) MiB |
| pf-fetch, one 64 MiB shard (flat-memory check) | | $((small_rss / 1024)) MiB |

Load average at the end: $load.

pf-fetch / curl one by one plus sha256sum: **$ratio** (target <= 0.6: $verdict_t).
pf-fetch's rate / curl alone's, round by round: $(printf '%s ' "${rate[@]}")(median **$rate_med**,
best $rate_best; target >= 0.9: $verdict_r); against curl then sync, round by round:
$(printf '%s ' "${rate_sync[@]}")(median $rs_med). Peak RSS target < 64 MB: $verdict_m.
EOF
)
printf '%s\n' "$results"

bench_record "$readme" "$results" "results${BENCH_RATE:+-shaped}"
