#!/usr/bin/env bats
# pf-verify: the OpenSSF test vector verifies and every kind of tampering
# is named; exec mode runs the command only on success; the static build.

setup() {
	load helpers
	FIX="$PF_REPO/tests/fixtures/oms"
	PUB="$FIX/v1.1.0-elliptic-key.pub.pem"
	M="$BATS_TEST_TMPDIR/v1.1.0-elliptic-key"
	oms_vector "$M"
}

# oms_vector DIR: the upstream test vector's model folder and its bundle.
oms_vector() {
	mkdir -p "$1"
	printf 'signme-1\n' >"$1/signme-1"
	printf 'signme-2' >"$1/signme-2"
	: >"$1/ignore-me"
	cp "$FIX/v1.1.0-elliptic-key.model.sig" "$1/model.sig"
}

# has_finding RULE FILE: verify.json on $output has that finding.
has_finding() {
	jq -e --arg r "$1" --arg f "${2:-}" '.status == "failed" and
	    any(.findings[]; .rule == $r and ($f == "" or .file == $f))' <<<"$output"
}

# rebundle JQ: rewrites the statement in model.sig with a jq filter,
# keeping the old signature (an edited bundle).
rebundle() {
	local p
	p=$(jq -r '.dsseEnvelope.payload' "$M/model.sig" | base64 -d | jq -c "$1" | base64 -w0)
	jq --arg p "$p" '.dsseEnvelope.payload = $p' "$M/model.sig" >"$BATS_TEST_TMPDIR/sig"
	mv "$BATS_TEST_TMPDIR/sig" "$M/model.sig"
}

@test "pf-verify: --help prints the synopsis on stdout and exits 0" {
	run -0 --separate-stderr pf-verify --help
	[[ "${lines[0]}" == "usage: pf-verify "* ]]
	[ -z "$stderr" ]
}

@test "pf-verify: --version prints the version" {
	run -0 --separate-stderr pf-verify --version
	[ "$output" = "pf-verify 0.1.0" ]
}

@test "pf-verify: an unknown option exits 2 with the synopsis on stderr only" {
	run -2 --separate-stderr pf-verify --bogus --key "$PUB" "$M"
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-verify --help'"* ]]
}

@test "pf-verify: no --key, or no folder, is a usage error" {
	run -2 --separate-stderr pf-verify "$M"
	[[ "$stderr" == "pf-verify: --key is required"* ]]
	run -2 --separate-stderr pf-verify --key "$PUB"
	[[ "$stderr" == "pf-verify: no model folder given"* ]]
}

@test "pf-verify: the man page synopsis uses the usage text's words" {
	for opt in key signature; do
		grep -q -- "Fl -$opt" "$PF_REPO/man/pf-verify.1"
		run -0 --separate-stderr pf-verify --help
		[[ "$output" == *"--$opt"* ]]
	done
	grep -q -- '^\.Op Fl o Ar FILE' "$PF_REPO/man/pf-verify.1"
	grep -q -- '^\.Op Fl j Ar N' "$PF_REPO/man/pf-verify.1"
	grep -q -- '^\.Ar COMMAND' "$PF_REPO/man/pf-verify.1"
}

@test "pf-verify: the OpenSSF v1.1.0 elliptic-key test vector verifies" {
	run -0 --separate-stderr pf-verify --key "$PUB" "$M"
	[ -z "$stderr" ]
	jq -e '.stage == "verify" and .status == "passed" and .findings == []
	    and .signature == "valid" and .files == 2 and .bytes == 17
	    and .key.curve == "P-384"
	    and .key.hint == "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e"
	    and .root_digest == "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"
	    and .subject == "v1.1.0-elliptic-key"
	    and .ignored == ["ignore-me", "model.sig"]' <<<"$output"
}

@test "pf-verify: the test vector verifies with the bundle outside the folder" {
	mv "$M/model.sig" "$BATS_TEST_TMPDIR/model.sig"
	run -0 --separate-stderr pf-verify --key "$PUB" --signature "$BATS_TEST_TMPDIR/model.sig" "$M"
	jq -e '.status == "passed" and .ignored == ["ignore-me"]' <<<"$output"
}

@test "pf-verify: a folder named relative to here finds its bundle, named resolved" {
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr pf-verify --key "$PUB" v1.1.0-elliptic-key
	jq -e --arg s "$(realpath "$M")/model.sig" '.status == "passed"
	    and .directory == "v1.1.0-elliptic-key" and .signature_path == $s
	    and .ignored == ["ignore-me", "model.sig"]' <<<"$output"
}

