# tests/hub.bash: the local Hugging Face Hub fixture for bats files.
# Sourced by tests/helpers.bash (or `load hub`). Typical use:
#
#   setup_file()    { load hub; hub_build; hub_start; }
#   teardown_file() { hub_stop; }
#   setup()         { load hub; hub_clear_faults; }
#
# hub_build makes the mirror (tests/fixtures/gen-hub.py) in $BATS_FILE_TMPDIR/hub,
# hub_start runs tests/hub/server.py on it and exports HF_ENDPOINT. Routes, fault
# rules and the request log are described in tests/hub/README.md.

HUB_TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Tokens the server accepts. The recipes grant PF_TEST_TOKEN access to the gated
# and private models; PF_TEST_TOKEN_UNGRANTED is valid but granted nothing.
export PF_TEST_TOKEN=hf_pathfinder_test_granted
export PF_TEST_TOKEN_UNGRANTED=hf_pathfinder_test_ungranted

_hub_python() {
	if [ -n "${PF_PYTHON:-}" ]; then
		printf '%s\n' "$PF_PYTHON"
	elif [ -x /usr/bin/python3 ]; then
		printf '%s\n' /usr/bin/python3
	else
		command -v python3
	fi
}

# _hub_generate DIR: a fresh mirror in DIR, with a throw-away GPG key for the
# signed models when gpg is installed.
_hub_generate() {
	local dir=$1 gpghome fpr
	local -a sign=()
	rm -rf "$dir"
	mkdir -p "$dir"
	if command -v gpg >/dev/null; then
		gpghome=$dir/gnupg
		mkdir -m 700 "$gpghome"
		GNUPGHOME=$gpghome gpg --batch --quiet --passphrase '' \
		    --quick-gen-key 'Pathfinder Test Signer <signer@pathfinder.test>' \
		    ed25519 sign never 2>/dev/null || return 1
		fpr=$(GNUPGHOME=$gpghome gpg --batch --with-colons --list-secret-keys 2>/dev/null |
		    awk -F: '$1 == "fpr" { print $10; exit }')
		[ -n "$fpr" ] || return 1
		sign=(--gpg-home "$gpghome" --gpg-key "$fpr")
	fi
	"$(_hub_python)" "$HUB_TESTS_DIR/fixtures/gen-hub.py" "$dir" "${sign[@]}"
	local rc=$?
	# gpg started an agent for the key; leave no process behind.
	[ -n "${gpghome:-}" ] && gpgconf --homedir "$gpghome" --kill all 2>/dev/null
	return "$rc"
}

# _hub_cache_fresh DIR: true when DIR holds a mirror newer than every recipe,
# generator and this file.
_hub_cache_fresh() {
	local dir=$1 newer
	[ -f "$dir/models.json" ] || return 1
	newer=$(find "$HUB_TESTS_DIR/fixtures/gen-hub.py" "$HUB_TESTS_DIR/fixtures/models" \
	    "$HUB_TESTS_DIR/hub.bash" "$HUB_TESTS_DIR"/fixtures/hub-* \
	    -newer "$dir/models.json" -print -quit 2>/dev/null)
	[ -z "$newer" ]
}

