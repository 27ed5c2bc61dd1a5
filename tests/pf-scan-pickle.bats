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
	summary_only failed
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
	summary_only failed
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
	summary_only failed
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

@test "benign: HF training_args.bin without profiles from evidence is findings" {
	pf_policy '.pickle.auto_profiles = false'
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

# ------------------------------------------- profiles chosen from evidence

# benign_set: the benign set of gen-pickle.py, written once for this file
benign_set() {
	B="$BATS_FILE_TMPDIR/benign"
	if [ ! -d "$B" ]; then
		local rc=0
		mkdir -p "$B.tmp"
		"$PF_REPO/tests/fixtures/gen-pickle.py" --benign-set "$B.tmp" ||
		    rc=$?
		if [ "$rc" -eq 77 ]; then
			skip "the benign set needs a library that is not installed"
		fi
		[ "$rc" -eq 0 ]
		mv "$B.tmp" "$B"
	fi
}

# fetch_of DIR [LIBRARY]: a fetch.json listing every file of DIR
fetch_of() {
	local f args=()
	while IFS= read -r f; do
		args+=("$f=$1/$f")
	done < <(cd "$1" && find . -type f | sed 's|^\./||' | sort)
	pf_manifest "${args[@]}" | jq --arg lib "${2:-}" \
	    '.library_name = (if $lib == "" then null else $lib end)'
}

# because FILE PROFILE KIND: the file got PROFILE for evidence of KIND
because() {
	jq -e --arg f "$1" --arg p "$2" --arg k "$3" '.files[] | select(.path
	    | endswith($f)) | .profiles | any(.name == $p and .because == $k)' \
	    <<<"$output" >/dev/null
}

@test "benign set: real files of six libraries scanned by default: no high or critical" {
	benign_set
	[ "$(find "$B" -type f | wc -l)" -ge 50 ]
	run -0 --separate-stderr pf-scan-pickle "$B"
	[ -z "$stderr" ]
	jq -e '.status == "passed"
	    and all(.findings[]; .severity != "critical" and .severity != "high")
	    and (.files | length) >= 50
	    and all(.files[]; .format != "none")' <<<"$output"
}

@test "benign set: the same files through fetch.json with a library_name" {
	benign_set
	fetch_of "$B" scikit-learn >"$BATS_TEST_TMPDIR/fetch.json"
	run -0 --separate-stderr pf-scan-pickle -i "$BATS_TEST_TMPDIR/fetch.json"
	[ -z "$stderr" ]
	jq -e '.status == "passed"
	    and all(.findings[]; .severity != "critical" and .severity != "high")
	    and all(.files[]; .profiles | any(.name == "sklearn"
	      and .because == "library_name" and .evidence == "scikit-learn"))' \
	    <<<"$output"
}

@test "profiles: each file records its profiles and the evidence for each" {
	benign_set
	run -0 --separate-stderr pf-scan-pickle "$B"
	because checkpoint.pt checkpoint format
	because checkpoint.pt pathlib include
	because checkpoint_legacy.pth checkpoint format
	because training_args.bin hf-training-args file_name
	because tfidf_logreg.joblib sklearn file_name
	because tfidf_logreg.joblib scipy include
	because tfidf_logreg.pkl sklearn result
	because frame_p2.pkl pandas result
	because sparse_dok.pkl scipy result
	because containers_p0.pkl torch policy
	because containers_p0.pkl core always
	jq -e '.files[] | select(.path | endswith("checkpoint.pt")) | .profiles[]
	    | select(.name == "checkpoint") | .evidence == "torch-zip"' <<<"$output"
	# evidence never widens what a file without it gets
	! because containers_p0.pkl sklearn file_name
	jq -e '.files[] | select(.path | endswith("containers_p0.pkl"))
	    | [.profiles[].name] == ["core", "torch", "numpy"]' <<<"$output"
}

