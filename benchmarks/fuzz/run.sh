#!/usr/bin/env bash
# Fuzzes Verdict's readers with libFuzzer: builds the targets of this package with the fuzzer
# instrumentation, seeds each from real files, runs each for SECONDS (default 600) and prints
# its executions and findings. A crash leaves its input as crash-* in the work folder and makes
# this script exit 1.
#
#   benchmarks/fuzz/run.sh [SECONDS] [SHARED_BENCHMARKS]
#
# SHARED_BENCHMARKS (default ../shared/benchmarks beside the checkout) supplies seed networks
# and properties; the embedded example is always used. FUZZ_TARGETS picks targets (default
# "onnx vnnlib inputs"); FUZZ_WORK the work folder (default .build/fuzz), whose corpora a
# later run continues from.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-600}"
shared="${2:-$root/../shared/benchmarks}"
work="${FUZZ_WORK:-$root/.build/fuzz}"
mkdir -p "$work"

swift build -c release --package-path "$here" -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library >&2
bin="$(swift build -c release --package-path "$here" --show-bin-path)"

seed() {  # seed TARGET FILES...: a corpus folder holding copies of FILES
    local corpus="$work/$1-corpus"
    mkdir -p "$corpus"
    shift
    for file in "$@"; do [ -f "$file" ] && cp "$file" "$corpus/" || true; done
    echo "$corpus"
}
onnx=$(seed onnx "$root"/benchmarks/examples/digits/digits.onnx "$shared"/vnncomp2021/acasxu/ACASXU_run2a_1_1_batch_2000.onnx \
    "$shared"/vnncomp2022/reach_prob_density/onnx/vdp.onnx "$shared"/vnncomp2022/collins_rul_cnn/onnx/NN_rul_small_window_20.onnx)
vnnlib=$(seed vnnlib "$root"/benchmarks/examples/digits/properties/*.vnnlib "$shared"/vnncomp2021/acasxu/prop_1.vnnlib \
    "$shared"/vnncomp2022/reach_prob_density/vnnlib/robot_3.vnnlib)
inputs="$work/inputs-corpus"
mkdir -p "$inputs"
printf '[[0.5, 1, -2.25], [3e-3, 4, 5]]' > "$inputs/nested.json"
printf '# pixels\n0\n0.5\n\n16\n-1e-3\n' > "$inputs/lines.txt"

status=0
for target in ${FUZZ_TARGETS:-onnx vnnlib inputs}; do
    corpus="$work/$target-corpus"
    log="$work/$target.log"
    marker="$work/$target.started"
    touch "$marker"
    set +e
    (cd "$work" && "$bin/fuzz-$target" "$corpus" -max_total_time="$seconds" -max_len=1048576 -rss_limit_mb=4096 -timeout=10 \
        -artifact_prefix="$work/$target-" -print_final_stats=1 >"$log" 2>&1)
    code=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    # Only this run's findings: a kept work folder may hold earlier runs' artifacts.
    findings=$(find "$work" -maxdepth 1 -newer "$marker" \( -name "$target-crash-*" -o -name "$target-timeout-*" -o -name "$target-oom-*" -o -name "$target-leak-*" \) | wc -l)
    echo "fuzz-$target: $runs executions in $seconds s, $findings findings (exit $code; log $log)"
    if [ "$code" != 0 ] || [ "$findings" != 0 ]; then status=1; fi
done
exit $status
