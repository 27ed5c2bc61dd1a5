#!/usr/bin/env bats
# pf-sign: OpenSSF model signing bundles checked with OpenSSL alone (the
# DSSE PAE rebuilt here), per-file signatures, the key's mode, refusals
# (symlinks, special files, fetch.json mismatches, a gate that did not
# pass) and the gate.json members it reads.

setup() {
	load helpers
	T="$BATS_TEST_TMPDIR"
	M="$T/tiny-model"
	mkdir -p "$M/sub"
	echo '{"architectures": ["LlamaForCausalLM"]}' >"$M/config.json"
	head -c 300000 /dev/urandom >"$M/model.safetensors"
	printf 'tokenizer' >"$M/sub/tokenizer.json"
	newkey prime256v1 k
}

# newkey CURVE NAME: $T/NAME.pem (mode 0600) and $T/NAME.pub.pem.
newkey() {
	(umask 077; openssl ecparam -genkey -name "$1" -noout -out "$T/$2.pem")
	openssl pkey -in "$T/$2.pem" -pubout -out "$T/$2.pub.pem"
}

# statement BUNDLE: the signed statement's bytes, to $T/statement.
statement() {
	jq -r '.dsseEnvelope.payload' "$1" | base64 -d >"$T/statement"
}

# fetch_json DIR [FILTER]: a fetch.json listing DIR's files, on stdout.
fetch_json() {
	local f
	(cd "$1" && find . -type f ! -name model.sig | sed 's|^\./||' | sort) |
	while read -r f; do
		jq -n --arg p "$f" --arg s "$(sha256sum "$1/$f" | cut -c1-64)" \
			'{path: $p, quarantine_path: $p, sha256: $s, status: "verified"}'
	done | jq -s "{pathfinder_version: \"0.1.0\", stage: \"fetch\",
	    generated_at: \"2025-11-25T10:00:00Z\",
	    model: {id: \"acme/tiny\", revision: \"main\", commit: \"$(printf 'c%.0s' {1..40})\"},
	    status: \"passed\", findings: [], files: .} | ${2:-.}"
}

# gate_json FOLDER [FILTER]: a passing gate.json for FOLDER, on stdout.
gate_json() {
	jq -n --arg d "$1" "{pathfinder_version: \"0.1.0\", stage: \"gate\",
	    generated_at: \"2025-11-25T10:00:00Z\",
	    model: {id: \"acme/tiny\", revision: \"main\", commit: \"$(printf 'c%.0s' {1..40})\"},
	    status: \"passed\", findings: [],
	    gate: {mode: \"enforce\", inputs: [], decision: \"passed\", unvetted: false,
	        verified: {path: \$d, files: 3, already_there: false}}} | ${2:-.}"
}

@test "pf-sign: --help prints the synopsis on stdout and exits 0" {
	run -0 --separate-stderr pf-sign --help
	[[ "${lines[0]}" == "usage: pf-sign "* ]]
	[ -z "$stderr" ]
}

@test "pf-sign: --version prints the version" {
	run -0 pf-sign --version
	[ "$output" = "pf-sign 0.1.0" ]
}

@test "pf-sign: an unknown option exits 2 with the synopsis on stderr only" {
	run -2 --separate-stderr pf-sign --bogus --key "$T/k.pem" "$M"
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-sign --help'"* ]]
}

@test "pf-sign: -i and DIR together, or neither, is a usage error" {
	gate_json "$M" >"$T/gate.json"
	run -2 --separate-stderr pf-sign --key "$T/k.pem" -i "$T/gate.json" "$M"
	[[ "$stderr" == "pf-sign: give -i gate.json or DIR, not both"* ]]
	run -2 --separate-stderr pf-sign --key "$T/k.pem"
	[[ "$stderr" == "pf-sign: no model folder: give -i gate.json or DIR"* ]]
	run -2 --separate-stderr pf-sign "$M"
	[[ "$stderr" == "pf-sign: --key is required"* ]]
	[ ! -e "$M/model.sig" ]
}

@test "pf-sign: the man page synopsis uses the usage text's words" {
	run -0 pf-sign --help
	for opt in key signature fetch; do
		grep -q -- "Fl -$opt" "$PF_REPO/man/pf-sign.1"
		[[ "$output" == *"--$opt"* ]]
	done
	grep -q -- '^\.Op Fl i Ar gate.json' "$PF_REPO/man/pf-sign.1"
	grep -q -- '^\.Op Fl o Ar FILE' "$PF_REPO/man/pf-sign.1"
	grep -q -- '^\.Op Ar DIR' "$PF_REPO/man/pf-sign.1"
}

@test "pf-sign: a key readable by group or others is refused, exit 2" {
	chmod 0640 "$T/k.pem"
	run -2 --separate-stderr pf-sign --key "$T/k.pem" "$M"
	[ -z "$output" ]
	[[ "$stderr" == "pf-sign: '$T/k.pem': permissions 0640 are too open"* ]]
	chmod 0604 "$T/k.pem"
	run -2 pf-sign --key "$T/k.pem" "$M"
	chmod 0620 "$T/k.pem"
	run -2 pf-sign --key "$T/k.pem" "$M"
	[ ! -e "$M/model.sig" ]
	chmod 0400 "$T/k.pem"
	run -0 pf-sign --key "$T/k.pem" "$M"
}

@test "pf-sign: keys not on P-256 or P-384, public or encrypted keys are exit 2" {
	newkey secp521r1 p521
	run -2 --separate-stderr pf-sign --key "$T/p521.pem" "$M"
	[[ "$stderr" == *"curve 'secp521r1' is not P-256 or P-384"* ]]
	(umask 077; openssl genpkey -algorithm ed25519 -out "$T/ed.pem" 2>/dev/null)
	run -2 --separate-stderr pf-sign --key "$T/ed.pem" "$M"
	[[ "$stderr" == *"not an ECDSA key"* ]]
	(umask 077; openssl pkey -in "$T/k.pem" -aes256 -passout pass:x -out "$T/enc.pem")
	run -2 --separate-stderr pf-sign --key "$T/enc.pem" "$M"
	[[ "$stderr" == *"not a PEM private key (encrypted keys are not supported)" ]]
	chmod 0600 "$T/k.pub.pem"
	run -2 pf-sign --key "$T/k.pub.pem" "$M"
	[ ! -e "$M/model.sig" ]
}

@test "pf-sign: a folder is signed as the OpenSSF bundle format describes" {
	run -0 --separate-stderr pf-sign --key "$T/k.pem" "$M"
	[ -z "$stderr" ]
	hint=$(openssl pkey -pubin -in "$T/k.pub.pem" -outform PEM | sha256sum | cut -c1-64)
	jq -e --arg h "$hint" '
	    .mediaType == "application/vnd.dev.sigstore.bundle.v0.3+json"
	    and .verificationMaterial == {"publicKey": {"hint": $h}, "tlogEntries": []}
	    and .dsseEnvelope.payloadType == "application/vnd.in-toto+json"
	    and (.dsseEnvelope.signatures | length) == 1
	    and .dsseEnvelope.signatures[0].keyid == ""' "$M/model.sig"
	statement "$M/model.sig"
	# The resources are every file with its sha256sum, nothing else.
	for f in config.json model.safetensors sub/tokenizer.json; do
		d=$(sha256sum "$M/$f" | cut -c1-64)
		jq -e --arg f "$f" --arg d "$d" 'any(.predicate.resources[];
		    . == {"name": $f, "algorithm": "sha256", "digest": $d})' "$T/statement"
	done
	# The root digest: SHA-256 over the raw digests in list order.
	root=$(jq -r '.predicate.resources[].digest' "$T/statement" | tr -d '\n' |
		xxd -r -p | sha256sum | cut -c1-64)
	jq -e --arg r "$root" '
	    ._type == "https://in-toto.io/Statement/v1"
	    and .predicateType == "https://model_signing/signature/v1.0"
	    and .subject == [{"name": "tiny-model", "digest": {"sha256": $r}}]
	    and .predicate.serialization == {"method": "files", "hash_type": "sha256",
	        "allow_symlinks": false, "ignore_paths": ["model.sig", ".git",
	        ".gitattributes", ".github", ".gitignore"]}
	    and (.predicate.resources | length) == 3' "$T/statement"
	jq -e --arg r "$root" '.status == "passed" and .stage == "sign"
	    and .vouched_by_gate == false and .gate == null and .model == null
	    and .root_digest == $r and (.files | length) == 3
	    and .key.curve == "P-256" and .key.hash == "sha256"' <<<"$output"
	[ "$(stat -c %a "$M/model.sig")" = 444 ]
	run -0 pf-verify --key "$T/k.pub.pem" "$M"
}

