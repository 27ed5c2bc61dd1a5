#!/usr/bin/env bats
# pf-fetch against the local Hub fixture (tests/hub/README.md): every fault of
# issue 3 injected through faults.json and asserted through the exit code,
# fetch.json, the store and the fixture's request log. Plans are built here
# from the fixture's API answers with jq, so these tests do not depend on
# pf-preflight's policy decisions. Loopback only; no timing assertions.

bats_require_minimum_version 1.5.0

setup_file() {
	load hub
	hub_build
	hub_start
}

teardown_file() {
	hub_stop
}

setup() {
	load helpers
	# helpers.bash clears HF_ENDPOINT for tests that want no Hub.
	export HF_ENDPOINT="http://127.0.0.1:$HUB_PORT"
	fetch_policy
	hub_clear_faults
}

# fetch_policy [JQ FILTER]: the test policy, with retries spaced 10 ms apart
# (the Hub's own Retry-After and RateLimit waits are still honoured as given).
fetch_policy() {
	pf_policy ".hub.backoff_initial_seconds = 0.01 | ${1:-.}"
}

# make_plan ID [JQ FILTER ON THE PLAN]: a plan for ID at main, every file to
# download, written to $BATS_TEST_TMPDIR/plan.json; the request log is then
# emptied so tests see only pf-fetch's requests.
make_plan() {
	local id=$1 filter=${2:-.}
	curl -sSf "$HF_ENDPOINT/api/models/$id/revision/main?blobs=true" | jq --arg rev main '{
	    pathfinder_version: "0.1.0", stage: "plan",
	    generated_at: "2025-11-25T10:00:00Z",
	    model: {id: .id, revision: $rev, commit: .sha},
	    status: "passed", findings: [],
	    preflight: {decision: "proceed", approval_level: "auto",
	        next_stage: "download"},
	    files: [.siblings[] | {path: .rfilename, size: (.lfs.size // .size),
	        blob_id: .blobId, lfs_sha256: (.lfs.sha256 // null),
	        action: "download", reason: null}]}' |
	    jq "$filter" >"$BATS_TEST_TMPDIR/plan.json"
	hub_clear_requests
}

# fetch_run: how the last fetch went (downloaded or reused, attempts,
# bytes, time): its audit event's "run", which fetch.json leaves out so
# that a rerun writes the same bytes.
fetch_run() {
	tail -n 1 "$PF_HOME/audit.log" | jq -c '.event.run'
}

# qdir ID: the model's quarantine folder at main.
qdir() {
	printf '%s\n' "$PF_HOME/quarantine/$1/$(hub_commit "$1")"
}

# requests [JQ SELECT]: the logged requests, as a JSON array, filtered.
requests() {
	jq -s "map(select(${1:-true}))" "$(hub_requests)"
}

# lfs_sha MODEL PATH: the plan's sha256 of an LFS file.
plan_sha() {
	jq -r --arg p "$1" '.files[] | select(.path == $p) | .lfs_sha256' \
	    "$BATS_TEST_TMPDIR/plan.json"
}

# ---------------------------------------------------------------- the tool

@test "pf-fetch: --help prints the usage on stdout and exits 0" {
	run -0 --separate-stderr pf-fetch --help
	[ -z "$stderr" ]
	[[ "${lines[0]}" == "usage: pf-fetch "* ]]
	[[ "$output" == *"--token-file FILE"* ]]
}

@test "pf-fetch: --version prints the name and version" {
	run -0 --separate-stderr pf-fetch --version
	[ "$output" = "pf-fetch 0.1.0" ]
}

@test "pf-fetch: an unknown option exits 2 with the synopsis on stderr only" {
	run -2 --separate-stderr pf-fetch --no-such-option
	[ -z "$output" ]
	[[ "$stderr" == *"usage: pf-fetch "* ]]
	[[ "$stderr" == *"try 'pf-fetch --help'"* ]]
}

@test "pf-fetch: --progress and --quiet together are a usage error" {
	run -2 --separate-stderr pf-fetch --progress --quiet
	[ -z "$output" ]
	[[ "$stderr" == "pf-fetch: --progress and --quiet conflict"* ]]
}

@test "pf-fetch: the synopsis in --help is the one in the man page" {
	run -0 pf-fetch --help
	want=$(printf '%s %s' "${lines[0]#usage: }" "${lines[1]}" | tr -s '[:space:]' ' ')
	got=$(mandoc -Tascii "$PF_REPO/man/pf-fetch.1" | sed 's/.\x08//g' | expand |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/{//!p}' | tr -s '[:space:]' ' ')
	[ "${want# }" = "$(sed 's/^ //; s/ $//' <<<"$got")" ]
}

# ---------------------------------------------------------------- libcurl

@test "pf-fetch: libcurl is opened for the first request, not at start nor for a bad plan" {
	without_libcurl 0 pf-fetch --version
	: >"$BATS_TEST_TMPDIR/empty"
	without_libcurl 2 pf-fetch -i "$BATS_TEST_TMPDIR/empty"
	make_plan acme/tiny-llama '.stage = "fetch"'
	without_libcurl 2 pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"stage is 'fetch', expected 'plan'"* ]]
	make_plan acme/tiny-llama
	run -0 --separate-stderr env LD_DEBUG=files pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"file=libcurl.so.4 [0];  dynamically loaded by"* ]]
	jq -e '.status == "passed" and all(.files[]; .status == "verified")' <<<"$output"
}

# fetch_with_libcurl DIR: pf-fetch of tiny-llama with DIR/libcurl.so.4
# found first; it must exit 3 before any request and write nothing.
fetch_with_libcurl() {
	make_plan acme/tiny-llama
	run -3 --separate-stderr env LD_LIBRARY_PATH="$1" \
	    pf-fetch -i "$BATS_TEST_TMPDIR/plan.json" -o "$BATS_TEST_TMPDIR/fetch.json"
	[ -z "$output" ]
	[ ! -e "$BATS_TEST_TMPDIR/fetch.json" ]
	[ ! -e "$PF_HOME/quarantine" ]
	[ ! -s "$(hub_requests)" ]
}

