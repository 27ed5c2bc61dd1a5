#!/bin/sh
# Seeds for fuzz-embed: the samples of tests/fixtures/gen-embed.py, and the
# safetensors headers among them cut to their JSON.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-embed.py
for f in $("$gen" --list); do
	"$gen" "$f" >"$out/$f"
	case $f in
	st-*) python3 -c 'import sys, struct
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
open(sys.argv[1] + ".json", "wb").write(b[8:8 + n])' "$out/$f" ;;
	esac
done
