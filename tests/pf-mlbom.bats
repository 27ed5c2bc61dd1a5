#!/usr/bin/env bats
# pf-mlbom: the CycloneDX 1.6 ML-BOM of the local Hub's models, validated
# against the official schema (tests/schema) with ajv-cli.

setup_file() {
	load helpers
	hub_build
	hub_start
}

teardown_file() {
	load helpers
	hub_stop
}

setup() {
	load helpers
	run_dir="$BATS_TEST_TMPDIR/run"
	mkdir -p "$run_dir"
}

stages() { pf_run_stages "$1" "$run_dir" gate; }

# validate BOM: the official schema, offline; skips (saying why) without ajv.
validate() {
	local ajv="$PF_REPO/tests/node_modules/.bin/ajv" s="$PF_REPO/tests/schema"
	[ -x "$ajv" ] || skip "ajv-cli is not installed (make deps installs it where npm is present)"
	"$ajv" validate --spec=draft7 --strict=false -c ajv-formats \
	    -s "$s/bom-1.6.schema.json" -r "$s/spdx.schema.json" \
	    -r "$s/jsf-0.82.schema.json" -d "$1"
}

# What the schema cannot check: unique bom-refs, refs that resolve.
refs_ok() {
	jq -e '
	    ([.metadata.component."bom-ref"] + [.components[]."bom-ref"]) as $refs
	    | ($refs | length) == ($refs | unique | length)
	    and all(.dependencies[]; (.ref as $r | $refs | index($r)) != null)
	    and all(.dependencies[].dependsOn[]; . as $d | $refs | index($d) != null)
	    and all(.dependencies[]; (.dependsOn | length) == (.dependsOn | unique | length))
	    and (.serialNumber | test("^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"))' "$1"
}

@test "pf-mlbom: --help prints the synopsis on stdout and exits 0" {
	run -0 --separate-stderr pf-mlbom --help
	[[ "${lines[0]}" == "usage: pf-mlbom "* ]]
}

@test "pf-mlbom: --version names the tool" {
	run -0 pf-mlbom --version
	[ "$output" = "pf-mlbom 0.1.0" ]
}

@test "pf-mlbom: an unknown option is a usage error" {
	run -2 --separate-stderr pf-mlbom --frobnicate
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-mlbom --help'"* ]]
}

@test "pf-mlbom: every fixture model's ML-BOM validates against CycloneDX 1.6 and its refs resolve" {
	for m in demo/tiny-gpt trusted-org/small-bert helpful-ai/custom-model olduser/pickle-only acme/sharded; do
		rm -rf "$run_dir"; mkdir -p "$run_dir"
		stages "$m"
		run -0 pf-mlbom --run "$run_dir" -o "$run_dir/mlbom.json"
		validate "$run_dir/mlbom.json"
		refs_ok "$run_dir/mlbom.json"
		jq -e --arg m "$m" '.metadata.component.type == "machine-learning-model"
		    and (.metadata.component.group + "/" + .metadata.component.name) == $m' "$run_dir/mlbom.json"
	done
}

