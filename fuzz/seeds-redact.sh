#!/bin/sh
# Seeds for fuzz-redact: every rule's sample and near miss from the secrets
# fixture generator, each after a split seed byte, and a few of them packed
# together so that matches meet round boundaries.
d=${1:?usage: seeds-redact.sh DIR}
mkdir -p "$d"
g=$(dirname "$0")/../tests/fixtures/gen-secrets.py
for r in $("$g" rules); do
	{ printf 'A'; "$g" hit "$r"; } >"$d/hit-$r"
	{ printf 'B'; "$g" miss "$r"; } >"$d/miss-$r"
done
{ printf 'C'; for r in huggingface-token email jwt url-password generic-secret aws-access-key-id; do
	"$g" hit "$r"; printf 'filler text filler text '; done; } >"$d/packed"
