#!/bin/sh
# Seeds for fuzz-fetch-plan: small plans, valid and subtly wrong, in DIR.
set -eu
dir=$1
mkdir -p "$dir"
c=0123456789abcdef0123456789abcdef01234567
s=ba38046c0ea567aa2cd032b31b26a58bdba73fb5687da60ffa25b8d11cfdb4e4
b=2f9618c3a19b9a61add74f70bfb121335aeef666
head='{"pathfinder_version":"0.1.0","stage":"plan","model":{"id":"acme/tiny","revision":"main","commit":"'$c'"},"status":"passed","findings":[],"files":'
ent() { printf '{"path":"%s","size":%s,"blob_id":"%s","lfs_sha256":%s,"action":"%s","reason":null}' "$@"; }
printf '%s[%s,%s]}' "$head" "$(ent config.json 554 $b null download)" \
    "$(ent model.safetensors 17563280 $b "\"$s\"" download)" >"$dir/valid"
printf '%s[%s,%s]}' "$head" "$(ent a 1 $b null download)" "$(ent a/b 1 $b null download)" >"$dir/clash"
printf '%s[%s,%s]}' "$head" "$(ent a 1 $b null download)" "$(ent a 1 $b null skip)" >"$dir/skip"
printf '%s[%s]}' "$head" "$(ent ../x 1 $b null download)" >"$dir/dotdot"
printf '%s[%s]}' "$head" "$(ent .git/config 1 $b null download)" >"$dir/git"
printf '%s[%s]}' "$head" "$(ent 'sub/dir/w.bin' 99999999999 $b "\"$s\"" download)" >"$dir/huge"
printf '%s[]}' "$head" >"$dir/empty"
