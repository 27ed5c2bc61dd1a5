#!/usr/bin/env bats
# pf-scan-deps: requirements files and pyproject.toml as pip reads them,
# every finding rule with a sample and a near miss, PEP 440 ordering and
# specifier vectors from the PEP, an OSV fixture database asserted version
# by version, the caps at cap and cap+1. Fixtures: tests/fixtures/gen-deps.py.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	D="$BATS_TEST_TMPDIR/model"
	DB="$BATS_TEST_TMPDIR/osv"
	mkdir -p "$D"
}

req() {
	printf '%s\n' "$@" >"$D/requirements.txt"
}

has_rule() {
	jq -e --arg r "$1" '.findings | any(.rule == $r)' <<<"$output" >/dev/null
}

# only RULE...: the findings are exactly these rules (info ones aside).
only() {
	local want='[]'
	[ $# -eq 0 ] || want=$(printf '%s\n' "$@" | jq -R . | jq -s 'sort')
	jq -e --argjson want "$want" \
	    '[.findings[] | select(.severity != "info") | .rule] | sort == $want' <<<"$output"
}

# The findings other than info ones, for jq: real | ...
REAL='[.findings[] | select(.severity != "info")]'


# affected NAME VERSION IDS: --affected lists exactly IDS (space-separated)
affected() {
	local want=$3
	run --separate-stderr pf-scan-deps --advisories "${ADV:-$DB}" --affected "$1" "$2"
	[ -z "$stderr" ]
	got=$(cut -d' ' -f1 <<<"$output" | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" != "$want" ]; then
		echo "$1 $2: got '$got', want '$want'" >&2
		return 1
	fi
	if [ -n "$want" ]; then [ "$status" -eq 1 ]; else [ "$status" -eq 0 ]; fi
}

fetch_json() {
	pf_manifest "requirements.txt=$D/requirements.txt" "extra/more.txt=$D/more.txt"
}

# ------------------------------------------------------------ the tool

@test "pf-scan-deps: --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr pf-scan-deps --help
	[[ "${lines[0]}" == "usage: pf-scan-deps "* ]]
	[ -z "$stderr" ]
}

@test "pf-scan-deps: --version prints the version" {
	run -0 --separate-stderr pf-scan-deps --version
	[ "$output" = "pf-scan-deps 0.1.0" ]
}

@test "pf-scan-deps: an unknown option exits 2 on stderr only" {
	run -2 --separate-stderr pf-scan-deps --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-scan-deps --help'"* ]]
}

@test "pf-scan-deps: -i with paths is a usage error" {
	run -2 --separate-stderr pf-scan-deps -i fetch.json "$D"
	[ -z "$output" ]
	[[ "$stderr" == "pf-scan-deps: -i and PATH arguments exclude each other"* ]]
}

@test "pf-scan-deps: every long option of --help is in the man page as Fl \\-name" {
	run -0 --separate-stderr pf-scan-deps --help
	opts=$(grep -o -- '--[a-z][a-z-]*' <<<"$output" | sort -u)
	[ "$(wc -w <<<"$opts")" -ge 10 ]
	for opt in $opts; do
		grep -qE -- "Fl \\\\-${opt#--}([[:space:]]|\$)" "$PF_REPO/man/pf-scan-deps.1" ||
			{ echo "man page lacks Fl \\-${opt#--}"; false; }
	done
}

@test "pf-scan-deps: a truncated fetch.json on stdin exits 2 and names stdin" {
	run -2 --separate-stderr pf-scan-deps <<<'{"stage": "fetch",'
	[ -z "$output" ]
	[[ "$stderr" == "pf-scan-deps: <stdin>: "* ]]
}

@test "pf-scan-deps: an artifact of another stage exits 2" {
	fetch_json | jq '.stage = "plan"' >"$BATS_TEST_TMPDIR/plan.json"
	run -2 --separate-stderr pf-scan-deps -i "$BATS_TEST_TMPDIR/plan.json"
	[[ "$stderr" == *"stage is 'plan', expected 'fetch'"* ]]
}

@test "pf-scan-deps: a fetch.json larger than PF_MAX_ARTIFACT exits 2" {
	{ printf '{"pad": "'; head -c $((64 * 1024 * 1024)) /dev/zero | tr '\0' a; printf '"}'; } \
	    >"$BATS_TEST_TMPDIR/big.json"
	run -2 --separate-stderr pf-scan-deps -i "$BATS_TEST_TMPDIR/big.json"
	[[ "$stderr" == *"PF_MAX_ARTIFACT"* ]]
}

@test "pf-scan-deps: stdout on /dev/full exits 3" {
	req 'torch==2.1.0'
	run -3 --separate-stderr bash -c 'exec pf-scan-deps "$1" >/dev/full' _ "$D"
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "pf-scan-deps: an invalid locked version in the policy exits 2" {
	pf_policy '.deps.locked.torch = "two"'
	run -2 --separate-stderr pf-scan-deps "$D"
	[[ "$stderr" == "pf-scan-deps: policy: deps.locked.torch: not a PEP 440 version" ]]
}

# ------------------------------------------------------ clean and verdict

@test "pf-scan-deps: a model without requirements passes with nothing to say" {
	printf 'hello\n' >"$D/README.md"
	run -0 --separate-stderr pf-scan-deps "$D"
	jq -e '.status == "passed" and .findings == [] and .requirements == []' <<<"$output"
}

@test "pf-scan-deps: requirements pinned to the locked versions pass" {
	req 'torch==2.1.0' 'transformers == 4.36' 'numpy==1.26.4  # pinned' '' '# only a comment'
	run -0 --separate-stderr pf-scan-deps "$D"
	jq -e '.status == "passed" and ([.findings[].rule] == ["deps.advisories.missing"])
	    and (.requirements | length) == 3 and .requirements[1].pinned == "4.36"
	    and .requirements[1].locked == "4.36.0"' <<<"$output"
}

@test "pf-scan-deps: a requirement from a URL fails the stage (exit 1)" {
	req 'https://example.com/pkg-1.0-py3-none-any.whl'
	run -1 --separate-stderr pf-scan-deps "$D"
	jq -e "$REAL"' | .[0].rule == "deps.requirement.url"
	    and .[0].evidence.line == 1 and .[0].offset == 0' <<<"$output"
	jq -e '.status == "failed"' <<<"$output"
}

@test "pf-scan-deps: reruns are byte-identical" {
	req 'numpy' 'torch>=2' 'nunpy'
	pf-scan-deps "$D" >"$BATS_TEST_TMPDIR/1.json" || true
	pf-scan-deps "$D" >"$BATS_TEST_TMPDIR/2.json" || true
	cmp "$BATS_TEST_TMPDIR/1.json" "$BATS_TEST_TMPDIR/2.json"
}

# ----------------------------------------------- one rule, hit and miss

@test "pf-scan-deps: deps.requirement.unpinned: a bare name; a pinned one is not" {
	req 'numpy' 'scipy==1.11.4'
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.requirement.unpinned
	jq -e '.findings[] | select(.rule == "deps.requirement.unpinned") | .evidence.name == "numpy"' <<<"$output"
}

@test "pf-scan-deps: deps.requirement.loose: a range; === is a pin" {
	req 'numpy>=1.20,<2' 'scipy===1.11.4'
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.requirement.loose
}

@test "pf-scan-deps: a locked package may be unpinned: the lock pins it" {
	req 'torch' 'transformers>=4.30'
	run -0 --separate-stderr pf-scan-deps "$D"
	only
}

@test "pf-scan-deps: deps.locked.mismatch: another pin, or a range that excludes the lock" {
	req 'torch==2.2.0' 'transformers<4.36' 'safetensors~=0.4.0'
	run -1 --separate-stderr pf-scan-deps "$D"
	only deps.locked.mismatch deps.locked.mismatch
	jq -e '[.findings[] | select(.rule == "deps.locked.mismatch") | .evidence.name] == ["torch", "transformers"]' <<<"$output"
}

@test "pf-scan-deps: deps.requirement.url: name @ URL; an index name is not" {
	req 'pkg @ https://example.com/pkg.tar.gz ; sys_platform == "linux"' 'pkg2==1.0'
	run -1 --separate-stderr pf-scan-deps "$D"
	only deps.requirement.url
	jq -e '.requirements[0].kind == "url" and .requirements[0].name == "pkg"
	    and .requirements[0].marker == "sys_platform == \"linux\""' <<<"$output"
}

@test "pf-scan-deps: deps.requirement.vcs: git+https, -e and #egg names" {
	req '-e git+https://github.com/org/repo@v1#egg=mypkg' 'git+https://github.com/org/two'
	run -1 --separate-stderr pf-scan-deps "$D"
	only deps.requirement.vcs deps.requirement.vcs
	jq -e '.requirements[0].name == "mypkg" and .requirements[0].editable' <<<"$output"
}

@test "pf-scan-deps: deps.requirement.path: -e . and ./dir run the repo's build code" {
	req '-e .' './tools/pkg' 'file:///opt/wheel.whl'
	run -1 --separate-stderr pf-scan-deps "$D"
	only deps.requirement.path deps.requirement.path deps.requirement.path
}

@test "pf-scan-deps: deps.index.custom: --extra-index-url; pypi.org's own index is not" {
	req '--index-url https://pypi.org/simple/' '--extra-index-url=https://user:s3cret@evil.example/simple' 'numpy==1.26.4'
	run -1 --separate-stderr pf-scan-deps "$D"
	only deps.index.custom
	jq -e "$REAL"' | .[0].evidence.url == "https://evil.example/simple"' <<<"$output"
	jq -e '(.indexes | length) == 2' <<<"$output"
	[[ "$output" != *s3cret* ]]
}

@test "pf-scan-deps: deps.allowed_indexes admits an internal mirror" {
	pf_policy '.deps.allowed_indexes = ["https://mirror.acme.test/simple"]'
	req '-i https://mirror.acme.test/simple/' '-f https://other.test/wheels'
	run -1 --separate-stderr pf-scan-deps "$D"
	only deps.index.custom
	jq -e "$REAL"' | .[0].message | startswith("--find-links")' <<<"$output"
}

@test "pf-scan-deps: deps.index.trusted-host: TLS verification turned off" {
	req '--trusted-host pypi.acme.test'
	run -1 --separate-stderr pf-scan-deps "$D"
	only deps.index.trusted-host
}

@test "pf-scan-deps: deps.name.typosquat: one edit from a popular name; the name itself is not" {
	req 'transformer==4.0' 'tqdn==4.66.1' 'nmupy==1.0' 'tqdm==4.66.1' 'Scikit_Learn==1.3.2' 'six==1.16.0'
	run -1 --separate-stderr pf-scan-deps "$D"
	only deps.name.typosquat deps.name.typosquat deps.name.typosquat
	jq -e "$REAL"' | map(.evidence.similar_to) == ["transformers", "tqdm", "numpy"]' <<<"$output"
}

@test "pf-scan-deps: deps.typosquat_min_length leaves short names alone" {
	pf_policy '.deps.typosquat_min_length = 6'
	req 'tqdn==4.66.1'
	run -0 --separate-stderr pf-scan-deps "$D"
	only
}

@test "pf-scan-deps: deps.requirement.malformed: lines pip would read differently" {
	req 'baz==' 'foo[bar' 'pkg; not_a_marker == "1"' '--bogus-option' 'ok==1.0 ; python_version >= "3.8" and (os_name == "nt" or extra == "gpu")'
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.requirement.malformed deps.requirement.malformed deps.requirement.malformed deps.requirement.malformed
	jq -e '[.findings[] | select(.severity != "info") | .evidence.line] == [1, 2, 3, 4]' <<<"$output"
}

@test "pf-scan-deps: continuation lines join; a comment line never continues" {
	printf '# note \\\nnumpy==1.0 \\\n  ; python_version > "3"\nscipy==1.0\n' >"$D/requirements.txt"
	run -0 --separate-stderr pf-scan-deps "$D"
	jq -e '[.requirements[] | [.name, .line]] == [["numpy", 2], ["scipy", 4]]
	    and .requirements[0].marker == "python_version > \"3\""' <<<"$output"
}

# ---------------------------------------------------------- includes

@test "pf-scan-deps: -r includes are read inside the model, each file once" {
	mkdir -p "$D/reqs"
	req '-r reqs/base.txt' 'torch==2.1.0'
	printf -- '-r ../requirements.txt\n-c ./pins.txt\nnumpy==1.26.4\n' >"$D/reqs/base.txt"
	printf 'scipy==1.11.4\n' >"$D/reqs/pins.txt"
	run -0 --separate-stderr pf-scan-deps "$D"
	jq -e '[.files[] | [.path, .kind, .include_depth]] == [["requirements.txt", "requirements", 0],
	    ["reqs/base.txt", "requirements", 1], ["reqs/pins.txt", "constraints", 2]]
	    and (.requirements | length) == 3' <<<"$output"
}

@test "pf-scan-deps: deps.include.outside: .., absolute, remote and symlinked includes" {
	ln -s /etc/hostname "$D/link.txt"
	req '-r ../../etc/passwd' '-r /etc/passwd' '-r https://evil.test/r.txt' '-r link.txt'
	run -1 --separate-stderr pf-scan-deps "$D"
	only deps.include.outside deps.include.outside deps.include.outside deps.include.outside
}

@test "pf-scan-deps: deps.include.missing: an include the model does not have" {
	req '-r nothere.txt'
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.include.missing
}

@test "pf-scan-deps: fetch.json: names are repo paths and includes resolve among them" {
	req '-r extra/more.txt' '-r extra/gone.txt'
	printf 'numpy\n' >"$D/more.txt"
	fetch_json >"$BATS_TEST_TMPDIR/fetch.json"
	pf_policy '.deps.files = ["requirements*.txt"]'
	run -0 --separate-stderr pf-scan-deps -i "$BATS_TEST_TMPDIR/fetch.json"
	jq -e '.model.id == "acme/tiny-llama" and (.files | map(.path)) == ["requirements.txt", "extra/more.txt"]' <<<"$output"
	only deps.include.missing deps.requirement.unpinned
}

# ---------------------------------------------------------- pyproject

@test "pf-scan-deps: pyproject.toml: dependencies, optional groups and build requirements" {
	gen_fixture deps pyproject >"$D/pyproject.toml"
	run -1 --separate-stderr pf-scan-deps "$D"
	jq -e '[.requirements[] | [.group, .name]] == [
	    ["build-system.requires", "setuptools"], ["build-system.requires", "wheel"],
	    ["project.dependencies", "torch"], ["project.dependencies", "transformer"],
	    ["project.dependencies", "numpy"], ["project.optional-dependencies.dev", "pytest"],
	    ["project.optional-dependencies.gpu", "triton"]]' <<<"$output"
	has_rule deps.name.typosquat
	has_rule deps.requirement.vcs
}

