#!/usr/bin/env bats
# pf-launch: the argument vector (golden files, refusals), and, against a
# real engine, what a workload sees inside the container: read-only root,
# no capabilities, seccomp, no network, limits, timeout, redacted output,
# the signature checked before the workload runs, and cleanup.

# The test image: busybox-static, a static probe and the static pf-verify,
# made with docker import (nothing pulled). Built once for the file.
setup_file() {
	load helpers
	export PF_TEST_IMAGE=""
	export PF_NO_ENGINE="no container engine: 'docker info' failed"
	PF_TEST_IMAGE=$(pf_test_image "pf-launch-test:$$") || PF_TEST_IMAGE=""
	export PF_TEST_IMAGE
}

teardown_file() {
	[ -z "$PF_TEST_IMAGE" ] || docker rmi -f "$PF_TEST_IMAGE" >/dev/null 2>&1 || true
}

setup() {
	load helpers
	T=$BATS_TEST_TMPDIR
	M="$PF_HOME/verified/acme/m"
	mkdir -p "$M"
	printf 'weights\n' >"$M/model.safetensors"
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/k.pem" 2>/dev/null
	chmod 600 "$T/k.pem"
	openssl ec -in "$T/k.pem" -pubout -out "$T/pub.pem" 2>/dev/null
	pf-sign --key "$T/k.pem" "$M" -o "$T/sign.json" 2>/dev/null
	jq -n --arg p "$M" '{pathfinder_version: "0.1.0", stage: "gate",
	    model: {id: "acme/m", revision: "main", commit: null},
	    status: "passed", findings: [],
	    gate: {decision: "passed", verified: {path: $p},
	        approval: {approvers: ["alice", "bob"]}}}' >"$T/gate.json"
	IMG=${PF_TEST_IMAGE:-sha256:$(printf '%064d' 0)}
	# The host's hard nofile limit in CI containers is below the default.
	NOFILE=$(ulimit -Hn)
	if [ "$NOFILE" = unlimited ] || [ "$NOFILE" -gt 65536 ]; then NOFILE=65536; fi
	plan '.'
	RUN_ID="t$$-$BATS_TEST_NUMBER"
	# The sanitizer build has no static pf-verify: the normal build's.
	VERIFIER=$PF_BIN/../static/pf-verify
	[ -x "$VERIFIER" ] || VERIFIER=$PF_REPO/build/static/pf-verify
	VERIFIER=$(realpath "$VERIFIER")
}

teardown() {
	[ -z "${PF_TEST_IMAGE:-}" ] || [ -z "${RUN_ID:-}" ] ||
		docker rm -f "pf-$RUN_ID" >/dev/null 2>&1 || true
	[ -z "${BUILT:-}" ] || docker rmi -f "$BUILT" >/dev/null 2>&1 || true
}

# plan JQ: plan.json for the test image, adjusted by a jq filter.
plan() {
	jq -n --arg img "$IMG" --argjson nofile "${NOFILE:-1024}" '{
	    pathfinder_version: "0.1.0", stage: "plan",
	    model: {id: "acme/m", revision: "main", commit: null},
	    status: "passed", findings: [],
	    execution_plan: {container_image: $img, network_policy: "none",
	        timeout_minutes: 5, device_count: 1, trust_remote_code: false,
	        accelerator: "none",
	        limits: {memory: "256m", cpus: 1, pids: 64, nofile: $nofile,
	            grace_seconds: 2}},
	    resource_plan: {device_type: "cpu"}}' | jq "$1" >"$T/plan.json"
}

need_engine() {
	[ -n "$PF_TEST_IMAGE" ] || skip "$PF_NO_ENGINE; container tests skipped"
}

# launch ARGS... -- CMD: pf-launch on the fixture, result in $T/result.json.
launch() {
	pf-launch --plan "$T/plan.json" --gate "$T/gate.json" --key "$T/pub.pem" \
	    --verifier "$VERIFIER" --run-id "$RUN_ID" -o "$T/result.json" "$@"
}

# The redacted run log of the last launch.
runlog() { cat "$T/pf-$RUN_ID.out.log"; }

@test "pf-launch: --help prints the synopsis on stdout and exits 0" {
	run -0 --separate-stderr pf-launch --help
	[[ "${lines[0]}" == "usage: pf-launch "* ]]
	[ -z "$stderr" ]
}

@test "pf-launch: --version prints the version" {
	run -0 --separate-stderr pf-launch --version
	[ "$output" = "pf-launch 0.1.0" ]
}

@test "pf-launch: an unknown option exits 2 with the synopsis on stderr only" {
	run -2 --separate-stderr pf-launch --bogus
	[ -z "$output" ]
	[[ "$stderr" == *"try 'pf-launch --help'"* ]]
}

