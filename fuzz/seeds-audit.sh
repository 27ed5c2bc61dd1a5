#!/bin/sh
# Seeds for fuzz-audit: a valid five-line log, and it edited, cut, reordered,
# with a line inserted and with a torn tail; a checkpoint line.
d=${1:?usage: seeds-audit.sh DIR}
mkdir -p "$d"
python3 - "$d" <<'PY'
import hashlib, sys
d = sys.argv[1]
lines, prev = [], "0" * 64
for n in range(1, 6):
    head = '{"seq":%d,"time":"2025-11-25T10:00:0%d.000Z","event":{"type":"seed","n":%d},"prev":"%s"' % (n, n, n, prev)
    line = head + ',"hash":"%s"}' % hashlib.sha256((head + "}").encode()).hexdigest()
    lines.append(line)
    prev = hashlib.sha256(line.encode()).hexdigest()
def w(name, ls, end="\n"):
    open("%s/%s" % (d, name), "w").write("\n".join(ls) + end)
w("good", lines)
w("edited", lines[:2] + [lines[2].replace('"n":3', '"n":9')] + lines[3:])
w("removed", lines[:2] + lines[3:])
w("reordered", [lines[0], lines[2], lines[1]] + lines[3:])
w("inserted", lines[:3] + [lines[1]] + lines[3:])
w("torn", lines[:4] + [lines[4][:40]], end="")
open(d + "/checkpoint", "w").write('{"seq":5,"hash":"%s","time":"2025-11-25T10:00:09.000Z","key_id":"%s","signature":"MEUCIQ=="}\n' % ("a" * 64, "b" * 64))
PY
