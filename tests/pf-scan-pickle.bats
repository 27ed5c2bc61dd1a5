#!/usr/bin/env bats
# pf-scan-pickle: real checkpoints written by torch, numpy, joblib and
# scikit-learn stay clean under their profile; one malicious sample per
# technique fails with the finding that names it; every container; the
# caps at cap and cap + 1. Samples come from tests/fixtures/gen-pickle.py.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	D="$BATS_TEST_TMPDIR/m"
	mkdir -p "$D"
}

# put SAMPLE [FILE]: the generated sample as $D/FILE (default SAMPLE); a
# sample whose library is not installed (exit 77) skips the test
put() {
	local rc=0
	gen_fixture pickle "$1" >"$D/${2:-$1}" || rc=$?
	if [ "$rc" -eq 77 ]; then
		skip "sample $1 needs a library that is not installed"
	fi
	[ "$rc" -eq 0 ]
}

# clean SAMPLE [PROFILE...]: it passes without a single finding
clean() {
	local s=$1 p a=()
	shift
	for p in "$@"; do a+=(--profile "$p"); done
	put "$s"
	run -0 --separate-stderr pf-scan-pickle "${a[@]}" "$D/$s"
	[ -z "$stderr" ]
	jq -e '.status == "passed" and (.findings | length == 0)' <<<"$output"
}

# evil SAMPLE RULE [GLOBAL [SEVERITY]]: it fails with a finding of RULE,
# naming GLOBAL (when given) at SEVERITY (when given)
evil() {
	put "$1"
	run -1 --separate-stderr pf-scan-pickle "$D/$1"
	[ -z "$stderr" ]
	jq -e --arg r "$2" --arg g "${3:-}" --arg s "${4:-}" '.status == "failed"
	    and (.findings | any(.rule == $r and ($g == "" or .evidence.global == $g)
	    and ($s == "" or .severity == $s)))' <<<"$output"
}

has() {
	jq -e --arg r "$1" '.findings | any(.rule == $r)' <<<"$output" >/dev/null
}

fetch_json() {
	pf_manifest "pytorch_model.bin=$D/a" "README.md=$D/b"
}

# ------------------------------------------------------------ the tool

@test "pf-scan-pickle: --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr pf-scan-pickle --help
	[[ "${lines[0]}" == "usage: pf-scan-pickle "* ]]
	[ -z "$stderr" ]
}

@test "pf-scan-pickle: --version prints the version" {
	run -0 --separate-stderr pf-scan-pickle --version
	[ "$output" = "pf-scan-pickle 0.1.0" ]
}

@test "pf-scan-pickle: an unknown option exits 2 on stderr only" {
	run -2 --separate-stderr pf-scan-pickle --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-scan-pickle --help'"* ]]
}

@test "pf-scan-pickle: the man page names every option of the usage" {
	run -0 --separate-stderr pf-scan-pickle --help
	local o
	for o in $(grep -oE -- '--[a-z]+' <<<"$output" | sort -u); do
		grep -qE -- "^\.(It|Op) Fl ([a-zA-Z] , )?-${o#--}( |\$)" \
		    "$PF_REPO/man/pf-scan-pickle.1"
	done
}

@test "pf-scan-pickle: -i with paths is a usage error" {
	run -2 --separate-stderr pf-scan-pickle -i x.json "$D"
	[ -z "$output" ]
	[[ "$stderr" == *"exclude each other"* ]]
}

@test "pf-scan-pickle: a truncated fetch.json on stdin exits 2 and names stdin" {
	run -2 --separate-stderr pf-scan-pickle <<<'{"stage": "fetch",'
	[ -z "$output" ]
	[[ "$stderr" == "pf-scan-pickle: <stdin>: "* ]]
}

@test "pf-scan-pickle: a fetch.json over PF_MAX_ARTIFACT exits 2" {
	truncate -s $((64 * 1024 * 1024 + 1)) "$BATS_TEST_TMPDIR/big.json"
	run -2 --separate-stderr pf-scan-pickle -i "$BATS_TEST_TMPDIR/big.json"
	[ -z "$output" ]
	[[ "$stderr" == *"PF_MAX_ARTIFACT"* ]]
}