@test "pf-launch: --plan and --gate are required, and a key from --key or the policy" {
	run -2 --separate-stderr pf-launch --plan "$T/plan.json"
	[[ "$stderr" == "pf-launch: --plan and --gate are required"* ]]
	run -2 --separate-stderr pf-launch --plan "$T/plan.json" --gate "$T/gate.json" --print -- /bin/true
	[[ "$stderr" == "pf-launch: no public key: give --key or set the policy's launch.public_key"* ]]
	pf_policy ".launch.public_key = \"$T/pub.pem\" | .launch.command = [\"/bin/run-model\"]"
	run -0 --separate-stderr pf-launch --plan "$T/plan.json" --gate "$T/gate.json" \
	    --sign "$T/sign.json" --verifier "$VERIFIER" --print
	jq -e --arg k "$T/pub.pem" '.argv | any(. == "--mount=type=bind,src=\($k),dst=/opt/pathfinder/key.pem,readonly")
	    and .[-1] == "/bin/run-model"' <<<"$output"
}

@test "pf-launch: the man page synopsis uses the usage text's words" {
	local w
	for w in --plan --gate --key --sign --engine --token-file --run-id --print --target \
	    --interactive --dockerfile --verifier; do
		grep -q -- "Fl ${w#-}" "$PF_REPO/man/pf-launch.1"
		run -0 pf-launch --help
		[[ "$output" == *"$w"* ]]
	done
}

# golden NAME: --print's argv with the test's folders replaced, against
# tests/fixtures/launch/NAME.json.
golden() {
	jq --arg t "$T" --arg r "$PF_REPO" --arg v "$VERIFIER" '
	    .argv | map(gsub($t; "@TMP@") | gsub($v; "@VERIFIER@") | gsub($r; "@REPO@"))' \
	    <<<"$output" >"$T/got.json"
	# PF_GOLDEN_UPDATE=1 rewrites them (review the diff before committing).
	[ -z "${PF_GOLDEN_UPDATE:-}" ] || cp "$T/got.json" "$PF_REPO/tests/fixtures/launch/$1.json"
	diff -u "$PF_REPO/tests/fixtures/launch/$1.json" "$T/got.json"
}

@test "pf-launch: --print gives the argv of each accelerator and engine, byte for byte" {
	local acc eng
	RUN_ID=golden
	printf 'hf_%s\n' "$(printf 'A%.0s' {1..34})" >"$PF_HOME/token"
	for acc in none habana nvidia; do
		for eng in docker podman; do
			plan ".execution_plan.accelerator = \"$acc\"
			    | .execution_plan.container_image = \"reg.example/pf@sha256:$(printf '%064d' 7)\"
			    | .execution_plan.limits.nofile = 65536
			    | if \"$acc\" == \"nvidia\" then .execution_plan.devices = [0, 1] else . end"
			run -0 --separate-stderr launch --engine "$eng" --print \
			    --token-file "$PF_HOME/token" -- /bin/true
			golden "$acc-$eng"
		done
	done
}

@test "pf-launch: --print never holds the token, --privileged, host namespaces or -v" {
	printf 'hf_%s\n' "$(printf 'Q%.0s' {1..34})" >"$PF_HOME/token"
	run -0 --separate-stderr launch --print --token-file "$PF_HOME/token" -- /bin/true
	[[ "$output" != *hf_QQQQ* ]]
	jq -e '.argv | all(. != "--privileged" and . != "-v" and . != "-e"
	    and (startswith("--pid=") | not) and (startswith("--network=host") | not))
	    and any(. == "--mount=type=bind,src=\($t)/store/token,dst=/run/secrets/hf_token,readonly")
	    and any(. == "--env=HF_TOKEN_PATH=/run/secrets/hf_token")
	    and any(. == "--network=none") and any(. == "--read-only")
	    and any(. == "--cap-drop=ALL")' --arg t "$T" <<<"$output"
	jq -e '.seccomp_profile | endswith("/pathfinder-seccomp.json")' <<<"$output"
}

@test "pf-launch: habana runs as root with SYS_NICE only, nvidia with --gpus" {
	plan '.execution_plan.accelerator = "habana" | .execution_plan.devices = [0, 1]'
	run -0 --separate-stderr launch --print -- /bin/true
	jq -e '.argv | any(. == "--cap-add=SYS_NICE") and any(. == "--user=0:0")
	    and any(. == "--runtime=habana") and any(. == "--shm-size=16g")
	    and any(. == "--env=HABANA_VISIBLE_DEVICES=0,1")
	    and ([.[] | select(startswith("--cap-add"))] | length == 1)' <<<"$output"
	plan '.execution_plan.accelerator = "nvidia" | .execution_plan.devices = [3]'
	run -0 --separate-stderr launch --print -- /bin/true
	jq -e '.argv | any(. == "--gpus=device=3") and any(. == "--user=65534:65534")
	    and all(startswith("--cap-add") | not)' <<<"$output"
}

@test "pf-launch: a plan asking for engine flags is refused, exit 2" {
	local f
	for f in '.execution_plan.cap_add = "SYS_ADMIN"' \
	    '.execution_plan.device = "/dev/mem"' \
	    '.execution_plan.network_policy = "host"' \
	    '.execution_plan.container_image = "-v /:/host"' \
	    '.execution_plan.container_image = "busybox:latest"' \
	    '.execution_plan.limits.privileged = true' \
	    '.execution_plan.uid = 0' \
	    '.execution_plan.accelerator = "tpu"'; do
		plan "$f"
		run -2 --separate-stderr launch -- /bin/true
		[[ "$stderr" == "pf-launch: plan: "* ]] || { echo "$f: $stderr"; false; }
	done
	[ ! -e "$T/result.json" ]
}

