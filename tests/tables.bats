#!/usr/bin/env bats
# The rule tables compiled in at build time (policies/compile-tables.c):
# each equals what loading its JSON at run time gives, structure by
# structure (tests/unit/test-tables.c) and artifact by artifact (every
# scanner run with the built-in table and with a copy of the same file);
# a table from a file is still parsed and checked at run time, with the
# same errors in the same order; a table the tools would refuse fails
# the build with the loader's message. A file with exactly the built-in
# bytes (an installed copy) is the built-in table; the artifact tests
# below add a newline to their copy, so that it is parsed.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	D="$BATS_TEST_TMPDIR/model"
	R="$BATS_TEST_TMPDIR/rules"
	mkdir -p "$D" "$R"
	export SOURCE_DATE_EPOCH=1700000000
	T="$PF_BIN/../tests/test-tables"
	GEN="$PF_BIN/../gen/compile-tables"
	# the suite reads the tables from policies/; here the built-in ones
	unset PF_RULES_DIR
}

# same_but_path A B: two artifacts equal but for the table's path and
# digest (the copies the tests parse carry one more newline)
same_but_path() {
	diff <(jq -S 'del(.made_from, .rules.sha256)' "$1") \
	    <(jq -S 'del(.made_from, .rules.sha256)' "$2")
	diff <(jq -S '.made_from | del(.rules)' "$1") \
	    <(jq -S '.made_from | del(.rules)' "$2")
}

# parsed_copy NAME: policies/NAME into $R with a newline added: the same
# table in bytes that are not the built-in file's, so tools parse it.
parsed_copy() {
	{ cat "$PF_REPO/policies/$1"; echo; } >"$R/$1"
	run -0 "$T" "$(kind_of "$1")" "$R/$1"
	[ "${lines[1]}" = "$R/$1: parsed" ]
}

kind_of() {
	case $1 in
	pickle-globals.json) echo pickle ;;
	py-rules.json) echo python ;;
	secret-rules.json) echo secrets ;;
	esac
}

@test "tables: each compiled-in table equals its JSON loaded at run time" {
	local f
	for f in pickle-globals.json py-rules.json secret-rules.json; do
		run -0 "$T" "$(kind_of "$f")" "$PF_REPO/policies/$f"
		[ "${lines[0]}" = same ]
	done
}

@test "tables: a file with exactly the built-in bytes, installed say, is the compiled table" {
	local f
	mkdir -p "$R/share"
	for f in pickle-globals.json py-rules.json secret-rules.json; do
		cp "$PF_REPO/policies/$f" "$R/share/"
		run -0 "$T" "$(kind_of "$f")" "$R/share/$f"
		[ "${lines[1]}" = "$R/share/$f: compiled table" ]
	done
	# and the artifact names the file it read, with the same digest
	run -1 pf-scan-py --rules "$R/share/py-rules.json" \
	    -o "$BATS_TEST_TMPDIR/a.json" "$PF_REPO/tests/fixtures/py"
	jq -e --arg p "$R/share/py-rules.json" --arg s \
	    "$(sha256sum <"$PF_REPO/policies/py-rules.json" | cut -d' ' -f1)" \
	    '.made_from.rules | any(.path == $p and .sha256 == $s)' \
	    "$BATS_TEST_TMPDIR/a.json"
}

@test "tables: a table that differs by one value is told apart" {
	jq '.rules[0].severity = "info"' "$PF_REPO/policies/py-rules.json" \
	    >"$R/py.json"
	run -1 "$T" python "$R/py.json"
	[[ "$output" == "differ at byte "* ]]
	jq '.profiles.numpy.include = ["torch"]' \
	    "$PF_REPO/policies/pickle-globals.json" >"$R/p.json"
	run -1 "$T" pickle "$R/p.json"
	jq '.rules[1].reveal = 0' "$PF_REPO/policies/secret-rules.json" \
	    >"$R/s.json"
	run -1 "$T" secrets "$R/s.json"
}

