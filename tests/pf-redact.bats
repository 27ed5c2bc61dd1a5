#!/usr/bin/env bats
# pf-redact: every rule's sample masked and nothing else touched, byte for
# byte; secrets across read and window boundaries; a 1 GB stream in flat
# memory. Fixtures come from tests/fixtures/gen-secrets.py.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	T="$BATS_TEST_TMPDIR"
}

@test "pf-redact: --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr pf-redact --help
	[[ "${lines[0]}" == "usage: pf-redact "* ]]
	[ -z "$stderr" ]
}

@test "pf-redact: --version prints the version" {
	run -0 --separate-stderr pf-redact --version
	[ "$output" = "pf-redact 0.1.0" ]
}

@test "pf-redact: an unknown option exits 2 on stderr only" {
	run -2 --separate-stderr pf-redact --bogus <<<""
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-redact --help'"* ]]
}

@test "pf-redact: an argument exits 2: input comes from stdin or -i" {
	run -2 --separate-stderr pf-redact file.txt <<<""
	[ -z "$output" ]
	[[ "$stderr" == "pf-redact: unexpected argument 'file.txt'"* ]]
}

@test "pf-redact: an unknown --min-severity exits 2" {
	run -2 --separate-stderr pf-redact --min-severity severe <<<""
	[[ "$stderr" == "pf-redact: --min-severity: unknown severity 'severe'"* ]]
}

@test "pf-redact: every option of the usage text is in the man page" {
	for opt in input output policy rules min-severity count help version; do
		grep -q -- "Fl -$opt\|Fl $opt" "$PF_REPO/man/pf-redact.1"
	done
}

@test "pf-redact: a missing input file exits 2 and writes nothing" {
	run -2 --separate-stderr pf-redact -i "$T/nope" -o "$T/out"
	[ -z "$output" ]
	[ ! -e "$T/out" ]
	[[ "$stderr" == "pf-redact: '$T/nope': No such file or directory" ]]
}

@test "pf-redact: a folder as input exits 2" {
	run -2 --separate-stderr pf-redact -i "$T"
	[[ "$stderr" == *"is a directory" ]]
}

@test "pf-redact: an invalid rule table exits 2 before reading input" {
	printf '{"rules_version": 1, "rules": [{"name": "x"}]}' >"$T/rules.json"
	run -2 --separate-stderr pf-redact --rules "$T/rules.json" <<<""
	[ -z "$output" ]
	[[ "$stderr" == "pf-redact: '$T/rules.json': rule 1: "* ]]
}

@test "pf-redact: stdout on /dev/full exits 3" {
	gen_fixture secrets readme >"$T/in"
	run -3 --separate-stderr bash -c 'exec pf-redact -i "$1" >/dev/full' _ "$T/in"
	[[ "$stderr" == "pf-redact: write: No space left on device" ]]
}

# ------------------------------------------------------------ the bytes

@test "pf-redact: text without secrets passes byte for byte" {
	gen_fixture secrets tokenizer >"$T/in"
	gen_fixture secrets readme >>"$T/in"
	run -0 --separate-stderr pf-redact -i "$T/in" -o "$T/out"
	cmp "$T/in" "$T/out"
}

@test "pf-redact: binary bytes, NULs, invalid UTF-8 and no final newline pass unchanged" {
	python3 -c 'import random, sys; r = random.Random(3)
sys.stdout.buffer.write(bytes(r.getrandbits(8) for _ in range(300000)))' >"$T/in"
	printf '\0\377\376 tail' >>"$T/in"
	pf-redact <"$T/in" >"$T/out"
	cmp "$T/in" "$T/out"
}

@test "pf-redact: empty input gives empty output" {
	: >"$T/empty"
	run -0 --separate-stderr pf-redact <"$T/empty"
	[ -z "$output" ]
}

@test "pf-redact: every rule's sample is masked with its name and gone" {
	for r in $(gen_fixture secrets rules); do
		gen_fixture secrets hit "$r" >"$T/in"
		secret=$(gen_fixture secrets secret "$r" | tail -n 2 | head -n 1)
		pf-redact -i "$T/in" -o "$T/out"
		grep -qF "[REDACTED:$r]" "$T/out" || { echo "$r: no mask" >&2; return 1; }
		if grep -qF -- "$secret" "$T/out"; then
			echo "$r: the secret is still there" >&2
			return 1
		fi
	done
}

@test "pf-redact: only the secret is masked, the text around it stays" {
	printf 'DATABASE_URL=postgres://admin:%s@db:5432/app # ok\n' "$(gen_fixture secrets secret url-password)" >"$T/in"
	run -0 --separate-stderr pf-redact -i "$T/in"
	[ "$output" = "DATABASE_URL=postgres://admin:[REDACTED:url-password]@db:5432/app # ok" ]
}