@test "pf-launch: a limit above the policy's maximum is refused" {
	pf_policy '.launch.max.memory = "1g"'
	plan '.execution_plan.limits.memory = "2g"'
	run -2 --separate-stderr launch --print -- /bin/true
	[[ "$stderr" == *"limits.memory is above the policy's launch.max.memory"* ]]
}

@test "pf-launch: blocked host folders are refused as the model folder" {
	local p
	ln -s / "$PF_HOME/verified/root-link"
	mkdir -p "$PF_HOME/.ssh"
	for p in / /etc /var/run/docker.sock "$PF_HOME/verified/root-link" \
	    "$PF_HOME/.ssh" relative/path; do
		jq --arg p "$p" '.gate.verified.path = $p' "$T/gate.json" >"$T/g2.json"
		run -2 --separate-stderr pf-launch --plan "$T/plan.json" \
		    --gate "$T/g2.json" --key "$T/pub.pem" --print -- /bin/true
		[[ "$stderr" == "pf-launch: model folder "* ]] || { echo "$p: $stderr"; false; }
	done
}

@test "pf-launch: a model outside the mount root, or a token in .ssh, is refused" {
	mkdir -p "$T/elsewhere"
	jq --arg p "$T/elsewhere" '.gate.verified.path = $p' "$T/gate.json" >"$T/g2.json"
	run -2 --separate-stderr pf-launch --plan "$T/plan.json" --gate "$T/g2.json" \
	    --key "$T/pub.pem" --print -- /bin/true
	[[ "$stderr" == *"outside the mount root"* ]]
	mkdir -p "$HOME/.ssh"
	: >"$HOME/.ssh/token"
	run -2 --separate-stderr launch --print --token-file "$HOME/.ssh/token" -- /bin/true
	[[ "$stderr" == "pf-launch: token file "*".ssh"* ]]
}

@test "pf-launch: a model the gate did not pass is not launched" {
	jq '.gate.decision = "blocked"' "$T/gate.json" >"$T/g2.json"
	run -2 --separate-stderr pf-launch --plan "$T/plan.json" --gate "$T/g2.json" \
	    --key "$T/pub.pem" --print -- /bin/true
	[[ "$stderr" == *"the gate's decision is 'blocked', not passed"* ]]
}

@test "pf-launch: sign.json made with another key is refused" {
	openssl ecparam -name prime256v1 -genkey -noout -out "$T/k2.pem" 2>/dev/null
	openssl ec -in "$T/k2.pem" -pubout -out "$T/pub2.pem" 2>/dev/null
	run -2 --separate-stderr pf-launch --plan "$T/plan.json" --gate "$T/gate.json" \
	    --key "$T/pub2.pem" --sign "$T/sign.json" --print -- /bin/true
	[[ "$stderr" == *"signed with key"* ]]
}

@test "pf-launch: the shipped seccomp profile denies the design's names" {
	jq -e '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]]
	    | (index("ptrace") == null) and (index("unshare") == null)
	    and (index("mount") == null) and (index("keyctl") == null)
	    and (index("io_uring_setup") == null) and (index("bpf") == null)
	    and (index("read") != null)' "$PF_REPO/policies/pathfinder-seccomp.json"
	src=/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json
	[ -f "$src" ] || skip "Docker's default profile is not installed (golang-github-docker-docker-dev)"
	run -0 "$PF_REPO/policies/gen-seccomp.sh" "$src"
	diff <(jq -S . <<<"$output") <(jq -S . "$PF_REPO/policies/pathfinder-seccomp.json")
}

@test "pf-launch: inside, no capability, no_new_privs, seccomp, read-only root and models" {
	need_engine
	run -0 --separate-stderr launch --sign "$T/sign.json" -- /bin/sh -c '
	    grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status
	    touch /x 2>&1; touch /models/x 2>&1
	    cp /bin/probe /tmp/p && /tmp/p 2>&1; echo "tmp-exec $?"'
	runlog >"$T/log"
	grep -q 'CapEff:	0000000000000000' "$T/log"
	grep -q 'NoNewPrivs:	1' "$T/log"
	grep -q 'Seccomp:	2' "$T/log"
	grep -q "touch: /x: Read-only file system" "$T/log"
	grep -q "touch: /models/x: Read-only file system" "$T/log"
	grep -q "tmp-exec 126" "$T/log"
	jq -e '.execution.status == "ok" and .security.signature_verified == true
	    and .audit.approvers == ["alice", "bob"]' "$T/result.json"
	run -1 docker inspect "pf-$RUN_ID"
}

