#!/usr/bin/env python3
"""Measures how far `verdict verify` runs past its `--timeout`: wall time from process start to
exit, minus the timeout, for every (instance, timeout) pair.

Prints one line per run (answer, the seconds the process took, the overrun) and the worst
overrun; exits 1 when it passes `--allowed` (default 1 s, the target of issue 24).

    benchmarks/timeout-overrun.py ROOT [--timeouts 1,3,10,30] [--allowed 1.0] [-- VERIFY-FLAGS...]

ROOT is the folder that holds `vnncomp2021/` and `vnncomp2022/` (`../shared/benchmarks`). The
instances are hard ones, which none of these timeouts decide: each run ends at its deadline.
`VERDICT` names the binary (default: the release build).
"""
import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
VERDICT = os.environ.get("VERDICT", os.path.join(HERE, "..", ".build", "release", "verdict"))

# (suite folder, network, property): instances that run to any timeout below 120 s, chosen to
# stop in every phase (bounding dense and graph batches, Z3 leaves, the root's α, the attack).
HARD = [
    ("vnncomp2021/acasxu", "onnx/ACASXU_run2a_3_3_batch_2000.onnx", "vnnlib/prop_2.vnnlib"),
    ("vnncomp2021/mnistfc", "mnist-net_256x6.onnx", "prop_0_0.03.vnnlib"),
    ("vnncomp2022/oval21", "onnx/cifar_base_kw.onnx", "vnnlib/cifar_base_kw-img2578-eps0.021176470588235297.vnnlib"),
    ("vnncomp2022/sri_resnet_a", "onnx/resnet_3b2_bn_mixup_adv_4.0_bs128_lr-1.onnx", "vnnlib/cifar10_spec_idx_5209_eps_0.00350.vnnlib"),
    ("vnncomp2021/eran", "nets/ffnnSIGMOID__Point_6x200.onnx", "specs/mnist/mnist_spec_idx_9044_eps_0.01200.vnnlib"),
    ("vnncomp2022/reach_prob_density", "onnx/robot.onnx", "vnnlib/robot_3.vnnlib"),
]


def resolve(root, folder, network, prop):
    """The instance's files, trying the paths with and without their subfolder."""
    base = os.path.join(root, folder)
    found = []
    for name in (network, prop):
        candidates = [os.path.join(base, name), os.path.join(base, os.path.basename(name))]
        path = next((c for c in candidates if os.path.exists(c)), None)
        if path is None:
            return None
        found.append(path)
    return found


def main():
    arguments = sys.argv[1:]
    extra = []
    if "--" in arguments:
        extra = arguments[arguments.index("--") + 1:]
        arguments = arguments[:arguments.index("--")]
    parser = argparse.ArgumentParser(prog="timeout-overrun.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("root", help="the shared benchmarks folder (holding vnncomp2021/ and vnncomp2022/)")
    parser.add_argument("--timeouts", default="1,3,10,30", help="comma-separated seconds (default 1,3,10,30)")
    parser.add_argument("--allowed", type=float, default=1.0, help="the largest acceptable overrun in seconds")
    options = parser.parse_args(arguments)
    try:
        timeouts = [float(t) for t in options.timeouts.split(",")]
    except ValueError:
        parser.error(f"--timeouts {options.timeouts!r}: expected comma-separated numbers")
    worst = 0.0
    runs = 0
    for folder, network, prop in HARD:
        files = resolve(options.root, folder, network, prop)
        if files is None:
            print(f"{folder} {network} {prop}: not found under {options.root}", file=sys.stderr)
            return 2
        for timeout in timeouts:
            start = time.monotonic()
            done = subprocess.run([VERDICT, "verify", files[1], "--network", files[0], "--timeout", str(timeout)] + extra,
                                  capture_output=True, text=True)
            took = time.monotonic() - start
            answer = done.stdout.split("\n", 1)[0] or f"exit {done.returncode}"
            overrun = took - timeout
            worst = max(worst, overrun)
            runs += 1
            print(f"{os.path.basename(network):48} {os.path.basename(prop)[:40]:40} timeout {timeout:6.1f}  {answer:10} "
                  f"{took:7.2f} s  overrun {overrun:+.2f} s", flush=True)
    print(f"{runs} runs, worst overrun {worst:+.2f} s (allowed {options.allowed:.2f} s)")
    return 0 if worst <= options.allowed else 1


if __name__ == "__main__":
    sys.exit(main())
