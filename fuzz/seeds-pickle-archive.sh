#!/bin/sh
# Seeds for fuzz-pickle-archive: see seeds-pickle.sh, plus the archive
# samples of tests/fixtures/gen-archive.py (7z by py7zr and p7zip, damaged
# and empty archives, names that leave the folder).
d=${1:?usage: seeds-pickle-archive.sh DIR}
here=$(dirname "$0")
"$here/seeds-pickle.sh" "$d" archive
"$here/seeds-warch.sh" "$d"