@test "pf-sign: the DSSE signature verifies with openssl over a PAE built here (P-256)" {
	run -0 pf-sign --key "$T/k.pem" "$M" -o "$T/sign.json"
	statement "$M/model.sig"
	{ printf 'DSSEv1 28 application/vnd.in-toto+json %d ' "$(stat -c %s "$T/statement")"
	  cat "$T/statement"; } >"$T/pae"
	jq -r '.dsseEnvelope.signatures[0].sig' "$M/model.sig" | base64 -d >"$T/sig.der"
	run -0 openssl dgst -sha256 -verify "$T/k.pub.pem" -signature "$T/sig.der" "$T/pae"
	[ "$output" = "Verified OK" ]
	# One byte more in the statement and OpenSSL refuses it too.
	printf ' ' >>"$T/pae"
	run -1 openssl dgst -sha256 -verify "$T/k.pub.pem" -signature "$T/sig.der" "$T/pae"
}

@test "pf-sign: a P-384 key signs with SHA-384, as the OpenSSF verifier expects" {
	newkey secp384r1 k384
	run -0 pf-sign --key "$T/k384.pem" "$M" -o "$T/sign.json"
	jq -e '.key.curve == "P-384" and .key.hash == "sha384"' "$T/sign.json"
	statement "$M/model.sig"
	{ printf 'DSSEv1 28 application/vnd.in-toto+json %d ' "$(stat -c %s "$T/statement")"
	  cat "$T/statement"; } >"$T/pae"
	jq -r '.dsseEnvelope.signatures[0].sig' "$M/model.sig" | base64 -d >"$T/sig.der"
	run -0 openssl dgst -sha384 -verify "$T/k384.pub.pem" -signature "$T/sig.der" "$T/pae"
	run -0 pf-verify --key "$T/k384.pub.pem" "$M"
}