@test "pf-fetch: a libcurl that cannot be opened exits 3 with the loader's reason" {
	mkdir "$BATS_TEST_TMPDIR/lib"
	: >"$BATS_TEST_TMPDIR/lib/libcurl.so.4"
	fetch_with_libcurl "$BATS_TEST_TMPDIR/lib"
	[ "$stderr" = "pf-fetch: libcurl.so.4: cannot be opened: $BATS_TEST_TMPDIR/lib/libcurl.so.4: file too short" ]
}

@test "pf-fetch: a libcurl without a function it calls exits 3 naming the function" {
	fake_libcurl "$BATS_TEST_TMPDIR/lib" -DWITHOUT_URL_SET
	fetch_with_libcurl "$BATS_TEST_TMPDIR/lib"
	[[ "$stderr" == "pf-fetch: libcurl.so.4: has no function curl_url_set: "*"undefined symbol: curl_url_set" ]]
}

@test "pf-fetch: a libcurl older than 7.85.0 (no CURLOPT_PROTOCOLS_STR) is refused, exit 3" {
	fake_libcurl "$BATS_TEST_TMPDIR/lib" -DFAKE_VERSION='"7.84.0"' -DFAKE_VERSION_NUM=0x075400
	fetch_with_libcurl "$BATS_TEST_TMPDIR/lib"
	[ "$stderr" = "pf-fetch: libcurl.so.4: version '7.84.0' is older than 7.85.0, the oldest with every setting used here" ]
}

@test "pf-fetch: a libcurl doing TLS with GnuTLS, NSS or another OpenSSL is refused, exit 3" {
	other_libcurl "$BATS_TEST_TMPDIR/gnutls" gnutls
	fetch_with_libcurl "$BATS_TEST_TMPDIR/gnutls"
	[[ "$stderr" == "pf-fetch: libcurl.so.4: version '"*"' does TLS with 'GnuTLS/"*"', not OpenSSL 3, which the TLS settings here rely on" ]]
	other_libcurl "$BATS_TEST_TMPDIR/nss" nss
	fetch_with_libcurl "$BATS_TEST_TMPDIR/nss"
	[[ "$stderr" == *"does TLS with 'NSS/"* ]]
	fake_libcurl "$BATS_TEST_TMPDIR/old" -DFAKE_VERSION='"7.88.1"' -DFAKE_VERSION_NUM=0x075801 \
	    -DFAKE_SSL='"OpenSSL/1.1.1w"'
	fetch_with_libcurl "$BATS_TEST_TMPDIR/old"
	[ "$stderr" = "pf-fetch: libcurl.so.4: version '7.88.1' does TLS with 'OpenSSL/1.1.1w', not OpenSSL 3, which the TLS settings here rely on" ]
}

# ---------------------------------------------------------------- bad plans

@test "pf-fetch: a truncated plan on stdin exits 2 and names stdin" {
	run -2 --separate-stderr pf-fetch <<<'{"stage": "plan",'
	[ -z "$output" ]
	[[ "$stderr" == "pf-fetch: <stdin>: "* ]]
}

@test "pf-fetch: an artifact of another stage exits 2" {
	make_plan acme/tiny-llama '.stage = "fetch"'
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[[ "$stderr" == *"stage is 'fetch', expected 'plan'"* ]]
}

@test "pf-fetch: a plan larger than PF_MAX_ARTIFACT exits 2 before any request" {
	make_plan acme/tiny-llama
	{ printf '{"pad": "'; head -c $((64 * 1024 * 1024)) /dev/zero | tr '\0' a; printf '"}'; } \
	    >"$BATS_TEST_TMPDIR/big.json"
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/big.json"
	[[ "$stderr" == *"PF_MAX_ARTIFACT"* ]]
	[ ! -e "$PF_HOME/quarantine" ]
}

@test "pf-fetch: a commit that is not 40 hex digits is a bad plan" {
	make_plan acme/tiny-llama '.model.commit = "main"'
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"model.commit: must be 40 lowercase hex digits"* ]]
}

@test "pf-fetch: every hostile name the API injects is refused as a bad plan, nothing requested" {
	make_plan evil/hostile-names
	mkdir -p "$BATS_TEST_TMPDIR/etc"
	# The NUL-byte name does not even parse: the JSON reader rejects NUL.
	for name in '../../etc/passwd' '/abs/path/model.safetensors' \
	    'weights/../../../escape.safetensors' $'ctrl\x01\x1b[31mred.json' \
	    'back\slash\..\..\win.json' '.git/config' "long-$(printf 'a%.0s' {1..300}).json"; do
		jq --arg n "$name" '.files |= map(select(.path == $n))' \
		    "$BATS_TEST_TMPDIR/plan.json" >"$BATS_TEST_TMPDIR/one.json"
		[ "$(jq '.files | length' "$BATS_TEST_TMPDIR/one.json")" = 1 ]
		run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/one.json"
		[ -z "$output" ]
		[[ "$stderr" == *"unsafe file name"* ]]
	done
	[ "$(requests | jq length)" = 0 ]
	[ ! -e "$PF_HOME/quarantine" ]
	[ ! -e "$BATS_TEST_TMPDIR/escape.safetensors" ]
}

@test "pf-fetch: a plan naming a file twice, or a file and a folder alike, exits 2" {
	make_plan acme/tiny-llama '.files += [.files[0]]'
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"listed twice"* ]]
	make_plan acme/tiny-llama '.files += [.files[0] | .path = "config.json/x"]'
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"'config.json': both a file and a folder"* ]]
}

@test "pf-fetch: an unknown action is a bad plan" {
	make_plan acme/tiny-llama '.files[0].action = "maybe"'
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"unknown action 'maybe'"* ]]
}

