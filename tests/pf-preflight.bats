#!/usr/bin/env bats
# pf-preflight against the local Hub fixture: allowlist, formats, remote
# code, resources, Hub errors and faults, hostile names, signatures.

setup_file() {
	load helpers
	hub_build
	HUB_PAGE_SIZE=2 hub_start	# small pages: the tree listing paginates
}

teardown_file() {
	load helpers
	hub_stop
}

setup() {
	load helpers
	hub_clear_faults
	# Retries in tests wait milliseconds, not seconds, unless the Hub says so.
	pf_policy '.hub.backoff_initial_seconds = 0.01'
}

plan_of() { jq -e "$@" <<<"$output" || { jq -c "{model, preflight, findings}" <<<"$output"; false; }; }

@test "pf-preflight: --help prints the synopsis on stdout and exits 0" {
	run -0 --separate-stderr pf-preflight --help
	[[ "${lines[0]}" == "usage: pf-preflight "* ]]
	[ -z "$stderr" ]
}

@test "pf-preflight: --version prints the version" {
	run -0 pf-preflight --version
	[ "$output" = "pf-preflight 0.1.0" ]
}

@test "pf-preflight: an unknown option is a usage error on stderr" {
	run -2 --separate-stderr pf-preflight --bogus acme/tiny-llama
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-preflight --help'"* ]]
}

@test "pf-preflight: every option of the usage text is in the man page" {
	run -0 pf-preflight --help
	opts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u)
	[ -n "$opts" ]
	for opt in $opts; do
		grep -qF -- "Fl \\-${opt#--}" "$PF_REPO/man/pf-preflight.1"
	done
}

@test "pf-preflight: libcurl is opened for the first request, not at start nor for a bad request" {
	without_libcurl 0 pf-preflight --version
	: >"$BATS_TEST_TMPDIR/empty"
	without_libcurl 2 pf-preflight -i "$BATS_TEST_TMPDIR/empty"
	without_libcurl 2 pf-preflight 'acme/../etc'
	[[ "$stderr" == *"model id 'acme/../etc'"* ]]
	run -0 --separate-stderr env LD_DEBUG=files pf-preflight acme/tiny-llama
	[[ "$stderr" == *"file=libcurl.so.4 [0];  dynamically loaded by"* ]]
	plan_of '.status == "passed" and .preflight.decision == "proceed"'
}