# hub_build: make the mirror once per test file in $BATS_FILE_TMPDIR/hub (HUB_DIR).
# With PF_HUB_CACHE set, the mirror is built there once (rebuilt when the fixtures
# change) and copied. Exports HUB_DIR, PF_TEST_GNUPGHOME and PF_TEST_GPG_KEY (the
# keyring and fingerprint that signed signed-org/signed-model; empty without gpg).
hub_build() {
	HUB_DIR=${HUB_DIR:-${BATS_FILE_TMPDIR:?}/hub}
	export HUB_DIR
	if [ ! -f "$HUB_DIR/models.json" ]; then
		if [ -n "${PF_HUB_CACHE:-}" ]; then
			_hub_build_cache "$PF_HUB_CACHE" || return 1
			rm -rf "$HUB_DIR"
			cp -a "$PF_HUB_CACHE" "$HUB_DIR" || return 1
			rm -f "$HUB_DIR/requests.jsonl" "$HUB_DIR/faults.json"
		else
			_hub_generate "$HUB_DIR" || { echo "hub_build: generating the mirror failed" >&2; return 1; }
		fi
	fi
	if [ -f "$HUB_DIR/gpg/keyid" ]; then
		export PF_TEST_GNUPGHOME=$HUB_DIR/gnupg
		PF_TEST_GPG_KEY=$(<"$HUB_DIR/gpg/keyid")
		export PF_TEST_GPG_KEY
	else
		export PF_TEST_GNUPGHOME='' PF_TEST_GPG_KEY=''
	fi
}

# Build the shared cache under a lock, so parallel bats jobs build it once.
_hub_build_cache() {
	local cache=$1 fd rc=0 tmp
	mkdir -p "$(dirname "$cache")" || return 1
	exec {fd}>"$cache.lock"
	flock "$fd"
	if ! _hub_cache_fresh "$cache"; then
		tmp=$(mktemp -d "$cache.new.XXXXXX")
		if _hub_generate "$tmp"; then
			rm -rf "$cache"
			mv "$tmp" "$cache"
		else
			rm -rf "$tmp"
			echo "hub_build: generating the mirror failed" >&2
			rc=1
		fi
	fi
	exec {fd}>&-
	return "$rc"
}

# hub_start [SERVER-OPTION...]: run the server on HUB_DIR (building it if need be)
# and wait, at most 10 s, until it listens. Exports HF_ENDPOINT (Hub origin on
# 127.0.0.1), PF_TEST_CDN (the CDN origin on 127.0.0.2), HUB_PID, HUB_PORT,
# HUB_CDN_PORT. HUB_PAGE_SIZE sets the tree page size (default 1000). The server
# exits by itself when the shell that called hub_start is gone. It is a job of
# that shell: a bare `wait` there would wait for it too.
hub_start() {
	local run i parent=$BASHPID	# taken here: inside "cmd &" it would be the child's
	[ -n "${HUB_DIR:-}" ] && [ -f "$HUB_DIR/models.json" ] || hub_build || return 1
	run=$HUB_DIR/run
	mkdir -p "$run"
	rm -f "$run/port" "$run/cdn-port"
	# fd 3 is bats' own output: a background process holding it would hang bats.
	"$(_hub_python)" "$HUB_TESTS_DIR/hub/server.py" --root "$HUB_DIR" \
	    --port-file "$run/port" --cdn-port-file "$run/cdn-port" \
	    --token "$PF_TEST_TOKEN" --token "$PF_TEST_TOKEN_UNGRANTED" \
	    --page-size "${HUB_PAGE_SIZE:-1000}" --parent-pid "$parent" "$@" \
	    </dev/null >"$run/server.log" 2>&1 3>&- &
	HUB_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$run/port" ] && break
		if ! kill -0 "$HUB_PID" 2>/dev/null; then
			echo "hub_start: the server exited:" >&2
			cat "$run/server.log" >&2
			unset HUB_PID
			return 1
		fi
		sleep 0.1
	done
	if [ ! -s "$run/port" ]; then
		echo "hub_start: the server did not listen within 10 s" >&2
		hub_stop
		return 1
	fi
	HUB_PORT=$(<"$run/port")
	HUB_CDN_PORT=$(<"$run/cdn-port")
	export HUB_PID HUB_PORT HUB_CDN_PORT
	export HF_ENDPOINT=http://127.0.0.1:$HUB_PORT
	export PF_TEST_CDN=http://127.0.0.2:$HUB_CDN_PORT
}

