#!/bin/sh
# Seeds for fuzz-magic: the test fixtures of tests/fixtures/gen-weights.py.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
for f in st-ok gguf-ok npy-ok npz-ok keras-ok config-ok jinja-ok st-is-pickle; do
	"$gen" "$f" >"$out/$f"
done