@test "pf-sign: every per-file signature verifies with openssl dgst -sha256" {
	newkey secp384r1 k384
	for k in k k384; do
		run -0 pf-sign --key "$T/$k.pem" "$M" -o "$T/sign.json"
		fp=$(openssl pkey -pubin -in "$T/$k.pub.pem" -outform DER | sha256sum | cut -c1-64)
		jq -e --arg fp "$fp" '.key.fingerprint == $fp' "$T/sign.json"
		n=0
		while read -r path sig; do
			printf '%s' "$sig" | base64 -d >"$T/f.sig"
			run -0 openssl dgst -sha256 -verify "$T/$k.pub.pem" -signature "$T/f.sig" "$M/$path"
			[ "$output" = "Verified OK" ]
			n=$((n + 1))
		done < <(jq -r '.files[] | "\(.path) \(.signature)"' "$T/sign.json")
		[ "$n" -eq 3 ]
	done
	# A signature of one file does not pass for another.
	sig=$(jq -r '.files[] | select(.path == "config.json") | .signature' "$T/sign.json")
	printf '%s' "$sig" | base64 -d >"$T/f.sig"
	run -1 openssl dgst -sha256 -verify "$T/k384.pub.pem" -signature "$T/f.sig" "$M/sub/tokenizer.json"
}

@test "pf-sign: resources are in the reference signer's component order" {
	mkdir "$M/a"
	echo 1 >"$M/a/b"
	echo 2 >"$M/a-b"
	echo 3 >"$M/a.b"
	run -0 pf-sign --key "$T/k.pem" "$M"
	statement "$M/model.sig"
	run -0 jq -c '[.predicate.resources[].name]' "$T/statement"
	[ "$output" = '["a/b","a-b","a.b","config.json","model.safetensors","sub/tokenizer.json"]' ]
	run -0 pf-verify --key "$T/k.pub.pem" "$M"
}

@test "pf-sign: git files are left out as the OpenSSF verifier leaves them out" {
	mkdir -p "$M/.git/objects"
	echo ref >"$M/.git/HEAD"
	echo '*.bin lfs' >"$M/.gitattributes"
	run -0 pf-sign --key "$T/k.pem" "$M"
	statement "$M/model.sig"
	jq -e '[.predicate.resources[].name | select(startswith(".git"))] == []' "$T/statement"
	run -0 --separate-stderr pf-verify --key "$T/k.pub.pem" "$M"
	jq -e '.ignored == [".git", ".gitattributes", "model.sig"]' <<<"$output"
}