@test "pf-scan-deps: deps.pyproject.malformed: TOML it cannot read is a finding" {
	printf '[project]\ndependencies = [\n  "numpy==1.0",\n  3,\n]\n' >"$D/pyproject.toml"
	run -0 --separate-stderr pf-scan-deps "$D"
	jq -e "$REAL"' | .[0].rule == "deps.pyproject.malformed" and .[0].evidence.line == 4' <<<"$output"
}

# --------------------------------------------------------------- PEP 440

@test "pf-scan-deps: PEP 440: the PEP's example versions sort in the PEP's order" {
	gen_fixture deps pep440-order >"$BATS_TEST_TMPDIR/want"
	tac "$BATS_TEST_TMPDIR/want" | pf-scan-deps --sort-versions >"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	sed -n '1~2p;2~2p' "$BATS_TEST_TMPDIR/want" | pf-scan-deps --sort-versions >"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
}

@test "pf-scan-deps: PEP 440: normalisation of the PEP's spellings" {
	run -0 --separate-stderr pf-scan-deps --match '>=0' --pre 1.0-alpha1 1.0.RC1 v1.0 1.0-r4 1.0-dev 1.0_post 1.0-1 1.0+Ubuntu-1 2!1.0 01.02 1.0preview2
	[ "$output" = "$(printf '%s yes\n' 1.0a1 1.0rc1 1.0 1.0.post4 1.0.dev0 1.0.post0 1.0.post1 1.0+ubuntu.1 '2!1.0' 1.2 1.0rc2)" ]
}

