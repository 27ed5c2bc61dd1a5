#!/bin/sh
# Benchmark of pf-scan-pickle, recorded in bench/README-pickle.md.
#
# 1. Throughput per byte of pickle against Python's own pickletools.genops
#    walking the same bytes, measured in this run on generated pickles: a
#    4000-tensor state dict (as torch.save writes data.pkl), a protocol 0
#    text pickle, a protocol 4 pickle of nested Python data. Target: 20x.
# 2. The sample set of tests/fixtures/gen-pickle.py, all formats, one run.
# 3. A checkpoint of more than 1 GiB (a PyTorch zip made without torch: the
#    same data.pkl and 1 GiB of stored tensor members) against the same
#    checkpoint with 1 MiB of tensors: the scan time must not follow the
#    tensor bytes, which are never read. Per file and per byte of pickle
#    too, where reaching 4000 local headers far apart is what costs.
# Usage: bench/pickle.sh [--no-record]   (PF_BIN selects the build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
bin=${PF_BIN:-$repo/build/bin}
record=1
[ "${1:-}" = "--no-record" ] && record=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
PF_RULES_DIR=$repo/policies
PF_POLICY=$repo/policies/default.json
export PF_RULES_DIR PF_POLICY
py=/usr/bin/python3
[ -x "$py" ] || py=python3

mkdir -p "$tmp/samples"
for n in $("$repo/tests/fixtures/gen-pickle.py" --list); do
	"$repo/tests/fixtures/gen-pickle.py" "$n" >"$tmp/samples/$n" 2>/dev/null ||
	    rm -f "$tmp/samples/$n"
done

"$py" - "$bin/pf-scan-pickle" "$tmp" "$repo/bench/README-pickle.md" "$record" <<'PY'
import io, os, pickle, pickletools, platform, resource, subprocess, sys, time
import types, zipfile

tool, tmp, readme, record = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"

def cpu():
    """CPU seconds of this process and its children: other work on a shared
    machine does not count, as wall-clock time would"""
    a = resource.getrusage(resource.RUSAGE_SELF)
    b = resource.getrusage(resource.RUSAGE_CHILDREN)
    return a.ru_utime + a.ru_stime + b.ru_utime + b.ru_stime

def best(fn, n=7):
    t = []
    for _ in range(n):
        s = cpu()
        fn()
        t.append(cpu() - s)
    return min(t)

def best_pair(a, b, n=9):
    """the best of n for each of a and b, run in turns: a busy spell on a
    shared machine slows both sides, not one"""
    ta = tb = float("inf")
    for _ in range(n):
        ta = min(ta, best(a, 1))
        tb = min(tb, best(b, 1))
    return ta, tb

def scan(*paths, profile=()):
    args = [tool]
    for p in profile:
        args += ["--profile", p]
    r = subprocess.run(args + list(paths), stdout=subprocess.PIPE)
    if r.returncode not in (0, 1):
        sys.exit("pf-scan-pickle failed with %d" % r.returncode)
    return r.stdout

def genops(data):
    for _ in pickletools.genops(data):
        pass

# ---- torch-like data.pkl without torch: the same opcodes torch.save writes
for name in ["torch", "torch._utils"]:
    sys.modules[name] = types.ModuleType(name)
class FloatStorage: pass
FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"
sys.modules["torch"].FloatStorage = FloatStorage
def _rebuild_tensor_v2(*a): pass
_rebuild_tensor_v2.__module__ = "torch._utils"
sys.modules["torch._utils"]._rebuild_tensor_v2 = _rebuild_tensor_v2
class Tensor:
    def __init__(self, key, shape):
        self.key, self.shape = key, shape
    def __reduce_ex__(self, proto):
        import collections
        stride = tuple(int(__import__("math").prod(self.shape[i + 1:]))
                       for i in range(len(self.shape)))
        return (_rebuild_tensor_v2, (Storage(self.key, self.shape), 0,
                self.shape, stride, False, collections.OrderedDict()))
class Storage:
    def __init__(self, key, shape):
        self.key, self.n = key, int(__import__("math").prod(shape))
class P(pickle.Pickler):
    def persistent_id(self, o):
        if isinstance(o, Storage):
            return ("storage", FloatStorage, o.key, "cpu", o.n)
        return None

