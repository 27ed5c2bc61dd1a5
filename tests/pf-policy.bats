#!/usr/bin/env bats
# pf-policy and the policy every tool loads: the built-in default and rule
# tables (no file, no environment), the order --policy, PF_POLICY, the
# installed default.json and the built-in copy are tried in, "extends",
# unknown keys, and messages that say who named a missing file.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/home"
}

# Runs a command with nothing of the test's environment but a HOME for
# the audit log: no PF_POLICY, no PF_RULES_DIR, no PATH to the repo.
bare() { env -i HOME="$T/home" "$@"; }

@test "pf-policy: --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr pf-policy --help
	[[ "${lines[0]}" == "usage: pf-policy "* ]]
	[ -z "$stderr" ]
}

@test "pf-policy: --version prints the version" {
	run -0 --separate-stderr pf-policy --version
	[ "$output" = "pf-policy 0.1.0" ]
}

@test "pf-policy: an unknown option exits 2 on stderr only" {
	run -2 --separate-stderr pf-policy --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-policy --help'"* ]]
}

@test "pf-policy: an argument exits 2" {
	run -2 --separate-stderr pf-policy default.json
	[ -z "$output" ]
	[[ "$stderr" == "pf-policy: unexpected argument 'default.json'"* ]]
}

@test "pf-policy: every option of the usage text is in the man page and its SYNOPSIS" {
	local syn
	syn=$(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p' "$PF_REPO/man/pf-policy.1")
	for opt in output policy sha256 file; do
		pf-policy --help | grep -q -- "--$opt"
		grep -q -- "Fl -$opt" "$PF_REPO/man/pf-policy.1"
	done
	for opt in o -policy -sha256 -file; do
		[[ "$syn" == *"Fl $opt"* ]]
	done
}

@test "pf-policy: stdout on /dev/full exits 3" {
	run -3 --separate-stderr bash -c 'exec pf-policy >/dev/full'
	[[ "$stderr" == "pf-policy: "* ]]
}

@test "pf-policy: with no environment it prints the built-in default, equal to policies/default.json" {
	run -0 --separate-stderr bare "$PF_BIN/pf-policy"
	[ -z "$stderr" ]
	diff <(jq -S . <<<"$output") <(jq -S . "$PF_REPO/policies/default.json")
}

@test "pf-policy: --sha256 is the digest of what it prints, and says where it came from" {
	bare "$PF_BIN/pf-policy" -o "$T/eff.json"
	run -0 bare "$PF_BIN/pf-policy" --sha256
	[ "$output" = "$(sha256sum <"$T/eff.json" | cut -d' ' -f1)  built-in" ]
	run -0 pf-policy --sha256
	[[ "$output" == *"  '$T/policy.json' (PF_POLICY)" ]]
}

@test "pf-policy: --file prints the built-in rule table byte for byte" {
	run -0 bare "$PF_BIN/pf-policy" --file py-rules.json -o "$T/py.json"
	cmp "$T/py.json" "$PF_REPO/policies/py-rules.json"
	run -0 bare "$PF_BIN/pf-policy" --file secret-rules.json --sha256
	[ "$output" = "$(sha256sum <"$PF_REPO/policies/secret-rules.json" | cut -d' ' -f1)  <built-in>/secret-rules.json" ]
}

@test "pf-policy: made_from names the policy with the SHA-256 of its bytes, built-in or a file" {
	printf 'x = 1\n' >"$T/m.py"
	run -0 bare "$PF_BIN/pf-scan-py" -o "$T/py.json" "$T/m.py"
	run -0 jq -r '.made_from.policy | .path, .sha256' "$T/py.json"
	[ "${lines[0]}" = "<built-in>/default.json" ]
	[ "${lines[1]}" = "$(sha256sum <"$PF_REPO/policies/default.json" | cut -d' ' -f1)" ]
	run -0 jq -r '.made_from.rules[0].sha256' "$T/py.json"
	[ "$output" = "$(sha256sum <"$PF_REPO/policies/py-rules.json" | cut -d' ' -f1)" ]
	run -0 bare PF_POLICY="$T/policy.json" "$PF_BIN/pf-scan-py" -o "$T/py2.json" "$T/m.py"
	run -0 jq -r '.made_from.policy.sha256' "$T/py2.json"
	[ "$output" = "$(sha256sum <"$T/policy.json" | cut -d' ' -f1)" ]
}

@test "tools: built but not installed, and copied anywhere, every tool runs with no environment" {
	python3 -c 'import pickle, sys; pickle.dump({"a": 1}, sys.stdout.buffer)' >"$T/m.pkl"
	printf 'import os\n' >"$T/m.py"
	printf 'hello\n' >"$T/notes.txt"
	run -0 bare "$PF_BIN/pf-scan-pickle" -o "$T/pickle.json" "$T/m.pkl"
	run -0 bare "$PF_BIN/pf-scan-py" -o "$T/py.json" "$T/m.py"
	run -0 jq -r .rules.sha256 "$T/py.json"
	[ "$output" = "$(sha256sum <"$PF_REPO/policies/py-rules.json" | cut -d' ' -f1)" ]
	run -0 bare "$PF_BIN/pf-scan-secrets" -o "$T/secrets.json" "$T/notes.txt"
	run -0 bare "$PF_BIN/pf-scan-weights" -o "$T/weights.json" "$T/notes.txt"
	run -0 bare "$PF_BIN/pf-redact" -i "$T/notes.txt"
	[ "$output" = hello ]
	run -0 bare "$PF_BIN/pf-audit" verify
	# One file, copied where no policy folder is near it.
	mkdir -p "$T/elsewhere"
	cp "$PF_BIN/pf-scan-py" "$T/elsewhere/"
	run -0 bare "$T/elsewhere/pf-scan-py" "$T/m.py"
}

@test "policy: a copied policy keeps its rule tables from the built-in copies" {
	mkdir -p "$T/site"
	cp "$PF_REPO/policies/default.json" "$T/site/policy.json"
	printf 'import os\nos.system("id")\n' >"$T/m.py"
	run -1 bare PF_POLICY="$T/site/policy.json" "$PF_BIN/pf-scan-py" -o "$T/py.json" "$T/m.py"
	run -0 jq -r '.rules.table, (.findings[0].rule)' "$T/py.json"
	[ "${lines[0]}" = py-rules.json ]
	[ "${lines[1]}" = py.process.shell ]
}

@test "policy: extends default names only what changes; objects merge, other values replace" {
	cat >"$T/site.json" <<-'JSON'
	{"extends": "default", "allowlist": ["acme/tiny-llama"],
	 "scan": {"fail_on": "low"}, "hub": {"retries": 1},
	 "resources": {"devices": {"gaudi2": {"memory_gb": 64}}}}
	JSON
	run -0 bare "$PF_BIN/pf-policy" --policy "$T/site.json" -o "$T/eff.json"
	diff <(jq -S . "$T/eff.json") <(jq -S '.allowlist = ["acme/tiny-llama"]
	    | .scan.fail_on = "low" | .hub.retries = 1
	    | .resources.devices.gaudi2.memory_gb = 64' "$PF_REPO/policies/default.json")
	run -0 jq -e 'has("extends") | not' "$T/eff.json"
}

@test "policy: extends names nothing but the default" {
	echo '{"extends": "/etc/other.json"}' >"$T/site.json"
	run -2 --separate-stderr bare "$PF_BIN/pf-policy" --policy "$T/site.json"
	[ -z "$output" ]
	[ "$stderr" = "pf-policy: '$T/site.json': extends: the only policy a policy can extend is \"default\"" ]
}

@test "policy: an unknown key is an error naming it, at any depth, in every tool" {
	echo '{"extends": "default", "allow_list": []}' >"$T/a.json"
	run -2 --separate-stderr bare "$PF_BIN/pf-policy" --policy "$T/a.json"
	[ "$stderr" = "pf-policy: '$T/a.json': unknown key 'allow_list' (see pathfinder-policy(5))" ]
	echo '{"extends": "default", "hub": {"alowed_hosts": []}}' >"$T/b.json"
	run -2 --separate-stderr bare PF_POLICY="$T/b.json" "$PF_BIN/pf-scan-py" "$T"
	[[ "$stderr" == *"unknown key 'hub.alowed_hosts'"* ]]
	echo '{"extends": "default", "caps": {"pickle_opz": 5}}' >"$T/c.json"
	run -2 --separate-stderr bare "$PF_BIN/pf-scan-pickle" --policy "$T/c.json" "$T"
	[[ "$stderr" == *"unknown key 'caps.pickle_opz'"* ]]
	echo '{"extends": "default", "resources": {"devices": {"x1": {"memory": 8}}}}' >"$T/d.json"
	run -2 --separate-stderr bare "$PF_BIN/pf-policy" --policy "$T/d.json"
	[[ "$stderr" == *"unknown key 'resources.devices.x1.memory'"* ]]
	echo '{"extends": "default", "approvals": {"approvers": [{"idd": "a"}]}}' >"$T/e.json"
	run -2 --separate-stderr bare "$PF_BIN/pf-policy" --policy "$T/e.json"
	[[ "$stderr" == *"unknown key 'approvals.approvers[].idd'"* ]]
	# Member names the user chooses are not keys: a rule id with dots.
	echo '{"extends": "default", "pickle": {"severity": {"pickle.global.not-allowed": "low"}}}' >"$T/f.json"
	run -0 bare "$PF_BIN/pf-policy" --policy "$T/f.json"
}

@test "policy: every key the code reads is in the one table of known keys, and documented" {
	local keys k
	keys=$(sed -n 's/^\t"\(.*\)",$/\1/p' "$PF_REPO/lib/core/pf_policy_keys.c")
	[ -n "$keys" ]
	# Caps by name, and dotted keys read through pf_policy_get.
	for k in $(grep -rhoE 'pf_policy_cap\([^"]*"[a-z0-9_]+"' "$PF_REPO"/tools "$PF_REPO"/lib |
	    grep -oE '"[a-z0-9_]+"' | tr -d '"' | sort -u); do
		grep -qx "caps.$k" <<<"$keys" || { echo "caps.$k is not in lib/core/pf_policy_keys.c"; return 1; }
	done
	for k in $(grep -rhoE 'pf_policy_(get|list_has)\([^"]*"[a-z0-9_.]+"' "$PF_REPO"/tools "$PF_REPO"/lib |
	    grep -oE '"[a-z0-9_.]+"' | tr -d '"' | sort -u); do
		grep -q "^$k\(\$\|[.[]\)" <<<"$keys" || { echo "$k is not in lib/core/pf_policy_keys.c"; return 1; }
	done
	for k in $keys; do
		k=${k##*.}
		k=${k##*]}
		[ "$k" = '*' ] && continue
		grep -qw -- "$k" "$PF_REPO/man/pathfinder-policy.5" ||
		    { echo "$k is not in pathfinder-policy(5)"; return 1; }
	done
}

@test "policy: --policy, then PF_POLICY, then the installed default.json, then the built-in copy" {
	local p=$T/prefix
	mkdir -p "$p/bin" "$p/share/pathfinder/policies"
	cp "$PF_BIN/pf-policy" "$p/bin/"
	jq '.scan.fail_on = "medium"' "$PF_REPO/policies/default.json" \
	    >"$p/share/pathfinder/policies/default.json"
	echo '{"extends": "default", "hub": {"retries": 2}}' >"$T/env.json"
	echo '{"extends": "default", "hub": {"retries": 3}}' >"$T/opt.json"
	run -0 bare "$p/bin/pf-policy"
	[ "$(jq -r '"\(.scan.fail_on) \(.hub.retries)"' <<<"$output")" = "medium 5" ]
	# A site policy extends the installed default, which is the default here.
	run -0 bare PF_POLICY="$T/env.json" "$p/bin/pf-policy"
	[ "$(jq -r '"\(.scan.fail_on) \(.hub.retries)"' <<<"$output")" = "medium 2" ]
	run -0 bare PF_POLICY="$T/env.json" "$p/bin/pf-policy" --policy "$T/opt.json"
	[ "$(jq -r '"\(.scan.fail_on) \(.hub.retries)"' <<<"$output")" = "medium 3" ]
	run -0 bare "$p/bin/pf-policy" --sha256
	[[ "$output" == *"  '$p/share/pathfinder/policies/default.json' (the installed default)" ]]
	# The build tree's copy looks in no installed folder.
	run -0 bare "$PF_BIN/pf-policy"
	[ "$(jq -r .scan.fail_on <<<"$output")" = high ]
}

@test "policy: a missing file says which option or variable named it and what was searched" {
	run -2 --separate-stderr bare PF_POLICY="$T/nope.json" "$PF_BIN/pf-scan-py" "$T"
	[ "$stderr" = "pf-scan-py: PF_POLICY: '$T/nope.json': No such file or directory" ]
	run -2 --separate-stderr bare "$PF_BIN/pf-scan-secrets" --policy "$T/nope.json" "$T"
	[ "$stderr" = "pf-scan-secrets: --policy: '$T/nope.json': No such file or directory" ]
	run -2 --separate-stderr bare "$PF_BIN/pf-redact" --rules "$T/nope.json" </dev/null
	[ "$stderr" = "pf-redact: --rules: '$T/nope.json': No such file or directory" ]
	mkdir -p "$T/site" "$T/rules"
	echo '{"extends": "default", "python": {"rules": "mine.json"}}' >"$T/site/p.json"
	run -2 --separate-stderr bare PF_POLICY="$T/site/p.json" PF_RULES_DIR="$T/rules" \
	    "$PF_BIN/pf-scan-py" "$T"
	[ "$stderr" = "pf-scan-py: python.rules of the policy '$T/site/p.json' (PF_POLICY): 'mine.json' not found; searched beside the policy '$T/site', PF_RULES_DIR '$T/rules', the built-in tables" ]
	# Found beside the policy, it is used.
	jq '.rules |= .[:1]' "$PF_REPO/policies/py-rules.json" >"$T/site/mine.json"
	printf 'x = 1\n' >"$T/m.py"
	run -0 bare PF_POLICY="$T/site/p.json" "$PF_BIN/pf-scan-py" -o "$T/py.json" "$T/m.py"
	run -0 jq -r .rules.count "$T/py.json"
	[ "$output" = 1 ]
}
