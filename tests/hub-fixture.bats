#!/usr/bin/env bats
# The local Hub fixture itself: the generator's mirror and the server's answers
# (tests/hub/README.md). curl talks to 127.0.0.1/127.0.0.2 only.

bats_require_minimum_version 1.5.0

setup_file() {
	load hub
	hub_build
	HUB_PAGE_SIZE=3 hub_start
}

teardown_file() {
	hub_stop
}

setup() {
	load hub
	hub_clear_faults
}

# tree_paths URL: every path of a tree listing, following Link rel=next (at most
# 20 pages); the number of pages goes to $BATS_TEST_TMPDIR/pages.
tree_paths() {
	local url=$1 pages=0
	while [ -n "$url" ] && [ "$pages" -lt 20 ]; do
		curl -sSf -D "$BATS_TEST_TMPDIR/h" -o "$BATS_TEST_TMPDIR/b" "$url" || return 1
		jq -r '.[].path' "$BATS_TEST_TMPDIR/b"
		url=$(sed -n 's/^Link: <\(.*\)>; rel="next".*/\1/p' "$BATS_TEST_TMPDIR/h")
		pages=$((pages + 1))
	done
	echo "$pages" >"$BATS_TEST_TMPDIR/pages"
}

# header NAME: the value of response header NAME in $output (curl -D -).
header() {
	local line
	line=$(grep -i "^$1:" <<<"$output" | head -n 1 | tr -d '\r')
	printf '%s\n' "${line#*: }"
}

@test "hub: model info names the id, and sha is the commit main points at" {
	run -0 curl -sSf "$HF_ENDPOINT/api/models/acme/tiny-llama"
	jq -e --arg sha "$(hub_commit acme/tiny-llama)" '
	    .id == "acme/tiny-llama" and .author == "acme" and .sha == $sha
	    and .private == false and .gated == false and .config.model_type == "llama"
	    and .cardData.license == "apache-2.0" and (.tags | index("safetensors"))
	    and ([.siblings[].rfilename] | index("model.safetensors"))' <<<"$output"
}

@test "hub: blobs=true gives the sha256 of the bytes the CDN serves, and the git blob id" {
	run -0 curl -sSf "$HF_ENDPOINT/api/models/acme/tiny-llama/revision/main?blobs=true"
	sib=$(jq -c '.siblings[] | select(.rfilename == "model.safetensors")' <<<"$output")
	cfg=$(jq -c '.siblings[] | select(.rfilename == "config.json")' <<<"$output")
	curl -sSfL -o "$BATS_TEST_TMPDIR/w" "$HF_ENDPOINT/acme/tiny-llama/resolve/main/model.safetensors"
	curl -sSf -o "$BATS_TEST_TMPDIR/c" "$HF_ENDPOINT/acme/tiny-llama/resolve/main/config.json"
	sum=$(sha256sum <"$BATS_TEST_TMPDIR/w")
	[ "$(jq -r .lfs.sha256 <<<"$sib")" = "${sum%% *}" ]
	[ "$(jq -r .size <<<"$sib")" = "$(stat -c %s "$BATS_TEST_TMPDIR/w")" ]
	[ "$(jq -r .blobId <<<"$cfg")" = "$(git hash-object "$BATS_TEST_TMPDIR/c")" ]
	[ "$(jq -r .lfs.pointerSize <<<"$sib")" -gt 100 ]
}

@test "hub: safetensors parameter counts per dtype match the recipe's expected.json" {
	run -0 curl -sSf "$HF_ENDPOINT/api/models/acme/sharded"
	jq -e '.safetensors == {"parameters": {"F32": 1025, "I64": 40, "BF16": 1280, "F16": 1792}, "total": 4137}' <<<"$output"
	jq -e --argjson got "$(jq .safetensors <<<"$output")" '.main.safetensors == $got' "$(hub_expected acme/sharded)"
}

@test "hub: expand filters the fields, in both the repeated and the [] form" {
	run -0 curl -sSf "$HF_ENDPOINT/api/models/acme/tiny-llama?expand=sha&expand[]=siblings"
	jq -e '(keys | sort) == ["_id", "id", "sha", "siblings"] and (.siblings[0] | keys) == ["rfilename"]' <<<"$output"
}

