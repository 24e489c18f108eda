#!/usr/bin/env bash
# VNN-LIB parsing speed: milliseconds to read and parse each MNIST-FC property (about 70 KB
# each), measured inside `verdict spec` of a release build. Target: under 50 ms each.
#   benchmarks/vnnlib-parse.sh [BENCHMARKS_ROOT]   (default: ../shared/benchmarks/vnncomp2021)
set -euo pipefail
cd "$(dirname "$0")/.."
root=${1:-${VERDICT_BENCHMARKS:-../shared/benchmarks/vnncomp2021}}
verdict=.build/release/verdict
[ -x "$verdict" ] || swift build -c release >/dev/null
times=()
for file in "$root"/mnistfc/*.vnnlib; do
    times+=("$("$verdict" spec "$file" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["parse_milliseconds"])')")
done
printf '%s\n' "${times[@]}" | python3 -c '
import sys
values = sorted(float(line) for line in sys.stdin)
print(f"parsed {len(values)} MNIST-FC properties: median {values[len(values)//2]:.2f} ms, max {values[-1]:.2f} ms (target: under 50 ms each)")
'
