#!/usr/bin/env bash
# VNN-COMP tool interface: decide one instance within TIMEOUT seconds and write the result
# file the competition reads (sat with the witness, unsat, timeout or unknown).
#   run_instance.sh v1 CATEGORY ONNX VNNLIB RESULTS_FILE TIMEOUT
set -uo pipefail
[ "$#" -eq 6 ] && [ "$1" = "v1" ] || { echo "usage: $0 v1 CATEGORY ONNX VNNLIB RESULTS_FILE TIMEOUT" >&2; exit 1; }
VERDICT="${VERDICT:-$(cd "$(dirname "$0")/../.." && pwd)/.build/release/verdict}"
exec "$VERDICT" verify "$4" --network "$3" --timeout "$6" --result-file "$5"