@test "pf-sign: signing again does not sign the old bundle into the new one" {
	run -0 pf-sign --key "$T/k.pem" "$M"
	run -0 pf-sign --key "$T/k.pem" "$M"
	statement "$M/model.sig"
	jq -e '[.predicate.resources[].name] | index("model.sig") == null' "$T/statement"
	run -0 pf-verify --key "$T/k.pub.pem" "$M"
}

@test "pf-sign: a bundle outside the folder is not listed as ignored" {
	run -0 pf-sign --key "$T/k.pem" --signature "$T/elsewhere.sig" "$M"
	[ ! -e "$M/model.sig" ]
	statement "$T/elsewhere.sig"
	jq -e '.predicate.serialization.ignore_paths == [".git", ".gitattributes",
	    ".github", ".gitignore"]' "$T/statement"
	run -0 pf-verify --key "$T/k.pub.pem" --signature "$T/elsewhere.sig" "$M"
	# A file named model.sig in the folder is then signed like any other.
	echo data >"$M/model.sig"
	run -1 --separate-stderr pf-verify --key "$T/k.pub.pem" --signature "$T/elsewhere.sig" "$M"
	jq -e 'any(.findings[]; .rule == "verify.file.extra" and .file == "model.sig")' <<<"$output"
}

@test "pf-sign: a symlink in the folder is refused and nothing is signed" {
	ln -s config.json "$M/alias.json"
	run -1 --separate-stderr pf-sign --key "$T/k.pem" "$M"
	jq -e '.status == "failed" and .findings[0].rule == "sign.file.symlink"
	    and .findings[0].file == "alias.json" and .bundle_sha256 == null' <<<"$output"
	[ ! -e "$M/model.sig" ]
}

@test "pf-sign: a FIFO in the folder is refused without being opened" {
	mkfifo "$M/sub/pipe"
	run -1 --separate-stderr pf-sign --key "$T/k.pem" "$M"
	jq -e '.findings[0].rule == "sign.file.special" and .findings[0].file == "sub/pipe"' <<<"$output"
	[ ! -e "$M/model.sig" ]
}

@test "pf-sign: a file name with a control byte is refused" {
	echo x >"$M/$(printf 'bad\tname')"
	run -1 --separate-stderr pf-sign --key "$T/k.pem" "$M"
	jq -e '.findings[0].rule == "sign.file.bad-name"' <<<"$output"
	[ ! -e "$M/model.sig" ]
}

@test "pf-sign: every digest matching fetch.json is signed, with the manifest named" {
	fetch_json "$M" >"$T/fetch.json"
	run -0 --separate-stderr pf-sign --key "$T/k.pem" --fetch "$T/fetch.json" "$M"
	sha=$(sha256sum "$T/fetch.json" | cut -c1-64)
	jq -e --arg s "$sha" '.status == "passed" and .fetch.sha256 == $s
	    and .model.id == "acme/tiny"' <<<"$output"
}

@test "pf-sign: a digest that differs from fetch.json is exit 1 and nothing is signed" {
	fetch_json "$M" >"$T/fetch.json"
	printf '{"architectures": ["Evil"]}\n' >"$M/config.json"
	run -1 --separate-stderr pf-sign --key "$T/k.pem" --fetch "$T/fetch.json" "$M"
	jq -e '.status == "failed" and [.findings[].rule] == ["sign.fetch.mismatch"]
	    and .findings[0].file == "config.json"' <<<"$output"
	[ ! -e "$M/model.sig" ]
	summary_only failed
}

@test "pf-sign: a file fetch.json does not list, or one it lists but is gone, is exit 1" {
	fetch_json "$M" >"$T/fetch.json"
	echo extra >"$M/extra.py"
	rm "$M/sub/tokenizer.json"
	run -1 --separate-stderr pf-sign --key "$T/k.pem" --fetch "$T/fetch.json" "$M"
	jq -e '[.findings[] | [.rule, .file]] ==
	    [["sign.fetch.unlisted", "extra.py"], ["sign.fetch.missing", "sub/tokenizer.json"]]' <<<"$output"
	[ ! -e "$M/model.sig" ]
	# A file the manifest rejected must not be in the folder either.
	fetch_json "$M" '.files[0].status = "rejected"' >"$T/fetch.json"
	run -1 --separate-stderr pf-sign --key "$T/k.pem" --fetch "$T/fetch.json" "$M"
	jq -e '.findings[0].rule == "sign.fetch.unlisted"' <<<"$output"
}

