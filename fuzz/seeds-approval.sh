#!/bin/sh
# Seeds for fuzz-approval: a well-formed record (its signature garbage), a
# rejection, records with a member missing, added or out of form, and
# requests with a review (sorted, unsorted, malformed).
d=${1:?usage: seeds-approval.sh DIR}
mkdir -p "$d"
h=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
c=0123456789abcdef0123456789abcdef01234567
rec() {
	printf '{"approver": "%s", "decision": "%s", "time": "2025-11-25T10:00:00Z", "model_id": "acme/helpful", "revision": "main", "commit": "%s", "review_sha256": "%s", "requester": "erin", "reason": "%s", "key_id": "%s", "signature": "%s"%s}' \
	    "$1" "$2" "$c" "$h" "$3" "$h" "$4" "$5"
}
rec alice approve "reviewed" "MEUCIQCJooWmawzkDQJkQMr27Dra4EuBipnFKpJ11uKvRDeMngIgQRdEOhTjFc1a3dlwE/CJwOKNclw6gswCBWf0XEeNldg=" "" >"$d/approve"
rec alice reject "calls home\nat import" "AAAA" "" >"$d/reject"
rec erin approve "" "AAAA" "" >"$d/self"
rec alice approve "" "AAAA" ', "role": "admin"' >"$d/extra"
rec 'al ice' maybe "" "=A==" "" >"$d/bad"
printf '%s' '{"approver": "alice"}' >"$d/short"
req() {
	printf '{"stage": "approval-request", "generated_at": "2025-11-25T10:00:00Z", "model": {"id": "acme/helpful", "revision": "main", "commit": "%s"}, "requester": "alice", "reason": "", "review_sha256": "%s", "review": {"model_id": "acme/helpful", "commit": "%s", "policy_sha256": "%s", "files": [%s], "remote_code_files": [%s]}, "key_id": "%s", "signature": "AAAA"}' \
	    "$c" "$h" "$c" "$h" "$1" "$2" "$h"
}
f1='{"path": "config.json", "size": 20, "sha256": "'$h'"}'
f2='{"path": "modeling_x.py", "size": 9, "sha256": "'$h'"}'
req "$f1, $f2" '"modeling_x.py"' >"$d/request"
req "$f2, $f1" '"modeling_x.py"' >"$d/request-unsorted"
req '{"path": "../x", "size": -1, "sha256": "zz"}' '7' >"$d/request-bad"