@test "pf-preflight: a libcurl that is missing or not OpenSSL's exits 3, nothing written" {
	mkdir "$BATS_TEST_TMPDIR/lib"
	: >"$BATS_TEST_TMPDIR/lib/libcurl.so.4"
	hub_clear_requests
	run -3 --separate-stderr env LD_LIBRARY_PATH="$BATS_TEST_TMPDIR/lib" \
	    pf-preflight -o "$BATS_TEST_TMPDIR/plan.json" acme/tiny-llama
	[ "$stderr" = "pf-preflight: libcurl.so.4: cannot be opened: $BATS_TEST_TMPDIR/lib/libcurl.so.4: file too short" ]
	other_libcurl "$BATS_TEST_TMPDIR/gnutls" gnutls
	run -3 --separate-stderr env LD_LIBRARY_PATH="$BATS_TEST_TMPDIR/gnutls" \
	    pf-preflight -o "$BATS_TEST_TMPDIR/plan.json" acme/tiny-llama
	[[ "$stderr" == "pf-preflight: libcurl.so.4: version '"*"' does TLS with 'GnuTLS/"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/plan.json" ]
	[ ! -s "$(hub_requests)" ]
}

@test "pf-preflight: an allow-listed model is pre-approved and exits 0" {
	run -0 --separate-stderr pf-preflight acme/tiny-llama
	[ -z "$stderr" ]
	plan_of '.stage == "plan" and .status == "passed"
	    and .preflight.allowlist_status == "pre-approved"
	    and .preflight.decision == "proceed" and .preflight.approval_level == "auto"'
	commit=$(hub_commit acme/tiny-llama)
	plan_of ".model.commit == \"$commit\" and .model.revision == \"main\""
}

@test "pf-preflight: a trusted publisher's model is trusted-org and exits 0" {
	run -0 pf-preflight trusted-org/small-bert
	plan_of '.preflight.allowlist_status == "trusted-org" and .preflight.org_verified'
}

@test "pf-preflight: an unknown org needs one approver and exits 1 with the plan" {
	run -1 --separate-stderr pf-preflight randomuser/unknown-model
	plan_of '.status == "failed" and .preflight.allowlist_status == "requires-approval"
	    and .preflight.decision == "approval-required"
	    and .preflight.approval_level == "one-person"
	    and .preflight.next_stage == "download"'
}

@test "pf-preflight: policy 'unlisted: deny' denies an unknown org" {
	pf_policy '.unlisted = "deny"'
	run -1 --separate-stderr pf-preflight randomuser/unknown-model
	plan_of '.preflight.decision == "denied"
	    and any(.findings[]; .rule == "preflight.allowlist.denied")'
}

@test "pf-preflight: remote code needs two-person approval and names the code files" {
	run -1 --separate-stderr pf-preflight helpful-ai/custom-model
	plan_of '.preflight.trust_remote_code_required
	    and .preflight.approval_level == "two-person"
	    and .preflight.remote_code_files == ["configuration_custom.py", "modeling_custom.py"]
	    and (.preflight.risk_warnings[0] | contains("modeling_custom.py"))
	    and .execution_plan.trust_remote_code'
}

@test "pf-preflight: remote code on a trusted publisher still needs two approvers" {
	pf_policy '.trusted_publishers += ["helpful-ai"]'
	run -1 --separate-stderr pf-preflight helpful-ai/custom-model
	plan_of '.preflight.allowlist_status == "trusted-org"
	    and .preflight.approval_level == "two-person"'
}

@test "pf-preflight: a pickle-only model is denied by the default policy" {
	run -1 --separate-stderr pf-preflight olduser/pickle-only
	plan_of '.preflight.decision == "denied"
	    and .preflight.next_stage == null
	    and any(.findings[]; .rule == "preflight.format.pickle-only" and .file == "pytorch_model.bin")
	    and (.files[] | select(.path == "pytorch_model.bin") | .action == "skip")'
}

@test "pf-preflight: 'pickle_only: approval' downloads the pickle for review" {
	pf_policy '.formats.pickle_only = "approval" | .allowlist += ["olduser/pickle-only"]'
	run -1 --separate-stderr pf-preflight olduser/pickle-only
	plan_of '.preflight.decision == "approval-required"
	    and (.files[] | select(.path == "pytorch_model.bin") | .action == "download")'
}

@test "pf-preflight: safetensors beside a .bin: the plan fetches the safetensors and skips the .bin" {
	pf_policy '.allowlist += ["acme/mixed-weights"]'
	run -0 pf-preflight acme/mixed-weights
	plan_of '(.files[] | select(.path == "pytorch_model.bin") | .action == "skip")
	    and (.files[] | select(.path == "model.safetensors") | .action == "download")
	    and .preflight.format_check == "safetensors-only"'
}

@test "pf-preflight: sharded safetensors give exact parameter counts per dtype" {
	pf_policy '.allowlist += ["acme/sharded"]'
	run -0 pf-preflight acme/sharded
	expected=$(jq -c '.main.safetensors' "$(hub_expected acme/sharded)")
	plan_of --argjson want "$expected" '.resource_plan.parameters.by_dtype == $want.parameters
	    and .resource_plan.parameters.total == $want.total
	    and .resource_plan.basis == "safetensors-headers"'
	# The weights were sized with Range requests, never downloaded whole.
	! jq -e 'select(.path | test("safetensors$")) | select(.range == null and .method == "GET")' "$(hub_requests)"
}

@test "pf-preflight: when model info lacks digests, the paginated tree listing gives them" {
	pf_policy '.allowlist += ["acme/sharded"] | .hub.backoff_initial_seconds = 0.01'
	info=$(curl -sf "$HF_ENDPOINT/api/models/acme/sharded/revision/main")
	jq -e '.siblings[0] | has("blobId") | not' <<<"$info"
	hub_fault "$(jq -c '{origin: "hub", path: "^/api/models/acme/sharded/revision/main[?]blobs",
	    kind: "body", json: .}' <<<"$info")"
	hub_clear_requests
	run -0 pf-preflight acme/sharded
	want=$(jq -c '.main.files | to_entries | map({path: .key, blob_id: .value.blob_id,
	    lfs_sha256: (if .value.lfs then .value.sha256 else null end), size: .value.size})' \
	    "$(hub_expected acme/sharded)")
	plan_of --argjson want "$want" '[.files[] | {path, blob_id, lfs_sha256, size}] == $want'
	jq -e -s '[.[] | select(.path | contains("/tree/"))] | length > 1' "$(hub_requests)"
}

