#!/usr/bin/env bash
# bench/e2e.sh: the whole pipeline against the bare download, in one run.
#
# A generated model of more than 1 GiB (E2E_SHARDS safetensors shards, their
# index, config, tokenizer files and a card) is built into a local Hub
# mirror by tests/fixtures/gen-hub.py and served on loopback: the Hub's API,
# resolve URLs and git by tests/hub/server.py, the LFS bytes its redirects
# point at by nginx (sendfile), as huggingface.co sends LFS files to a CDN.
# Each round, in turns, on fresh folders of the same file system:
#
#   curl      curl fetching the plan's files E2E_PARALLEL at a time
#             (--parallel, following the redirects), to disk, nothing else;
#   stages    every stage tool in turn, each timed: pf-preflight, pf-fetch,
#             the five scanners, pf-approve check, pf-gate, pf-sign,
#             pf-mlbom, pf-report;
#   enable    `pathfinder enable MODEL` as a user types it (the same stages
#             through pipelines/model.mk, the scanners two at a time).
#
# Figures are ratios to curl in the same round; the median and the best of
# the rounds are reported, with the load average.
#
# E2E_RATE (nginx's limit_rate, per connection: "50m" is 50 MB/s) shapes the
# link like a network, where the cores wait for the bytes; unset, loopback
# delivers as fast as the cores copy, and the "network" is CPU work too.
# A shaped run records its figures in their own block of the page.
#
# Usage: bench/e2e.sh   (PF_BIN, BENCH_DIR, E2E_SHARDS, E2E_SHARD_MIB,
#                        E2E_ROUNDS, E2E_PARALLEL, E2E_RATE override the
#                        defaults)
# Needs: nginx (Debian's nginx-light), curl, openssl, python3, jq, git, make.
# Writes the figures to stdout and into bench/README-e2e.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PF_BIN=${PF_BIN:-$repo/build/bin}
BENCH_DIR=${BENCH_DIR:-${TMPDIR:-/tmp}/pf-bench-e2e}
E2E_SHARDS=${E2E_SHARDS:-4}
E2E_SHARD_MIB=${E2E_SHARD_MIB:-272}
E2E_ROUNDS=${E2E_ROUNDS:-3}
E2E_PARALLEL=${E2E_PARALLEL:-4}
E2E_RATE=${E2E_RATE:-}
readme=$here/README-e2e.md
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
model=bench/big-gpt

for tool in nginx curl openssl python3 jq git make; do
	command -v "$tool" >/dev/null || { echo "e2e.sh: $tool not found" >&2; exit 3; }
done
[ -x "$PF_BIN/pf-fetch" ] || { echo "e2e.sh: no $PF_BIN/pf-fetch (make first)" >&2; exit 3; }
export PATH=$PF_BIN:$repo/pipelines:$PATH
mkdir -p "$BENCH_DIR"

# ------------------------------------------------------------ the model

# recipe: the model as a gen-hub.py recipe. Each shard holds one F32
# tensor of E2E_SHARD_MIB MiB ([MiB * 64, 4096] floats).
recipe() {
	python3 - "$model" "$E2E_SHARDS" "$E2E_SHARD_MIB" <<'EOF'
import json, sys
mid, shards, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
index = {}
for i in range(1, shards + 1):
    name = "model-%05d-of-%05d.safetensors" % (i, shards)
    index[name] = [["transformer.h.%d.mlp.c_fc.weight" % (i - 1), "F32", [mib * 64, 4096]]]
files = {
    "config.json": {"json": {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
                             "n_layer": shards, "n_head": 32, "n_embd": 4096, "n_positions": 2048,
                             "vocab_size": 50257, "torch_dtype": "float32"}},
    "generation_config.json": {"json": {"bos_token_id": 50256, "eos_token_id": 50256}},
    "tokenizer_config.json": {"json": {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                                       "model_max_length": 2048}},
    "tokenizer.json": {"json": {"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0, "b": 1},
                                                            "merges": ["a b"]}}},
    "model.safetensors.index.json": {"safetensors_index": index},
    "README.md": {"card": {"license": "mit", "language": ["en"], "library_name": "transformers",
                           "pipeline_tag": "text-generation", "tags": ["bench"]},
                  "lines": ["# big-gpt", "", "A large generated model for bench/e2e.sh."]},
}
print(json.dumps({"id": mid, "comment": "bench/e2e.sh: %d shards of %d MiB" % (shards, mib),
                  "commits": [{"message": "Upload big-gpt", "date": "2024-09-01T09:00:00Z",
                               "files": files}]}, indent=1))
