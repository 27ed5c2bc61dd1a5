#!/usr/bin/env bash
# bench/py.sh: pf-scan-py against Python's own parser on the same corpus, in
# one run.
#
# The corpus is the Python standard library installed on the machine
# (BENCH_CORPUS, default /usr/lib/python3.11, every .py file below it) plus
# the benign Hub-style model code of tests/fixtures/py/hub (BENCH_HUB):
# modelling, configuration and tokenization files as remote-code
# repositories ship them, where any critical or high finding is a false
# positive, counted in the report.
# pf-scan-py tokenises and analyses every file and writes its artifact (the
# JSON document of every finding included); the reference is one python3
# process that reads the same files and calls ast.parse() on each, and
# nothing else: no analysis, no output. Both run warm (files in the page
# cache, one warm-up run each); the figures are the medians of BENCH_ROUNDS
# rounds of wall time and of CPU time (user + system, which other load on
# the machine disturbs less). Target (issue 5): pf-scan-py at least 5x
# faster.
#
# Usage: bench/py.sh   (PF_BIN, PYTHON, BENCH_CORPUS, BENCH_ROUNDS override)
# Needs: python3. Writes the figures to stdout and into bench/README-py.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PF_BIN=${PF_BIN:-$repo/build/bin}
PYTHON=${PYTHON:-python3}
BENCH_CORPUS=${BENCH_CORPUS:-/usr/lib/python3.11}
BENCH_HUB=${BENCH_HUB:-$repo/tests/fixtures/py/hub}
BENCH_ROUNDS=${BENCH_ROUNDS:-5}
readme=$here/README-py.md
export PF_POLICY=${PF_POLICY:-$repo/policies/default.json}
export PF_RULES_DIR=${PF_RULES_DIR:-$repo/policies}

[ -x "$PF_BIN/pf-scan-py" ] || { echo "py.sh: no $PF_BIN/pf-scan-py (make first)" >&2; exit 3; }
[ -d "$BENCH_CORPUS" ] || { echo "py.sh: no corpus $BENCH_CORPUS" >&2; exit 3; }
[ -d "$BENCH_HUB" ] || { echo "py.sh: no corpus $BENCH_HUB" >&2; exit 3; }
out=$(mktemp)
trap 'rm -f "$out"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The reference: the same files (os.walk, no symlinks followed, *.py), parsed.
ref() {
	"$PYTHON" - "$BENCH_CORPUS" "$BENCH_HUB" <<'PY'
import ast, os, sys
files = ok = failed = size = 0
for d, dirs, names in (w for root in sys.argv[1:] for w in os.walk(root)):
    dirs[:] = [x for x in dirs if not os.path.islink(os.path.join(d, x))]
    for n in names:
        p = os.path.join(d, n)
        if not n.endswith(".py") or os.path.islink(p):
            continue
        with open(p, "rb") as f:
            src = f.read()
        files += 1
        size += len(src)
        try:
            ast.parse(src, p)
            ok += 1
        except (SyntaxError, ValueError):
            failed += 1
print(files, size, failed)
PY
}
pf() {
	local rc=0
	"$PF_BIN/pf-scan-py" -o "$out" "$BENCH_CORPUS" "$BENCH_HUB" || rc=$?
	[ "$rc" -le 1 ]
}

read -r files bytes astfail < <(ref)	# warm-up, and the corpus figures
pf
# timed CMD...: "wall cpu" seconds of one run of CMD
timed() {
	local tf rc=0
	tf=$(mktemp)
	/usr/bin/time -f '%e %U %S' -o "$tf" "$@" >/dev/null || rc=$?
	[ "$rc" -le 1 ] || { rm -f "$tf"; return "$rc"; }
	# GNU time puts "Command exited with non-zero status 1" first
	tail -1 "$tf" | awk '{ printf "%s %.3f\n", $1, $2 + $3 }'
	rm -f "$tf"
}
export -f ref
export PYTHON BENCH_CORPUS BENCH_HUB
pf_t=() ref_t=() pf_c=() ref_c=()
for ((r = 0; r < BENCH_ROUNDS; r++)); do
	read -r w c < <(timed "$PF_BIN/pf-scan-py" -o "$out" "$BENCH_CORPUS" "$BENCH_HUB")
	pf_t+=("$w") pf_c+=("$c")
	read -r w c < <(timed bash -c ref)
	ref_t+=("$w") ref_c+=("$c")
