#!/usr/bin/env bats
# pf-scan-secrets: for each rule a sample it must find and a near miss it
# must not; no report ever holds a secret; tokenizer vocabularies stay
# quiet; weight-file metadata strings are scanned; the caps at cap and
# cap+1. Fixtures come from tests/fixtures/gen-secrets.py.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	D="$BATS_TEST_TMPDIR/model"
	mkdir -p "$D"
}

# put FIXTURE FILE [ARG...]: the fixture as $D/FILE
put() {
	local name=$1 file=$2
	shift 2
	gen_fixture secrets "$name" "$@" >"$D/$file"
}

has_rule() {
	jq -e --arg r "$1" '.findings | any(.rule == $r)' <<<"$output" >/dev/null
}

# hit RULE: the rule's sample is found, with its place, and never shown.
hit() {
	local secret half
	put hit "$1.txt" "$1"
	secret=$(gen_fixture secrets secret "$1")
	half=${secret: -$(( ${#secret} / 2 ))}
	run --separate-stderr pf-scan-secrets "$D"
	[ "$status" -le 1 ]
	[ -z "$stderr" ] || summary_only failed
	jq -e --arg r "secrets.$1.exposed" --arg f "$1.txt" '.findings | any(.rule == $r
	    and .file == $f and (.offset | type) == "number" and .evidence.line >= 1
	    and (.evidence.fingerprint | test("…[0-9a-f]{8}$")))' <<<"$output"
	# No line of the secret's second half is anywhere in the report (a
	# PEM's BEGIN/END lines are boilerplate, not the secret).
	while IFS= read -r line; do
		[ "${#line}" -ge 8 ] && [[ "$line" != *-----* ]] || continue
		if grep -qF -- "$line" <<<"$output"; then
			echo "the report shows the secret" >&2
			return 1
		fi
	done <<<"$half"
}

# miss RULE: the near miss is not reported under RULE.
miss() {
	put miss "$1.txt" "$1"
	run --separate-stderr pf-scan-secrets "$D"
	[ "$status" -le 1 ]
	if has_rule "secrets.$1.exposed"; then
		echo "the near miss was reported" >&2
		return 1
	fi
}

# fetch_json FILE REL: a manifest listing FILE as REL.
fetch_json() {
	pf_manifest "$2=$1"
}

# rules_table JQ: a one-rule table made by a jq expression, as $BATS_TEST_TMPDIR/rules.json
rules_table() {
	jq -n "{rules_version: 1, rules: [$1]}" >"$BATS_TEST_TMPDIR/rules.json"
}

# ------------------------------------------------------------ the tool

@test "pf-scan-secrets: --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr pf-scan-secrets --help
	[[ "${lines[0]}" == "usage: pf-scan-secrets "* ]]
	[ -z "$stderr" ]
}

@test "pf-scan-secrets: --version prints the version" {
	run -0 --separate-stderr pf-scan-secrets --version
	[ "$output" = "pf-scan-secrets 0.1.0" ]
}

@test "pf-scan-secrets: an unknown option exits 2 on stderr only" {
	run -2 --separate-stderr pf-scan-secrets --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-scan-secrets --help'"* ]]
}

@test "pf-scan-secrets: -i with paths is a usage error" {
	run -2 --separate-stderr pf-scan-secrets -i fetch.json "$D"
	[ -z "$output" ]
	[[ "$stderr" == "pf-scan-secrets: -i and PATH arguments exclude each other"* ]]
}

@test "pf-scan-secrets: every option of the usage text is in the man page" {
	for opt in input output policy rules help version; do
		grep -q -- "Fl -$opt\|Fl $opt" "$PF_REPO/man/pf-scan-secrets.1"
	done
}

@test "pf-scan-secrets: a truncated fetch.json on stdin exits 2 and names stdin" {
	run -2 --separate-stderr pf-scan-secrets <<<'{"stage": "fetch",'
	[ -z "$output" ]
	[[ "$stderr" == "pf-scan-secrets: <stdin>: "* ]]
}

@test "pf-scan-secrets: an artifact of another stage exits 2" {
	fetch_json "$D/x" x | jq '.stage = "plan"' >"$BATS_TEST_TMPDIR/plan.json"
	run -2 --separate-stderr pf-scan-secrets -i "$BATS_TEST_TMPDIR/plan.json"
	[ -z "$output" ]
	[[ "$stderr" == *"stage is 'plan', expected 'fetch'"* ]]
}

@test "pf-scan-secrets: a fetch.json larger than PF_MAX_ARTIFACT exits 2" {
	{ printf '{"pad": "'; head -c $((64 * 1024 * 1024)) /dev/zero | tr '\0' a; printf '"}'; } \
	    >"$BATS_TEST_TMPDIR/big.json"
	run -2 --separate-stderr pf-scan-secrets -i "$BATS_TEST_TMPDIR/big.json"
	[ -z "$output" ]
	[[ "$stderr" == *"PF_MAX_ARTIFACT"* ]]
}

@test "pf-scan-secrets: a path that does not exist exits 2" {
	run -2 --separate-stderr pf-scan-secrets "$D/nope"
	[ -z "$output" ]
	[[ "$stderr" == "pf-scan-secrets: '$D/nope': No such file or directory" ]]
}

@test "pf-scan-secrets: stdout on /dev/full exits 3" {
	put readme README.md
	run -3 --separate-stderr bash -c 'exec pf-scan-secrets "$1" >/dev/full' _ "$D"
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "pf-scan-secrets: -o writes the artifact and nothing on stdout" {
	put hit HF.txt huggingface-token
	run -1 --separate-stderr pf-scan-secrets -o "$BATS_TEST_TMPDIR/out.json" "$D"
	[ -z "$output" ]
	jq -e '.stage == "scan-secrets" and .status == "failed"' "$BATS_TEST_TMPDIR/out.json"
}

# ------------------------------------------------------- clean models

@test "pf-scan-secrets: a clean model passes with no finding at all" {
	put readme README.md
	put tokenizer-config tokenizer_config.json
	put notebook train.ipynb
	run -0 --separate-stderr pf-scan-secrets "$D"
	[ -z "$stderr" ]
	jq -e '.status == "passed" and .findings == [] and (.files | length) == 3
	    and .rules.count == 27' <<<"$output"
}

@test "pf-scan-secrets: a realistic 50k-token tokenizer.json has no finding" {
	put tokenizer tokenizer.json
	[ "$(stat -c %s "$D/tokenizer.json")" -gt 1000000 ]
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings == [] and .files[0].kind == "text"
	    and .files[0].scanned_bytes > 1000000' <<<"$output"
}

@test "pf-scan-secrets: binary files are skipped by content, whatever their name" {
	head -c 4096 /dev/urandom >"$D/notes.txt"
	printf 'PK\003\004\0\0' >"$D/x.json"
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '[.files[].kind] == ["binary", "binary"]' <<<"$output"
}

@test "pf-scan-secrets: reruns are byte-identical" {
	put hit a.txt email
	put hit b.txt jwt
	pf-scan-secrets "$D" >"$BATS_TEST_TMPDIR/1.json" || true
	pf-scan-secrets "$D" >"$BATS_TEST_TMPDIR/2.json" || true
	cmp "$BATS_TEST_TMPDIR/1.json" "$BATS_TEST_TMPDIR/2.json"
}

# ------------------------------------------------ one test per rule

@test "pf-scan-secrets: private-key: found; a public key block is not" { hit private-key; miss private-key; }
@test "pf-scan-secrets: huggingface-token: found; 33 letters are not" { hit huggingface-token; miss huggingface-token; }
@test "pf-scan-secrets: anthropic-api-key: found; a short one is not" { hit anthropic-api-key; miss anthropic-api-key; }
@test "pf-scan-secrets: openai-api-key: found; one without the marker is not" { hit openai-api-key; miss openai-api-key; }
@test "pf-scan-secrets: google-api-key: found; a short one is not" { hit google-api-key; miss google-api-key; }
@test "pf-scan-secrets: google-oauth-secret: found; a short one is not" { hit google-oauth-secret; miss google-oauth-secret; }
@test "pf-scan-secrets: aws-access-key-id: found; AWS's documented example is not" { hit aws-access-key-id; miss aws-access-key-id; }
@test "pf-scan-secrets: aws-secret-key: found; AWS's documented example is not" { hit aws-secret-key; miss aws-secret-key; }
@test "pf-scan-secrets: azure-storage-key: found; a placeholder is not" { hit azure-storage-key; miss azure-storage-key; }
@test "pf-scan-secrets: azure-client-secret: found; a short one is not" { hit azure-client-secret; miss azure-client-secret; }
@test "pf-scan-secrets: github-token: found; 35 characters are not" { hit github-token; miss github-token; }
@test "pf-scan-secrets: gitlab-token: found; a short one is not" { hit gitlab-token; miss gitlab-token; }
@test "pf-scan-secrets: slack-token: found; a bare prefix is not" { hit slack-token; miss slack-token; }
@test "pf-scan-secrets: slack-webhook: found; the documentation URL is not" { hit slack-webhook; miss slack-webhook; }
@test "pf-scan-secrets: stripe-live-key: found; a short one is not" { hit stripe-live-key; miss stripe-live-key; }
@test "pf-scan-secrets: stripe-test-key: found; a short one is not" { hit stripe-test-key; miss stripe-test-key; }
@test "pf-scan-secrets: pypi-token: found; the bare prefix is not" { hit pypi-token; miss pypi-token; }
@test "pf-scan-secrets: npm-token: found; a short one is not" { hit npm-token; miss npm-token; }
@test "pf-scan-secrets: jwt: found; a lone header is not" { hit jwt; miss jwt; }
@test "pf-scan-secrets: url-password: found; \${VAR} placeholders are not" { hit url-password; miss url-password; }
@test "pf-scan-secrets: password-assignment: found; changeme and getpass() are not" { hit password-assignment; miss password-assignment; }
@test "pf-scan-secrets: generic-secret: found; a your-api-key placeholder is not" { hit generic-secret; miss generic-secret; }
@test "pf-scan-secrets: credit-card: found with Luhn; a wrong check digit is not" { hit credit-card; miss credit-card; }
@test "pf-scan-secrets: bitcoin-address: base58check found; a bad checksum is not" { hit bitcoin-address; miss bitcoin-address; }
@test "pf-scan-secrets: ethereum-address: found; 39 hex digits are not" { hit ethereum-address; miss ethereum-address; }
@test "pf-scan-secrets: email: found; example.com and @decorators are not" { hit email; miss email; }
@test "pf-scan-secrets: phone-number: found; dates, IPs and numbers are not" { hit phone-number; miss phone-number; }

@test "pf-scan-secrets: bitcoin-address: bech32 found; a bad checksum is not" {
	gen_fixture secrets hit bitcoin-bech32 >"$D/a.txt"
	run -0 --separate-stderr pf-scan-secrets "$D"
	has_rule secrets.bitcoin-address.exposed
	gen_fixture secrets miss bitcoin-bech32 >"$D/a.txt"
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "pf-scan-secrets: a generic assignment yields to the specific token inside it" {
	put hit a.txt stripe-live-key
	run -1 --separate-stderr pf-scan-secrets "$D"
	jq -e '[.findings[].rule] == ["secrets.stripe-live-key.exposed"]' <<<"$output"
}

@test "pf-scan-secrets: a finding gives line, column and the file offset of the secret" {
	{ printf 'one\ntwo\n   '; gen_fixture secrets secret github-token; printf '\n'; } >"$D/a.txt"
	run -1 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings[0] | .offset == 11 and .evidence.line == 3
	    and .evidence.column == 4 and .evidence.length == 40
	    and (.evidence.fingerprint | startswith("ghp_…"))' <<<"$output"
}

@test "pf-scan-secrets: a password shows no leading characters in its fingerprint" {
	put hit a.txt password-assignment
	run -1 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings[0].evidence.fingerprint | test("^…[0-9a-f]{8}$")' <<<"$output"
}

# ------------------------------------------------------- the verdict

@test "pf-scan-secrets: a token fails the stage (exit 1)" {
	put hit a.txt huggingface-token
	run -1 --separate-stderr pf-scan-secrets "$D"
	jq -e '.status == "failed" and .findings[0].severity == "high"' <<<"$output"
}

@test "pf-scan-secrets: an e-mail address alone is low and passes" {
	put hit a.txt email
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '.status == "passed" and .findings[0].severity == "low"' <<<"$output"
}

@test "pf-scan-secrets: scan.fail_on low turns an e-mail address into a verdict" {
	pf_policy '.scan.fail_on = "low"'
	put hit a.txt email
	run -1 --separate-stderr pf-scan-secrets "$D"
	jq -e '.status == "failed"' <<<"$output"
}

@test "pf-scan-secrets: secrets.disabled_rules leaves a rule out" {
	pf_policy '.secrets.disabled_rules = ["huggingface-token", "generic-secret"]'
	put hit a.txt huggingface-token
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings == [] and .rules.count == 25' <<<"$output"
}

@test "pf-scan-secrets: secrets.severity raises a rule" {
	pf_policy '.secrets.severity = {"email": "critical"}'
	put hit a.txt email
	run -1 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings[0].severity == "critical"' <<<"$output"
}

@test "pf-scan-secrets: a policy naming an unknown rule exits 2" {
	pf_policy '.secrets.disabled_rules = ["emial"]'
	run -2 --separate-stderr pf-scan-secrets "$D"
	[ -z "$output" ]
	[[ "$stderr" == *"secrets.disabled_rules: no rule 'emial'"* ]]
}

# -------------------------------------------------- fetch.json input

@test "pf-scan-secrets: fetch.json: files are named by repo path, the model copied" {
	put hit q1 huggingface-token
	fetch_json "$D/q1" "configs/app.yaml" >"$BATS_TEST_TMPDIR/fetch.json"
	run -1 --separate-stderr pf-scan-secrets -i "$BATS_TEST_TMPDIR/fetch.json"
	jq -e '.model.id == "acme/tiny-llama" and .findings[0].file == "configs/app.yaml"
	    and (.files | length) == 1' <<<"$output"
}

@test "pf-scan-secrets: fetch.json naming a missing quarantine file exits 2" {
	fetch_json "$D/gone" "a.txt" >"$BATS_TEST_TMPDIR/fetch.json"
	run -2 --separate-stderr pf-scan-secrets -i "$BATS_TEST_TMPDIR/fetch.json"
	[ -z "$output" ]
}

@test "pf-scan-secrets: a symlink inside a model folder is not followed" {
	put hit secret.txt huggingface-token
	mkdir "$D/m"
	ln -s ../secret.txt "$D/m/link.txt"
	run -1 --separate-stderr pf-scan-secrets "$D/m" "$D/secret.txt"
	jq -e '(.files[] | select(.path == "link.txt") | .kind) == "not-regular"' <<<"$output"
}

# ---------------------------------------------------- weight metadata

@test "pf-scan-secrets: a token in safetensors __metadata__ is found and named" {
	put safetensors model.safetensors
	run -1 --separate-stderr pf-scan-secrets "$D"
	jq -e '.files[0].kind == "safetensors" and .findings[0].member == "__metadata__.upload_token"
	    and .findings[0].rule == "secrets.huggingface-token.exposed"
	    and .findings[0].offset == 0' <<<"$output"
}

@test "pf-scan-secrets: a token in a GGUF string is found at its file offset" {
	put gguf model.gguf
	secret=$(gen_fixture secrets secret github-token)
	want=$(grep -boa -- "$secret" "$D/model.gguf" | cut -d: -f1)
	run -1 --separate-stderr pf-scan-secrets "$D"
	jq -e --argjson o "$want" '.files[0].kind == "gguf"
	    and .findings[0].member == "tokenizer.chat_template"
	    and .findings[0].offset == $o' <<<"$output"
}

@test "pf-scan-secrets: a truncated GGUF is a low finding, not an error" {
	put gguf-truncated model.gguf
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings[0].rule == "secrets.metadata.unreadable"
	    and (.findings[0].message | contains("truncated"))' <<<"$output"
}

@test "pf-scan-secrets: text behind a GGUF magic is still scanned as text" {
	{ printf 'GGUF is a format; see\n'; gen_fixture secrets hit huggingface-token; } >"$D/notes.md"
	run -1 --separate-stderr pf-scan-secrets "$D"
	jq -e '.files[0].kind == "gguf" and any(.findings[]; .rule == "secrets.huggingface-token.exposed")
	    and any(.findings[]; .rule == "secrets.metadata.unreadable")' <<<"$output"
}

@test "pf-scan-secrets: clean safetensors metadata has no finding" {
	put safetensors-clean model.safetensors
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings == [] and .files[0].scanned_bytes > 0' <<<"$output"
}

# -------------------------------------------------------------- caps

@test "pf-scan-secrets: caps.secrets_file: a file of exactly the cap is scanned whole" {
	put readme README.md
	n=$(stat -c %s "$D/README.md")
	pf_policy ".caps.secrets_file = $n"
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "pf-scan-secrets: caps.secrets_file: one byte more is reported as not scanned" {
	put readme README.md
	n=$(stat -c %s "$D/README.md")
	pf_policy ".caps.secrets_file = $((n - 1))"
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e --argjson n "$((n - 1))" '.findings[0].rule == "secrets.file.truncated"
	    and .findings[0].offset == $n and .findings[0].severity == "medium"' <<<"$output"
}

@test "pf-scan-secrets: caps.secrets_meta: a safetensors header of the cap is read" {
	put safetensors model.safetensors
	n=$(od -An -tu8 -N8 "$D/model.safetensors" | tr -d ' ')
	pf_policy ".caps.secrets_meta = $n"
	run -1 --separate-stderr pf-scan-secrets "$D"
	has_rule secrets.huggingface-token.exposed
	pf_policy ".caps.secrets_meta = $((n - 1))"
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings[0].rule == "secrets.metadata.unreadable"
	    and (.findings[0].message | contains("PF_MAX_SECRETS_META"))' <<<"$output"
}

@test "pf-scan-secrets: caps.secrets_meta_strings: 7 GGUF strings at cap 7, not at 6" {
	put gguf model.gguf
	pf_policy '.caps.secrets_meta_strings = 7'
	run -1 --separate-stderr pf-scan-secrets "$D"
	has_rule secrets.github-token.exposed
	pf_policy '.caps.secrets_meta_strings = 6'
	run -0 --separate-stderr pf-scan-secrets "$D"
	jq -e '.findings[0].message | contains("PF_MAX_SECRETS_META_STRINGS")' <<<"$output"
}

@test "pf-scan-secrets: PF_MAX_SECRETS_MATCH: a match of 16384 bytes counts, 16385 does not" {
	rules_table '{name: "xs", description: "a run of x", severity: "high",
	    pattern: "(?<!x)x{16000,17000}(?!x)"}'
	head -c 16384 /dev/zero | tr '\0' x >"$D/a.txt"
	run -1 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	has_rule secrets.xs.exposed
	head -c 16385 /dev/zero | tr '\0' x >"$D/a.txt"
	run -0 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "pf-scan-secrets: caps.secrets_match: a match of the cap counts, one byte more does not" {
	rules_table '{name: "ys", description: "a run of y", severity: "high",
	    pattern: "(?<!y)y{50,200}(?!y)"}'
	pf_policy '.caps.secrets_match = 100'
	head -c 100 /dev/zero | tr '\0' y >"$D/a.txt"
	run -1 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	has_rule secrets.ys.exposed
	head -c 101 /dev/zero | tr '\0' y >"$D/a.txt"
	run -0 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "pf-scan-secrets: caps.secrets_match_steps: a rule cut by the match limit is reported" {
	rules_table '{name: "slow", description: "backtracking", severity: "low",
	    pattern: "(?:a{1,20}){1,20}b"}'
	{ head -c 400 /dev/zero | tr '\0' a; printf 'xb\n'; } >"$D/a.txt"
	pf_policy '.caps.secrets_match_steps = 1000'
	run -0 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	jq -e '.findings[0].rule == "secrets.scan.incomplete"' <<<"$output"
}

@test "pf-scan-secrets: PF_MAX_SECRETS_RULES: 256 rules load, 257 do not" {
	echo '{"model_type": "llama"}' >"$D/config.json"
	jq -n '{rules_version: 1, rules: [range(256) | {name: "r\(.)",
	    description: "d", severity: "low", pattern: "zq\(.)zq"}]}' >"$BATS_TEST_TMPDIR/rules.json"
	run -0 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	jq -e '.rules.count == 256' <<<"$output"
	jq '.rules += [{name: "r256", description: "d", severity: "low", pattern: "q"}]' \
	    "$BATS_TEST_TMPDIR/rules.json" >"$BATS_TEST_TMPDIR/r2.json"
	run -2 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/r2.json" "$D"
	[[ "$stderr" == *"PF_MAX_SECRETS_RULES"* ]]
}

@test "pf-scan-secrets: PF_MAX_SECRETS_PATTERN: 4096 bytes compile, 4097 do not" {
	echo '{"model_type": "llama"}' >"$D/config.json"
	p=$(head -c 4096 /dev/zero | tr '\0' q)
	rules_table "{name: \"long\", description: \"d\", severity: \"low\", pattern: \"$p\"}"
	run -0 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	rules_table "{name: \"long\", description: \"d\", severity: \"low\", pattern: \"${p}q\"}"
	run -2 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	[[ "$stderr" == *"PF_MAX_SECRETS_PATTERN"* ]]
}

# ------------------------------------------------------ the rule table

@test "pf-scan-secrets: a rule with an unbounded quantifier is refused" {
	rules_table '{name: "u", description: "d", severity: "low", pattern: "ab+c"}'
	run -2 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	[[ "$stderr" == *"rule 'u': pattern: an unbounded quantifier"* ]]
}

@test "pf-scan-secrets: a rule that does not compile is refused with its offset" {
	rules_table '{name: "u", description: "d", severity: "low", pattern: "a(b"}'
	run -2 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	[[ "$stderr" == *"rule 'u': pattern: missing closing parenthesis at offset 3"* ]]
}

@test "pf-scan-secrets: a rule with an unknown member is refused" {
	rules_table '{name: "u", description: "d", severity: "low", pattern: "ab", sevrity: "x"}'
	run -2 --separate-stderr pf-scan-secrets --rules "$BATS_TEST_TMPDIR/rules.json" "$D"
	[[ "$stderr" == *"rule 1:"* ]]
}

@test "pf-scan-secrets: the shipped rule table compiles every rule" {
	echo '{"model_type": "llama"}' >"$D/config.json"
	run -0 --separate-stderr pf-scan-secrets --rules "$PF_REPO/policies/secret-rules.json" "$D"
	jq -e --slurpfile t "$PF_REPO/policies/secret-rules.json" \
	    '.rules.count == ($t[0].rules | length)' <<<"$output"
}
