# Pathfinder: staged pipeline of small filter programs.
# make            build every tool into $(BUILD)/bin
# make check      deps, the bats suite on the normal build, then again on ASan+UBSan,
#                 then each fuzz harness for a few seconds
# make install    PREFIX=/usr/local DESTDIR=
# make demo       the local demo Hub and preflight of its models
# make fuzz       each libFuzzer harness for FUZZ_SECONDS; keeps the corpus
# make fuzz-check each harness briefly on its kept corpus (part of check)

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
SAN     ?=
FUZZ_SECONDS ?= 30
BATS    ?= bats

VERSION := 0.1.0
PKGS    := libcurl jansson libarchive openssl libpcre2-8 zlib
DEB_PKGS := build-essential pkg-config libcurl4-openssl-dev libjansson-dev \
	libcurl3-gnutls libcurl3-nss \
	libarchive-dev libssl-dev libpcre2-dev bats jq mandoc git gnupg curl openssl time \
	python3 python3-numpy python3-onnx python3-h5py python3-torch \
	python3-joblib python3-sklearn python3-pandas python3-scipy python3-py7zr zlib1g-dev \
	p7zip-full clang clang-format busybox-static docker.io iproute2 e2fsprogs xxd file bc \
	golang-github-docker-docker-dev chromium tinyproxy-bin nginx-light strace

BINDIR  := $(PREFIX)/bin
DATADIR := $(PREFIX)/share/pathfinder
MANDIR  := $(PREFIX)/share/man

WARN    := -std=c11 -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wvla \
	-Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes
HARDEN  := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE \
	-fstack-clash-protection
ifeq ($(SAN),1)
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
HARDEN  := -fstack-protector-strong -fPIE
SANLD   := -fsanitize=address,undefined
else
OPT     := -O2 -g
endif
# pkg-config runs when a recipe first needs its flags, not when make reads
# this file: on a fresh machine "make demo" installs pkg-config and the -dev
# packages (deps) before anything is compiled. Without them the build stops
# with pkg-config's own message instead of an empty link line.
pkgconf = $(call pkgcheck,$(shell pkg-config $(1) $(PKGS) 2>&1 || echo PF-PKG-CONFIG-FAILED),$(1))
pkgcheck = $(if $(findstring PF-PKG-CONFIG-FAILED,$(1)),$(error pkg-config $(2) \
	$(PKGS) failed: $(subst PF-PKG-CONFIG-FAILED,,$(1)); 'make deps' installs what is missing),$(1))
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(call pkgconf,--cflags))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $$(call pkgconf,--libs))$(PKG_LIBS)
# lib/ holds one folder per stage plus core (lib/README.md); each source
# includes headers by name alone ("pf_json.h"), and the compiler gets one -I
# per folder, so a file can move between folders without an edit.
LIB_DIRS := $(patsubst %/,%,$(sort $(dir $(wildcard lib/*.[ch] lib/*/*.[ch]))))
LIB_INC  := $(addprefix -I,$(LIB_DIRS))
CPPFLAGS += -D_GNU_SOURCE $(LIB_INC)
CFLAGS  ?=
CFLAGS  += $(WARN) $(OPT) $(HARDEN) $(PKG_CFLAGS) -MMD -MP
LDFLAGS += -pie -Wl,-z,relro,-z,now -Wl,--as-needed $(SANLD)
# libarchive and libcurl are opened on first use (lib/archive/
# pf_archive_load.c, lib/hub/pf_curl_load.c), not linked: a tool that meets
# no archive, or makes no request, does not pay for loading them.
DL_LIBS := -larchive -lcurl
LDLIBS  += $(filter-out $(DL_LIBS),$(PKG_LIBS)) -lpthread -lm

