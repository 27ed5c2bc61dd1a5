#!/usr/bin/env bats
# pf-scan-weights: every weights and config format, one malicious or
# malformed sample and one valid sample per rule, the caps at cap and cap+1.
# Fixtures come from tests/fixtures/gen-weights.py (byte by byte; ONNX and
# HDF5 through Debian's python3-onnx and python3-h5py when installed).

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	D="$BATS_TEST_TMPDIR/model"
	mkdir -p "$D"
}

# put FIXTURE FILE [ARG]: the fixture as $D/FILE
put() {
	gen_fixture weights "$1" ${3:+"$3"} >"$D/$2"
}

# A fixture that needs an optional Python module: skip with its reason.
put_optional() {
	local rc=0
	gen_fixture weights "$1" "$D/${2:-}" >"$BATS_TEST_TMPDIR/fx" \
		2>"$BATS_TEST_TMPDIR/fx.err" || rc=$?
	if [ "$rc" -eq 77 ]; then
		skip "$(cat "$BATS_TEST_TMPDIR/fx.err")"
	fi
	[ "$rc" -eq 0 ]
}

has_rule() {
	jq -e --arg r "$1" '.findings | any(.rule == $r)' <<<"$output" >/dev/null
}

# expect_rule FIXTURE FILE RULE [ARG]: the scan fails (1) naming RULE
expect_rule() {
	put "$1" "$2" "${4:-}"
	run -1 --separate-stderr pf-scan-weights "$D"
	summary_only failed
	has_rule "$3"
}

fetch_json() {
	pf_manifest "model.safetensors=$1"
}

# ------------------------------------------------------------ the tool

@test "pf-scan-weights: --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr pf-scan-weights --help
	[[ "${lines[0]}" == "usage: pf-scan-weights "* ]]
	[ -z "$stderr" ]
}

@test "pf-scan-weights: --version prints the version" {
	run -0 --separate-stderr pf-scan-weights --version
	[ "$output" = "pf-scan-weights 0.1.0" ]
}

@test "pf-scan-weights: every long option of --help is in the man page" {
	run -0 --separate-stderr pf-scan-weights --help
	opts=$(grep -oE -- '--[a-z][a-z-]+' <<<"$output" | sort -u)
	[ "$(wc -l <<<"$opts")" -eq 7 ]
	for opt in $opts; do
		grep -qF -- "Fl \\-${opt#--}" "$PF_REPO/man/pf-scan-weights.1" ||
			{ echo "man page lacks Fl \\-${opt#--}"; false; }
	done
}

@test "pf-scan-weights: an unknown option exits 2 on stderr only" {
	run -2 --separate-stderr pf-scan-weights --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-scan-weights --help'"* ]]
}

@test "pf-scan-weights: -i with paths is a usage error" {
	run -2 --separate-stderr pf-scan-weights -i fetch.json "$D"
	[ -z "$output" ]
	[[ "$stderr" == *"exclusive"* ]]
}

@test "pf-scan-weights: a truncated fetch.json on stdin exits 2 and names stdin" {
	run -2 --separate-stderr pf-scan-weights <<<'{"stage": "fetch",'
	[ -z "$output" ]
	[[ "$stderr" == "pf-scan-weights: <stdin>: "* ]]
}

@test "pf-scan-weights: a fetch.json over PF_MAX_ARTIFACT exits 2" {
	truncate -s $((64 * 1024 * 1024 + 1)) "$BATS_TEST_TMPDIR/big.json"
	run -2 --separate-stderr pf-scan-weights -i "$BATS_TEST_TMPDIR/big.json"
	[ -z "$output" ]
	[[ "$stderr" == *"PF_MAX_ARTIFACT"* ]]
}

@test "pf-scan-weights: an artifact of another stage exits 2" {
	run -2 --separate-stderr pf-scan-weights <<<'{"pathfinder_version": "0.1.0",
	    "stage": "plan", "model": {}, "findings": []}'
	[[ "$stderr" == *"expected 'fetch'"* ]]
}

@test "pf-scan-weights: a missing path exits 2" {
	run -2 --separate-stderr pf-scan-weights "$D/nope"
	[ -z "$output" ]
	[[ "$stderr" == *"nope"* ]]
}

@test "pf-scan-weights: a clean model passes with counts per file" {
	put st-ok model.safetensors
	put gguf-ok model.gguf
	put config-ok config.json
	put tokcfg-ok tokenizer_config.json
	put jinja-ok chat_template.jinja
	put readme-ok README.md
	run -0 --separate-stderr pf-scan-weights "$D"
	[ -z "$stderr" ]
	jq -e '.stage == "scan-weights" and .status == "passed"
	    and ([.findings[] | select(.severity != "info")] | length == 0)' <<<"$output"
	jq -e '.files[] | select(.path == "model.safetensors")
	    | .format == "safetensors" and .tensors == 2 and .parameters == 40
	      and .dtypes == {"BF16": 32, "F32": 8}' <<<"$output"
	jq -e '.files[] | select(.path == "model.gguf")
	    | .format == "gguf" and .tensors == 2 and .dtypes.Q4_0 == 32
	      and .architecture == "llama"' <<<"$output"
	jq -e '.totals.parameters == 80 and .totals.tensors == 4' <<<"$output"
}

