#!/usr/bin/env bats
# pf-launch's network 'hub': the policy's allowlist and refusals, --print's
# egress pieces, the Kubernetes NetworkPolicy, the firewall preflight on
# this daemon (iptables off: refused), the proxy's behaviour on a network
# the test makes, and a whole run through a client socket whose daemon
# cannot be told (the policy's launch.egress.allow_unverified_firewall),
# with its cleanup. Traffic
# goes only to containers on networks the test made.

# The busybox test image and the proxy image, both made with docker import.
setup_file() {
	load helpers
	export PF_TEST_IMAGE="" PF_PROXY_IMAGE=""
	PF_TEST_IMAGE=$(pf_test_image "pf-egress-test:$$") || PF_TEST_IMAGE=""
	if [ -n "$PF_TEST_IMAGE" ] && [ -x /usr/bin/tinyproxy ]; then
		PF_PROXY_IMAGE=$("$PF_REPO/policies/build-egress-image.sh" \
		    "pf-egress-proxy-test:$$" 2>/dev/null) || PF_PROXY_IMAGE=""
	fi
	export PF_TEST_IMAGE PF_PROXY_IMAGE
}

teardown_file() {
	local i
	for i in "$PF_TEST_IMAGE" "$PF_PROXY_IMAGE"; do
		[ -z "$i" ] || docker rmi -f "$i" >/dev/null 2>&1 || true
	done
}

setup() {
	load helpers
	T=$BATS_TEST_TMPDIR
	M="$PF_HOME/verified/acme/m"
	mkdir -p "$M"
	printf 'weights\n' >"$M/model.safetensors"
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/k.pem" 2>/dev/null
	openssl ec -in "$T/k.pem" -pubout -out "$T/pub.pem" 2>/dev/null
	pf-sign --key "$T/k.pem" "$M" -o "$T/sign.json" 2>/dev/null
	jq -n --arg p "$M" '{pathfinder_version: "0.1.0", stage: "gate",
	    model: {id: "acme/m", revision: "main", commit: null},
	    status: "passed", findings: [],
	    gate: {decision: "passed", verified: {path: $p}}}' >"$T/gate.json"
	IMG=${PF_TEST_IMAGE:-sha256:$(printf '%064d' 0)}
	PIMG=${PF_PROXY_IMAGE:-sha256:$(printf '%064d' 1)}
	NOFILE=$(ulimit -Hn)
	if [ "$NOFILE" = unlimited ] || [ "$NOFILE" -gt 65536 ]; then NOFILE=65536; fi
	RUN_ID="e$$-$BATS_TEST_NUMBER"
	plan '.'
	hub_policy '.'
	VERIFIER=$PF_BIN/../static/pf-verify
	[ -x "$VERIFIER" ] || VERIFIER=$PF_REPO/build/static/pf-verify
	VERIFIER=$(realpath "$VERIFIER")
}

# Everything a test made carries its run id: containers, networks.
teardown() {
	[ -n "${PF_TEST_IMAGE:-}" ] || return 0
	docker ps -aq --filter "label=org.pathfinder.run=$RUN_ID" | xargs -r docker rm -f >/dev/null 2>&1 || true
	docker network ls -q --filter "label=org.pathfinder.run=$RUN_ID" | xargs -r docker network rm >/dev/null 2>&1 || true
	[ -z "${RELAY_PID:-}" ] || kill "$RELAY_PID" 2>/dev/null || true
	[ -z "${RELAY_DIR:-}" ] || rm -rf "$RELAY_DIR"
}

# plan JQ: a network 'hub' plan for the test image, adjusted by jq.
plan() {
	jq -n --arg img "$IMG" --argjson nofile "$NOFILE" '{
	    pathfinder_version: "0.1.0", stage: "plan",
	    model: {id: "acme/m", revision: "main", commit: null},
	    status: "passed", findings: [],
	    execution_plan: {container_image: $img, network_policy: "hub",
	        timeout_minutes: 5, accelerator: "none",
	        limits: {memory: "256m", cpus: 1, pids: 64, nofile: $nofile,
	            grace_seconds: 2}},
	    resource_plan: {device_type: "cpu"}}' | jq "$1" >"$T/plan.json"
}

# hub_policy JQ: a policy allowing network 'hub' with the test proxy.
hub_policy() {
	pf_policy ".launch.network = \"hub\" | .launch.egress.proxy_image = \"$PIMG\"
	    | .launch.egress.kubernetes.proxy_ip = \"10.96.0.50\" | $1"
}

