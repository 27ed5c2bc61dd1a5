#!/bin/sh
# Seeds for fuzz-jinja: the test fixtures of tests/fixtures/gen-weights.py.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
for f in jinja-ok jinja-real jinja-real-2 jinja-strftime jinja-strftime-rebound \
    jinja-percent-c jinja-ssti jinja-gadget jinja-attr jinja-obfuscated jinja-built \
    jinja-inject readme-inject; do
	"$gen" "$f" >"$out/$f"
done