@test "pf-verify: one flipped byte fails and names the file" {
	printf 'signme-3' >"$M/signme-2"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.file.changed signme-2
	jq -e '.signature == "valid" and (.findings | length) == 1' <<<"$output"
	[[ "$stderr" == "pf-verify: 'signme-2': SHA-256 differs from the signed digest" ]]
}

@test "pf-verify: a byte appended to a file fails" {
	printf 'signme-1\n\n' >"$M/signme-1"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.file.changed signme-1
}

@test "pf-verify: an added file fails, also one in a new subfolder" {
	echo x >"$M/extra.py"
	mkdir "$M/sub"
	echo y >"$M/sub/more"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.file.extra extra.py
	has_finding verify.file.extra sub/more
	[[ "$stderr" == *"'extra.py': not signed (an extra file)"* ]]
}

@test "pf-verify: a removed file fails" {
	rm "$M/signme-1"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.file.missing signme-1
}

@test "pf-verify: a file replaced by a symlink to the same bytes fails" {
	cp "$M/signme-1" "$BATS_TEST_TMPDIR/elsewhere"
	ln -sf "$BATS_TEST_TMPDIR/elsewhere" "$M/signme-1"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.file.symlink signme-1
	jq -e '[.findings[].rule] == ["verify.file.symlink"]' <<<"$output"
}

@test "pf-verify: a symlinked folder is never followed" {
	mkdir "$BATS_TEST_TMPDIR/outside"
	ln -s "$BATS_TEST_TMPDIR/outside" "$M/dir"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.file.symlink dir
}

@test "pf-verify: a FIFO in the folder fails without being opened" {
	mkfifo "$M/pipe"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.file.special pipe
}

@test "pf-verify: an edited statement (a digest changed) fails the signature" {
	printf 'signme-3' >"$M/signme-2"
	rebundle '.predicate.resources[1].digest = "'"$(sha256sum "$M/signme-2" | cut -c1-64)"'"'
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.signature.invalid
	has_finding verify.bundle.root-digest
	jq -e '.signature == "invalid"' <<<"$output"
}

@test "pf-verify: a file dropped from the signed list fails the signature" {
	rebundle 'del(.predicate.resources[1])'
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.signature.invalid
	has_finding verify.file.extra signme-2
}

@test "pf-verify: an edited signature fails" {
	sig=$(jq -r '.dsseEnvelope.signatures[0].sig' "$M/model.sig" | base64 -d | xxd -p | tr -d '\n')
	last=${sig: -2}
	flipped=$(printf '%02x' $(( 0x$last ^ 1 )))
	new=$(printf '%s' "${sig%??}$flipped" | xxd -r -p | base64 -w0)
	jq --arg s "$new" '.dsseEnvelope.signatures[0].sig = $s' "$M/model.sig" >"$BATS_TEST_TMPDIR/s"
	mv "$BATS_TEST_TMPDIR/s" "$M/model.sig"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.signature.invalid
}

@test "pf-verify: the wrong key fails, named by the hint and the signature" {
	openssl ecparam -genkey -name secp384r1 -noout -out "$BATS_TEST_TMPDIR/k.pem"
	openssl pkey -in "$BATS_TEST_TMPDIR/k.pem" -pubout -out "$BATS_TEST_TMPDIR/k.pub.pem"
	run -1 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/k.pub.pem" "$M"
	has_finding verify.key.mismatch
	has_finding verify.signature.invalid
	# Without a hint the signature alone still catches it.
	jq '.verificationMaterial.publicKey.hint = ""' "$M/model.sig" >"$BATS_TEST_TMPDIR/s"
	mv "$BATS_TEST_TMPDIR/s" "$M/model.sig"
	run -1 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/k.pub.pem" "$M"
	jq -e '[.findings[].rule] == ["verify.signature.invalid"]' <<<"$output"
	run -0 --separate-stderr pf-verify --key "$PUB" "$M"
}

@test "pf-verify: a missing or malformed bundle is a verdict, exit 1" {
	rm "$M/model.sig"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.bundle.unreadable
	echo '{"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json"' >"$M/model.sig"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.bundle.malformed
	jq -e '.signature == "unchecked"' <<<"$output"
}

@test "pf-verify: a bundle with a path that leaves the folder is malformed" {
	rebundle '.predicate.resources[0].name = "../signme-1"'
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.bundle.malformed
}