@test "pf-scan-pickle: an artifact of another stage exits 2" {
	run -2 --separate-stderr pf-scan-pickle <<<'{"pathfinder_version": "0.1.0",
	    "stage": "plan", "model": {}, "findings": []}'
	[[ "$stderr" == *"expected 'fetch'"* ]]
}

@test "pf-scan-pickle: a missing path exits 2" {
	run -2 --separate-stderr pf-scan-pickle "$D/nope"
	[ -z "$output" ]
	[[ "$stderr" == *"nope"* ]]
}

@test "pf-scan-pickle: an unknown profile is a policy error (2)" {
	put proto0-plain
	run -2 --separate-stderr pf-scan-pickle --profile nosuch "$D"
	[ -z "$output" ]
	[[ "$stderr" == *"unknown pickle profile 'nosuch'"* ]]
}

@test "pf-scan-pickle: reads fetch.json, copies its model, scans every file" {
	put evil-global-proto0 a
	put not-pickle-readme b
	fetch_json >"$BATS_TEST_TMPDIR/fetch.json"
	run -1 --separate-stderr pf-scan-pickle -i "$BATS_TEST_TMPDIR/fetch.json"
	[ -z "$stderr" ]
	jq -e '.stage == "scan-pickle" and .model.id == "acme/tiny-llama"
	    and ([.files[].path] == ["README.md", "pytorch_model.bin"])
	    and (.files[0].format == "none")
	    and (.findings[0] | .file == "pytorch_model.bin" and .offset == 0
	      and .evidence.opcode == "GLOBAL")' <<<"$output"
}

@test "pf-scan-pickle: files list their streams and globals with counts" {
	put torch-zip-state-dict model.pt
	run -0 --separate-stderr pf-scan-pickle "$D"
	jq -e '.files[0] | .format == "torch-zip" and .streams[0].status == "complete"
	    and (.streams[0].member | endswith("/data.pkl"))
	    and (.globals | any(.name == "torch._utils._rebuild_tensor_v2"
	      and .count == 1 and .allowed))
	    and (.globals | any(.name == "collections.OrderedDict"))' <<<"$output"
}

@test "pf-scan-pickle: a symlink or FIFO in a folder is listed, not followed, and a finding" {
	put proto0-plain
	ln -s "$D/proto0-plain" "$D/link"
	mkfifo "$D/fifo"
	run -1 --separate-stderr pf-scan-pickle "$D"
	[ -z "$stderr" ]
	jq -e '[.files[] | {(.path): .format}] | add ==
	    {"fifo": "not-regular", "link": "not-regular",
	     "proto0-plain": "pickle"}' <<<"$output"
	jq -e '[.findings[] | [.file, .rule, .severity]] ==
	    [["fifo", "pickle.file.not-regular", "high"],
	     ["link", "pickle.file.symlink", "high"]]' <<<"$output"
}

@test "pf-scan-pickle: output on a full disk exits 3" {
	put proto0-plain
	run -3 --separate-stderr bash -c 'pf-scan-pickle "$1" >/dev/full' _ "$D"
	[ -n "$stderr" ]
}

@test "pf-scan-pickle: -o writes the artifact" {
	put proto0-plain
	run -0 --separate-stderr pf-scan-pickle -o "$BATS_TEST_TMPDIR/out.json" "$D"
	[ -z "$output" ]
	jq -e '.stage == "scan-pickle" and .status == "passed"' \
	    "$BATS_TEST_TMPDIR/out.json"
}

@test "pf-scan-pickle: reruns are byte-identical" {
	put evil-nested
	put evil-zip-hidden-member
	pf-scan-pickle -o "$BATS_TEST_TMPDIR/a.json" "$D" || true
	pf-scan-pickle -o "$BATS_TEST_TMPDIR/b.json" "$D" || true
	cmp "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
}