EOF
}

# make_mirror: the mirror in BENCH_DIR/hub, rebuilt only when the recipe changed.
make_mirror() {
	local r=$BENCH_DIR/recipes/${model//\//--}.json
	mkdir -p "$BENCH_DIR/recipes"
	recipe >"$r.new"
	if [ -f "$BENCH_DIR/hub/models.json" ] && cmp -s "$r.new" "$r"; then
		rm -f "$r.new"
		return
	fi
	mv "$r.new" "$r"
	rm -rf "$BENCH_DIR/hub"
	python3 "$repo/tests/fixtures/gen-hub.py" --recipes "$BENCH_DIR/recipes" "$BENCH_DIR/hub"
}

# ------------------------------------------------------------ servers

pids=()
stop_servers() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	pids=()
}
trap stop_servers EXIT

start_servers() {
	local i
	bench_nginx "$BENCH_DIR/nginx" 127.0.0.2 "location /cdn/ { alias $BENCH_DIR/hub/lfs/; }" "$E2E_RATE"
	pids+=("$BENCH_NGINX_PID")
	rm -f "$BENCH_DIR/hub.port"
	python3 "$repo/tests/hub/server.py" --root "$BENCH_DIR/hub" --port-file "$BENCH_DIR/hub.port" \
	    --cdn-url "http://127.0.0.2:$BENCH_NGINX_PORT" --log /dev/null --parent-pid $$ </dev/null &
	pids+=($!)
	for ((i = 0; i < 100; i++)); do
		[ -s "$BENCH_DIR/hub.port" ] && break
		sleep 0.1
	done
	export HF_ENDPOINT=http://127.0.0.1:$(cat "$BENCH_DIR/hub.port")
}