@test "pf-scan-weights: reads fetch.json and copies its model" {
	put st-ok q.bin
	fetch_json "$D/q.bin" >"$BATS_TEST_TMPDIR/fetch.json"
	run -0 --separate-stderr pf-scan-weights -i "$BATS_TEST_TMPDIR/fetch.json"
	jq -e '.model.id == "acme/tiny-llama" and .files[0].path == "model.safetensors"
	    and .files[0].tensors == 2' <<<"$output"
}

@test "pf-scan-weights: findings carry file, offset, format and rule" {
	put st-trailing model.safetensors
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.status == "failed" and (.findings[0] | .file == "model.safetensors"
	    and .format == "safetensors" and .offset > 8 and .severity == "high"
	    and .rule == "weights.safetensors.trailing-bytes")' <<<"$output"
}

@test "pf-scan-weights: a symlink below a folder is reported, not followed" {
	put st-ok model.safetensors
	ln -s /etc/passwd "$D/config.json"
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings | length == 1 and (.[0] | .rule == "weights.file.symlink"
	    and .severity == "high" and .file == "config.json")' <<<"$output"
}

@test "pf-scan-weights: a FIFO below a folder is not waited on, and a finding" {
	mkfifo "$D/model.safetensors"
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.files == [{"path": "model.safetensors", "format": "not-regular", "size": 0}]
	    and (.findings | length == 1 and (.[0] | .rule == "weights.file.not-regular"
	    and .evidence.kind == "fifo"))' <<<"$output"
}

@test "pf-scan-weights: output on a full disk exits 3" {
	put st-ok model.safetensors
	run -3 --separate-stderr bash -c 'pf-scan-weights "$1" >/dev/full' _ "$D"
	[ -n "$stderr" ]
}

@test "pf-scan-weights: -o writes the artifact atomically" {
	put st-ok model.safetensors
	run -0 --separate-stderr pf-scan-weights -o "$BATS_TEST_TMPDIR/out.json" "$D"
	jq -e '.stage == "scan-weights"' "$BATS_TEST_TMPDIR/out.json"
}

@test "pf-scan-weights: reruns are byte-identical" {
	put gguf-ssti model.gguf
	put st-gap model.safetensors
	pf-scan-weights -o "$BATS_TEST_TMPDIR/a.json" "$D" || true
	pf-scan-weights -o "$BATS_TEST_TMPDIR/b.json" "$D" || true
	cmp "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/b.json"
}

# ------------------------------------------------------------ safetensors

@test "safetensors: an empty header {} is valid" {
	put st-empty model.safetensors
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.files[0].tensors == 0' <<<"$output"
}

@test "safetensors: a file shorter than 8 bytes" {
	expect_rule st-short model.safetensors weights.safetensors.bad-header-length
}

@test "safetensors: a header length past the end of the file" {
	expect_rule st-header-past-end model.safetensors weights.safetensors.bad-header-length
}

@test "safetensors: a header length of 2^64-1 is refused before allocating" {
	expect_rule st-header-huge model.safetensors weights.safetensors.bad-header-length
}

@test "safetensors: a header that is not JSON" {
	expect_rule st-bad-json model.safetensors weights.safetensors.bad-json
}

@test "safetensors: a header that is not UTF-8" {
	expect_rule st-not-utf8 model.safetensors weights.safetensors.bad-json
}

@test "safetensors: a header that does not start with {" {
	expect_rule st-no-brace model.safetensors weights.safetensors.bad-json
}

@test "safetensors: a duplicate tensor name" {
	expect_rule st-dup-tensor model.safetensors weights.safetensors.duplicate-key
}

@test "safetensors: a duplicate spelled with a \\u escape" {
	expect_rule st-dup-escaped model.safetensors weights.safetensors.duplicate-key
}

@test "safetensors: a duplicate __metadata__ key" {
	expect_rule st-dup-meta model.safetensors weights.safetensors.duplicate-key
}

@test "safetensors: a non-string __metadata__ value" {
	expect_rule st-meta-nonstring model.safetensors weights.safetensors.bad-metadata
}

@test "safetensors: an unknown dtype" {
	expect_rule st-unknown-dtype model.safetensors weights.safetensors.unknown-dtype
}

@test "safetensors: an unknown member in a tensor entry" {
	expect_rule st-unknown-member model.safetensors weights.safetensors.bad-tensor
}

@test "safetensors: shape and dtype that do not match the span" {
	expect_rule st-size-mismatch model.safetensors weights.safetensors.size-mismatch
}

@test "safetensors: a sub-byte tensor that does not fill whole bytes" {
	expect_rule st-subbyte model.safetensors weights.safetensors.size-mismatch
}

@test "safetensors: a shape whose element count overflows" {
	expect_rule st-overflow model.safetensors weights.safetensors.size-overflow
}

@test "safetensors: a negative dimension" {
	expect_rule st-negative model.safetensors weights.safetensors.bad-tensor
}

@test "safetensors: a gap between tensors" {
	expect_rule st-gap model.safetensors weights.safetensors.bad-offsets
}

@test "safetensors: overlapping tensors" {
	expect_rule st-overlap model.safetensors weights.safetensors.bad-offsets
}

@test "safetensors: a first tensor not at offset 0" {
	expect_rule st-not-at-zero model.safetensors weights.safetensors.bad-offsets
}

@test "safetensors: a tensor past the end of the file" {
	expect_rule st-past-end model.safetensors weights.safetensors.out-of-bounds
}

