# bench/lib.sh: what bench scripts share; sourced, never run (not executable,
# so `make bench` skips it).

# bench_record PAGE RESULTS: replaces what PAGE holds between its
# "<!-- results -->" and "<!-- /results -->" lines with RESULTS, so a rerun
# updates the figures and leaves the page's prose alone. A page without the
# markers is left untouched.
bench_record() {
	[ -f "$1" ] && grep -q '^<!-- results -->$' "$1" || return 0
	python3 - "$1" "$2" <<'PY'
import sys
path, results = sys.argv[1], sys.argv[2]
text = open(path).read()
head, rest = text.split("<!-- results -->\n", 1)
tail = rest.split("<!-- /results -->", 1)[1] if "<!-- /results -->" in rest else "\n"
open(path, "w").write(head + "<!-- results -->\n" + results + "\n<!-- /results -->" + tail)
PY
}