@test "pf-launch: seccomp denies unshare, mount, ptrace, keyctl and keeps memfd" {
	need_engine
	run -0 --separate-stderr launch -- /bin/probe unshare-user unshare-ns \
	    mount ptrace keyctl bpf personality io_uring memfd
	runlog >"$T/log"
	for c in unshare-user unshare-ns mount ptrace keyctl bpf personality io_uring; do
		grep -qx "$c EPERM" "$T/log" || { cat "$T/log"; false; }
	done
	grep -qx "memfd ok" "$T/log"
	# busybox's own unshare and mount fail the same way.
	RUN_ID=$RUN_ID-b
	run -0 --separate-stderr launch -- /bin/sh -c 'unshare -U true; echo "u $?"; mount -t tmpfs x /tmp; echo "m $?"'
	grep -qx "u 1" "$T/pf-$RUN_ID.out.log"
	grep -qx "m 1" "$T/pf-$RUN_ID.out.log"
	grep -q "^mount: permission denied" "$T/pf-$RUN_ID.out.log"
}

@test "pf-launch: no network: only lo, the host's loopback unreachable" {
	need_engine
	command -v python3 >/dev/null || skip "python3 is needed for the host listener"
	python3 -c '
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
s.settimeout(20)
try:
    s.accept(); open(sys.argv[1], "w").write("seen")
except OSError:
    pass' "$T/seen" >"$T/port" &
	local lp=$!
	while [ ! -s "$T/port" ]; do sleep 0.1; done
	run -0 --separate-stderr launch -- /bin/sh -c "ls /sys/class/net; /bin/probe connect=$(cat "$T/port")"
	kill "$lp" 2>/dev/null || true
	runlog >"$T/log"
	[ "$(grep -cv '^connect' "$T/log")" = 1 ] && grep -qx lo "$T/log"
	grep -qx "connect ECONNREFUSED" "$T/log"
	[ ! -e "$T/seen" ]
}

@test "pf-launch: the workload's own loopback works without a network" {
	need_engine
	run -0 --separate-stderr launch -- /bin/probe loopback
	grep -qx "loopback ok" "$T/pf-$RUN_ID.out.log"
}

@test "pf-launch: a fork bomb stops at the pids limit and is recorded" {
	need_engine
	run -1 --separate-stderr launch -- /bin/sh -c \
	    '(i=0; while [ $i -lt 200 ]; do sleep 30 & i=$((i+1)); done) 2>/dev/null
	    echo "forked $(ls /proc | grep -c "^[0-9]")"; sleep 2; exit 3'
	n=$(sed -n 's/^forked //p' "$T/pf-$RUN_ID.out.log")
	[ "$n" -le 64 ] && [ "$n" -ge 32 ]
	jq -e '.pids_limit_hit == true and .execution.exit_code == 3
	    and .execution.status == "failed" and .security.anomalies_detected >= 1' "$T/result.json"
}

@test "pf-launch: a fork bomb that exits at once is still recorded as hitting the pids limit" {
	need_engine
	# The container lives a fraction of a second: no periodic sample
	# would find its cgroup before the engine removes it.
	run -0 --separate-stderr launch -- /bin/sh -c \
	    '(i=0; while [ $i -lt 200 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; exit 0'
	jq -e '.pids_limit_hit == true and .execution.status == "ok"
	    and (.warnings | index("the workload reached the pids limit") != null)' "$T/result.json"
}

@test "pf-launch: a workload that stays under the pids limit is not recorded as hitting it" {
	need_engine
	run -0 --separate-stderr launch -- /bin/sh -c \
	    '(i=0; while [ $i -lt 20 ]; do sleep 1 & i=$((i+1)); done); wait'
	jq -e '.pids_limit_hit == false' "$T/result.json"
}

@test "pf-launch: a child killed for memory while PID 1 lives on is status oom, exit 0" {
	need_engine
	plan '.execution_plan.limits.memory = "64m"'
	run -1 --separate-stderr launch -- /bin/sh -c \
	    'sh -c '"'"'x=$(head -c 200000000 /dev/zero | tr "\0" a)'"'"'; echo "child $?"; exit 0'
	grep -qx "child 137" "$T/pf-$RUN_ID.out.log"
	jq -e '.execution.status == "oom" and .execution.exit_code == 0
	    and .oom_killed == true' "$T/result.json"
}

@test "pf-launch: a memory hog is OOM-killed and recorded" {
	need_engine
	plan '.execution_plan.limits.memory = "64m"'
	run -1 --separate-stderr launch -- /bin/sh -c 'x=$(head -c 200000000 /dev/zero | tr "\0" a)'
	jq -e '.execution.status == "oom" and .oom_killed == true
	    and .execution.exit_code == 137' "$T/result.json"
	[ "$(docker ps -aq --filter "name=^pf-$RUN_ID\$")" = "" ]
}

@test "pf-launch: a sleeper that ignores SIGTERM is killed at the timeout" {
	need_engine
	plan '.execution_plan.limits.timeout_seconds = 2 | .execution_plan.limits.grace_seconds = 1'
	run -1 --separate-stderr launch -- /bin/sh -c 'trap "" TERM; sleep 1000'
	jq -e '.execution.status == "timeout" and .timed_out == true
	    and .execution.exit_code == 137 and .duration_s >= 3' "$T/result.json"
	[ "$(docker ps -aq --filter "name=^pf-$RUN_ID\$")" = "" ]
}