@test "pf-preflight: the KV cache follows the documented formula" {
	pf_policy '.resources.context_length = 128 | .resources.batch_size = 2'
	run -0 pf-preflight acme/tiny-llama
	cfg=$(git --git-dir="$HUB_DIR/repos/acme/tiny-llama.git" show main:config.json)
	want=$(jq '2 * .num_hidden_layers * .num_key_value_heads
	    * (.head_dim // (.hidden_size / .num_attention_heads))
	    * ([128, .max_position_embeddings] | min) * 2 * 2' <<<"$cfg")
	plan_of ".resource_plan.kv_cache_bytes == $want"
}

@test "pf-preflight: the device catalogue sets the device count" {
	pf_policy '.resources.devices.tiny = {"memory_gb": 0.00003}'
	run -0 pf-preflight --device tiny acme/tiny-llama
	# (weights + KV) x 1.2 needs four 30 KB devices; rounded to a power of two.
	plan_of '.resource_plan.device_type == "tiny"
	    and .resource_plan.devices_needed == 4
	    and .resource_plan.recommended_device_count == 4
	    and .execution_plan.device_count == 4'
}

@test "pf-preflight: an unknown device type is a usage error" {
	run -2 --separate-stderr pf-preflight --device tpu9 acme/tiny-llama
	[[ "$stderr" == *"device type 'tpu9' is not in resources.devices"* ]]
}

@test "pf-preflight: a gated model without a token is denied with a clear message" {
	pf_policy '.allowlist += ["acme/gated-llm"]'
	run -1 --separate-stderr pf-preflight acme/gated-llm
	plan_of '.preflight.decision == "denied"
	    and any(.findings[]; .rule == "preflight.hub.gated"
	        and (.message | contains("a token with granted access is needed")))'
}

@test "pf-preflight: a gated model with a granted token passes; the token is never shown or sent to the CDN" {
	pf_policy '.allowlist += ["acme/gated-llm"]'
	tok=$(hub_token_file)
	hub_clear_requests
	run -0 --separate-stderr pf-preflight --token-file "$tok" acme/gated-llm
	plan_of '.preflight.decision == "proceed"'
	[[ "$output" != *"$PF_TEST_TOKEN"* ]]
	[[ "$stderr" != *"$PF_TEST_TOKEN"* ]]
	# The Hub saw the token; the CDN origin never did. (Slurped: file
	# reads go out in parallel, so the log's order is not fixed.)
	jq -e -s 'map(select(.origin == "hub")) | length > 0
	    and all(.[]; .headers.authorization != null)' "$(hub_requests)"
	! grep -q "$PF_TEST_TOKEN" <(jq -c 'select(.origin != "hub")' "$(hub_requests)")
	jq -e -s 'any(.[]; .origin == "cdn")' "$(hub_requests)"
}

@test "pf-preflight: HF_TOKEN_PATH is read like --token-file" {
	pf_policy '.allowlist += ["acme/private-model"]'
	HF_TOKEN_PATH=$(hub_token_file) run -0 pf-preflight acme/private-model
	plan_of '.preflight.hub.private'
}

@test "pf-preflight: a private model without a token is not found (exit 2)" {
	run -2 --separate-stderr pf-preflight acme/private-model
	[[ "$stderr" == *"'acme/private-model'"*"not found on the Hub"* ]]
}

@test "pf-preflight: a token the Hub refuses is a usage error naming the token file, not the token" {
	tok=$(hub_token_file hf_not_a_valid_token)
	run -2 --separate-stderr pf-preflight --token-file "$tok" acme/tiny-llama
	[[ "$stderr" == *"refused the token"* ]]
	[[ "$stderr" != *hf_not_a_valid_token* ]]
}

@test "pf-preflight: an unknown model exits 2" {
	run -2 --separate-stderr pf-preflight nosuch/model
	[ -z "$output" ]
	[[ "$stderr" == "pf-preflight: model 'nosuch/model' at 'main': not found on the Hub"* ]]
}

@test "pf-preflight: an unknown revision exits 2" {
	run -2 --separate-stderr pf-preflight --revision nosuchbranch acme/tiny-llama
	[[ "$stderr" == *"revision not found"* ]]
}

@test "pf-preflight: a tag and a branch resolve to their own commits" {
	run -0 pf-preflight --revision dev acme/tiny-llama
	plan_of ".model.commit == \"$(hub_commit acme/tiny-llama dev)\" and .model.revision == \"dev\""
	run -0 pf-preflight --revision v1.0 acme/tiny-llama
	plan_of ".model.commit == \"$(hub_commit acme/tiny-llama v1.0)\""
}

@test "pf-preflight: invalid model ids and revisions exit 2 before any request" {
	hub_clear_requests
	for id in 'foo--bar/x' 'a/b/c' '-a/b' 'a/b-' 'a/b.git' 'a/../b' 'a/b c'; do
		run -2 --separate-stderr pf-preflight -- "$id"
		[[ "$stderr" == *"model id"* ]]
	done
	for rev in 'a..b' '-x' 'a b' 'x.lock' 'refs/'; do
		run -2 --separate-stderr pf-preflight --revision "$rev" acme/tiny-llama
		[[ "$stderr" == *"revision"* ]]
	done
	[ ! -s "$(hub_requests)" ]
}

@test "pf-preflight: a request JSON on stdin works like arguments" {
	run -0 pf-preflight -i - <<<'{"model": "acme/tiny-llama", "revision": "v1.0"}'
	plan_of '.model.revision == "v1.0"'
}

@test "pf-preflight: a malformed request JSON exits 2 naming stdin" {
	run -2 --separate-stderr pf-preflight -i - <<<'{"model": "acme/tiny-llama",'
	[ -z "$output" ]
	[[ "$stderr" == "pf-preflight: <stdin>: invalid JSON"* ]]
}

@test "pf-preflight: 429 with Retry-After, then success" {
	hub_clear_requests
	hub_fault '{"origin": "hub", "path": "^/api/models/acme/tiny-llama", "kind": "status", "status": 429, "headers": {"Retry-After": "1"}, "count": 1}'
	run -0 pf-preflight acme/tiny-llama
	n=$(jq -s '[.[] | select(.path | startswith("/api/models/acme/tiny-llama"))] | length' "$(hub_requests)")
	[ "$n" -eq 2 ]
	# Retry-After: 1 means at least one second (we wait Retry-After + 1).
	jq -e -s '[.[] | select(.path | startswith("/api/models/acme/tiny-llama")) | .time
	    | sub("\\.[0-9]+Z$"; "Z") | fromdate] | .[1] - .[0] >= 1' "$(hub_requests)"
}

# API calls in the request log (what the budget counts), and their arrival
# times, first to last.
api_calls() {
	jq -s '[.[] | select(.origin == "hub" and (.path | startswith("/api/")))] | length' "$(hub_requests)"
}

# Model info of $1 without digests: the tree listing (pages of 2) adds an
# API call per page.
info_without_digests() {
	local info
	info=$(curl -sf "$HF_ENDPOINT/api/models/$1/revision/main")
	hub_fault "$(jq -c --arg m "$1" '{origin: "hub", path: ("^/api/models/" + $m + "/revision/main[?]blobs"),
	    kind: "body", json: .}' <<<"$info")"
}