@test "pf-sign: with a passing gate it signs the verified folder, made writable only for that" {
	V="$T/store/verified/acme/tiny/$(printf 'c%.0s' {1..40})"
	mkdir -p "$V"
	cp -r "$M/." "$V/"
	find "$V" -type f -exec chmod 0444 {} +
	find "$V" -type d -exec chmod 0555 {} +
	sha=$(fetch_json "$V" | tee "$T/fetch.json" | sha256sum | cut -c1-64)
	gate_json "$V" '.gate.inputs = [{"stage": "fetch", "path": "fetch.json", "sha256": "'"$sha"'", "status": "passed"}]' >"$T/gate.json"
	run -0 --separate-stderr pf-sign --key "$T/k.pem" -i "$T/gate.json" --fetch "$T/fetch.json" -o "$T/sign.json"
	jq -e --arg v "$V" '.vouched_by_gate == true and .gate.decision == "passed"
	    and .gate.mode == "enforce" and .gate.unvetted == false and .directory == $v
	    and .signature_path == ($v + "/model.sig") and .model.id == "acme/tiny"' "$T/sign.json"
	[ "$(stat -c %a "$V")" = 555 ]
	run -0 pf-verify --key "$T/k.pub.pem" "$V"
}

@test "pf-sign: a gate that did not pass is exit 1, nothing signed" {
	for v in blocked needs-approval; do
		gate_json "$M" ".gate.decision = \"$v\" | .status = \"failed\" | .gate.verified = null" >"$T/gate.json"
		run -1 --separate-stderr pf-sign --key "$T/k.pem" -i "$T/gate.json"
		jq -e --arg v "$v" '.status == "failed" and .findings[0].rule == "sign.gate.not-passed"
		    and .gate.decision == $v and .files == []' <<<"$output"
		[ ! -e "$M/model.sig" ]
	done
	# A passing status with another decision is not a pass either.
	gate_json "$M" '.gate.decision = "blocked"' >"$T/gate.json"
	run -1 pf-sign --key "$T/k.pem" -i "$T/gate.json"
	[ ! -e "$M/model.sig" ]
}

@test "pf-sign: a gate.json without what pf-sign reads is exit 2" {
	gate_json "$M" 'del(.gate.verified.path)' >"$T/gate.json"
	run -2 --separate-stderr pf-sign --key "$T/k.pem" -i "$T/gate.json"
	[[ "$stderr" == *"gate.verified.path is not an absolute path" ]]
	gate_json "tiny-model" >"$T/gate.json"
	run -2 pf-sign --key "$T/k.pem" -i "$T/gate.json"
	gate_json "$M" 'del(.gate.decision)' >"$T/gate.json"
	run -2 pf-sign --key "$T/k.pem" -i "$T/gate.json"
	gate_json "$M" '.stage = "fetch"' >"$T/gate.json"
	run -2 --separate-stderr pf-sign --key "$T/k.pem" -i "$T/gate.json"
	[[ "$stderr" == *"stage is 'fetch', expected 'gate'" ]]
	[ ! -e "$M/model.sig" ]
}

@test "pf-sign: git files fetch.json lists are not signed, and a model's own model.sig is never replaced" {
	echo '* text' >"$M/.gitattributes"
	fetch_json "$M" >"$T/fetch.json"
	run -0 --separate-stderr pf-sign --key "$T/k.pem" --fetch "$T/fetch.json" "$M"
	jq -e '[.files[].path] == ["config.json", "model.safetensors", "sub/tokenizer.json"]' <<<"$output"
	rm "$M/model.sig"
	echo theirs >"$M/model.sig"
	fetch_json "$M" '.files += [{"path": "model.sig", "sha256": "'"$(sha256sum "$M/model.sig" | cut -c1-64)"'", "status": "verified"}]' >"$T/fetch.json"
	run -1 --separate-stderr pf-sign --key "$T/k.pem" --fetch "$T/fetch.json" "$M"
	jq -e '[.findings[].rule] == ["sign.fetch.signature-clash"]' <<<"$output"
	[ "$(cat "$M/model.sig")" = theirs ]
}

