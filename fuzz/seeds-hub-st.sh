#!/bin/sh
# Seeds for fuzz-hub-st: small safetensors files, header inside and past the 64-byte probe.
set -eu
dir=$1
python3 - "$dir" <<'PY'
import json, struct, sys
d = sys.argv[1]
def st(name, tensors):
    hdr, off = {}, 0
    for t, (dt, shape, nb) in tensors.items():
        hdr[t] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + nb]}
        off += nb
    h = json.dumps(hdr).encode()
    open(f"{d}/{name}", "wb").write(struct.pack("<Q", len(h)) + h + b"\0" * off)
st("small", {"a": ("F16", [2], 4)})
st("long", {"w%d" % i: ("BF16", [2, 2], 8) for i in range(8)})
open(f"{d}/empty-header", "wb").write(struct.pack("<Q", 2) + b"{}")
PY