@test "pf-scan-pickle: --disasm lists opcodes with the verdict of each" {
	put evil-memo-confusion
	run -0 --separate-stderr pf-scan-pickle --disasm "$D/evil-memo-confusion"
	[ -z "$stderr" ]
	[[ "$output" == *"STACK_GLOBAL"*"-> posix.system NOT ALLOWED"* ]]
	[[ "$output" == *"#! critical pickle.global.not-allowed: imports 'posix.system'"* ]]
	[[ "$output" == *"# format: pickle"* ]]
}

@test "pf-scan-pickle: --disasm with a path too is a usage error" {
	run -2 --separate-stderr pf-scan-pickle --disasm a b
	[ -z "$output" ]
}

@test "pf-scan-pickle: pickle.severity changes a rule's severity" {
	pf_policy '.pickle.severity["pickle.stream.multiple"] = "high"'
	put many-streams
	run -1 --separate-stderr pf-scan-pickle "$D"
	jq -e '.findings | any(.rule == "pickle.stream.multiple"
	    and .severity == "high")' <<<"$output"
}

@test "pf-scan-pickle: pickle.extra allows a global the table does not" {
	pf_policy '.pickle.extra = ["somelib.utils.run_command"]'
	clean evil-unlisted-gadget
}

# ---------------------------------------------------- benign, real writers

@test "benign: torch.save state_dict (zip) is clean" {
	clean torch-zip-state-dict
}

@test "benign: torch.save of Parameter, bf16, int8, Size, device is clean" {
	clean torch-zip-mixed
}

@test "benign: torch.save legacy format is clean, storages skipped unread" {
	clean torch-legacy
	jq -e '.files[0].format == "torch-legacy"
	    and (.files[0].streams | length == 5)' <<<"$output"
}

@test "benign: legacy torch with views of a shared storage is clean" {
	clean torch-legacy-views
}

@test "benign: np.save of an object array is clean under numpy" {
	clean numpy-object-npy
	jq -e '.files[0].format == "npy"' <<<"$output"
}

@test "benign: np.savez_compressed with an object array is clean" {
	clean numpy-object-npz
	jq -e '.files[0].format == "npz"' <<<"$output"
}

@test "benign: numpy arrays, structured dtypes and RandomState pickled" {
	clean numpy-pickle-arrays
}

@test "benign: HF training_args.bin is clean under hf-training-args" {
	clean hf-training-args hf-training-args
}

@test "benign: HF training_args.bin without its profile is findings" {
	evil hf-training-args pickle.global.not-allowed \
	    transformers.training_args.TrainingArguments high
}

@test "benign: joblib.dump of arrays is clean under joblib" {
	clean joblib-numpy joblib
	jq -e '.files[0].format == "joblib"' <<<"$output"
}

@test "benign: joblib.dump compress=3 (zlib) is clean under joblib" {
	clean joblib-zlib joblib
	jq -e '.files[0].format == "joblib"' <<<"$output"
}

@test "benign: a scikit-learn pipeline is clean under sklearn and joblib" {
	clean sklearn-forest sklearn joblib
}

@test "benign: joblib array bytes are skipped, never read as opcodes" {
	clean joblib-handmade joblib
}

@test "benign: protocol 0 text pickle of literals is clean" {
	clean proto0-plain
}

@test "benign: protocol 5 with frames, bytearray, big ints is clean" {
	clean proto5-plain
}

@test "benign: argparse.Namespace is clean under argparse" {
	clean argparse-namespace argparse
}

@test "benign: a protocol 0 object (copyreg._reconstructor) under argparse" {
	clean argparse-namespace-proto0 argparse
	jq -e '.files[0].globals | any(.name == "copyreg._reconstructor")' \
	    <<<"$output"
}

@test "benign: empty strings before any other are clean" {
	clean empty-strings
}

@test "benign: datetime values are clean under datetime" {
	clean datetime-values datetime
}

@test "benign: Python source is not a pickle" {
	clean not-pickle-text
	jq -e '.files[0].format == "none"' <<<"$output"
}