@test "pf-scan-deps: PEP 440: an invalid version exits 2" {
	run -2 --separate-stderr pf-scan-deps --match '>=1' 1.0alphabet
	[[ "$stderr" == "pf-scan-deps: '1.0alphabet': not a PEP 440 version" ]]
}

@test "pf-scan-deps: PEP 440: == with zero padding, local versions and prefixes" {
	run -1 --separate-stderr pf-scan-deps --match '==1.1' 1.1 1.1.0 1.1.post1 1.1+local
	[ "$output" = "$(printf '%s\n' '1.1 yes' '1.1.0 yes' '1.1.post1 no' '1.1+local yes')" ]
	run -1 --separate-stderr pf-scan-deps --match '==1.1.*' --pre 1.1.post1 1.1a1 1.10 1
	[ "$output" = "$(printf '%s\n' '1.1.post1 yes' '1.1a1 yes' '1.10 no' '1 no')" ]
}

@test "pf-scan-deps: PEP 440: exclusive comparisons and their pre/post rules" {
	run -1 --separate-stderr pf-scan-deps --match '>1.7' --pre 1.7.1 1.7.0.post1 1.7+l 1.8
	[ "$output" = "$(printf '%s\n' '1.7.1 yes' '1.7.0.post1 no' '1.7+l no' '1.8 yes')" ]
	run -1 --separate-stderr pf-scan-deps --match '<1.7' --pre 1.7.0rc1 1.6 1.7.dev0
	[ "$output" = "$(printf '%s\n' '1.7.0rc1 no' '1.6 yes' '1.7.dev0 no')" ]
	run -1 --separate-stderr pf-scan-deps --match '>1.7.post2' 1.7.1 1.7.0.post3 1.7.0
	[ "$output" = "$(printf '%s\n' '1.7.1 yes' '1.7.0.post3 yes' '1.7.0 no')" ]
}

