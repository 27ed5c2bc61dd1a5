#!/bin/sh
# Seeds for fuzz-approval: a well-formed record (its signature garbage), a
# rejection, and records with a member missing, added or out of form.
d=${1:?usage: seeds-approval.sh DIR}
mkdir -p "$d"
h=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
c=0123456789abcdef0123456789abcdef01234567
rec() {
	printf '{"approver": "%s", "decision": "%s", "time": "2025-11-25T10:00:00Z", "model_id": "acme/helpful", "revision": "main", "commit": "%s", "plan_sha256": "%s", "fetch_sha256": "%s", "requester": "erin", "reason": "%s", "key_id": "%s", "signature": "%s"%s}' \
	    "$1" "$2" "$c" "$h" "$h" "$3" "$h" "$4" "$5"
}
rec alice approve "reviewed" "MEUCIQCJooWmawzkDQJkQMr27Dra4EuBipnFKpJ11uKvRDeMngIgQRdEOhTjFc1a3dlwE/CJwOKNclw6gswCBWf0XEeNldg=" "" >"$d/approve"
rec alice reject "calls home\nat import" "AAAA" "" >"$d/reject"
rec erin approve "" "AAAA" "" >"$d/self"
rec alice approve "" "AAAA" ', "role": "admin"' >"$d/extra"
rec 'al ice' maybe "" "=A==" "" >"$d/bad"
printf '%s' '{"approver": "alice"}' >"$d/short"
