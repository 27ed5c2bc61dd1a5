#!/bin/sh
# Seeds for fuzz-hfconfig: configs of tests/fixtures/gen-weights.py and an index.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
for f in config-ok config-auto-map config-remote-repo config-trust config-pipeline tokcfg-ssti; do
	"$gen" "$f" >"$out/$f"
done
printf '%s' '{"metadata": {"total_size": 8}, "weight_map": {"a": "m-1.safetensors", "b": "m-1.safetensors"}}' >"$out/index"
printf '%s' '{"metadata": {"total_size": 32.0}, "weight_map": {"a": "m-1.safetensors", "b": "m-2.safetensors"}}' >"$out/index-total"
