#!/bin/sh
# Seeds for fuzz-npy: the test fixtures of tests/fixtures/gen-weights.py.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
for f in npy-ok npy-v2 npy-object npy-structured-object npy-size-mismatch; do
	"$gen" "$f" >"$out/$f"
done
