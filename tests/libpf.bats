#!/usr/bin/env bats
# libpf's small checks, through tests/unit/test-libpf: the safe-path rules
# with their caps at cap and cap + 1, JSON depth and duplicates, quoting,
# UTF-8, number parsing, the verdict and atomic writes.

setup() {
	load helpers
	t="$PF_BIN/../tests/test-libpf"
}

name_of() { head -c "$1" /dev/zero | tr '\0' "${2:-a}"; }

@test "pf_path_check: ordinary repo names pass" {
	for n in config.json onnx/model.onnx 'a b/c d.txt' 'ünïcode/名前.json' .gitattributes; do
		run -0 "$t" path-check "$n"
	done
}

@test "pf_path_check: each unsafe form is refused with its reason" {
	run -1 "$t" path-check /etc/passwd
	[[ "$output" == *"absolute path" ]]
	run -1 "$t" path-check ../x
	[[ "$output" == *"'..' component" ]]
	run -1 "$t" path-check a/../../x
	[[ "$output" == *"'..' component" ]]
	run -1 "$t" path-check ./x
	[[ "$output" == *"'.' component" ]]
	run -1 "$t" path-check a//b
	[[ "$output" == *"empty component" ]]
	run -1 "$t" path-check a/
	[[ "$output" == *"empty component" ]]
	run -1 "$t" path-check 'a\b'
	[[ "$output" == *"backslash" ]]
	run -1 "$t" path-check "$(printf 'a\tb')"
	[[ "$output" == *"control character" ]]
	run -1 "$t" path-check "$(printf 'a\x7fb')"
	[[ "$output" == *"control character" ]]
	run -1 "$t" path-check "$(printf 'a\xffb')"
	[[ "$output" == *"invalid UTF-8" ]]
	run -1 "$t" path-check .git/config
	[[ "$output" == *"'.git' component" ]]
	run -1 "$t" path-check sub/.GIT/hooks/pre-commit
	[[ "$output" == *"'.git' component" ]]
	run -1 "$t" path-check ''
	[[ "$output" == *"empty name" ]]
}

@test "pf_path_check: PF_MAX_NAME_COMPONENT at 255 passes, 256 is refused" {
	run -0 "$t" path-check "$(name_of 255)"
	run -1 "$t" path-check "$(name_of 256)"
	[[ "$output" == *"PF_MAX_NAME_COMPONENT"* ]]
}