def state_dict(ntensors, total_floats):
    import collections
    sd = collections.OrderedDict()
    per = max(1, total_floats // ntensors)
    for i in range(ntensors):
        sd["model.layers.%d.block.weight" % i] = Tensor(str(i), (per,))
    b = io.BytesIO()
    P(b, protocol=2).dump(sd)
    return b.getvalue(), per

sd, per = state_dict(4000, 1 << 28)
text0 = pickle.dumps([{"id": i, "name": "row %d" % i, "score": i / 7.0,
                       "tags": ["a", "b"]} for i in range(60000)], protocol=0)
nested = pickle.dumps({"k%d" % i: [i, str(i) * 3, float(i), (i, None, True),
                                   {"x": b"\x00" * (i % 50)}]
                       for i in range(150000)}, protocol=4)
# ---- a checkpoint of more than 1 GiB, and the same with 1 MiB of tensors
def checkpoint(path, tensor_bytes):
    chunk = b"\x00" * (1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        z.writestr("archive/data.pkl", sd)
        z.writestr("archive/version", "3\n")
        left, n = tensor_bytes, 4000
        each = max(1, tensor_bytes // n)
        for i in range(n):
            with z.open("archive/data/%d" % i, "w", force_zip64=True) as w:
                k = min(each, left) if i < n - 1 else left
                left -= k
                while k > 0:
                    w.write(chunk[:min(k, len(chunk))])
                    k -= min(k, len(chunk))
big = os.path.join(tmp, "big.pt")
small = os.path.join(tmp, "small.pt")
checkpoint(small, 1 << 20)
os.sync()	# no write-back of the files going on while timing

rows = []
total_py = total_pf = total_bytes = 0
for name, data in [("data.pkl of 4000 tensors in a torch zip (proto 2)", sd),
                   ("text rows (proto 0)", text0),
                   ("nested data (proto 4)", nested)]:
    path = os.path.join(tmp, "bench.pkl")
    if data is sd:
        path = small
    else:
        open(path, "wb").write(data)
    # copies enough for 64 MB of pickle in one run: the process start, as
    # Python's for genops, is not what is measured
    copies = max(1, (64 << 20) // len(data))
    paths = []
    for i in range(copies):
        p = path + ".%d" % i
        os.symlink(path, p)
        paths.append(p)
    tp, tf = best_pair(lambda: genops(data), lambda: scan(*paths))
    if data is sd:
        # per file, for the table of the 1 GiB checkpoint below
        tg, pf_small = tp, tf / copies
    tp *= copies
    for p in paths:
        os.unlink(p)
    total = len(data) * copies
    total_py += tp
    total_pf += tf
    total_bytes += total
    rows.append("| %s | %.1f x %d | %.1f | %.1f | %.0fx |" % (
        name, len(data) / 1e6, copies, total / tp / 1e6, total / tf / 1e6,
        tp / tf))
rows.append("| **all three** | %.1f | %.1f | %.1f | **%.0fx** |" % (
    total_bytes / 1e6, total_bytes / total_py / 1e6,
    total_bytes / total_pf / 1e6, total_py / total_pf))

# ---- the sample set, every format, one process
sdir = os.path.join(tmp, "samples")
files = sorted(os.listdir(sdir))
sbytes = sum(os.path.getsize(os.path.join(sdir, f)) for f in files)
ts = best(lambda: scan(sdir, profile=("joblib", "sklearn", "hf-training-args")))

checkpoint(big, (1 << 30) + (1 << 20))
os.sync()
out = scan(big)
import json
doc = json.loads(out)
assert doc["files"][0]["format"] == "torch-zip", doc["files"][0]
assert doc["status"] == "passed", doc["findings"][:3]
tb = best(lambda: scan(big))
tsm = best(lambda: scan(small))
bigsize = os.path.getsize(big)

# per file, start-up spread over copies: the dense zip and the 1 GiB one
def per_file(path, copies):
    paths = []
    for i in range(copies):
        p = path + ".c%d" % i
        os.symlink(path, p)
        paths.append(p)
    t = best(lambda: scan(*paths)) / copies
    for p in paths:
        os.unlink(p)
    return t
pf_big = per_file(big, 32)

cpu = ""
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
except OSError:
    pass
text = """# pf-scan-pickle benchmark

Measured by `bench/pickle.sh` on %s (%s, Python %s), %s.
Times are CPU seconds (user + system, so other work on the machine does
not count): for the pickles below the best of nine, the two tools in
turns; the best of seven for the rest. pf-scan-pickle is timed as a
whole process (start, policy and allow-list loading, reading, JSON
output included) on enough copies of each file for 64 MB of pickle, the
state dict inside its torch zip with 1 MiB of tensors;
`pickletools.genops` as the loop alone inside Python on the same pickle
bytes, times the copies.

## Throughput per byte of pickle

| pickle | MB x copies | genops MB/s | pf-scan-pickle MB/s | speed-up |
|---|---:|---:|---:|---:|
%s

Target: at least 20x.

## The sample set

%d files of `tests/fixtures/gen-pickle.py` (every format: raw pickles,
torch zip and legacy, npy/npz, joblib, gzip, bzip2, xz, zlib, tar, 7z,
nested archives), %.2f MB, scanned in one run: %.3f s.

## A checkpoint over 1 GiB

A PyTorch zip (made without torch, stored members as torch.save writes
them) with a %.2f MB `data.pkl` of 4000 tensors. One scan, process start
included:

| tensor bytes | file size | scan time |
|---:|---:|---:|
| 1 MiB | %.1f MB | %.3f s |
| 1 GiB + 1 MiB | %.1f MB | %.3f s |

The tensor bytes are never read. Per file, with the start spread over
copies (the 141 of the first table, and 32), against `pickletools.genops`
on the same `data.pkl` (%.1f ms):

| checkpoint | per file | per byte of pickle |
|---|---:|---:|
| 4000 members side by side (2 MB) | %.2f ms | %.0fx |
| 4000 members 256 KiB apart (1 GiB) | %.2f ms | %.0fx |

What the larger file costs more is reaching its 4000 local headers, each
on a page of its own: the cross-check of every local header against the
central directory reads each one (a 512-byte pread; torch.load reads the
same headers to find each storage's data), about %.1f us a member in the
page cache, where `genops` reads no header at all. On a checkpoint whose
members lie far apart that I/O, not the pickle, sets the pace; per byte
of pickle it stays below the 20x of the pickles above.
""" % (platform.node() or "host", cpu or platform.machine(),
       platform.python_version(), time.strftime("%Y-%m-%d"),
       "\n".join(rows), len(files), sbytes / 1e6, ts, len(sd) / 1e6,
       os.path.getsize(small) / 1e6, tsm, bigsize / 1e6, tb, tg * 1e3,
       pf_small * 1e3, tg / pf_small, pf_big * 1e3, tg / pf_big,
       (pf_big - pf_small) / 4000 * 1e6)
print(text)
if record:
    open(readme, "w").write(text)
PY