# LIB_EXCLUDE: lib sources to leave out while someone else is mid-edit.
LIB_EXCLUDE ?=
LIB_SRC  := $(filter-out $(LIB_EXCLUDE),$(sort $(wildcard lib/*.c lib/*/*.c)))
LIB_HDR  := $(sort $(wildcard lib/*.h lib/*/*.h))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
TOOL_SRC := $(sort $(wildcard tools/pf-*.c))
TOOLS    := $(TOOL_SRC:tools/%.c=$(BUILD)/bin/%)
UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
UNITS    := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
MANS     := $(sort $(wildcard man/*.[157]))
POLICY_SRC := $(sort $(wildcard policies/*.json))
PIPELINES  := $(sort $(wildcard pipelines/*))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz-*.c))
# The rule tables compiled into C at build time (policies/compile-tables.c).
TABLE_GEN   := $(BUILD)/gen/pf_table_pickle.c $(BUILD)/gen/pf_table_python.c \
	$(BUILD)/gen/pf_table_secrets.c
TABLE_OBJ   := $(TABLE_GEN:.c=.o)

.DELETE_ON_ERROR:
.PRECIOUS: $(BUILD)/tools/%.o $(BUILD)/lib/%.o
.SECONDARY: $(BUILD)/gen/pf_policy_builtin.c $(TABLE_GEN)
.PHONY: node-deps all check test test-asan install uninstall clean lint fuzz fuzz-check bench demo deps print-deps static egress-image

all: $(TOOLS)
ifneq ($(SAN),1)
all: static
endif

$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/tools/%.o: tools/%.c
	@mkdir -p $(@D)
	@echo "CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The default policy and rule tables are compiled into every tool, so that
# a tool runs from the build tree, or copied anywhere, with no environment
# and no installed file (pf_policy.c looks there last). Nothing about
# PREFIX is compiled in: "make install PREFIX=..." only copies.
%/gen/pf_policy_builtin.c: $(POLICY_SRC) policies/embed.sh
	@mkdir -p $(@D)
	@echo "GEN     $@"
	@sh policies/embed.sh $@ $(POLICY_SRC)

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	@echo "CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The rule tables come compiled in as C data too (policies/compile-tables.c):
# a tool using the built-in copy parses no JSON at start. The generator
# loads each table through the tools' own loader and checks, so it links
# libpf without the generated tables (libpf-base.a); a table the tools
# would refuse fails the build. Editing a table or its loader remakes it.
$(BUILD)/libpf-base.a: $(LIB_OBJ) $(BUILD)/gen/pf_policy_builtin.o
	@rm -f $@
	@echo "AR      $@"
	@$(AR) rcs $@ $^

$(BUILD)/gen/compile-tables: policies/compile-tables.c $(BUILD)/libpf-base.a
	@mkdir -p $(@D)
	@echo "LINK    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libpf-base.a $(LDLIBS)

compile_table = @echo "GEN     $@"; $(BUILD)/gen/compile-tables $(1) $< $@
$(BUILD)/gen/pf_table_pickle.c: policies/pickle-globals.json $(BUILD)/gen/compile-tables
	$(call compile_table,pickle)
$(BUILD)/gen/pf_table_python.c: policies/py-rules.json $(BUILD)/gen/compile-tables
	$(call compile_table,python)
$(BUILD)/gen/pf_table_secrets.c: policies/secret-rules.json $(BUILD)/gen/compile-tables
	$(call compile_table,secrets)

$(BUILD)/libpf.a: $(LIB_OBJ) $(BUILD)/gen/pf_policy_builtin.o $(TABLE_OBJ)
	@rm -f $@
	@echo "AR      $@"
	@$(AR) rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/tools/%.o $(BUILD)/libpf.a
	@mkdir -p $(@D)
	@echo "LINK    $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libpf.a $(LDLIBS)

# pf-verify as a fully static binary, $(BUILD)/static/pf-verify: the
# entrypoint of a container that holds no libc and no OpenSSL. Debian's
# libssl-dev ships libcrypto.a, libjansson-dev libjansson.a. glibc warns
# that libcrypto's dlopen and resolver code would need its shared objects
# at run time; pf-verify never reaches that code (no engines, no network),
# so those warnings are filtered and any other one is shown.
STATIC_LIBS := -ljansson -lcrypto -lpthread
static: $(BUILD)/static/pf-verify

# The egress proxy image of pf-launch's network hub, made with docker
# import from the host's tinyproxy (nothing pulled); prints its id for the
# policy's launch.egress.proxy_image.
egress-image:
	@policies/build-egress-image.sh
$(BUILD)/static/pf-verify: $(BUILD)/tools/pf-verify.o $(BUILD)/libpf.a
	@mkdir -p $(@D)
	@echo "LINK    $@ (static)"
	@$(CC) $(CFLAGS) -static -o $@ $< $(BUILD)/libpf.a $(STATIC_LIBS) \
		2>$@.log || { cat $@.log; rm -f $@.log; exit 1; }
	@grep -v -e 'in statically linked applications requires' \
		-e ': in function ' $@.log >&2 || true
	@rm -f $@.log

print-deps:
	@echo $(DEB_PKGS)

# Small programs that put a face on lib/ for tests/libpf.bats.
$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libpf.a
	@mkdir -p $(@D)
	@echo "LINK    $@"
	@$(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libpf.a $(LDLIBS)

# Installs the Debian packages the build and tests need; a no-op when they
# are present, and only prints the apt-get line when we are not root.
deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; \
	done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; \
	else \
		echo "missing packages; run as root:"; \
		echo "  apt-get install -y" $$missing; exit 1; \
	fi

# The schema validators the tests use (tests/schema/README.md), from the
# npm registry into tests/node_modules, where npm is present; the tests
# that need them say so and skip without them.
NODE_PKGS := ajv-cli@5 ajv-formats@3 ajv-draft-04@1
deps: node-deps
node-deps:
	@if command -v npm >/dev/null 2>&1 && [ ! -d tests/node_modules/ajv-draft-04 ]; then \
		npm install --prefix tests --no-save --no-audit --no-fund $(NODE_PKGS) >/dev/null || \
		echo "node-deps: npm could not install $(NODE_PKGS); schema tests will skip"; \
	fi

# demo and check are the first commands on a fresh machine: deps installs
# pkg-config and the -dev packages, then a new make reads this file again
# and builds with their flags (never in parallel with deps).
# The suite runs on the normal build, then on the ASan+UBSan build; any
# sanitizer report (collected through log_path) fails the run.
check: deps
	$(MAKE) all
	$(MAKE) test
	$(MAKE) BUILD=build-asan SAN=1 all
	$(MAKE) BUILD=build-asan SAN=1 test-asan
	$(MAKE) fuzz-check
	$(MAKE) lint

ABS_BUILD = $(abspath $(BUILD))

test: all $(UNITS)
	PF_BIN=$(ABS_BUILD)/bin tests/run-suite

test-asan: all $(UNITS)
	@rm -rf $(ABS_BUILD)/san && mkdir -p $(ABS_BUILD)/san
	PF_BIN=$(ABS_BUILD)/bin PF_SAN=1 \
	ASAN_OPTIONS=log_path=$(ABS_BUILD)/san/asan:exitcode=99:detect_leaks=1 \
	UBSAN_OPTIONS=log_path=$(ABS_BUILD)/san/ubsan:exitcode=99:print_stacktrace=1:halt_on_error=1 \
	tests/run-suite
	@if [ -n "$$(ls $(ABS_BUILD)/san)" ]; then \
		echo "sanitizer reports:"; cat $(ABS_BUILD)/san/*; exit 1; fi

# A cross-reference to a pf-* or pathfinder-* page must name a page the
# repo has: the manual never points at a tool that does not exist. The
# include rule of lib/'s folders: lint/layers.sh and lib/README.md. The C
# lines changed since the branch left main, against .clang-format:
# lint/format.sh (LINT_BASE=commit to compare with another base).
lint:
	@for m in $(MANS); do mandoc -Tlint -W warning $$m || exit 1; done
	@grep -oHE 'Xr (pf-|pathfinder)[a-z0-9-]* [1-9]' $(MANS) /dev/null | sort -u | \
		while IFS=: read -r f x; do set -- $$x; [ -f man/$$2.$$3 ] || \
		{ echo "$$f: .Xr $$2 $$3: the repo has no man/$$2.$$3"; exit 1; }; done
	@! grep -nE '\b(strcpy|strcat|strncpy|sprintf|vsprintf|gets|strtok|atoi|system|popen|mktemp)\(' \
		/dev/null $(LIB_SRC) $(LIB_HDR) $(TOOL_SRC) | grep -v 'pf_banned.h' || { echo "banned function"; exit 1; }
	@[ ! -d lib ] || sh lint/layers.sh
	@[ ! -d lib ] || sh lint/format.sh

# The static verifier is part of every normal build (all: static); a
# sanitizer build has none, and its install leaves it out.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/policies \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7
	install -m 0755 $(TOOLS) $(DESTDIR)$(BINDIR)
	for f in $(PIPELINES); do [ -f "$$f" ] || continue; \
		case $$f in *.mk) install -m 0644 $$f $(DESTDIR)$(DATADIR);; \
		*) install -m 0755 $$f $(DESTDIR)$(BINDIR);; esac; done
	install -m 0644 $(POLICY_SRC) $(DESTDIR)$(DATADIR)/policies
	[ ! -f $(BUILD)/static/pf-verify ] || \
		install -m 0755 $(BUILD)/static/pf-verify $(DESTDIR)$(DATADIR)/pf-verify.static
	for m in $(MANS); do s=$${m##*.}; install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s; done

# Removes exactly what install put in place; files an administrator added
# beside them (a site policy) stay, and so do their folders.
uninstall:
	rm -f $(TOOLS:$(BUILD)/bin/%=$(DESTDIR)$(BINDIR)/%)
	for f in $(PIPELINES); do [ -f "$$f" ] || continue; n=$${f##*/}; \
		case $$f in *.mk) rm -f $(DESTDIR)$(DATADIR)/$$n;; \
		*) rm -f $(DESTDIR)$(BINDIR)/$$n;; esac; done
	rm -f $(POLICY_SRC:policies/%=$(DESTDIR)$(DATADIR)/policies/%)
	rm -f $(DESTDIR)$(DATADIR)/pf-verify.static
	for m in $(MANS); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m##*/}; done
	rmdir $(DESTDIR)$(DATADIR)/policies $(DESTDIR)$(DATADIR) 2>/dev/null || true

