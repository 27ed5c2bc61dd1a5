#!/bin/sh
# lint/format.sh [--fix]: the C lines that changed since LINT_BASE, against
# .clang-format. LINT_BASE defaults to where this branch left main (on main
# itself: HEAD, so only uncommitted changes count). Renames are followed,
# so a file moved whole has no changed line; lines nobody touched are never
# reformatted by an unrelated change. --fix formats those lines in place.
set -eu
cd "$(dirname "$0")/.."

if ! git rev-parse --git-dir >/dev/null 2>&1; then
	echo "lint/format.sh: not a git checkout; nothing to compare" >&2
	exit 0
fi
command -v clang-format >/dev/null 2>&1 || {
	echo "lint/format.sh: no clang-format ('make deps' installs it)" >&2
	exit 1
}
base=${LINT_BASE:-}
if [ -z "$base" ]; then
	if git rev-parse -q --verify main >/dev/null; then
		base=$(git merge-base HEAD main)
	else
		base=HEAD
	fi
fi
fix=0
[ "${1:-}" = --fix ] && fix=1

bad=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# file and the --lines=FIRST:LAST of each hunk of the working tree
git diff -M -U0 --no-color --diff-filter=AMR "$base" -- \
    'lib/*.[ch]' 'tools/*.c' 'fuzz/*.[ch]' 'tests/unit/*.c' |
awk '
/^\+\+\+ b\// { if (f != "") print f, l; f = substr($0, 7); l = ""; next }
/^@@ / {
	split($3, r, ",")
	s = substr(r[1], 2); n = (2 in r) ? r[2] : 1
	if (n > 0) l = l " --lines=" s ":" (s + n - 1)
}
END { if (f != "") print f, l }' |
while read -r f lines; do
	[ -n "$lines" ] || continue
	if [ $fix = 1 ]; then
		clang-format -i $lines "$f"
	elif ! clang-format $lines "$f" | diff -u --label "a/$f" --label "b/$f" \
	    "$f" - >>"$out"; then
		echo "$f" >>"$out.files"
	fi
done
if [ -s "$out" ]; then
	cat "$out"
	echo "lint/format.sh: lines changed since $(git rev-parse --short "$base")" \
	    "differ from .clang-format (lint/format.sh --fix formats them)" >&2
	rm -f "$out.files"
	exit 1
fi
rm -f "$out.files"