@test "pf-launch: SIGTERM to pf-launch stops and removes the container, result written" {
	need_engine
	pf-launch --plan "$T/plan.json" --gate "$T/gate.json" --key "$T/pub.pem" \
	    --verifier "$VERIFIER" --run-id "$RUN_ID" -o "$T/result.json" -- /bin/sleep 1000 2>"$T/err" &
	local pid=$! rc=0
	for _ in $(seq 50); do
		docker ps -q --filter "name=^pf-$RUN_ID\$" | grep -q . && break
		sleep 0.2
	done
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" = 1 ] || { echo "rc=$rc"; cat "$T/err"; false; }
	jq -e '.interrupted == true and .execution.status != "ok"' "$T/result.json"
	[ "$(docker ps -aq --filter "name=^pf-$RUN_ID\$")" = "" ]
}

@test "pf-launch: the token is readable inside, redacted in the log, absent from inspect and result" {
	need_engine
	local tok
	tok="hf_$(printf 'FAKE%.0s' {1..8})ZZ"
	printf '%s\n' "$tok" >"$PF_HOME/token"
	pf-launch --plan "$T/plan.json" --gate "$T/gate.json" --key "$T/pub.pem" \
	    --verifier "$VERIFIER" --run-id "$RUN_ID" -o "$T/result.json" --token-file "$PF_HOME/token" -- /bin/sh -c \
	    'cat "$HF_TOKEN_PATH"; tr "\0" "\n" </proc/1/environ | grep -c hf_FAKE; sleep 3' &
	local pid=$!
	for _ in $(seq 50); do
		docker inspect "pf-$RUN_ID" >"$T/inspect" 2>/dev/null && break
		sleep 0.2
	done
	wait "$pid"
	grep -q HF_TOKEN_PATH "$T/inspect"
	! grep -q "$tok" "$T/inspect"
	! grep -q "$tok" "$T/result.json"
	! grep -q "$tok" "$T/pf-$RUN_ID.out.log"
	grep -qx "\[REDACTED:token-file\]" "$T/pf-$RUN_ID.out.log"
	grep -qx 0 "$T/pf-$RUN_ID.out.log"
	jq -e '.logs.redactions == 1' "$T/result.json"
}

@test "pf-launch: a token-shaped string the workload prints is redacted by the rules" {
	need_engine
	run -0 --separate-stderr launch -- /bin/sh -c 'echo "key=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."'
	grep -qx "key=\[REDACTED:huggingface-token\]." "$T/pf-$RUN_ID.out.log"
	! grep -q QwErTy "$T/result.json"
}

@test "pf-launch: a tampered model folder stops the container before the workload" {
	need_engine
	printf 'changed\n' >"$M/model.safetensors"
	run -1 --separate-stderr launch -- /bin/sh -c 'echo WORKLOAD-RAN'
	! grep -q WORKLOAD-RAN "$T/pf-$RUN_ID.out.log"
	jq -e '.security.signature_verified == false
	    and .execution.status == "failed"' "$T/result.json"
}

@test "pf-launch: the workload's metrics.json becomes benchmarks" {
	need_engine
	run -0 --separate-stderr launch -- /bin/sh -c \
	    'echo "{\"throughput\": 41.5, \"p50_latency_ms\": 12, \"p99_latency_ms\": 30, \"x\": \"y\"}" >/output/metrics.json'
	jq -e '.benchmarks == {"throughput": 41.5, "p50_latency_ms": 12, "p99_latency_ms": 30}' "$T/result.json"
}

@test "pf-launch: more CPUs than the host has is refused at preflight, exit 3" {
	need_engine
	plan ".execution_plan.limits.cpus = $(($(nproc) + 1))"
	run -3 --separate-stderr launch -- /bin/true
	[[ "$stderr" == *"CPUs; this host has"* ]]
	[ ! -e "$T/result.json" ]
}

@test "pf-launch: an accelerator whose runtime the engine lacks fails the preflight, exit 3" {
	need_engine
	docker info --format '{{json .Runtimes}}' | jq -e 'has("habana") | not' >/dev/null ||
	    skip "this engine has the habana runtime"
	plan '.execution_plan.accelerator = "habana"'
	run -3 --separate-stderr launch -- /bin/true
	[ "$stderr" = "pf-launch: docker: the engine has no 'habana' runtime, which the plan's accelerator needs; nothing is started" ]
	[ ! -e "$T/result.json" ] && [ ! -e "$T/pf-$RUN_ID.out" ]
	[ -z "$(docker ps -aq --filter "name=^pf-$RUN_ID\$")" ]
}

@test "pf-launch: a missing verified folder fails the preflight, exit 3, and is not created" {
	rm -rf "$M"
	run -3 --separate-stderr launch -- /bin/true
	[[ "$stderr" == "pf-launch: model folder '$M': No such file or directory; nothing is started" ]]
	[ ! -e "$M" ]
	[ ! -e "$T/result.json" ]
	[ -z "$(docker ps -aq --filter "name=^pf-$RUN_ID\$" 2>/dev/null)" ]
	run -3 --separate-stderr launch --print -- /bin/true
	[ ! -e "$M" ]
}