clean:
	rm -rf build build-asan build-fuzz

# libFuzzer harnesses: fuzz/fuzz-NAME.c against the lib built once with
# clang. Each runs on its seeds (fuzz/seeds-NAME.sh) and its kept corpus
# (fuzz/corpus/fuzz-NAME.hex, text: see fuzz/corpus.sh).
# make fuzz         each harness for FUZZ_SECONDS, then the corpus it grew
#                   is minimised (-merge=1) back into fuzz/corpus/
# make fuzz-check   each harness for FUZZ_CHECK_SECONDS: every kept input
#                   runs first, so a crash once found stays a test
FUZZ_BUILD ?= build-fuzz
FUZZ_CHECK_SECONDS ?= 3
FUZZ_MAX_LEN ?= 4096
FUZZ_CFLAGS = -std=c11 -g -O1 -D_GNU_SOURCE $(LIB_INC) $(PKG_CFLAGS) \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_NAMES := $(FUZZ_SRC:fuzz/%.c=%)
FUZZ_OBJ   := $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_RUN    = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	$(FUZZ_BUILD)/bin/$* -timeout=20 -rss_limit_mb=2048 \
	-artifact_prefix=$(FUZZ_BUILD)/$*.

$(FUZZ_BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(@D)
	@echo "CLANG   $<"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/gen/%.o: $(FUZZ_BUILD)/gen/%.c
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

# The compiled tables are the normal build's: C data, the same for both.
$(FUZZ_BUILD)/gen/pf_table_%.c: $(BUILD)/gen/pf_table_%.c
	@mkdir -p $(@D)
	@cp $< $@

$(FUZZ_BUILD)/libpf.a: $(FUZZ_OBJ) $(FUZZ_BUILD)/gen/pf_policy_builtin.o \
	$(patsubst $(BUILD)/%.c,$(FUZZ_BUILD)/%.o,$(TABLE_GEN))
	@rm -f $@
	@$(AR) rcs $@ $^

$(FUZZ_BUILD)/bin/%: fuzz/%.c $(FUZZ_BUILD)/libpf.a
	@mkdir -p $(@D)
	@echo "FUZZ    $@"
	@clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_BUILD)/libpf.a \
		$(filter-out $(DL_LIBS),$(PKG_LIBS)) -lpthread -lm