@test "hub: the tree listing is split into pages joined by Link rel=next" {
	run -0 tree_paths "$HF_ENDPOINT/api/models/acme/tiny-llama/tree/main?recursive=true&expand=false"
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/paths"
	[ "$(cat "$BATS_TEST_TMPDIR/pages")" -eq 3 ]
	diff "$BATS_TEST_TMPDIR/paths" <(git --git-dir="$HUB_DIR/repos/acme/tiny-llama.git" ls-tree -r --name-only main)
}

@test "hub: a tree path is %2F-encoded and lists one level, or all below it with recursive=true" {
	run -0 curl -sSf "$HF_ENDPOINT/api/models/acme/subfolders/tree/main/onnx?recursive=false&expand=false"
	jq -e '[.[] | [.type, .path]] == [["file", "onnx/README.txt"], ["file", "onnx/model.onnx"], ["directory", "onnx/sub dir"]]
	    and (.[1].lfs.size == 2048)' <<<"$output"
	run -0 tree_paths "$HF_ENDPOINT/api/models/acme/subfolders/tree/main/onnx%2Fsub%20dir?recursive=true&expand=false"
	[ "$output" = "onnx/sub dir/weights file.bin" ]
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$HF_ENDPOINT/api/models/acme/subfolders/tree/main/nope?recursive=true&expand=false"
	[ "$output" = 404 ]
	run -0 curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$HF_ENDPOINT/acme/subfolders/resolve/main/onnx/sub%20dir/weights%20file.bin"
	[[ "$output" == "302 $PF_TEST_CDN/cdn/"* ]]
}

