#!/usr/bin/env bash
# bench/startup.sh: what it costs to start each tool, against /bin/true
# started the same way in the same run.
#
# Each of the 17 tools runs twice over: with --version (the loader, the
# libraries' relocations and constructors, option parsing) and on an empty
# input (the same plus the policy, the tool's rule tables, reading the
# input and, for a scanner, writing its artifact and the audit line). One
# round starts /bin/true and every command once each, in turns, through
# posix_spawn with stdout and stderr on /dev/null; BENCH_RUNS rounds. Each
# command's median and best wall time per process are reported, with its
# CPU time (user + system, from wait4), which load on the other core
# skews less. PF_HOME is on /dev/shm when it exists, so the audit log's
# fsync does not measure the disk. LD_DEBUG=statistics gives each tool's
# relocation count and the loader's share.
#
# Usage: bench/startup.sh   (PF_BIN, BENCH_DIR, BENCH_RUNS override the
#                           defaults). Needs: python3.
# Writes the table to stdout and into bench/README-startup.md, between the
# results markers.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
PF_BIN=${PF_BIN:-$repo/build/bin}
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
BENCH_DIR=${BENCH_DIR:-$shm/pf-bench-startup}
BENCH_RUNS=${BENCH_RUNS:-200}
readme=$here/README-startup.md

[ -x "$PF_BIN/pf-audit" ] || { echo "startup.sh: no $PF_BIN/pf-audit (make first)" >&2; exit 3; }
rm -rf "$BENCH_DIR" && mkdir -p "$BENCH_DIR/home" "$BENCH_DIR/dir"
cd "$BENCH_DIR"
: >empty
: >empty.py
: >empty.bin
: >requirements.txt
: >empty.log
: >key.pem
chmod 600 key.pem
export PF_HOME=$BENCH_DIR/home
unset PF_POLICY

# tool|arguments of its empty-input run (relative to BENCH_DIR)
runs=(
	"pf-approve|request --plan empty --fetch empty --requester a --key key.pem"
	"pf-audit|verify --log empty.log"
	"pf-fetch|-i empty"
	"pf-gate|--plan empty -i empty"
	"pf-launch|--plan empty --gate empty --print"
	"pf-mlbom|--plan empty -i empty"
	"pf-policy|--sha256"
	"pf-preflight|-i empty"
	"pf-redact|-i empty"
	"pf-report|empty"
	"pf-scan-deps|requirements.txt"
	"pf-scan-pickle|empty.bin"
	"pf-scan-py|empty.py"
	"pf-scan-secrets|empty.py"
	"pf-scan-weights|empty.bin"
	"pf-sign|--key key.pem -i empty"
	"pf-verify|--key key.pem dir"
)

# Relocations and the loader's cycles, from glibc's own statistics.
reloc() {
	LD_DEBUG=statistics "$PF_BIN/$1" --version 2>&1 >/dev/null |
		awk '/total startup time in dynamic loader/ { c = $(NF - 1) }
		    /final number of relocations:/ { r = $NF }
		    END { printf "%s %s\n", r, c }'
}

table=$(python3 - "$BENCH_RUNS" "$PF_BIN" "${runs[@]}" <<'PY'
import os, subprocess, sys, time
rounds, pfbin, runs = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
null = os.open("/dev/null", os.O_RDWR)
acts = [(os.POSIX_SPAWN_DUP2, null, 0), (os.POSIX_SPAWN_DUP2, null, 1),
        (os.POSIX_SPAWN_DUP2, null, 2)]
cmds = [("/bin/true", ["/bin/true"])]
for r in runs:
    tool, args = r.split("|", 1)
    path = os.path.join(pfbin, tool)
    cmds.append((tool + " --version", [path, "--version"]))
    cmds.append((tool + " " + args, [path] + args.split()))
codes = {}
def one(argv):
    t0 = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
    _, st, ru = os.wait4(pid, 0)
    return time.perf_counter() - t0, ru.ru_utime + ru.ru_stime, os.waitstatus_to_exitcode(st)
wall = {c[0]: [] for c in cmds}
cpu = {c[0]: [] for c in cmds}
for c in cmds:
    one(c[1])  # warm
for _ in range(rounds):
    for name, argv in cmds:
        w, u, rc = one(argv)
        wall[name].append(w)
        cpu[name].append(u)
        codes[name] = rc
def med(v):
    v = sorted(v)
    return v[len(v) // 2] * 1e3
t = med(wall["/bin/true"])
print("| /bin/true | | %.2f | %.2f | %.2f | 0 |" % (t, min(wall["/bin/true"]) * 1e3, med(cpu["/bin/true"])))
for name, _ in cmds[1:]:
    tool, rest = name.split(" ", 1)
    print("| %s | `%s` | %.2f | %.2f | %.2f | %d |" % (tool, rest, med(wall[name]),
          min(wall[name]) * 1e3, med(cpu[name]), codes[name]))
PY
)

relocs=$(for r in "${runs[@]}"; do
	t=${r%%|*}
	set -- $(reloc "$t")
	printf '| %s | %s | %s |\n' "$t" "$1" "$2"
done)

report=$(cat <<EOT
$(date -u +%Y-%m-%d), $(uname -m), $(nproc) CPUs, load average $(cut -d' ' -f1 /proc/loadavg) at the end,
$BENCH_RUNS rounds, PF_HOME on $(stat -f -c %T "$BENCH_DIR").

Milliseconds per process, /bin/true started the same way in the same rounds
(its figure is the floor: fork, exec and exit). "exit" is the status of the
run.

| tool | run | wall median | wall best | CPU median | exit |
|---|---|---|---|---|---|
$table

Relocations processed at start and the dynamic loader's time (cycles),
from \`LD_DEBUG=statistics\` on \`--version\`:

| tool | relocations | loader cycles |
|---|---|---|
$relocs
EOT
)
printf '%s\n' "$report"
if [ -f "$readme" ] && grep -q '<!-- results -->' "$readme"; then
	python3 - "$readme" "$report" <<'PY'
import sys
path, new = sys.argv[1], sys.argv[2]
s = open(path).read()
a = s.index("<!-- results -->") + len("<!-- results -->")
b = s.index("<!-- /results -->")
open(path, "w").write(s[:a] + "\n" + new + "\n" + s[b:])
PY
fi
rm -rf "$BENCH_DIR"