@test "pf-fetch: caps.fetch_file_size: a file at the cap is fetched, one byte over is a bad plan" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	size=$(jq '.files[0].size' "$BATS_TEST_TMPDIR/plan.json")
	fetch_policy ".caps.fetch_file_size = $size"
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	fetch_policy ".caps.fetch_file_size = $((size - 1))"
	rm -rf "$PF_HOME"
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"'config.json': larger than PF_MAX_FETCH_FILE ($((size - 1)) bytes)"* ]]
	[ ! -e "$PF_HOME/quarantine" ]
}

@test "pf-fetch: PF_MAX_FETCH_PARALLEL: fetch.parallel 32 is taken, 33 and 0 are policy errors" {
	make_plan acme/tiny-llama
	fetch_policy '.fetch.parallel = 32'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	for n in 33 0; do
		fetch_policy ".fetch.parallel = $n"
		run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
		[[ "$stderr" == "pf-fetch: policy: fetch.parallel must be an integer from 1 to 32" ]]
	done
}

# ---------------------------------------------------------------- clean runs

@test "pf-fetch: a clean model lands in quarantine verified, 0700 folders, 0600 files" {
	make_plan acme/tiny-llama
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$stderr" ]
	q=$(qdir acme/tiny-llama)
	jq -e --arg q "$q" '.stage == "fetch" and .status == "passed" and .findings == []
	    and .quarantine == $q and .model.id == "acme/tiny-llama"
	    and (.files | length) == .totals.files
	    and all(.files[]; .status == "verified" and .quarantine_path == $q + "/" + .path)' <<<"$output"
	fetch_run | jq -e '.totals.downloaded == (.files | length)
	    and all(.files[]; .status == "downloaded")'
	# Every digest is the mirror's own, and every file is byte for byte the mirror's.
	jq -e --slurpfile x "$(hub_expected acme/tiny-llama)" '
	    ($x[0].main.files | length) == (.files | length)
	    and all(.files[]; . as $f | $x[0].main.files[$f.path] as $e
	        | $f.sha256 == $e.sha256 and $f.size == $e.size)' <<<"$output"
	for f in $(jq -r '.files[].quarantine_path' <<<"$output"); do
		[ "$(stat -c %a "$f")" = 600 ]
		sha=$(sha256sum "$f")
		[ "$(jq -r --arg f "$f" '.files[] | select(.quarantine_path == $f) | .sha256' <<<"$output")" = "${sha%% *}" ]
	done
	[ "$(find "$PF_HOME/quarantine" -type d ! -perm 700 | wc -l)" = 0 ]
	[ "$(find "$PF_HOME/quarantine" -type f ! -perm 600 | wc -l)" = 0 ]
}

@test "pf-fetch: fetch.json carries the plan's Hub library_name, null without one" {
	make_plan acme/tiny-llama '.preflight.hub.library_name = "scikit-learn"'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e '.library_name == "scikit-learn"' <<<"$output"
	make_plan acme/tiny-llama
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e 'has("library_name") and .library_name == null' <<<"$output"
}

@test "pf-fetch: LFS files are verified against lfs_sha256, the rest against the git blob id" {
	make_plan acme/tiny-llama
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e '.files[] | select(.path == "model.safetensors")
	    | .verified_against == "lfs_sha256" and (has("blob_id") | not)' <<<"$output"
	jq -e --slurpfile p "$BATS_TEST_TMPDIR/plan.json" '.files[] | select(.path == "config.json")
	    | .verified_against == "blob_id"
	    and .blob_id == ($p[0].files[] | select(.path == "config.json") | .blob_id)' <<<"$output"
	[ "$(jq -r '.files[] | select(.path == "config.json") | .blob_id' <<<"$output")" = \
	    "$(git hash-object "$(qdir acme/tiny-llama)/config.json")" ]
}

@test "pf-fetch: files are fetched at the plan's commit, never by branch name" {
	make_plan acme/tiny-llama
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	commit=$(hub_commit acme/tiny-llama)
	requests '.origin == "hub"' | jq -e --arg c "$commit" 'length > 0
	    and all(.[]; .path | startswith("/acme/tiny-llama/resolve/" + $c + "/"))'
	jq -e --arg c "$commit" 'all(.files[]; .source_url | contains("/resolve/" + $c + "/"))' <<<"$output"
}

@test "pf-fetch: skipped entries are not requested and are only counted" {
	make_plan acme/tiny-llama '.files |= map(if .path == "model.safetensors" then .action = "skip" else . end)'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e '.totals.skipped == 1 and all(.files[]; .path != "model.safetensors")' <<<"$output"
	[ "$(requests '.path | contains("model.safetensors")' | jq length)" = 0 ]
	[ ! -e "$(qdir acme/tiny-llama)/model.safetensors" ]
}

@test "pf-fetch: the LFS redirect to the CDN origin is followed, and the token never reaches it" {
	make_plan acme/gated-llm
	run -0 --separate-stderr pf-fetch --token-file "$(hub_token_file)" \
	    -i "$BATS_TEST_TMPDIR/plan.json"
	# The Hub got the token; the CDN (127.0.0.2) served the LFS bytes without it.
	requests '.origin == "hub"' | jq -e 'length > 0 and all(.[]; .headers.authorization == "Bearer " + env.PF_TEST_TOKEN)'
	requests '.origin == "cdn"' | jq -e 'length > 0 and all(.[]; .headers | has("authorization") | not)'
	jq -e '.status == "passed"' <<<"$output"
	# The token is in no artifact and no message.
	! grep -q "$PF_TEST_TOKEN" <<<"$output$stderr"
}

