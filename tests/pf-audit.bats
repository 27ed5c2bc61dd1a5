#!/usr/bin/env bats
# pf-audit: appends under flock from many processes, the chain and each kind
# of tampering named at its line, torn tails, signed checkpoints and caps.

setup() {
	load helpers
	LOG="$BATS_TEST_TMPDIR/audit.log"
}

# append N...: one event per number, each through its own pf-audit process.
append() {
	local n
	for n in "$@"; do
		printf '{"type":"test.event","n":%d}' "$n" |
			pf-audit append --log "$LOG" || return 1
	done
}

# reorder FILE 1,2,4,3: writes the log's lines in that order to FILE.
reorder() {
	awk -v order="$2" 'BEGIN { n = split(order, o, ",") }
	    { l[NR] = $0 } END { for (i = 1; i <= n; i++) print l[o[i]] }' \
		"$LOG" >"$1"
}

# audit_key: a P-256 key pair for checkpoints, the public half in the policy.
audit_key() {
	openssl ecparam -genkey -name prime256v1 -noout -out "$BATS_TEST_TMPDIR/audit.pem"
	openssl pkey -in "$BATS_TEST_TMPDIR/audit.pem" -pubout -out "$BATS_TEST_TMPDIR/audit.pub.pem"
	pf_policy ".audit.public_key = \"$BATS_TEST_TMPDIR/audit.pub.pem\" ${1:+| $1}"
}

# chain FILE HEAD...: a log of one line per HEAD, each HEAD's PREV replaced
# by the digest of the line before and its hash member added, so that
# every line's own hash and every link hold and only how a line parses
# decides the verdict. T is a timestamp member for the heads.
T='"time":"2025-11-25T10:00:00.000Z"'
chain() {
	python3 - "$@" <<-'EOF'
		import hashlib, os, sys
		prev = "0" * 64
		with open(sys.argv[1], "wb") as f:
		    for head in sys.argv[2:]:
		        head = os.fsencode(head.replace("PREV", prev))
		        h = hashlib.sha256(head + b"}").hexdigest().encode()
		        line = head + b',"hash":"' + h + b'"}'
		        f.write(line + b"\n")
		        prev = hashlib.sha256(line).hexdigest()
	EOF
}
# line N EVENT: the head of a compact line N with that event.
line() { printf '{"seq":%d,%s,"event":%s,"prev":"PREV"' "$1" "$T" "$2"; }

problem_is() {	# KIND LINE
	jq -e --arg k "$1" --argjson l "$2" \
	    '.status == "failed" and .problem.kind == $k and .problem.line == $l' <<<"$output"
}

@test "pf-audit: --help prints the synopsis on stdout and exits 0" {
	run -0 --separate-stderr pf-audit --help
	[[ "${lines[0]}" == "usage: pf-audit "* ]]
	[ -z "$stderr" ]
}

@test "pf-audit: --version prints the version" {
	run -0 pf-audit --version
	[ "$output" = "pf-audit 0.1.0" ]
}

@test "pf-audit: an unknown option exits 2 with the synopsis on stderr only" {
	run -2 --separate-stderr pf-audit verify --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-audit --help'"* ]]
}

@test "pf-audit: an unknown subcommand exits 2" {
	run -2 --separate-stderr pf-audit rotate
	[ -z "$output" ]
	[[ "$stderr" == "pf-audit: unknown subcommand 'rotate'"* ]]
}

@test "pf-audit: the man page synopsis uses the usage text's words" {
	for opt in log checkpoints key policy; do
		grep -q -- "Fl -$opt" "$PF_REPO/man/pf-audit.1"
	done
	for cmd in append verify checkpoint; do
		grep -q -- "Cm $cmd" "$PF_REPO/man/pf-audit.1"
	done
}

@test "pf-audit: appended events form a chain that verifies, and exits 0" {
	append 1 2 3
	run -0 --separate-stderr pf-audit verify --log "$LOG"
	[ -z "$stderr" ]
	jq -e '.status == "passed" and .lines == 3 and .last_seq == 3
	    and .problem == null and .checkpoints == 0' <<<"$output"
	run -0 jq -s -e 'map(.seq) == [1, 2, 3] and .[0].prev == ("0" * 64)
	    and .[1].prev != .[0].prev and .[2].event == {"type": "test.event", "n": 3}' "$LOG"
}