# hub_tls_make DIR [SAN]: a throw-away CA (DIR/ca.pem, DIR/ca.key) and a server
# certificate it signs (DIR/server.pem, DIR/server.key), made with the openssl
# command. SAN is the certificate's subjectAltName (default the fixture's two
# addresses, IP:127.0.0.1,IP:127.0.0.2; "localhost" is deliberately not in it,
# so https://localhost:PORT is a host name the certificate does not name).
hub_tls_make() {
	local dir=$1 san=${2:-IP:127.0.0.1,IP:127.0.0.2}
	mkdir -p "$dir" || return 1
	(
		cd "$dir" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -keyout ca.key -out ca.pem -days 2 -subj "/CN=Pathfinder test CA" \
		    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -keyout server.key -out server.csr -subj "/CN=pathfinder test hub" &&
		printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >server.ext &&
		openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
		    -out server.pem -days 2 -extfile server.ext
	) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; return 1; }
}

# hub_start_tls DIR [SERVER-OPTION...]: hub_start with both origins over TLS,
# serving DIR's certificate (hub_tls_make); HF_ENDPOINT and PF_TEST_CDN are https.
hub_start_tls() {
	local dir=$1
	shift
	hub_start --tls-cert "$dir/server.pem" --tls-key "$dir/server.key" "$@" || return 1
	export HF_ENDPOINT=https://127.0.0.1:$HUB_PORT
	export PF_TEST_CDN=https://127.0.0.2:$HUB_CDN_PORT
}

# hub_stop: end the server hub_start started (TERM, then KILL after 5 s).
hub_stop() {
	local i
	[ -n "${HUB_PID:-}" ] || return 0
	kill "$HUB_PID" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$HUB_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$HUB_PID" 2>/dev/null
	wait "$HUB_PID" 2>/dev/null
	unset HUB_PID
	return 0
}

# hub_fault RULE...: replace the fault rules. Each argument is one JSON rule or a
# JSON array of rules; the server re-reads the file on every request.
#   hub_fault '{"origin": "cdn", "kind": "drop", "bytes": 100, "count": 1}'
hub_fault() {
	local tmp
	tmp=$(mktemp "$HUB_DIR/.faults.XXXXXX") || return 1
	if ! "$(_hub_python)" -c '
import json, sys
rules = []
for arg in sys.argv[1:]:
    v = json.loads(arg)
    rules += v if isinstance(v, list) else [v]
json.dump(rules, sys.stdout, indent=1)
' "$@" >"$tmp"; then
		rm -f "$tmp"
		echo "hub_fault: not JSON: $*" >&2
		return 2
	fi
	mv -f "$tmp" "$HUB_DIR/faults.json"
}

# hub_clear_faults: no more faults.
hub_clear_faults() {
	rm -f "$HUB_DIR/faults.json"
}

# hub_requests: the path of the request log (one JSON object per line).
hub_requests() {
	printf '%s\n' "$HUB_DIR/requests.jsonl"
}

# hub_clear_requests: empty the request log.
hub_clear_requests() {
	: >"$HUB_DIR/requests.jsonl"
}

# hub_commit ORG/NAME [REV]: the 40-hex commit REV (default main) names in the mirror.
hub_commit() {
	git --git-dir="$HUB_DIR/repos/$1.git" rev-parse --verify --quiet "${2:-main}^{commit}"
}

# hub_expected ORG/NAME: the path of the model's expected.json (refs, commits,
# files with size, sha256 and blob id at main, safetensors parameter counts).
hub_expected() {
	printf '%s\n' "$HUB_DIR/models/$1/expected.json"
}

# hub_token_file [TOKEN]: write TOKEN (default PF_TEST_TOKEN) to a 0600 file in
# the test's temporary directory and print its path, for HF_TOKEN_PATH.
hub_token_file() {
	local f=${BATS_TEST_TMPDIR:-$BATS_FILE_TMPDIR}/hf-token
	(umask 077 && printf '%s\n' "${1:-$PF_TEST_TOKEN}" >"$f")
	printf '%s\n' "$f"
}
