#!/bin/sh
# Seeds for fuzz-hub: header lines the Hub sends, ids, file magics.
d=${1:?usage: seeds-hub.sh DIR}
mkdir -p "$d"
printf 'Link: <https://huggingface.co/api/models/x/y/tree/main?cursor=abc>; rel="next"\r\n' >"$d/link"
printf 'RateLimit: "api";r=0;t=55\r\n' >"$d/ratelimit"
printf 'ETag: W/"0123456789abcdef0123456789abcdef01234567"\r\n' >"$d/etag"
printf 'X-Linked-Size: 17563280\r\n' >"$d/size"
printf 'openai-community/gpt2' >"$d/id"
printf 'refs/pr/5' >"$d/rev"
printf '\200\002}q\000.' >"$d/pickle"
printf 'GGUF\003\000\000\000' >"$d/gguf"