@test "profiles: a file that is clean with the policy's profiles gets no more" {
	clean torch-zip-state-dict
	jq -e '[.files[0].profiles[] | .name] == ["core", "torch", "numpy"]
	    and .profiles == ["torch", "numpy"]' <<<"$output"
}

@test "profiles: a joblib dump under any name gets joblib by its format" {
	put joblib-numpy weights.dat
	run -0 --separate-stderr pf-scan-pickle "$D/weights.dat"
	jq -e '.findings == [] and .files[0].format == "joblib"
	    and (.files[0].profiles | any(.name == "joblib" and .because == "format"
	      and .evidence == "joblib"))' <<<"$output"
}

@test "profiles: pickle.auto_profiles false keeps to the policy's profiles" {
	benign_set
	pf_policy '.pickle.auto_profiles = false'
	run -1 --separate-stderr pf-scan-pickle "$B/checkpoint.pt" "$B/frame_p4.pkl"
	jq -e '(.findings | any(.evidence.global == "argparse.Namespace"))
	    and (.findings | any(.evidence.global
	      == "pandas.core.frame.DataFrame"))
	    and all(.files[]; [.profiles[].name] == ["core", "torch", "numpy"])' \
	    <<<"$output"
	# a path is no gadget: unknown without its profile, so high
	jq -e '[.findings[] | select(.file | endswith("checkpoint.pt"))]
	    | any(.evidence.global == "pathlib.PosixPath" and .severity == "high")
	    and all(.severity != "critical")' <<<"$output"
}

@test "profiles: no evidence, no profile: hyperparameters in a plain pickle" {
	evil hparams-pickle pickle.global.not-allowed argparse.Namespace high
	run -0 --separate-stderr pf-scan-pickle --profile checkpoint "$D/hparams-pickle"
	jq -e '.findings == [] and (.files[0].profiles | any(.name == "checkpoint"
	    and .because == "option"))' <<<"$output"
}

@test "profiles: the Hub's library_name in fetch.json is evidence" {
	put sklearn-in-dict model.pkl
	run -1 --separate-stderr pf-scan-pickle "$D/model.pkl"
	has pickle.global.not-allowed
	fetch_of "$D" sklearn >"$BATS_TEST_TMPDIR/fetch.json"
	run -0 --separate-stderr pf-scan-pickle -i "$BATS_TEST_TMPDIR/fetch.json"
	jq -e '.findings == [] and (.files[0].profiles | any(.name == "sklearn"
	    and .because == "library_name" and .evidence == "sklearn"))' <<<"$output"
}

@test "profiles: a library_name that is not a string is a bad manifest (2)" {
	put proto0-plain
	fetch_of "$D" | jq '.library_name = 3' >"$BATS_TEST_TMPDIR/fetch.json"
	run -2 --separate-stderr pf-scan-pickle -i "$BATS_TEST_TMPDIR/fetch.json"
	[ -z "$output" ]
	[[ "$stderr" == *"library_name must be a string"* ]]
}

@test "profiles: a malformed 'when' in the rule table is a policy error (2)" {
	jq '.profiles.pandas.when = {"colour": ["x"]}' \
	    "$PF_REPO/policies/pickle-globals.json" >"$BATS_TEST_TMPDIR/rules.json"
	pf_policy ".pickle.rules = \"$BATS_TEST_TMPDIR/rules.json\""
	put proto0-plain
	run -2 --separate-stderr pf-scan-pickle "$D"
	[[ "$stderr" == *"'colour' is not a kind of evidence"* ]]
}

@test "profiles: every malicious sample fails with every profile evidence can give" {
	local n
	for n in $("$PF_REPO/tests/fixtures/gen-pickle.py" --list |
	    grep -E '^(evil|gadget)-'); do
		gen_fixture pickle "$n" >"$D/$n.joblib" 2>/dev/null ||
		    rm -f "$D/$n.joblib"
	done
	[ "$(ls "$D" | wc -l)" -ge 60 ]
	fetch_of "$D" scikit-learn >"$BATS_TEST_TMPDIR/fetch.json"
	run -1 --separate-stderr pf-scan-pickle -i "$BATS_TEST_TMPDIR/fetch.json"
	jq -e '. as $d | all(.files[]; .path as $p | any($d.findings[];
	    .file == $p and (.severity == "critical" or .severity == "high")))
	    and all(.files[]; .profiles | any(.name == "sklearn"))' <<<"$output"
}

