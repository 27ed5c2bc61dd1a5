#!/bin/sh
# Seeds for fuzz-mlbom: the inputs of a signed, gated model, in DIR.
set -eu
dir=$1
mkdir -p "$dir"
c=0123456789abcdef0123456789abcdef01234567
s=ba38046c0ea567aa2cd032b31b26a58bdba73fb5687da60ffa25b8d11cfdb4e4
m='"model":{"id":"acme/tiny","revision":"main","commit":"'$c'"}'
printf '{"plan":{%s,"preflight":{"hub":{"pipeline_tag":"text-generation","library_name":"transformers"},"decision":"proceed"},"resource_plan":{"parameters":{"total":7}},"files":[{"path":"model.safetensors","format":"safetensors","lfs_sha256":"%s"}]},"fetch":{%s,"status":"passed","files":[{"path":"model.safetensors","size":1,"sha256":"%s","blob_id":"2f9618c3a19b9a61add74f70bfb121335aeef666","source_url":"https://huggingface.co/acme/tiny/resolve/%s/model.safetensors"}]},"gate":{"gate":{"decision":"passed","mode":"warn","unvetted":true,"approval":{"approvers":["a","b"],"satisfied":true}}},"sign":{"root_digest":"%s","signature_path":"/v/model.sig","files":[{"path":"model.safetensors","signature":"c2ln"}]},"scans":[{"stage":"scan-pickle","status":"passed","pathfinder_version":"0.1.0"}],"config":{"model_type":"llama","architectures":["LlamaForCausalLM"]},"card":{"license":["apache-2.0"],"datasets":["c4"]},"policy":{"deps":{"locked":{"torch":"2.1.0"}}}}' \
    "$m" "$s" "$m" "$s" "$c" "$s" >"$dir/full"
printf '{"plan":{"model":{"id":"gpt2","commit":"%s"}},"fetch":{"files":[]}}' "$c" >"$dir/legacy-id"
printf '{"plan":{%s},"fetch":{"files":[{"path":"a"}]}}' "$m" >"$dir/no-sha"
