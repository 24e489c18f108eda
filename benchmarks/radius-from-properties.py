#!/usr/bin/env python3
"""`verdict radius` on the images at the centres of a suite's L-infinity properties.

For each property file (one per image: the smallest epsilon in its name when several share
an image, `prop_K_EPS.vnnlib`), the image is recovered from the box: the midpoint, or where
the box was clipped to the valid range [LOW, HIGH], the unclipped side moved back by EPS.
Then `verdict radius --input IMAGE --clip LOW:HIGH` prints its bracket. One line per image:
certified, falsified, how each was found, seconds.

  VERDICT=.build/release/verdict benchmarks/radius-from-properties.py \\
      ../shared/benchmarks/vnncomp2021/mnistfc mnist-net_256x2.onnx [--clip 0:1] [-- FLAGS]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile


def box(path):
    lower, upper = {}, {}
    for kind, index, value in re.findall(r"\((<=|>=) X_(\d+) ([-+0-9.eE]+)\)", open(path).read()):
        (upper if kind == "<=" else lower)[int(index)] = float(value)
    count = max(lower) + 1
    return [lower[i] for i in range(count)], [upper[i] for i in range(count)]


def image(path, epsilon, low, high):
    lower, upper = box(path)
    values = []
    for a, b in zip(lower, upper):
        if a <= low and b < high:
            values.append(b - epsilon)
        elif b >= high and a > low:
            values.append(a + epsilon)
        else:
            values.append((a + b) / 2)
    # The files' bounds are Float32 values printed in decimal: undo their rounding at the ends.
    return [min(max(v, low), high) for v in values]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder")
    parser.add_argument("network", help="the network file, relative to the folder")
    parser.add_argument("--clip", default="0:1")
    parser.add_argument("--limit", type=int)
    parser.add_argument("flags", nargs="*", help="after --: flags for verdict radius")
    arguments = parser.parse_args()
    verdict = os.environ.get("VERDICT", ".build/release/verdict")
    low, high = (float(v) for v in arguments.clip.split(":"))
    chosen = {}
    for name in sorted(os.listdir(arguments.folder)):
        match = re.fullmatch(r"prop_(\d+)_([0-9.]+)\.vnnlib", name)
        if match and (match.group(1) not in chosen or float(match.group(2)) < chosen[match.group(1)][1]):
            chosen[match.group(1)] = (name, float(match.group(2)))
    keys = sorted(chosen, key=int)[: arguments.limit]
    total = 0.0
    print("image  certified  falsified  width  certified_by / falsified_by  seconds")
    for key in keys:
        name, epsilon = chosen[key]
        values = image(os.path.join(arguments.folder, name), epsilon, low, high)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump(values, handle)
        command = [verdict, "radius", "--network", os.path.join(arguments.folder, arguments.network), "--input", handle.name,
                   "--clip", arguments.clip, "--json"] + arguments.flags
        result = subprocess.run(command, capture_output=True, text=True)
        os.unlink(handle.name)
        if result.returncode != 0:
            print(f"{key}: error {result.stderr.strip()}")
            continue
        answer = json.loads(result.stdout)
        total += answer["seconds"]
        certified, falsified = answer["certified"], answer["falsified"]
        width = "" if certified is None or falsified is None else f"{falsified - certified:.4g}"
        print(f"{key:>5}  {certified if certified is not None else '-':>9}  {falsified if falsified is not None else '-':>9}  {width:>6}  "
              f"{answer['certified_by']} / {answer['falsified_by']}  {answer['seconds']:.1f}")
    print(f"{len(keys)} images, {total:.1f} s in all")


if __name__ == "__main__":
    sys.exit(main())
