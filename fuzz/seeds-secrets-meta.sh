#!/bin/sh
# Seeds for fuzz-secrets-meta: the GGUF and safetensors fixtures of the
# secrets tests, after their selector byte (odd: GGUF, even: safetensors).
d=${1:?usage: seeds-secrets-meta.sh DIR}
mkdir -p "$d"
g=$(dirname "$0")/../tests/fixtures/gen-secrets.py
{ printf '1'; "$g" gguf; } >"$d/gguf"
{ printf '1'; "$g" gguf-truncated; } >"$d/gguf-truncated"
{ printf '0'; "$g" safetensors; } >"$d/safetensors"
{ printf '0'; "$g" safetensors-clean; } >"$d/safetensors-clean"
