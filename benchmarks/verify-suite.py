#!/usr/bin/env python3
"""Runs `verdict verify` (release build) on every instance of a VNN-COMP benchmark folder and
compares each answer with the folder's expected.csv.

Prints one line per instance (answer, expected, seconds, subproblems, Z3 leaves) and a summary:
correct, wrong, unanswered (unknown or timed-out) and the total time. A wrong answer (sat where
unsat is known or the other way round) is a release-blocking bug: the script exits 1.

    benchmarks/verify-suite.py FOLDER [--timeout SECONDS | --timeout-cap SECONDS] [--match TEXT] [--limit N] [-- VERIFY-FLAGS...]

--timeout overrides the CSV's per-instance timeouts, --timeout-cap caps them; --match keeps instances whose network or
property name contains TEXT; flags after `--` go to `verdict verify` (for example
`-- --split relu --branching fsb`).
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_instances import instances  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VERDICT = os.environ.get("VERDICT", os.path.join(HERE, "..", ".build", "release", "verdict"))


def main():
    arguments = sys.argv[1:]
    extra = []
    if "--" in arguments:
        extra = arguments[arguments.index("--") + 1:]
        arguments = arguments[:arguments.index("--")]
    timeout, cap, match, limit, folder = None, None, None, None, None
    while arguments:
        flag = arguments.pop(0)
        if flag == "--timeout":
            timeout = float(arguments.pop(0))
        elif flag == "--timeout-cap":
            cap = float(arguments.pop(0))
        elif flag == "--match":
            match = arguments.pop(0)
        elif flag == "--limit":
            limit = int(arguments.pop(0))
        elif folder is None:
            folder = flag
        else:
            sys.exit(f"unexpected argument {flag}")
    if folder is None:
        sys.exit(__doc__)
    if not os.path.exists(VERDICT):
        sys.exit(f"{VERDICT} is missing: run `swift build -c release` first")
    counts = {"correct": 0, "wrong": 0, "unanswered": 0, "answered (expected unknown)": 0}
    wrong = []
    total = 0.0
    rows = [r for r in instances(folder) if match is None or match in r[0] or match in r[1]]
    for onnx, vnnlib, csv_timeout, expected in rows[:limit]:
        limit_seconds = timeout if timeout is not None else csv_timeout if cap is None else min(csv_timeout, cap)
        command = [VERDICT, "verify", os.path.join(folder, vnnlib), "--network", os.path.join(folder, onnx),
                   "--timeout", str(limit_seconds), "--json"] + extra
        start = time.time()
        process = subprocess.run(command, capture_output=True, text=True, timeout=limit_seconds + 60)
        elapsed = time.time() - start
        total += elapsed
        if process.returncode != 0:
            print(f"{onnx} {vnnlib}: verdict failed ({process.returncode}): {process.stderr.strip()}")
            counts["unanswered"] += 1
            continue
        result = json.loads(process.stdout)
        answer = result["answer"]
        if answer in ("sat", "unsat"):
            if expected == "unknown":
                key = "answered (expected unknown)"
            elif answer == expected:
                key = "correct"
            else:
                key = "wrong"
                wrong.append((onnx, vnnlib, answer, expected))
        else:
            key = "unanswered"
        counts[key] += 1
        phases = result["phases"]
        print(f"{onnx:40s} {vnnlib:28s} {answer:9s} expected {expected:7s} {elapsed:7.2f} s "
              f"(attack {phases['attack']:.2f}, bounds {phases['bounds']:.2f}, z3 {phases['z3']:.2f}) "
              f"{result['subproblems']} subproblems, {result['z3_leaves']} Z3 leaves, {result['peak_memory_bytes'] >> 20} MiB", flush=True)
    print(f"\n{len(rows[:limit])} instances in {total:.1f} s: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    for onnx, vnnlib, answer, expected in wrong:
        print(f"WRONG: {onnx} {vnnlib}: answered {answer}, expected {expected}")
    sys.exit(1 if wrong else 0)


if __name__ == "__main__":
    main()
