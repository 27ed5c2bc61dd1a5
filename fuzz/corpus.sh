#!/bin/sh
# The kept fuzz corpora, as text: fuzz/corpus/NAME.hex holds one input per
# line in lowercase hex (a line may be empty: the empty input), sorted and
# without duplicates; lines starting with '#' are comments. The repository
# keeps no binary files, and hex diffs and merges like any text.
#
#   corpus.sh unpack NAME DIR   write each kept input of NAME into DIR
#   corpus.sh pack NAME DIR [SEEDS]
#                               replace NAME's corpus with DIR's files but
#                               those equal to a file of SEEDS
#   corpus.sh add NAME FILE...  keep these inputs too (a crash reproducer:
#                               from then on every 'make check' runs it)
set -eu
usage() {
	echo "usage: corpus.sh unpack NAME DIR | pack NAME DIR [SEEDS] |" \
	    "add NAME FILE..." >&2
	exit 2
}
[ $# -ge 3 ] || usage
cmd=$1 name=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
kept="$here/corpus/$name.hex"

case $cmd in
unpack|pack|add) ;;
*) usage ;;
esac

exec python3 - "$cmd" "$kept" "$@" <<'PY'
import hashlib, os, sys

cmd, kept, args = sys.argv[1], sys.argv[2], sys.argv[3:]

def read_kept():
    try:
        with open(kept) as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return [], []
    if lines and lines[-1] == "":
        lines.pop()
    comments = [l for l in lines if l.startswith("#")]
    return comments, [bytes.fromhex(l) for l in lines if not l.startswith("#")]

def write_kept(comments, inputs):
    os.makedirs(os.path.dirname(kept), exist_ok=True)
    body = sorted(set(x.hex() for x in inputs))
    tmp = kept + ".tmp"
    with open(tmp, "w") as f:
        f.write("".join(c + "\n" for c in comments))
        f.write("".join(h + "\n" for h in body))
    os.replace(tmp, kept)

if cmd == "unpack":
    d = args[0]
    os.makedirs(d, exist_ok=True)
    for x in read_kept()[1]:
        with open(os.path.join(d, "kept-" + hashlib.sha1(x).hexdigest()), "wb") as f:
            f.write(x)
elif cmd == "pack":
    def files(d):
        out = []
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n), "rb") as f:
                out.append(f.read())
        return out
    comments, _ = read_kept()
    seeds = set(files(args[1])) if len(args) > 1 else set()
    inputs = [x for x in files(args[0]) if x not in seeds]
    write_kept(comments, inputs)
    print("%s: %d inputs, %d bytes" % (os.path.basename(kept), len(set(inputs)),
          sum(len(x) for x in set(inputs))))
else:
    comments, inputs = read_kept()
    for p in args:
        with open(p, "rb") as f:
            inputs.append(f.read())
    write_kept(comments, inputs)
PY