@test "pf-mlbom: the model component: purl, commit, card, task, architecture, provenance" {
	stages demo/tiny-gpt
	run -0 pf-mlbom --run "$run_dir" -o "$run_dir/mlbom.json"
	c=$(commit_of() { jq -r .model.commit "$run_dir/plan.json"; }; commit_of)
	port=${HF_ENDPOINT##*:}
	jq -e --arg c "$c" --arg p "$port" '.metadata.component as $m
	    | $m.version == $c
	    and $m.purl == "pkg:huggingface/demo/tiny-gpt@\($c)?repository_url=http:%2F%2F127.0.0.1:\($p)"
	    and $m."bom-ref" == $m.purl
	    and $m.modelCard.modelParameters.task == "text-generation"
	    and $m.modelCard.modelParameters.architectureFamily == "gpt2"
	    and $m.modelCard.modelParameters.modelArchitecture == "GPT2LMHeadModel"
	    and ([$m.properties[] | {(.name): .value}] | add) as $p
	    | $p["pathfinder:gate_decision"] == "passed" and $p["pathfinder:enforcement_mode"] == "enforce"
	    and $p["pathfinder:scan-pickle"] == "passed" and $p["pathfinder:commit_signature"] == "not-required"
	    and $p["pathfinder:download_time"] != null
	    and any($m.externalReferences[]; .type == "distribution" and (.url | endswith("/demo/tiny-gpt/tree/\($c)")))' \
	    "$run_dir/mlbom.json"
}

@test "pf-mlbom: one component per file, each SHA-256 the file's, and the locked libraries" {
	stages demo/tiny-gpt
	run -0 pf-mlbom --run "$run_dir" -o "$run_dir/mlbom.json"
	v=$(jq -r .gate.verified.path "$run_dir/gate.json")
	[ "$(jq '[.components[] | select(.type == "file")] | length' "$run_dir/mlbom.json")" = \
	    "$(jq '.files | length' "$run_dir/fetch.json")" ]
	while read -r name sha; do
		[ "$(sha256sum <"$v/$name" | cut -d' ' -f1)" = "$sha" ]
	done < <(jq -r '.components[] | select(.type == "file") | "\(.name) \(.hashes[0].content)"' "$run_dir/mlbom.json")
	jq -e '[.components[] | select(.type == "library") | .purl] | sort
	    == ["pkg:pypi/safetensors@0.4.0", "pkg:pypi/torch@2.1.0", "pkg:pypi/transformers@4.36.0"]' "$run_dir/mlbom.json"
}

@test "pf-mlbom: per-file signatures and the root digest come from sign.json" {
	stages demo/tiny-gpt
	jq '{pathfinder_version, stage: "sign", generated_at, model, status: "passed", findings: [],
	    root_digest: "'"$(printf r | sha256sum | cut -c1-64)"'", signature_path: "/v/model.sig",
	    key: {fingerprint: "abcd"},
	    files: [.files[] | {path, size, sha256, signature: "c2ln"}]}' "$run_dir/fetch.json" >"$run_dir/sign.json"
	run -0 pf-mlbom --run "$run_dir" -o "$run_dir/mlbom.json"
	validate "$run_dir/mlbom.json"
	jq -e 'all(.components[] | select(.type == "file"); any(.properties[]; .name == "pathfinder:signature" and .value == "c2ln"))
	    and .metadata.component.hashes[0].alg == "SHA-256"
	    and any(.metadata.component.externalReferences[]; .type == "digital-signature" and .url == "file:///v/model.sig")' \
	    "$run_dir/mlbom.json"
}

@test "pf-mlbom: a hostile model card is data: quotes, markup and controls stay strings" {
	stages demo/tiny-gpt
	v=$(jq -r .gate.verified.path "$run_dir/gate.json")
	chmod u+w "$v" "$v/README.md"
	printf -- '---\nlicense: "<script>alert(1)</script>"\ndatasets:\n  - "a\\"b</td>"\n  - x\x01y\npipeline_tag: [text-generation, "}]}"]\n---\n# hi\n' >"$v/README.md"
	run -0 pf-mlbom --run "$run_dir" -o "$run_dir/mlbom.json"
	validate "$run_dir/mlbom.json"
	jq -e '.metadata.component.licenses[0].license.name == "<script>alert(1)</script>"
	    and ([.metadata.component.modelCard.modelParameters.datasets[].name] == ["a\\\"b</td>", "xy"])' "$run_dir/mlbom.json"
}

@test "pf-mlbom: a known license is an SPDX id" {
	stages trusted-org/small-bert
	v=$(jq -r .gate.verified.path "$run_dir/gate.json")
	chmod u+w "$v" "$v/README.md"
	printf -- '---\nlicense: apache-2.0\n---\n' >"$v/README.md"
	run -0 pf-mlbom --run "$run_dir" -o "$run_dir/mlbom.json"
	jq -e '.metadata.component.licenses == [{"license": {"id": "Apache-2.0"}}]' "$run_dir/mlbom.json"
}

@test "pf-mlbom: a rerun of the same inputs is byte-identical, serial number included" {
	stages demo/tiny-gpt
	run -0 pf-mlbom --run "$run_dir" -o "$run_dir/a.json"
	run -0 pf-mlbom --run "$run_dir" -o "$run_dir/b.json"
	cmp "$run_dir/a.json" "$run_dir/b.json"
	grep -q '"type":"mlbom.written"' "$PF_HOME/audit.log"
}

@test "pf-mlbom: an artifact of another commit is refused" {
	stages demo/tiny-gpt
	jq '.model.commit = "0000000000000000000000000000000000000000"' "$run_dir/scan-py.json" >"$run_dir/x"
	mv "$run_dir/x" "$run_dir/scan-py.json"
	run -2 --separate-stderr pf-mlbom --run "$run_dir" -o "$run_dir/mlbom.json"
	[[ "$stderr" == *"scan-py.json' is not of the plan's model and commit"* ]]
	[ ! -e "$run_dir/mlbom.json" ]
}

@test "pf-mlbom: a plan that is not a plan is exit 2" {
	stages demo/tiny-gpt
	run -2 --separate-stderr pf-mlbom --plan "$run_dir/fetch.json" -i "$run_dir/fetch.json"
	[[ "$stderr" == *"stage is 'fetch', expected 'plan'"* ]]
}

@test "pf-mlbom: stdout on /dev/full is exit 3" {
	stages demo/tiny-gpt
	run -3 --separate-stderr bash -c 'exec pf-mlbom --run "$1" >/dev/full' _ "$run_dir"
}