@test "pf-sign: a gate and a fetch.json of different commits, or one the gate did not read, are exit 2" {
	fetch_json "$M" '.model.commit = "'"$(printf 'd%.0s' {1..40})"'"' >"$T/fetch.json"
	gate_json "$M" >"$T/gate.json"
	run -2 --separate-stderr pf-sign --key "$T/k.pem" -i "$T/gate.json" --fetch "$T/fetch.json"
	[[ "$stderr" == *"are about different models or commits" ]]
	fetch_json "$M" >"$T/fetch.json"
	gate_json "$M" '.gate.inputs = [{"stage": "fetch", "path": "fetch.json", "sha256": "'"$(printf '0%.0s' {1..64})"'"}]' >"$T/gate.json"
	run -2 --separate-stderr pf-sign --key "$T/k.pem" -i "$T/gate.json" --fetch "$T/fetch.json"
	[[ "$stderr" == *"is not the manifest '$T/gate.json' judged" ]]
	[ ! -e "$M/model.sig" ]
}

@test "pf-sign: the verdict lands in the audit log" {
	run -0 pf-sign --key "$T/k.pem" "$M" -o "$T/sign.json"
	sha=$(sha256sum "$T/sign.json" | cut -c1-64)
	run -0 jq -e --arg s "$sha" 'select(.event.type == "sign.verdict")
	    | .event.status == "passed" and .event.artifact.sha256 == $s' "$PF_HOME/audit.log"
}

@test "pf-sign: reruns write byte-identical artifacts" {
	run -0 pf-sign --key "$T/k.pem" "$M" -o "$T/a.json"
	run -0 pf-sign --key "$T/k.pem" "$M" -o "$T/b.json"
	# ECDSA signatures are randomised; everything else is the same.
	diff <(jq 'del(.files[].signature, .bundle_sha256)' "$T/a.json") \
	     <(jq 'del(.files[].signature, .bundle_sha256)' "$T/b.json")
}

@test "pf-sign: a full standard output is exit 3" {
	run -3 --separate-stderr bash -c 'exec pf-sign --key "$1" "$2" >/dev/full' _ "$T/k.pem" "$M"
	[[ "$stderr" == "pf-sign: write <stdout>: No space left on device" ]]
}

@test "pf-sign: an independent OpenSSF-style verifier accepts the bundles" {
	check="$PF_REPO/tests/fixtures/oms-verify.py"
	# The checker itself accepts the upstream test vector, and only it.
	V="$T/v1.1.0-elliptic-key"
	mkdir "$V"
	printf 'signme-1\n' >"$V/signme-1"
	printf 'signme-2' >"$V/signme-2"
	: >"$V/ignore-me"
	cp "$PF_REPO/tests/fixtures/oms/v1.1.0-elliptic-key.model.sig" "$V/model.sig"
	run -0 "$check" "$PF_REPO/tests/fixtures/oms/v1.1.0-elliptic-key.pub.pem" "$V/model.sig" "$V"
	printf 'signme-1' >"$V/signme-1"
	run -1 "$check" "$PF_REPO/tests/fixtures/oms/v1.1.0-elliptic-key.pub.pem" "$V/model.sig" "$V"
	# Ours, P-256 and P-384, with subfolders, git files and odd names.
	mkdir -p "$M/.git" "$M/a"
	echo ref >"$M/.git/HEAD"
	echo 1 >"$M/a/b"
	echo 2 >"$M/a-b"
	echo 3 >"$M/ünï cödé.txt"
	newkey secp384r1 k384
	for k in k k384; do
		run -0 pf-sign --key "$T/$k.pem" "$M" -o "$T/sign.json"
		run -0 --separate-stderr "$check" "$T/$k.pub.pem" "$M/model.sig" "$M"
	done
	echo 4 >"$M/a/b"
	run -1 --separate-stderr "$check" "$T/k384.pub.pem" "$M/model.sig" "$M"
	[[ "$stderr" == "oms-verify: Hash mismatch for 'a/b'" ]]
}

@test "pf-sign: PF_MAX_PATH_DEPTH: 31 folders deep is signed, 32 is refused" {
	d="$M"
	for ((i = 0; i < 31; i++)); do d="$d/d"; done
	mkdir -p "$d"
	echo deep >"$d/f"
	run -0 --separate-stderr pf-sign --key "$T/k.pem" "$M"
	jq -e '(.files | length) == 4' <<<"$output"
	mkdir "$d/d"
	echo deeper >"$d/d/f"
	rm "$M/model.sig"
	run -1 --separate-stderr pf-sign --key "$T/k.pem" "$M"
	jq -e '.findings[0].rule == "sign.folder.too-large"' <<<"$output"
	[ ! -e "$M/model.sig" ]
}
