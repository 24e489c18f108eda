#!/usr/bin/env python3
"""Runs `verdict verify` (release build) on every instance of a VNN-COMP benchmark folder and
compares each answer with the folder's expected.csv.

Prints one line per instance (answer, expected, seconds, subproblems, Z3 leaves) and a summary:
correct, wrong, unanswered (unknown or timed-out) and the total time. A wrong answer (sat where
unsat is known or the other way round) is a release-blocking bug: the script exits 1.

    benchmarks/verify-suite.py FOLDER [--timeout SECONDS | --timeout-cap SECONDS] [--match TEXT] [--known-only] [--limit N] [-- VERIFY-FLAGS...]

--timeout overrides the CSV's per-instance timeouts, --timeout-cap caps them; --match keeps instances whose network or
property name contains TEXT; --known-only skips those labelled unknown; flags after `--` go to `verdict verify` (for
example `-- --split relu --branching fsb`). `--help` lists the flags.
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_instances import instances  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
VERDICT = os.environ.get("VERDICT", os.path.join(HERE, "..", ".build", "release", "verdict"))


def parse(arguments):
    """The script's own flags (before `--`) and the flags for `verdict verify` (after it)."""
    extra = []
    if "--" in arguments:
        extra = arguments[arguments.index("--") + 1:]
        arguments = arguments[:arguments.index("--")]
    parser = argparse.ArgumentParser(
        prog="verify-suite.py", description=__doc__.split("\n\n")[0],
        epilog="Flags after `--` go to `verdict verify`, for example `-- --split relu --branching fsb`.")
    parser.add_argument("folder", help="a VNN-COMP benchmark folder (its *_instances.csv and expected.csv)")
    limits = parser.add_mutually_exclusive_group()
    limits.add_argument("--timeout", type=float, help="seconds per instance, instead of the CSV's timeouts")
    limits.add_argument("--timeout-cap", type=float, help="cap the CSV's per-instance timeouts at SECONDS")
    parser.add_argument("--match", help="keep instances whose network or property path contains TEXT")
    parser.add_argument("--known-only", action="store_true", help="skip instances whose expected answer is unknown")
    parser.add_argument("--limit", type=int, help="run only the first N instances (after --match and --known-only)")
    options = parser.parse_args(arguments)
    if not os.path.isdir(options.folder) or not any(f.endswith("_instances.csv") for f in os.listdir(options.folder)):
        parser.error(f"{options.folder}: not a folder with a *_instances.csv file")
    return options, extra


def main():
    options, extra = parse(sys.argv[1:])
    folder, timeout, cap, match, limit = options.folder, options.timeout, options.timeout_cap, options.match, options.limit
    if not os.path.exists(VERDICT):
        sys.exit(f"{VERDICT} is missing: run `swift build -c release` first")
    counts = {"correct": 0, "wrong": 0, "unanswered": 0, "answered (expected unknown)": 0}
    wrong = []
    total = 0.0
    rows = [r for r in instances(folder) if (match is None or match in r[0] or match in r[1])
            and not (options.known_only and r[3] == "unknown")]
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
