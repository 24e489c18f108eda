#!/usr/bin/env python3
"""Runs `verdict` commands on malformed inputs and flags, and counts crashes and hangs.

Each case is one process: a mutated ONNX model (`info`, `eval`), a mutated VNN-LIB property
(`spec`), or the embedded example with one flag set to a hostile value (`bounds`, `verify`).
A crash is an exit by a signal or a Swift runtime trap ("Fatal error"); a hang is a process
still running `--grace` seconds past its `--timeout` (or past `--grace` seconds where the
command has no timeout). Anything else, an answer or a clean error, passes.

    benchmarks/fuzz/commands.py [--cases N] [--seed S] [--jobs J] [--grace SECONDS]

Prints the counts per kind and every failing command; exits 1 if any case failed. `VERDICT`
names the binary (default: the release build).
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
VERDICT = os.environ.get("VERDICT", os.path.join(ROOT, ".build", "release", "verdict"))
EXAMPLE = os.path.join(ROOT, "benchmarks", "examples", "digits")
MODEL = os.path.join(EXAMPLE, "digits.onnx")
PROPERTY = os.path.join(EXAMPLE, "properties", "digit_0_eps_0.5.vnnlib")
INPUT = os.path.join(EXAMPLE, "inputs", "digit_0.json")

HOSTILE = ["0", "-1", "-0", "1e308", "99999999999999999999", "nan", "inf", "-inf", "", " ", "1000000000", "2147483648",
           "9223372036854775807", "0.0000001", "abc", "--", "1e-320", "0x10", "1,2", "\u00e9"]
FLAGS = {
    "verify": ["--timeout", "--batch", "--iterations", "--intermediate-iterations", "--intermediate-time-share", "--fsb-candidates",
               "--input-split-limit", "--max-subproblems", "--max-memory", "--z3-leaf-unstable", "--z3-leaf-depth", "--z3-leaf-timeout",
               "--z3-workers", "--seed", "--attack-samples", "--attack-restarts", "--attack-steps", "--attack-time-share",
               "--quick-attack-share", "--search-attack-steps", "--search-attack-nodes", "--refine-layers", "--refine-splits",
               "--refine-time-share", "--split", "--branching", "--method", "--device", "--precision", "--max-pool",
               "--child-intermediate", "--input-branching", "--learning-rate", "--result-file", "--network"],
    "bounds": ["--iterations", "--learning-rate", "--intermediate-iterations", "--method", "--device", "--precision", "--timeout"],
}


def mutate(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not data:
            data = bytearray(b"\x00")
        at = rng.randrange(len(data))
        kind = rng.randrange(5)
        if kind == 0:
            data[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data[at] = rng.randrange(256)
        elif kind == 2:
            data[at:at] = rng.choice([b"\xff\xff\xff\xff\xff\xff\xff\x7f", b"\x00\x00\xc0\x7f", b"(", b")", b"X_0", b"1e308", b"Gemm"])
        elif kind == 3:
            del data[at:at + rng.randint(1, 16)]
        else:
            del data[at:]
    return bytes(data)


def cases(count, rng, folder):
    model = open(MODEL, "rb").read()
    prop = open(PROPERTY, "rb").read()
    for index in range(count):
        kind = ["onnx", "vnnlib", "verify-flag", "bounds-flag"][index % 4]
        if kind == "onnx":
            path = os.path.join(folder, f"m{index}.onnx")
            open(path, "wb").write(mutate(model, rng))
            command = rng.choice([["info", path], ["eval", path, "--input", INPUT],
                                  ["verify", PROPERTY, "--network", path, "--timeout", "3"]])
            limit = 3
        elif kind == "vnnlib":
            path = os.path.join(folder, f"p{index}.vnnlib")
            open(path, "wb").write(mutate(prop, rng))
            command = rng.choice([["spec", path], ["verify", path, "--network", MODEL, "--timeout", "3"]])
            limit = 3
        else:
            sub = "verify" if kind == "verify-flag" else "bounds"
            flag = rng.choice(FLAGS[sub])
            value = rng.choice(HOSTILE)
            command = [sub, PROPERTY, "--network", MODEL, "--timeout", "3", flag, value]
            if flag == "--timeout":
                command = [sub, PROPERTY, "--network", MODEL, flag, value]
            limit = 3
        yield kind, command, limit


def run(case, grace, folder):
    kind, command, limit = case
    start = time.monotonic()
    try:
        done = subprocess.run([VERDICT] + command, capture_output=True, text=True, errors="replace", timeout=limit + grace,
                              cwd=folder)
    except subprocess.TimeoutExpired:
        return kind, command, f"hang (still running after {limit + grace} s)"
    took = time.monotonic() - start
    if done.returncode < 0 or done.returncode in (132, 133, 134, 139) or "Fatal error" in done.stderr:
        return kind, command, f"crash (exit {done.returncode}): {done.stderr.strip()[-200:]}"
    return kind, command, None if took <= limit + grace else f"slow ({took:.1f} s)"


def main():
    parser = argparse.ArgumentParser(prog="commands.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="how many cases (default 2000)")
    parser.add_argument("--seed", type=int, default=24, help="seed of the mutations (default 24)")
    parser.add_argument("--jobs", type=int, default=2, help="processes at once (default 2)")
    parser.add_argument("--grace", type=float, default=10, help="seconds past a case's timeout before it counts as a hang")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    counts, failures = {}, []
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="verdict-fuzz-") as folder:
        work = list(cases(options.cases, rng, folder))
        with ThreadPoolExecutor(options.jobs) as pool:
            for kind, command, failure in pool.map(lambda case: run(case, options.grace, folder), work):
                counts[kind] = counts.get(kind, 0) + 1
                if failure:
                    failures.append((kind, command, failure))
                    print(f"{kind}: {' '.join(command)}: {failure}", flush=True)
    summary = ", ".join(f"{kind} {count}" for kind, count in sorted(counts.items()))
    print(f"{options.cases} cases ({summary}) in {time.monotonic() - start:.0f} s: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
