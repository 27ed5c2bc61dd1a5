#!/bin/sh
# Seeds for fuzz-wzip: the zip test fixtures of tests/fixtures/gen-weights.py.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
for f in keras-ok keras-lambda keras-nested-lambda keras-extra keras-bad-config \
    npz-ok npz-object npz-traversal npy-ok npy-object; do
	"$gen" "$f" >"$out/$f"
done