need_engine() {
	[ -n "$PF_TEST_IMAGE" ] || skip "no container engine: 'docker info' failed"
	[ -n "$PF_PROXY_IMAGE" ] || skip "no proxy image: tinyproxy-bin is not installed"
}

launch() {
	pf-launch --plan "$T/plan.json" --gate "$T/gate.json" --key "$T/pub.pem" \
	    --verifier "$VERIFIER" --run-id "$RUN_ID" -o "$T/result.json" "$@"
}

# ip CONTAINER NETWORK: the container's IPv4 address on the network.
ip_on() {
	docker inspect --format "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"
}

# hub_mock NETWORK: a listener on 443 and 22 that prints what it is sent
# (its input stays open: at its end nc would close the tunnel).
hub_mock() {
	docker run -d --name "pf-hubmock-$RUN_ID" --label "org.pathfinder.run=$RUN_ID" \
	    --network "$1" "$IMG" /bin/sh -c '
	    (while :; do sleep 60 | nc -l -p 22; done) &
	    while :; do sleep 60 | nc -l -p 443; done' >/dev/null
}

@test "pf-launch egress: network 'hub' needs the policy's launch.network hub" {
	pf_policy '.'
	run -2 --separate-stderr launch --print -- /bin/true
	[ "$stderr" = "pf-launch: plan: network_policy 'hub' is refused: the policy's launch.network is 'none'" ]
	plan '.execution_plan.network_policy = "bridge"'
	hub_policy '.'
	run -2 --separate-stderr launch --print -- /bin/true
	[[ "$stderr" == *"network_policy 'bridge' is not none or hub"* ]]
	# Accepting an unchecked firewall is the policy's call, never the plan's.
	plan '.execution_plan.allow_unverified_firewall = true'
	run -2 --separate-stderr launch --print -- /bin/true
	[[ "$stderr" == *"allow_unverified_firewall"* ]]
	plan '.'
	hub_policy '.launch.egress.allow_unverified_firewall = "yes"'
	run -2 --separate-stderr launch --print -- /bin/true
	[[ "$stderr" == *"launch.egress.allow_unverified_firewall is not true or false"* ]]
}

@test "pf-launch egress: allowlist entries must be anchored, narrow patterns" {
	local p
	for p in 'huggingface\\.co' '^.*$' '^hf co$' '^a#b$' '^(a$' '^[0-9.]+$' '^local.*$'; do
		hub_policy ".launch.egress.allow = [\"$p\"]"
		run -2 --separate-stderr launch --print -- /bin/true
		[[ "$stderr" == "pf-launch: policy: launch.egress.allow[0] "* ]] || { echo "$p: $stderr"; false; }
	done
	hub_policy '.launch.egress.allow = []'
	run -2 --separate-stderr launch --print -- /bin/true
	[[ "$stderr" == *"must list 1 to 64 host patterns"* ]]
}

@test "pf-launch egress: the proxy image must be pinned, its network a plain name" {
	hub_policy '.launch.egress.proxy_image = "pathfinder/egress-proxy:latest"'
	run -2 --separate-stderr launch --print -- /bin/true
	[[ "$stderr" == *"launch.egress.proxy_image 'pathfinder/egress-proxy:latest' is not pinned by digest"* ]]
	for n in host none --privileged 'a b'; do
		hub_policy ".launch.egress.network = \"$n\""
		run -2 --separate-stderr launch --print -- /bin/true
		[[ "$stderr" == *"launch.egress.network '$n' is not a network name"* ]] || { echo "$n: $stderr"; false; }
	done
}

