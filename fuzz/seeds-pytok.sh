#!/bin/sh
# seeds-pytok.sh DIR: seed corpus for fuzz-pytok, the Python samples of the
# tests and a few generated edge cases (run from the repository root).
set -eu
dir=$1
mkdir -p "$dir"
for f in tests/fixtures/py/benign/*.py tests/fixtures/py/malicious/*.py \
    tests/fixtures/py/hub/*.py; do
	cp "$f" "$dir/$(basename "$(dirname "$f")")-$(basename "$f")"
done
for n in crlf tabs tabs-inconsistent nested-fstring string-continuation \
    invalid-utf8 nul trojan-bidi trojan-invisible trojan-homoglyph; do
	tests/fixtures/gen-py.py "$n" >"$dir/gen-$n.py"
done
tests/fixtures/gen-py.py nest 30 >"$dir/gen-nest.py"
tests/fixtures/gen-py.py indent 15 >"$dir/gen-indent.py"
tests/fixtures/gen-py.py fold 60 >"$dir/gen-fold.py"
for n in notebook-benign notebook-malicious notebook-bash notebook-v3; do
	tests/fixtures/gen-py.py "$n" >"$dir/gen-$n.ipynb"
done
