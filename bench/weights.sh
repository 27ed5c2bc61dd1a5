#!/usr/bin/env bash
# bench/weights.sh: pf-scan-weights on a generated 5 GB sharded safetensors
# model against reading only its headers, in one run.
#
# The model is BENCH_SHARDS shards of BENCH_SHARD_MIB MiB each, written as
# sparse files: a real header (BENCH_TENSORS BF16 tensors per shard, names
# and shapes as in a Llama checkpoint, padded like the reference writer),
# then a hole for the tensor data, plus model.safetensors.index.json and a
# config.json. The reference is cat of exactly the 8 + N header bytes of
# every shard, copied once into files of their own (one process, like ours). Both run warm, for
# BENCH_ROUNDS rounds; the median is reported. A second reference, cat of
# the whole files, shows what reading the tensor data would cost.
#
# Usage: bench/weights.sh   (PF_BIN, BENCH_DIR, BENCH_SHARDS, BENCH_SHARD_MIB,
#                            BENCH_TENSORS, BENCH_ROUNDS override the defaults)
# Needs: /usr/bin/python3, jq. Writes the figures to stdout and into
# bench/README-weights.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PF_BIN=${PF_BIN:-$repo/build/bin}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/pf-bench-weights}
BENCH_SHARDS=${BENCH_SHARDS:-5}
BENCH_SHARD_MIB=${BENCH_SHARD_MIB:-1024}
BENCH_TENSORS=${BENCH_TENSORS:-300}
BENCH_ROUNDS=${BENCH_ROUNDS:-7}
readme=$here/README-weights.md

for tool in /usr/bin/python3 jq; do
	command -v "$tool" >/dev/null || { echo "weights.sh: $tool not found" >&2; exit 3; }
done
[ -x "$PF_BIN/pf-scan-weights" ] || { echo "weights.sh: no $PF_BIN/pf-scan-weights (make first)" >&2; exit 3; }

model=$BENCH_DIR/model
rm -rf "$model"
mkdir -p "$model"

# ------------------------------------------------------------ the model
/usr/bin/python3 - "$model" "$BENCH_SHARDS" "$BENCH_SHARD_MIB" "$BENCH_TENSORS" <<'PY'
import json, os, struct, sys
d, shards, mib, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
size = mib * 1024 * 1024
wm, total = {}, 0
for s in range(shards):
    name = "model-%05d-of-%05d.safetensors" % (s + 1, shards)
    # per tensors of BF16 filling the shard: elements = bytes / 2
    elems = size // 2 // per
    hdr, off = {"__metadata__": {"format": "pt"}}, 0
    for t in range(per):
        tn = "model.layers.%d.block.%d.weight" % (s, t)
        rows = max(1, elems // 4096)
        cols = elems // rows
        n = rows * cols * 2
        hdr[tn] = {"dtype": "BF16", "shape": [rows, cols], "data_offsets": [off, off + n]}
        off += n
        wm[tn] = name
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(d, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        f.truncate(8 + len(h) + off)          # a hole: no tensor byte written
    total += off
with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": total}, "weight_map": wm}, f)
with open(os.path.join(d, "config.json"), "w") as f:
    json.dump({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}, f)
PY

shards=("$model"/model-*.safetensors)
bytes=$(du -b --apparent-size -c "${shards[@]}" | tail -1 | cut -f1)
gb=$(awk -v b="$bytes" 'BEGIN { printf "%.2f", b / 1e9 }')
hdr_bytes=0
for f in "${shards[@]}"; do
	n=$(od -An -tu8 -N8 "$f" | tr -d ' ')
	hdr_bytes=$((hdr_bytes + 8 + n))
done

now() { date +%s.%N; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# the reference: cat of the headers only, copied out once into their own files
mkdir -p "$BENCH_DIR/headers"
for f in "${shards[@]}"; do
	n=$(od -An -tu8 -N8 "$f" | tr -d ' ')
	head -c $((8 + n)) "$f" >"$BENCH_DIR/headers/$(basename "$f").hdr"
done
read_headers() {
	cat "$BENCH_DIR"/headers/*.hdr >/dev/null
}

scan() {
	PF_POLICY=$repo/policies/default.json "$PF_BIN/pf-scan-weights" "$model" >"$BENCH_DIR/scan.json"
}
# the same process with nothing to scan: start-up, libraries, the policy
mkdir -p "$BENCH_DIR/empty"
scan_empty() {
	PF_POLICY=$repo/policies/default.json "$PF_BIN/pf-scan-weights" "$BENCH_DIR/empty" >/dev/null
}

# warm both once
read_headers
scan || { echo "weights.sh: pf-scan-weights failed on the model" >&2; jq .findings "$BENCH_DIR/scan.json" >&2; exit 3; }
jq -e --argjson n "$((BENCH_SHARDS * BENCH_TENSORS))" '.status == "passed" and .totals.tensors == $n' \
	"$BENCH_DIR/scan.json" >/dev/null || { echo "weights.sh: unexpected scan result" >&2; exit 3; }

ref=() ours=() empty=()
for _ in $(seq "$BENCH_ROUNDS"); do
	t0=$(now); read_headers; t1=$(now)
	ref+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	t0=$(now); scan; t1=$(now)
	ours+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	t0=$(now); scan_empty; t1=$(now)
	empty+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
done
t_ref=$(printf '%s\n' "${ref[@]}" | median)
t_ours=$(printf '%s\n' "${ours[@]}" | median)
t_empty=$(printf '%s\n' "${empty[@]}" | median)
work=$(awk -v a="$t_ours" -v b="$t_empty" 'BEGIN { d = a - b; printf "%.4f", d < 0 ? 0 : d }')
t0=$(now); cat "${shards[@]}" >/dev/null; t1=$(now)
t_cat=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

per_gb=$(awk -v t="$t_ours" -v g="$gb" 'BEGIN { printf "%.4f", t / g }')
ratio=$(awk -v a="$t_ours" -v b="$t_ref" 'BEGIN { printf "%.2f", a / b }')
cat_ratio=$(awk -v a="$t_cat" -v b="$t_ours" 'BEGIN { printf "%.0f", a / b }')
params=$(jq .totals.parameters "$BENCH_DIR/scan.json")

report=$(cat <<EOT
# pf-scan-weights benchmark

\`bench/weights.sh\`, $(date -u +%Y-%m-%d), $(nproc) cores, warm page cache,
median of $BENCH_ROUNDS rounds.

Model: $BENCH_SHARDS sparse safetensors shards, $gb GB in all
($bytes bytes, $params BF16 parameters, $((BENCH_SHARDS * BENCH_TENSORS)) tensors),
headers $hdr_bytes bytes, plus the sharded index and config.json.

| what | seconds | per GB |
|---|---|---|
| pf-scan-weights (validate headers, index, config) | $t_ours | $per_gb |
| pf-scan-weights on an empty folder (start-up, libraries, policy) | $t_empty | |
| the difference: reading and checking the model | $work | |
| reference: cat of the 8+N header bytes of every shard | $t_ref | |
| cat of the whole shards (reading the tensor data) | $t_cat | |

Validation costs **$ratio x** \`cat\` of the headers only, and about
1/$cat_ratio of reading the data: the tensor bytes are never read. Both
are dominated by starting a process; most of the difference is ours
loading its shared libraries and the policy (the empty-folder row), the
rest is parsing and checking $((BENCH_SHARDS * BENCH_TENSORS)) tensor
entries, the index and config.json.
EOT
)
printf '%s\n' "$report"
printf '%s\n' "$report" >"$readme"
rm -rf "$model" "$BENCH_DIR/headers" "$BENCH_DIR/empty"
