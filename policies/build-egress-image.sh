#!/bin/sh
# build-egress-image.sh [TAG]: the egress proxy image of pf-launch's
# network 'hub', made with docker import from a folder holding this host's
# tinyproxy (Debian's tinyproxy-bin), coreutils' timeout, the shared
# libraries ldd lists for them and an nsswitch.conf; nothing is pulled.
# Prints the image id (sha256:...): put it in the policy's
# launch.egress.proxy_image. PF_ENGINE=podman uses podman.
set -eu
tag=${1:-pathfinder/egress-proxy:local}
engine=${PF_ENGINE:-docker}
root=$(mktemp -d "${TMPDIR:-/tmp}/pf-egress-root.XXXXXX")
trap 'rm -rf "$root"' EXIT INT TERM

copy() {
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
}

for bin in /usr/bin/tinyproxy /usr/bin/timeout; do
	if [ ! -x "$bin" ]; then
		echo "build-egress-image: $bin: not installed (apt-get install tinyproxy-bin coreutils)" >&2
		exit 3
	fi
	copy "$bin"
	# "libc.so.6 => /lib/.../libc.so.6 (0x...)" and the loader's own line.
	for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
	    $1 ~ /^\// { print $1 }'); do
		copy "$lib"
	done
done
chmod 755 "$root"
mkdir -p "$root/etc/pf-egress" "$root/tmp"
# /etc/hosts before DNS: names the engine adds (--add-host) resolve there.
printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
printf 'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
printf 'nogroup:x:65534:\n' >"$root/etc/group"
tar -C "$root" --owner=0 --group=0 -c . |
	"$engine" import --change 'USER 65534:65534' - "$tag"
