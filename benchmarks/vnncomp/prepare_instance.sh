#!/usr/bin/env bash
# VNN-COMP tool interface: check that Verdict reads the instance (network and property, and
# that they fit each other). Nothing is left running between instances: `verify` ends itself
# at its timeout (its watchdog), so no process is killed here.
#   prepare_instance.sh v1 CATEGORY ONNX VNNLIB
set -uo pipefail
[ "$#" -eq 4 ] && [ "$1" = "v1" ] || { echo "usage: $0 v1 CATEGORY ONNX VNNLIB" >&2; exit 1; }
VERDICT="${VERDICT:-$(cd "$(dirname "$0")/../.." && pwd)/.build/release/verdict}"
"$VERDICT" spec "$4" --network "$3" > /dev/null
