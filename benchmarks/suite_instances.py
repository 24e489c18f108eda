"""The instances of a VNN-COMP benchmark folder, shared by the benchmark scripts."""
import csv
import os


def instances(folder):
    """Yields (onnx, vnnlib, timeout, expected) for each row of the folder's *_instances.csv;
    expected comes from expected.csv ("unknown" where it is missing)."""
    name = next(f for f in os.listdir(folder) if f.endswith("_instances.csv"))
    expected = {}
    path = os.path.join(folder, "expected.csv")
    if os.path.exists(path):
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                expected[(row["onnx"].strip(), row["vnnlib"].strip())] = row["expected"].strip()
    with open(os.path.join(folder, name), newline="") as f:
        for row in csv.reader(f):
            if len(row) >= 3:
                key = (row[0].strip(), row[1].strip())
                yield key[0], key[1], float(row[2]), expected.get(key, "unknown")