done
m() { printf '%s\n' "$@" | median; }
pt=$(m "${pf_t[@]}") rt=$(m "${ref_t[@]}")
pc=$(m "${pf_c[@]}") rc=$(m "${ref_c[@]}")
cratio=$(echo "$rc / $pc" | bc -l)
mib=$(echo "$bytes / 1048576" | bc -l)
ratio=$(echo "$rt / $pt" | bc -l)
pf_files=$(jq '.files | length' "$out")
tokens=$(jq '[.files[].tokens] | add' "$out")
nfind=$(jq '.findings | length' "$out")
malformed=$(jq '[.findings[] | select(.rule | startswith("py.source."))] | length' "$out")
rss=$( { /usr/bin/time -f %M "$PF_BIN/pf-scan-py" -o /dev/null "$BENCH_CORPUS" "$BENCH_HUB" || true; } 2>&1 | tail -1)
# the Hub-style files alone (paths in the artifact are relative to their root)
"$PF_BIN/pf-scan-py" -o "$out" "$BENCH_HUB" || [ $? -le 1 ]
hub_files=$(jq '.files | length' "$out")
hub_bad=$(jq '[.findings[] | select(.severity == "critical" or .severity == "high")] | length' "$out")
met=$(echo "$ratio >= 5" | bc -l)

report=$(cat <<EOT
# pf-scan-py benchmark

\`bench/py.sh\` (run by \`make bench\`) scans the Python standard library installed on the
machine and the benign Hub-style model code of \`tests/fixtures/py/hub\` with
\`pf-scan-py\` and, in the same run, parses the same files with
\`$PYTHON -c "import ast; ast.parse(...)"\` in one process. pf-scan-py tokenises, resolves
names, folds constants, matches every rule and writes its JSON artifact; the reference
only parses. Files are warm in the page cache for both; figures are medians of
$BENCH_ROUNDS rounds. Target (issue 5): pf-scan-py at least 5x faster than the parser alone.

<!-- results -->
Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), $("$PYTHON" -c 'import sys; print("Python", sys.version.split()[0])'),
corpus $BENCH_CORPUS and ${BENCH_HUB#"$repo"/}: $files files, $(printf '%.1f' "$mib") MiB ($astfail that ast.parse rejects).

| | wall time | CPU time | throughput (wall) |
|---|---|---|---|
| $PYTHON, ast.parse of every file | $(printf '%.3f' "$rt") s | $(printf '%.3f' "$rc") s | $(printf '%.1f' "$(echo "$mib / $rt" | bc -l)") MiB/s |
| pf-scan-py (tokens, analysis, artifact) | $(printf '%.3f' "$pt") s | $(printf '%.3f' "$pc") s | $(printf '%.1f' "$(echo "$mib / $pt" | bc -l)") MiB/s |

pf-scan-py is **$(printf '%.1f' "$ratio")x** faster in wall time and **$(printf '%.1f' "$cratio")x** in CPU time
(target >= 5x: $([ "$met" = 1 ] && echo met || echo "NOT met")).
Load average when it ran: $(cut -d' ' -f1-3 /proc/loadavg) (other work shares the machine).
It read $pf_files files, $tokens tokens, and reported $nfind findings ($malformed of them
about the source itself); peak resident memory $rss KiB.
Of the $hub_files benign Hub-style files, $hub_bad critical or high findings
(false positives; target 0).
<!-- /results -->
EOT
)
printf '%s\n' "$report"
printf '%s\n' "$report" >"$readme"
