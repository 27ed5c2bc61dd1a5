#!/usr/bin/env bats
# make lint's checks of lib/: the include rule between its folders
# (lint/layers.sh) and the format of changed lines (lint/format.sh). Each
# case runs on a copy, so the repo itself is never edited.

bats_require_minimum_version 1.5.0
setup() { load helpers; }

# copy_lib DIR: lib/ and lint/ of the repo in DIR.
copy_lib() {
	mkdir -p "$1"
	cp -r "$PF_REPO/lib" "$PF_REPO/lint" "$1/"
}

@test "lint/layers.sh: the repo's lib/ keeps the include rule" {
	run -0 sh "$PF_REPO/lint/layers.sh"
	[ -z "$output" ]
}

@test "lint/layers.sh: another folder's private header is refused" {
	local t=$BATS_TEST_TMPDIR/r
	copy_lib "$t"
	echo '#include "pf_pyscan_priv.h"' >>"$t/lib/weights/pf_gguf.c"
	run -1 sh "$t/lint/layers.sh"
	[[ "$output" == *'lib/weights/pf_gguf.c:'*'"pf_pyscan_priv.h" (lib/python): private to lib/python'* ]]
}

@test "lint/layers.sh: core includes no stage, a stage not the tool skeleton" {
	local t=$BATS_TEST_TMPDIR/r
	copy_lib "$t"
	echo '#include "pf_hub.h"' >>"$t/lib/core/pf_json.c"
	echo '#include "pf_tool.h"' >>"$t/lib/secrets/pf_redact.c"
	run -1 sh "$t/lint/layers.sh"
	[[ "$output" == *'lib/core/pf_json.c:'*'"pf_hub.h" (lib/hub): core includes no other folder'* ]]
	[[ "$output" == *'lib/secrets/pf_redact.c:'*'only tools include the tool skeleton'* ]]
}

@test "lint/layers.sh: folders that include each other are a loop" {
	local t=$BATS_TEST_TMPDIR/r
	copy_lib "$t"
	# weights already reads pickles; pickle reading weights closes a loop
	echo '#include "pf_safetensors.h"' >>"$t/lib/pickle/pf_npy.c"
	run -1 sh "$t/lint/layers.sh"
	[[ "$output" == *'folders include each other in a loop'* ]]
}

@test "lint/layers.sh: a file directly in lib/, a header or source name twice is refused" {
	local t=$BATS_TEST_TMPDIR/r
	copy_lib "$t"
	: >"$t/lib/pf_stray.c"
	cp "$t/lib/core/pf_buf.h" "$t/lib/hub/pf_buf.h"
	cp "$t/lib/core/pf_buf.c" "$t/lib/hub/pf_buf.c"
	run -1 sh "$t/lint/layers.sh"
	[[ "$output" == *'lib/pf_stray.c: directly in lib/'* ]]
	[[ "$output" == *'pf_buf.h: also in lib/'* ]]
	[[ "$output" == *'pf_buf.c: also in lib/core/: a source name is unique'* ]]
}

@test "lint/format.sh: only changed lines are checked, and --fix formats them" {
	command -v clang-format >/dev/null || skip "no clang-format"
	local t=$BATS_TEST_TMPDIR/g
	mkdir -p "$t/lib/core" "$t/lint"
	cp "$PF_REPO/.clang-format" "$t/"
	cp "$PF_REPO/lint/format.sh" "$t/lint/"
	# an old line off the format, committed on main
	printf 'int\nold(void)\n{\n\treturn   1;\n}\n' >"$t/lib/core/a.c"
	git -C "$t" init -q -b main
	git -C "$t" -c user.name=t -c user.email=t@t add -A
	git -C "$t" -c user.name=t -c user.email=t@t commit -qm base
	git -C "$t" checkout -q -b work
	run -0 sh "$t/lint/format.sh"
	printf 'int\nnew(void)\n{\n\treturn   2;\n}\n' >>"$t/lib/core/a.c"
	run -1 sh "$t/lint/format.sh"
	[[ "$output" == *'+	return 2;'* ]]
	[[ "$output" != *'return 1;'* ]]
	run -0 sh "$t/lint/format.sh" --fix
	run -0 sh "$t/lint/format.sh"
	grep -q 'return   1;' "$t/lib/core/a.c"
}
