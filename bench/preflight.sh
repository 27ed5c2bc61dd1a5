#!/usr/bin/env bash
# bench/preflight.sh: pf-preflight against curl making the same requests in
# parallel, in one run, on models of 1, 4 and 16 shards served by the local
# Hub fixture (tests/hub/server.py) on loopback.
#
# The models are generated from recipes written here (tests/fixtures/
# gen-hub.py --recipes): a config.json, a tokenizer_config.json and a
# safetensors index over N shards of 32 tensors each. pf-preflight runs with
# the default policy (the models allowlisted), so its request budget and
# fetch.parallel are what a user gets. The reference is curl asking for the
# same things: the model info, then the first 100000 bytes of every shard
# (redirects followed to the CDN) and the three small files, BENCH_PARALLEL
# at a time (curl --parallel, one process). Each round runs both for every
# shard count, in turns; medians and bests of the rounds are reported, with
# the load average.
#
# Usage: bench/preflight.sh   (PF_BIN, BENCH_DIR, BENCH_ROUNDS, BENCH_SHARDS,
#                              BENCH_PARALLEL override the defaults)
# Needs: curl, python3, jq, git.
# Writes the figures to stdout and into bench/README-preflight.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PF_BIN=${PF_BIN:-$repo/build/bin}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/pf-bench-preflight}
BENCH_ROUNDS=${BENCH_ROUNDS:-7}
BENCH_SHARDS=${BENCH_SHARDS:-1 4 16}
BENCH_PARALLEL=${BENCH_PARALLEL:-4}
readme=$here/README-preflight.md
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

for tool in curl python3 jq git; do
	command -v "$tool" >/dev/null || { echo "preflight.sh: $tool not found" >&2; exit 3; }
done
[ -x "$PF_BIN/pf-preflight" ] || { echo "preflight.sh: no $PF_BIN/pf-preflight (make first)" >&2; exit 3; }

rm -rf "$BENCH_DIR"
mkdir -p "$BENCH_DIR/recipes"
hub_pid=
cleanup() {
	[ -z "$hub_pid" ] || kill "$hub_pid" 2>/dev/null || true
	[ -z "$hub_pid" ] || wait "$hub_pid" 2>/dev/null || true
	rm -rf "$BENCH_DIR"
}
trap cleanup EXIT

# ------------------------------------------------------------ the models

# recipe N: a model of N shards, 32 F16 tensors of 64 x 64 each.
recipe() {
	jq -n --argjson n "$1" '{
	    id: "bench/shards-\($n)",
	    comment: "bench/preflight.sh: \($n) shards",
	    commits: [{message: "Upload", date: "2024-06-01T00:00:00Z", files: {
	        "config.json": {json: {architectures: ["LlamaForCausalLM"], model_type: "llama",
	            hidden_size: 64, intermediate_size: 128, num_hidden_layers: ($n * 4),
	            num_attention_heads: 4, num_key_value_heads: 4, max_position_embeddings: 256,
	            vocab_size: 64, torch_dtype: "float16"}},
	        "tokenizer_config.json": {json: {model_max_length: 256}},
	        "model.safetensors.index.json": {safetensors_index: (
	            [range(1; $n + 1) as $s
	             | {key: ("model-\($s | tostring | ("0000" + .)[-5:])-of-\($n | tostring | ("0000" + .)[-5:]).safetensors"),
	                value: [range(32) as $t | ["model.layers.\($s).w\($t).weight", "F16", [64, 64]]]}]
	            | from_entries)}}}],
	    meta: {library_name: "transformers", pipeline_tag: "text-generation"}}'
}

ids=()
for n in $BENCH_SHARDS; do
	recipe "$n" >"$BENCH_DIR/recipes/bench--shards-$n.json"
	ids+=("bench/shards-$n")
done
echo "preflight.sh: generating ${ids[*]} in $BENCH_DIR ..."
python3 "$repo/tests/fixtures/gen-hub.py" --recipes "$BENCH_DIR/recipes" "$BENCH_DIR/hub" >/dev/null

python3 "$repo/tests/hub/server.py" --root "$BENCH_DIR/hub" --log /dev/null \
    --port-file "$BENCH_DIR/port" --parent-pid $$ &
hub_pid=$!
for _ in $(seq 100); do [ -s "$BENCH_DIR/port" ] && break; sleep 0.1; done
[ -s "$BENCH_DIR/port" ] || { echo "preflight.sh: the Hub fixture did not start" >&2; exit 3; }
export HF_ENDPOINT=http://127.0.0.1:$(cat "$BENCH_DIR/port")

jq --argjson ids "$(printf '%s\n' "${ids[@]}" | jq -R . | jq -s .)" --argjson p "$BENCH_PARALLEL" \
    '.allowlist += $ids | .hub.allowed_hosts = ["127.0.0.1", "127.0.0.2"] | .fetch.parallel = $p' "$repo/policies/default.json" >"$BENCH_DIR/policy.json"