@test "pf-launch egress: --print shows the network, the proxy's argv and its files" {
	run -0 --separate-stderr launch --print -- /bin/true
	jq -e --arg id "$RUN_ID" --arg img "$PIMG" '
	    (.argv | any(. == "--network=pf-egress-\($id)") and any(. == "--dns=127.0.0.1")
	        and any(. == "--env=HTTPS_PROXY=http://<proxy-ip>:8888")
	        and any(. == "--env=NO_PROXY=") and all(. != "--network=none")
	        and all(. != "--env=HF_HUB_OFFLINE=1"))
	    and (.egress | .network == "pf-egress-\($id)" and .proxy == "pf-proxy-\($id)"
	        and .network_argv[:4] == ["docker", "network", "create", "--internal"]
	        and (.network_argv | any(. == "--label=org.pathfinder.run=\($id)"))
	        and .network_argv[-1] == "pf-egress-\($id)"
	        and (.proxy_argv | any(. == "--cap-drop=ALL") and any(. == "--read-only")
	            and any(. == "--user=65534:65534") and any(. == "--network=pf-egress-\($id)")
	            and any(. == "--label=org.pathfinder.egress=proxy")
	            and any(startswith("--label=org.pathfinder.expires="))
	            and any(. == $img) and .[-4:] == ["/usr/bin/tinyproxy", "-d", "-c", "/etc/pf-egress/tinyproxy.conf"])
	        and .connect_argv == ["docker", "network", "connect", "bridge", "pf-proxy-\($id)"]
	        and (.files["tinyproxy.conf"] | contains("FilterDefaultDeny Yes\n")
	            and contains("ConnectPort 443\n") and contains("FilterURLs Yes\n"))
	        and (.files.filter | split("\n") | index("^(huggingface\\.co):443$") != null))' <<<"$output"
	# --print runs nothing and makes nothing.
	[ ! -e "$T/pf-$RUN_ID.out.egress" ]
	plan '.execution_plan.network_policy = "none"'
	run -0 --separate-stderr launch --print -- /bin/true
	jq -e 'has("egress") | not' <<<"$output"
}

@test "pf-launch egress: --target kubernetes allows egress to the proxy pods only, no DNS" {
	run -0 --separate-stderr launch --target kubernetes -- /bin/true
	jq -e '(.items[1].spec | .policyTypes == ["Ingress", "Egress"] and (has("ingress") | not)
	        and .egress == [{to: [{podSelector: {matchLabels: {"app.kubernetes.io/name": "pf-egress-proxy"}},
	            namespaceSelector: {matchLabels: {"kubernetes.io/metadata.name": "pathfinder-egress"}}}],
	            ports: [{protocol: "TCP", port: 8888}]}])
	    and (.items[0].spec.template.spec | .dnsPolicy == "None"
	        and .dnsConfig == {nameservers: ["127.0.0.1"]}
	        and (.containers[0].env | any(. == {name: "HTTPS_PROXY", value: "http://10.96.0.50:8888"})
	            and any(. == {name: "NO_PROXY", value: ""})
	            and all(.name != "HF_HUB_OFFLINE")))' <<<"$output"
	hub_policy '.launch.egress.kubernetes.proxy_ip = "egress-proxy.svc"'
	run -2 --separate-stderr launch --target kubernetes -- /bin/true
	[[ "$stderr" == *"proxy_ip 'egress-proxy.svc' is not the IPv4 ClusterIP"* ]]
}

@test "pf-launch egress: the preflight refuses 'hub' on a daemon without its firewall (A25)" {
	need_engine
	pid=$(cat /var/run/docker.pid 2>/dev/null) || skip "no local dockerd pid file"
	tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qx -- '--iptables=false' ||
	    skip "this dockerd runs with its firewall"
	run -3 --separate-stderr launch -- /bin/true
	[[ "$stderr" == "pf-launch: network 'hub' refused: dockerd (pid $pid) runs with --iptables=false"* ]]
	[ ! -e "$T/result.json" ] && [ ! -e "$T/pf-$RUN_ID.out" ]
	[ -z "$(docker network ls -q --filter "name=pf-egress-$RUN_ID")" ]
	# Not even the policy can waive a firewall known to be off.
	hub_policy '.launch.egress.allow_unverified_firewall = true'
	run -3 --separate-stderr launch -- /bin/true
	[[ "$stderr" == *"runs with --iptables=false"* ]]
}