# ------------------------------------------------------------ measuring

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# cpu_now: user + system seconds of this shell's finished children so far,
# into CPU_NOW, from the times builtin: what a side cost the machine,
# whatever else runs. Called in the shell whose children count (a command
# substitution would be a fresh one), it goes through a file.
cpu_now() {
	times >"$BENCH_DIR/times.out"
	CPU_NOW=$(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
	    printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$BENCH_DIR/times.out")
}
# done_line T0 C0: "wall cpu" since now() gave T0 and cpu_now gave C0, into
# DONE_LINE (called directly, for the reason above).
done_line() {
	local t1
	t1=$(now)
	cpu_now
	DONE_LINE="$(secs "$1" "$t1") $(secs "$2" "$CPU_NOW")"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best() { sort -n | head -1; }

# The policy: the default, this Hub's hosts, the model allowlisted, the
# fetch's parallelism. Nothing else is relaxed (the Hub's request rate is
# the default's), so preflight costs what it costs a user.
policy=$BENCH_DIR/policy.json
key=$BENCH_DIR/keys/signing.pem

# curl_round: the plan's files by curl, E2E_PARALLEL at once; prints wall
# and CPU seconds.
curl_round() {
	local out=$BENCH_DIR/curl t0 c0 f
	local -a args=()
	rm -rf "$out"
	mkdir -p "$out"
	while read -r f; do
		mkdir -p "$out/$(dirname "$f")"
		args+=(-o "$out/$f" "$HF_ENDPOINT/$model/resolve/$commit/$f")
	done < <(jq -r '.files[] | select(.action == "download") | .path' "$BENCH_DIR/plan.json")
	cpu_now
	c0=$CPU_NOW
	t0=$(now)
	curl -sfL --no-progress-meter --parallel --parallel-immediate \
	    --parallel-max "$E2E_PARALLEL" "${args[@]}"
	done_line "$t0" "$c0"
	printf '%s\n' "$DONE_LINE"
	rm -rf "$out"
}

# stage NAME CMD...: runs one stage tool (0 or 1 go on), appends its time.
stage() {
	local name=$1 t0 rc=0
	shift
	t0=$(now)
	"$@" 2>>"$BENCH_DIR/stages.err" || rc=$?
	[ $rc -le 1 ] || { echo "e2e.sh: $name exited $rc (see $BENCH_DIR/stages.err)" >&2; exit 3; }
	printf '%s %s\n' "$name" "$(secs "$t0" "$(now)")" >>"$BENCH_DIR/round.times"
}

# stages_round: every stage tool in turn into a fresh store; prints wall and
# CPU seconds.
stages_round() {
	local home=$BENCH_DIR/store run t0 c0 line s
	rm -rf "$home" "$BENCH_DIR/round.times"
	run=$home/run
	mkdir -p "$run"
	export PF_HOME=$home
	cpu_now
	c0=$CPU_NOW
	t0=$(now)
	stage preflight pf-preflight "$model" --revision main -o "$run/plan.json"
	stage fetch pf-fetch --quiet -i "$run/plan.json" -o "$run/fetch.json"
	for s in pickle py weights secrets deps; do
		stage "scan-$s" "pf-scan-$s" -i "$run/fetch.json" -o "$run/scan-$s.json"
	done
	stage approve pf-approve check --plan "$run/plan.json" --fetch "$run/fetch.json" \
	    -o "$run/approve.json"
	stage gate pf-gate --run "$run" -o "$run/gate.json"
	stage sign pf-sign --key "$key" -i "$run/gate.json" --fetch "$run/fetch.json" \
	    -o "$run/sign.json"
	stage mlbom pf-mlbom --run "$run" -o "$run/mlbom.json"
	stage report pf-report --run "$run" -o "$run/report.html"
	done_line "$t0" "$c0"
	line=$DONE_LINE
	jq -e '.gate.decision == "passed"' "$run/gate.json" >/dev/null &&
	    jq -e '.status == "passed"' "$run/sign.json" >/dev/null ||
	    { echo "e2e.sh: the model did not pass the gate and get signed" >&2; exit 1; }
	printf '%s\n' "$line"
	unset PF_HOME
	rm -rf "$home"
}

# enable_round: pathfinder enable into a fresh store; prints wall and CPU
# seconds.
enable_round() {
	local home=$BENCH_DIR/store t0 c0 line rc=0
	rm -rf "$home"
	cpu_now
	c0=$CPU_NOW
	t0=$(now)
	PF_HOME=$home PF_SIGN_KEY=$key pathfinder enable "$model" >"$BENCH_DIR/enable.out" 2>&1 || rc=$?
	done_line "$t0" "$c0"
	line=$DONE_LINE
	[ $rc = 0 ] || { echo "e2e.sh: pathfinder enable exited $rc (see $BENCH_DIR/enable.out)" >&2; exit 1; }
	printf '%s\n' "$line"
	rm -rf "$home"
}

# ------------------------------------------------------------ the run

echo "e2e.sh: the mirror in $BENCH_DIR/hub (built once) ..."
make_mirror
jq --argjson p "$E2E_PARALLEL" --arg m "$model" '.allowlist = [$m]
    | .hub.allowed_hosts = ["127.0.0.1", "127.0.0.2"] | .fetch.parallel = $p' \
    "$repo/policies/default.json" >"$policy"
export PF_POLICY=$policy
if [ ! -f "$key" ]; then
	mkdir -p "$(dirname "$key")"
	(umask 077 && openssl ecparam -genkey -name prime256v1 -noout -out "$key")
	openssl ec -in "$key" -pubout -out "${key%.pem}.pub.pem" 2>/dev/null
fi
start_servers
# The plan once, for curl's list of files (and a check that the Hub answers).
PF_HOME=$BENCH_DIR/plan-home pf-preflight "$model" -o "$BENCH_DIR/plan.json"
rm -rf "$BENCH_DIR/plan-home"
commit=$(jq -r .model.commit "$BENCH_DIR/plan.json")
total=$(jq '[.files[] | select(.action == "download") | .size] | add' "$BENCH_DIR/plan.json")
files=$(jq '[.files[] | select(.action == "download")] | length' "$BENCH_DIR/plan.json")
# Warm the page cache with the sources, so every side reads them from memory.
cat "$BENCH_DIR"/hub/lfs/* >/dev/null

curl_t=() stages_t=() enable_t=() r_stages=() r_enable=()
cpu_curl=() cpu_stages=() cpu_enable=() c_stages=() c_enable=()
: >"$BENCH_DIR/stages.err"
: >"$BENCH_DIR/all.times"
for ((r = 1; r <= E2E_ROUNDS; r++)); do
	# Nobody pays for another's writeback: the disk is idle at each start.
	sync
	read -r c cc < <(curl_round)
	sync
	read -r s sc < <(stages_round)
	sed "s/\$/ $r/" "$BENCH_DIR/round.times" >>"$BENCH_DIR/all.times"
	sync
	read -r e ec < <(enable_round)
	# A side that failed said why and printed nothing.
	[ -n "$cc" ] && [ -n "$sc" ] && [ -n "$ec" ] || exit 1
	curl_t+=("$c") stages_t+=("$s") enable_t+=("$e")
	r_stages+=("$(awk -v a="$s" -v b="$c" 'BEGIN { printf "%.2f", a / b }')")
	r_enable+=("$(awk -v a="$e" -v b="$c" 'BEGIN { printf "%.2f", a / b }')")
	c_stages+=("$(awk -v a="$sc" -v b="$cc" 'BEGIN { printf "%.2f", a / b }')")
	c_enable+=("$(awk -v a="$ec" -v b="$cc" 'BEGIN { printf "%.2f", a / b }')")
	cpu_curl+=("$cc") cpu_stages+=("$sc") cpu_enable+=("$ec")
	echo "e2e.sh: round $r: curl $c s, stages $s s (${r_stages[-1]}x), pathfinder enable $e s" \
	    "(${r_enable[-1]}x); CPU curl $cc s, stages $sc s, enable $ec s; load $(cut -d' ' -f1 /proc/loadavg)"
done
load=$(cut -d' ' -f1-3 /proc/loadavg)

# The stage-by-stage split: each stage's median seconds and its share of
# curl's median time.
curl_med=$(printf '%s\n' "${curl_t[@]}" | median)
split=$(for st in $(awk '!seen[$1]++ { print $1 }' "$BENCH_DIR/all.times"); do
	m=$(awk -v s="$st" '$1 == s { print $2 }' "$BENCH_DIR/all.times" | median)
	awk -v s="$st" -v m="$m" -v c="$curl_med" 'BEGIN { printf "| %s | %.3f | %.2f |\n", s, m, m / c }'
done)
verdict() { awk -v r="$1" 'BEGIN { print (r <= 1.2) ? "met" : "NOT met" }'; }
rs_med=$(printf '%s\n' "${r_stages[@]}" | median)
rs_best=$(printf '%s\n' "${r_stages[@]}" | best)
re_med=$(printf '%s\n' "${r_enable[@]}" | median)
re_best=$(printf '%s\n' "${r_enable[@]}" | best)
gib=$(awk -v t="$total" 'BEGIN { printf "%.2f", t / 1073741824 }')
link=$(bench_link "$E2E_RATE")
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)

results=$(cat <<EOF
Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($cpu), $(uname -sr), nginx $(nginx -v 2>&1 | sed 's|.*/||');
$files files, $gib GiB ($E2E_SHARDS shards of $E2E_SHARD_MIB MiB, their index, config, tokenizer
files, a card); fetch.parallel = $E2E_PARALLEL and curl $E2E_PARALLEL at once; $E2E_ROUNDS rounds; load average
at the end $load; $link.

Wall time:

| round | curl (s) | stages (s) | stages / curl | pathfinder enable (s) | enable / curl |
|---|---|---|---|---|---|
$(for ((i = 0; i < E2E_ROUNDS; i++)); do
	printf '| %d | %s | %s | %s | %s | %s |\n' $((i + 1)) "${curl_t[i]}" "${stages_t[i]}" \
	    "${r_stages[i]}" "${enable_t[i]}" "${r_enable[i]}"
done)

CPU time (user + system of the side's own processes; the servers' not counted):

| round | curl (s) | stages (s) | stages / curl | pathfinder enable (s) | enable / curl |
|---|---|---|---|---|---|
$(for ((i = 0; i < E2E_ROUNDS; i++)); do
	printf '| %d | %s | %s | %s | %s | %s |\n' $((i + 1)) "${cpu_curl[i]}" "${cpu_stages[i]}" \
	    "${c_stages[i]}" "${cpu_enable[i]}" "${c_enable[i]}"
done)

Every stage in turn / curl: median **$rs_med**, best $rs_best (target <= 1.2: $(verdict "$rs_med")).
\`pathfinder enable\` / curl: median **$re_med**, best $re_best (target <= 1.2: $(verdict "$re_med")).
CPU time / curl's: every stage in turn median $(printf '%s\n' "${c_stages[@]}" | median), \`pathfinder enable\` median $(printf '%s\n' "${c_enable[@]}" | median).

Stage by stage (median of the rounds; the share is of curl's median, $curl_med s):

| stage | seconds | / curl |
|---|---|---|
$split
EOF
)
printf '%s\n' "$results"

bench_record "$readme" "$results" "results${E2E_RATE:+-shaped}"