# ------------------------------------------------------------ the two sides

now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }

# reference ID: curl, the same requests as pf-preflight; prints seconds.
reference() {
	local id=$1 commit base t0 f
	local -a args=()
	commit=$(jq -r '.main.commit' "$BENCH_DIR/hub/models/$id/expected.json")
	base=$HF_ENDPOINT/$id/resolve/$commit
	for f in $(jq -r '.main.files | to_entries[] | select(.value.lfs or (.key | endswith(".json")))
	    | .key' "$BENCH_DIR/hub/models/$id/expected.json"); do
		args+=(-o /dev/null "$base/$f")
	done
	t0=$(now)
	curl -sf -o /dev/null "$HF_ENDPOINT/api/models/$id/revision/main?blobs=true&securityStatus=true"
	curl -sf --no-progress-meter -L -r 0-99999 --parallel --parallel-max "$BENCH_PARALLEL" \
	    "${args[@]}"
	awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.4f\n", b - a }'
}

# pathfinder ID: pf-preflight; prints seconds.
pathfinder() {
	local id=$1 t0 rc=0
	t0=$(now)
	"$PF_BIN/pf-preflight" -q --policy "$BENCH_DIR/policy.json" -o "$BENCH_DIR/plan.json" "$id" || rc=$?
	awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.4f\n", b - a }'
	jq -e '.preflight.decision != "denied" and .resource_plan.basis == "safetensors-headers"' \
	    "$BENCH_DIR/plan.json" >/dev/null && [ "$rc" -le 1 ] ||
	    { echo "preflight.sh: pf-preflight $id failed ($rc)" >&2; exit 1; }
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best() { sort -n | head -1; }

# ------------------------------------------------------------ the run

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for id in "${ids[@]}"; do # warm-up: git packs, page cache, the server's threads
	reference "$id" >/dev/null
	pathfinder "$id" >/dev/null
done
declare -A ref_t pf_t pair_r
for ((r = 1; r <= BENCH_ROUNDS; r++)); do
	line="preflight.sh: round $r:"
	for id in "${ids[@]}"; do
		a=$(reference "$id")
		b=$(pathfinder "$id")
		ref_t[$id]+="$a "
		pf_t[$id]+="$b "
		pair_r[$id]+="$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b / a }') "
		line+=" ${id#bench/} curl $a s, pf-preflight $b s;"
	done
	echo "$line"
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)

rows=
for id in "${ids[@]}"; do
	n=${id#bench/shards-}
	rm=$(tr ' ' '\n' <<<"${ref_t[$id]}" | grep . | median)
	rb=$(tr ' ' '\n' <<<"${ref_t[$id]}" | grep . | best)
	pm=$(tr ' ' '\n' <<<"${pf_t[$id]}" | grep . | median)
	pb=$(tr ' ' '\n' <<<"${pf_t[$id]}" | grep . | best)
	qm=$(tr ' ' '\n' <<<"${pair_r[$id]}" | grep . | median)
	qb=$(tr ' ' '\n' <<<"${pair_r[$id]}" | grep . | best)
	rows+="| $n | $((n + 3)) + 1 | $pm s ($pb s) | $rm s ($rb s) | **$qm** ($qb) |"$'\n'
	eval "pf_median_$n=\$pm ref_median_$n=\$rm"
done
first=${ids[0]#bench/shards-} last=${ids[-1]#bench/shards-}
growth=$(awk -v a="$(eval echo "\$pf_median_$first")" -v b="$(eval echo "\$pf_median_$last")" \
    'BEGIN { printf "%.2f", b / a }')
per_shard() { # SIDE: milliseconds each shard past the first adds (medians)
	awk -v a="$(eval echo "\$${1}_median_$first")" -v b="$(eval echo "\$${1}_median_$last")" \
	    -v n=$((last - first)) 'BEGIN { printf "%.1f", (b - a) / n * 1000 }'
}
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

results=$(cat <<EOF
Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), $(uname -sr), curl $(curl --version | awk 'NR == 1 { print $2 }'),
$BENCH_ROUNDS rounds after a warm-up, fetch.parallel = $BENCH_PARALLEL, the default request budget;
load average $load0 at the start, $load1 at the end.
Wall times are median (best); the ratio is pf-preflight / curl, pair by pair.

| shards | file reads + API calls | pf-preflight | curl, same requests | ratio |
|---|---|---|---|---|
${rows%$'\n'}

pf-preflight at $last shards / at $first: **$growth**. Each shard past the first adds
$(per_shard pf) ms to pf-preflight and $(per_shard ref) ms to curl (medians).
EOF
)
printf '%s\n' "$results"

bench_record "$readme" "$results"
