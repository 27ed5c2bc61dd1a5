#!/bin/sh
# Seeds for fuzz-safetensors: the test fixtures of tests/fixtures/gen-weights.py,
# each as its data length (8 bytes) followed by its header, as the harness reads.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
for f in st-ok st-empty st-dup-escaped st-dup-meta st-gap st-subbyte st-overflow st-unknown-member; do
	"$gen" "$f" | /usr/bin/python3 -c '
import struct, sys
b = sys.stdin.buffer.read()
n = struct.unpack("<Q", b[:8])[0]
sys.stdout.buffer.write(struct.pack("<Q", len(b) - 8 - n) + b[8:8 + n])' >"$out/$f"
done