@test "pf-fetch: a token file group or others can read is warned about; hub.token_file_permissions error refuses it" {
	make_plan acme/gated-llm
	tok=$(hub_token_file)
	chmod 640 "$tok"
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json" --token-file "$tok"
	[ "$stderr" = "pf-fetch: warning: token file '$tok': mode 0640 lets group or others at it; chmod 600 it" ]
	rm -rf "$PF_HOME"
	hub_clear_requests
	fetch_policy '.hub.token_file_permissions = "error"'
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json" --token-file "$tok"
	[ -z "$output" ]
	[ "$stderr" = "pf-fetch: token file '$tok': mode 0640 lets group or others at it; chmod 600 it" ]
	[ "$(requests | jq length)" = 0 ]
	chmod 600 "$tok"
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json" --token-file "$tok"
	[ -z "$stderr" ]
	fetch_policy '.hub.token_file_permissions = "maybe"'
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json" --token-file "$tok"
	[ "$stderr" = "pf-fetch: policy: hub.token_file_permissions must be \"warn\" or \"error\"" ]
}

@test "pf-fetch: a gated model without a token is refused and nothing is written" {
	make_plan acme/gated-llm
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[[ "$stderr" == *"gated model"* ]]
}

@test "pf-fetch: a second run downloads nothing and reuses the verified digests" {
	make_plan acme/sharded
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	first=$output
	hub_clear_requests
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ "$(requests | jq length)" = 0 ]
	fetch_run | jq -e '.totals.reused == (.files | length) and .totals.bytes_received == 0
	    and all(.files[]; .status == "reused")'
	# Nothing of how the run went is in fetch.json: a rerun is byte-identical.
	[ "$output" = "$first" ]
	# The same digests as the first run, file for file.
	[ "$(jq -c '[.files[] | [.path, .sha256, .blob_id]]' <<<"$output")" = \
	    "$(jq -c '[.files[] | [.path, .sha256, .blob_id]]' <<<"$first")" ]
}

@test "pf-fetch: fetch.json records each verified file's identity as it is in quarantine" {
	make_plan acme/sharded
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	q=$(qdir acme/sharded)
	while read -r path id; do
		[ "$id" = "$(python3 -c 'import json, os, sys; s = os.stat(sys.argv[1])
t = lambda ns: "%d.%09d" % divmod(ns, 10**9)
print(json.dumps({"dev": s.st_dev, "ino": s.st_ino, "size": s.st_size,
    "mtime": t(s.st_mtime_ns), "ctime": t(s.st_ctime_ns)}, separators=(",", ":")))' "$q/$path")" ]
	done < <(jq -r '.files[] | "\(.path) \(.identity | tojson)"' <<<"$output")
	[ "$(jq '[.files[] | select(.identity == null)] | length' <<<"$output")" = 0 ]
}

@test "pf-fetch: a file changed in quarantine after its check is fetched again, the changed copy kept aside" {
	make_plan acme/tiny-llama
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	q=$(qdir acme/tiny-llama)
	printf 'tampered' >>"$q/config.json"
	hub_clear_requests
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	fetch_run | jq -e '.files[] | select(.path == "config.json") | .status == "downloaded"'
	[ "$stderr" = "pf-fetch: warning: 'config.json': changed in quarantine since it was verified; moved to .rejected and fetched again" ]
	[ "$(requests | jq length)" = 1 ]
	[ "$(git hash-object "$q/config.json")" = \
	    "$(jq -r '.files[] | select(.path == "config.json") | .blob_id' "$BATS_TEST_TMPDIR/plan.json")" ]
	grep -q tampered "$PF_HOME/quarantine/.rejected/acme/tiny-llama/$(hub_commit acme/tiny-llama)/config.json"
}

@test "pf-fetch: without its records a rerun hashes the files again and still downloads nothing" {
	make_plan acme/tiny-llama
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	rm -rf "$PF_HOME/quarantine/.state"
	hub_clear_requests
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ "$(requests | jq length)" = 0 ]
	fetch_run | jq -e '.totals.reused == (.files | length)'
}

@test "pf-fetch: PF_MAX_FETCH_STATE: a record at the cap is read, one over it is ignored and the file hashed" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	rec=$(find "$PF_HOME/quarantine/.state" -name '*.json')
	# Pad the record with spaces to 4095 bytes (read whole), then to 4096 (too big).
	for len in 4095 4096; do
		jq -c . "$rec" >"$rec.t" && mv "$rec.t" "$rec"
		head -c $((len - $(stat -c %s "$rec"))) /dev/zero | tr '\0' ' ' >>"$rec"
		[ "$(stat -c %s "$rec")" = "$len" ]
		run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
		fetch_run | jq -e '.files[0].status == "reused"'
	done
}

@test "pf-fetch: fetch.rehash_reused distrusts the records: a file changed behind them is caught" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	q=$(qdir acme/tiny-llama)
	printf '{}' >"$q/config.json"
	# Forge the record to match the changed file's inode and change time.
	rec=$(find "$PF_HOME/quarantine/.state" -name '*.json')
	python3 -c 'import json, os, sys