@test "pf-launch: an engine that does not answer fails the preflight, exit 3, saying why" {
	command -v docker >/dev/null || skip "no docker client"
	DOCKER_HOST="unix://$T/no-engine.sock" run -3 --separate-stderr launch -- /bin/true
	[[ "$stderr" == "pf-launch: docker: the engine does not answer ('docker version' exited 1: 'Cannot connect to the Docker daemon at unix://$T/no-engine.sock."* ]]
	[[ "$stderr" == *"; nothing is started" ]]
	[ ! -e "$T/result.json" ] && [ ! -e "$T/pf-$RUN_ID.out" ]
}

@test "pf-launch: an image not pinned by digest is refused, saying how to pin it" {
	plan ".execution_plan.container_image = $(jq .launch.image "$PF_REPO/policies/default.json")"
	run -2 --separate-stderr launch --print -- /bin/true
	[[ "$stderr" == "pf-launch: plan: container_image 'pathfinder/gaudi:1.23.0-secure' (the policy's launch.image) is not pinned by digest: write it as NAME@sha256:<64 hex>"* ]]
	[[ "$stderr" == *"{{index .RepoDigests 0}}"* ]]
}

@test "pf-launch: the default nofile is lowered to the host's hard limit, with a note" {
	need_engine
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] && [ "$hard" -lt 65536 ] || skip "the hard nofile limit ($hard) is not below the default 65536"
	plan 'del(.execution_plan.limits.nofile)'
	run -0 --separate-stderr launch -- /bin/sh -c 'ulimit -n'
	grep -qx "$hard" "$T/pf-$RUN_ID.out.log"
	jq -e --arg n "nofile lowered from 65536 to $hard, the host's hard limit" \
	    '.warnings | index($n) != null' "$T/result.json"
	jq -e --arg a "--ulimit=nofile=$hard:$hard" '.argv | index($a) != null' "$T/result.json"
}

@test "pf-launch: a plan asking for more open files than the host allows fails the preflight" {
	need_engine
	local hard
	hard=$(ulimit -Hn)
	[ "$hard" != unlimited ] || skip "no hard nofile limit"
	plan ".execution_plan.limits.nofile = $((hard + 1))"
	pf_policy ".launch.max.nofile = $((hard + 1))"
	run -3 --separate-stderr launch -- /bin/true
	[ "$stderr" = "pf-launch: the plan asks for nofile $((hard + 1)); this host's hard limit is $hard; nothing is started" ]
	[ ! -e "$T/result.json" ]
}

@test "pf-launch: --target kubernetes gives a restricted Job and a deny-all NetworkPolicy" {
	printf 'hf_%s\n' "$(printf 'K%.0s' {1..34})" >"$PF_HOME/token"
	plan '.execution_plan.limits.timeout_seconds = 600'
	run -0 --separate-stderr launch --target kubernetes --token-file "$PF_HOME/token" -- /bin/true
	[[ "$output" != *hf_KKKK* ]]
	jq -e --arg id "$RUN_ID" '.apiVersion == "v1" and .kind == "List" and (.items | length == 2)
	    and (.items[0] | .apiVersion == "batch/v1" and .kind == "Job"
	        and .spec.backoffLimit == 0 and .spec.activeDeadlineSeconds == 600
	        and .spec.ttlSecondsAfterFinished == 3600
	        and .spec.template.metadata.labels["org.pathfinder.run"] == $id)
	    and (.items[0].spec.template.spec | .restartPolicy == "Never"
	        and .automountServiceAccountToken == false and .enableServiceLinks == false
	        and .hostNetwork == false and .hostPID == false and .hostIPC == false
	        and .terminationGracePeriodSeconds == 2
	        and .securityContext == {runAsUser: 65534, runAsGroup: 65534,
	            seccompProfile: {type: "Localhost", localhostProfile: "profiles/pathfinder-seccomp.json"},
	            runAsNonRoot: true}
	        and ([.volumes[] | select(has("hostPath"))] | length == 0)
	        and (.volumes[] | select(.name == "models") | .persistentVolumeClaim.readOnly == true)
	        and (.volumes[] | select(.name == "secrets") | .secret.defaultMode == 256)
	        and (.containers[0] | .image == $img
	            and .securityContext == {allowPrivilegeEscalation: false,
	                readOnlyRootFilesystem: true, privileged: false,
	                capabilities: {drop: ["ALL"], add: []}}
	            and .resources.limits == .resources.requests
	            and .resources.limits.memory == "256Mi" and .resources.limits.cpu == "1000m"
	            and (.volumeMounts[] | select(.mountPath == "/models")
	                | .readOnly == true and .subPath == "acme/m")
	            and .command == ["/opt/pathfinder/pf-verify"]
	            and .args[-2:] == ["--", "/bin/true"]))
	    and (.items[1] | .apiVersion == "networking.k8s.io/v1" and .kind == "NetworkPolicy"
	        and .spec.podSelector.matchLabels["org.pathfinder.run"] == $id
	        and .spec.policyTypes == ["Ingress", "Egress"]
	        and (.spec | has("ingress") or has("egress") | not))' --arg img "$IMG" <<<"$output"
}

