#!/bin/sh
# Seeds for fuzz-oms: the upstream OpenSSF test vector's bundle, and
# bundles of our own shape with subfolders, odd names and broken members.
d=${1:?usage: seeds-oms.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$d"
cp "$here/../tests/fixtures/oms/v1.1.0-elliptic-key.model.sig" "$d/vector"
h=bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc
bundle() {	# STATEMENT SIG
	p=$(printf '%s' "$1" | base64 -w0)
	printf '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":""},"tlogEntries":[]},"dsseEnvelope":{"payload":"%s","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"%s","keyid":""}]}}' "$p" "$2"
}
st() {	# RESOURCES IGNORE
	printf '{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"m","digest":{"sha256":"%s"}}],"predicateType":"https://model_signing/signature/v1.0","predicate":{"serialization":{"method":"files","hash_type":"sha256","allow_symlinks":false,"ignore_paths":[%s]},"resources":[%s]}}' "$h" "$2" "$1"
}
r() { printf '{"name":"%s","algorithm":"sha256","digest":"%s"}' "$1" "$h"; }
bundle "$(st "$(r a/b),$(r a-b),$(r c.json)" '"model.sig",".git"')" MEUCIQCJooWmawzkDQJkQMr27Dra4EuBipnFKpJ11uKvRDeMngIgQRdEOhTjFc1a3dlwE/CJwOKNclw6gswCBWf0XEeNldg= >"$d/three"
bundle "$(st "$(r x),$(r x)" '')" AAAA >"$d/dup"
bundle "$(st "$(r ../up)" '')" AAAA >"$d/dotdot"
bundle "$(st '' '"a/"')" AA== >"$d/empty"
bundle '{"_type":"https://in-toto.io/Statement/v1"}' "A=A=" >"$d/short"
printf '%s' '{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}' >"$d/nomaterial"