st = os.stat(sys.argv[2]); r = json.load(open(sys.argv[1]))
r.update(size=st.st_size, ino=st.st_ino, dev=st.st_dev,
         ctime_sec=st.st_ctime_ns // 10**9, ctime_nsec=st.st_ctime_ns % 10**9)
json.dump(r, open(sys.argv[1], "w"))' "$rec" "$q/config.json"
	# The size no longer matches the plan, so even the record is not enough.
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	fetch_run | jq -e '.files[0].status == "downloaded"'
	# Same size this time: only rehash_reused catches it.
	size=$(stat -c %s "$q/config.json")
	head -c "$size" /dev/zero >"$q/config.json"
	python3 -c 'import json, os, sys
st = os.stat(sys.argv[2]); r = json.load(open(sys.argv[1]))
r.update(ino=st.st_ino, dev=st.st_dev,
         ctime_sec=st.st_ctime_ns // 10**9, ctime_nsec=st.st_ctime_ns % 10**9)
json.dump(r, open(sys.argv[1], "w"))' "$rec" "$q/config.json"
	fetch_policy '.fetch.rehash_reused = true'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	fetch_run | jq -e '.files[0].status == "downloaded"'
	[ "$(git hash-object "$q/config.json")" = "$(jq -r '.files[0].blob_id' "$BATS_TEST_TMPDIR/plan.json")" ]
}

@test "pf-fetch: fetch.parallel 1 fetches the same files as the default" {
	make_plan acme/sharded
	fetch_policy '.fetch.parallel = 1'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	fetch_run | jq -e '.totals.downloaded == 6'
}

@test "pf-fetch: PF_HOME defaults to XDG_DATA_HOME/pathfinder" {
	make_plan acme/tiny-llama
	unset PF_HOME
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e --arg q "$XDG_DATA_HOME/pathfinder/quarantine/acme/tiny-llama/$(hub_commit acme/tiny-llama)" \
	    '.quarantine == $q' <<<"$output"
	[ -f "$XDG_DATA_HOME/pathfinder/quarantine/acme/tiny-llama/$(hub_commit acme/tiny-llama)/config.json" ]
}

@test "pf-fetch: -o writes fetch.json to a file and nothing on stdout" {
	make_plan acme/tiny-llama
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json" -o "$BATS_TEST_TMPDIR/fetch.json"
	[ -z "$output" ]
	jq -e '.stage == "fetch"' "$BATS_TEST_TMPDIR/fetch.json"
}

@test "pf-fetch: reads the plan pf-preflight writes" {
	command -v pf-preflight >/dev/null || skip "pf-preflight is not built"
	pf-preflight acme/tiny-llama >"$BATS_TEST_TMPDIR/plan.json"
	hub_clear_requests
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e --slurpfile p "$BATS_TEST_TMPDIR/plan.json" '.status == "passed"
	    and .totals.files == ([$p[0].files[] | select(.action == "download")] | length)
	    and .model == $p[0].model and .plan.decision == "proceed"' <<<"$output"
}

# ---------------------------------------------------------------- progress

@test "pf-fetch: --progress writes progress lines on stderr, --quiet and a pipe none" {
	make_plan acme/tiny-llama
	run -0 --separate-stderr pf-fetch --progress -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == "pf-fetch: "*" of "*", "*"/s, "*" of "*" files" ]]
	rm -rf "$PF_HOME"
	run -0 --separate-stderr pf-fetch --quiet -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$stderr" ]
	rm -rf "$PF_HOME"
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$stderr" ]
}

@test "pf-fetch: progress names the files in flight" {
	make_plan acme/tiny-llama
	sha=$(plan_sha model.safetensors)
	# 47 KB at 20 KB/s: in flight for the two progress lines that follow.
	hub_fault '{"origin": "cdn", "path": "^/cdn/'"$sha"'", "kind": "slow", "rate": 20000}'
	run -0 --separate-stderr pf-fetch --progress -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"files; now: 'model.safetensors'"* ]]
}

# ---------------------------------------------------------------- faults

@test "pf-fetch: a connection reset mid-file resumes with Range, not from byte 0" {
	make_plan acme/tiny-llama
	sha=$(plan_sha model.safetensors)
	hub_fault '{"origin": "cdn", "path": "^/cdn/'"$sha"'", "kind": "drop", "bytes": 2000, "count": 1}'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	# Two GETs of the object: the whole (cut at 2000), then from 2000 on; none from 0 again.
	requests '.origin == "cdn"' | jq -e '[.[].range] == [null, "bytes=2000-"]'
	fetch_run | jq -e '.files[] | select(.path == "model.safetensors")
	    | .status == "downloaded" and .resumed_from == 2000 and .attempts == 2'
	sum=$(sha256sum "$(qdir acme/tiny-llama)/model.safetensors")
	[ "${sum%% *}" = "$sha" ]
}

@test "pf-fetch: an interrupted run leaves no file under its name, and the next run resumes it" {
	make_plan acme/tiny-llama
	sha=$(plan_sha model.safetensors)
	fetch_policy '.hub.retries = 0'
	hub_fault '{"origin": "cdn", "path": "^/cdn/", "kind": "drop", "bytes": 3000, "count": 1}'
	run -3 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[[ "$stderr" == "pf-fetch: 'model.safetensors': giving up after 1 attempts: "* ]]
	[ ! -e "$(qdir acme/tiny-llama)/model.safetensors" ]
	hub_clear_requests
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	requests '.origin == "cdn"' | jq -e '[.[].range] == ["bytes=3000-"]'
	sum=$(sha256sum "$(qdir acme/tiny-llama)/model.safetensors")
	[ "${sum%% *}" = "$sha" ]
}

@test "pf-fetch: a server that ignores Range (200 to a resume) restarts the file from 0, still verified" {
	make_plan acme/tiny-llama
	sha=$(plan_sha model.safetensors)
	hub_fault '[{"origin": "cdn", "path": "^/cdn/", "kind": "drop", "bytes": 3000, "count": 1},
	    {"origin": "cdn", "path": "^/cdn/", "kind": "ignore-range", "count": 1}]'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	requests '.origin == "cdn"' | jq -e '[.[] | [.range, .status]] == [[null, 200], ["bytes=3000-", 200]]'
	sum=$(sha256sum "$(qdir acme/tiny-llama)/model.safetensors")
	[ "${sum%% *}" = "$sha" ]
	# It started over: nothing was resumed, so resumed_from is not claimed.
	fetch_run | jq -e '.files[] | select(.path == "model.safetensors")
	    | has("resumed_from") == false'
}