@test "pf-verify: a key that is not a P-256/384/521 public key is exit 2" {
	openssl genpkey -algorithm ed25519 -out "$BATS_TEST_TMPDIR/ed.pem" 2>/dev/null
	openssl pkey -in "$BATS_TEST_TMPDIR/ed.pem" -pubout -out "$BATS_TEST_TMPDIR/ed.pub.pem"
	run -2 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/ed.pub.pem" "$M"
	[ -z "$output" ]
	[[ "$stderr" == *"not an ECDSA key"* ]]
	openssl ecparam -genkey -name secp256k1 -noout -out "$BATS_TEST_TMPDIR/k1.pem"
	openssl pkey -in "$BATS_TEST_TMPDIR/k1.pem" -pubout -out "$BATS_TEST_TMPDIR/k1.pub.pem"
	run -2 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/k1.pub.pem" "$M"
	[[ "$stderr" == *"curve 'secp256k1' is not P-256, P-384 or P-521"* ]]
	run -2 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/none.pem" "$M"
	[[ "$stderr" == *"none.pem': No such file or directory"* ]]
}

@test "pf-verify: a missing folder is exit 2" {
	run -2 --separate-stderr pf-verify --key "$PUB" "$BATS_TEST_TMPDIR/nope"
	[ -z "$output" ]
	[[ "$stderr" == "pf-verify: '$BATS_TEST_TMPDIR/nope': No such file or directory" ]]
}

@test "pf-verify: OPENSSL_CONF cannot change the verdict" {
	printf 'openssl_conf = c\n[c]\nproviders = p\n[p]\nx = s\n[s]\nactivate = 1\n' \
		>"$BATS_TEST_TMPDIR/bad.cnf"
	OPENSSL_CONF="$BATS_TEST_TMPDIR/bad.cnf" run -0 --separate-stderr pf-verify --key "$PUB" "$M"
}

@test "pf-verify: a full standard output is exit 3" {
	run -3 --separate-stderr bash -c 'exec pf-verify --key "$1" "$2" >/dev/full' _ "$PUB" "$M"
	[[ "$stderr" == "pf-verify: write <stdout>: No space left on device" ]]
}

@test "pf-verify: -j 1 and the default agree" {
	run -0 --separate-stderr pf-verify -j 1 --key "$PUB" "$M"
	one=$output
	run -0 --separate-stderr pf-verify --key "$PUB" "$M"
	[ "$one" = "$output" ]
	run -2 --separate-stderr pf-verify -j 0 --key "$PUB" "$M"
	[[ "$stderr" == "pf-verify: -j: not a number from 1 to 64: '0'"* ]]
	run -0 --separate-stderr pf-verify -j 64 --key "$PUB" "$M"
	run -2 --separate-stderr pf-verify -j 65 --key "$PUB" "$M"
	[ -z "$output" ]
}

@test "pf-verify: exec mode runs the command once the folder verifies" {
	run -0 --separate-stderr pf-verify --key "$PUB" "$M" -- /bin/sh -c 'echo "ran $0 $1"' a b
	[ "$output" = "ran a b" ]
	[ -z "$stderr" ]
}

@test "pf-verify: exec mode never runs the command on a failure" {
	marker="$BATS_TEST_TMPDIR/ran"
	printf 'signme-3' >"$M/signme-2"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M" -- /usr/bin/touch "$marker"
	[ ! -e "$marker" ]
	[ -z "$output" ]
	[[ "$stderr" == *"'signme-2': SHA-256 differs"*"not verified; '/usr/bin/touch' not run" ]]
	printf 'signme-2' >"$M/signme-2"
	rm "$M/model.sig"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M" -- /usr/bin/touch "$marker"
	[ ! -e "$marker" ]
	run -2 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/none.pem" "$M" -- /usr/bin/touch "$marker"
	[ ! -e "$marker" ]
}

@test "pf-verify: exec mode writes verify.json only with -o" {
	run -0 --separate-stderr pf-verify --key "$PUB" -o "$BATS_TEST_TMPDIR/v.json" "$M" -- /bin/true
	jq -e '.status == "passed"' "$BATS_TEST_TMPDIR/v.json"
	cd "$BATS_TEST_TMPDIR"
	run -0 --separate-stderr pf-verify --key "$PUB" "$M" -- /bin/true
	[ -z "$output" ]
}

@test "pf-verify: exec mode wants a path, as execv searches no PATH" {
	run -2 --separate-stderr pf-verify --key "$PUB" "$M" -- true
	[[ "$stderr" == "pf-verify: COMMAND 'true' is not a path"* ]]
	run -2 --separate-stderr pf-verify --key "$PUB" "$M" --
	[[ "$stderr" == "pf-verify: no COMMAND after '--'"* ]]
}

@test "pf-verify: the static build runs alone, with an empty environment" {
	pf_is_sanitized && skip "the sanitizer build has no static binary"
	static="$PF_BIN/../static/pf-verify"
	[ -x "$static" ]
	run -0 file -L "$static"
	[[ "$output" == *"statically linked"* ]]
	run -0 --separate-stderr env -i "$static" --key "$PUB" "$M" -- /bin/echo verified
	[ "$output" = verified ]
	printf 'signme-3' >"$M/signme-2"
	run -1 --separate-stderr env -i "$static" --key "$PUB" "$M" -- /bin/echo verified
	[[ "$output" != *verified* ]]
}

