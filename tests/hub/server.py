#!/usr/bin/env python3
"""A local stand-in for the Hugging Face Hub, for Pathfinder's tests and demo.

Serves the mirror that tests/fixtures/gen-hub.py builds (bare git repositories, an
LFS object store, meta.json per model) the way the Hugging Face Hub's HTTP API
answers (tests/hub/README.md lists what is covered): model info, tree listing with Link pagination,
resolve with 302 to a second "CDN" origin on another loopback address (so a
client's "never send the token to another host" rule is exercised), Range
requests, the Hub's error headers, git smart HTTP, plus fault injection and a
JSON-lines request log. Everything is read from git with argv-only subprocess
calls on every request, so a test may move a ref or edit meta.json and see it at
once. Standard library only. Routes, faults and the log: tests/hub/README.md.
"""

import argparse
import base64
import datetime
import hashlib
import http.server
import ipaddress
import itertools
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

LFS_PREFIX = b"version https://git-lfs.github.com/spec/v1\n"
LFS_POINTER_MAX = 1024          # git-lfs never writes a bigger pointer
HEX40 = re.compile(r"^[0-9a-f]{40}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
# Namespace and name as the Hub allows them (spec section 2), checked before any
# path is built from them so '..' can never reach the file system.
REPO_PART = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$")
GIT_ROUTE = re.compile(r"^/([^/]+)/([^/]+?)(?:\.git)?/(info/refs|git-upload-pack|git-receive-pack|HEAD|objects/.+)$")
SAFETENSORS_MAX_HEADER = 25_000_000

EXPAND_FIELDS = [
    "author", "baseModels", "cardData", "childrenModelCount", "config", "createdAt", "disabled",
    "downloads", "downloadsAllTime", "evalResults", "gated", "gguf", "inference",
    "inferenceProviderMapping", "lastModified", "library_name", "likes", "mask_token",
    "model-index", "pipeline_tag", "private", "resourceGroup", "safetensors", "sha", "siblings",
    "spaces", "tags", "transformersInfo", "trendingScore", "usedStorage", "widgetData",
]
# meta.json keys that steer the server and never appear in an answer.
META_INTERNAL = {"granted_tokens", "inject", "file_overrides", "info", "securityFileStatus",
                 "securityRepoStatus"}
CONFIG_KEYS = ["architectures", "model_type", "auto_map", "quantization_config"]
TOKENIZER_KEYS = ["bos_token", "eos_token", "pad_token", "unk_token", "chat_template"]

MSG_BAD_TOKEN = "Invalid credentials in Authorization header"
MSG_DISABLED = "Access to this resource is disabled."
MSG_REPO_NOT_FOUND = "Repository not found"


# ---------------------------------------------------------------- bodies

class Content:
    """A body that can be sent in slices: bytes, a file, or generated text."""

    def __init__(self, data=None, path=None, size=None, gen=None):
        self.data, self.path, self.gen = data, path, gen
        if data is not None:
            self.size = len(data)
        elif path is not None:
            self.size = os.path.getsize(path)
        else:
            self.size = size

    def chunks(self, start, length, step=65536):
        end = start + length
        if self.data is not None:
            for off in range(start, end, step):
                yield self.data[off:min(off + step, end)]
        elif self.path is not None:
            with open(self.path, "rb") as f:
                f.seek(start)
                left = length
                while left > 0:
                    b = f.read(min(step, left))
                    if not b:
                        return
                    left -= len(b)
                    yield b
        else:
            for off in range(start, end, step):
                yield self.gen(off, min(off + step, end))


def big_json(n):
    """A valid JSON document of exactly n bytes (n >= 8): {"x":"aaaa..."}."""
    n = max(n, 8)

    head, tail = b'{"x":"', b'"}'

    def gen(a, b):
        out = bytearray(head[a:min(b, 6)])
        out += b"a" * max(min(b, n - 2) - max(a, 6), 0)
        out += tail[max(a, n - 2) - (n - 2):max(b - (n - 2), 0)]
        return bytes(out)
    return Content(size=n, gen=gen)


class Reply:
    """Status, headers and a (slice of a) body; the sender adds Content-Length."""

    def __init__(self, status, headers=None, content=None, start=0, length=None):
        self.status = status
        self.headers = list(headers or [])
        self.content = content or Content(data=b"")
        self.start = start
        self.length = self.content.size - start if length is None else length

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def json_reply(status, doc, headers=None):
    body = json.dumps(doc, ensure_ascii=False).encode()
    h = [("Content-Type", "application/json; charset=utf-8")] + list(headers or [])
    return Reply(status, h, Content(data=body))


def hub_error(status, message, code=None, commit=None, text=None):
    """An error the Hub's way (spec section 6): X-Error-Code first, then X-Error-Message."""
    h = []
    if code:
        h.append(("X-Error-Code", code))
    h.append(("X-Error-Message", message))
    if commit:
        h.append(("X-Repo-Commit", commit))
    if text is not None:
        return Reply(status, h + [("Content-Type", "text/plain; charset=utf-8")], Content(data=text.encode()))
    return json_reply(status, {"error": message}, h)


def parse_range(value, total):
    """bytes=a-b, bytes=a-, bytes=-n -> (start, end inclusive); 'bad' if unsatisfiable;
    None when absent, malformed or multi-range (then the full body is sent, as RFC 9110 allows)."""
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", value or "")
    if not m or (not m.group(1) and not m.group(2)):
        return None
    a, b = m.group(1), m.group(2)
    if not a:                                   # suffix: the last n bytes
        n = int(b)
        if n == 0 or total == 0:
            return "bad"
        return (max(total - n, 0), total - 1)
    start = int(a)
    end = int(b) if b else total - 1
    if b and end < start:
        return None
    if start >= total:
        return "bad"
    return (start, min(end, total - 1))


def content_reply(content, headers, range_header, ignore_range=False):
    """200 with the whole body, or 206/416 for a Range request."""
    headers = list(headers) + [("Accept-Ranges", "bytes")]
    r = None if ignore_range else parse_range(range_header, content.size)
    if r == "bad":
        return Reply(416, headers + [("Content-Range", "bytes */{}".format(content.size))])
    if r:
        start, end = r
        return Reply(206, headers + [("Content-Range", "bytes {}-{}/{}".format(start, end, content.size))],
                     content, start, end - start + 1)
    return Reply(200, headers, content)


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def is_loopback_url(url):
    """Fault redirects may only point at this machine (or be relative)."""
    p = urllib.parse.urlsplit(url)
    if not p.netloc:
        return True
    host = p.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# ---------------------------------------------------------------- git repositories

class Repo:
    """One model: a bare repository plus its meta.json."""

    _cache = {}
    _lock = threading.Lock()

    def __init__(self, hub, ns, name):
        self.hub, self.ns, self.name = hub, ns, name
        self.id = ns + "/" + name
        self.gitdir = os.path.join(hub.root, "repos", ns, name + ".git")
        self.mdir = os.path.join(hub.root, "models", ns, name)

    def exists(self):
        return os.path.isdir(self.gitdir)

    def meta(self):
        try:
            with open(os.path.join(self.mdir, "meta.json"), encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def git(self, args, input=None):
        p = subprocess.run(["git"] + args, input=input, env=self.hub.git_env(self.gitdir),
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        return p.stdout if p.returncode == 0 else None

    def resolve(self, rev):
        """Branch, tag, refs/... name or full commit id -> commit id; None if unknown.
        No git revision syntax (HEAD~1, @{...}, abbreviations) is accepted, as on the Hub."""
        if not rev or rev.startswith("-") or any(c in rev for c in "\0\n\r"):
            return None
        if HEX40.match(rev):
            t = self.git(["cat-file", "-t", rev])
            return rev if t and t.strip() == b"commit" else None
        out = self.git(["for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)"])
        refs = {}
        for line in (out or b"").decode(errors="replace").splitlines():
            ref, obj, peeled = line.split("\0")
            refs[ref] = peeled or obj
        for ref in ([rev] if rev.startswith("refs/") else []) + ["refs/heads/" + rev, "refs/tags/" + rev]:
            if ref in refs:
                return refs[ref]
        return None

    def commit_info(self, commit):
        key = ("info", self.gitdir, commit)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        out = self.git(["show", "-s", "--format=%ct%x00%s", commit]) or b"0\0"
        ts, title = out.decode(errors="replace").rstrip("\n").split("\0", 1)
        info = {"date": iso(int(ts)), "title": title}
        with self._lock:
            self._cache[key] = info
        return info

    def entries(self, commit):
        """Every file and directory of a commit, LFS pointers decoded. Cached: commits never change."""
        key = ("tree", self.gitdir, commit)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        out = self.git(["ls-tree", "-r", "-t", "-l", "-z", commit]) or b""
        entries, small = [], []
        for rec in out.split(b"\0"):
            if not rec:
                continue
            head, path = rec.split(b"\t", 1)
            mode, typ, oid, size = head.decode().split()
            path = path.decode("utf-8", errors="surrogateescape")
            if typ == "tree":
                entries.append({"type": "directory", "path": path, "oid": oid, "size": 0})
            elif typ == "blob":
                e = {"type": "file", "path": path, "oid": oid, "size": int(size), "blob_size": int(size),
                     "lfs": None}
                entries.append(e)
                if int(size) < LFS_POINTER_MAX:
                    small.append(e)
        self._decode_pointers(small)
        with self._lock:
            if len(self._cache) > 512:
                self._cache.clear()
            self._cache[key] = entries
        return entries

    def _decode_pointers(self, small):
        """Read all small blobs with one `git cat-file --batch` and mark LFS pointers."""
        if not small:
            return
        out = self.git(["cat-file", "--batch"], input="".join(e["oid"] + "\n" for e in small).encode()) or b""
        pos = 0
        for e in small:
            nl = out.index(b"\n", pos)
            size = int(out[pos:nl].split()[2])
            data = out[nl + 1:nl + 1 + size]
            pos = nl + 1 + size + 1
            ptr = parse_pointer(data)
            if ptr:
                e["lfs"] = {"sha256": ptr[0], "size": ptr[1], "pointerSize": len(data)}
                e["size"] = ptr[1]

    def blob(self, oid):
        return self.git(["cat-file", "blob", oid])

    def content(self, entry):
        """The bytes a download of this entry returns (LFS: the stored object)."""
        if entry["lfs"]:
            return Content(path=os.path.join(self.hub.root, "lfs", entry["lfs"]["sha256"]))
        return Content(data=self.blob(entry["oid"]) or b"")

    def last_commit(self, commit, path):
        key = ("last", self.gitdir, commit, path)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        out = None if "\0" in path else self.git(["log", "-1", "--format=%H%x00%s%x00%ct", commit, "--", path])
        if out:
            cid, title, ts = out.decode(errors="replace").rstrip("\n").split("\0")
            info = {"id": cid, "title": title, "date": iso(int(ts))}
        else:                   # an injected name git never saw: blame the commit itself
            info = dict(self.commit_info(commit), id=commit)
        with self._lock:
            self._cache[key] = info
        return info


def parse_pointer(data):
    """A git-lfs pointer -> (sha256, size), else None."""
    if not data.startswith(LFS_PREFIX):
        return None
    oid = re.search(rb"^oid sha256:([0-9a-f]{64})$", data, re.M)
    size = re.search(rb"^size (\d+)$", data, re.M)
    if not oid or not size:
        return None
    return oid.group(1).decode(), int(size.group(1))


# ---------------------------------------------------------------- the model view

def api_files(repo, meta, commit):
    """Files as the API shows them: git's, with meta overrides, then injected names."""
    real = [dict(e) for e in repo.entries(commit)]
    by_path = {e["path"]: e for e in real}
    for path, over in meta.get("file_overrides", {}).items():
        e = by_path.get(path)
        if not e:
            continue
        if "oid" in over:
            e["oid"] = over["oid"]
        if "size" in over:
            e["size"] = over["size"]
            if e["lfs"]:
                e["lfs"] = dict(e["lfs"], size=over["size"])
        if "sha256" in over and e["lfs"]:
            e["lfs"] = dict(e["lfs"], sha256=over["sha256"])
    injected = []
    for inj in meta.get("inject", []):
        like = by_path.get(inj.get("like", ""))
        if like:
            e = dict(like, path=inj["path"])
        else:
            lfs = inj.get("lfs")
            if lfs:
                lfs = {"sha256": lfs.get("sha256", lfs.get("oid", "0" * 64)), "size": lfs.get("size", 0),
                       "pointerSize": lfs.get("pointerSize", 0)}
            e = {"type": inj.get("type", "file"), "path": inj["path"], "oid": inj.get("oid", "0" * 40),
                 "size": inj.get("size", 0), "lfs": lfs}
        e["injected"] = True
        injected.append(e)
    return real, injected


def read_json_file(repo, entries, path, cap=1 << 20):
    e = next((x for x in entries if x["path"] == path and x["type"] == "file" and not x["lfs"]), None)
    if not e or e["size"] > cap:
        return None
    try:
        doc = json.loads(repo.blob(e["oid"]) or b"")
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def safetensors_header(content):
    """The tensor part of a safetensors header, or None if it cannot be read."""
    if content.size < 8:
        return None
    head = b"".join(content.chunks(0, min(8, content.size)))
    n = int.from_bytes(head, "little")
    if n > SAFETENSORS_MAX_HEADER or n > content.size - 8:
        return None
    try:
        doc = json.loads(b"".join(content.chunks(8, n)).decode("utf-8", errors="ignore"))
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def safetensors_params(repo, entries):
    """{"parameters": {DTYPE: n}, "total": n}, found as get_safetensors_metadata does (spec section 8)."""
    files = {e["path"]: e for e in entries if e["type"] == "file"}
    if "model.safetensors" in files:
        names = ["model.safetensors"]
    elif "model.safetensors.index.json" in files:
        index = read_json_file(repo, entries, "model.safetensors.index.json") or {}
        wm = index.get("weight_map")
        names = sorted(set(wm.values())) if isinstance(wm, dict) else []
    else:
        names = sorted(p for p in files if p.endswith(".safetensors") and "/" not in p)
    params = {}
    for name in names:
        if name not in files:
            return None
        try:
            header = safetensors_header(repo.content(files[name]))
        except OSError:         # LFS object missing from the store
            header = None
        if header is None:
            return None
        for key, t in header.items():
            if key == "__metadata__" or not isinstance(t, dict):
                continue
            n = 1
            for d in t.get("shape", []):
                n *= d if isinstance(d, int) else 0
            params[t.get("dtype", "?")] = params.get(t.get("dtype", "?"), 0) + n
    if not params:
        return None
    return {"parameters": params, "total": sum(params.values())}


def sibling(e, blobs):
    s = {"rfilename": e["path"]}
    if blobs:
        s["blobId"] = e["oid"]
        s["size"] = e["size"]
        if e["lfs"]:
            s["lfs"] = {"sha256": e["lfs"]["sha256"], "size": e["lfs"]["size"],
                        "pointerSize": e["lfs"]["pointerSize"]}
    return s


def model_info(repo, meta, commit, blobs, security, expand):
    real, injected = api_files(repo, meta, commit)
    files = [e for e in real if e["type"] == "file"]
    pristine = repo.entries(commit)     # content is read by the true ids, whatever the API claims
    info = {
        "_id": meta.get("_id", hashlib.sha1(repo.id.encode()).hexdigest()[:24]),
        "id": repo.id,
        "modelId": repo.id,
        "author": repo.ns,
        "sha": commit,
        "lastModified": repo.commit_info(commit)["date"],
        "private": meta.get("private", False),
        "gated": meta.get("gated", False),
        "disabled": meta.get("disabled", False),
    }
    for k in ("library_name", "pipeline_tag"):
        if k in meta:
            info[k] = meta[k]
    info["tags"] = meta.get("tags", [])
    info["downloads"] = meta.get("downloads", 0)
    info["likes"] = meta.get("likes", 0)
    config = read_json_file(repo, pristine, "config.json")
    if config is not None:
        info["config"] = {k: config[k] for k in CONFIG_KEYS if k in config}
        tok = read_json_file(repo, pristine, "tokenizer_config.json")
        if tok:
            info["config"]["tokenizer_config"] = {k: tok[k] for k in TOKENIZER_KEYS if k in tok}
    for k in ("cardData", "transformersInfo"):
        if k in meta:
            info[k] = meta[k]
    info["siblings"] = [sibling(e, blobs) for e in files + injected]
    info["spaces"] = meta.get("spaces", [])
    info["createdAt"] = meta.get("createdAt", info["lastModified"])
    st = safetensors_params(repo, pristine)
    if st:
        info["safetensors"] = st
    info["usedStorage"] = sum(e["size"] for e in files)
    for k, v in meta.items():
        if k not in info and k not in META_INTERNAL:
            info[k] = v
    for k, v in meta.get("info", {}).items():       # last word: overrides, null deletes
        if v is None:
            info.pop(k, None)
        else:
            info[k] = v
    if security:
        info["securityRepoStatus"] = meta.get("securityRepoStatus", {"scansDone": True, "filesWithIssues": []})
    if expand is not None:
        out = {"_id": info["_id"], "id": info["id"]}
        for k in expand:
            if k == "siblings":
                out[k] = [{"rfilename": s["rfilename"]} for s in info["siblings"]]
            elif k in info:
                out[k] = info[k]
        return out
    return info


def tree_entry(repo, meta, commit, e, expand):
    t = {"type": e["type"], "oid": e["oid"], "size": e["size"], "path": e["path"]}
    if e.get("lfs"):
        t["lfs"] = {"oid": e["lfs"]["sha256"], "size": e["lfs"]["size"], "pointerSize": e["lfs"]["pointerSize"]}
    if expand:
        t["lastCommit"] = repo.last_commit(commit, e["path"])
        if e["type"] == "file":
            t["securityFileStatus"] = meta.get("securityFileStatus", {}).get(
                e["path"], {"status": "safe", "avScan": {"virusFound": False, "virusNames": None},
                            "pickleImportScan": None})
    return t


def tree_listing(real, injected, path, recursive):
    """Entries below path (all levels or one); None when path does not exist."""
    if path:
        hit = next((e for e in real if e["path"] == path), None)
        if hit is None:
            return None
        if hit["type"] == "file":
            return [hit]
        prefix = path + "/"
    else:
        prefix = ""
    out = [e for e in real if e["path"].startswith(prefix)
           and (recursive or "/" not in e["path"][len(prefix):])]
    if not path:
        out += injected          # hostile names git cannot hold are listed at the root
    return out


# ---------------------------------------------------------------- faults

class Faults:
    """Rules from OUTDIR/faults.json, re-read on every request (POST /_control/faults writes it).

    Spent counts live here, keyed by the file's identity and the rule's index, so a
    newly written file starts afresh."""

    KINDS = {"status", "drop", "slow", "wrong", "short", "oversize", "ignore-range", "redirect", "body",
             "delay"}

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.seen = {}          # (file id, index) -> matches so far

    def load(self):
        try:
            with open(self.path, "rb") as f:
                st = os.fstat(f.fileno())
                raw = f.read()
        except FileNotFoundError:
            return None, []
        if not raw.strip():
            return None, []
        rules = json.loads(raw)
        if isinstance(rules, dict):
            rules = rules.get("rules", [rules] if "kind" in rules else [])
        if not isinstance(rules, list):
            raise ValueError("faults must be a list of rules")
        for i, r in enumerate(rules):
            if not isinstance(r, dict) or r.get("kind") not in self.KINDS:
                raise ValueError("rule {}: unknown kind {!r}".format(i, r.get("kind") if isinstance(r, dict) else r))
        fid = (st.st_ino, st.st_mtime_ns, st.st_size, hashlib.sha1(raw).hexdigest())
        return fid, rules

    def match(self, origin, method, target):
        """The first live rule for this request, its count taken; None if none.
        Raises ValueError when the file is malformed."""
        with self.lock:
            fid, rules = self.load()
            for i, r in enumerate(rules):
                if r.get("origin", "any") not in ("any", origin):
                    continue
                if r.get("method") and r["method"].upper() != method:
                    continue
                if r.get("path") and not re.search(r["path"], target):
                    continue
                key = (fid, i)
                n = self.seen.get(key, 0)
                after, count = r.get("after", 0), r.get("count")
                if count is not None and n >= after + count:
                    continue
                self.seen[key] = n + 1
                if n < after:
                    continue
                return r
        return None

    def status(self):
        with self.lock:
            try:
                fid, rules = self.load()
            except ValueError as e:
                return {"error": str(e)}
            out = []
            for i, r in enumerate(rules):
                out.append(dict(r, matched=self.seen.get((fid, i), 0)))
            return {"rules": out}


# ---------------------------------------------------------------- the server

class Hub:
    """State both origins share."""

    def __init__(self, args):
        self.root = os.path.abspath(args.root)
        self.tokens = set(args.token or [])
        self.page_size = args.page_size
        self.expand_page_size = args.expand_page_size
        self.log_path = args.log or os.path.join(self.root, "requests.jsonl")
        self.faults = Faults(os.path.join(self.root, "faults.json"))
        self.log_lock = threading.Lock()
        self.flight_lock = threading.Lock()
        self.in_flight = 0              # requests being answered, both origins
        self.ids = itertools.count(1)
        self.cdn_base = None

    def alias(self, legacy):
        """The canonical org/name of a legacy id (meta.json "aliases"), or None."""
        base = os.path.join(self.root, "models")
        for ns in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            for name in sorted(os.listdir(os.path.join(base, ns))):
                try:
                    with open(os.path.join(base, ns, name, "meta.json"), encoding="utf-8") as f:
                        meta = json.load(f)
                except (OSError, ValueError):
                    continue
                if legacy in meta.get("aliases", []):
                    return ns + "/" + name
        return None

    def git_env(self, gitdir=None):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.root,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "LC_ALL": "C",
            "GIT_LITERAL_PATHSPECS": "1",   # a file name is never pathspec magic
        }
        if gitdir:
            env["GIT_DIR"] = gitdir
        return env

    def log(self, entry):
        line = json.dumps(entry, ensure_ascii=True) + "\n"
        with self.log_lock:
            with open(self.log_path, "a", encoding="ascii") as f:
                f.write(line)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, as the real Hub; every reply carries its length
    server_version = "pf-hub"
    timeout = 60                        # an idle keep-alive connection frees its thread

    # quiet: tests read the JSON log, not stderr
    def log_message(self, fmt, *args):
        pass

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self.arrived = time.time()
        self.counted, self.in_flight = False, 0
        try:
            self.handle_request()
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True
        except Exception:
            # A bug in this server: say so on stderr and answer 500 rather than hang up.
            traceback.print_exc()
            self.close_connection = True
            if not self.replied:
                try:
                    self.send(json_reply(500, {"error": "test hub internal error"}), None)
                except OSError:
                    pass
        finally:
            self.settle()

    def settle(self):
        """The request is answered from now on: it no longer counts in in_flight."""
        if self.counted:
            with self.hub.flight_lock:
                self.hub.in_flight -= 1
            self.counted = False

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    @property
    def hub(self):
        return self.server.hub

    @property
    def origin(self):
        return self.server.origin

    # ------------------------------------------------ request plumbing

    def handle_request(self):
        self.request_id = "pf-hub-{}".format(next(self.hub.ids))
        self.body_read = False
        self.replied = False
        self.ignore_range = False
        split = urllib.parse.urlsplit(self.path)
        self.raw_path, self.query = split.path, split.query
        if self.origin == "hub" and self.raw_path.startswith("/_control/"):
            self.send(self.control(), None)
            return
        # Requests received and not yet answered, this one included. A
        # request stops counting when its answer starts (settle), before
        # the client can see it, so a client's next request never finds
        # its last one still counted; concurrency peaks when a request
        # arrives, so the log's largest in_flight is the most requests a
        # client had waiting at once.
        with self.hub.flight_lock:
            self.hub.in_flight += 1
            self.in_flight = self.hub.in_flight
        self.counted = True
        try:
            fault = self.hub.faults.match(self.origin, self.command, self.path)
        except (ValueError, re.error) as e:
            self.send(json_reply(500, {"error": "faults.json: {}".format(e)}), None)
            return
        kind = fault["kind"] if fault else None
        if fault and (fault.get("delay") or kind == "delay"):
            time.sleep(float(fault.get("delay", fault.get("seconds", 1))))
        if kind == "status":
            reply = self.fault_status(fault)
        elif kind == "redirect":
            reply = self.fault_redirect(fault)
        else:
            self.ignore_range = kind == "ignore-range"      # the 200-to-a-Range fault
            reply = self.route()
            if kind == "body":
                reply = self.fault_body(reply, fault)
        self.send(reply, fault)

    def read_body(self):
        """The request body: Content-Length or chunked (git sends chunked for big requests)."""
        self.body_read = True
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                n = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if n == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(n)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def token(self):
        """(present, valid, value): Bearer, or git's Basic with the token as password."""
        auth = self.headers.get("Authorization")
        if not auth:
            return False, False, None
        scheme, _, value = auth.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "basic":
            try:
                value = base64.b64decode(value).decode().partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                value = ""
        elif scheme.lower() != "bearer":
            value = ""
        return True, value in self.hub.tokens, value

    def common_headers(self, reply):
        resource = "resolvers" if "/resolve/" in self.raw_path else "api"
        for name, value in (
                ("X-Request-Id", self.request_id),
                ("RateLimit", '"{}";r=499;t=300'.format(resource)),
                ("RateLimit-Policy", '"fixed window";"{}";q=500;w=300'.format(resource)),
                ("Access-Control-Expose-Headers",
                 "X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,"
                 "Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag")):
            if reply.header(name) is None:
                reply.headers.append((name, value))

    def send(self, reply, fault):
        """Log the request, then write the reply, shaped by the fault if any."""
        if not self.body_read and self.command in ("POST", "PUT", "PATCH"):
            try:
                self.read_body()            # leave the connection clean for the next request
            except (OSError, ValueError):
                self.close_connection = True
        self.common_headers(reply)
        kind = fault["kind"] if fault else None
        self.settle()
        self.log_request_line(reply.status, kind)

        length = reply.length
        announced = length
        limit = length                  # bytes of the body to send
        extra = 0                       # bytes to send past the body
        if kind in ("drop", "short"):
            default = 0 if kind == "drop" else length // 2
            limit = min(int(fault.get("bytes", default)), length)
        elif kind == "oversize":
            extra = int(fault.get("extra", 1024))
            ann = fault.get("announce", "none")
            announced = None if ann == "none" else (length if ann == "real" else int(ann))

        self.replied = True
        try:
            self.send_response(reply.status)
            for k, v in reply.headers:
                self.send_header(k, v)
            if announced is not None:
                self.send_header("Content-Length", str(announced))
            if kind in ("drop", "short", "oversize"):
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command == "HEAD":
                return
            self.write_body(reply, limit, extra, fault)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True

    def write_body(self, reply, limit, extra, fault):
        kind = fault["kind"] if fault else None
        sent = 0
        flip_at = int(fault.get("offset", reply.length // 2)) if kind == "wrong" else -1
        flip_len = int(fault.get("length", 1)) if kind == "wrong" else 0
        step = 65536
        rate = stall_after = None
        if kind in ("slow", "wrong"):         # wrong bytes may come slowly too
            rate = fault.get("rate")
            stall_after = int(fault.get("bytes", 0)) if "stall" in fault else None
            if rate:
                step = max(1, int(rate) // 10)
            elif stall_after is not None:
                step = 1024
        for chunk in reply.content.chunks(reply.start, reply.length, step):
            if sent >= limit:
                break
            chunk = chunk[:limit - sent]
            if flip_len and flip_at < sent + len(chunk) and flip_at + flip_len > sent:
                b = bytearray(chunk)
                for i in range(max(flip_at - sent, 0), min(flip_at + flip_len - sent, len(b))):
                    b[i] ^= 0xFF
                chunk = bytes(b)
            if stall_after is not None and sent <= stall_after < sent + len(chunk):
                cut = stall_after - sent
                self.wfile.write(chunk[:cut])
                self.wfile.flush()
                time.sleep(float(fault["stall"]))
                chunk = chunk[cut:]
                stall_after = None
            self.wfile.write(chunk)
            sent += len(chunk)
            if rate:
                self.wfile.flush()
                time.sleep(0.1)
        if extra:
            self.wfile.write(b"X" * extra)
        if limit < reply.length or extra:
            self.wfile.flush()
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def log_request_line(self, status, fault_kind):
        if self.raw_path.startswith("/_control/"):
            return
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = headers[k] + ", " + v if k in headers else v
        self.hub.log({
            "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "arrived": round(self.arrived, 6),
            "in_flight": self.in_flight,
            "origin": self.origin,
            "method": self.command,
            "path": self.path,
            "status": status,
            "range": self.headers.get("Range"),
            "headers": headers,
            "request_id": self.request_id,
            "fault": fault_kind,
        })

    # ------------------------------------------------ faults that replace the answer

    def fault_status(self, f):
        status = int(f.get("status", 500))
        h = list((f.get("headers") or {}).items())
        if "body" in f:
            return Reply(status, h, Content(data=str(f["body"]).encode()))
        reason = self.responses.get(status, ("Error",))[0]
        return json_reply(status, {"error": reason}, h)

    def fault_redirect(self, f):
        loc = f.get("location", "self")
        if loc == "self":
            loc = self.path         # a redirect loop
        if not is_loopback_url(loc):
            return json_reply(500, {"error": "fault refused: redirect to a non-loopback address"})
        h = [("Location", loc)] + list((f.get("headers") or {}).items())
        return Reply(int(f.get("status", 302)), h, Content(data=b"Found. Redirecting to " + loc.encode()))

    def fault_body(self, reply, f):
        if "size" in f:
            content = big_json(int(f["size"]))
        elif "json" in f:
            content = Content(data=json.dumps(f["json"]).encode())
        elif "hex" in f:
            content = Content(data=bytes.fromhex(f["hex"]))
        else:
            content = Content(data=str(f.get("text", "")).encode())
        headers = [(k, v) for k, v in reply.headers if k.lower() not in ("content-range", "content-length")]
        return Reply(int(f.get("status", reply.status)), headers, content)

    # ------------------------------------------------ routes

    def route(self):
        if self.origin == "cdn":
            return self.route_cdn()
        if self.command not in ("GET", "HEAD", "POST"):
            return json_reply(405, {"error": "Method not allowed"})
        present, valid, _ = self.token()
        if present and not valid:
            return hub_error(401, MSG_BAD_TOKEN)
        segs = self.raw_path.split("/")
        # A legacy id the Hub renamed (gpt2 -> openai-community/gpt2): a
        # relative 307 to the canonical id, the rest of the path kept.
        legacy = 3 if self.raw_path.startswith("/api/models/") else 1
        if len(segs) > legacy and "/" not in urllib.parse.unquote(segs[legacy]):
            canon = self.hub.alias(urllib.parse.unquote(segs[legacy]))
            if canon is not None:
                loc = "/".join(segs[:legacy] + [canon] + segs[legacy + 1:])
                if self.query:
                    loc += "?" + self.query
                return Reply(307, [("Location", loc)], Content(data=b"Temporary Redirect"))
        if self.raw_path.startswith("/api/models/") and len(segs) >= 5 and self.command != "POST":
            return self.route_api(segs[3], segs[4], segs[5:])
        if len(segs) >= 6 and segs[3] == "resolve" and self.command != "POST":
            return self.route_resolve(segs[1], segs[2], segs[4], "/".join(segs[5:]))
        m = GIT_ROUTE.match(self.raw_path)
        if m:
            return self.route_git(m.group(1), m.group(2), m.group(3))
        return json_reply(404, {"error": "Sorry, we can't find the page you are looking for."})

    def repo_or_error(self, ns, name, files):
        """The repo if this caller may see it (and download from it when files), else the error reply."""
        ns, name = urllib.parse.unquote(ns), urllib.parse.unquote(name)
        _, valid, token = self.token()
        not_found = hub_error(404 if valid else 401, MSG_REPO_NOT_FOUND, "RepoNotFound")
        if not (REPO_PART.match(ns) and REPO_PART.match(name)) or ".." in ns + name or "--" in ns + name:
            return None, None, not_found
        repo = Repo(self.hub, ns, name)
        if not repo.exists():
            return None, None, not_found
        try:
            meta = repo.meta()
        except ValueError as e:
            return None, None, json_reply(500, {"error": "meta.json: {}".format(e)})
        granted = valid and token in meta.get("granted_tokens", [])
        if meta.get("private") and not (granted or (valid and "granted_tokens" not in meta)):
            return None, None, not_found
        if meta.get("disabled"):
            return None, None, hub_error(403, MSG_DISABLED)
        if files and meta.get("gated") and not granted:
            if valid:
                msg = ("Access to model {0} is restricted and you are not in the authorized list. "
                       "Visit https://huggingface.co/{0} to ask for access.").format(repo.id)
                return None, None, hub_error(403, msg, "GatedRepo")
            msg = ("Access to model {} is restricted. You must have access to it and be authenticated "
                   "to access it. Please log in.").format(repo.id)
            return None, None, hub_error(401, msg, "GatedRepo")
        return repo, meta, None

    def resolve_rev(self, repo, raw_rev):
        rev = urllib.parse.unquote(raw_rev)
        commit = repo.resolve(rev)
        if commit is None:
            return None, hub_error(404, "Invalid rev id: {}".format(rev), "RevisionNotFound")
        return commit, None

    def params(self):
        q = urllib.parse.parse_qs(self.query, keep_blank_values=True)
        flag = lambda k: q.get(k, [""])[-1].lower() in ("true", "1")
        return q, flag

    def route_api(self, ns, name, rest):
        repo, meta, err = self.repo_or_error(ns, name, files=False)
        if err:
            return err
        q, flag = self.params()
        if not rest or rest == [""]:
            kind, raw_rev, sub = "info", "main", []
        elif rest[0] == "revision" and len(rest) >= 2:
            kind, raw_rev, sub = "info", "/".join(rest[1:]), []
        elif rest[0] == "tree" and len(rest) >= 2:
            kind, raw_rev, sub = "tree", rest[1], rest[2:]
        else:
            return json_reply(404, {"error": "Sorry, we can't find the page you are looking for."})
        commit, err = self.resolve_rev(repo, raw_rev)
        if err:
            return err
        if kind == "tree":
            return self.tree(repo, meta, commit, urllib.parse.unquote("/".join(sub)).strip("/"), q, flag)
        expand = q.get("expand", []) + q.get("expand[]", [])
        if expand:
            bad = [e for e in expand if e not in EXPAND_FIELDS]
            if bad:
                return hub_error(400, '"expand" must be one of {}'.format(", ".join(EXPAND_FIELDS)))
            if flag("blobs") or flag("securityStatus"):
                return hub_error(400, '"expand" cannot be combined with "blobs" or "securityStatus"')
        info = model_info(repo, meta, commit, flag("blobs"), flag("securityStatus"), expand or None)
        return json_reply(200, info)

    def tree(self, repo, meta, commit, path, q, flag):
        real, injected = api_files(repo, meta, commit)
        listing = tree_listing(real, injected, path, flag("recursive"))
        if listing is None:
            return hub_error(404, "Entry not found", "EntryNotFound", commit)
        expand = flag("expand")
        size = self.hub.expand_page_size if expand else self.hub.page_size
        offset = 0
        if "cursor" in q:
            try:
                offset = int(json.loads(base64.urlsafe_b64decode(q["cursor"][-1] + "==").decode())["offset"])
            except (ValueError, KeyError, TypeError):
                return hub_error(400, "Invalid cursor")
        page = listing[offset:offset + size]
        headers = []
        if offset + size < len(listing):
            cursor = base64.urlsafe_b64encode(json.dumps({"offset": offset + size}).encode()).decode().rstrip("=")
            keep = [(k, v) for k, v in urllib.parse.parse_qsl(self.query, keep_blank_values=True) if k != "cursor"]
            query = urllib.parse.urlencode(keep + [("cursor", cursor)])
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            headers.append(("Link", '<{}://{}{}?{}>; rel="next"'.format(self.hub.scheme, host, self.raw_path, query)))
        return json_reply(200, [tree_entry(repo, meta, commit, e, expand) for e in page], headers)

    def route_resolve(self, ns, name, raw_rev, raw_file):
        repo, meta, err = self.repo_or_error(ns, name, files=True)
        if err:
            return err
        commit, err = self.resolve_rev(repo, raw_rev)
        if err:
            return err
        path = urllib.parse.unquote(raw_file)
        real, injected = api_files(repo, {"inject": meta.get("inject", [])}, commit)
        e = next((x for x in real + injected if x["path"] == path and x["type"] == "file"), None)
        if e is None:
            return hub_error(404, "Entry not found", "EntryNotFound", commit, text="Entry not found")
        if e["lfs"]:
            loc = "{}/cdn/{}".format(self.hub.cdn_base, e["lfs"]["sha256"])
            return Reply(302, [
                ("Location", loc),
                ("Content-Type", "text/plain; charset=utf-8"),
                ("X-Repo-Commit", commit),
                ("X-Linked-Etag", '"{}"'.format(e["lfs"]["sha256"])),
                ("X-Linked-Size", str(e["lfs"]["size"])),
                ("ETag", '"{}"'.format(e["oid"])),
                ("Accept-Ranges", "bytes"),
            ], Content(data="Found. Redirecting to {}".format(loc).encode()))
        ctype = "application/json; charset=utf-8" if path.endswith(".json") else (
            "text/plain; charset=utf-8" if path.endswith((".md", ".txt", ".py", ".gitattributes", ".jinja"))
            else "application/octet-stream")
        headers = [("Content-Type", ctype), ("X-Repo-Commit", commit), ("ETag", '"{}"'.format(e["oid"]))]
        return content_reply(repo.content(e), headers, self.headers.get("Range"), self.ignore_range)

    def route_cdn(self):
        if self.command not in ("GET", "HEAD"):
            return Reply(405, [("Content-Type", "text/plain")], Content(data=b"Method not allowed"))
        sha = self.raw_path[len("/cdn/"):] if self.raw_path.startswith("/cdn/") else ""
        path = os.path.join(self.hub.root, "lfs", sha) if HEX64.match(sha) else None
        if not path or not os.path.isfile(path):
            return Reply(404, [("Content-Type", "application/xml")],
                         Content(data=b"<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code></Error>"))
        headers = [("Content-Type", "application/octet-stream"), ("ETag", '"{}"'.format(sha))]
        return content_reply(Content(path=path), headers, self.headers.get("Range"), self.ignore_range)

    def route_git(self, ns, name, rest):
        """Read-only git smart HTTP through `git http-backend` (CGI)."""
        if rest == "git-receive-pack" or "receive-pack" in self.query:
            return hub_error(403, "Pushing is not allowed on this mirror")
        repo, meta, err = self.repo_or_error(ns, name, files=True)
        if err:
            if err.status == 401:
                err.headers.append(("WWW-Authenticate", 'Basic realm="Authentication required"'))
            return err
        body = self.read_body() if self.command == "POST" else b""
        env = self.hub.git_env()
        env.update({
            "GIT_PROJECT_ROOT": os.path.join(self.hub.root, "repos"),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": "/{}/{}.git/{}".format(repo.ns, repo.name, rest),
            "QUERY_STRING": self.query,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            # The Hub lets a client fetch any commit by id; pf-preflight relies on it.
            "GIT_CONFIG_COUNT": "1",
            "GIT_CONFIG_KEY_0": "uploadpack.allowAnySHA1InWant",
            "GIT_CONFIG_VALUE_0": "true",
        })
        for h in ("Git-Protocol", "Content-Encoding"):
            if self.headers.get(h):
                env["HTTP_" + h.upper().replace("-", "_")] = self.headers[h]
        p = subprocess.run(["git", "http-backend"], input=body, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, check=False)
        out = p.stdout
        sep = out.find(b"\r\n\r\n")
        cut = 4
        if sep < 0:
            sep, cut = out.find(b"\n\n"), 2
        if sep < 0:
            return json_reply(500, {"error": "git http-backend failed"})
        status, headers = 200, []
        for line in out[:sep].decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.split()[0])
            elif k:
                headers.append((k.strip(), v.strip()))
        return Reply(status, headers, Content(data=out[sep + cut:]))

    # ------------------------------------------------ control

    def control(self):
        if self.raw_path == "/_control/faults":
            if self.command == "GET":
                return json_reply(200, self.hub.faults.status())
            if self.command in ("POST", "PUT"):
                body = self.read_body()
                try:
                    rules = json.loads(body or b"[]")
                except ValueError as e:
                    return json_reply(400, {"error": "bad JSON: {}".format(e)})
                path = self.hub.faults.path
                tmp = path + ".tmp{}".format(threading.get_ident())
                with open(tmp, "w") as f:
                    json.dump(rules, f)
                os.replace(tmp, path)
                return json_reply(200, self.hub.faults.status())
            if self.command == "DELETE":
                try:
                    os.unlink(self.hub.faults.path)
                except FileNotFoundError:
                    pass
                return json_reply(200, {"rules": []})
        return json_reply(404, {"error": "unknown control route"})


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, hub, origin):
        super().__init__(addr, Handler)
        self.hub, self.origin = hub, origin

    def handle_error(self, request, client_address):
        # A client hanging up is normal in fault tests; only real bugs reach stderr.
        exc = sys.exc_info()[1]
        # A client that refuses the certificate (a TLS test) is normal too.
        if isinstance(exc, (ConnectionError, socket.timeout, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("{}\n".format(port))
    os.replace(tmp, path)       # readers never see a half-written number


def main():
    ap = argparse.ArgumentParser(description="Local Hugging Face Hub for Pathfinder's tests.")
    ap.add_argument("--root", required=True, help="mirror built by tests/fixtures/gen-hub.py")
    ap.add_argument("--port-file", help="write the Hub port here once listening")
    ap.add_argument("--cdn-port-file", help="write the CDN port here once listening")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0: a free port")
    ap.add_argument("--cdn-host", default="127.0.0.2", help="another host name, so tokens must be dropped")
    ap.add_argument("--cdn-port", type=int, default=0)
    ap.add_argument("--cdn-url", help="send LFS redirects to URL/cdn/<sha256>, another server on loopback "
                    "serving ROOT/lfs (bench/e2e.sh: nginx), instead of the built-in CDN origin")
    ap.add_argument("--log", help="request log (default ROOT/requests.jsonl)")
    ap.add_argument("--token", action="append", help="a valid token (repeatable)")
    ap.add_argument("--page-size", type=int, default=1000, help="tree entries per page")
    ap.add_argument("--expand-page-size", type=int, default=50, help="tree entries per page with expand=true")
    ap.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    ap.add_argument("--tls-cert", help="serve both origins over TLS with this certificate chain (PEM)")
    ap.add_argument("--tls-key", help="the private key of --tls-cert (PEM)")
    args = ap.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    for host in (args.host, args.cdn_host):
        if not ipaddress.ip_address(host).is_loopback:
            ap.error("{}: the test Hub listens on loopback only".format(host))
    if args.cdn_url:
        u = urllib.parse.urlsplit(args.cdn_url)
        if u.scheme not in ("http", "https") or not u.hostname or not ipaddress.ip_address(u.hostname).is_loopback:
            ap.error("{}: --cdn-url must be http(s) on a loopback address".format(args.cdn_url))

    hub = Hub(args)
    hub_srv = Server((args.host, args.port), hub, "hub")
    cdn_srv = Server((args.cdn_host, args.cdn_port), hub, "cdn")
    hub.scheme = "http"
    if args.tls_cert:
        # TLS on both origins, as on the real Hub and its CDN. The handshake
        # runs in the handler's thread, so a client that rejects the
        # certificate costs that thread only.
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        for srv in (hub_srv, cdn_srv):
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True, do_handshake_on_connect=False)
        hub.scheme = "https"
    hub.cdn_base = args.cdn_url.rstrip("/") if args.cdn_url else \
        "{}://{}:{}".format(hub.scheme, args.cdn_host, cdn_srv.server_address[1])
    for srv in (hub_srv, cdn_srv):
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    # Both sockets listen already; the Hub's port file comes last, so it means "ready".
    if args.cdn_port_file:
        write_port(args.cdn_port_file, cdn_srv.server_address[1])
    if args.port_file:
        write_port(args.port_file, hub_srv.server_address[1])
    else:   # run by hand (make demo): say where to point HF_ENDPOINT
        print("HF_ENDPOINT={}://{}:{}  (CDN {})".format(hub.scheme, args.host, hub_srv.server_address[1], hub.cdn_base),
              flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.2):
        if args.parent_pid:
            try:
                os.kill(args.parent_pid, 0)
            except ProcessLookupError:
                break           # the test that started us is gone: leave nothing behind
            except PermissionError:
                pass
    hub_srv.shutdown()
    cdn_srv.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
