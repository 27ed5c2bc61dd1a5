#!/bin/sh
# lint/layers.sh: the include rule of lib/ (lib/README.md). Every quoted
# include is resolved to the folder that holds the header, then:
#   - lib/core includes only lib/core;
#   - a stage folder includes core, its own headers, and other stages'
#     public headers; never lib/tool;
#   - lib/tool, tools/, fuzz/ and tests/unit/ include public headers;
#   - a private header (pf_*_priv.h) is included only from its own folder;
#   - folders include each other in one direction only: no loop, however
#     long (tsort finds it);
#   - a header name is unique across lib/ (one -I per folder), so is a
#     source name (libpf.a holds objects by name), and every file of lib/
#     is in a folder.
# Prints one line per violation, "file:line: reason", and exits 1 if any.
set -eu
cd "$(dirname "$0")/.."
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT

# Flat lib/ (before the move into folders): nothing to check.
ls -d lib/*/ >/dev/null 2>&1 || exit 0

{
	# header base name -> folder
	for h in lib/*/*.h; do
		d=${h#lib/}; echo "H ${d%%/*} ${h##*/}"
	done
	for c in lib/*/*.c; do
		d=${c#lib/}; echo "C ${d%%/*} ${c##*/}"
	done
	for f in lib/*.[ch]; do
		[ -e "$f" ] && echo "F $f"
	done
	for f in lib/*/*.[ch] tools/*.c fuzz/*.[ch] tests/unit/*.c policies/*.c; do
		[ -e "$f" ] || continue
		grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" || true
	done | sed 's/^\([^:]*\):\([0-9]*\):[^"]*"\([^"]*\)".*/I \1 \2 \3/'
} | awk -v edges="$edges" '
$1 == "H" {
	if ($3 in dir) {
		printf "lib/%s/%s: also in lib/%s/: a header name is unique in lib/\n",
		    $2, $3, dir[$3]
		bad = 1
	}
	dir[$3] = $2
	next
}
$1 == "C" {
	# libpf.a holds its objects by file name: one would replace the other
	if ($3 in cdir) {
		printf "lib/%s/%s: also in lib/%s/: a source name is unique in lib/\n",
		    $2, $3, cdir[$3]
		bad = 1
	}
	cdir[$3] = $2
	next
}
$1 == "F" { printf "%s: directly in lib/: it belongs in a folder\n", $2; bad = 1; next }
$1 == "I" {
	file = $2; line = $3; inc = $4
	n = split(file, p, "/")
	if (p[1] == "lib") from = p[2]
	else from = "-"
	if (!(inc in dir)) {
		# a header beside the file (fuzz/pf_fuzz_pickle.h) is its own
		if (from != "-") {
			printf "%s:%s: \"%s\" is not a header of lib/\n", file, line, inc
			bad = 1
		}
		next
	}
	to = dir[inc]
	if (from == to) next
	where = file ":" line ": \"" inc "\" (lib/" to ")"
	if (inc ~ /_priv\.h$/) {
		printf "%s: private to lib/%s\n", where, to; bad = 1; next
	}
	if (from == "core" && to != "core") {
		printf "%s: core includes no other folder\n", where; bad = 1; next
	}
	if (from != "-" && from != "tool" && to == "tool") {
		printf "%s: only tools include the tool skeleton\n", where
		bad = 1; next
	}
	if (from != "-")
		print from, to > edges
}
END { exit bad }
' || bad=1
if ! tsort "$edges" >/dev/null 2>&1; then
	echo "lib/: folders include each other in a loop:"
	tsort "$edges" 2>&1 >/dev/null | sed -n 's/^tsort: /  /p' | grep -v 'input contains a loop'
	bad=1
fi
exit "${bad:-0}"