@test "pf-fetch: wrong bytes from the CDN exit 1; the evidence is kept aside and nothing promoted" {
	make_plan acme/tiny-llama
	sha=$(plan_sha model.safetensors)
	hub_fault '{"origin": "cdn", "path": "^/cdn/", "kind": "wrong", "offset": 100, "length": 4}'
	run -1 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e '.status == "failed" and (.findings | length) == 1
	    and .findings[0].rule == "fetch.checksum.mismatch"
	    and .findings[0].severity == "critical"
	    and .findings[0].file == "model.safetensors"
	    and .findings[0].evidence.verified_against == "lfs_sha256"
	    and .totals.rejected == 1' <<<"$output"
	[[ "$stderr" == "pf-fetch: 'model.safetensors': checksum mismatch: expected sha256 $sha, got "* ]]
	ev="$PF_HOME/quarantine/.rejected/acme/tiny-llama/$(hub_commit acme/tiny-llama)/model.safetensors"
	jq -e --arg ev "$ev" '.files[] | select(.path == "model.safetensors")
	    | .status == "rejected" and .quarantine_path == $ev' <<<"$output"
	[ -f "$ev" ]
	[ ! -e "$(qdir acme/tiny-llama)/model.safetensors" ]
	# The other files passed and are in place.
	[ -f "$(qdir acme/tiny-llama)/config.json" ]
}

@test "pf-fetch: wrong bytes in a plain file fail its git blob id" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "wrong"}'
	run -1 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e '.findings[0].rule == "fetch.checksum.mismatch"
	    and .findings[0].evidence.verified_against == "blob_id"' <<<"$output"
	[ ! -e "$(qdir acme/tiny-llama)/config.json" ]
}

@test "pf-fetch: API answers that lie about size and sha256 are caught (evil/wrong-checksums)" {
	make_plan evil/wrong-checksums
	run -1 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e '[.findings[] | [.file, .rule]] ==
	    [["config.json", "fetch.size.mismatch"], ["model.safetensors", "fetch.checksum.mismatch"]]' <<<"$output"
	# config.json was planned at 3 bytes: the download was cut there.
	jq -e '.files[] | select(.path == "config.json") | .size == 3' <<<"$output"
	[ ! -e "$(qdir evil/wrong-checksums)/config.json" ]
	[ ! -e "$(qdir evil/wrong-checksums)/model.safetensors" ]
}

@test "pf-fetch: a body longer than the expected size is cut at that size and rejected" {
	make_plan acme/tiny-llama
	size=$(jq '.files[] | select(.path == "model.safetensors") | .size' "$BATS_TEST_TMPDIR/plan.json")
	hub_fault '{"origin": "cdn", "path": "^/cdn/", "kind": "oversize", "extra": 100000, "announce": "none"}'
	run -1 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e --argjson s "$size" '.findings[0].rule == "fetch.size.mismatch"
	    and .findings[0].evidence.cut == true
	    and .findings[0].evidence.expected_size == $s' <<<"$output"
	ev="$PF_HOME/quarantine/.rejected/acme/tiny-llama/$(hub_commit acme/tiny-llama)/model.safetensors"
	[ "$(stat -c %s "$ev")" = "$size" ]
	[ ! -e "$(qdir acme/tiny-llama)/model.safetensors" ]
}

@test "pf-fetch: a rerun after a rejection fetches the file afresh" {
	make_plan acme/tiny-llama
	hub_fault '{"origin": "cdn", "path": "^/cdn/", "kind": "wrong", "count": 1}'
	run -1 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	hub_clear_requests
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	requests '.origin == "cdn"' | jq -e '[.[].range] == [null]'
	fetch_run | jq -e '.files[] | select(.path == "model.safetensors") | .status == "downloaded"'
}

@test "pf-fetch: a 429 with RateLimit r=0 is waited out and retried" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "status", "status": 429,
	    "headers": {"RateLimit": "\"resolvers\";r=0;t=0"}, "count": 1}'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	requests | jq -e '[.[].status] == [429, 200]'
	fetch_run | jq -e '.files[0].attempts == 2 and .files[0].status == "downloaded"'
}

@test "pf-fetch: a 429 with Retry-After is honoured and the wait is said, then the file comes" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "status", "status": 429,
	    "headers": {"Retry-After": "0"}, "count": 1}'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	requests | jq -e '[.[].status] == [429, 200]'
	[ "$stderr" = "pf-fetch: 'config.json': HTTP 429; waiting 1 s as the Hub asks (Retry-After) before attempt 2 of 6" ]
	# --quiet says nothing.
	rm -rf "$PF_HOME"
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "status", "status": 429,
	    "headers": {"Retry-After": "0"}, "count": 1}'
	run -0 --separate-stderr pf-fetch -q -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$stderr" ]
}

@test "pf-fetch: a 429 asking for a wait past fetch.max_wait_seconds gives up at once with exit 3" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "status", "status": 429,
	    "headers": {"Retry-After": "100000"}}'
	# Before the cap, each such wait was slept (300 s a retry): a timeout tells.
	run -3 --separate-stderr timeout 60 pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[ "$stderr" = "pf-fetch: 'config.json': HTTP 429: the Hub asks to wait 100000 s (Retry-After), more than the 600 s left of fetch.max_wait_seconds (600); giving up" ]
	[ "$(requests | jq length)" = 1 ]
	[ ! -e "$(qdir acme/tiny-llama)/config.json" ]
}

@test "pf-fetch: fetch.max_wait_seconds caps the waits of every retry together" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	# Each 429 asks for 0 s, waited as 1 s: two fit in 2 s, the third does not.
	fetch_policy '.fetch.max_wait_seconds = 2'
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "status", "status": 429,
	    "headers": {"Retry-After": "0"}}'
	run -3 --separate-stderr pf-fetch -q -i "$BATS_TEST_TMPDIR/plan.json"
	[ "$stderr" = "pf-fetch: 'config.json': HTTP 429: the Hub asks to wait 0 s (Retry-After), more than the 0 s left of fetch.max_wait_seconds (2); giving up" ]
	[ "$(requests | jq length)" = 3 ]
	# Our own backoff counts too.
	fetch_policy '.fetch.max_wait_seconds = 0'
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "status", "status": 500}'
	run -3 --separate-stderr pf-fetch -q -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == "pf-fetch: 'config.json': HTTP 500: waiting "*" s more would pass fetch.max_wait_seconds (0 s in all); giving up" ]]
	fetch_policy '.fetch.max_wait_seconds = 86401'
	run -2 --separate-stderr pf-fetch -q -i "$BATS_TEST_TMPDIR/plan.json"
	[ "$stderr" = "pf-fetch: policy: fetch.max_wait_seconds must be an integer from 0 to 86400" ]
}

