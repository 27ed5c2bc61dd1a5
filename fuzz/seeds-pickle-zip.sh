#!/bin/sh
# Seeds for fuzz-pickle-zip: see seeds-pickle.sh.
exec "$(dirname "$0")/seeds-pickle.sh" "${1:?usage: seeds-pickle-zip.sh DIR}" zip
