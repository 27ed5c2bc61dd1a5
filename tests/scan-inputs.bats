#!/usr/bin/env bats
# The input layer every scanner shares (lib/core/pf_inputs.c): how fetch.json is
# checked, how each file is opened, and how special files and odd names come
# out, asserted for all five scanners at once. Each scanner's own bats file
# covers what it does with the bytes.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	D="$BATS_TEST_TMPDIR/d"
	mkdir -p "$D"
	Q=$(pf_quarantine)
}

# Each scanner with a file name it reads.
SCANNERS="pickle:pytorch_model.bin py:modeling_x.py secrets:config.yaml
    weights:model.safetensors deps:requirements.txt"

# scan NAME ARGS...: runs pf-scan-NAME under a timeout (a blocked open would
# otherwise hang the suite), status and output as `run` leaves them.
scan() {
	local name=$1
	shift
	run --separate-stderr timeout 30 "pf-scan-$name" "$@"
}

# only_finding RULE KIND: the one finding is RULE, high, with evidence.kind KIND.
only_finding() {
	jq -e --arg r "$1" --arg k "$2" '[.findings[] | [.rule, .severity,
	    .evidence.kind]] == [[$r, "high", $k]]' <<<"$output" >/dev/null || {
		echo "want only $1 ($2), got: $(jq -c '[.findings[] | .rule]' <<<"$output")" >&2
		return 1
	}
}

@test "scanners: a FIFO in a folder is a finding in every scanner, never waited on" {
	for t in $SCANNERS; do
		s=${t%%:*} f=${t#*:}
		rm -rf "$D" && mkdir -p "$D" && mkfifo "$D/$f"
		scan "$s" "$D"
		[ "$status" -eq 1 ] || { echo "$s: exit $status: $stderr" >&2; return 1; }
		only_finding "$s.file.not-regular" fifo
	done
}

@test "scanners: an OPENSSL_CONF in the environment changes no outcome" {
	# A configuration that activates a provider that does not exist makes
	# every digest fail once OpenSSL reads it; the tools never read it.
	printf 'openssl_conf = c\n[c]\nproviders = p\n[p]\nx = s\n[s]\nactivate = 1\n' \
		>"$BATS_TEST_TMPDIR/bad.cnf"
	for t in $SCANNERS; do
		s=${t%%:*} f=${t#*:}
		rm -rf "$D" && mkdir -p "$D" && : >"$D/$f"
		scan "$s" "$D"
		want="$status $(jq -c '[.findings[].rule]' <<<"$output")"
		OPENSSL_CONF="$BATS_TEST_TMPDIR/bad.cnf" scan "$s" "$D"
		got="$status $(jq -c '[.findings[].rule]' <<<"$output")"
		[ "$got" = "$want" ] || { echo "$s: $got, not $want: $stderr" >&2; return 1; }
	done
	# the audit log's hash chain: read with it, an intact log was "edited"
	OPENSSL_CONF="$BATS_TEST_TMPDIR/bad.cnf" run -0 --separate-stderr pf-audit verify
	jq -e '.status == "passed" and .lines == 10' <<<"$output"
}

@test "scanners: a FIFO, a socket or a folder listed in fetch.json is a finding, never read" {
	for kind in fifo socket folder; do
		for t in $SCANNERS; do
			s=${t%%:*} f=${t#*:}
			rm -rf "$BATS_TEST_TMPDIR/quarantine"
			pf_manifest "$f=$D/absent" >"$BATS_TEST_TMPDIR/fetch.json"
			case $kind in
			fifo) mkfifo "$Q/$f" ;;
			socket) (cd "$Q" && python3 -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$f") ;;
			folder) mkdir "$Q/$f" ;;
			esac
			scan "$s" -i "$BATS_TEST_TMPDIR/fetch.json"
			[ "$status" -eq 1 ] || { echo "$s $kind: exit $status: $stderr" >&2; return 1; }
			only_finding "$s.file.not-regular" "$kind"
		done
	done
}

@test "scanners: a symlink listed in fetch.json, or one on its way, is a finding, never followed" {
	printf 'import os\nos.system("id")\n' >"$D/evil.py"
	for t in $SCANNERS; do
		s=${t%%:*} f=${t#*:}
		rm -rf "$BATS_TEST_TMPDIR/quarantine"
		pf_manifest "$f=$D/absent" "sub/$f=$D/absent" >"$BATS_TEST_TMPDIR/fetch.json"
		ln -sf "$D/evil.py" "$Q/$f"
		rm -rf "$Q/sub" && ln -s "$D" "$Q/sub"
		cp "$D/evil.py" "$D/$f"
		scan "$s" -i "$BATS_TEST_TMPDIR/fetch.json"
		[ "$status" -eq 1 ] || { echo "$s: exit $status: $stderr" >&2; return 1; }
		jq -e --arg s "$s" --arg f "$f" '[.findings[] | [.file, .rule, .evidence.kind]]
		    == [[$f, $s + ".file.symlink", "symlink"],
		        ["sub/" + $f, $s + ".file.symlink", "symlink"]]' <<<"$output"
		rm -f "$D/$f"
	done
}

@test "scanners: pf-scan-py does not follow a symlinked modeling file in a folder" {
	printf 'import os\nos.system("id")\n' >"$D/evil.py"
	mkdir "$D/m"
	ln -s ../evil.py "$D/m/modeling_x.py"
	scan py "$D/m"
	[ "$status" -eq 1 ]
	only_finding py.file.symlink symlink
	jq -e '.files == [{"path": "modeling_x.py", "kind": "not-regular", "bytes": 0,
	    "lines": 0, "tokens": 0, "findings": 1}]' <<<"$output"
}