@test "pf-preflight: hub.requests_burst API calls go out at once; the next waits for its token" {
	pf_policy '.allowlist += ["acme/sharded"] | .hub.requests_burst = 3
	    | .hub.requests_per_second = 0.001'
	info_without_digests acme/sharded
	hub_clear_requests
	pf-preflight -q -o "$BATS_TEST_TMPDIR/plan.json" acme/sharded 2>/dev/null &
	pid=$!
	# Three calls need no token but the burst's; the fourth (model info
	# and three tree pages) waits 1000 s for one.
	for _ in $(seq 150); do [ "$(api_calls)" -ge 3 ] && break; sleep 0.2; done
	sleep 1
	n=$(api_calls)
	kill "$pid"
	wait "$pid" || true
	[ "$n" -eq 3 ]
	[ ! -e "$BATS_TEST_TMPDIR/plan.json" ]
}

@test "pf-preflight: past the burst, API calls keep to hub.requests_per_second" {
	pf_policy '.allowlist += ["acme/sharded"] | .hub.requests_burst = 2
	    | .hub.requests_per_second = 1'
	info_without_digests acme/sharded
	hub_clear_requests
	run -0 pf-preflight acme/sharded
	# Calls 0 and 1 are the burst; call k waits for token k - 1 at one a
	# second: it arrives k - 1 s after the first at the earliest (less
	# 0.5 s for the first call's own way to the server on a busy machine;
	# without the rate all of them come within a few milliseconds).
	jq -e -s '[.[] | select(.origin == "hub" and (.path | startswith("/api/")))
	    | .arrived] | sort | . as $t | length >= 4
	    and all(range(2; length); $t[.] - $t[0] >= (. - 1) - 0.5)' \
	    "$(hub_requests)"
}

