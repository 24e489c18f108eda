#!/usr/bin/env python3
"""How many instances of a VNN-COMP benchmark each bound method proves without branching.

Runs `verdict bounds --json` (release build) on every instance of the given benchmark folders
and prints, per method and device, how many are proved and how long it took. A proved
instance whose known answer is `sat` is a soundness bug, and so is an instance that one
device proves and another does not (their bounds agree to 1e-9): both are listed and the
script exits 1, as it does when a `verdict bounds` call fails (a bad flag after `--`).

    benchmarks/bounds-proved.py [--methods crown,alpha-crown] [--devices cpu,opencl] [--match TEXT] [ROOT/acasxu ROOT/mnistfc ...] [-- FLAGS]

`--match` keeps the instances whose network or property path contains TEXT (eran's Sigmoid
network: `--match SIGMOID`); FLAGS go to every `verdict bounds` call (for example
`--intermediate-iterations 40`).

The binary is `.build/release/verdict`, or `$VERDICT`.
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
    flags = []
    if "--" in arguments:
        flags = arguments[arguments.index("--") + 1:]
        arguments = arguments[:arguments.index("--")]
    methods, devices, match = ["crown", "alpha-crown"], ["cpu"], ""
    while arguments[:1] in (["--methods"], ["--devices"], ["--match"]):
        if len(arguments) < 2:
            sys.exit(f"{arguments[0]} needs a value")
        if arguments[0] == "--methods":
            methods = arguments[1].split(",")
        elif arguments[0] == "--devices":
            devices = arguments[1].split(",")
        else:
            match = arguments[1]
        arguments = arguments[2:]
    root = os.environ.get("VERDICT_BENCHMARKS", os.path.join(HERE, "..", "..", "shared", "benchmarks", "vnncomp2021"))
    folders = arguments or [os.path.join(root, "acasxu"), os.path.join(root, "mnistfc")]
    if not os.path.exists(VERDICT):
        subprocess.run(["swift", "build", "-c", "release", "--product", "verdict"], cwd=os.path.join(HERE, ".."), check=True)
    wrong, disagreements, errors = [], [], 0
    print(f"{'benchmark':<10} {'method':<12} {'device':<8} {'proved':>7} {'of':>4} {'unsat known':>12} {'seconds':>8}")
    for folder in folders:
        items = [item for item in instances(folder) if match in item[0] or match in item[1]]
        for method in methods:
            answers = {}
            for device in devices:
                proved = 0
                start = time.time()
                for network, prop, _, expected in items:
                    result = subprocess.run(
                        [VERDICT, "bounds", os.path.join(folder, prop), "--network", os.path.join(folder, network),
                         "--method", method, "--device", device, "--json"] + flags,
                        capture_output=True, text=True)
                    if result.returncode != 0:
                        print(f"error on {network} {prop}: {result.stderr.strip()}", file=sys.stderr)
                        errors += 1
                        continue
                    answer = json.loads(result.stdout)["proved"]
                    answers.setdefault((network, prop), {})[device] = answer
                    if answer:
                        proved += 1
                        if expected == "sat":
                            wrong.append((method, device, network, prop))
                unsat = sum(1 for item in items if item[3] == "unsat")
                print(f"{os.path.basename(folder):<10} {method:<12} {device:<8} {proved:>7} {len(items):>4} {unsat:>12} {time.time() - start:>8.1f}")
            for (network, prop), by_device in answers.items():
                if len(set(by_device.values())) > 1:
                    disagreements.append((method, network, prop, by_device))
    for method, device, network, prop in wrong:
        print(f"SOUNDNESS BUG: {method} on {device} proved {network} {prop}, whose known answer is sat")
    for method, network, prop, by_device in disagreements:
        print(f"DEVICES DISAGREE: {method} {network} {prop}: {by_device}")
    if errors:
        print(f"{errors} verdict bounds calls failed (see above)")
    sys.exit(1 if wrong or disagreements or errors else 0)


if __name__ == "__main__":
    main()