@test "scanners: fetch.json entries without quarantine_path, outside the quarantine or missing are refused (2)" {
	echo hello >"$D/f"
	for t in $SCANNERS; do
		s=${t%%:*} f=${t#*:}
		rm -rf "$BATS_TEST_TMPDIR/quarantine"
		pf_manifest "$f=$D/f" >"$BATS_TEST_TMPDIR/m.json"
		jq '.files[0] |= del(.quarantine_path)' "$BATS_TEST_TMPDIR/m.json" >"$BATS_TEST_TMPDIR/fetch.json"
		scan "$s" -i "$BATS_TEST_TMPDIR/fetch.json"
		[ "$status" -eq 2 ] && [ -z "$output" ]
		[[ "$stderr" == *"files[0]: '$f': no quarantine_path" ]] || { echo "$s: $stderr" >&2; return 1; }
		for q in /etc/passwd "$Q/../x/$f" "$Q/other" "$Q/$f/"; do
			jq --arg q "$q" '.files[0].quarantine_path = $q' "$BATS_TEST_TMPDIR/m.json" \
			    >"$BATS_TEST_TMPDIR/fetch.json"
			scan "$s" -i "$BATS_TEST_TMPDIR/fetch.json"
			[ "$status" -eq 2 ] && [ -z "$output" ]
			[[ "$stderr" == *"quarantine_path '"*"' is not the quarantine/'$f'" ]] ||
			    { echo "$s: $stderr" >&2; return 1; }
		done
		jq '.quarantine = "relative/acme/tiny-llama/" + .model.commit' "$BATS_TEST_TMPDIR/m.json" \
		    >"$BATS_TEST_TMPDIR/fetch.json"
		scan "$s" -i "$BATS_TEST_TMPDIR/fetch.json"
		[ "$status" -eq 2 ] && [[ "$stderr" == *"not an absolute folder ending in the model's id and commit" ]]
		rm "$Q/$f"
		scan "$s" -i "$BATS_TEST_TMPDIR/m.json"
		[ "$status" -eq 2 ] && [ -z "$output" ]
		[[ "$stderr" == *"'$f': '$Q/$f': missing from the quarantine" ]] || { echo "$s: $stderr" >&2; return 1; }
	done
}

@test "scanners: a file whose size differs from fetch.json is not scanned: <scanner>.file.changed" {
	printf 'import os\nos.system("id")\n' >"$D/evil.py"
	for t in $SCANNERS; do
		s=${t%%:*} f=${t#*:}
		rm -rf "$BATS_TEST_TMPDIR/quarantine"
		pf_manifest "$f=$D/evil.py" >"$BATS_TEST_TMPDIR/fetch.json"
		echo "# more" >>"$Q/$f"
		scan "$s" -i "$BATS_TEST_TMPDIR/fetch.json"
		[ "$status" -eq 1 ] || { echo "$s: exit $status: $stderr" >&2; return 1; }
		only_finding "$s.file.changed" changed
		jq -e '.findings[0].message | test("is [0-9]+ bytes, the manifest says [0-9]+")' <<<"$output"
	done
}

@test "scanners: same size, other bytes: the re-hash catches it up to scan.rehash_max_bytes, at the cap and not past it" {
	gen_fixture secrets hit huggingface-token >"$D/bad"
	tr -c '\n' x <"$D/bad" >"$D/good"
	[ "$(stat -c %s "$D/good")" = "$(stat -c %s "$D/bad")" ]
	size=$(stat -c %s "$D/good")
	pf_manifest "config.yaml=$D/good" >"$BATS_TEST_TMPDIR/fetch.json"
	cp "$D/bad" "$Q/config.yaml"
	# Default (64 MiB) and a cap of exactly the file's size: re-hashed, caught.
	for policy in . ".scan.rehash_max_bytes = $size"; do
		pf_policy "$policy"
		scan secrets -i "$BATS_TEST_TMPDIR/fetch.json"
		[ "$status" -eq 1 ]
		only_finding secrets.file.changed changed
		jq -e '.findings[0].message | test("has sha256 [0-9a-f]{16}[.]{3}, the manifest says")' <<<"$output"
	done
	# One byte under its size: not re-hashed, so the bytes are scanned.
	pf_policy ".scan.rehash_max_bytes = $((size - 1))"
	scan secrets -i "$BATS_TEST_TMPDIR/fetch.json"
	[ "$status" -eq 1 ]
	jq -e '[.findings[].rule] == ["secrets.huggingface-token.exposed"]' <<<"$output"
	pf_policy '.scan.rehash_max_bytes = -1'
	scan secrets -i "$BATS_TEST_TMPDIR/fetch.json"
	[ "$status" -eq 2 ]
	[ "$stderr" = "pf-scan-secrets: policy: scan.rehash_max_bytes must be a non-negative integer" ]
}

@test "scanners: a file name that is not UTF-8 comes out as {\"hex\": ...}, never a false out of memory" {
	name=$'w\xff\xfe'
	for t in $SCANNERS; do
		s=${t%%:*} f=${t#*:}
		[ "$s" != deps ] || continue	# reads only requirements files
		rm -rf "$D" && mkdir -p "$D"
		printf 'hello\n' >"$D/$name$f"
		scan "$s" "$D"
		[ "$status" -le 1 ] || { echo "$s: exit $status: $stderr" >&2; return 1; }
		jq -e --arg h "77fffe$(printf '%s' "$f" | od -An -tx1 | tr -d ' \n')" \
		    '.files | map(.path) == [{"hex": $h}]' <<<"$output"
	done
}

@test "scanners: pf-scan-deps refuses a fetch.json name that is not a safe path (2)" {
	printf 'numpy\n' >"$D/requirements.txt"
	pf_manifest "requirements.txt=$D/requirements.txt" >"$BATS_TEST_TMPDIR/m.json"
	for p in ../requirements.txt /etc/requirements.txt .git/requirements.txt; do
		jq --arg p "$p" '.files[0].path = $p' "$BATS_TEST_TMPDIR/m.json" >"$BATS_TEST_TMPDIR/fetch.json"
		scan deps -i "$BATS_TEST_TMPDIR/fetch.json"
		[ "$status" -eq 2 ] && [ -z "$output" ]
		[[ "$stderr" == *"files[0].path: "*"unsafe file name"* ]]
	done
}

@test "scanners: pf-scan-secrets returns on a FIFO listed in fetch.json (it used to block forever)" {
	pf_manifest "config.yaml=$D/absent" >"$BATS_TEST_TMPDIR/fetch.json"
	mkfifo "$Q/config.yaml"
	scan secrets -i "$BATS_TEST_TMPDIR/fetch.json"
	[ "$status" -eq 1 ]
	jq -e '.files == [{"path": "config.yaml", "kind": "not-regular", "scanned_bytes": 0,
	    "findings": 1}]' <<<"$output"
}