@test "pf-preflight: header reads go out fetch.parallel at a time and spend no API budget" {
	# One API call in 1000 s: the run ends only because file reads do not
	# wait for the budget.
	pf_policy '.allowlist += ["acme/sharded"] | .fetch.parallel = 2
	    | .hub.requests_burst = 1 | .hub.requests_per_second = 0.001'
	# A slow CDN keeps each shard's read open for a second: reads overlap
	# as far as the limit lets them.
	hub_fault '{"origin": "cdn", "kind": "delay", "seconds": 1}'
	hub_clear_requests
	run -0 pf-preflight acme/sharded
	plan_of '.resource_plan.basis == "safetensors-headers"'
	[ "$(api_calls)" -eq 1 ]
	jq -e -s '[.[] | select(.origin == "cdn" and .range == "bytes=0-99999")]
	    | length == 3' "$(hub_requests)"
	jq -e -s 'map(.in_flight) | max == 2' "$(hub_requests)"
}

@test "pf-preflight: with fetch.parallel = 1 header reads go one at a time" {
	pf_policy '.allowlist += ["acme/sharded"] | .fetch.parallel = 1'
	hub_fault '{"origin": "cdn", "kind": "delay", "seconds": 0.3}'
	hub_clear_requests
	run -0 pf-preflight acme/sharded
	jq -e -s 'map(.in_flight) | max == 1' "$(hub_requests)"
}

@test "pf-preflight: a 429 on a header read backs off as the Hub says, and says why" {
	pf_policy '.allowlist += ["acme/sharded"]'
	hub_fault '{"origin": "cdn", "path": "^/cdn/", "kind": "status", "status": 429, "headers": {"Retry-After": "1"}, "count": 1}'
	hub_clear_requests
	run -0 --separate-stderr pf-preflight acme/sharded
	plan_of '.resource_plan.basis == "safetensors-headers"'
	[[ "$stderr" == *"/cdn/"*": HTTP 429; retry 1 of 5 in 2 s"* ]]
	# Retry-After: 1 is waited as 2 s (the Hub's + 1), after the 429 came.
	jq -e -s '[.[] | select(.origin == "cdn")] as $c
	    | ($c | map(select(.status == 429)) | .[0]) as $r
	    | $c | map(select(.path == $r.path and .status == 206)) | .[0].arrived - $r.arrived >= 2' \
	    "$(hub_requests)"
}

@test "pf-preflight: a header read the Hub keeps refusing stops the reads not yet sent" {
	# One read at a time, so which were sent is fixed: the first shard's
	# two attempts, then nothing more.
	pf_policy '.allowlist += ["acme/sharded"] | .fetch.parallel = 1
	    | .hub.retries = 1 | .hub.backoff_initial_seconds = 0.01'
	hub_fault '{"origin": "cdn", "kind": "status", "status": 503}'
	hub_clear_requests
	run -3 --separate-stderr pf-preflight acme/sharded
	[[ "$stderr" == "pf-preflight: 'model-00001-of-00003.safetensors': the Hub answered 503 after "* ]]
	[ "$(jq -s 'map(select(.origin == "cdn")) | length' "$(hub_requests)")" -eq 2 ]
}

@test "pf-preflight: hub.requests_burst is 1 to PF_MAX_REQUESTS_BURST (500)" {
	for bad in 0 501 2.5 '"5"'; do
		pf_policy ".hub.requests_burst = $bad"
		run -2 --separate-stderr pf-preflight acme/tiny-llama
		[ "$stderr" = "pf-preflight: policy: hub.requests_burst must be an integer from 1 to PF_MAX_REQUESTS_BURST (500)" ]
	done
	pf_policy '.hub.requests_burst = 500'
	run -0 pf-preflight acme/tiny-llama
	pf_policy '.hub.requests_per_second = -1'
	run -2 --separate-stderr pf-preflight acme/tiny-llama
	[[ "$stderr" == *"hub.requests_per_second must be a number, 0 (no limit) or more" ]]
	pf_policy '.fetch.parallel = 33'
	run -2 --separate-stderr pf-preflight acme/tiny-llama
	[[ "$stderr" == *"fetch.parallel must be an integer from 1 to 32" ]]
}