@test "benign: a model card is not a pickle" {
	clean not-pickle-readme
}

@test "benign: text that fails before importing anything is not a pickle" {
	clean sniff-lenient-text
}

@test "benign: bytes after the pickle are reported, medium" {
	put benign-trailing-bytes
	run -0 --separate-stderr pf-scan-pickle "$D"
	jq -e '.findings | length == 1 and .[0].rule == "pickle.stream.trailing-bytes"
	    and .[0].severity == "medium"' <<<"$output"
}

# ------------------------------------------------------------ malicious

@test "evil: GLOBAL posix.system, protocol 0" {
	evil evil-global-proto0 pickle.global.not-allowed posix.system critical
}

@test "evil: STACK_GLOBAL posix.system, protocol 4" {
	evil evil-stack-global pickle.global.not-allowed posix.system critical
	jq -e '.findings[0].evidence.opcode == "STACK_GLOBAL"' <<<"$output"
}

@test "evil: INST os.system" {
	evil evil-inst pickle.global.not-allowed os.system critical
}

@test "evil: OBJ posix.system" {
	evil evil-obj pickle.global.not-allowed posix.system critical
}

@test "evil: NEWOBJ_EX subprocess.Popen" {
	evil evil-newobj pickle.global.not-allowed subprocess.Popen critical
}

@test "evil: MEMOIZE stores at the count of entries (memo confusion)" {
	evil evil-memo-confusion pickle.global.not-allowed posix.system critical
}

@test "evil: PUT overwrites a memo slot a benign name used" {
	evil evil-memo-overwrite pickle.global.not-allowed builtins.eval critical
}

@test "evil: BUILD on an allowed class sets its attributes" {
	evil evil-build-class pickle.build.not-allowed collections.OrderedDict \
	    critical
}

@test "evil: getattr on a class with a dunder name is no enum member" {
	evil evil-getattr-dunder pickle.call.not-allowed builtins.getattr critical
}

@test "evil: importlib.import_module" {
	evil evil-importlib pickle.global.not-allowed importlib.import_module \
	    critical
}

@test "evil: pkgutil.resolve_name" {
	evil evil-pkgutil pickle.global.not-allowed pkgutil.resolve_name critical
}

@test "evil: operator.attrgetter" {
	evil evil-attrgetter pickle.global.not-allowed operator.attrgetter critical
}

@test "evil: functools.partial" {
	evil evil-partial pickle.global.not-allowed functools.partial critical
}

@test "evil: an unlisted third-party primitive is still a finding" {
	evil evil-unlisted-gadget pickle.global.not-allowed \
	    somelib.utils.run_command high
}

@test "evil: a dotted name walking from an allowed module" {
	evil evil-dotted-name pickle.global.not-allowed torch._utils.os.system high
}

@test "evil: STACK_GLOBAL on a name computed while loading" {
	evil evil-computed-name pickle.global.unresolved "" critical
}

@test "evil: UNICODE names with raw-unicode-escape" {
	evil evil-unicode-escape pickle.global.not-allowed posix.system critical
}

@test "evil: INT 0x10 (strtol base 0) before the payload" {
	evil evil-int-hex pickle.global.not-allowed posix.system critical
	! has pickle.stream.malformed
}

@test "evil: INT with a NUL inside before the payload" {
	evil evil-int-nul pickle.global.not-allowed posix.system critical
	! has pickle.stream.malformed
}

@test "evil: LONG 0x1fL before the payload" {
	evil evil-long-hex pickle.global.not-allowed posix.system critical
	! has pickle.stream.malformed
}

@test "evil: INT with spaces, sign and 01 before the payload" {
	evil evil-int-bool-spaces pickle.global.not-allowed posix.system critical
	! has pickle.stream.malformed
}

@test "evil: the payload runs before the stream fails" {
	evil evil-then-malformed pickle.global.not-allowed posix.system critical
	has pickle.stream.malformed
}