@test "pf-audit: each line's prev is the SHA-256 of the line before it" {
	append 1 2
	first=$(sed -n 1p "$LOG" | tr -d '\n' | sha256sum | cut -d' ' -f1)
	run -0 jq -r -s '.[1].prev' "$LOG"
	[ "$output" = "$first" ]
}

@test "pf-audit: the default log is audit.log in PF_HOME" {
	run -0 pf-audit append <<<'{"type":"test.default"}'
	[ -f "$PF_HOME/audit.log" ]
	run -0 pf-audit verify
	jq -e '.lines == 1' <<<"$output"
}

@test "pf-audit: an event that is not JSON exits 2 and appends nothing" {
	append 1
	run -2 --separate-stderr pf-audit append --log "$LOG" <<<'{"type": '
	[[ "$stderr" == "pf-audit: <stdin>: invalid JSON"* ]]
	[ "$(wc -l <"$LOG")" -eq 1 ]
}

@test "pf-audit: an event that is not an object exits 2" {
	run -2 --separate-stderr pf-audit append --log "$LOG" <<<'["type"]'
	[[ "$stderr" == *"not a JSON object"* ]]
	[ ! -e "$LOG" ]
}

@test "pf-audit: an event of exactly caps.audit_event bytes is appended" {
	pf_policy '.caps.audit_event = 100'
	printf '{"type":"x","pad":"%s"}' "$(printf 'a%.0s' $(seq 79))" >"$BATS_TEST_TMPDIR/ev"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/ev")" -eq 100 ]
	run -0 pf-audit append --log "$LOG" -i "$BATS_TEST_TMPDIR/ev"
	[ "$(wc -l <"$LOG")" -eq 1 ]
}

@test "pf-audit: an event one byte over caps.audit_event exits 2 naming the cap" {
	pf_policy '.caps.audit_event = 100'
	printf '{"type":"x","pad":"%s"}' "$(printf 'a%.0s' $(seq 80))" >"$BATS_TEST_TMPDIR/ev"
	run -2 --separate-stderr pf-audit append --log "$LOG" -i "$BATS_TEST_TMPDIR/ev"
	[[ "$stderr" == *"larger than PF_MAX_AUDIT_EVENT (100 bytes)"* ]]
	[ ! -e "$LOG" ]
}

@test "pf-audit: 8 processes appending 500 events each leave a chain of 4000 lines" {
	local w pids=()
	for w in 1 2 3 4 5 6 7 8; do
		(
			for i in $(seq 500); do
				printf '{"type":"test.concurrent","w":%d,"i":%d}' "$w" "$i" |
					pf-audit append --log "$LOG" || exit 1
			done
		) &
		pids+=($!)
	done
	for w in "${pids[@]}"; do
		wait "$w"
	done
	run -0 --separate-stderr pf-audit verify --log "$LOG"
	jq -e '.status == "passed" and .lines == 4000 and .last_seq == 4000' <<<"$output"
	run -0 jq -s -e 'map(.event | "\(.w)/\(.i)") | unique | length == 4000' "$LOG"
}

@test "pf-audit: an edited line is named, and verify exits 1" {
	append 1 2 3 4 5
	sed -i '3s/"n":3/"n":7/' "$LOG"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is edited 3
	[[ "$stderr" == *"line 3: edited: hash does not match the line" ]]
}

@test "pf-audit: lines with spaces, escapes, UTF-8 and long numbers verify as compact ones do" {
	chain "$LOG" "$(line 1 '{"type":"a"}')" \
	    "{\"seq\": 2, $T, \"event\": {\"type\": \"b\"}, \"prev\": \"PREV\"" \
	    "$(line 3 '{"\u0074ype":"c","m":"café \ud83d\ude00","n":123456789012345678901234567890,"r":1e5}')" \
	    "$(line 4 '{"type":"d"}')"
	run -0 --separate-stderr pf-audit verify --log "$LOG"
	jq -e '.status == "passed" and .lines == 4 and .last_seq == 4' <<<"$output"
}