@test "pf-launch: --target kubernetes for habana asks for Gaudi devices and SYS_NICE, as root" {
	plan '.execution_plan.accelerator = "habana" | .execution_plan.device_count = 4'
	run -0 --separate-stderr launch --target kubernetes -- /bin/true
	jq -e '.items[0].spec.template.spec | (.securityContext | has("runAsNonRoot") | not)
	    and .securityContext.runAsUser == 0
	    and .containers[0].securityContext.capabilities.add == ["SYS_NICE"]
	    and .containers[0].resources.limits["habana.ai/gaudi"] == 4
	    and .containers[0].resources.requests["habana.ai/gaudi"] == 4' <<<"$output"
	plan '.execution_plan.accelerator = "nvidia" | .execution_plan.devices = [0, 1]'
	run -0 --separate-stderr launch --target kubernetes -- /bin/true
	jq -e '.items[0].spec.template.spec.containers[0].resources.limits["nvidia.com/gpu"] == 2' <<<"$output"
}

@test "pf-launch: --interactive is a terminal in the same locked-down container, its log redacted" {
	need_engine
	command -v script >/dev/null || skip "script(1) (bsdutils) is needed for a terminal"
	local tok=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
	# What a developer types, once the session has started.
	{
		sleep 4
		printf '%s\n' 'grep CapEff /proc/self/status; touch /x; [ -t 0 ] && echo "IS-A-TTY"' \
		    "echo key=$tok" 'exit 7'
		sleep 4
	} | script -qefc "pf-launch --plan '$T/plan.json' --gate '$T/gate.json' --key '$T/pub.pem' \
	    --verifier '$VERIFIER' --run-id '$RUN_ID' -o '$T/result.json' --interactive" /dev/null \
	    >"$T/screen" 2>&1 || true
	runlog >"$T/log"
	grep -q 'CapEff:	0000000000000000' "$T/log" || { cat "$T/screen"; false; }
	grep -q 'touch: /x: Read-only file system' "$T/log"
	grep -q 'IS-A-TTY' "$T/log"
	grep -q 'key=\[REDACTED:huggingface-token\]' "$T/log"
	! grep -q QwErTy "$T/log"
	! grep -q QwErTy "$T/result.json"
	jq -e '.execution.exit_code == 7 and .execution.status == "failed"
	    and (.argv | index("--interactive") != null and index("--tty") != null
	        and index("--read-only") != null and index("--cap-drop=ALL") != null
	        and index("--network=none") != null and .[-1] == "/bin/sh")
	    and .security.signature_verified == true' "$T/result.json"
	[ "$(docker ps -aq --filter "name=^pf-$RUN_ID\$")" = "" ]
}

@test "pf-launch: --interactive: the watchdog stops an idle session at the timeout" {
	need_engine
	command -v script >/dev/null || skip "script(1) (bsdutils) is needed for a terminal"
	plan '.execution_plan.limits.timeout_seconds = 2 | .execution_plan.limits.grace_seconds = 1'
	sleep 12 | script -qefc "pf-launch --plan '$T/plan.json' --gate '$T/gate.json' --key '$T/pub.pem' \
	    --verifier '$VERIFIER' --run-id '$RUN_ID' -o '$T/result.json' --interactive" /dev/null \
	    >"$T/screen" 2>&1 || true
	jq -e '.execution.status == "timeout" and .timed_out == true
	    and .duration_s < 12' "$T/result.json" || { cat "$T/screen"; false; }
	[ "$(docker ps -aq --filter "name=^pf-$RUN_ID\$")" = "" ]
}

@test "pf-launch: --interactive without a terminal is refused, exit 2" {
	run -2 --separate-stderr launch --interactive </dev/null
	[[ "$stderr" == "pf-launch: --interactive needs a terminal on standard input"* ]]
	run -2 --separate-stderr launch --interactive --print </dev/null
}

# dockerfile ARGS...: --dockerfile into $T/ctx.
dockerfile() {
	mkdir -p "$T/ctx"
	pf-launch --dockerfile --key "$T/pub.pem" --verifier "$VERIFIER" -o "$T/ctx/Dockerfile" "$@"
}

# A lock as pip-compile --generate-hashes writes one.
H1=$(printf '%064d' 1)
H2=$(printf 'ab%062d' 2)
lock() { printf '%s\n' "$@" >"$T/req.lock"; pf_policy ".launch.base_image = \"sha256:$(printf '%064d' 9)\"
    | .launch.requirements = \"$T/req.lock\""; }

@test "pf-launch: --dockerfile refuses a base image not pinned by digest, naming the key" {
	run -2 --separate-stderr dockerfile
	[[ "$stderr" == "pf-launch: policy: launch.base_image '' is not pinned by digest: write it as NAME@sha256:<64 hex>"* ]]
	pf_policy '.launch.base_image = "busybox:latest"'
	run -2 --separate-stderr dockerfile
	[[ "$stderr" == "pf-launch: policy: launch.base_image 'busybox:latest' is not pinned by digest"* ]]
	pf_policy ".launch.base_image = \"sha256:$(printf '%064d' 9)\" | .launch.uid = 0"
	run -2 --separate-stderr dockerfile
	[[ "$stderr" == "pf-launch: policy: launch.uid 0: the image's user is from 1 to 65534, never root" ]]
	[ ! -e "$T/ctx/Dockerfile" ]
	run -2 --separate-stderr pf-launch --dockerfile --plan "$T/plan.json" --key "$T/pub.pem"
	[[ "$stderr" == "pf-launch: --dockerfile takes only --key, --verifier, --policy and -o"* ]]
}