@test "evil: a truncated pickle still reports what ran" {
	evil evil-truncated pickle.global.not-allowed posix.system
	has pickle.stream.malformed
}

@test "evil: a second stream after a benign one is scanned" {
	evil evil-second-stream pickle.global.not-allowed posix.system critical
	has pickle.stream.multiple
}

@test "evil: EXT1 loads from the extension registry" {
	evil evil-ext pickle.ext.used
}

@test "evil: NEXT_BUFFER is reported, medium" {
	put out-of-band-buffer
	run -0 --separate-stderr pf-scan-pickle "$D"
	jq -e '.findings | length == 1 and .[0].rule == "pickle.buffer.out-of-band"
	    and .[0].severity == "medium"' <<<"$output"
}

@test "evil: a persistent id in a raw pickle" {
	evil evil-persid-raw pickle.persid.not-allowed
}

@test "evil: a torch zip persistent id outside ('storage', ...)" {
	evil evil-persid-torch pickle.persid.not-allowed
}

@test "evil: SETITEMS on an object without __setitem__ rights" {
	evil evil-setitems-object pickle.mutate.not-allowed
}

@test "evil: APPENDS on a global" {
	evil evil-append-global pickle.mutate.not-allowed collections.OrderedDict
}

@test "evil: REDUCE on a global allowed only as a reference" {
	evil evil-reduce-allowed-as-ref pickle.call.not-allowed torch.float32 high
}

# ------------------------------------------------------------ containers

@test "torch zip: a malicious data.pkl" {
	evil evil-torch-zip pickle.global.not-allowed posix.system critical
	jq -e '.findings[0].member == "archive/data.pkl"' <<<"$output"
}

@test "torch zip: a deflated data.pkl is read and flagged" {
	evil evil-torch-zip-deflated pickle.global.not-allowed posix.system
	has pickle.torch.compressed-member
}

@test "torch zip: every .pkl member is scanned (constants.pkl)" {
	evil evil-torch-zip-constants pickle.global.not-allowed posix.system
	jq -e '.findings | any(.member == "archive/constants.pkl")' <<<"$output"
}

@test "zip: a member only the local headers show is found and scanned" {
	evil evil-zip-hidden-member pickle.zip.hidden-member
	jq -e '.findings | any(.rule == "pickle.global.not-allowed"
	    and .member == "archive/evil.pkl")' <<<"$output"
}

@test "zip: a central directory listed last to first reads the same" {
	clean torch-zip-cd-reversed
}

@test "zip: a member whose header lies inside another's data is found" {
	evil evil-zip-unreached-member pickle.zip.hidden-member
	# the member that hides it is not a zip: a finding, and the scan goes
	# on to the hidden member, which the central directory does list
	has pickle.zip.malformed
	jq -e '.findings | any(.rule == "pickle.global.not-allowed"
	    and .member == "archive/evil.pkl")' <<<"$output"
}

@test "zip: central directory and local header name disagree" {
	evil evil-zip-name-mismatch pickle.zip.member-mismatch
}

@test "zip: a member name twice" {
	evil evil-zip-duplicate pickle.zip.duplicate-name
	has pickle.global.not-allowed
}

@test "zip: an encrypted member" {
	evil evil-zip-encrypted pickle.zip.encrypted
}

@test "zip: a pickle with a zip behind it (polyglot)" {
	evil evil-polyglot pickle.zip.polyglot
	jq -e '.findings | any(.rule == "pickle.global.not-allowed"
	    and (.member | startswith("(zip)!")))' <<<"$output"
}

@test "legacy torch: a malicious object pickle after the magic" {
	evil evil-legacy pickle.global.not-allowed posix.system critical
	jq -e '.files[0].format == "torch-legacy"' <<<"$output"
}

@test "torch zip: a storage the archive does not hold is reported" {
	put torch-zip-missing-storage
	run -0 --separate-stderr pf-scan-pickle "$D"
	jq -e '.findings | length == 1 and .[0].rule == "pickle.torch.missing-storage"
	    and .[0].severity == "medium"' <<<"$output"
}

