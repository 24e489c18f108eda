#!/usr/bin/env python3
"""Runs nnenum, the peer tool of issue 19, over a VNN-COMP suite folder on this machine, the
way its VNN-COMP entry point does (one `python -m nnenum.nnenum ONNX VNNLIB TIMEOUT RESULT`
process per instance, OpenBLAS and OpenMP at one thread each), so that Verdict's `bench`
and nnenum are timed in the same session.

    benchmarks/peer-nnenum.py NNENUM_CHECKOUT SUITE_FOLDER OUT.csv [--python PYTHON] [--timeout-cap S]

NNENUM_CHECKOUT is a clone of github.com/stanleybak/nnenum (not part of this repository); its
dependencies must be importable by PYTHON (a virtual environment with numpy<2, scipy,
onnx<1.17, onnxruntime 1.19, skl2onnx, swiglpk, termcolor worked on 2026-12-02). Writes
`onnx,vnnlib,expected,answer,verdict,seconds` per instance (`holds` is counted as unsat,
`violated` as sat) and prints the totals.
"""
import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from suite_instances import instances  # noqa: E402

ANSWERS = {"holds": "unsat", "violated": "sat"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("nnenum")
    parser.add_argument("suite")
    parser.add_argument("out")
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--timeout-cap", type=float, default=None)
    args = parser.parse_args()
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1",
               PYTHONPATH=os.path.join(os.path.abspath(args.nnenum), "src"))
    correct = wrong = 0
    total = 0.0
    with open(args.out, "w", newline="") as out, tempfile.TemporaryDirectory() as scratch:
        writer = csv.writer(out)
        writer.writerow(["onnx", "vnnlib", "expected", "answer", "verdict", "seconds"])
        for onnx, vnnlib, timeout, expected in instances(args.suite):
            if args.timeout_cap:
                timeout = min(timeout, args.timeout_cap)
            result = os.path.join(scratch, "result.txt")
            if os.path.exists(result):
                os.remove(result)
            command = [args.python, "-m", "nnenum.nnenum", os.path.join(args.suite, onnx),
                       os.path.join(args.suite, vnnlib), str(int(timeout)), result]
            start = time.monotonic()
            try:
                subprocess.run(command, env=env, cwd=args.nnenum, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, timeout=timeout + 60)
            except subprocess.TimeoutExpired:
                pass
            seconds = time.monotonic() - start
            words = open(result).read().split() if os.path.exists(result) else []
            raw = words[0] if words else "error"
            answer = ANSWERS.get(raw, raw)
            verdict = ""
            if answer in ("sat", "unsat") and expected in ("sat", "unsat"):
                verdict = "correct" if answer == expected else "wrong"
            correct += verdict == "correct"
            wrong += verdict == "wrong"
            total += seconds
            writer.writerow([onnx, vnnlib, expected, answer, verdict, f"{seconds:.3f}"])
            out.flush()
            print(f"{vnnlib}: {answer} in {seconds:.1f} s", flush=True)
    print(f"nnenum: {correct} correct, {wrong} wrong, {total:.1f} s in all")


if __name__ == "__main__":
    main()