@test "benign: torch._tensor.Tensor through _rebuild_from_type_v2 is a tensor" {
	benign_set
	run -0 --separate-stderr pf-scan-pickle "$B/ema_state.pt"
	jq -e '.findings == [] and (.files[0].globals | any(.name
	    == "torch._tensor.Tensor" and .allowed))' <<<"$output"
}

@test "benign: defaultdict(list) is no finding by default" {
	clean defaultdict-list
}

@test "benign: a pathlib path is no finding by default" {
	clean pathlib-posix-path
	jq -e '.files[0].profiles | any(.name == "pathlib" and .because == "result")' \
	    <<<"$output"
}

# --------------------------------------- malicious in a benign library's shape

@test "evil: a FunctionTransformer holding os.system in a joblib pipeline" {
	evil evil-sklearn-function-transformer pickle.global.not-allowed \
	    posix.system critical
	jq -e '(.findings | any(.evidence.global
	    == "sklearn.preprocessing._function_transformer.FunctionTransformer"
	    and .severity == "high"))
	    and (.files[0].profiles | any(.name == "sklearn"))' <<<"$output"
}

@test "evil: a fitted estimator holding os.system" {
	evil evil-sklearn-estimator-system pickle.global.not-allowed posix.system \
	    critical
}

@test "evil: a fitted estimator holding an unknown function is high" {
	evil evil-sklearn-estimator-unlisted pickle.global.not-allowed \
	    somelib.utils.run_command high
}

@test "evil: a DataFrame whose object column holds os.system" {
	evil evil-pandas-object-column pickle.global.not-allowed posix.system \
	    critical
	jq -e '.files[0].profiles | any(.name == "pandas")' <<<"$output"
}

@test "evil: defaultdict with a factory no list names calls it later" {
	evil evil-defaultdict-factory pickle.call.not-allowed \
	    collections.defaultdict critical
	has pickle.global.not-allowed
}

@test "evil: defaultdict with getattr as its factory" {
	evil evil-defaultdict-getattr pickle.call.not-allowed \
	    collections.defaultdict critical
	jq -e '.findings[0].evidence.class == "call-argument"' <<<"$output"
}

@test "evil: _rebuild_from_type_v2 calling getattr escapes no shape" {
	evil gadget-rebuild-v2-getattr pickle.call.not-allowed \
	    torch._tensor._rebuild_from_type_v2 critical
}

# gadget SAMPLE GLOBAL CLASS: critical, with the class of what it can do
gadget() {
	evil "$1" pickle.global.not-allowed "$2" critical
	jq -e --arg g "$2" --arg c "$3" '.findings | any(.evidence.global == $g
	    and .evidence.class == $c)' <<<"$output"
}

@test "gadget: pydoc.locate resolves a name given as data" {
	gadget gadget-pydoc-locate pydoc.locate import-name
}

@test "gadget: distutils.spawn.spawn runs a process" {
	gadget gadget-distutils-spawn distutils.spawn.spawn run-process
}

@test "gadget: distutils.util.execute calls what it is given" {
	gadget gadget-distutils-execute distutils.util.execute call-argument
}

@test "gadget: numpy.distutils.exec_command.exec_command runs a process" {
	gadget gadget-numpy-exec-command \
	    numpy.distutils.exec_command.exec_command run-process
}

@test "gadget: torch.fx.graph_module._exec_with_source runs code" {
	gadget gadget-fx-exec-with-source \
	    torch.fx.graph_module._exec_with_source run-code
}