@test "torch tar (0.1): the layout is followed and is clean" {
	clean torch-tar-handmade
	jq -e '.files[0].format == "torch-tar"
	    and (.files[0].streams | length == 6)' <<<"$output"
}

@test "torch tar (0.1): a malicious 'pickle' member" {
	evil evil-torch-tar pickle.global.not-allowed posix.system critical
	jq -e '.findings[0].member == "pickle"' <<<"$output"
}

@test "npy: an object array whose pickle runs a command" {
	evil evil-npy pickle.global.not-allowed posix.system critical
}

@test "npz: a malicious object .npy member" {
	evil evil-npz pickle.global.not-allowed posix.system critical
	jq -e '.findings[0].member == "arr_0.npy"' <<<"$output"
}

@test "joblib: bytes past a wrapper's declared size are opcodes" {
	evil evil-joblib-short-array pickle.global.not-allowed posix.system
}

@test "gzip: a pickle inside" {
	evil evil-gzip pickle.global.not-allowed posix.system
	jq -e '.files[0].format == "gzip"' <<<"$output"
}

@test "bzip2: a pickle inside" {
	evil evil-bz2 pickle.global.not-allowed posix.system
}

@test "xz: a pickle inside" {
	evil evil-xz pickle.global.not-allowed posix.system
}

@test "lzma (joblib's lzma_alone): a pickle inside" {
	evil evil-lzma pickle.global.not-allowed posix.system
	jq -e '.files[0].format == "lzma"' <<<"$output"
}

@test "lzma: a safetensors that starts 5d 00 00 is not taken for one" {
	clean not-lzma-safetensors
	jq -e '.files[0].format == "none"' <<<"$output"
}

@test "zlib (joblib compression): a pickle inside" {
	evil evil-zlib pickle.global.not-allowed posix.system
	jq -e '.files[0].format == "zlib"' <<<"$output"
}

@test "tar: a pickle named weights.bin inside" {
	evil evil-tar pickle.global.not-allowed posix.system
	jq -e '.findings[0].member == "model/weights.bin"' <<<"$output"
}

@test "7z: a pickle inside" {
	evil evil-7z pickle.global.not-allowed posix.system
	jq -e '.files[0].format == "7z"' <<<"$output"
}

@test "nested: gzip of tar of zip of a pickle" {
	evil evil-nested pickle.global.not-allowed posix.system
	jq -e '.files[0].format == "tar.gz"
	    and .findings[0].member == "ckpt.zip!inner/model.pt"' <<<"$output"
}

# ------------------------------------------------------------------ caps

# at SAMPLE CAP VALUE: SAMPLE passes with caps.CAP = VALUE
at() {
	pf_policy ".caps.$2 = $3"
	put "$1"
	run -0 --separate-stderr pf-scan-pickle "$D/$1"
	! has pickle.limit.exceeded
}

# over SAMPLE CAP VALUE RULE: SAMPLE fails with RULE naming the cap
over() {
	pf_policy ".caps.$2 = $3"
	put "$1"
	run -1 --separate-stderr pf-scan-pickle "$D/$1"
	[ -z "$stderr" ]
	jq -e --arg r "$4" '.findings | any(.rule == $r)' <<<"$output"
}

@test "caps: pickle_ops at 100 opcodes passes" {
	at ops-100 pickle_ops 100
}

@test "caps: pickle_ops at 99 fails naming PF_MAX_PICKLE_OPS" {
	over ops-100 pickle_ops 99 pickle.limit.exceeded
	[[ "$output" == *PF_MAX_PICKLE_OPS* ]]
}

@test "caps: pickle_memo at 100 entries passes" {
	at memo-100 pickle_memo 100
}

@test "caps: pickle_memo at 99 fails" {
	over memo-100 pickle_memo 99 pickle.limit.exceeded
	[[ "$output" == *PF_MAX_PICKLE_MEMO* ]]
}

@test "caps: pickle_stack at 100 deep passes" {
	at stack-100 pickle_stack 100
}

