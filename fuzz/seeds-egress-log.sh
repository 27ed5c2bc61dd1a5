#!/bin/sh
# Seeds for fuzz-egress-log: tinyproxy's own lines for a tunnel, a refused
# host, a refused port, plain http with a user part, an unknown method, and
# more refused hosts than are kept.
d=${1:?usage: seeds-egress-log.sh DIR}
mkdir -p "$d"
l() { printf '%-9s Dec 05 00:43:26.668 [1]: %s\n' "$1" "$2"; }
{
	l CONNECT 'Request (file descriptor 4): CONNECT hub-mock:443 HTTP/1.1'
	l CONNECT 'Established connection to host "hub-mock" using file descriptor 5.'
	l CONNECT 'Request (file descriptor 4): CONNECT x.invalid:443 HTTP/1.1'
	l NOTICE 'Proxying refused on filtered url "x.invalid:443"'
	l CONNECT 'Request (file descriptor 4): CONNECT hub-mock:22 HTTP/1.1'
	l INFO 'Refused CONNECT method on port 22'
} >"$d/mixed"
{
	l NOTICE 'Proxying refused on filtered url "http://user:pw@evil.invalid:80/x?a="b""'
	l INFO 'Unknown method (BREW) or protocol (coffee://pot)'
	l INFO 'Refused CONNECT method on port 99999999'
} >"$d/odd"
i=0
while [ $i -lt 20 ]; do
	l NOTICE "Proxying refused on filtered url \"h$i.invalid:443\""
	i=$((i + 1))
done >"$d/many"