@test "gadget: torch._tensor._rebuild_from_type calls its argument" {
	gadget gadget-rebuild-from-type torch._tensor._rebuild_from_type \
	    call-argument
}

@test "gadget: every class of the deny-list is critical, an unknown global high" {
	jq -e '(.classes | length) >= 8 and all(.classes[]; .severity == "critical")
	    and (.deny | all(.[]; .class as $c | $c != null))
	    and (.deny | has("pathlib") | not)' \
	    "$PF_REPO/policies/pickle-globals.json"
	evil evil-unlisted-gadget pickle.global.not-allowed \
	    somelib.utils.run_command high
	jq -e '.findings[0].evidence | has("class") | not' <<<"$output"
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

@test "pf-scan-pickle: libarchive is opened when an archive is read, not at start" {
	: >"$D/empty.bin"
	run -0 --separate-stderr env LD_DEBUG=files pf-scan-pickle "$D/empty.bin"
	[[ "$stderr" != *libarchive* ]]
	put evil-tar
	run -1 --separate-stderr env LD_DEBUG=files pf-scan-pickle "$D/evil-tar"
	[[ "$stderr" == *"file=libarchive.so.13 [0];  dynamically loaded by"* ]]
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
	summary_only failed
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

# ------------------------------------------------- archives fail closed
# Samples from tests/fixtures/gen-archive.py: 7z by py7zr and by p7zip,
# damaged and empty archives, names that leave the folder.

# arc SAMPLE [FILE]: the archive sample as $D/FILE (default SAMPLE)
arc() {
	local rc=0
	gen_fixture archive "$1" >"$D/${2:-$1}" || rc=$?
	if [ "$rc" -eq 77 ]; then
		skip "sample $1 needs a writer that is not installed"
	fi
	[ "$rc" -eq 0 ]
}

# arc_finds SAMPLE RULE [SEVERITY [TEXT [FILE]]]: exit 1 with a finding of
# RULE at SEVERITY whose message holds TEXT
arc_finds() {
	arc "$1" "${5:-$1}"
	run -1 --separate-stderr pf-scan-pickle "$D/${5:-$1}"
	summary_only failed
	jq -e --arg r "$2" --arg s "${3:-}" --arg t "${4:-}" '.status == "failed"
	    and (.findings | any(.rule == $r and ($s == "" or .severity == $s)
	    and (.message | contains($t))))' <<<"$output"
}

# arc_evil SAMPLE: the posix.system pickle inside is found in data.pkl
arc_evil() {
	arc_finds "$1" pickle.global.not-allowed critical "posix.system"
	jq -e '.files[0].format == "7z" and (.findings | any(.member ==
	    "data.pkl" and .evidence.global == "posix.system"))' <<<"$output"
}

@test "7z by py7zr, its defaults (BCJ + LZMA2): the pickle inside is found" {
	arc_evil py7zr-default
}

@test "7z by py7zr, LZMA2: the pickle inside is found" {
	arc_evil py7zr-lzma2
}

@test "7z by py7zr, BCJ + LZMA2 named: the pickle inside is found" {
	arc_evil py7zr-bcj-lzma2
}

@test "7z by py7zr, BZip2: the pickle inside is found" {
	arc_evil py7zr-bzip2
}

@test "7z by py7zr, Deflate: the pickle inside is found" {
	arc_evil py7zr-deflate
}

@test "7z by py7zr, Copy: the pickle inside is found" {
	arc_evil py7zr-copy
}

@test "7z by py7zr: a benign pickle passes, its stream counted" {
	arc py7zr-benign
	run -0 --separate-stderr pf-scan-pickle "$D/py7zr-benign"
	jq -e '.files[0].format == "7z" and (.files[0].streams | length == 1)
	    and .files[0].streams[0].member == "data.pkl"' <<<"$output"
}

@test "7z by p7zip, solid: the pickle after a benign one is found" {
	arc_evil p7zip-solid
}

