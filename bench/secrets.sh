#!/usr/bin/env bash
# bench/secrets.sh: pf-scan-secrets over a generated text corpus (1 GB by
# default, BENCH_SIZE bytes otherwise) against grep -P with the same
# patterns in one run, and pf-redact against cat. Prints the figures and
# records them in bench/README-secrets.md. Run from `make bench`, or with
# PF_BIN pointing at the tools.
set -eu
cd "$(dirname "$0")/.."
PF_BIN=${PF_BIN:-$PWD/build/bin}
SIZE=${BENCH_SIZE:-1073741824}
OUT=bench/README-secrets.md
work=$(mktemp -d "${TMPDIR:-/tmp}/pf-bench-secrets.XXXXXX")
trap 'rm -rf "$work"' EXIT
export PF_RULES_DIR=$PWD/policies PF_POLICY=$PWD/policies/default.json
export LC_ALL=C

mkdir "$work/corpus"
corpus=$work/corpus/corpus.txt
tests/fixtures/gen-secrets.py corpus "$SIZE" >"$corpus"
# Every rule's pattern, as one alternation: grep -P takes a single pattern.
jq -r '[.rules[].pattern | "(?:" + . + ")"] | join("|")' \
    policies/secret-rules.json >"$work/pattern"
nrules=$(jq '.rules | length' policies/secret-rules.json)
cat "$corpus" >/dev/null		# the page cache, warm for everyone

# run NAME CMD...: wall, user and system seconds and max RSS into $NAME.*
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" >"$work/$name.out" || true
	# The last line: GNU time puts "Command exited with non-zero status" first.
	read -r wall user sys rss <<<"$(tail -n 1 "$work/$name.time")"
	eval "${name}_wall=$wall ${name}_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }') ${name}_rss=$rss"
}
mbs() {	# SECONDS -> MB/s of the corpus
	awk -v n="$SIZE" -v t="$1" 'BEGIN { printf "%.1f", (t > 0 ? n / 1e6 / t : 0) }'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'
}

run scan "$PF_BIN/pf-scan-secrets" "$work/corpus"
found=$(jq '.findings | length' "$work/scan.out")
run grepc grep -P -c -f "$work/pattern" "$corpus"
run grepo sh -c 'grep -P -o -f "$1" "$2" | wc -l' _ "$work/pattern" "$corpus"
grep_lines=$(cat "$work/grepc.out")
grep_matches=$(tr -d ' ' <"$work/grepo.out")
run redact sh -c '"$1" <"$2" >/dev/null' _ "$PF_BIN/pf-redact" "$corpus"
run cat sh -c 'cat <"$1" >/dev/null' _ "$corpus"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
load=$(cut -d' ' -f1-3 /proc/loadavg)
mb=$((SIZE / 1000000))
report=$(cat <<REPORT
## $(date -u +%Y-%m-%d) — $mb MB corpus, $nrules rules

Machine: $(nproc) CPU ($cpu), $(grep -m1 MemTotal /proc/meminfo | awk '{printf "%d GB", $2 / 1048576}') RAM;
$(grep --version | head -1), PCRE2 $(pkg-config --modversion libpcre2-8 2>/dev/null || echo ?);
load average $load at the end (CPU seconds are the steadier figure on a busy machine).
Corpus: tests/fixtures/gen-secrets.py corpus (prose, code, configs, vocabulary
lines, one secret every ~2.5 MB). Wall seconds, then CPU (user + system).

| run | wall s | CPU s | MB/s (wall) | max RSS | result |
|-----|-------:|------:|------------:|--------:|--------|
| pf-scan-secrets, every rule, verified | $scan_wall | $scan_cpu | $(mbs "$scan_wall") | $((scan_rss / 1024)) MiB | $found findings |
| grep -P -c, same patterns in one run | $grepc_wall | $grepc_cpu | $(mbs "$grepc_wall") | $((grepc_rss / 1024)) MiB | $grep_lines lines |
| grep -P -o, same, every match | $grepo_wall | $grepo_cpu | $(mbs "$grepo_wall") | $((grepo_rss / 1024)) MiB | $grep_matches matches |
| pf-redact <corpus >/dev/null | $redact_wall | $redact_cpu | $(mbs "$redact_wall") | $((redact_rss / 1024)) MiB | |
| cat <corpus >/dev/null | $cat_wall | $cat_cpu | $(mbs "$cat_wall") | $((cat_rss / 1024)) MiB | |

pf-scan-secrets is $(ratio "$grepc_wall" "$scan_wall")x as fast as grep -P -c and
$(ratio "$grepo_wall" "$scan_wall")x as fast as grep -P -o (wall; CPU $(ratio "$grepc_cpu" "$scan_cpu")x and
$(ratio "$grepo_cpu" "$scan_cpu")x); pf-redact runs at $(ratio "$redact_wall" "$cat_wall")x cat's time.
grep counts raw pattern matches; pf-scan-secrets keeps those that pass the
rules' checks (entropy, Luhn, checksums, placeholders).
REPORT
)
printf '%s\n' "$report"
if [ ! -f "$OUT" ]; then
	cat >"$OUT" <<'HEAD'
# Secrets benchmark

`bench/secrets.sh` (run by `make bench`) scans a generated text corpus with
pf-scan-secrets and with `grep -P` given the same patterns as one alternation,
in the same run, and times pf-redact against `cat`. Newest first.

pf-scan-secrets reads each file once, in 1 MiB rounds; every rule (a PCRE2
pattern JIT-compiled on its own, so it keeps PCRE2's literal-prefix and
first-character skipping) searches the round once, and the matches are merged
in position order. The same patterns as one alternation, which is what grep
must be given, lose those skips: every byte then tries every rule, which is
what the grep lines measure. Three rules whose matches start at common bytes
(e-mail, passwords, generic assignments) first look for a cheap anchor
(`@`, `password`, `=`/`:` before a long value) and try the full pattern only
near it.
HEAD
fi
# The new run goes first, before the runs already recorded.
printf '%s\n\n' "$report" >"$work/report"
awk -v f="$work/report" '/^## / && !done { while ((getline l < f) > 0) print l; done = 1 }
    { print } END { if (!done) { print ""; while ((getline l < f) > 0) print l } }' \
    "$OUT" >"$work/readme"
cp "$work/readme" "$OUT"