@test "pf-preflight: 500s then success" {
	hub_fault '{"origin": "hub", "path": "^/api/models/", "kind": "status", "status": 500, "count": 3}'
	run -0 pf-preflight acme/tiny-llama
	plan_of '.status == "passed"'
}

@test "pf-preflight: 503s past the retry limit exit 3 saying how often it tried" {
	pf_policy '.hub.backoff_initial_seconds = 0.01 | .hub.retries = 2'
	hub_fault '{"origin": "hub", "path": "^/api/models/", "kind": "status", "status": 503, "count": 10}'
	run -3 --separate-stderr pf-preflight acme/tiny-llama
	[ -z "$output" ]
	[[ "$stderr" == *"answered 503 after 3 attempts"* ]]
}

@test "pf-preflight: the Hub down exits 3" {
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	pf_policy '.hub.backoff_initial_seconds = 0.01 | .hub.retries = 1'
	HF_ENDPOINT=http://127.0.0.1:$port run -3 --separate-stderr pf-preflight acme/tiny-llama
	[ -z "$output" ]
	[[ "$stderr" == *"Couldn't connect"* ]]
}

@test "pf-preflight: plain http to a host that is not loopback is refused before connecting" {
	HF_ENDPOINT=http://hub.example.invalid run -2 --separate-stderr pf-preflight acme/tiny-llama
	[[ "$stderr" == *"https required"* ]]
}

@test "pf-preflight: a malformed API answer exits 3 with a clear error" {
	hub_fault '{"origin": "hub", "path": "^/api/models/", "kind": "body", "text": "{\"id\": \"acme/tiny-llama\", \"sha\": "}'
	run -3 --separate-stderr pf-preflight acme/tiny-llama
	[[ "$stderr" == *"Hub answer: invalid JSON"* ]]
}

@test "pf-preflight: duplicate keys in an API answer are refused" {
	hub_fault '{"origin": "hub", "path": "^/api/models/", "kind": "body", "text": "{\"sha\": \"a\", \"sha\": \"b\"}"}'
	run -3 --separate-stderr pf-preflight acme/tiny-llama
	[[ "$stderr" == *"duplicate"* ]]
}

@test "pf-preflight: an API answer over the size cap is cut off and refused" {
	pf_policy '.caps.api_response = 4096'
	hub_fault '{"origin": "hub", "path": "^/api/models/", "kind": "body", "size": 4097}'
	run -3 --separate-stderr pf-preflight acme/tiny-llama
	[[ "$stderr" == *"larger than PF_MAX_API_RESPONSE (4096 bytes)"* ]]
}

@test "pf-preflight: an API answer at the size cap is read" {
	size=$(curl -s "$HF_ENDPOINT/api/models/acme/tiny-llama/revision/main?blobs=true&securityStatus=true" | wc -c)
	pf_policy ".caps.api_response = $size | .hub.backoff_initial_seconds = 0.01"
	run -0 pf-preflight acme/tiny-llama
}

@test "pf-preflight: hostile file names are findings and never reach the plan" {
	run -1 --separate-stderr pf-preflight evil/hostile-names
	plan_of '[.findings[] | select(.rule == "preflight.file.unsafe-name")] | length >= 7'
	plan_of 'all(.files[].path; (startswith("/") or contains("..") or contains("\\")
	    or test("[[:cntrl:]]") or startswith(".git/")) | not)'
}

@test "pf-preflight: a safetensors file whose bytes are a pickle is a critical finding" {
	pf_policy '.allowlist += ["evil/disguised-pickle"]'
	run -1 --separate-stderr pf-preflight evil/disguised-pickle
	plan_of 'any(.findings[]; .rule == "preflight.format.content-mismatch"
	    and .severity == "critical" and .file == "model.safetensors")
	    and .preflight.decision == "denied"'
}

@test "pf-preflight: a signed commit passes when the policy requires signatures" {
	[ -n "$PF_TEST_GNUPGHOME" ] || skip "gpg is not installed"
	pf_policy ".signed_commits = {\"require_for\": [\"signed-org\"], \"keyring\": \"$PF_TEST_GNUPGHOME\"}"
	run -0 pf-preflight signed-org/signed-model
	plan_of '.preflight.commit_signature == "verified"'
}