@test "7z by p7zip, non-solid: the pickle is found" {
	arc_evil p7zip-nonsolid
}

@test "7z by p7zip, BCJ2 with three LZMA streams: the pickle is found" {
	arc_evil p7zip-bcj2
}

@test "7z by py7zr, encrypted: high, the member named" {
	arc_finds py7zr-encrypted pickle.archive.encrypted high "'data.pkl'"
}

@test "7z by p7zip, encrypted: high for each member" {
	arc_finds p7zip-encrypted pickle.archive.encrypted high "'data.pkl'"
	jq -e '[.findings[] | select(.rule == "pickle.archive.encrypted")]
	    | length == 2' <<<"$output"
}

@test "7z by py7zr, encrypted header: high with libarchive's reason" {
	arc_finds py7zr-encrypted-header pickle.archive.unreadable high \
	    "header is encrypted"
	jq -e '.files[0].format == "7z"' <<<"$output"
}

@test "7z by p7zip, encrypted header (-mhe): high with libarchive's reason" {
	arc_finds p7zip-encrypted-header pickle.archive.unreadable high \
	    "header is encrypted"
}

@test "7z truncated in its header: high" {
	arc_finds p7zip-truncated pickle.archive.unreadable high "Truncated"
}

@test "7z by py7zr truncated in its data: high" {
	arc_finds py7zr-truncated pickle.archive.unreadable high
}

@test "7z whose header declares more files than it holds: high" {
	arc_finds p7zip-count-lies pickle.archive.unreadable high "Damaged"
}

@test "7z whose data fails its CRC: high, naming the member" {
	arc_finds p7zip-data-damaged pickle.archive.unreadable high "CRC"
	jq -e '.findings | any(.member == "data.pkl")' <<<"$output"
}

@test "7z with no file in it: high, never passed" {
	arc_finds p7zip-empty pickle.archive.empty high
}

@test "tar truncated inside a member: high, naming it" {
	arc_finds tar-truncated pickle.archive.unreadable high "Truncated tar"
	jq -e '.findings | any(.member == "data.pkl")' <<<"$output"
}

@test "tar holding only a folder: high" {
	arc_finds tar-dir-only pickle.archive.empty high
}