@test "caps: pickle_stack at 99 fails" {
	over stack-100 pickle_stack 99 pickle.limit.exceeded
	[[ "$output" == *PF_MAX_PICKLE_STACK* ]]
}

@test "caps: pickle_values at 100 values passes" {
	at values-100 pickle_values 100
}

@test "caps: pickle_values at 99 fails" {
	over values-100 pickle_values 99 pickle.limit.exceeded
	[[ "$output" == *PF_MAX_PICKLE_VALUES* ]]
}

@test "caps: pickle_line at 100 bytes passes" {
	at line-100 pickle_line 100
}

@test "caps: pickle_line at 99 fails, even for bytes without PROTO" {
	over line-100 pickle_line 99 pickle.limit.exceeded
	[[ "$output" == *PF_MAX_PICKLE_LINE* ]]
}

@test "caps: pickle_streams at 5 streams passes" {
	at many-streams pickle_streams 5
}

@test "caps: pickle_streams at 4 fails" {
	over many-streams pickle_streams 4 pickle.limit.exceeded
	[[ "$output" == *PF_MAX_PICKLE_STREAMS* ]]
}

@test "caps: pickle_nest at 2 reads a gzip in a gzip" {
	pf_policy '.caps.pickle_nest = 2'
	evil nest-2 pickle.global.not-allowed posix.system
	! has pickle.archive.too-deep
}

@test "caps: pickle_nest at 1 stops a gzip in a gzip" {
	over nest-2 pickle_nest 1 pickle.archive.too-deep
	! has pickle.global.not-allowed
}

@test "caps: pickle_unpacked at the bytes a gzip holds passes" {
	at gzip-big-bytes pickle_unpacked 1048584
}

@test "caps: pickle_unpacked one byte lower is a bomb" {
	over gzip-big-bytes pickle_unpacked 1048583 pickle.archive.bomb
	[[ "$output" == *PF_MAX_PICKLE_UNPACKED* ]]
}

@test "caps: a bomb met while skipping a storage still writes the artifact" {
	over torch-tar-gz-big pickle_unpacked 100000 pickle.archive.bomb
	jq -e '.files[0].format == "torch-tar"' <<<"$output"
}

@test "caps: pickle_ratio at the gzip's ratio passes" {
	put gzip-big-bytes
	at gzip-big-bytes pickle_ratio $((1048584 / $(stat -c %s "$D/gzip-big-bytes")))
}

@test "caps: pickle_ratio one lower is a bomb" {
	put gzip-big-bytes
	over gzip-big-bytes pickle_ratio \
	    $((1048584 / $(stat -c %s "$D/gzip-big-bytes") - 1)) pickle.archive.bomb
	[[ "$output" == *PF_MAX_PICKLE_RATIO* ]]
}

@test "caps: pickle_member at a nested zip's size reads it" {
	put evil-nested
	pf_policy ".caps.pickle_member = $(tar -xzOf "$D/evil-nested" ckpt.zip |
	    wc -c)"
	run -1 --separate-stderr pf-scan-pickle "$D"
	has pickle.global.not-allowed
	! has pickle.limit.exceeded
}

@test "caps: pickle_member one byte lower stops it" {
	put evil-nested
	pf_policy ".caps.pickle_member = $(($(tar -xzOf "$D/evil-nested" ckpt.zip |
	    wc -c) - 1))"
	run -1 --separate-stderr pf-scan-pickle "$D"
	has pickle.limit.exceeded
	[[ "$output" == *PF_MAX_PICKLE_MEMBER* ]]
}

@test "caps: pickle_members at a zip's 3 members passes" {
	pf_policy '.caps.pickle_members = 3'
	evil evil-torch-zip pickle.global.not-allowed
	! has pickle.limit.exceeded
}

@test "caps: pickle_members at 2 fails" {
	over evil-torch-zip pickle_members 2 pickle.limit.exceeded
	[[ "$output" == *PF_MAX_PICKLE_MEMBERS* ]]
}
