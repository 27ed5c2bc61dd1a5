#!/bin/sh
# Seeds for fuzz-tfpb: the test fixtures of tests/fixtures/gen-weights.py.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
for f in tf-ok tf-readfile tf-pyfunc tf-savev2; do
	"$gen" "$f" >"$out/$f"
done
