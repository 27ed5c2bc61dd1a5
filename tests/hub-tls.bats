#!/usr/bin/env bats
# The Hub over TLS, as the real one is reached: the fixture serves both
# origins with a certificate from a CA made by openssl at test time.
# Preflight and fetch work when that CA is trusted through CURL_CA_BUNDLE or
# SSL_CERT_FILE; an untrusted certificate, a host name the certificate does
# not name, a redirect from https to http, all end with exit 3 and nothing
# written; the token never goes over plain http to a host off loopback.

bats_require_minimum_version 1.5.0

setup_file() {
	load hub
	hub_build
	hub_tls_make "$BATS_FILE_TMPDIR/tls"
	hub_tls_make "$BATS_FILE_TMPDIR/other"	# a CA that signed nothing we serve
	hub_start_tls "$BATS_FILE_TMPDIR/tls"
}

teardown_file() {
	hub_stop
}

setup() {
	load helpers
	export HF_ENDPOINT="https://127.0.0.1:$HUB_PORT"
	CA=$BATS_FILE_TMPDIR/tls/ca.pem
	T=$BATS_TEST_TMPDIR
	unset CURL_CA_BUNDLE SSL_CERT_FILE SSL_CERT_DIR
	pf_policy '.hub.backoff_initial_seconds = 0.01'
	hub_clear_faults
	hub_clear_requests
}

@test "tls: preflight and fetch work with the CA trusted through CURL_CA_BUNDLE" {
	CURL_CA_BUNDLE=$CA run -0 --separate-stderr pf-preflight -o "$T/plan.json" acme/tiny-llama
	CURL_CA_BUNDLE=$CA run -0 --separate-stderr pf-fetch --quiet -i "$T/plan.json" -o "$T/fetch.json"
	jq -e '.status == "passed" and (.files | length) > 0' "$T/fetch.json"
	# The weights came from the CDN origin, over TLS too.
	jq -s -e 'any(.[]; .origin == "cdn")' "$(hub_requests)"
}

@test "tls: preflight and fetch work with the CA trusted through SSL_CERT_FILE" {
	SSL_CERT_FILE=$CA run -0 --separate-stderr pf-preflight -o "$T/plan.json" acme/tiny-llama
	SSL_CERT_FILE=$CA run -0 --separate-stderr pf-fetch --quiet -i "$T/plan.json" -o "$T/fetch.json"
	jq -e '.status == "passed"' "$T/fetch.json"
}

@test "tls: an untrusted certificate is exit 3 with a clear message, nothing written" {
	run -3 --separate-stderr pf-preflight -o "$T/plan.json" acme/tiny-llama
	[ -z "$output" ]
	[[ "$stderr" == "pf-preflight: "*"certificate"*"is not trusted or does not name this host; a private CA is trusted through CURL_CA_BUNDLE or SSL_CERT_FILE)" ]]
	[ ! -e "$T/plan.json" ]
	# A CA, but not the one that signed the server's certificate.
	CURL_CA_BUNDLE=$BATS_FILE_TMPDIR/other/ca.pem run -3 --separate-stderr \
	    pf-preflight -o "$T/plan.json" acme/tiny-llama
	[[ "$stderr" == *"not trusted"* ]]
	[ ! -e "$T/plan.json" ]
	# No retries: a certificate does not become trusted by asking again.
	[ "$(jq -s length "$(hub_requests)")" = 0 ]
}

@test "tls: fetch with an untrusted certificate is exit 3, nothing written" {
	CURL_CA_BUNDLE=$CA pf-preflight -o "$T/plan.json" acme/tiny-llama
	run -3 --separate-stderr pf-fetch --quiet -i "$T/plan.json" -o "$T/fetch.json"
	[[ "$stderr" == *"not trusted or does not name this host"* ]]
	[ ! -e "$T/fetch.json" ]
	run -0 find "$PF_HOME" -path '*quarantine*' -type f ! -name '*.part'
	[ -z "$output" ]
}

@test "tls: a host name the certificate does not name is exit 3, nothing written" {
	pf_policy '.hub.allowed_hosts += ["localhost"]'
	HF_ENDPOINT=https://localhost:$HUB_PORT CURL_CA_BUNDLE=$CA \
	    run -3 --separate-stderr pf-preflight -o "$T/plan.json" acme/tiny-llama
	[[ "$stderr" == *"localhost"*"does not name this host"* ]]
	[ ! -e "$T/plan.json" ]
}