@test "pf-redact: near misses are left alone" {
	for r in $(gen_fixture secrets rules); do
		gen_fixture secrets miss "$r" >>"$T/in"
	done
	pf-redact -i "$T/in" -o "$T/out"
	run -0 grep -o '\[REDACTED:[a-z-]*\]' "$T/out"
	# The near misses of the specific rules may still look generic.
	for m in "${lines[@]}"; do
		[[ "$m" == "[REDACTED:generic-secret]" ]]
	done
}

@test "pf-redact: --min-severity high leaves low rules alone" {
	printf 'mail %s and %s\n' "$(gen_fixture secrets secret email)" \
	    "$(gen_fixture secrets secret huggingface-token)" >"$T/in"
	run -0 --separate-stderr pf-redact --min-severity high -i "$T/in"
	[[ "$output" == "mail jane.doe"*" and [REDACTED:huggingface-token]" ]]
}

@test "pf-redact: secrets.disabled_rules from the policy applies" {
	pf_policy '.secrets.disabled_rules = ["email"]'
	gen_fixture secrets hit email >"$T/in"
	run -0 --separate-stderr pf-redact -i "$T/in"
	[[ "$output" != *REDACTED* ]]
}

@test "pf-redact: --count says how many secrets were masked" {
	gen_fixture secrets hit jwt >"$T/in"
	gen_fixture secrets hit email >>"$T/in"
	run -0 --separate-stderr pf-redact --count -i "$T/in"
	[ "$stderr" = "pf-redact: 2 secrets masked" ]
}

@test "pf-redact: -o replaces the file atomically and leaves no temporary" {
	printf 'old\n' >"$T/out"
	gen_fixture secrets hit jwt >"$T/in"
	run -0 --separate-stderr pf-redact -i "$T/in" -o "$T/out"
	grep -q 'REDACTED:jwt' "$T/out"
	[ "$(ls "$T" | grep -c '^out')" -eq 1 ]
}

@test "pf-redact: -o to a FIFO or device writes into it, never renames over it" {
	gen_fixture secrets hit jwt >"$T/in"
	mkfifo "$T/fifo"
	cat "$T/fifo" >"$T/got" &
	run -0 --separate-stderr pf-redact -i "$T/in" -o "$T/fifo"
	wait
	[ -p "$T/fifo" ]
	grep -q 'REDACTED:jwt' "$T/got"
}

# ------------------------------------------------------ boundaries

@test "pf-redact: secrets across every read and window boundary are all masked" {
	gen_fixture secrets straddle 4194304 >"$T/in"
	n=$(gen_fixture secrets straddle-count 4194304)
	run -0 --separate-stderr pf-redact --count -i "$T/in" -o "$T/out"
	[ "$stderr" = "pf-redact: $n secrets masked" ]
	[ "$(grep -o '\[REDACTED:' "$T/out" | wc -l)" -eq "$n" ]
	! grep -q -- '-----BEGIN RSA' "$T/out"
}

@test "pf-redact: the output does not depend on how the input was split" {
	gen_fixture secrets straddle 3000000 >"$T/in"
	pf-redact -i "$T/in" -o "$T/whole"
	# A pipe hands pf-redact pieces of whatever size the writer used.
	python3 -c '
import sys, os
d = open(sys.argv[1], "rb").read()
i, k = 0, 0
sizes = [1, 7, 4093, 65537, 1000003, 13]
while i < len(d):
    n = sizes[k % len(sizes)]
    os.write(1, d[i:i + n])
    i += n
    k += 1
' "$T/in" | pf-redact >"$T/piped"
	cmp "$T/whole" "$T/piped"
}

@test "pf-redact: a secret is masked the same as pf-scan-secrets finds it" {
	gen_fixture secrets straddle 2000000 >"$T/in"
	n=$(pf-scan-secrets "$T/in" | jq '.findings | length') || true
	[ "$n" -eq "$(gen_fixture secrets straddle-count 2000000)" ]
	[ "$(pf-redact -i "$T/in" | grep -o '\[REDACTED:' | wc -l)" -eq "$n" ]
}

@test "pf-redact: a 1 GB stream is masked in flat memory" {
	if pf_is_sanitized; then
		skip "memory is not flat under AddressSanitizer's shadow and quarantine"
	fi
	# One Hugging Face token in every MiB; max RSS measured by GNU time.
	gen_fixture secrets stream $((1024 * 1024 * 1024)) |
	    /usr/bin/time -f '%M' -o "$T/rss" pf-redact |
	    grep -c 'REDACTED:huggingface-token' >"$T/count"
	[ "$(cat "$T/count")" -eq 1024 ]
	# pf-redact holds 1 MiB plus its look-ahead; 32 MiB is a wide margin.
	[ "$(tail -n 1 "$T/rss")" -lt $((32 * 1024)) ]
}
