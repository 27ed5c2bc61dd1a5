#!/bin/sh
# Seeds for fuzz-pickle-legacy: see seeds-pickle.sh.
exec "$(dirname "$0")/seeds-pickle.sh" "${1:?usage: seeds-pickle-legacy.sh DIR}" legacy
