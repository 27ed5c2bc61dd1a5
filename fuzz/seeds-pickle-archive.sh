#!/bin/sh
# Seeds for fuzz-pickle-archive: see seeds-pickle.sh.
exec "$(dirname "$0")/seeds-pickle.sh" "${1:?usage: seeds-pickle-archive.sh DIR}" archive