@test "pf-scan-deps: PEP 440: ~= is >= V and == V's prefix" {
	run -1 --separate-stderr pf-scan-deps --match '~=2.2' 2.2 2.3 3.0 2.1
	[ "$output" = "$(printf '%s\n' '2.2 yes' '2.3 yes' '3.0 no' '2.1 no')" ]
	run -1 --separate-stderr pf-scan-deps --match '~=1.4.5a4' 1.4.5 1.4.6 1.5 1.4.5a3
	[ "$output" = "$(printf '%s\n' '1.4.5 yes' '1.4.6 yes' '1.5 no' '1.4.5a3 no')" ]
	run -2 --separate-stderr pf-scan-deps --match '~=1' 1
	[[ "$stderr" == *"~= with a single release number"* ]]
}

@test "pf-scan-deps: PEP 440: pre-releases need --pre unless the specifier names one" {
	run -1 --separate-stderr pf-scan-deps --match '>=1.0' 2.0a1
	[ "$output" = "2.0a1 no" ]
	run -0 --separate-stderr pf-scan-deps --match '>=1.0b1' 2.0a1
	[ "$output" = "2.0a1 yes" ]
}

# -------------------------------------------------------- advisories

@test "pf-scan-deps: OSV: [introduced 0, fixed 1.2.0) asserted version by version" {
	gen_fixture deps osv "$DB"
	affected demo-pkg 0.1 GHSA-demo-0001
	affected demo-pkg 1.1.9 GHSA-demo-0001
	affected demo-pkg 1.2.0rc1 GHSA-demo-0001
	affected demo-pkg 1.2.0 ""
	affected demo-pkg 1.2.0.post1 ""
	affected demo-pkg 1.9 ""
}