# The inputs of one run, each in a fresh folder: the seeds, which a script
# makes, and the kept corpus, which holds only what the seeds do not reach.
$(FUZZ_BUILD)/%.in: FORCE
	@rm -rf $@ $(@:.in=.seeds) && mkdir -p $@ $(@:.in=.seeds)
	@s=fuzz/seeds-$(*:fuzz-%=%).sh; if [ -x $$s ]; then $$s $(@:.in=.seeds); fi
	@fuzz/corpus.sh unpack $* $@

$(FUZZ_BUILD)/%.checked: $(FUZZ_BUILD)/bin/% $(FUZZ_BUILD)/%.in FORCE
	@rm -rf $(FUZZ_BUILD)/$*.new && mkdir -p $(FUZZ_BUILD)/$*.new
	@$(FUZZ_RUN) -max_total_time=$(FUZZ_CHECK_SECONDS) $(FUZZ_BUILD)/$*.new \
		$(FUZZ_BUILD)/$*.seeds $(FUZZ_BUILD)/$*.in >$(FUZZ_BUILD)/$*.log 2>&1 || \
		{ tail -40 $(FUZZ_BUILD)/$*.log; echo "fuzz-check: $* failed; keep" \
		"the reproducer: fuzz/corpus.sh add $* $(FUZZ_BUILD)/$*.crash-*"; exit 1; }
	@echo "fuzz-check: $* $$(grep -o 'Done [0-9]* runs' $(FUZZ_BUILD)/$*.log)"
	@rm -rf $(FUZZ_BUILD)/$*.new && touch $@