@test "pf-fetch: a 500 and a 503 are retried, then success" {
	make_plan acme/tiny-llama
	hub_fault '[{"origin": "cdn", "kind": "status", "status": 500, "count": 1},
	    {"origin": "cdn", "kind": "status", "status": 503, "count": 1}]'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	requests '.origin == "cdn"' | jq -e '[.[].status] == [500, 503, 200]'
	fetch_run | jq -e '.files[] | select(.path == "model.safetensors") | .attempts == 3'
}

@test "pf-fetch: a 500 that does not go away ends with exit 3 after hub.retries" {
	make_plan acme/tiny-llama
	fetch_policy '.hub.retries = 2'
	hub_fault '{"origin": "cdn", "kind": "status", "status": 500}'
	run -3 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[[ "$stderr" == "pf-fetch: 'model.safetensors': giving up after 3 attempts: HTTP 500" ]]
	[ "$(requests '.origin == "cdn"' | jq length)" = 3 ]
	[ ! -e "$(qdir acme/tiny-llama)/model.safetensors" ]
}

@test "pf-fetch: a stalled transfer hits the low-speed limit and is resumed" {
	make_plan acme/tiny-llama
	sha=$(plan_sha model.safetensors)
	fetch_policy '.fetch.low_speed_bytes_per_second = 1000000 | .fetch.low_speed_seconds = 1'
	hub_fault '{"origin": "cdn", "path": "^/cdn/", "kind": "slow", "bytes": 4096, "stall": 15, "count": 1}'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	requests '.origin == "cdn"' | jq -e 'length == 2 and .[0].range == null
	    and (.[1].range | test("^bytes=[1-9][0-9]*-$"))'
	sum=$(sha256sum "$(qdir acme/tiny-llama)/model.safetensors")
	[ "${sum%% *}" = "$sha" ]
}

@test "pf-fetch: a redirect to a host not in hub.allowed_hosts is refused, nothing written" {
	make_plan acme/tiny-llama
	# 127.0.0.3 is loopback, but not allowed; its port is closed anyway.
	hub_fault '{"origin": "hub", "path": "/config[.]json$", "kind": "redirect",
	    "location": "http://127.0.0.3:9/steal"}'
	run -3 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[[ "$stderr" == *"'config.json': redirect refused: 'http://127.0.0.3:9/steal': host '127.0.0.3' is not in the policy's hub.allowed_hosts" ]]
	[ ! -e "$(qdir acme/tiny-llama)/config.json" ]
}

@test "pf-fetch: PF_MAX_REDIRECTS: 5 redirects are followed, a 6th is refused" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "redirect", "count": 5}'
	run -0 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	requests | jq -e '[.[].status] == [302, 302, 302, 302, 302, 200]'
	rm -rf "$PF_HOME"
	hub_clear_requests
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "redirect", "count": 6}'
	run -3 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"'config.json': more than PF_MAX_REDIRECTS (5) redirects" ]]
	[ "$(requests | jq length)" = 6 ]
}

@test "pf-fetch: an error answer's body is cut at PF_MAX_FETCH_ERROR_BODY, the error still named" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	hub_fault '{"origin": "hub", "path": "config.json", "kind": "status", "status": 404,
	    "headers": {"X-Error-Code": "EntryNotFound"}, "body": "'"$(printf 'x%.0s' {1..100000})"'"}'
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ "$stderr" = "pf-fetch: 'config.json': file not found" ]
}

@test "pf-fetch: a file the Hub does not have is an error naming it" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json") | .path = "missing.json")'
	run -2 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == "pf-fetch: 'missing.json': file not found" ]]
}

# ---------------------------------------------------------------- concurrent runs

# fetch_together N PLAN...: N pf-fetch runs at once, run i on PLAN[i mod
# count], each writing $BATS_TEST_TMPDIR/run-i.{json,err,rc}.
fetch_together() {
	local n=$1 i pids=()
	shift
	local plans=("$@")
	for ((i = 0; i < n; i++)); do
		(
			rc=0
			pf-fetch -q -i "${plans[i % ${#plans[@]}]}" \
			    -o "$BATS_TEST_TMPDIR/run-$i.json" \
			    2>"$BATS_TEST_TMPDIR/run-$i.err" || rc=$?
			echo "$rc" >"$BATS_TEST_TMPDIR/run-$i.rc"
		) &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# store_matches_manifests N: every run ended 0 or 1, and every file of every
# passing fetch.json is in quarantine with the size and SHA-256 it records.
store_matches_manifests() {
	local n=$1 i f size sha got
	for ((i = 0; i < n; i++)); do
		rc=$(cat "$BATS_TEST_TMPDIR/run-$i.rc")
		if [ "$rc" != 0 ] && [ "$rc" != 1 ]; then
			echo "run $i exited $rc: $(cat "$BATS_TEST_TMPDIR/run-$i.err")" >&2
			return 1
		fi
		[ "$rc" = 0 ] || continue
		jq -e '.status == "passed"' "$BATS_TEST_TMPDIR/run-$i.json" >/dev/null
		while read -r f size sha; do
			got=$(sha256sum "$f")
			if [ "${got%% *}" != "$sha" ] || [ "$(stat -c %s "$f")" != "$size" ]; then
				echo "run $i: $f is not what its fetch.json says" >&2
				return 1
			fi
		done < <(jq -r '.files[] | "\(.quarantine_path) \(.size) \(.sha256)"' \
		    "$BATS_TEST_TMPDIR/run-$i.json")
	done
}

@test "pf-fetch: concurrent runs of one model, one slow with wrong bytes: quarantine holds what every passing fetch.json says" {
	make_plan acme/tiny-llama
	sha=$(plan_sha model.safetensors)
	# The first GET trickles corrupt bytes for seconds while the other runs
	# are answered at once; then resets and a slow answer for good measure.
	hub_fault '[{"origin": "cdn", "path": "^/cdn/'"$sha"'", "kind": "wrong", "rate": 10000, "count": 1},
	    {"origin": "cdn", "path": "^/cdn/'"$sha"'", "kind": "drop", "bytes": 5000, "count": 2},
	    {"origin": "cdn", "path": "^/cdn/'"$sha"'", "kind": "slow", "rate": 40000, "count": 1}]'
	fetch_together 8 "$BATS_TEST_TMPDIR/plan.json"
	store_matches_manifests 8
	# Exactly the run that got the wrong bytes said so; the rest passed.
	[ "$(cat "$BATS_TEST_TMPDIR"/run-*.rc | sort | tr '\n' ' ')" = "0 0 0 0 0 0 0 1 " ]
	[ "$(grep -l 'checksum mismatch' "$BATS_TEST_TMPDIR"/run-*.err | wc -l)" = 1 ]
	sum=$(sha256sum "$(qdir acme/tiny-llama)/model.safetensors")
	[ "${sum%% *}" = "$sha" ]
}

