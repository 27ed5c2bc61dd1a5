# Loaded by every tests/*.bats file: a private HOME and PF_HOME per test,
# the built tools on PATH, the test policy, and the local Hub helpers.
# rbenv's test_helper is the model: small functions, no hidden state.

bats_require_minimum_version 1.5.0

PF_REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PF_BIN=${PF_BIN:-$PF_REPO/build/bin}
export PATH="$PF_BIN:$PF_REPO/pipelines:$PATH"
export PF_RULES_DIR="$PF_REPO/policies"
export HOME="$BATS_TEST_TMPDIR/home"
export PF_HOME="$BATS_TEST_TMPDIR/store"
export XDG_DATA_HOME="$HOME/.local/share"
export SOURCE_DATE_EPOCH=1764064800	# 2025-11-25T10:00:00Z: reruns compare byte for byte
unset HF_TOKEN HF_TOKEN_PATH PF_POLICY
# Tests never reach the internet: until hub_start exports the fixture's
# address, the Hub is a closed port on loopback.
[ -n "${HUB_PID:-}" ] || export HF_ENDPOINT=http://127.0.0.1:9
mkdir -p "$HOME"

# The policy the tests run under: the shipped default, with the fixture
# Hub's loopback origins allowed and its models allow-listed or trusted.
# An optional jq filter adjusts it for one test: pf_policy '.scan.fail_on = "low"'.
PF_TEST_POLICY_BASE='
	.allowlist = ["acme/tiny-llama", "demo/tiny-gpt"]
	| .trusted_publishers += ["trusted-org", "signed-org"]
	| .hub.allowed_hosts = ["127.0.0.1", "127.0.0.2"]
	| .hub.requests_per_second = 1000'
pf_policy() {
	local filter=${1:-.}
	jq "$PF_TEST_POLICY_BASE | $filter" "$PF_REPO/policies/default.json" \
		>"$BATS_TEST_TMPDIR/policy.json"
	export PF_POLICY="$BATS_TEST_TMPDIR/policy.json"
}
pf_policy

# Shared fixture generators: gen_fixture AREA NAME runs
# tests/fixtures/gen-AREA.* NAME and writes the sample on stdout.
gen_fixture() {
	local area=$1
	shift
	local g
	for g in "$PF_REPO"/tests/fixtures/gen-"$area".*; do
		[ -x "$g" ] && { "$g" "$@"; return; }
	done
	echo "gen_fixture: no generator tests/fixtures/gen-$area.*" >&2
	return 1
}

# fake_libcurl DIR [CC FLAGS...]: DIR/libcurl.so.4, a library that is not
# libcurl (tests/fixtures/libcurl/fake-libcurl.c), for a tool run with
# LD_LIBRARY_PATH=DIR. other_libcurl DIR FLAVOUR: DIR/libcurl.so.4 is
# Debian's libcurl of that TLS flavour (gnutls, nss) under the OpenSSL
# one's name. Both test how lib/hub/pf_curl_load.c refuses a library.
# without_libcurl STATUS TOOL [ARG...]: run TOOL, which must exit STATUS
# without mapping libcurl (LD_DEBUG=files lists every library it opens).
without_libcurl() {
	run "-$1" --separate-stderr env LD_DEBUG=files "${@:2}"
	[[ "$stderr" != *libcurl* ]]
}
fake_libcurl() {
	local dir=$1
	shift
	mkdir -p "$dir"
	cc -shared -fPIC "$@" -o "$dir/libcurl.so.4" \
	    "$PF_REPO/tests/fixtures/libcurl/fake-libcurl.c"
}
other_libcurl() {
	local lib
	lib=$(ldconfig -p | awk -v n="libcurl-$2.so.4" '$1 == n { print $NF; exit }')
	[ -n "$lib" ] || { echo "other_libcurl: no libcurl-$2.so.4" >&2; return 1; }
	mkdir -p "$1"
	ln -sf "$lib" "$1/libcurl.so.4"
}

# True when the tools under test are the sanitizer build (slower; some
# memory-limit tests do not apply there).
pf_is_sanitized() { [ -n "${PF_SAN:-}" ]; }

if [ -f "$PF_REPO/tests/hub.bash" ]; then
	# shellcheck source=tests/hub.bash
	. "$PF_REPO/tests/hub.bash"
