#!/bin/sh
# Seeds for fuzz-h5: the test fixtures of tests/fixtures/gen-weights.py.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
"$gen" h5-raw-lambda 3 >"$out/h5-raw-lambda"
for f in h5-lambda h5-vlen-lambda h5-latest-lambda; do
	"$gen" "$f" >"$out/$f" 2>/dev/null || rm -f "$out/$f"
done
