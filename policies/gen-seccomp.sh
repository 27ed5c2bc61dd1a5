#!/bin/sh
# Writes pathfinder-seccomp.json on stdout: Docker's default seccomp profile
# (moby profiles/seccomp/default.json, as Debian's
# golang-github-docker-docker-dev 20.10.24+dfsg1-1+deb12u1 ships it) with
# every denied name removed from every allow rule. Removing is the only
# way: an ERRNO rule added after an ALLOW of the same name does not win.
# personality stays allowed only for 0 and 0xffffffff (query and PER_LINUX).
# The argument filters of the default (socket families, clone flags) stay.
set -eu
src=${1:-/usr/share/gocode/src/github.com/docker/docker/profiles/seccomp/default.json}
deny='ptrace process_vm_readv process_vm_writev kcmp pidfd_getfd process_madvise
unshare setns mount umount umount2 pivot_root chroot fsopen fsconfig fsmount fspick
move_mount open_tree open_tree_attr mount_setattr
io_uring_setup io_uring_enter io_uring_register userfaultfd
keyctl add_key request_key bpf perf_event_open
kexec_load kexec_file_load init_module finit_module delete_module
open_by_handle_at lookup_dcookie quotactl quotactl_fd acct swapon swapoff reboot
syslog iopl ioperm vhangup settimeofday clock_settime clock_settime64 stime
sethostname setdomainname fanotify_init'
# shellcheck disable=SC2086
jq --argjson deny "$(printf '%s\n' $deny | jq -R . | jq -s .)" '
	.syscalls |= [.[]
		| if .action == "SCMP_ACT_ALLOW"
		  then .names -= $deny else . end
		| select(.names | length > 0)
		| select((.names != ["personality"]) or
		    (.args[0].value == 0 or .args[0].value == 4294967295))]' "$src"
