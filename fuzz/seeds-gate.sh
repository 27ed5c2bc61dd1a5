#!/bin/sh
# Seeds for fuzz-gate: a passing model, a blocked one, waivers, modes, in DIR.
set -eu
dir=$1
mkdir -p "$dir"
c=0123456789abcdef0123456789abcdef01234567
m='"model":{"id":"acme/tiny","revision":"main","commit":"'$c'"}'
env() { printf '{"pathfinder_version":"0.1.0","stage":"%s",%s,"status":"%s","findings":%s%s}' "$1" "$m" "$2" "$3" "${4:-}"; }
f='{"rule":"secrets.x.y","severity":"high","id":"1111111111111111","file":"a","message":"m"}'
plan=$(env plan passed '[]' ',"preflight":{"decision":"proceed","trust_remote_code_required":false}')
fetch=$(env fetch passed '[]' ',"files":[{"path":"a","size":1,"sha256":"'$(printf a | sha256sum | cut -c1-64)'"}]')
scans=$(for s in pickle py weights secrets deps; do env scan-$s passed '[]'; echo ,; done | tr -d '\n' | sed 's/,$//')
printf '{"policy":{},"plan":%s,"fetch":%s,"scans":[%s]}' "$plan" "$fetch" "$scans" >"$dir/pass"
printf '{"policy":{"gate":{"mode":"warn","waivers":[{"id":"1111111111111111","reason":"r","waived_by":"a","expires":"2099-01-01"}]}},"plan":%s,"fetch":%s,"scans":[%s]}' \
    "$plan" "$fetch" "$(env scan-secrets failed "[$f]")" >"$dir/waived"
printf '{"policy":{"gate":{"mode":"observe","required_scans":["scan-py"]}},"plan":%s,"fetch":%s,"scans":[],"survey":[{"rule":"gate.quarantine.extra","severity":"high","file":"x"}]}' \
    "$(env plan failed '[]' ',"preflight":{"decision":"denied"}')" "$fetch" >"$dir/observe"
printf '{"policy":{},"plan":%s,"fetch":%s,"approve":%s,"scans":[]}' \
    "$(env plan passed '[]' ',"preflight":{"decision":"approval-required","trust_remote_code_required":true}')" "$fetch" \
    "$(env approve passed '[]' ',"approval":{"satisfied":true,"approvers":["a","b"]}')" >"$dir/approved"
