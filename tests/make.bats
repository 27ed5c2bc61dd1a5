# The Makefile as a new user meets it: the first command on a fresh machine,
# install and uninstall, and the manual's cross-references.

bats_require_minimum_version 1.5.0
setup() { load helpers; }

# fake_machine DIR: a PATH in DIR/bin with every program of $PATH except
# pkg-config (and npm), as on a fresh Debian machine before "make deps". Its apt-get
# records what it is asked and "installs" by linking the real pkg-config
# in; its dpkg-query knows no package.
fake_machine() {
	local dir=$1 d f pc
	pc=$(command -v pkg-config)
	mkdir -p "$dir/bin"
	for d in ${PATH//:/ }; do
		[ -d "$d" ] || continue
		for f in "$d"/*; do
			# An empty folder on PATH (/usr/local/bin on a fresh
			# machine) leaves the pattern itself.
			[ -e "$f" ] || continue
			case ${f##*/} in *pkg-config* | pkgconf* | apt-get | dpkg-query | id | npm | node*) continue ;; esac
			[ -e "$dir/bin/${f##*/}" ] || ln -s "$f" "$dir/bin/${f##*/}"
		done
	done
	printf '#!/bin/sh\nexit 1\n' >"$dir/bin/dpkg-query"
	cat >"$dir/bin/apt-get" <<-APT
	#!/bin/sh
	echo "apt-get \$*" >>"$dir/apt.log"
	[ "\$1" != install ] || ln -sf "$pc" "$dir/bin/pkg-config"
	APT
	printf '#!/bin/sh\n[ "$1" = -u ] && echo 0 || exec /usr/bin/id "$@"\n' >"$dir/bin/id"
	chmod +x "$dir/bin/dpkg-query" "$dir/bin/apt-get" "$dir/bin/id"
}

@test "make demo: the first command on a fresh machine builds after deps and runs" {
	pf_is_sanitized && skip "the same Makefile run as the normal build"
	local m=$BATS_TEST_TMPDIR/machine
	fake_machine "$m"
	run -127 env PATH="$m/bin" pkg-config --version
	run env PATH="$m/bin" DEMO_OUT="$BATS_TEST_TMPDIR/demo-out" make -C "$PF_REPO" \
	    --no-print-directory BUILD="$BATS_TEST_TMPDIR/build" demo
	echo "$output" | tail -40
	[ "$status" -eq 0 ]
	grep -q '^apt-get install -y .*pkg-config' "$m/apt.log"
	[ -x "$BATS_TEST_TMPDIR/build/bin/pf-preflight" ]
	[[ "$output" == *'$ pathfinder enable demo/tiny-gpt'*"[1/5] Preflight Validation"*"ENABLEMENT COMPLETE"* ]]
	[ -f "$BATS_TEST_TMPDIR/demo-out/store/audit.log" ]
}

@test "make: without pkg-config the build stops and says to run make deps" {
	local m=$BATS_TEST_TMPDIR/machine
	fake_machine "$m"
	run -2 env PATH="$m/bin" make -C "$PF_REPO" --no-print-directory \
	    BUILD="$BATS_TEST_TMPDIR/build" all
	[[ "$output" == *"pkg-config --cflags"*"'make deps' installs what is missing"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/build/libpf.a" ]
}

@test "make check: deps runs before any make that reads pkg-config" {
	run -0 make -C "$PF_REPO" --no-print-directory -n check
	# deps' recipe comes first; every build runs in a make started after it.
	[[ "$output" == *"dpkg-query"*"make all"* ]]
	run -1 grep -E '^(check|demo):.*[^-]\<all\>' "$PF_REPO/Makefile"
}

# The build the suite runs on, installed without rebuilding anything; named
# as the Makefile names it (relative to the repo), so that the header
# dependencies it recorded apply.
build_dir() {
	local b
	b=$(dirname "$PF_BIN")
	printf '%s\n' "${b#"$PF_REPO"/}"
}

@test "make install then uninstall: DESTDIR is left as it was, site files stay" {
	local d=$BATS_TEST_TMPDIR/dest b
	b=$(build_dir)
	# install builds what is out of date: only an up-to-date tree can show
	# that installing elsewhere changes nothing in it.
	make -C "$PF_REPO" --no-print-directory BUILD="$b" -q all ||
	    skip "the build tree is older than its sources"
	sha256sum "$PF_BIN"/* >"$BATS_TEST_TMPDIR/before"
	run -0 make -C "$PF_REPO" --no-print-directory BUILD="$b" \
	    DESTDIR="$d" PREFIX=/opt/pf install
	[ -x "$d/opt/pf/bin/pf-scan-py" ]
	[ -f "$d/opt/pf/share/pathfinder/policies/default.json" ]
	[ -f "$d/opt/pf/share/man/man1/pf-scan-py.1" ]
	[ -f "$d/opt/pf/share/man/man5/pathfinder-policy.5" ]
	# Installing somewhere else changes nothing in the build tree.
	sha256sum -c --quiet "$BATS_TEST_TMPDIR/before"
	echo '{"extends": "default"}' >"$d/opt/pf/share/pathfinder/policies/site.json"
	run -0 make -C "$PF_REPO" --no-print-directory BUILD="$b" \
	    DESTDIR="$d" PREFIX=/opt/pf uninstall
	run -0 find "$d" -type f
	[ "$output" = "$d/opt/pf/share/pathfinder/policies/site.json" ]
	rm "$d/opt/pf/share/pathfinder/policies/site.json"
	run -0 make -C "$PF_REPO" --no-print-directory BUILD="$b" \
	    DESTDIR="$d" PREFIX=/opt/pf uninstall
	run -0 find "$d" -type f
	[ -z "$output" ]
	[ ! -e "$d/opt/pf/share/pathfinder" ]
}

@test "make lint: a cross-reference to a page the repo lacks fails" {
	local t=$BATS_TEST_TMPDIR/repo
	mkdir -p "$t"
	cp -r "$PF_REPO/Makefile" "$PF_REPO/man" "$t/"
	run -0 make -C "$t" --no-print-directory lint
	sed -i 's/^\.Sh DESCRIPTION$/&\nSee\n.Xr pf-nowhere 1 .\n.Pp/' "$t/man/pf-scan-py.1"
	run -2 make -C "$t" --no-print-directory lint
	[[ "$output" == *"man/pf-scan-py.1: .Xr pf-nowhere 1: the repo has no man/pf-nowhere.1"* ]]
}

@test "man pages: every option a tool's page lists is one its --help knows" {
	local m t o
	for m in "$PF_REPO"/man/pf-*.1; do
		t=$(basename "$m" .1)
		[ -x "$PF_BIN/$t" ] || { echo "man/$t.1: no tool $t"; return 1; }
		for o in $(grep -oE '^\.It Fl (-[a-z0-9-]+|[a-zA-Z])' "$m" | awk '{ print $3 }' | sort -u); do
			"$PF_BIN/$t" --help | grep -q -- "-$o\b" ||
			    { echo "man/$t.1: -$o is not an option of $t"; return 1; }
		done
	done
}