@test "pf-launch egress: the proxy tunnels to allowed hosts on 443 only (A24)" {
	need_engine
	local net px ip out
	hub_policy '.launch.egress.allow = ["^hub-mock$"] | .launch.egress.network = ""'
	run -0 --separate-stderr launch --print -- /bin/true
	jq '.egress' <<<"$output" >"$T/egress.json"
	net=$(jq -r .network "$T/egress.json")
	px=$(jq -r .proxy "$T/egress.json")
	# pf-launch's own network and proxy argv, and the files it writes.
	mapfile -t argv < <(jq -r '.network_argv[]' "$T/egress.json")
	"${argv[@]}" >/dev/null
	hub_mock "$net"
	ip=$(ip_on "pf-hubmock-$RUN_ID" "$net")
	mkdir -p "$(jq -r .config_dir "$T/egress.json")"
	jq -r '.files["tinyproxy.conf"]' "$T/egress.json" >"$(jq -r .config_dir "$T/egress.json")/tinyproxy.conf"
	jq -r '.files.filter' "$T/egress.json" >"$(jq -r .config_dir "$T/egress.json")/filter"
	# Without iptables the engine's DNS does not answer: hub-mock by address.
	mapfile -t argv < <(jq -r --arg h "--add-host=hub-mock:$ip" '.proxy_argv | .[:3] + [$h] + .[3:] | .[]' "$T/egress.json")
	"${argv[@]}" >/dev/null
	for _ in $(seq 50); do
		docker logs "$px" 2>&1 | grep -q "Accepting connections" && break
		sleep 0.2
	done
	out=$(docker run --rm --label "org.pathfinder.run=$RUN_ID" --network "$net" "$IMG" /bin/sh -c "
	    for t in hub-mock:443 x.invalid:443 hub-mock:22; do
	        (printf 'CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n' \$t \$t; sleep 1; echo through-\$t) |
	            timeout 5 nc -w 3 $(ip_on "$px" "$net") 8888 | head -1
	    done")
	echo "$out"
	# tinyproxy answers a tunnel with HTTP/1.0.
	[ "$(tr -d '\r' <<<"$out" | sed 's|^HTTP/1.[01] ||')" = "200 Connection established
403 Filtered
403 Access violation" ]
	# The tunnel reached hub-mock; nothing reached its port 22.
	docker logs "pf-hubmock-$RUN_ID" >"$T/mock.log" 2>&1
	grep -q "through-hub-mock:443" "$T/mock.log"
	! grep -q "through-hub-mock:22" "$T/mock.log"
	docker logs "$px" >"$T/proxy.log" 2>&1
	grep -q 'Proxying refused on filtered url "x.invalid:443"' "$T/proxy.log"
	grep -q 'Refused CONNECT method on port 22' "$T/proxy.log"
}

# relay: a client socket in front of the daemon's, served by python: the
# daemon behind it cannot be told, as for a remote engine.
relay() {
	RELAY_DIR=$(mktemp -d /tmp/pf-relay.XXXXXX)
	python3 -c '
import socket, sys, threading
srv = socket.socket(socket.AF_UNIX)
srv.bind(sys.argv[1])
srv.listen(64)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
while True:
    c, _ = srv.accept()
    u = socket.socket(socket.AF_UNIX)
    u.connect("/var/run/docker.sock")
    for a, b in ((c, u), (u, c)):
        threading.Thread(target=pump, args=(a, b), daemon=True).start()
' "$RELAY_DIR/d.sock" 3>&- &
	RELAY_PID=$!
	for _ in $(seq 50); do [ -S "$RELAY_DIR/d.sock" ] && break; sleep 0.1; done
}

@test "pf-launch egress: a daemon that cannot be told needs the policy's allow_unverified_firewall" {
	need_engine
	relay
	DOCKER_HOST="unix://$RELAY_DIR/d.sock" run -3 --separate-stderr launch -- /bin/true
	[[ "$stderr" == "pf-launch: network 'hub' refused: cannot tell whether the engine's firewall enforces --internal (no dockerd process answers on '$RELAY_DIR/d.sock' here)"* ]]
	[ ! -e "$T/result.json" ]
}

@test "pf-launch egress: a hub run counts refused connections and removes proxy and network (A21, A24)" {
	need_engine
	local up="pf-uplink-$RUN_ID" ip
	relay
	# The proxy's egress-capable side is a network the test made, with the
	# hub-mock on it: nothing leaves the machine.
	docker network create --internal --label "org.pathfinder.run=$RUN_ID" "$up" >/dev/null
	hub_mock "$up"
	ip=$(ip_on "pf-hubmock-$RUN_ID" "$up")
	hub_policy ".launch.egress.allow = [\"^${ip//./\\\\.}\$\"] | .launch.egress.network = \"$up\"
	    | .launch.egress.allow_unverified_firewall = true"
	DOCKER_HOST="unix://$RELAY_DIR/d.sock" run -0 --separate-stderr launch --sign "$T/sign.json" -- /bin/sh -c "
	    p=\${HTTPS_PROXY#http://}
	    echo \"proxy \$HTTPS_PROXY no_proxy=[\$NO_PROXY]\"
	    for t in $ip:443 x.invalid:443 $ip:22 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.invalid:443 'evil.invalid/a?b:443'; do
	        printf 'CONNECT %s HTTP/1.1\r\n\r\n' \"\$t\" | timeout 5 nc -w 2 \${p%:*} \${p##*:} | head -1
	    done"
	[[ "$stderr" == *"warning: the engine's firewall is not verified"* ]]
	tr -d '\r' <"$T/pf-$RUN_ID.out.log" >"$T/log"
	grep -q "^proxy http://[0-9.]*:8888 no_proxy=\[\]$" "$T/log"
	[ "$(grep -c '^HTTP/1.[01] 200' "$T/log")" = 1 ]
	[ "$(grep -c '^HTTP/1.[01] 403' "$T/log")" = 4 ]
	jq -e --arg ip "$ip" '.network.mode == "hub" and .network.allowlist == ["^\($ip | gsub("\\."; "\\."))$"]
	    and .security.network_violations == 4
	    and .security.network_denied == ["x.invalid:443", "\($ip):22",
	        "[REDACTED:huggingface-token].invalid:443", "evil.invalid"]
	    and .security.network_denied_truncated == false
	    and (.warnings | any(. == "the egress proxy refused 4 connections the workload attempted"))
	    and (.warnings | any(startswith("the engine'"'"'s firewall was not verified")))
	    and .execution.status == "ok"
	    and (.argv | any(test("^--env=HTTPS_PROXY=http://[0-9.]+:8888$")))' "$T/result.json"
	! grep -q QwErTy "$T/result.json"
	# A21: neither the workload, the proxy nor the run's network is left.
	[ -z "$(docker ps -aq --filter "name=^pf-(proxy-)?$RUN_ID\$")" ]
	[ -z "$(docker network ls -q --filter "name=^pf-egress-$RUN_ID\$")" ]
}

@test "pf-launch egress: SIGTERM mid-run still removes the proxy and the network (A21)" {
	need_engine
	local up="pf-uplink-$RUN_ID" pid rc=0
	relay
	docker network create --internal --label "org.pathfinder.run=$RUN_ID" "$up" >/dev/null
	hub_policy ".launch.egress.network = \"$up\" | .launch.egress.allow_unverified_firewall = true"
	DOCKER_HOST="unix://$RELAY_DIR/d.sock" pf-launch --plan "$T/plan.json" \
	    --gate "$T/gate.json" --key "$T/pub.pem" --verifier "$VERIFIER" \
	    --run-id "$RUN_ID" -o "$T/result.json" -- /bin/sleep 1000 2>"$T/err" &
	pid=$!
	for _ in $(seq 100); do
		docker ps -q --filter "name=^pf-$RUN_ID\$" | grep -q . && break
		sleep 0.2
	done
	# The proxy runs as locked down as the workload.
	docker inspect --format '{{json .HostConfig}} {{json .Config.User}}' "pf-proxy-$RUN_ID" >"$T/proxy.json"
	jq -se '.[0] | .CapDrop == ["ALL"] and .ReadonlyRootfs == true and .Privileged == false
	    and (.SecurityOpt | any(. == "no-new-privileges") and any(startswith("seccomp=")))
	    and .Memory == 134217728 and .PidsLimit == 128 and .NetworkMode == "pf-egress-'"$RUN_ID"'"' "$T/proxy.json"
	jq -se '.[1] == "65534:65534"' "$T/proxy.json"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 1 ]
	jq -e '.interrupted == true and .network.mode == "hub"' "$T/result.json"
	[ -z "$(docker ps -aq --filter "name=^pf-(proxy-)?$RUN_ID\$")" ]
	[ -z "$(docker network ls -q --filter "name=^pf-egress-$RUN_ID\$")" ]
}

@test "pf-launch egress: the next run reaps a killed run's proxy and network past their deadline" {
	need_engine
	local old="$RUN_ID-old"
	docker network create --internal --label "org.pathfinder.run=$RUN_ID" \
	    --label org.pathfinder.egress=network --label org.pathfinder.expires=1 "pf-egress-$old" >/dev/null
	# Another pf-launch on this engine (a second test run) may reap the
	# expired network first; then the proxy has nothing to join, and what
	# is asserted below (both gone) holds all the same.
	docker run -d --name "pf-proxy-$old" --label "org.pathfinder.run=$RUN_ID" \
	    --label org.pathfinder.egress=proxy --label org.pathfinder.expires=1 \
	    --network "pf-egress-$old" "$IMG" /bin/sleep 300 >/dev/null 2>&1 || true
	# One not yet past its deadline (a concurrent run's) stays.
	docker network create --internal --label "org.pathfinder.run=$RUN_ID" \
	    --label org.pathfinder.egress=network --label "org.pathfinder.expires=$(($(date +%s) + 600))" \
	    "pf-egress-$RUN_ID-live" >/dev/null
	plan '.execution_plan.network_policy = "none"'
	run -0 --separate-stderr launch -- /bin/true
	[ -z "$(docker ps -aq --filter "name=^pf-proxy-$old\$")" ]
	[ -z "$(docker network ls -q --filter "name=^pf-egress-$old\$")" ]
	[ -n "$(docker network ls -q --filter "name=^pf-egress-$RUN_ID-live\$")" ]
}

# egress_log FILE: what pf-launch counts in a proxy log, as JSON.
egress_log() { "$PF_BIN/../tests/test-libpf" egress-log "$1"; }
# tp LEVEL MESSAGE: one line as tinyproxy writes it.
tp() { printf '%-9s Dec 05 00:43:26.668 [1]: %s\n' "$1" "$2"; }

@test "pf-launch egress: the proxy log's refusals are counted with their destinations" {
	{
		tp CONNECT 'Request (file descriptor 4): CONNECT hub-mock:443 HTTP/1.1'
		tp CONNECT 'Established connection to host "hub-mock" using file descriptor 5.'
		tp CONNECT 'Request (file descriptor 6): CONNECT a.invalid:22 HTTP/1.1'
		tp CONNECT 'Request (file descriptor 7): CONNECT b.invalid:25 HTTP/1.1'
		tp INFO 'Refused CONNECT method on port 25'
		tp INFO 'Refused CONNECT method on port 22'
		tp NOTICE 'Proxying refused on filtered url "http://user:hf_secret@c.invalid:80/p?q=1"'
		tp NOTICE 'Proxying refused on filtered url "X.invalid:443"'
		tp NOTICE 'Proxying refused on filtered url "x.invalid:443"'
		tp INFO 'Unknown method (BREW) or protocol (coffee://pot)'
		tp INFO 'Refused CONNECT method on port 8080'
	} >"$T/proxy.log"
	run -0 egress_log "$T/proxy.log"
	jq -e '. == {count: 7, allowed: 1, truncated: false,
	    hosts: ["b.invalid:25", "a.invalid:22", "c.invalid:80", "X.invalid:443", "?", "?:8080"]}' <<<"$output"
}

@test "pf-launch egress: refused destinations are kept up to PF_MAX_EGRESS_HOSTS (16)" {
	local i
	for i in $(seq 16); do tp NOTICE "Proxying refused on filtered url \"h$i.invalid:443\""; done >"$T/16.log"
	run -0 egress_log "$T/16.log"
	jq -e '.count == 16 and (.hosts | length) == 16 and .truncated == false' <<<"$output"
	{ cat "$T/16.log"; tp NOTICE 'Proxying refused on filtered url "h17.invalid:443"'; } >"$T/17.log"
	run -0 egress_log "$T/17.log"
	jq -e '.count == 17 and (.hosts | length) == 16 and .truncated == true
	    and (.hosts | index("h17.invalid:443") == null)' <<<"$output"
}

@test "pf-launch egress: hostile bytes in the proxy log stay host-name bytes, cut at 255" {
	{
		tp NOTICE "Proxying refused on filtered url \"$(printf 'a%.0s' {1..300}).invalid:443\""
		tp NOTICE "$(printf 'Proxying refused on filtered url "q\x01\xff\"<x>:443"')"
		tp NOTICE 'Proxying refused on filtered url "no-closing-quote:443'
		printf '%s\n' "$(head -c 10000 /dev/zero | tr '\0' x)"
		printf 'junk ]: Proxying refused on filtered url "late.invalid"\n'
		head -c 2000 /dev/urandom | tr -d '\n'
		printf '\n'
	} >"$T/bad.log"
	run -0 egress_log "$T/bad.log"
	jq -e '.count == 4 and (.hosts[0] | length) == 255 and .hosts[1] == "q????x?:443"
	    and .hosts[2] == "no-closing-quote:443" and .hosts[3] == "late.invalid"
	    and all(.hosts[]; test("^[A-Za-z0-9._:?\\[\\]-]+$"))' <<<"$output"
}
