#!/bin/sh
# Seeds for fuzz-launch-lock: locks as pip-compile --generate-hashes
# writes them, and lines the check refuses.
d=${1:?usage: seeds-launch-lock.sh DIR}
mkdir -p "$d"
h=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
printf 'torch==2.1.0 \\\n    --hash=sha256:%s \\\n    --hash=sha256:%s\n# via x\nnumpy==1.26.4 --hash=sha256:%s ; python_version >= "3.9"\n' \
    "$h" "$h" "$h" >"$d/ok"
printf 'safe-tensors==0.4.0 --hash=sha256:%s\n' "$h" >"$d/locked"
printf 'torch==2.0.0 --hash=sha256:%s\n' "$h" >"$d/drift"
printf 'numpy>=1.26 --hash=sha256:%s\n' "$h" >"$d/range"
printf 'numpy==1.26.4\n' >"$d/nohash"
printf -- '--index-url https://pypi.example/simple\nnumpy==1.26.4 --hash=sha256:%s\n' "$h" >"$d/index"
printf -- '-e ./src\n' >"$d/editable"
printf 'https://example.org/x.whl --hash=sha256:%s\n' "$h" >"$d/url"
