#!/bin/sh
# Seeds for fuzz-keras-config: the test fixtures of tests/fixtures/gen-weights.py.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
printf "%s" '{"class_name": "Sequential", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "x"}}, {"module": "os", "class_name": "system"}]}}' >"$out/seq"