@test "pf-scan-deps: OSV: [introduced 2.0, last_affected 2.1.3] asserted version by version" {
	gen_fixture deps osv "$DB"
	affected demo-pkg 2.0.dev1 ""
	affected demo-pkg 2.0 PYSEC-2099-0002
	affected demo-pkg 2.1.3 PYSEC-2099-0002
	affected demo-pkg 2.1.3.post1 ""
	affected demo-pkg 2.1.4 ""
}

@test "pf-scan-deps: OSV: unsorted events with two introduced, withdrawn and npm ignored" {
	gen_fixture deps osv "$DB"
	affected demo-pkg 3.0.5 GHSA-demo-0003
	affected demo-pkg 3.1 ""
	affected demo-pkg 3.4.9 ""
	affected demo-pkg 3.5 GHSA-demo-0003
	affected Demo.Pkg 9.0 GHSA-demo-0003
}

@test "pf-scan-deps: OSV all.zip: pre-release range, versions list and epochs" {
	gen_fixture deps osv-zip "$BATS_TEST_TMPDIR/all.zip"
	ADV="$BATS_TEST_TMPDIR/all.zip"
	affected other_pkg 0.9 ""
	affected other_pkg 0.9.1 GHSA-othr-0004
	affected other_pkg 1.0a1 GHSA-othr-0004
	affected other_pkg 1.0 GHSA-othr-0004
	affected other_pkg 1.0.post1 ""
	affected epoch-pkg 1.5 ""
	affected epoch-pkg '1!1.0' GHSA-epch-0005
	affected epoch-pkg '1!2.0' ""
}

