#!/usr/bin/env python3
"""Every shared VNN-LIB 1.0 instance through VNN-LIB 2.0: converts each property to a 2.0
query (`verdict spec --to 2.0`), checks that the query compiles to exactly the property the
1.0 file gives (`verdict spec --json`: the same boxes and unsafe constraints, to the last
bit) and that `--to 1.0` gives it back, and writes each suite as a 2.0 suite folder
(instances CSV, expected.csv, queries) that `verdict bench` runs end to end.

    VERDICT=.build/release/verdict benchmarks/vnnlib2-suites.py ROOT OUT [--match SUITE] [--element-type float32]

ROOT holds vnncomp2021/ and vnncomp2022/ (the shared benchmarks); OUT receives one folder per
suite. Prints one line per suite: instances, converted, identical, round trips. With
`--element-type float32` the queries ask about the models' float32 evaluation: they are not
the 1.0 property (constants are float32 values), so the line counts the queries Verdict loads
instead (`verdict spec QUERY --network MODEL`: the rounding bounds of every node found).
"""
import csv, gzip, json, os, shutil, subprocess, sys, tempfile

verdict = os.environ.get("VERDICT", ".build/release/verdict")


def run(*arguments):
    result = subprocess.run([verdict, *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"verdict {' '.join(arguments)}: {result.stderr.strip()}")
    return result.stdout


def plain(path, scratch):
    """The file itself, or an unpacked copy of a .gz."""
    if not path.endswith(".gz"):
        return path
    target = os.path.join(scratch, os.path.basename(path)[:-3])
    if not os.path.exists(target):
        with gzip.open(path, "rb") as source, open(target, "wb") as sink:
            shutil.copyfileobj(source, sink)
    return target


def cases(path, network):
    return json.loads(run("spec", path, "--network", network, "--json"))["cases"]


def suite(folder, out, scratch, element_type="real"):
    instances = [f for f in os.listdir(folder) if f.endswith("instances.csv")]
    if not instances:
        return None
    rows = [r for r in csv.reader(open(os.path.join(folder, instances[0]))) if r and not r[0].startswith("#")]
    os.makedirs(os.path.join(out, "queries"), exist_ok=True)
    counts = {"instances": len(rows), "converted": 0, "identical": 0, "round_trip": 0}
    new_rows, renamed = [], {}
    for onnx, vnnlib, timeout in rows:
        network = plain(os.path.join(folder, onnx), scratch)
        prop = plain(os.path.join(folder, vnnlib), scratch)
        name = os.path.basename(prop).replace(".vnnlib", "") + "__" + os.path.basename(network).replace(".onnx", "") + ".vnnlib"
        query = os.path.join(out, "queries", name)
        try:
            open(query, "w").write(run("spec", prop, "--network", network, "--to", "2.0", "--element-type", element_type))
            counts["converted"] += 1
            original = cases(prop, network) if element_type == "real" else None
        except RuntimeError as error:
            print(f"  {onnx} {vnnlib}: {error}", file=sys.stderr)
            continue
        if original is None:
            try:
                run("spec", query, "--network", network)
                counts["loaded"] = counts.get("loaded", 0) + 1
            except RuntimeError as error:
                print(f"  {onnx} {vnnlib}: {str(error)[-300:]}", file=sys.stderr)
            new_rows.append([os.path.abspath(os.path.join(folder, onnx)), "queries/" + name, timeout])
            renamed[(onnx, vnnlib)] = (os.path.abspath(os.path.join(folder, onnx)), "queries/" + name)
            continue
        back = os.path.join(scratch, "back.vnnlib")
        for key, make in [("identical", lambda: query), ("round_trip", lambda: open(back, "w").write(run("spec", query, "--to", "1.0")) and back)]:
            try:
                if cases(make(), network) == original:
                    counts[key] += 1
                else:
                    print(f"  {key} FAILS: {onnx} {vnnlib}", file=sys.stderr)
            except RuntimeError as error:
                print(f"  {onnx} {vnnlib}: {key}: {error}", file=sys.stderr)
        new_rows.append([os.path.abspath(os.path.join(folder, onnx)), "queries/" + name, timeout])
        renamed[(onnx, vnnlib)] = (os.path.abspath(os.path.join(folder, onnx)), "queries/" + name)
    with open(os.path.join(out, "instances.csv"), "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(new_rows)
    expected = os.path.join(folder, "expected.csv")
    if os.path.exists(expected):
        with open(expected) as source, open(os.path.join(out, "expected.csv"), "w", newline="") as sink:
            reader, writer = csv.reader(source), csv.writer(sink, lineterminator="\n")
            for row in reader:
                key = (row[0], row[1]) if len(row) > 1 else None
                writer.writerow(list(renamed[key]) + row[2:] if key in renamed else row)
    return counts


def main():
    root, out = sys.argv[1], sys.argv[2]
    match = sys.argv[sys.argv.index("--match") + 1] if "--match" in sys.argv else ""
    element_type = sys.argv[sys.argv.index("--element-type") + 1] if "--element-type" in sys.argv else "real"
    with tempfile.TemporaryDirectory() as scratch:
        for year in ["vnncomp2021", "vnncomp2022"]:
            for name in sorted(os.listdir(os.path.join(root, year))):
                if match not in name:
                    continue
                counts = suite(os.path.join(root, year, name), os.path.join(out, name), scratch, element_type)
                if counts and element_type != "real":
                    print(f"{year}/{name}: {counts['instances']} instances, {counts['converted']} converted, "
                          f"{counts.get('loaded', 0)} load as {element_type} queries", flush=True)
                elif counts:
                    print(f"{year}/{name}: {counts['instances']} instances, {counts['converted']} converted, "
                          f"{counts['identical']} compile to the identical property, {counts['round_trip']} round trips identical", flush=True)


if __name__ == "__main__":
    main()