@test "hub: resolve of an LFS file is a 302 to the CDN on 127.0.0.2 with the linked etag and size" {
	run -0 curl -sS -I "$HF_ENDPOINT/acme/tiny-llama/resolve/main/model.safetensors"
	[[ "$output" == "HTTP/1.1 302"* ]]
	sha=$(jq -r '.main.files["model.safetensors"].sha256' "$(hub_expected acme/tiny-llama)")
	[ "$(header Location)" = "$PF_TEST_CDN/cdn/$sha" ]
	[[ "$(header Location)" == http://127.0.0.2:* ]]
	[ "$(header X-Linked-Etag)" = "\"$sha\"" ]
	[ "$(header X-Linked-Size)" = "47488" ]
	[ "$(header X-Repo-Commit)" = "$(hub_commit acme/tiny-llama)" ]
}

@test "hub: a plain file answers 200 with the blob id as ETag, and Range gives 206" {
	run -0 curl -sS -D - -o /dev/null "$HF_ENDPOINT/acme/tiny-llama/resolve/v1.0/config.json"
	[[ "$output" == "HTTP/1.1 200"* ]]
	[ "$(header ETag)" = "\"$(git --git-dir="$HUB_DIR/repos/acme/tiny-llama.git" rev-parse v1.0:config.json)\"" ]
	[ "$(header X-Repo-Commit)" = "$(hub_commit acme/tiny-llama v1.0)" ]
	run -0 curl -sS -D - -o "$BATS_TEST_TMPDIR/part" -r 2-5 "$HF_ENDPOINT/acme/tiny-llama/resolve/main/config.json"
	[[ "$output" == "HTTP/1.1 206"* ]]
	[ "$(header Content-Range)" = "bytes 2-5/431" ]
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/part")" -eq 4 ]
}

@test "hub: the CDN honours Range and answers 416 past the end" {
	sha=$(jq -r '.main.files["model.safetensors"].sha256' "$(hub_expected acme/tiny-llama)")
	run -0 curl -sS -D - -o /dev/null -H 'Range: bytes=47000-' "$PF_TEST_CDN/cdn/$sha"
	[[ "$output" == "HTTP/1.1 206"* ]]
	[ "$(header Content-Range)" = "bytes 47000-47487/47488" ]
	run -0 curl -sS -D - -o /dev/null -H 'Range: bytes=47488-' "$PF_TEST_CDN/cdn/$sha"
	[[ "$output" == "HTTP/1.1 416"* ]]
	[ "$(header Content-Range)" = "bytes */47488" ]
}

@test "hub: a gated model answers 401 GatedRepo anonymously, 403 to an ungranted token, 200 when granted" {
	url=$HF_ENDPOINT/acme/gated-llm/resolve/main/config.json
	run -0 curl -sS -D - -o /dev/null "$url"
	[[ "$output" == "HTTP/1.1 401"* ]]
	[ "$(header X-Error-Code)" = GatedRepo ]
	run -0 curl -sS -D - -o /dev/null -H "Authorization: Bearer $PF_TEST_TOKEN_UNGRANTED" "$url"
	[[ "$output" == "HTTP/1.1 403"* ]]
	[ "$(header X-Error-Code)" = GatedRepo ]
	run -0 curl -sSf -o /dev/null -H "Authorization: Bearer $PF_TEST_TOKEN" "$url"
	run -0 curl -sSf "$HF_ENDPOINT/api/models/acme/gated-llm"
	jq -e '.gated == "manual"' <<<"$output"
}

@test "hub: unknown and private repos are RepoNotFound, 401 anonymous and 404 with a token" {
	run -0 curl -sS -D - -o /dev/null "$HF_ENDPOINT/api/models/acme/no-such-model"
	[[ "$output" == "HTTP/1.1 401"* ]]
	[ "$(header X-Error-Code)" = RepoNotFound ]
	run -0 curl -sS -D - -o /dev/null -H "Authorization: Bearer $PF_TEST_TOKEN_UNGRANTED" "$HF_ENDPOINT/api/models/acme/private-model"
	[[ "$output" == "HTTP/1.1 404"* ]]
	[ "$(header X-Error-Code)" = RepoNotFound ]
	run -0 curl -sSf -o /dev/null -H "Authorization: Bearer $PF_TEST_TOKEN" "$HF_ENDPOINT/api/models/acme/private-model"
}

@test "hub: a bad token is 401 with the Hub's message and no error code" {
	run -0 curl -sS -D - -o /dev/null -H "Authorization: Bearer hf_wrong" "$HF_ENDPOINT/api/models/acme/tiny-llama"
	[[ "$output" == "HTTP/1.1 401"* ]]
	[ "$(header X-Error-Message)" = "Invalid credentials in Authorization header" ]
	[ -z "$(header X-Error-Code)" ]
}

@test "hub: a disabled repo is 403 'Access to this resource is disabled.'" {
	run -0 curl -sS -D - -o /dev/null "$HF_ENDPOINT/api/models/acme/disabled-model"
	[[ "$output" == "HTTP/1.1 403"* ]]
	[ "$(header X-Error-Message)" = "Access to this resource is disabled." ]
}

@test "hub: unknown revision is RevisionNotFound; a missing file is EntryNotFound with X-Repo-Commit" {
	run -0 curl -sS -D - -o /dev/null "$HF_ENDPOINT/api/models/acme/tiny-llama/revision/nosuchbranch"
	[[ "$output" == "HTTP/1.1 404"* ]]
	[ "$(header X-Error-Code)" = RevisionNotFound ]
	run -0 curl -sS -D - -o /dev/null "$HF_ENDPOINT/acme/tiny-llama/resolve/main/no-such-file.json"
	[[ "$output" == "HTTP/1.1 404"* ]]
	[ "$(header X-Error-Code)" = EntryNotFound ]
	[ "$(header X-Repo-Commit)" = "$(hub_commit acme/tiny-llama)" ]
}

@test "hub: branch, tag, commit id and refs%2Fpr%2F1 all resolve to their commits" {
	for rev in dev v1.0 refs/pr/1 "$(hub_commit acme/tiny-llama v1.0)"; do
		enc=${rev//\//%2F}
		run -0 curl -sSf "$HF_ENDPOINT/api/models/acme/tiny-llama/revision/$enc"
		[ "$(jq -r .sha <<<"$output")" = "$(hub_commit acme/tiny-llama "$rev")" ]
	done
	[ "$(hub_commit acme/tiny-llama dev)" != "$(hub_commit acme/tiny-llama main)" ]
}

@test "hub: hostile names the API injects are listed in siblings and the tree" {
	run -0 curl -sSf "$HF_ENDPOINT/api/models/evil/hostile-names"
	jq -e '[.siblings[].rfilename] | index("../../etc/passwd") and index("/abs/path/model.safetensors")
	    and index("nul\u0000byte.json") and any(length > 300)' <<<"$output"
	run -0 tree_paths "$HF_ENDPOINT/api/models/evil/hostile-names/tree/main?recursive=false&expand=false"
	grep -Fx '../../etc/passwd' <<<"$output"
}

@test "hub: a 429 fault fires once, with its headers, then the request succeeds" {
	hub_fault '{"path": "^/api/models/acme/tiny-llama", "kind": "status", "status": 429, "count": 1,
	    "headers": {"Retry-After": "1", "RateLimit": "\"api\";r=0;t=1"}}'
	run -0 curl -sS -D - -o /dev/null "$HF_ENDPOINT/api/models/acme/tiny-llama"
	[[ "$output" == "HTTP/1.1 429"* ]]
	[ "$(header Retry-After)" = 1 ]
	[ "$(header RateLimit)" = '"api";r=0;t=1' ]
	run -0 curl -sS -D - -o /dev/null "$HF_ENDPOINT/api/models/acme/tiny-llama"
	[[ "$output" == "HTTP/1.1 200"* ]]
	[[ "$(header RateLimit)" == '"api";r='* ]]
}

@test "hub: body faults break downloads: drop, wrong bytes, ignored Range, redirect loop" {
	url=$HF_ENDPOINT/acme/tiny-llama/resolve/main/model.safetensors
	sha=$(jq -r '.main.files["model.safetensors"].sha256' "$(hub_expected acme/tiny-llama)")
	hub_fault '{"origin": "cdn", "kind": "drop", "bytes": 100, "count": 1}'
	run -18 curl -sSL -o "$BATS_TEST_TMPDIR/w" "$url"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/w")" -eq 100 ]
	hub_fault '{"origin": "cdn", "kind": "wrong", "offset": 10, "count": 1}'
	run -0 curl -sSL -o "$BATS_TEST_TMPDIR/w" "$url"
	sum=$(sha256sum <"$BATS_TEST_TMPDIR/w")
	[ "${sum%% *}" != "$sha" ]
	hub_fault '{"origin": "cdn", "kind": "ignore-range", "count": 1}'
	run -0 curl -sSL -o /dev/null -w '%{http_code} %{size_download}' -r 100- "$url"
	[ "$output" = "200 47488" ]
	hub_fault '{"origin": "hub", "kind": "redirect", "location": "self"}'
	run -47 curl -sSL --max-redirs 3 -o /dev/null "$url"
}

