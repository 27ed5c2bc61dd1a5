#!/bin/sh
# Seeds for fuzz-onnx: the test fixtures of tests/fixtures/gen-weights.py.
set -e
out=$1
gen=$(dirname "$0")/../tests/fixtures/gen-weights.py
d=$(mktemp -d)
for f in dir-onnx-plain dir-onnx-ext-traversal dir-onnx-subgraph dir-onnx-custom; do
	"$gen" "$f" "$d/$f" 2>/dev/null && cp "$d/$f/model.onnx" "$out/$f" || true
done
rm -rf "$d"