@test "tls: a CA variable naming a missing file says which variable, exit 2" {
	CURL_CA_BUNDLE=$T/nope.pem run -2 --separate-stderr pf-preflight acme/tiny-llama
	[ "$stderr" = "pf-preflight: CURL_CA_BUNDLE: '$T/nope.pem': No such file or directory" ]
	CURL_CA_BUNDLE=$CA pf-preflight -o "$T/plan.json" acme/tiny-llama
	SSL_CERT_FILE=$T/nope.pem run -2 --separate-stderr pf-fetch -i "$T/plan.json" -o "$T/fetch.json"
	[ "$stderr" = "pf-fetch: SSL_CERT_FILE: '$T/nope.pem': No such file or directory" ]
	[ ! -e "$T/fetch.json" ]
}

@test "tls: a redirect from https to plain http is refused by preflight" {
	hub_fault "{\"origin\": \"hub\", \"path\": \"^/api/models/acme/tiny-llama\", \"kind\": \"redirect\",
	    \"location\": \"http://127.0.0.1:$HUB_PORT/api/models/acme/tiny-llama\"}"
	CURL_CA_BUNDLE=$CA run -3 --separate-stderr pf-preflight -o "$T/plan.json" acme/tiny-llama
	[[ "$stderr" == *"redirect refused: 'http://127.0.0.1:$HUB_PORT/api/models/acme/tiny-llama"*"scheme 'http' refused (https only)"* ]]
	[ ! -e "$T/plan.json" ]
}

@test "tls: a redirect from https to plain http is refused by fetch, the token not sent" {
	CURL_CA_BUNDLE=$CA pf-preflight -o "$T/plan.json" acme/tiny-llama
	hub_clear_requests
	hub_fault "{\"origin\": \"hub\", \"path\": \"/config[.]json$\", \"kind\": \"redirect\",
	    \"location\": \"http://127.0.0.2:$HUB_CDN_PORT/config.json\"}"
	HF_TOKEN_PATH=$(hub_token_file) CURL_CA_BUNDLE=$CA \
	    run -3 --separate-stderr pf-fetch --quiet -i "$T/plan.json" -o "$T/fetch.json"
	[[ "$stderr" == *"'config.json': redirect refused: 'http://127.0.0.2:$HUB_CDN_PORT/config.json': scheme 'http' refused (https only)"* ]]
	[ ! -e "$T/fetch.json" ]
	# The CDN (TLS only) saw no plain request, and nothing reached it with the token.
	run -0 jq -s '[.[] | select(.origin == "cdn" and .path == "/config.json")] | length' "$(hub_requests)"
	[ "$output" = 0 ]
}

@test "tls: the token never travels over plain http to a host off loopback" {
	HF_ENDPOINT=http://hub.example.org HF_TOKEN_PATH=$(hub_token_file) \
	    run -2 --separate-stderr pf-preflight -o "$T/plan.json" acme/tiny-llama
	[ "$stderr" = "pf-preflight: HF_ENDPOINT 'http://hub.example.org': https required (plain http only on loopback)" ]
	[ ! -e "$T/plan.json" ]
	CURL_CA_BUNDLE=$CA pf-preflight -o "$T/plan.json" acme/tiny-llama
	HF_ENDPOINT=http://10.0.0.1:8080 HF_TOKEN_PATH=$(hub_token_file) \
	    run -2 --separate-stderr pf-fetch -i "$T/plan.json" -o "$T/fetch.json"
	[ "$stderr" = "pf-fetch: HF_ENDPOINT 'http://10.0.0.1:8080': https required (plain http only on loopback)" ]
	[ ! -e "$T/fetch.json" ]
}

@test "tls: the commit-signature check fetches over TLS with the same CA" {
	[ -n "$PF_TEST_GNUPGHOME" ] || skip "gpg is not installed"
	pf_policy ".hub.backoff_initial_seconds = 0.01
	    | .signed_commits = {\"require_for\": [\"signed-org\"], \"keyring\": \"$PF_TEST_GNUPGHOME\"}"
	CURL_CA_BUNDLE=$CA run -0 --separate-stderr pf-preflight -o "$T/plan.json" signed-org/signed-model
	jq -e '.preflight.commit_signature == "verified"' "$T/plan.json"
}