@test "pf-audit: members out of order are an edited line, even with a right hash" {
	chain "$LOG" "$(line 1 '{}')" "{$T,\"seq\":2,\"event\":{},\"prev\":\"PREV\"" \
	    "$(line 3 '{}')"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is edited 2
	[[ "$stderr" == *"line 2: edited: members are not seq, time, event, prev, hash in order" ]]
}

@test "pf-audit: a duplicate key anywhere in an event is an edited line" {
	local ev
	for ev in '{"type":"a","type":"b"}' '{"a":{"k":1,"k":[]}}' \
	    '{"type":"a","t\u0079pe":"b"}' '{"a":[{"k":1},{"k":1,"k":2}]}'; do
		chain "$LOG" "$(line 1 '{}')" "$(line 2 "$ev")" "$(line 3 '{}')"
		run -1 --separate-stderr pf-audit verify --log "$LOG"
		problem_is edited 2
		[[ "$stderr" == *"line 2: edited: not valid JSON" ]]
	done
}

@test "pf-audit: NUL, lone surrogates, control bytes and bad UTF-8 in an event are edited lines" {
	local ev
	for ev in '{"m":"\u0000"}' '{"m":"\ud800"}' '{"m":"\udc00\ud800"}' \
	    $'{"m":"a\tb"}' $'{"m":"\xff"}' $'{"m":"\xc3"}' '{"n":01}' '{"n":1.}'; do
		chain "$LOG" "$(line 1 '{}')" "$(line 2 "$ev")" "$(line 3 '{}')"
		run -1 --separate-stderr pf-audit verify --log "$LOG"
		problem_is edited 2
		[[ "$stderr" == *"line 2: edited: not valid JSON" ]]
	done
}

@test "pf-audit: a string that spells a prev member is not the line's prev" {
	# The real prev is wrong; the one inside the string is right.
	chain "$LOG" "$(line 1 '{}')" \
	    "{\"seq\":2,$T,\"event\":{\"m\":\"\\\",\\\"prev\\\":\\\"PREV\"},\"prev\":\"$(printf 'a%.0s' {1..64})\"" \
	    "$(line 3 '{}')"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is edited 1
	[[ "$stderr" == *"line 1: edited: line 2's prev does not match this line" ]]
	# The other way round the line holds.
	chain "$LOG" "$(line 1 '{}')" \
	    "$(line 2 "{\"m\":\"\\\",\\\"prev\\\":\\\"$(printf 'a%.0s' {1..64})\"}")" \
	    "$(line 3 '{}')"
	run -0 pf-audit verify --log "$LOG"
}

@test "pf-audit: an event nested to PF_MAX_JSON_DEPTH verifies, one level more is edited" {
	local open close
	# The line's object and the event are two levels: 62 more reach 64.
	open=$(printf '[%.0s' {1..62}) close=$(printf ']%.0s' {1..62})
	chain "$LOG" "$(line 1 "{\"a\":$open$close}")" \
	    "$(line 2 "{\"a\":[$open$close]}")" "$(line 3 '{}')"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is edited 2
	[[ "$stderr" == *"line 2: edited: not valid JSON" ]]
}

@test "pf-audit: an edited line whose own hash was recomputed is named by the next line" {
	append 1 2 3 4 5
	python3 - "$LOG" <<-'EOF'
		import hashlib, sys
		lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
		head = lines[1][:lines[1].rindex(b',"hash":"')].replace(b'"n":2', b'"n":9')
		h = hashlib.sha256(head + b'}').hexdigest().encode()
		lines[1] = head + b',"hash":"' + h + b'"}'
		open(sys.argv[1], 'wb').write(b'\n'.join(lines) + b'\n')
	EOF
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is edited 2
}

@test "pf-audit: a removed line is named" {
	append 1 2 3 4 5
	sed -i '4d' "$LOG"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is removed 4
	jq -e '.problem.message | contains("seq 4 is missing")' <<<"$output"
}