@test "pf-scan-deps: OSV severities: GHSA's label, else the CVSS v3 score" {
	gen_fixture deps osv "$DB"
	run -1 --separate-stderr pf-scan-deps --advisories "$DB" --affected demo-pkg 2.0
	[ "$output" = "PYSEC-2099-0002 low" ]
	run -1 --separate-stderr pf-scan-deps --advisories "$DB" --affected demo-pkg 1.0
	[ "$output" = "GHSA-demo-0001 high fixed-in 1.2.0" ]
}

@test "pf-scan-deps: deps.vulnerability.known: a pinned version with an advisory" {
	gen_fixture deps osv "$DB"
	req 'demo-pkg==1.1.9' 'other-pkg==1.0.post1'
	run -1 --separate-stderr pf-scan-deps --advisories "$DB" "$D"
	only deps.vulnerability.known
	jq -e '.findings[] | select(.rule == "deps.vulnerability.known") |
	    .severity == "high" and .evidence.version_from == "pinned"
	    and .evidence.advisories[0].id == "GHSA-demo-0001"
	    and .evidence.advisories[0].fixed == "1.2.0"' <<<"$output"
	jq -e '.advisories == {"source": "osv", "records": 9, "invalid": 1, "matched": 5}' <<<"$output"
}

@test "pf-scan-deps: the locked version is the one checked when a requirement is not pinned" {
	gen_fixture deps osv "$DB"
	pf_policy '.deps.locked["demo-pkg"] = "1.0"'
	req 'demo-pkg>=0.5'
	run -1 --separate-stderr pf-scan-deps --advisories "$DB" "$D"
	jq -e '.findings[0].rule == "deps.vulnerability.known"
	    and .findings[0].evidence.version_from == "locked"' <<<"$output"
	req 'transformers>=4.30'
	run -0 --separate-stderr pf-scan-deps --advisories "$DB" "$D"
	only
}

@test "pf-scan-deps: deps.vulnerability.admitted: a range that reaches an affected version" {
	gen_fixture deps osv "$DB"
	req 'demo-pkg>=1.0,<1.5' 'other-pkg>=1.1'
	run -0 --separate-stderr pf-scan-deps --advisories "$DB" "$D"
	only deps.requirement.loose deps.requirement.loose deps.vulnerability.admitted
	jq -e '.findings[] | select(.rule == "deps.vulnerability.admitted") | .evidence.name == "demo-pkg"' <<<"$output"
}

@test "pf-scan-deps: deps.advisories in the policy is found beside it" {
	gen_fixture deps osv "$BATS_TEST_TMPDIR/advisories"
	pf_policy '.deps.advisories = "advisories"'
	req 'demo-pkg==1.0'
	run -1 --separate-stderr pf-scan-deps "$D"
	has_rule deps.vulnerability.known
}

@test "pf-scan-deps: a missing advisory database exits 2" {
	req 'numpy==1.0'
	run -2 --separate-stderr pf-scan-deps --advisories "$BATS_TEST_TMPDIR/none" "$D"
	[ -z "$output" ]
	[[ "$stderr" == *"No such file or directory" ]]
}

@test "pf-scan-deps: a file that is neither a folder nor a zip exits 2" {
	printf 'not a zip' >"$BATS_TEST_TMPDIR/x.zip"
	req 'numpy==1.0'
	run -2 --separate-stderr pf-scan-deps --advisories "$BATS_TEST_TMPDIR/x.zip" "$D"
	[[ "$stderr" == *"not a folder or a zip file"* ]]
}

# -------------------------------------------------------------- caps