# signed_model DIR SEED: a small model of nested files signed by pf-sign
# with the P-256 key $BATS_TEST_TMPDIR/k.pem (made once per test).
signed_model() {
	local T=$BATS_TEST_TMPDIR
	[ -f "$T/k.pem" ] || {
		(umask 077; openssl ecparam -genkey -name prime256v1 -noout -out "$T/k.pem")
		openssl pkey -in "$T/k.pem" -pubout -out "$T/k.pub.pem"
	}
	mkdir -p "$1/onnx"
	printf '{"model_type": "%s"}\n' "$2" >"$1/config.json"
	head -c 70000 /dev/urandom >"$1/model.safetensors"
	printf '%s' "$2" >"$1/onnx/model.onnx"
	pf-sign --key "$T/k.pem" -o "$T/sign-$2.json" "$1"
}

@test "pf-verify: a model signed by pf-sign (P-256, subfolders) verifies" {
	signed_model "$BATS_TEST_TMPDIR/a" alpha
	run -0 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/k.pub.pem" "$BATS_TEST_TMPDIR/a"
	jq -e '.status == "passed" and .files == 3 and .key.curve == "P-256"
	    and .subject == "a"' <<<"$output"
	mv "$BATS_TEST_TMPDIR/a/onnx/model.onnx" "$BATS_TEST_TMPDIR/a/onnx/renamed.onnx"
	run -1 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/k.pub.pem" "$BATS_TEST_TMPDIR/a"
	has_finding verify.file.missing onnx/model.onnx
	has_finding verify.file.extra onnx/renamed.onnx
}

@test "pf-verify: a bundle from another model, by the same key, fails" {
	signed_model "$BATS_TEST_TMPDIR/a" alpha
	signed_model "$BATS_TEST_TMPDIR/b" beta
	cp "$BATS_TEST_TMPDIR/b/model.sig" "$BATS_TEST_TMPDIR/a/model.sig"
	run -1 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/k.pub.pem" "$BATS_TEST_TMPDIR/a"
	# The signature is genuine; the files are not the ones it covers.
	jq -e '.signature == "valid" and .subject == "b"
	    and ([.findings[].rule] | unique) == ["verify.file.changed"]
	    and ([.findings[].file] | sort) == ["config.json", "model.safetensors", "onnx/model.onnx"]' <<<"$output"
}

# nest DIR N: DIR with N folders one inside the other and a file at the bottom.
nest() {
	local d=$1 i
	for ((i = 0; i < $2; i++)); do d="$d/d"; done
	mkdir -p "$d"
	echo deep >"$d/f"
}

@test "pf-verify: PF_MAX_PATH_DEPTH: 31 folders deep verifies, 32 is a finding" {
	M2="$BATS_TEST_TMPDIR/deep"
	signed_model "$M2" deep
	nest "$M2" 31
	pf-sign --key "$BATS_TEST_TMPDIR/k.pem" -o "$BATS_TEST_TMPDIR/s.json" "$M2"
	run -0 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/k.pub.pem" "$M2"
	jq -e '.files == 4' <<<"$output"
	nest "$M2" 32
	run -1 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/k.pub.pem" "$M2"
	has_finding verify.folder.too-large
	[[ "$stderr" == *"deeper than PF_MAX_PATH_DEPTH (32)"* ]]
}

@test "pf-verify: PF_MAX_OMS_BUNDLE: a bundle over 32 MiB is not read" {
	head -c $((32 * 1024 * 1024 + 1)) /dev/zero >"$M/model.sig"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.bundle.unreadable
	[[ "$stderr" == *"larger than PF_MAX_OMS_BUNDLE"* ]]
	# At the cap it is read (and, being zeros, is no bundle).
	head -c $((32 * 1024 * 1024)) /dev/zero >"$M/model.sig"
	run -1 --separate-stderr pf-verify --key "$PUB" "$M"
	has_finding verify.bundle.malformed
}

@test "pf-verify: PF_MAX_KEY_PEM: a key file over 16 KiB is exit 2" {
	{ cat "$PUB"; head -c $((16 * 1024 - $(stat -c %s "$PUB"))) /dev/zero | tr '\0' '\n'; } >"$BATS_TEST_TMPDIR/at.pem"
	run -0 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/at.pem" "$M"
	printf '\n' >>"$BATS_TEST_TMPDIR/at.pem"
	run -2 --separate-stderr pf-verify --key "$BATS_TEST_TMPDIR/at.pem" "$M"
	[[ "$stderr" == *"larger than PF_MAX_KEY_PEM (16384 bytes)" ]]
}