@test "pf-preflight: an unsigned commit is denied when the policy requires signatures" {
	[ -n "$PF_TEST_GNUPGHOME" ] || skip "gpg is not installed"
	pf_policy ".signed_commits = {\"require_for\": [\"signed-org\"], \"keyring\": \"$PF_TEST_GNUPGHOME\"}"
	run -1 --separate-stderr pf-preflight signed-org/unsigned-model
	plan_of '.preflight.commit_signature == "unsigned"
	    and any(.findings[]; .rule == "preflight.commit.unsigned")'
}

@test "pf-preflight: the signature check of a private repo sends the token to git in a file, never argv or environment" {
	[ -n "$PF_TEST_GNUPGHOME" ] || skip "gpg is not installed"
	local w=$BATS_TEST_TMPDIR/wrap real
	real=$(command -v git)
	mkdir -p "$w"
	# A git that records its arguments and environment, then runs the real one.
	printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s/argv"\nenv >>"%s/env"\nexec "%s" "$@"\n' \
	    "$w" "$w" "$real" >"$w/git"
	chmod +x "$w/git"
	pf_policy ".hub.backoff_initial_seconds = 0.01 | .allowlist += [\"acme/private-model\"]
	    | .signed_commits = {\"require_for\": [\"acme/private-model\"], \"keyring\": \"$PF_TEST_GNUPGHOME\"}"
	hub_clear_requests
	PATH="$w:$PATH" HF_TOKEN_PATH=$(hub_token_file) run -1 --separate-stderr pf-preflight acme/private-model
	# Fetched (so not "unavailable", exit 3) and found unsigned.
	plan_of '.preflight.commit_signature == "unsigned"'
	grep -q ' fetch ' "$w/argv"
	run -1 grep -rF "$PF_TEST_TOKEN" "$w/argv" "$w/env"
	# git's requests to the repository carried it.
	jq -s -e 'any(.[]; (.path | test("/git-upload-pack$")) and .headers.authorization)' "$(hub_requests)"
	# And the file that held it went with the scratch repository.
	run -0 find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'pf-gitsig.*' -newer "$w/git"
	[ -z "$output" ]
}

@test "pf-preflight: a signature by a key outside the keyring is denied" {
	[ -n "$PF_TEST_GNUPGHOME" ] || skip "gpg is not installed"
	other="$BATS_TEST_TMPDIR/other-gnupg"
	mkdir -m 700 "$other"
	pf_policy ".signed_commits = {\"require_for\": [\"*\"], \"keyring\": \"$other\"}"
	run -1 --separate-stderr pf-preflight signed-org/signed-model
	plan_of '.preflight.commit_signature == "bad-signature"'
}

@test "pf-preflight: reruns of the same commit are byte-identical" {
	pf-preflight acme/tiny-llama >"$BATS_TEST_TMPDIR/a.json"
	pf-preflight acme/tiny-llama >"$BATS_TEST_TMPDIR/b.json"
	cmp "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
}

@test "pf-preflight: -o writes the plan atomically; a failure leaves the old plan" {
	run -0 pf-preflight -o "$BATS_TEST_TMPDIR/plan.json" acme/tiny-llama
	[ -z "$output" ]
	jq -e '.stage == "plan"' "$BATS_TEST_TMPDIR/plan.json"
	run -2 pf-preflight -o "$BATS_TEST_TMPDIR/plan.json" nosuch/model
	jq -e '.model.id == "acme/tiny-llama"' "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$(ls "$BATS_TEST_TMPDIR" | grep '\.tmp\.')" ]
}

@test "pf-preflight: stdout on /dev/full exits 3" {
	run -3 --separate-stderr bash -c 'pf-preflight acme/tiny-llama >/dev/full'
	[[ "$stderr" == *"write <stdout>"* ]]
}

@test "pf-preflight: a missing policy file is a usage error naming it" {
	run -2 --separate-stderr pf-preflight --policy "$BATS_TEST_TMPDIR/none.json" acme/tiny-llama
	[[ "$stderr" == *"none.json"*"No such file"* ]]
}

# ------------------------------------------------ what Hub users expect