fi

# A manifest as pf-fetch writes one, for scanner tests. pf_quarantine
# prints the model folder ($BATS_TEST_TMPDIR/quarantine/acme/tiny-llama/
# <commit>); pf_manifest REL=FILE... copies each FILE there as REL (special
# files as they are) and prints a fetch.json listing each with its size and
# sha256. A FILE that does not exist is listed but not copied: size 0, the
# empty digest (a test may then plant something under that name).
PF_TEST_COMMIT=0123456789abcdef0123456789abcdef01234567
pf_quarantine() {
	printf '%s\n' "$BATS_TEST_TMPDIR/quarantine/acme/tiny-llama/$PF_TEST_COMMIT"
}
pf_manifest() {
	local q pair rel src size sha files='[]'
	q=$(pf_quarantine)
	mkdir -p "$q"
	for pair in "$@"; do
		rel=${pair%%=*}
		src=${pair#*=}
		size=0
		sha=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
		if [ -e "$src" ] || [ -L "$src" ]; then
			mkdir -p "$(dirname "$q/$rel")"
			cp -a "$src" "$q/$rel"
			if [ -f "$q/$rel" ] && [ ! -L "$q/$rel" ]; then
				size=$(stat -c %s "$q/$rel")
				sha=$(sha256sum <"$q/$rel")
				sha=${sha%% *}
			fi
		fi
		files=$(jq --arg p "$rel" --arg q "$q/$rel" --argjson s "$size" \
		    --arg h "$sha" '. + [{path: $p, quarantine_path: $q, size: $s,
		    sha256: $h, status: "downloaded"}]' <<<"$files")
	done
	jq -n --arg q "$q" --arg c "$PF_TEST_COMMIT" --argjson f "$files" '{
	    pathfinder_version: "0.1.0", stage: "fetch",
	    generated_at: "2025-11-25T10:00:00Z",
	    model: {id: "acme/tiny-llama", revision: "main", commit: $c},
	    status: "passed", findings: [], quarantine: $q, files: $f}'
}

# summary_only WORD: stderr is nothing but the tool's one-line verdict,
# "pf-TOOL: WORD: ...": a verdict says itself, and only that.
summary_only() {
	[ "${#stderr_lines[@]}" -eq 1 ] && [[ "${stderr_lines[0]}" == "pf-"*": $1: "* ]]
}

# pf_run_stages MODEL DIR [gate]: preflight, fetch and the five scans of
# MODEL into DIR (then the gate, with "gate"), chained as the pipeline
# chains them. A verdict (exit 1) keeps its artifact, so the next stage
# runs; true when fetch.json is there.
pf_run_stages() {
	local s
	mkdir -p "$2"
	pf-preflight "$1" -o "$2/plan.json" 2>/dev/null || true
	pf-fetch -i "$2/plan.json" -o "$2/fetch.json" 2>/dev/null || true
	for s in pickle py weights secrets deps; do
		pf-scan-$s -i "$2/fetch.json" -o "$2/scan-$s.json" 2>/dev/null || true
	done
	if [ "${3:-}" = gate ]; then
		pf-gate --run "$2" -o "$2/gate.json" 2>/dev/null || true
	fi
	[ -f "$2/fetch.json" ]
}

# pf_test_image TAG: the container test image, made with docker import from
# busybox-static, a static probe and the static pf-verify (nothing is
# pulled); prints its id (sha256:...). Fails when no engine answers.
pf_test_image() {
	local root a
	command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 || return 1
	root=$(mktemp -d "${BATS_FILE_TMPDIR:-${TMPDIR:-/tmp}}/rootfs.XXXXXX")
	chmod 755 "$root"		# the image's /: mktemp made it 0700
	mkdir -p "$root/bin" "$root/tmp"
	chmod 1777 "$root/tmp"
	cp /bin/busybox "$root/bin/busybox"
	for a in $(/bin/busybox --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	cc -static -O1 -o "$root/bin/probe" "$PF_REPO/tests/fixtures/launch/probe.c" || return 1
	cp "$PF_BIN/../static/pf-verify" "$root/bin/pf-verify" 2>/dev/null ||
		cp "$PF_REPO/build/static/pf-verify" "$root/bin/pf-verify" || return 1
	tar -C "$root" -c . | docker import - "$1"
}