@test "hub: the request log records each request's headers and no token reaches the CDN" {
	hub_clear_requests
	run -0 curl -sSfL -o /dev/null -H "Authorization: Bearer $PF_TEST_TOKEN" \
	    "$HF_ENDPOINT/acme/tiny-llama/resolve/main/model.safetensors"
	log=$(hub_requests)
	jq -se 'length == 2 and .[0].origin == "hub" and .[0].status == 302
	    and .[0].headers.authorization == "Bearer '"$PF_TEST_TOKEN"'"
	    and .[1].origin == "cdn" and .[1].status == 200 and (.[1].headers | has("authorization") | not)' "$log"
}

@test "hub: git fetch of a commit by id works over smart HTTP" {
	sha=$(hub_commit acme/tiny-llama v1.0)
	git init -q "$BATS_TEST_TMPDIR/clone"
	run -0 git -C "$BATS_TEST_TMPDIR/clone" fetch -q "$HF_ENDPOINT/acme/tiny-llama" "$sha"
	run -0 git -C "$BATS_TEST_TMPDIR/clone" cat-file -t "$sha"
	[ "$output" = commit ]
}

@test "hub: the signed model's commit verifies with the test key; the unsigned one does not" {
	[ -n "$PF_TEST_GPG_KEY" ] || skip "gpg is not installed"
	git init -q "$BATS_TEST_TMPDIR/clone"
	for m in signed-model unsigned-model; do
		git -C "$BATS_TEST_TMPDIR/clone" fetch -q "$HF_ENDPOINT/signed-org/$m" main
	done
	export GNUPGHOME=$PF_TEST_GNUPGHOME
	run -0 git -C "$BATS_TEST_TMPDIR/clone" verify-commit "$(hub_commit signed-org/signed-model)"
	run -1 git -C "$BATS_TEST_TMPDIR/clone" verify-commit "$(hub_commit signed-org/unsigned-model)"
}

@test "hub: the generator is reproducible: the same recipe gives the same commit ids" {
	run -0 "$(_hub_python)" "$HUB_TESTS_DIR/fixtures/gen-hub.py" "$BATS_TEST_TMPDIR/again" --only acme/tiny-llama acme/sharded
	for m in acme/tiny-llama acme/sharded; do
		[ "$(git --git-dir="$BATS_TEST_TMPDIR/again/repos/$m.git" rev-parse main)" = "$(hub_commit "$m")" ]
	done
	[ "$(git --git-dir="$BATS_TEST_TMPDIR/again/repos/acme/tiny-llama.git" rev-parse v1.0)" = \
	    "$(hub_commit acme/tiny-llama v1.0)" ]
}