@test "tar.gz, gzip, bzip2, xz truncated: high, named by their magic" {
	local s f
	for s in tar-gz-truncated:gzip gzip-truncated:gzip \
	    bzip2-truncated:bzip2 xz-truncated:xz; do
		arc_finds "${s%%:*}" pickle.archive.unreadable high
		f=${s#*:}
		jq -e --arg f "$f" '.files[0].format == $f' <<<"$output"
	done
}

@test "zip: a member whose bytes fail its CRC-32 is high" {
	arc_finds zip-crc-bad pickle.zip.bad-crc high "CRC-32"
}

@test "zip: a deflated member damaged inside is high" {
	arc_finds zip-truncated pickle.zip.bad-crc high
}

@test "zip with no member: high" {
	arc_finds zip-empty pickle.archive.empty high
}

# ---------------------------------------------------- names that leave

@test "zip slip: '..' in a zip member name is high" {
	arc_finds zip-slip pickle.zip.bad-name high "'..'"
}

@test "zip slip: an absolute, a backslash, a drive letter name is high" {
	arc_finds zip-slip-absolute pickle.zip.bad-name high "absolute"
	arc_finds zip-slip-backslash pickle.zip.bad-name high
	arc_finds zip-slip-drive pickle.zip.bad-name high "drive letter"
}

@test "zip slip: a .keras and an .npz with a member that leaves are high" {
	arc_finds keras-slip pickle.zip.bad-name high "" m.keras
	arc_finds npz-slip pickle.zip.bad-name high "" m.npz
}

@test "zip slip: a symlink member pointing outside is high" {
	arc_finds zip-symlink-out pickle.archive.link-outside high
}

@test "zip slip: a symlink to a sibling is only medium" {
	arc zip-symlink-in
	run -0 --separate-stderr pf-scan-pickle "$D/zip-symlink-in"
	jq -e '([.findings[] | select(.severity == "high")] | length == 0)
	    and any(.findings[]; .rule == "pickle.zip.symlink")' <<<"$output"
}

@test "zip slip: tar and 7z members with '..' are high" {
	arc_finds tar-slip pickle.archive.unsafe-name high "'..'"
	arc_finds p7zip-slip pickle.archive.unsafe-name high "'..'"
}

@test "zip slip: tar symlink and hard link pointing outside are high" {
	arc_finds tar-symlink-out pickle.archive.link-outside high "absolute"
	arc_finds tar-hardlink-out pickle.archive.link-outside high
}

@test "zip slip: a tar symlink that stays inside passes" {
	arc tar-symlink-in
	run -0 --separate-stderr pf-scan-pickle "$D/tar-symlink-in"
}

@test "zip slip: a zip inside a tar.gz, its member leaving, is high" {
	arc_finds nested-slip pickle.zip.bad-name high
	jq -e '.findings | any(.member == "inner.zip")' <<<"$output"
}

# ------------------------------------------------ pickles inside pickles
# Samples from tests/fixtures/gen-embed.py: an inert state_dict whose
# _metadata carries a second pickle.

# emb_finds SAMPLE ENCODING: pickle.embedded.code, critical, naming the
# path, the encoding and what the inner pickle imports
emb_finds() {
	gen_fixture embed "$1" >"$D/$1"
	run -1 --separate-stderr pf-scan-pickle "$D/$1"
	jq -e --arg enc "($2)" '.findings | any(.rule == "pickle.embedded.code"
	    and .severity == "critical" and .evidence.global == "posix.system"
	    and (.message | contains("'"'"'state_dict'"'"' → '"'"'_metadata'"'"' → '"'"'hidden'"'"'")
	        and contains($enc)))' <<<"$output"
}

@test "embedded: a pickle as bytes inside a pickle is critical, path named" {
	emb_finds pickle-bytes raw
}

@test "embedded: a pickle as base64 text inside a pickle is found" {
	emb_finds pickle-base64 base64
}

@test "embedded: a pickle as hex text inside a pickle is found" {
	emb_finds pickle-hex hex
}

@test "embedded: gzip in base64, and zlib bytes, inside a pickle are found" {
	emb_finds pickle-gzip-base64 base64
	emb_finds pickle-zlib-bytes raw
}

@test "embedded: a pickle in a pickle in a pickle is found" {
	emb_finds pickle-twice base64
}

@test "embedded: an inner pickle using only allowed globals is info" {
	gen_fixture embed pickle-inert-base64 >"$D/p"
	run -0 --separate-stderr pf-scan-pickle "$D/p"
	jq -e '.findings | length == 1 and .[0].rule == "pickle.embedded.inert"
	    and .[0].severity == "info"' <<<"$output"
}

@test "embedded: long strings that are no pickle give no finding" {
	gen_fixture embed pickle-plain-text >"$D/p"
	run -0 --separate-stderr pf-scan-pickle "$D/p"
	jq -e '.findings == []' <<<"$output"
}

@test "embedded: caps.pickle_nest 1 stops at the second hidden level" {
	gen_fixture embed pickle-twice >"$D/p"
	pf_policy '.caps.pickle_nest = 1'
	run -1 --separate-stderr pf-scan-pickle "$D/p"
	jq -e '.findings | length == 1 and .[0].rule == "pickle.embedded.code"
	    and .[0].severity == "high"
	    and (.[0].message | contains("pickle.limit.exceeded"))' <<<"$output"
}

@test "embedded: caps.pickle_embed below the string's size skips it" {
	gen_fixture embed pickle-base64 >"$D/p"
	pf_policy '.caps.pickle_embed = 16'
	run -0 --separate-stderr pf-scan-pickle "$D/p"
	jq -e '.findings == []' <<<"$output"
}
