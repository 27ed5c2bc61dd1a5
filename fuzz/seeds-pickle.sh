#!/bin/sh
# Seeds for the pickle harnesses: every sample of tests/fixtures/gen-pickle.py
# (benign ones only when their library is installed).
# seeds-pickle.sh DIR [zip|npy|legacy|archive] keeps, for a container
# harness, the samples of its kind with the prefix the harness adds cut off.
d=${1:?usage: seeds-pickle.sh DIR [KIND]}
kind=${2:-}
gen=$(dirname "$0")/../tests/fixtures/gen-pickle.py
mkdir -p "$d"
for n in $("$gen" --list); do
	"$gen" "$n" >"$d/$n" 2>/dev/null || { rm -f "$d/$n"; continue; }
	case $kind in
	zip)	head -c 4 "$d/$n" | grep -q '^PK' || { rm -f "$d/$n"; continue; }
		tail -c +5 "$d/$n" >"$d/$n.t" && mv "$d/$n.t" "$d/$n" ;;
	npy)	case $n in *npy*|*npz*) ;; *) rm -f "$d/$n"; continue ;; esac
		if head -c 6 "$d/$n" | grep -q NUMPY; then
			tail -c +7 "$d/$n" >"$d/$n.t" && mv "$d/$n.t" "$d/$n"
		fi ;;
	legacy)	case $n in *legacy*) tail -c +16 "$d/$n" >"$d/$n.t" &&
			mv "$d/$n.t" "$d/$n" ;; *) rm -f "$d/$n" ;; esac ;;
	esac
done