@test "pf-audit: a removed first line is named" {
	append 1 2 3
	sed -i '1d' "$LOG"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is removed 1
}

@test "pf-audit: two swapped lines are named as reordered" {
	append 1 2 3 4 5 6
	reorder "$BATS_TEST_TMPDIR/r.log" 1,2,4,3,5,6
	run -1 --separate-stderr pf-audit verify --log "$BATS_TEST_TMPDIR/r.log"
	problem_is reordered 3
}

@test "pf-audit: a line moved back is named as reordered where it now stands" {
	append 1 2 3 4 5 6 7 8
	reorder "$BATS_TEST_TMPDIR/r.log" 1,2,7,3,4,5,6,8
	run -1 --separate-stderr pf-audit verify --log "$BATS_TEST_TMPDIR/r.log"
	problem_is reordered 3
}

@test "pf-audit: the last two lines swapped are named as reordered" {
	append 1 2 3 4 5
	reorder "$BATS_TEST_TMPDIR/r.log" 1,2,3,5,4
	run -1 --separate-stderr pf-audit verify --log "$BATS_TEST_TMPDIR/r.log"
	problem_is reordered 4
}

@test "pf-audit: a copied line inserted later is named" {
	append 1 2 3 4 5
	reorder "$BATS_TEST_TMPDIR/r.log" 1,2,3,4,2,5
	run -1 --separate-stderr pf-audit verify --log "$BATS_TEST_TMPDIR/r.log"
	problem_is inserted 5
}

@test "pf-audit: a forged line with its own valid hash inserted is named" {
	append 1 2 3 4
	python3 - "$LOG" <<-'EOF'
		import hashlib, sys
		lines = open(sys.argv[1], 'rb').read().split(b'\n')[:-1]
		prev = hashlib.sha256(lines[1]).hexdigest()
		head = ('{"seq":3,"time":"2025-01-01T00:00:00.000Z","event":{"type":"forged"},'
		        '"prev":"%s"' % prev).encode()
		h = hashlib.sha256(head + b'}').hexdigest().encode()
		lines.insert(2, head + b',"hash":"' + h + b'"}')
		open(sys.argv[1], 'wb').write(b'\n'.join(lines) + b'\n')
	EOF
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is inserted 3
}

@test "pf-audit: a torn last line (no newline) is reported by verify and by append" {
	append 1 2 3
	truncate -s -20 "$LOG"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is torn 3
	run -1 --separate-stderr pf-audit append --log "$LOG" <<<'{"type":"after"}'
	[[ "$stderr" == *"line 3: torn tail"* ]]
	[ "$(tail -c 1 "$LOG" | od -An -c | tr -d ' ')" != '\n' ]
}

@test "pf-audit: an unparsable last line is never extended" {
	append 1 2
	echo '{"seq":3,"time":' >>"$LOG"
	size=$(stat -c %s "$LOG")
	run -1 --separate-stderr pf-audit append --log "$LOG" <<<'{"type":"after"}'
	[[ "$stderr" == *"line 3: damaged tail: not valid JSON"* ]]
	[ "$(stat -c %s "$LOG")" -eq "$size" ]
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is torn 3
}

@test "pf-audit: a line of exactly caps.audit_line bytes verifies" {
	append 1
	len=$(head -n 1 "$LOG" | tr -d '\n' | wc -c)
	pf_policy ".caps.audit_line = $len"
	run -0 --separate-stderr pf-audit verify --log "$LOG"
}

@test "pf-audit: a line one byte over caps.audit_line is refused and named" {
	append 1 2
	len=$(head -n 1 "$LOG" | tr -d '\n' | wc -c)
	pf_policy ".caps.audit_line = $((len - 1))"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is edited 1
	jq -e '.problem.message | contains("PF_MAX_AUDIT_LINE")' <<<"$output"
}

@test "pf-audit: verify of a log that does not exist exits 2" {
	run -2 --separate-stderr pf-audit verify --log "$BATS_TEST_TMPDIR/none.log"
	[ -z "$output" ]
	[[ "$stderr" == *"No such file or directory" ]]
}