@test "tables: pf-scan-py gives the same artifact with the built-in table and its file" {
	parsed_copy py-rules.json
	run -1 pf-scan-py -o "$BATS_TEST_TMPDIR/a.json" "$PF_REPO/tests/fixtures/py"
	run -1 pf-scan-py --rules "$R/py-rules.json" -o "$BATS_TEST_TMPDIR/b.json" \
	    "$PF_REPO/tests/fixtures/py"
	jq -e '.rules.table == "py-rules.json" and .rules.count > 50
	    and (.findings | length) > 100' "$BATS_TEST_TMPDIR/a.json"
	jq -e '.made_from.rules | any(.path == "<built-in>/py-rules.json")' \
	    "$BATS_TEST_TMPDIR/a.json"
	same_but_path "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
}

@test "tables: pf-scan-secrets and pf-redact give the same results with the built-in table and its file" {
	local r
	parsed_copy secret-rules.json
	for r in $(gen_fixture secrets rules); do
		gen_fixture secrets hit "$r" >"$D/$r.txt"
	done
	run -1 pf-scan-secrets -o "$BATS_TEST_TMPDIR/a.json" "$D"
	jq -e '.made_from.rules | any(.path == "<built-in>/secret-rules.json")' \
	    "$BATS_TEST_TMPDIR/a.json"
	run -1 pf-scan-secrets --rules "$R/secret-rules.json" \
	    -o "$BATS_TEST_TMPDIR/b.json" "$D"
	jq -e '(.findings | map(.rule) | unique | length) > 20' \
	    "$BATS_TEST_TMPDIR/a.json"
	same_but_path "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
	cat "$D"/*.txt >"$BATS_TEST_TMPDIR/all.txt"
	run -0 pf-redact -i "$BATS_TEST_TMPDIR/all.txt" -o "$BATS_TEST_TMPDIR/a.txt"
	run -0 pf-redact --rules "$R/secret-rules.json" \
	    -i "$BATS_TEST_TMPDIR/all.txt" -o "$BATS_TEST_TMPDIR/b.txt"
	! cmp -s "$BATS_TEST_TMPDIR/all.txt" "$BATS_TEST_TMPDIR/a.txt"
	cmp "$BATS_TEST_TMPDIR/a.txt" "$BATS_TEST_TMPDIR/b.txt"
}

@test "tables: pf-scan-pickle gives the same artifact with the built-in table and its file" {
	local n
	for n in $("$PF_REPO/tests/fixtures/gen-pickle.py" --list | head -60); do
		gen_fixture pickle "$n" >"$D/$n.pkl" 2>/dev/null || rm -f "$D/$n.pkl"
	done
	gen_fixture pickle evil-inst >"$D/model.joblib"
	run -1 pf-scan-pickle -o "$BATS_TEST_TMPDIR/a.json" "$D"
	jq -e '.made_from.rules | any(.path == "<built-in>/pickle-globals.json")' \
	    "$BATS_TEST_TMPDIR/a.json"
	parsed_copy pickle-globals.json
	PF_RULES_DIR="$R" run -1 pf-scan-pickle -o "$BATS_TEST_TMPDIR/b.json" "$D"
	jq -e --arg p "$R/pickle-globals.json" '.made_from.rules | any(.path == $p)' \
	    "$BATS_TEST_TMPDIR/b.json"
	jq -e '(.findings | length) > 20 and (.files | length) > 40
	    and any(.files[].profiles[]; .name == "sklearn")' \
	    "$BATS_TEST_TMPDIR/a.json"
	same_but_path "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
}

@test "tables: a broken py-rules file is refused with its name, the policy's error first" {
	jq '.rules[5].severity = "severe"' "$PF_REPO/policies/py-rules.json" \
	    >"$R/py.json"
	echo 'x = 1' >"$D/a.py"
	run -2 --separate-stderr pf-scan-py --rules "$R/py.json" "$D/a.py"
	[ -z "$output" ]
	id=$(jq -r '.rules[5].id' "$R/py.json")
	[ "$stderr" = "pf-scan-py: '$R/py.json': rule $id: bad severity" ]
	# a bad override of an earlier rule is met first, as before
	first=$(jq -r '.rules[0].id' "$R/py.json")
	pf_policy ".python.severity = {\"$first\": \"loud\"}"
	run -2 --separate-stderr pf-scan-py --rules "$R/py.json" "$D/a.py"
	[ "$stderr" = "pf-scan-py: '$R/py.json': python.severity.$first: bad severity" ]
	echo '{"rules": [' >"$R/trunc.json"
	run -2 --separate-stderr pf-scan-py --rules "$R/trunc.json" "$D/a.py"
	[[ "$stderr" == "pf-scan-py: '$R/trunc.json': "* ]]
}

@test "tables: a broken pickle profile is an error only for a file that uses it" {
	jq '.profiles.pandas.globals["pandas.x.Y"] = ["run"]' \
	    "$PF_REPO/policies/pickle-globals.json" >"$R/p.json"
	pf_policy ".pickle.rules = \"$R/p.json\""
	gen_fixture pickle argparse-namespace >"$D/a.pkl"
	run -0 --separate-stderr pf-scan-pickle "$D/a.pkl"
	run -2 --separate-stderr pf-scan-pickle --profile pandas "$D/a.pkl"
	[ -z "$output" ]
	[ "$stderr" = "pf-scan-pickle: policy: 'pandas.x.Y': unknown capability run" ]
}

@test "tables: a bad secret pattern is refused before any input, unless the policy disables its rule" {
	jq '.rules[2].pattern = "(ab"' "$PF_REPO/policies/secret-rules.json" \
	    >"$R/s.json"
	name=$(jq -r '.rules[2].name' "$R/s.json")
	echo 'nothing here' >"$D/a.txt"
	run -2 --separate-stderr pf-scan-secrets --rules "$R/s.json" \
	    -o "$BATS_TEST_TMPDIR/out.json" "$D/a.txt"
	[[ "$stderr" == "pf-scan-secrets: '$R/s.json': rule '$name': pattern: missing closing parenthesis at offset 3" ]]
	[ ! -e "$BATS_TEST_TMPDIR/out.json" ]
	run -2 --separate-stderr pf-redact --rules "$R/s.json" -i "$D/a.txt"
	[[ "$stderr" == "pf-redact: '$R/s.json': rule '$name': pattern: "* ]]
	pf_policy ".secrets.disabled_rules = [\"$name\"]"
	run -0 --separate-stderr pf-scan-secrets --rules "$R/s.json" "$D/a.txt"
	jq -e --argjson n "$(jq '.rules | length - 1' "$R/s.json")" \
	    '.rules.count == $n' <<<"$output"
}

@test "tables: a table the tools would refuse fails the build with the loader's message" {
	[ -x "$GEN" ] || skip "no compile-tables in this build"
	jq '.rules[0].id = "x.bad"' "$PF_REPO/policies/py-rules.json" >"$R/py.json"
	run -2 --separate-stderr "$GEN" python "$R/py.json" "$R/out.c"
	[ "$stderr" = "compile-tables: '$R/py.json': a rule needs an id starting 'py.'" ]
	[ ! -e "$R/out.c" ] && [ ! -e "$R/out.c.tmp" ]
	jq '.rules[0].pattern = "a+"' "$PF_REPO/policies/secret-rules.json" \
	    >"$R/s.json"
	run -2 --separate-stderr "$GEN" secrets "$R/s.json" "$R/out.c"
	[[ "$stderr" == *"unbounded quantifier"* ]]
	jq '.deny.os = {"class": "nope"}' "$PF_REPO/policies/pickle-globals.json" \
	    >"$R/p.json"
	run -2 --separate-stderr "$GEN" pickle "$R/p.json" "$R/out.c"
	[ "$stderr" = "compile-tables: '$R/p.json': pickle rules: deny 'os': no class 'nope'" ]
	run -0 "$GEN" python "$PF_REPO/policies/py-rules.json" "$R/out.c"
	grep -q 'pf_pyscan_table_builtin' "$R/out.c"
}

@test "tables: with the built-in tables, the policy is still checked against them at start" {
	: >"$D/empty.bin"
	run -2 --separate-stderr pf-scan-pickle --profile nope "$D/empty.bin"
	[ -z "$output" ]
	[ "$stderr" = "pf-scan-pickle: policy: unknown pickle profile 'nope'" ]
	: >"$D/empty.py"
	pf_policy '.python.severity = {"py.dynamic.exec": "loud"}'
	run -2 --separate-stderr pf-scan-py "$D/empty.py"
	[ "$stderr" = "pf-scan-py: '<built-in>/py-rules.json': python.severity.py.dynamic.exec: bad severity" ]
	pf_policy '.secrets.disabled_rules = ["no-such-rule"]'
	run -2 --separate-stderr pf-scan-secrets "$D/empty.py"
	[ "$stderr" = "pf-scan-secrets: policy: secrets.disabled_rules: no rule 'no-such-rule'" ]
}
