#!/bin/sh
# Seeds for fuzz-pickle-npy: see seeds-pickle.sh.
exec "$(dirname "$0")/seeds-pickle.sh" "${1:?usage: seeds-pickle-npy.sh DIR}" npy
