#!/bin/sh
# Seeds for fuzz-gguf: the test fixtures of tests/fixtures/gen-weights.py.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
for f in gguf-ok gguf-ssti gguf-nested-array gguf-overlap gguf-dup-key gguf-block; do
	"$gen" "$f" >"$out/$f"
done