@test "pf-scan-deps: caps.osv_bytes: a database of exactly the cap loads, one byte less does not" {
	gen_fixture deps osv "$DB"
	n=$(cat "$DB"/*.json | wc -c)
	pf_policy ".caps.osv_bytes = $n"
	run -1 --separate-stderr pf-scan-deps --advisories "$DB" --affected demo-pkg 1.0
	pf_policy ".caps.osv_bytes = $((n - 1))"
	run -2 --separate-stderr pf-scan-deps --advisories "$DB" --affected demo-pkg 1.0
	[[ "$stderr" == *"PF_MAX_OSV_BYTES"* ]]
}

@test "pf-scan-deps: caps.osv_bytes stops a zip bomb as it inflates" {
	gen_fixture deps osv-bomb "$BATS_TEST_TMPDIR/bomb.zip"
	pf_policy '.caps.osv_bytes = 1048576'
	run -2 --separate-stderr pf-scan-deps --advisories "$BATS_TEST_TMPDIR/bomb.zip" --affected x 1.0
	[[ "$stderr" == *"PF_MAX_OSV_BYTES"* ]]
}

@test "pf-scan-deps: PF_MAX_OSV_RATIO stops a zip member that inflates like a bomb" {
	gen_fixture deps osv-bomb "$BATS_TEST_TMPDIR/bomb.zip"
	run -2 --separate-stderr pf-scan-deps --advisories "$BATS_TEST_TMPDIR/bomb.zip" --affected x 1.0
	[[ "$stderr" == *"inflates more than PF_MAX_OSV_RATIO (200) times"* ]]
}

@test "pf-scan-deps: caps.osv_record: a record of the cap is read, one byte more is not" {
	gen_fixture deps osv "$DB"
	n=$(stat -c %s "$DB/GHSA-demo-0001.json")
	pf_policy ".caps.osv_record = $n"
	run -1 --separate-stderr pf-scan-deps --advisories "$DB" --affected demo-pkg 1.0
	pf_policy ".caps.osv_record = $((n - 1))"
	run -0 --separate-stderr pf-scan-deps --advisories "$DB" --affected demo-pkg 1.0
}

@test "pf-scan-deps: caps.osv_records: 9 records at cap 9, not at 8" {
	gen_fixture deps osv "$DB"
	pf_policy '.caps.osv_records = 9'
	run -1 --separate-stderr pf-scan-deps --advisories "$DB" --affected demo-pkg 1.0
	pf_policy '.caps.osv_records = 8'
	run -2 --separate-stderr pf-scan-deps --advisories "$DB" --affected demo-pkg 1.0
	[[ "$stderr" == *"PF_MAX_OSV_RECORDS"* ]]
}

@test "pf-scan-deps: caps.req_file: a file of the cap is read, one byte more is not" {
	req 'numpy==1.26.4' 'scipy'
	n=$(stat -c %s "$D/requirements.txt")
	pf_policy ".caps.req_file = $n"
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.requirement.unpinned
	pf_policy ".caps.req_file = $((n - 1))"
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.file.too-large
}

@test "pf-scan-deps: caps.req_depth: includes two deep at cap 2, not at 1" {
	req '-r a.txt'
	printf -- '-r b.txt\n' >"$D/a.txt"
	printf 'numpy==1.0\n' >"$D/b.txt"
	pf_policy '.caps.req_depth = 2'
	run -0 --separate-stderr pf-scan-deps "$D"
	only
	pf_policy '.caps.req_depth = 1'
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.include.depth
}

@test "pf-scan-deps: caps.req_files: three files at cap 3, not at 2" {
	req '-r a.txt' '-r b.txt'
	printf 'numpy==1.0\n' >"$D/a.txt"
	printf 'scipy==1.0\n' >"$D/b.txt"
	pf_policy '.caps.req_files = 3'
	run -0 --separate-stderr pf-scan-deps "$D"
	only
	pf_policy '.caps.req_files = 2'
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.files.too-many
}

@test "pf-scan-deps: caps.reqs: three requirements at cap 3, not at 2" {
	req 'numpy==1.0' 'scipy==1.0' 'pandas==2.0'
	pf_policy '.caps.reqs = 3'
	run -0 --separate-stderr pf-scan-deps "$D"
	only
	pf_policy '.caps.reqs = 2'
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.requirements.too-many
}

@test "pf-scan-deps: PF_MAX_REQ_LINE: a line of 65536 bytes is read, 65537 is not" {
	{ printf 'numpy==1.0 #'; head -c $((65536 - 12)) /dev/zero | tr '\0' x; printf '\n'; } >"$D/requirements.txt"
	run -0 --separate-stderr pf-scan-deps "$D"
	only
	{ printf 'numpy==1.0 #'; head -c $((65536 - 11)) /dev/zero | tr '\0' x; printf '\n'; } >"$D/requirements.txt"
	run -0 --separate-stderr pf-scan-deps "$D"
	only deps.requirement.malformed
}