@test "pf-launch: --dockerfile builds offline on the test base; its entrypoint verifies the model first" {
	need_engine
	pf_policy ".launch.base_image = \"$PF_TEST_IMAGE\""
	run -0 --separate-stderr dockerfile
	cmp "$VERIFIER" "$T/ctx/pf-verify" && cmp "$T/pub.pem" "$T/ctx/key.pem"
	! grep -qE '^(ADD|RUN) ' "$T/ctx/Dockerfile"
	grep -qx "FROM $PF_TEST_IMAGE" "$T/ctx/Dockerfile"
	grep -qx "USER 65534:65534" "$T/ctx/Dockerfile"
	BUILT="pf-launch-img-$RUN_ID"
	DOCKER_BUILDKIT=0 docker build -q --pull=false -t "$BUILT" "$T/ctx" >/dev/null
	run -0 docker inspect --format '{{json .Config}}' "$BUILT"
	jq -e --arg v "$(sha256sum <"$VERIFIER" | cut -c1-64)" --arg b "$PF_TEST_IMAGE" '
	    .User == "65534:65534"
	    and .Entrypoint == ["/opt/pathfinder/pf-verify", "--key", "/opt/pathfinder/key.pem", "/models", "--"]
	    and .Labels["org.pathfinder.verifier.sha256"] == $v
	    and .Labels["org.opencontainers.image.base.digest"] == $b
	    and (.Env | index("HF_HUB_OFFLINE=1") != null)' <<<"$output"
	run -0 docker run --rm --network=none --read-only --cap-drop=ALL \
	    --mount "type=bind,src=$M,dst=/models,readonly" "$BUILT" /bin/sh -c 'echo "WORKLOAD-RAN as $(id -u)"'
	[ "$output" = "WORKLOAD-RAN as 65534" ]
	printf 'changed\n' >"$M/model.safetensors"
	run docker run --rm --network=none --read-only --cap-drop=ALL \
	    --mount "type=bind,src=$M,dst=/models,readonly" "$BUILT" /bin/sh -c 'echo WORKLOAD-RAN'
	[ "$status" -ne 0 ]
	[[ "$output" != *WORKLOAD-RAN* ]]
}

@test "pf-launch: --dockerfile installs the policy's lock with pip --require-hashes, the lock beside it" {
	lock "safetensors==0.4.0 \\" "    --hash=sha256:$H1" "# a comment" \
	    "numpy==1.26.4 --hash=sha256:$H1 --hash=sha256:$H2"
	run -0 --separate-stderr dockerfile
	cmp "$T/req.lock" "$T/ctx/requirements.lock"
	grep -qx 'COPY requirements.lock /opt/pathfinder/requirements.lock' "$T/ctx/Dockerfile"
	grep -qxF 'RUN ["python3","-m","pip","install","--no-cache-dir","--no-input","--require-hashes","--no-deps","--only-binary=:all:","-r","/opt/pathfinder/requirements.lock"]' "$T/ctx/Dockerfile"
	grep -qF "org.pathfinder.requirements.sha256=\"$(sha256sum <"$T/req.lock" | cut -c1-64)\"" "$T/ctx/Dockerfile"
	# Packages go in as root, before the user is dropped.
	[ "$(grep -n '^RUN ' "$T/ctx/Dockerfile" | cut -d: -f1)" -lt "$(grep -n '^USER ' "$T/ctx/Dockerfile" | cut -d: -f1)" ]
	! grep -q '^ADD ' "$T/ctx/Dockerfile"
}

@test "pf-launch: --dockerfile refuses a lock line without a hash, a range, a URL, an index or drift from deps.locked" {
	local bad
	for bad in "numpy==1.26.4" "numpy>=1.26 --hash=sha256:$H1" "numpy==1.26.* --hash=sha256:$H1" \
	    "numpy==1.26.4 --hash=md5:0123" "--index-url https://pypi.example/simple" \
	    "-r other.txt" "https://example.org/x.whl" "-e ./src" \
	    "safetensors==0.3.0 --hash=sha256:$H1"; do
		lock "torch==2.1.0 --hash=sha256:$H2" "$bad"
		run -2 --separate-stderr dockerfile
		[[ "$stderr" == "pf-launch: '$T/req.lock':2: "* ]] || { echo "$bad: $stderr"; false; }
		[ ! -e "$T/ctx/Dockerfile" ] && [ ! -e "$T/ctx/requirements.lock" ]
	done
	[[ "$stderr" == *"'safetensors' is pinned to '==0.3.0'; the policy's deps.locked says '0.4.0'" ]]
}