@test "pf-preflight: --include and --exclude skip files, the plan records them, pf-fetch obeys" {
	run -0 --separate-stderr pf-preflight --include '*.json' --exclude 'tokenizer*' acme/tiny-llama
	plan_of '.download.include == ["*.json"] and .download.exclude == ["tokenizer*"]
	    and ([.files[] | select(.action == "download") | .path] | sort) ==
	        ([.files[] | .path | select(endswith(".json") and (startswith("tokenizer") | not))] | sort)
	    and any(.files[]; .path == "model.safetensors" and .action == "skip"
	        and .reason == "not matched by --include")
	    and any(.files[]; .path == "tokenizer.json" and .reason == "matched by --exclude")
	    and .made_from.options == {include: ["*.json"], exclude: ["tokenizer*"]}'
	printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/plan.json"
	run -0 --separate-stderr pf-fetch -q -i "$BATS_TEST_TMPDIR/plan.json"
	jq -e '([.files[].path] | all(endswith(".json")))
	    and any(.skipped[]; .path == "model.safetensors")' <<<"$output"
	[ ! -e "$PF_HOME/quarantine/acme/tiny-llama/$(hub_commit acme/tiny-llama)/model.safetensors" ]
}

@test "pf-preflight: the token file huggingface-cli login writes is used by default, from a file only" {
	pf_policy '.allowlist += ["acme/private-model"]'
	# without it the private model is not found
	run -2 --separate-stderr pf-preflight acme/private-model
	mkdir -p "$HOME/.cache/huggingface"
	(umask 077 && printf '%s\n' "$PF_TEST_TOKEN" >"$HOME/.cache/huggingface/token")
	run -0 --separate-stderr pf-preflight acme/private-model
	plan_of '.preflight.hub.private'
	[[ "$output$stderr" != *"$PF_TEST_TOKEN"* ]]
	# $HF_HOME/token comes first, as in huggingface_hub
	mkdir -p "$BATS_TEST_TMPDIR/hf"
	(umask 077 && printf '%s\n' "$PF_TEST_TOKEN_UNGRANTED" >"$BATS_TEST_TMPDIR/hf/token")
	HF_HOME="$BATS_TEST_TMPDIR/hf" run -2 --separate-stderr pf-preflight acme/private-model
	# and HF_TOKEN, the environment's value, is never used
	rm "$HOME/.cache/huggingface/token"
	HF_TOKEN=$PF_TEST_TOKEN run -2 --separate-stderr pf-preflight acme/private-model
}

@test "pf-preflight: a legacy id the Hub redirects is resolved to its canonical id and recorded" {
	jq '.aliases = ["tinyllama"]' "$HUB_DIR/models/acme/tiny-llama/meta.json" >"$BATS_TEST_TMPDIR/m.json"
	cp "$BATS_TEST_TMPDIR/m.json" "$HUB_DIR/models/acme/tiny-llama/meta.json"
	# the fixture answers as the Hub does: a relative 307
	run curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$HF_ENDPOINT/api/models/tinyllama/revision/main"
	[[ "$output" == "307 $HF_ENDPOINT/api/models/acme/tiny-llama/revision/main" ]]
	run -0 --separate-stderr pf-preflight tinyllama
	plan_of --arg c "$(hub_commit acme/tiny-llama)" '.model == {id: "acme/tiny-llama", revision: "main", commit: $c}
	    and .preflight.requested_id == "tinyllama"
	    and .preflight.allowlist_status == "pre-approved"
	    and any(.findings[]; .rule == "preflight.hub.renamed")'
}

@test "pf-preflight: a Hub URL pasted from the browser is taken as the id, its revision too" {
	run -0 --separate-stderr pf-preflight "https://huggingface.co/acme/tiny-llama"
	plan_of '.model.id == "acme/tiny-llama" and .model.revision == "main"'
	run -0 --separate-stderr pf-preflight "https://huggingface.co/acme/tiny-llama/tree/v1.0"
	plan_of '.model.revision == "v1.0"'
	run -0 --separate-stderr pf-preflight "https://huggingface.co/acme/tiny-llama/blob/dev/config.json?download=true"
	plan_of '.model.revision == "dev"'
	run -0 --separate-stderr pf-preflight "$HF_ENDPOINT/acme/tiny-llama/tree/refs%2Fpr%2F1"
	plan_of '.model.revision == "refs/pr/1"'
	run -2 --separate-stderr pf-preflight "https://huggingface.co/acme/tiny-llama/tree"
	[[ "$stderr" == "pf-preflight: 'https://huggingface.co/acme/tiny-llama/tree': not a Hub model URL"* ]]
}