@test "pf_path_check: PF_MAX_NAME at 1024 passes, 1025 is refused" {
	n1024="$(name_of 200)/$(name_of 200)/$(name_of 200)/$(name_of 200)/$(name_of 220)"
	[ ${#n1024} -eq 1024 ]
	run -0 "$t" path-check "$n1024"
	run -1 "$t" path-check "${n1024}b"
	[[ "$output" == *"PF_MAX_NAME"* ]]
}

@test "pf_path_check: PF_MAX_PATH_DEPTH at 32 passes, 33 is refused" {
	d32=$(printf 'a/%.0s' $(seq 31))a
	run -0 "$t" path-check "$d32"
	run -1 "$t" path-check "a/$d32"
	[[ "$output" == *"PF_MAX_PATH_DEPTH"* ]]
}

@test "pf_json_read: nesting at PF_MAX_JSON_DEPTH (64) parses, 65 is refused" {
	printf '%s' "$(name_of 64 '[')$(name_of 64 ']')" >"$BATS_TEST_TMPDIR/64.json"
	printf '%s' "$(name_of 65 '[')$(name_of 65 ']')" >"$BATS_TEST_TMPDIR/65.json"
	run -0 "$t" json "$BATS_TEST_TMPDIR/64.json"
	run -2 --separate-stderr "$t" json "$BATS_TEST_TMPDIR/65.json"
	[[ "$stderr" == *"deeper than PF_MAX_JSON_DEPTH (64)"* ]]
}

@test "pf_json_read: duplicate keys and NUL bytes are refused, naming the file" {
	printf '{"a": 1, "a": 2}' >"$BATS_TEST_TMPDIR/dup.json"
	run -2 --separate-stderr "$t" json "$BATS_TEST_TMPDIR/dup.json"
	[[ "$stderr" == "test-libpf: '$BATS_TEST_TMPDIR/dup.json': invalid JSON"*"duplicate"* ]]
	printf '{"a": "\\u0000"}' >"$BATS_TEST_TMPDIR/nul.json"
	run -2 "$t" json "$BATS_TEST_TMPDIR/nul.json"
	printf '{"a": 1}\0' >"$BATS_TEST_TMPDIR/raw.json"
	run -2 --separate-stderr "$t" json "$BATS_TEST_TMPDIR/raw.json"
	[[ "$stderr" == *"NUL byte"* ]]
}

@test "pf_json_read: a folder or a missing file is a usage error" {
	run -2 --separate-stderr "$t" json "$BATS_TEST_TMPDIR"
	[[ "$stderr" == *"is a directory"* ]]
	run -2 --separate-stderr "$t" json "$BATS_TEST_TMPDIR/none"
	[[ "$stderr" == *"No such file"* ]]
}

@test "pf_quote: control bytes, quotes and bad UTF-8 are escaped, long names cut" {
	run -0 "$t" quote "$(printf "a'b\\\\c\x1b[31m\xff")"
	[ "$output" = "'a\\x27b\\x5cc\\x1b[31m\\xff'" ]
	run -0 "$t" quote "$(name_of 200)"
	[ "$output" = "'$(name_of 120)…'" ]
	run -0 "$t" quote 'é名'
	[ "$output" = "'é名'" ]
}

@test "pf_json_text: bytes that are not UTF-8 become hex, cut at PF_MAX_EVIDENCE" {
	run -0 "$t" text 61ff62
	[ "$output" = '{"hex": "61ff62"}' ]
	run -0 "$t" text "ff$(printf '61%.0s' $(seq 299))"
	jq -e '.hex | length == 512 and startswith("ff61")' <<<"$output"
	run -0 "$t" text 616263
	[ "$output" = '"abc"' ]
}

@test "pf_input_name: a name that is not UTF-8 becomes hex whole, never cut" {
	run -0 "$t" name "ff$(printf '61%.0s' $(seq 299))"
	jq -e '.hex | length == 600 and startswith("ff61") and endswith("61")' <<<"$output"
	run -0 "$t" name 616263
	[ "$output" = '"abc"' ]
}

@test "pf_utf8_valid: overlongs, surrogates and values past U+10FFFF are invalid" {
	run -0 "$t" utf8 c3a9
	[ "$output" = valid ]
	run -0 "$t" utf8 f09f9880
	[ "$output" = valid ]
	for bad in c0af e080af eda080 f4908080 f8888080 c3 80; do
		run -0 "$t" utf8 "$bad"
		[ "$output" = invalid ]
	done
}

@test "pf_parse_u64: whole decimal numbers in range only" {
	run -0 "$t" u64 18446744073709551615 0 18446744073709551615
	[ "$output" = 18446744073709551615 ]
	for bad in 18446744073709551616 '' ' 1' '+1' '-1' 1x 0x10; do
		run -1 "$t" u64 "$bad" 0 18446744073709551615
	done
	run -1 "$t" u64 11 0 10
	run -0 "$t" u64 10 0 10
}

@test "pf_envelope_finish: findings sorted, ids stable, fail_on sets the verdict" {
	cat >"$BATS_TEST_TMPDIR/a.json" <<-'EOF'
	{"pathfinder_version": "0.1.0", "stage": "scan-x", "generated_at": "x",
	 "model": null, "status": "passed", "findings": [
	  {"rule": "x.b", "severity": "medium", "file": "b", "message": "m"},
	  {"rule": "x.a", "severity": "low", "file": "a", "offset": 9, "message": "m"},
	  {"rule": "x.a", "severity": "low", "file": "a", "offset": 2, "message": "m"}]}
	EOF
	run -0 "$t" finish "$BATS_TEST_TMPDIR/a.json" high
	jq -e '.status == "passed" and ([.findings[] | [.file, .offset]] == [["a", 2], ["a", 9], ["b", null]])
	    and (.findings[0].id | test("^[0-9a-f]{16}$"))' <<<"$output"
	first=$(jq -r '.findings[0].id' <<<"$output")
	run -1 "$t" finish "$BATS_TEST_TMPDIR/a.json" medium
	jq -e --arg id "$first" '.status == "failed" and .findings[0].id == $id' <<<"$output"
}

@test "pf_file_write_atomic: replaces the file whole and leaves no temporary" {
	"$t" write "$BATS_TEST_TMPDIR/out" first
	"$t" write "$BATS_TEST_TMPDIR/out" second
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = second ]
	[ "$(ls "$BATS_TEST_TMPDIR" | grep -c '\.tmp\.')" -eq 0 ]
	run -3 --separate-stderr "$t" write "$BATS_TEST_TMPDIR/no/such/dir/out" x
	[[ "$stderr" == *"No such file or directory"* ]]
}

@test "pf_file_write_atomic: a device is written in place, never replaced" {
	run -3 --separate-stderr "$t" write /dev/full x
	[[ "$stderr" == *"No space left on device"* ]]
	[ -c /dev/full ]
	run -0 "$t" write /dev/null x
	[ -c /dev/null ]
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	cat "$BATS_TEST_TMPDIR/fifo" >"$BATS_TEST_TMPDIR/got" &
	run -0 "$t" write "$BATS_TEST_TMPDIR/fifo" through-the-pipe
	wait
	[ "$(cat "$BATS_TEST_TMPDIR/got")" = through-the-pipe ]
	[ -p "$BATS_TEST_TMPDIR/fifo" ]
}

@test "pf_json_read: integers past 64 bits and reals past double are JSON too" {
	local big=1000000000000000019884624838656 huge
	huge=$(printf '9%.0s' $(seq 400))
	printf '{"model_max_length": %s, "n": -%s, "r": 1e999, "s": "%s", "i": 7}' \
	    "$big" "$huge" "$big" >"$BATS_TEST_TMPDIR/big.json"
	run -0 "$t" json "$BATS_TEST_TMPDIR/big.json"
	[ "$output" = ok ]
}

@test "pf_json_read: a malformed file with a big integer still names the error" {
	printf '{"a": 100000000000000000000000000000, "b": }' \
	    >"$BATS_TEST_TMPDIR/bad.json"
	run -2 --separate-stderr "$t" json "$BATS_TEST_TMPDIR/bad.json"
	[[ "$stderr" == *"invalid JSON"* ]]
}

@test "pf_audit_scan: compact lines are read by the scanner, the rest by jansson, to the same verdicts" {
	local t0='"time":"2025-11-25T10:00:00.000Z"' p z
	z=$(printf '0%.0s' {1..64})
	p="\"prev\":\"$z\""
	python3 - "$BATS_TEST_TMPDIR/lines" "$t0" "$p" <<-'EOF'
		import hashlib, sys
		out, t, p = sys.argv[1:]
		def line(head):
		    h = hashlib.sha256((head + "}").encode()).hexdigest()
		    return head + ',"hash":"%s"}' % h
		heads = [
		    '{"seq":1,%s,"event":{"type":"a","n":[1,-2.5,true,null,{}]},%s' % (t, p),
		    r'{"seq":2,%s,"event":{"m":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"},%s' % (t, p),
		    '{"seq":3, %s,"event":{},%s' % (t, p),
		    '{"seq":4,%s,"event":{"k":1,"k":2},%s' % (t, p),
		    r'{"seq":5,%s,"event":{"k":1,"\u006b":2},%s' % (t, p),
		    '{"seq":6,%s,"event":{"n":1e5},%s' % (t, p),
		    '{"seq":7,%s,"event":{"m":"caf\u00e9"},%s' % (t, p),
		    '{%s,"seq":8,"event":{},%s' % (t, p),
		]
		with open(out, "wb") as f:
		    for h in heads:
		        f.write(line(h).encode() + b"\n")
		    # the hash of line 1 with its event edited
		    f.write(line(heads[0]).replace('"a"', '"b"').encode() + b"\n")
	EOF
	run -0 "$t" audit-lines "$BATS_TEST_TMPDIR/lines"
	[ "$output" = "1 scan ok
2 scan ok
3 json ok
4 json not valid JSON
5 json not valid JSON
6 json ok
7 json ok
8 json members are not seq, time, event, prev, hash in order
9 scan hash does not match the line" ]
}

# pf_bucket on a clock the test gives: waits printed one per take.
waits() { run -0 "$t" bucket "$@"; echo "$output" | paste -sd' '; }

@test "pf_bucket: a burst goes at once, then one token per 1/rate, in turn" {
	# 10 a second, a burst of 3: five takes at t = 0.
	[ "$(waits 10 3 0 0 0 0 0)" = "0.000 0.000 0.000 0.100 0.200" ]
	# A burst of 1 is a fixed interval.
	[ "$(waits 2 1 0 0 0)" = "0.000 0.500 1.000" ]
}

@test "pf_bucket: a debt is paid before the bucket refills" {
	# Five takes at 0 with a burst of 1 at 2 a second owe 2 s: the sixth,
	# asked at 0.6, gets the token of 2.5 s.
	[ "$(waits 2 1 0 0 0 0 0 0.6)" = "0.000 0.500 1.000 1.500 2.000 1.900" ]
}

@test "pf_bucket: an idle bucket refills to its burst and no further" {
	[ "$(waits 10 3 0 0 0 100 100 100 100)" = "0.000 0.000 0.000 0.000 0.000 0.000 0.100" ]
	# Half a second refills 5 tokens of a burst of 3: three, then a wait.
	[ "$(waits 10 3 0 0 0 0.5 0.5 0.5 0.5)" = "0.000 0.000 0.000 0.000 0.000 0.000 0.100" ]
}

@test "pf_bucket: a rate of 0 sets no limit; a taker with an older clock waits its difference" {
	[ "$(waits 0 1 0 0 0 0)" = "0.000 0.000 0.000 0.000" ]
	# Taken at 1.0 after a take at 1.2 (threads read the clock before the
	# lock): the token of 1.3 is 0.3 s away from 1.0.
	[ "$(waits 10 1 1.2 1.0)" = "0.000 0.300" ]
}

@test "pf_fileid: a file matches its own identity until it changes, mtime put back or not" {
	f=$BATS_TEST_TMPDIR/f
	printf 'abc' >"$f"
	run -0 --separate-stderr "$t" fileid "$f"
	id=$output
	jq -e '(.mtime | test("^[0-9]+\\.[0-9]{9}$")) and (.ctime | test("^[0-9]+\\.[0-9]{9}$"))
	    and .size == 3' <<<"$id"
	run -0 "$t" fileid "$f" "$id"
	[ "$output" = match ]
	touch -r "$f" "$BATS_TEST_TMPDIR/ref"
	printf 'abd' | dd of="$f" conv=notrunc status=none
	touch -r "$BATS_TEST_TMPDIR/ref" "$f"
	run -1 "$t" fileid "$f" "$id"
	[ "$output" = differs ]
}

@test "pf_fileid: a mangled identity never matches" {
	f=$BATS_TEST_TMPDIR/f
	printf 'abc' >"$f"
	run -0 --separate-stderr "$t" fileid "$f"
	id=$output
	# Times as numbers (as a reader that rounds writes them back), a member
	# missing, one more, a wrong type, null: each differs.
	for filter in '.mtime |= (sub("\\."; "") | tonumber)' 'del(.ctime)' '.extra = 1' \
	    '.ino |= tostring' '.size += 1' 'null' '[]'; do
		run -1 "$t" fileid "$f" "$(jq -c "$filter" <<<"$id")"
		[ "$output" = differs ]
	done
}