@test "pf-audit: verify with stdout on /dev/full exits 3" {
	append 1
	run -3 --separate-stderr bash -c 'exec pf-audit verify --log "$1" >/dev/full' _ "$LOG"
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "pf-audit: a checkpoint signs the last seq and hash, and verify checks it" {
	audit_key
	append 1 2 3
	run -0 --separate-stderr pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem"
	jq -e --arg h "$(tail -n 1 "$LOG" | jq -r .hash)" '.seq == 3 and .hash == $h' <<<"$output"
	[ "$(cat "$LOG.checkpoints")" = "$output" ]
	append 4
	run -0 --separate-stderr pf-audit verify --log "$LOG"
	jq -e '.status == "passed" and .checkpoints == 1 and .checkpoint_seq == 3' <<<"$output"
}

@test "pf-audit: truncation after a checkpoint is detected" {
	audit_key
	append 1 2 3 4 5
	run -0 pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem"
	head -n 3 "$LOG" >"$BATS_TEST_TMPDIR/cut" && cat "$BATS_TEST_TMPDIR/cut" >"$LOG"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is truncated 4
	jq -e '.problem.message | contains("ends at seq 3") and contains("seq 5")' <<<"$output"
}

@test "pf-audit: a tail cut and written again after a checkpoint is detected" {
	audit_key
	append 1 2 3 4 5
	run -0 pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem"
	head -n 3 "$LOG" >"$BATS_TEST_TMPDIR/cut" && cat "$BATS_TEST_TMPDIR/cut" >"$LOG"
	append 14 15
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	problem_is edited 5
	jq -e '.problem.message | contains("signed checkpoint")' <<<"$output"
}

@test "pf-audit: a forged checkpoint is refused" {
	audit_key
	append 1 2
	run -0 pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem"
	jq -c '.seq = 9' "$LOG.checkpoints" >"$BATS_TEST_TMPDIR/cp" && cat "$BATS_TEST_TMPDIR/cp" >"$LOG.checkpoints"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	jq -e '.problem.kind == "checkpoint" and .problem.line == 1
	    and (.problem.message | contains("signature does not verify"))' <<<"$output"
}

@test "pf-audit: checkpoints without an audit key in the policy exit 2" {
	audit_key
	append 1
	run -0 pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem"
	pf_policy
	run -2 --separate-stderr pf-audit verify --log "$LOG"
	[[ "$stderr" == *"need the policy's audit.public_key"* ]]
}

@test "pf-audit: a checkpoint key that is not the policy's audit key exits 2" {
	audit_key
	append 1
	openssl ecparam -genkey -name prime256v1 -noout -out "$BATS_TEST_TMPDIR/other.pem"
	run -2 --separate-stderr pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/other.pem"
	[[ "$stderr" == *"not the policy's audit key"* ]]
	[ ! -e "$LOG.checkpoints" ]
}

@test "pf-audit: a checkpoint of a broken chain is refused with exit 1" {
	audit_key
	append 1 2 3
	sed -i '2s/"n":2/"n":5/' "$LOG"
	run -1 --separate-stderr pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem"
	[[ "$stderr" == *"line 2: edited"* ]]
	[ ! -e "$LOG.checkpoints" ]
}

@test "pf-audit: checkpoint with stdout on /dev/full exits 3 and records none" {
	audit_key
	append 1
	run -3 --separate-stderr bash -c 'exec pf-audit checkpoint --log "$1" --key "$2" >/dev/full' \
		_ "$LOG" "$BATS_TEST_TMPDIR/audit.pem"
	[[ "$stderr" == *"No space left on device"* ]]
	[ ! -e "$LOG.checkpoints" ]
}

@test "pf-audit: caps.audit_checkpoints checkpoints verify, one more exits 2" {
	audit_key
	append 1
	for i in 1 2 3; do
		pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem" >/dev/null
	done
	pf_policy ".audit.public_key = \"$BATS_TEST_TMPDIR/audit.pub.pem\" | .caps.audit_checkpoints = 3"
	run -0 --separate-stderr pf-audit verify --log "$LOG"
	pf_policy ".audit.public_key = \"$BATS_TEST_TMPDIR/audit.pub.pem\" | .caps.audit_checkpoints = 2"
	run -2 --separate-stderr pf-audit verify --log "$LOG"
	[[ "$stderr" == *"more than PF_MAX_AUDIT_CHECKPOINTS (2)"* ]]
}

@test "pf-audit: the private key never appears in output" {
	audit_key
	append 1
	run -0 pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem"
	secret=$(sed -n 2p "$BATS_TEST_TMPDIR/audit.pem")
	[[ "$output" != *PRIVATE* && "$output" != *"${secret:0:20}"* ]]
}

@test "pf-audit: a log that is a symlink is refused, and its target is not written" {
	printf 'precious\n' >"$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$LOG"
	run -2 --separate-stderr pf-audit append --log "$LOG" <<<'{"type": "test.event"}'
	[[ "$stderr" == *"a symlink: refusing to follow it"* ]]
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
	run -2 --separate-stderr pf-audit verify --log "$LOG"
	[[ "$stderr" == *"a symlink"* ]]
}

@test "pf-audit: the default log behind a symlink stops every stage's record" {
	mkdir -p "$PF_HOME"
	printf 'precious\n' >"$BATS_TEST_TMPDIR/target"
	ln -s "$BATS_TEST_TMPDIR/target" "$PF_HOME/audit.log"
	run -2 --separate-stderr pf-audit append <<<'{"type": "test.event"}'
	[ "$(cat "$BATS_TEST_TMPDIR/target")" = precious ]
}

@test "pf-audit: a log in a symlinked or world-writable folder is refused" {
	mkdir "$BATS_TEST_TMPDIR/real"
	ln -s "$BATS_TEST_TMPDIR/real" "$BATS_TEST_TMPDIR/link"
	run -2 --separate-stderr pf-audit append --log "$BATS_TEST_TMPDIR/link/audit.log" \
	    <<<'{"type": "test.event"}'
	[[ "$stderr" == *"the audit log's folder is a symlink"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/real/audit.log" ]
	mkdir "$BATS_TEST_TMPDIR/open"
	chmod 0777 "$BATS_TEST_TMPDIR/open"
	run -2 --separate-stderr pf-audit append --log "$BATS_TEST_TMPDIR/open/audit.log" \
	    <<<'{"type": "test.event"}'
	[[ "$stderr" == *"writable by anyone"* ]]
	chmod 1777 "$BATS_TEST_TMPDIR/open"
	run -0 pf-audit append --log "$BATS_TEST_TMPDIR/open/audit.log" <<<'{"type": "test.event"}'
}

@test "pf-audit: with an audit key, a deleted checkpoints file and an emptied log fail" {
	audit_key
	append 1 2 3
	pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem" >/dev/null
	rm "$LOG.checkpoints"
	: >"$LOG"
	run -1 --separate-stderr pf-audit verify --log "$LOG"
	jq -e '.status == "failed" and .problem.kind == "checkpoint"
	    and (.problem.message | contains("no checkpoints file"))' <<<"$output"
	[[ "$stderr" == *"no checkpoints file, but the policy names an audit key"* ]]
}

@test "pf-audit: verify reports the newest checkpoint's time and age" {
	audit_key
	append 1 2
	pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem" >/dev/null
	append 3
	pf-audit checkpoint --log "$LOG" --key "$BATS_TEST_TMPDIR/audit.pem" >/dev/null
	run -0 --separate-stderr pf-audit verify --log "$LOG"
	jq -e --arg t "$(tail -n 1 "$LOG.checkpoints" | jq -r .time)" '
	    .checkpoints == 2 and .checkpoint_seq == 3 and .checkpoint_time == $t
	    and (.checkpoint_age_seconds | type == "number" and . >= 0 and . < 3600)' <<<"$output"
}

@test "pf-audit: without checkpoints, verify says there is no checkpoint to age" {
	append 1
	run -0 pf-audit verify --log "$LOG"
	jq -e '.checkpoint_time == null and .checkpoint_age_seconds == null' <<<"$output"
}
