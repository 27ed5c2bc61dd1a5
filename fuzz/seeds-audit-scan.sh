#!/bin/sh
# Seeds for fuzz-audit-scan: lines the scanner takes (nested events, every
# escape, numbers at its limits) and lines it leaves to the full parse
# (spaces, duplicate keys plain and escaped, members out of order, UTF-8,
# \u0000, lone surrogates, exponents, deep nesting).
d=${1:?usage: seeds-audit-scan.sh DIR}
mkdir -p "$d"
python3 - "$d" <<'PY'
import hashlib, sys
d = sys.argv[1]
T = '"time":"2025-11-25T10:00:00.000Z"'
P = '"prev":"' + "ab" * 32 + '"'
events = {
    "plain": '{"type":"gate.decision","status":"passed"}',
    "nested": '{"a":{"b":[1,-2,3.25,true,false,null,{},[]],"c":"x"},"d":[]}',
    "escapes": r'{"m":"q\"b\\s\/b\bf\fn\nr\rt\t\u00e9\ud83d\ude00"}',
    "numbers": '{"i":123456789012345678,"f":0.12345678901234567890,"z":-0}',
    "toolong": '{"i":1234567890123456789,"e":1e5,"E":2E-3}',
    "dup": '{"k":1,"k":2}',
    "dupesc": r'{"k":1,"\u006b":2}',
    "dupnested": '{"a":{"k":1,"k":2},"b":{"k":1}}',
    "nul": r'{"m":"\u0000"}',
    "surrogate": r'{"m":"\ud800","n":"\udc00"}',
    "utf8": '{"m":"caf\u00e9"}',
    "deep": '{"a":' + "[" * 62 + "]" * 62 + "}",
    "deeper": '{"a":' + "[" * 63 + "]" * 63 + "}",
    "fakeprev": r'{"m":"\",\"prev\":\"' + "0" * 64 + r'"}',
}
def line(head):
    return head + ',"hash":"%s"}' % hashlib.sha256((head + "}").encode()).hexdigest()
for name, ev in events.items():
    open("%s/%s" % (d, name), "wb").write(line('{"seq":7,%s,"event":%s,%s' % (T, ev, P)).encode())
open(d + "/spaces", "w").write(line('{"seq": 7, %s, "event": {"a": 1}, %s' % (T, P)))
open(d + "/order", "w").write(line('{%s,"seq":7,"event":{},%s' % (T, P)))
open(d + "/seqzero", "w").write(line('{"seq":07,%s,"event":{},%s' % (T, P)))
open(d + "/seqreal", "w").write(line('{"seq":7.0,%s,"event":{},%s' % (T, P)))
open(d + "/timeesc", "w").write(line('{"seq":7,"time":"\\u0032025","event":{},%s' % P))
PY