@test "pf-fetch: 12 concurrent runs of two models under resets, slow and wrong answers leave a consistent store" {
	make_plan acme/sharded
	mv "$BATS_TEST_TMPDIR/plan.json" "$BATS_TEST_TMPDIR/sharded.json"
	make_plan acme/tiny-llama
	hub_fault '[{"origin": "cdn", "kind": "wrong", "rate": 20000, "count": 2},
	    {"origin": "hub", "path": "config[.]json$", "kind": "wrong", "rate": 2000, "count": 1},
	    {"origin": "cdn", "kind": "drop", "bytes": 3000, "count": 4},
	    {"origin": "cdn", "kind": "slow", "rate": 30000, "count": 3},
	    {"origin": "any", "kind": "status", "status": 503, "count": 3},
	    {"origin": "cdn", "kind": "ignore-range", "count": 2}]'
	fetch_together 12 "$BATS_TEST_TMPDIR/plan.json" "$BATS_TEST_TMPDIR/sharded.json"
	store_matches_manifests 12
	# Three answers were corrupt: at most three runs failed, and some passed.
	[ "$(cat "$BATS_TEST_TMPDIR"/run-*.rc | grep -cx 1)" -le 3 ]
	[ "$(cat "$BATS_TEST_TMPDIR"/run-*.rc | grep -cx 0)" -ge 9 ]
	# No lock is left behind, and every verified file is whole in quarantine.
	[ -z "$(find "$PF_HOME/quarantine/.partial" -name '*.lock')" ]
	fetch_together 2 "$BATS_TEST_TMPDIR/plan.json" "$BATS_TEST_TMPDIR/sharded.json"
	jq -se 'all(.[]; .status == "passed")' \
	    "$BATS_TEST_TMPDIR/run-0.json" "$BATS_TEST_TMPDIR/run-1.json"
	tail -n 2 "$PF_HOME/audit.log" | jq -se 'all(.[]; .event.run.totals.reused
	    == (.event.run.files | length))'
}

# ---------------------------------------------------------------- the store

@test "pf-fetch: a symlink planted under a file's name is not followed" {
	make_plan acme/tiny-llama
	q=$(qdir acme/tiny-llama)
	mkdir -p "$q"
	echo outside >"$BATS_TEST_TMPDIR/outside"
	ln -s "$BATS_TEST_TMPDIR/outside" "$q/config.json"
	run -3 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[[ "$stderr" == *"'config.json': not a regular file in the quarantine; not followed"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/outside")" = outside ]
	[ -L "$q/config.json" ]
}

@test "pf-fetch: a symlinked folder in the quarantine is not followed" {
	make_plan acme/tiny-llama
	mkdir -p "$PF_HOME/quarantine" "$BATS_TEST_TMPDIR/elsewhere"
	ln -s "$BATS_TEST_TMPDIR/elsewhere" "$PF_HOME/quarantine/acme"
	run -3 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[[ "$stderr" == *"not followed"* ]]
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/elsewhere")" ]
}

@test "pf-fetch: a symlink planted as a .part file is not followed" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	part="$PF_HOME/quarantine/.partial/acme/tiny-llama/$(hub_commit acme/tiny-llama)"
	mkdir -p "$part"
	name=$(printf '%s' config.json | sha256sum)
	: >"$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$part/${name%% *}.part"
	run -3 --separate-stderr pf-fetch -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == "pf-fetch: 'config.json': partial file: "*"; not followed" ]]
	[ ! -s "$BATS_TEST_TMPDIR/target" ]
}

@test "pf-fetch: a write failure (ulimit -f) exits 3 with a clear message, no file under a real name" {
	make_plan acme/tiny-llama
	run -3 --separate-stderr bash -c 'ulimit -f 8 && exec pf-fetch -i "$1"' _ "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[[ "$stderr" == "pf-fetch: write 'model.safetensors': File too large" ]]
	[ ! -e "$(qdir acme/tiny-llama)/model.safetensors" ]
	# What did land is whole and verified: each file is its plan's size.
	for f in "$(qdir acme/tiny-llama)"/*; do
		[ -e "$f" ] || continue
		[ "$(stat -c %s "$f")" = "$(jq --arg p "${f##*/}" '.files[] | select(.path == $p) | .size' \
		    "$BATS_TEST_TMPDIR/plan.json")" ]
	done
}

@test "pf-fetch: stdout on /dev/full exits 3" {
	make_plan acme/tiny-llama '.files |= map(select(.path == "config.json"))'
	run -3 --separate-stderr bash -c 'exec pf-fetch -i "$1" >/dev/full' _ "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"No space left on device"* ]]
}
