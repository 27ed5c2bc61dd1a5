#!/bin/sh
# Seeds for fuzz-launch-plan: plans for each accelerator, with limits and
# a command, and plans asking for what pf-launch refuses.
d=${1:?usage: seeds-launch-plan.sh DIR}
mkdir -p "$d"
img=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
plan() {
	printf '{"policy": {"launch": {"max": {"memory": "64g", "cpus": 16}}}, "plan": {"stage": "plan", "execution_plan": {"container_image": "%s", "network_policy": "none", "timeout_minutes": 5%s}, "resource_plan": {"device_type": "%s"}}}' \
	    "$img" "$1" "$2"
}
plan ', "accelerator": "none", "limits": {"memory": "256m", "cpus": 1, "pids": 64}, "command": ["/bin/sh", "-c", "true"]' cpu >"$d/none"
plan ', "devices": [0, 1]' gaudi2 >"$d/habana"
plan ', "accelerator": "nvidia", "devices": [3], "uid": 1000' h100 >"$d/nvidia"
plan ', "cap_add": "SYS_ADMIN"' cpu >"$d/cap"
plan ', "limits": {"memory": "128g"}' cpu >"$d/over"
plan ', "limits": {"memory": "18446744073709551615g"}' cpu >"$d/overflow"
plan ', "network_policy": "host"' cpu >"$d/net"