# Minimising: the seeds first, then what the kept corpus and this run add
# to them (-merge=1); the seeds are then dropped, their script keeps them.
$(FUZZ_BUILD)/%.fuzzed: $(FUZZ_BUILD)/bin/% $(FUZZ_BUILD)/%.in FORCE
	@rm -rf $(FUZZ_BUILD)/$*.new $(FUZZ_BUILD)/$*.min
	@mkdir -p $(FUZZ_BUILD)/$*.new
	@echo "fuzz: $* for $(FUZZ_SECONDS)s"
	@$(FUZZ_RUN) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) \
		-print_final_stats=1 $(FUZZ_BUILD)/$*.new $(FUZZ_BUILD)/$*.seeds \
		$(FUZZ_BUILD)/$*.in >$(FUZZ_BUILD)/$*.log 2>&1 || \
		{ tail -50 $(FUZZ_BUILD)/$*.log; exit 1; }
	@cp -r $(FUZZ_BUILD)/$*.seeds $(FUZZ_BUILD)/$*.min
	@$(FUZZ_RUN) -merge=1 $(FUZZ_BUILD)/$*.min $(FUZZ_BUILD)/$*.in \
		$(FUZZ_BUILD)/$*.new >>$(FUZZ_BUILD)/$*.log 2>&1
	@fuzz/corpus.sh pack $* $(FUZZ_BUILD)/$*.min $(FUZZ_BUILD)/$*.seeds
	@touch $@

.PRECIOUS: $(FUZZ_BUILD)/bin/% $(FUZZ_BUILD)/%.in $(FUZZ_BUILD)/lib/%.o
.SECONDARY: $(FUZZ_BUILD)/gen/pf_policy_builtin.c $(patsubst $(BUILD)/%,$(FUZZ_BUILD)/%,$(TABLE_GEN))
fuzz: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/%.fuzzed)
fuzz-check: $(FUZZ_NAMES:%=$(FUZZ_BUILD)/%.checked)
FORCE:

bench: all
	@for b in bench/*.sh; do [ -x "$$b" ] && PF_BIN=$(ABS_BUILD)/bin $$b; done

demo: deps
	$(MAKE) all
	PF_BIN=$(ABS_BUILD)/bin tests/demo.sh

-include $(FUZZ_OBJ:.o=.d) $(LIB_OBJ:.o=.d) $(TOOL_SRC:tools/%.c=$(BUILD)/tools/%.d) \
	$(TABLE_OBJ:.o=.d) $(BUILD)/gen/compile-tables.d
