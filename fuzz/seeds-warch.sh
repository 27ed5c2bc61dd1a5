#!/bin/sh
# Seeds for fuzz-warch: the archive samples of tests/fixtures/gen-archive.py
# (those whose writer is missing are left out).
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-archive.py
for f in $("$gen" --list); do
	"$gen" "$f" >"$out/$f" 2>/dev/null || rm -f "$out/$f"
done