@test "safetensors: bytes after the last tensor (a hidden zip)" {
	expect_rule st-trailing model.safetensors weights.safetensors.trailing-bytes
}

@test "safetensors: PF_MAX_TENSOR_RANK dimensions pass" {
	put st-rank model.safetensors 64
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "safetensors: PF_MAX_TENSOR_RANK + 1 dimensions fail" {
	expect_rule st-rank model.safetensors weights.safetensors.bad-tensor 65
}

@test "safetensors: caps.st_tensors tensors pass" {
	pf_policy '.caps.st_tensors = 3'
	put st-many model.safetensors 3
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "safetensors: caps.st_tensors + 1 tensors fail" {
	pf_policy '.caps.st_tensors = 3'
	expect_rule st-many model.safetensors weights.safetensors.too-many-tensors 4
}

@test "safetensors: a header of caps.st_header bytes passes" {
	pf_policy '.caps.st_header = 200'
	put st-header-size model.safetensors 200
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "safetensors: a header of caps.st_header + 1 bytes fails" {
	pf_policy '.caps.st_header = 200'
	expect_rule st-header-size model.safetensors weights.safetensors.bad-header-length 201
}

# ------------------------------------------------------- sharded models

@test "sharded: an index that agrees with its shards passes" {
	gen_fixture weights dir-sharded "$D"
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.totals.tensors == 4 and .totals.parameters == 12' <<<"$output"
}

@test "sharded: metadata.total_size as the shards' bytes, integer or float, passes" {
	gen_fixture weights dir-sharded "$D"
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
	rm -r "$D" && gen_fixture weights dir-sharded-total-float "$D"
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "sharded: metadata.total_size other than the shards' tensor bytes is medium" {
	gen_fixture weights dir-sharded-total-size "$D"
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings | length == 1 and (.[0] | .rule == "weights.safetensors.index-total-size"
	    and .severity == "medium" and .file == "model.safetensors.index.json"
	    and .evidence.text == "24" and (.message | contains("hold 36")))' <<<"$output"
}

@test "sharded: a metadata.total_size that is not a number" {
	gen_fixture weights dir-sharded-total-string "$D"
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.safetensors.index-total-size"
	    and .message == "metadata.total_size is not a byte count"' <<<"$output"
}

@test "sharded: a shard the index names is missing" {
	gen_fixture weights dir-sharded-missing-shard "$D"
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.safetensors.index-mismatch
}

@test "sharded: the index lists a tensor no shard holds" {
	gen_fixture weights dir-sharded-extra-tensor "$D"
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.safetensors.index-mismatch
}

@test "sharded: a shard holds a tensor the index does not list" {
	gen_fixture weights dir-sharded-unlisted "$D"
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0].evidence.text == "b.bias"' <<<"$output"
}

@test "sharded: the index places a tensor in the wrong shard" {
	gen_fixture weights dir-sharded-moved "$D"
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.safetensors.index-mismatch
}

# ------------------------------------------------------ polyglots, liars

@test "liar: a .safetensors that is a zip" {
	put st-is-zip model.safetensors
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0].rule == "weights.file.format-mismatch"
	    and .files[0].format == "zip"' <<<"$output"
}

@test "liar: a .safetensors that is a pickle" {
	expect_rule st-is-pickle model.safetensors weights.file.format-mismatch
}

@test "liar: a config.json that is binary" {
	expect_rule config-binary config.json weights.file.format-mismatch
}

@test "liar: a .npy that is a pickle" {
	expect_rule npy-is-pickle weights.npy weights.file.format-mismatch
}

@test "liar: a .gguf that is a zip" {
	expect_rule gguf-is-zip model.gguf weights.file.format-mismatch
}

# ------------------------------------------------------------------ GGUF

@test "gguf: bad magic" {
	expect_rule gguf-bad-magic model.gguf weights.gguf.bad-magic
}

@test "gguf: a big-endian file is refused" {
	expect_rule gguf-big-endian model.gguf weights.gguf.unsupported-version
}

@test "gguf: version 1 is refused" {
	expect_rule gguf-v1 model.gguf weights.gguf.unsupported-version
}

@test "gguf: a truncated file" {
	expect_rule gguf-truncated model.gguf weights.gguf.truncated
}

@test "gguf: a key count the file cannot hold" {
	expect_rule gguf-huge-kv-count model.gguf weights.gguf.truncated
}

@test "gguf: a string length past the end" {
	expect_rule gguf-huge-string model.gguf weights.gguf.truncated
}

@test "gguf: an array whose length times element size overflows" {
	expect_rule gguf-huge-array model.gguf weights.gguf.truncated
}

@test "gguf: nested arrays are walked" {
	put gguf-nested-array model.gguf
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "gguf: an unknown value type" {
	expect_rule gguf-bad-value-type model.gguf weights.gguf.bad-value-type
}

@test "gguf: a BOOL that is neither 0 nor 1" {
	expect_rule gguf-bad-bool model.gguf weights.gguf.bad-value
}

@test "gguf: a duplicate key" {
	expect_rule gguf-dup-key model.gguf weights.gguf.duplicate-key
}

@test "gguf: an alignment that is not a power of two" {
	expect_rule gguf-bad-alignment model.gguf weights.gguf.bad-alignment
}

@test "gguf: an unaligned tensor offset" {
	expect_rule gguf-unaligned model.gguf weights.gguf.bad-offset
}

@test "gguf: overlapping tensors" {
	expect_rule gguf-overlap model.gguf weights.gguf.bad-offset
}

@test "gguf: tensor data past the end of the file" {
	expect_rule gguf-past-end model.gguf weights.gguf.out-of-bounds
}

@test "gguf: a retired ggml type" {
	expect_rule gguf-unknown-type model.gguf weights.gguf.unknown-type
}

@test "gguf: more than 4 dimensions" {
	expect_rule gguf-dims model.gguf weights.gguf.bad-tensor
}

@test "gguf: a duplicate tensor name" {
	expect_rule gguf-dup-tensor model.gguf weights.gguf.duplicate-tensor
}

@test "gguf: a row shorter than the type's block" {
	expect_rule gguf-block model.gguf weights.gguf.bad-tensor
}

@test "gguf: caps.gguf_kv keys pass" {
	pf_policy '.caps.gguf_kv = 3'
	put gguf-kv model.gguf 3
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "gguf: caps.gguf_kv + 1 keys fail" {
	pf_policy '.caps.gguf_kv = 3'
	expect_rule gguf-kv model.gguf weights.gguf.too-many-keys 4
}

@test "gguf: caps.gguf_tensors tensors pass" {
	pf_policy '.caps.gguf_tensors = 3'
	put gguf-tensors model.gguf 3
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "gguf: caps.gguf_tensors + 1 tensors fail" {
	pf_policy '.caps.gguf_tensors = 3'
	expect_rule gguf-tensors model.gguf weights.gguf.too-many-tensors 4
}

@test "gguf: the chat template SSTI of CVE-2024-34359 is critical" {
	put gguf-ssti model.gguf
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[] | select(.rule == "weights.template.dunder")
	    | .severity == "critical" and .member == "tokenizer.chat_template"
	      and .format == "gguf" and .offset > 0' <<<"$output"
}

@test "gguf: named chat templates are scanned too" {
	put gguf-ssti-named model.gguf
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0].member == "tokenizer.chat_template.tool_use"' <<<"$output"
}

@test "gguf: a template of caps.template bytes is scanned" {
	pf_policy '.caps.template = 100'
	put gguf-template-size model.gguf 100
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "gguf: a template of caps.template + 1 bytes is a finding" {
	pf_policy '.caps.template = 100'
	expect_rule gguf-template-size model.gguf weights.template.too-large 101
}

@test "gguf: the reader agrees with @huggingface/gguf" {
	# Hugging Face's own GGUF parser, from the npm registry; installed by
	# hand or by CI (npm install --prefix tests @huggingface/gguf), never here
	command -v node >/dev/null || skip "node is not installed"
	local nm="${PF_NODE_MODULES:-$PF_REPO/tests/node_modules}" f ours
	[ -d "$nm/@huggingface/gguf" ] || skip "@huggingface/gguf is not installed in $nm"
	for f in gguf-ok gguf-ssti gguf-nested-array; do
		rm -f "$D"/*
		put "$f" model.gguf
		run --separate-stderr pf-scan-weights "$D"
		ours="$output"
		run -0 --separate-stderr env NODE_PATH="$nm" \
			node "$PF_REPO/tests/fixtures/gguf-cross.mjs" "$D/model.gguf"
		jq -e --argjson o "$ours" '($o.files[0]) as $f | .tensors == $f.tensors
		    and .parameters == $f.parameters and .dtypes == $f.dtypes
		    and .architecture == $f.architecture' <<<"$output"
	done
}

# ------------------------------------------------------- chat templates

@test "template: a benign chat template passes" {
	put jinja-ok chat_template.jinja
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "template: tools, dates, reasoning and role checks of real templates pass" {
	put jinja-real chat_template.jinja
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "template: Llama 3's strftime_now(\"%c\") date is not a built name" {
	put jinja-strftime chat_template.jinja
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "template: strftime_now in tokenizer_config.json passes" {
	put tokcfg-strftime tokenizer_config.json
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "template: constructs of Gemma, Mistral, Qwen2 and Llama 3 templates pass" {
	put jinja-real-2 chat_template.jinja
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "template: '%c' % 95 building underscores is a built name" {
	expect_rule jinja-percent-c chat_template.jinja weights.template.built-name
}

@test "template: '%c'|format(95) is a built name" {
	expect_rule jinja-percent-c-filter chat_template.jinja weights.template.built-name
}

@test "template: a strftime_now the template defines itself gets no pass" {
	put jinja-strftime-rebound chat_template.jinja
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '[.findings[].rule] == ["weights.template.built-name"]
	    and .findings[0].evidence.text == "%c"' <<<"$output"
}

@test "template: dunder walks are critical" {
	expect_rule jinja-ssti chat_template.jinja weights.template.dunder
}

@test "template: os.popen is code execution" {
	expect_rule jinja-os chat_template.jinja weights.template.code-execution
}

@test "template: cycler and joiner gadgets" {
	expect_rule jinja-gadget-only chat_template.jinja weights.template.gadget
}

@test "template: the attr filter" {
	expect_rule jinja-attr chat_template.jinja weights.template.attr-filter
}

@test "template: escaped strings hiding underscores" {
	expect_rule jinja-obfuscated chat_template.jinja weights.template.obfuscated-string
}

@test "template: names built from underscore pieces" {
	expect_rule jinja-built chat_template.jinja weights.template.built-name
}

@test "template: a '<__media__>' marker string is not a dunder" {
	put jinja-marker chat_template.jinja
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "template: prompt injection in a template is medium" {
	put jinja-inject chat_template.jinja
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.text.prompt-injection"
	    and .severity == "medium"' <<<"$output"
}

@test "template: tokenizer_config.json chat_template lists are scanned" {
	expect_rule tokcfg-ssti tokenizer_config.json weights.template.dunder
}

@test "template: a .jinja of caps.template bytes passes" {
	pf_policy '.caps.template = 100'
	put jinja-size chat_template.jinja 100
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "template: a .jinja of caps.template + 1 bytes is not scanned" {
	pf_policy '.caps.template = 100'
	expect_rule jinja-size chat_template.jinja weights.file.too-large 101
}

# ---------------------------------------------------- configs and cards

@test "config: a plain config passes, naming its base repository" {
	put config-ok config.json
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.config.external-repo"
	    and .severity == "info" and .evidence.text == "meta-llama/Llama-3.2-1B"' <<<"$output"
}

@test "config: auto_map needs remote code" {
	expect_rule config-auto-map config.json weights.config.auto-map
}

@test "config: auto_map into another repository" {
	expect_rule config-remote-repo config.json weights.config.remote-code-repo
}

@test "config: trust_remote_code" {
	expect_rule config-trust config.json weights.config.trust-remote-code
}

@test "config: custom pipelines" {
	expect_rule config-pipeline config.json weights.config.custom-pipeline
}

@test "config: tokenizer auto_map" {
	expect_rule tokcfg-auto-map tokenizer_config.json weights.config.auto-map
}

@test "config: duplicate keys are a malformed file" {
	expect_rule config-dup config.json weights.config.bad-json
}

@test "config: a config of caps.config bytes passes" {
	pf_policy '.caps.config = 100'
	put config-size config.json 100
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "config: a config of caps.config + 1 bytes is not scanned" {
	pf_policy '.caps.config = 100'
	expect_rule config-size config.json weights.file.too-large 101
}

@test "config: weights.severity lowers a rule below fail_on" {
	pf_policy '.weights.severity["weights.config.auto-map"] = "low"'
	put config-auto-map config.json
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0].severity == "low"' <<<"$output"
}

@test "model card: prompt injection is medium" {
	put readme-inject README.md
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '[.findings[] | select(.rule == "weights.text.prompt-injection")]
	    | length >= 3 and all(.severity == "medium")' <<<"$output"
}

@test "model card: a plain card has no findings" {
	put readme-ok README.md
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "model card: weights.prompt_injection false turns the search off" {
	pf_policy '.weights.prompt_injection = false'
	put readme-inject README.md
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "model card: a card of caps.text_scan bytes is scanned" {
	pf_policy '.caps.text_scan = 100'
	put jinja-size README.md 100
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "model card: a card of caps.text_scan + 1 bytes is not scanned" {
	pf_policy '.caps.text_scan = 100'
	expect_rule jinja-size README.md weights.file.too-large 101
}

# ----------------------------------------------------------------- NumPy

@test "npy: a plain array passes with its count" {
	put npy-ok a.npy
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.files[0] | .format == "npy" and .parameters == 12
	    and .dtypes["<f4"] == 12' <<<"$output"
}

@test "npy: version 2 headers" {
	put npy-v2 a.npy
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "npy: an object dtype means a pickle" {
	expect_rule npy-object a.npy weights.npy.object-dtype
}

@test "npy: the pickle of an object array goes through the pickle machine" {
	put npy-object a.npy
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[] | select(.rule == "pickle.global.not-allowed")
	    | .severity == "critical" and .evidence.text == "posix.system"
	      and .format == "npy" and .offset > 128' <<<"$output"
}

@test "npy: numpy's own object array pickle has no pickle finding" {
	put_optional npy-object-benign
	cp "$BATS_TEST_TMPDIR/fx" "$D/a.npy"
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '[.findings[].rule] == ["weights.npy.object-dtype"]' <<<"$output"
}

@test "npy: an object field in a structured dtype" {
	expect_rule npy-structured-object a.npy weights.npy.object-dtype
}

@test "npy: a header that is code, not a literal" {
	expect_rule npy-bad-header a.npy weights.npy.bad-header
}

@test "npy: data shorter than the shape" {
	expect_rule npy-size-mismatch a.npy weights.npy.size-mismatch
}

@test "npy: a header of caps.npy_header bytes passes" {
	pf_policy '.caps.npy_header = 128'
	put npy-header-size a.npy 128
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "npy: a header of caps.npy_header + 1 bytes fails" {
	pf_policy '.caps.npy_header = 128'
	expect_rule npy-header-size a.npy weights.npy.header-too-large 129
}

@test "npz: plain members pass" {
	put npz-ok a.npz
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.files[0] | .format == "npz" and .tensors == 2 and .parameters == 5' <<<"$output"
}

@test "npz: an object member names the member" {
	put npz-object a.npz
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.npy.object-dtype"
	    and .member == "evil.npy"' <<<"$output"
	jq -e '.findings[1] | .rule == "pickle.global.not-allowed"
	    and .member == "evil.npy"' <<<"$output"
}

@test "npz: a member name with '..'" {
	expect_rule npz-traversal a.npz weights.zip.unsafe-name
}

@test "npz: caps.zip_members members pass" {
	pf_policy '.caps.zip_members = 3'
	put npz-members a.npz 3
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "npz: caps.zip_members + 1 members fail" {
	pf_policy '.caps.zip_members = 3'
	expect_rule npz-members a.npz weights.zip.too-many-members 4
}

# ----------------------------------------------------------------- Keras

@test "keras: a plain model passes" {
	put keras-ok m.keras
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.files[0].format == "keras" and .findings == []' <<<"$output"
}

@test "keras: a Lambda layer is critical" {
	put keras-lambda m.keras
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.keras.lambda" and .severity == "critical"
	    and .member == "config.json" and .evidence.text == "evil"' <<<"$output"
}

@test "keras: a Lambda inside a wrapped nested model" {
	expect_rule keras-nested-lambda m.keras weights.keras.lambda
}

@test "keras: a config importing os (CVE-2025-1550)" {
	expect_rule keras-module m.keras weights.keras.unsafe-call
}

@test "keras: a config turning safe mode off" {
	expect_rule keras-unsafe m.keras weights.keras.unsafe-call
}

@test "keras: a custom module outside Keras" {
	expect_rule keras-custom m.keras weights.keras.custom-module
}

@test "keras: a config with duplicate keys" {
	expect_rule keras-bad-config m.keras weights.keras.bad-config
}

@test "keras: an unexpected member is low" {
	put keras-extra m.keras
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.keras.unexpected-member"
	    and .member == "run.py"' <<<"$output"
}

@test "h5: a Lambda in a byte-by-byte HDF5 file (superblock 0)" {
	put h5-raw-lambda model.h5 2
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.keras.lambda"
	    and .member == "model_config" and .evidence.text == "evil"' <<<"$output"
}

@test "h5: caps.h5_messages messages are walked" {
	pf_policy '.caps.h5_messages = 5'
	put h5-raw-lambda model.h5 5
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '[.findings[].rule] == ["weights.keras.lambda"]
	    and .findings[0].member == "model_config"' <<<"$output"
}

@test "h5: caps.h5_messages + 1 messages make the file unreadable" {
	pf_policy '.caps.h5_messages = 5'
	put h5-raw-lambda model.h5 6
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[] | select(.rule == "weights.keras.h5-unreadable")
	    | .message | contains("PF_MAX_H5_MESSAGES")' <<<"$output"
}

@test "h5: a legacy model without Lambda passes" {
	put_optional h5-ok
	cp "$BATS_TEST_TMPDIR/fx" "$D/model.h5"
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.files[0].format == "hdf5" and .findings == []' <<<"$output"
}

@test "h5: a Lambda in model_config (fixed-length string)" {
	put_optional h5-lambda
	cp "$BATS_TEST_TMPDIR/fx" "$D/model.h5"
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.keras.lambda"
	    and .member == "model_config" and .offset > 0' <<<"$output"
}

@test "h5: a Lambda in model_config (variable-length string)" {
	put_optional h5-vlen-lambda
	cp "$BATS_TEST_TMPDIR/fx" "$D/model.h5"
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.keras.lambda
}

@test "h5: a Lambda in a latest-format file (superblock v3, OHDR)" {
	put_optional h5-latest-lambda
	cp "$BATS_TEST_TMPDIR/fx" "$D/model.h5"
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.keras.lambda
}

@test "h5: a weights-only file has nothing to report" {
	put_optional h5-weights-only
	cp "$BATS_TEST_TMPDIR/fx" "$D/model.h5"
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

# ------------------------------------------------------------------ ONNX

@test "onnx: a plain model passes with its initializers" {
	put_optional dir-onnx-plain
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.files[0] | .format == "onnx" and .tensors == 1 and .parameters == 4
	    and .dtypes.F32 == 4' <<<"$output"
}

@test "onnx: external data inside the folder passes" {
	put_optional dir-onnx-ext-ok
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}

@test "onnx: external data with '..' (CVE-2022-25882)" {
	put_optional dir-onnx-ext-traversal
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.onnx.external-data-path"
	    and .severity == "critical" and .evidence.text == "../../../etc/passwd"' <<<"$output"
}

@test "onnx: an absolute external data location" {
	put_optional dir-onnx-ext-abs
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.onnx.external-data-path
}

@test "onnx: an external data file that is a symlink" {
	put_optional dir-onnx-ext-symlink
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.onnx.external-data-link
}

@test "onnx: an external data range past its file" {
	put_optional dir-onnx-ext-range
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.onnx.external-data-range
}

@test "onnx: traversal hidden in an If subgraph, with backslashes" {
	put_optional dir-onnx-subgraph
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.onnx.external-data-path
}

@test "onnx: a backslash in a location is named as such, not as a symlink" {
	put_optional dir-onnx-ext-backslash
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings | length == 1 and (.[0] | .rule == "weights.onnx.external-data-path"
	    and .severity == "high" and .evidence.text == "sub\\weights.bin"
	    and (.message | contains("backslash")) and (.message | contains("symlink") | not))' <<<"$output"
}

@test "onnx: a '.' component in a location is named as such" {
	put_optional dir-onnx-ext-dot
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.onnx.external-data-path"
	    and (.message | endswith("'"'"'.'"'"' component"))' <<<"$output"
}

@test "onnx: a custom operator domain is medium" {
	put_optional dir-onnx-custom
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings[0] | .rule == "weights.onnx.custom-domain"
	    and .evidence.text == "com.evil.ops"' <<<"$output"
}

@test "onnx: bytes that are not protobuf" {
	printf '\x0f\xff\xff' >"$D/model.onnx"
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.onnx.malformed
}

# ------------------------------------------------------------ TensorFlow

@test "tf: a SavedModel with only its saver passes" {
	put tf-ok saved_model.pb
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.files[0].format == "tf-saved-model" and .findings == []' <<<"$output"
}

@test "tf: ReadFile is high" {
	expect_rule tf-readfile saved_model.pb weights.tf.file-op
}

@test "tf: EagerPyFunc inside a function is critical" {
	expect_rule tf-pyfunc saved_model.pb weights.tf.python-op
}

@test "tf: SaveV2 outside the saver is reported" {
	expect_rule tf-savev2 saved_model.pb weights.tf.file-op
}

@test "tf: malformed protobuf" {
	expect_rule tf-malformed saved_model.pb weights.tf.malformed
}

@test "tf: a file of caps.protobuf bytes is scanned" {
	put tf-ok saved_model.pb
	pf_policy ".caps.protobuf = $(stat -c %s "$D/saved_model.pb")"
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "tf: a file of caps.protobuf + 1 bytes is not" {
	put tf-ok saved_model.pb
	pf_policy ".caps.protobuf = $(($(stat -c %s "$D/saved_model.pb") - 1))"
	run -1 --separate-stderr pf-scan-weights "$D"
	has_rule weights.tf.too-large
}

# ------------------------------------------- archives: fail closed, slip
# Samples from tests/fixtures/gen-archive.py.

# arc SAMPLE FILE: the archive sample as $D/FILE
arc() {
	local rc=0
	gen_fixture archive "$1" >"$D/$2" || rc=$?
	if [ "$rc" -eq 77 ]; then
		skip "sample $1 needs a writer that is not installed"
	fi
	[ "$rc" -eq 0 ]
}

# arc_finds SAMPLE FILE RULE [TEXT]: exit 1, a high finding of RULE on
# FILE whose message holds TEXT
arc_finds() {
	rm -rf "$D"
	mkdir -p "$D"
	arc "$1" "$2"
	run -1 --separate-stderr pf-scan-weights "$D"
	summary_only failed
	jq -e --arg f "$2" --arg r "$3" --arg t "${4:-}" '.status == "failed"
	    and (.findings | any(.file == $f and .rule == $r and
	    .severity == "high" and (.message | contains($t))))' <<<"$output"
}

@test "archives: a 7z by py7zr is read to its end and passes" {
	arc py7zr-default model.7z
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.files[0].format == "7z"' <<<"$output"
}

@test "archives: 7z solid and non-solid by p7zip pass" {
	arc p7zip-solid a.7z
	arc p7zip-nonsolid b.7z
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "archives: encrypted 7z members are high" {
	arc_finds py7zr-encrypted model.7z weights.archive.encrypted
	arc_finds p7zip-encrypted model.7z weights.archive.encrypted
}

@test "archives: a 7z with an encrypted header is high, libarchive's reason" {
	arc_finds py7zr-encrypted-header model.7z weights.archive.unreadable \
	    "header is encrypted"
	arc_finds p7zip-encrypted-header model.7z weights.archive.unreadable \
	    "header is encrypted"
}

@test "archives: truncated 7z, tar, tar.gz, gzip, bzip2, xz are high" {
	local s
	for s in p7zip-truncated:m.7z py7zr-truncated:n.7z \
	    tar-truncated:m.tar tar-gz-truncated:m.tar.gz \
	    gzip-truncated:m.gz bzip2-truncated:m.bz2 xz-truncated:m.xz; do
		arc_finds "${s%%:*}" "${s#*:}" weights.archive.unreadable
	done
}

@test "archives: a 7z declaring more files than it holds is high" {
	arc_finds p7zip-count-lies m.7z weights.archive.unreadable "Damaged"
}

@test "archives: members failing their CRC are high, named" {
	arc_finds p7zip-data-damaged m.7z weights.archive.unreadable "CRC"
	jq -e '.findings | any(.member == "data.pkl")' <<<"$output"
	arc_finds zip-crc-bad m.zip weights.archive.unreadable "CRC"
}

@test "archives: an empty 7z, zip and a folder-only tar are high" {
	arc_finds p7zip-empty m.7z weights.archive.empty
	arc_finds zip-empty m.zip weights.archive.unreadable
	arc_finds tar-dir-only m.tar weights.archive.empty
}

@test "zip slip: a generic .zip with '../../../etc/evil.txt' is high" {
	arc_finds zip-slip files.zip weights.archive.unsafe-name "'..'"
	jq -e '.findings | any(.member == "../../../etc/evil.txt")' <<<"$output"
}

@test "zip slip: absolute, backslash and drive-letter names are high" {
	arc_finds zip-slip-absolute a.zip weights.archive.unsafe-name absolute
	arc_finds zip-slip-backslash b.zip weights.archive.unsafe-name
	arc_finds zip-slip-drive c.zip weights.archive.unsafe-name drive
}

@test "zip slip: .keras and .npz members that leave are high" {
	arc_finds keras-slip model.keras weights.zip.unsafe-name
	arc_finds npz-slip arrays.npz weights.zip.unsafe-name
}

@test "zip slip: tar and 7z members with '..' are high" {
	arc_finds tar-slip saved_model.tar weights.archive.unsafe-name
	arc_finds p7zip-slip m.7z weights.archive.unsafe-name
}

@test "zip slip: links pointing outside are high, inside pass" {
	arc_finds zip-symlink-out m.zip weights.archive.link-outside
	arc_finds tar-symlink-out m.tar weights.archive.link-outside absolute
	arc_finds tar-hardlink-out n.tar weights.archive.link-outside
	rm -rf "$D"
	mkdir -p "$D"
	arc tar-symlink-in m.tar
	arc zip-symlink-in m.zip
	run -0 --separate-stderr pf-scan-weights "$D"
}

@test "zip slip: a zip inside a SavedModel tar.gz is read, its slip high" {
	arc_finds nested-slip saved_model.tar.gz weights.archive.unsafe-name
	jq -e '.findings | any(.member == "inner.zip!../../evil.txt")' \
	    <<<"$output"
}

# ------------------------------------------------- JSON numbers past 64 bits

@test "json: tokenizer_config.json with model_max_length int(1e30) passes" {
	put tokcfg-bigint tokenizer_config.json
	grep -q '"model_max_length": 1000000000000000019884624838656' \
	    "$D/tokenizer_config.json"
	run -0 --separate-stderr pf-scan-weights "$D"
	[ -z "$stderr" ]
	jq -e '.findings == []' <<<"$output"
}

@test "json: a malicious chat template beside int(1e30) is still analysed" {
	expect_rule tokcfg-bigint-ssti tokenizer_config.json weights.template.dunder
	jq -e 'all(.findings[]; .rule != "weights.config.bad-json")' <<<"$output"
}

@test "json: an index total_size past 64 bits is no byte count, not bad JSON" {
	gen_fixture weights dir-sharded-total-size "$D"
	sed -i 's/"total_size": 24/"total_size": 1000000000000000019884624838656/' \
	    "$D/model.safetensors.index.json"
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings | length == 1 and (.[0] | .rule ==
	    "weights.safetensors.index-total-size" and
	    .message == "metadata.total_size is not a byte count")' <<<"$output"
}

@test "json: a safetensors offset past 64 bits is refused, not a crash" {
	local h='{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 100000000000000000000000000000]}}'
	printf '%s' "$h" | python3 -c 'import sys, struct
h = sys.stdin.buffer.read()
sys.stdout.buffer.write(struct.pack("<Q", len(h)) + h + b"\0" * 4)' >"$D/model.safetensors"
	run -1 --separate-stderr pf-scan-weights "$D"
	summary_only failed
	jq -e '.findings | any(.file == "model.safetensors" and .severity == "high"
	    and (.rule | startswith("weights.safetensors.")))' <<<"$output"
}

# --------------------------- pickles hidden in strings, code in metadata
# Samples from tests/fixtures/gen-embed.py.

# emb SAMPLE FILE: the sample as $D/FILE
emb() {
	gen_fixture embed "$1" >"$D/$2"
}

@test "embedded: a base64 pickle in safetensors __metadata__ is critical" {
	emb st-pickle-base64 model.safetensors
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings | any(.rule == "weights.embedded-pickle.code"
	    and .severity == "critical" and .member == "__metadata__ → '"'"'hidden'"'"'"
	    and (.message | contains("(base64)") and contains("posix.system")))' \
	    <<<"$output"
}

@test "embedded: a bzip2 pickle as hex in __metadata__ is found" {
	emb st-pickle-bz2-hex model.safetensors
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings | any(.rule == "weights.embedded-pickle.code"
	    and (.message | contains("(hex)")))' <<<"$output"
}

@test "embedded: an inert pickle in __metadata__ is info only" {
	emb st-pickle-inert model.safetensors
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings | length == 1 and .[0].rule ==
	    "weights.embedded-pickle.inert" and .[0].severity == "info"' <<<"$output"
}

@test "embedded: pickles in config.json values (base64, latin-1) are found" {
	emb config-pickle-base64 config.json
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings | any(.rule == "weights.embedded-pickle.code"
	    and .member == "config.json → '"'"'auto'"'"'[0] → '"'"'blob'"'"'")' <<<"$output"
	emb config-pickle-latin1 config.json
	run -1 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings | any(.rule == "weights.embedded-pickle.code"
	    and (.message | contains("(latin-1)")))' <<<"$output"
}

@test "metadata: shell, Python and <script> are medium, a URL low, never high" {
	emb st-code model.safetensors
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '[.findings[] | select(.rule == "weights.safetensors.metadata-code")
	    | .member] == ["__metadata__ → '"'"'card'"'"'",
	    "__metadata__ → '"'"'hook'"'"'", "__metadata__ → '"'"'setup'"'"'"]
	    and all(.findings[]; .severity == "medium" or .severity == "low")
	    and any(.findings[]; .rule == "weights.safetensors.metadata-url"
	    and .severity == "low" and (.message | contains("'"'"'source'"'"'")))' \
	    <<<"$output"
}

@test "metadata: plain labels give no finding" {
	emb st-plain model.safetensors
	run -0 --separate-stderr pf-scan-weights "$D"
	jq -e '.findings == []' <<<"$output"
}
