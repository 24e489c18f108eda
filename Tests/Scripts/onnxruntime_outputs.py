#!/usr/bin/env python3
"""Test oracle: evaluates ONNX models with onnxruntime (the reference ONNX runtime).

Reads JSON from stdin: [{"model": PATH, "input_name": NAME, "inputs": [[x0, x1, ...], ...]}, ...]
Writes JSON to stdout: [[[y0, y1, ...], ...], ...] in the same order, Float32 outputs.
Each flat input is reshaped to the model's input shape (symbolic dimensions become 1).
"""
import json
import sys

import numpy as np
import onnxruntime as ort


def main():
    requests = json.load(sys.stdin)
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.intra_op_num_threads = 1
    results = []
    for request in requests:
        session = ort.InferenceSession(request["model"], options, providers=["CPUExecutionProvider"])
        name = request["input_name"]
        spec = next(i for i in session.get_inputs() if i.name == name)
        shape = [d if isinstance(d, int) and d > 0 else 1 for d in spec.shape]
        dtype = np.float64 if spec.type == "tensor(double)" else np.float32
        outputs = []
        for flat in request["inputs"]:
            x = np.array(flat, dtype=dtype).reshape(shape)
            feed = {name: x}
            outputs.append([float(v) for v in np.asarray(session.run(None, feed)[0]).reshape(-1)])
        results.append(outputs)
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
