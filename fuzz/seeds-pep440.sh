#!/bin/sh
# Seeds for fuzz-pep440: pairs of versions from PEP 440's examples and a
# specifier set after them, one file each: "A\nB\nSPEC".
d=${1:?usage: seeds-pep440.sh DIR}
mkdir -p "$d"
i=0
seed() {
	i=$((i + 1))
	printf '%s\n%s\n%s' "$1" "$2" "$3" >"$d/seed$i"
}
seed 1.0 1.0.0 '==1.0'
seed 1.0a1 1.0.dev456 '>=1.0a1,<2'
seed '1!2.0rc1.post3.dev4+ubuntu.1' 2.0 '~=2.0'
seed 1.0-alpha1 1.0.RC1 '==1.0.*'
seed v1.0 1.0-r4 '!=1.0.*'
seed 1.0+abc.5 1.0+5 '===1.0+5'
seed 1.7.0.post1 1.7.1 '>1.7'
seed 1.7.0rc1 1.6 '<1.7'
seed 2.2.post3 2.9 '~=2.2.post3'
seed 1.0.15 1.1.dev1 '>= 1.0 , <= 1.1 , != 1.0.5'
