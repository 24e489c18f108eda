#!/usr/bin/env python3
"""Trains Verdict's embedded example: a small ReLU classifier for scikit-learn's bundled 8x8
digits, exported to ONNX, with a few inputs, VNN-LIB robustness properties and the held-out test set
(test_set.csv: label, then the 64 pixels 0..16).

Deterministic (fixed seeds). Needs numpy, scikit-learn and onnx (pip install numpy
scikit-learn onnx). Run from anywhere: it writes beside itself.

The ONNX graph takes raw pixel values (0..16) and divides by 16 first, so importing it
exercises the folding of constant pre-processing into the first affine layer.
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits

HERE = os.path.dirname(os.path.abspath(__file__))
HIDDEN = [32, 32]
SEED = 2021


def train():
    digits = load_digits()
    x = digits.data.astype(np.float64) / 16.0
    y = digits.target
    rng = np.random.default_rng(SEED)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    sizes = [64] + HIDDEN + [10]
    weights = [rng.normal(0, np.sqrt(2.0 / a), (a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(b) for b in sizes[1:]]
    params = weights + biases
    moments = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    step = 0
    for epoch in range(150):
        batch_order = rng.permutation(split)
        for start in range(0, split, 64):
            index = batch_order[start:start + 64]
            activations = [x[index]]
            for layer, (w, b) in enumerate(zip(weights, biases)):
                z = activations[-1] @ w + b
                activations.append(np.maximum(z, 0) if layer < len(weights) - 1 else z)
            logits = activations[-1]
            probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
            probabilities /= probabilities.sum(axis=1, keepdims=True)
            gradient = probabilities
            gradient[np.arange(len(index)), y[index]] -= 1
            gradient /= len(index)
            weight_gradients, bias_gradients = [], []
            for layer in reversed(range(len(weights))):
                weight_gradients.insert(0, activations[layer].T @ gradient + 1e-4 * weights[layer])
                bias_gradients.insert(0, gradient.sum(axis=0))
                if layer > 0:
                    gradient = (gradient @ weights[layer].T) * (activations[layer] > 0)
            step += 1
            for i, g in enumerate(weight_gradients + bias_gradients):
                moments[i] = 0.9 * moments[i] + 0.1 * g
                squares[i] = 0.999 * squares[i] + 0.001 * g * g
                m = moments[i] / (1 - 0.9 ** step)
                v = squares[i] / (1 - 0.999 ** step)
                params[i] -= 0.003 * m / (np.sqrt(v) + 1e-8)
    weights = [w.astype(np.float32) for w in weights]
    biases = [b.astype(np.float32) for b in biases]

    def predict(inputs):
        h = inputs.astype(np.float32)
        for layer, (w, b) in enumerate(zip(weights, biases)):
            h = h @ w + b
            if layer < len(weights) - 1:
                h = np.maximum(h, 0)
        return h

    accuracy = float((predict(x[split:]).argmax(axis=1) == y[split:]).mean())
    return weights, biases, digits.data[order][split:], y[split:], predict, accuracy


def export(weights, biases, path):
    nodes = [helper.make_node("Div", ["pixels", "scale"], ["scaled"], name="normalize")]
    initializers = [numpy_helper.from_array(np.array([16.0], dtype=np.float32), "scale")]
    current = "scaled"
    for layer, (w, b) in enumerate(zip(weights, biases)):
        initializers.append(numpy_helper.from_array(w.T.copy(), f"dense{layer}.weight"))
        initializers.append(numpy_helper.from_array(b, f"dense{layer}.bias"))
        out = f"dense{layer}" if layer < len(weights) - 1 else "logits"
        nodes.append(helper.make_node("Gemm", [current, f"dense{layer}.weight", f"dense{layer}.bias"], [out],
                                      name=f"dense{layer}", transB=1))
        current = out
        if layer < len(weights) - 1:
            nodes.append(helper.make_node("Relu", [current], [f"relu{layer}"], name=f"relu{layer}"))
            current = f"relu{layer}"
    graph = helper.make_graph(
        nodes, "digits_mlp",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 10])],
        initializers)
    model = helper.make_model(graph, producer_name="verdict-examples", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    onnx.checker.check_model(model)
    onnx.save(model, path)


def vnnlib(image, label, epsilon):
    lines = [f"; Robustness of the digits example around a test image of a {label}: every pixel",
             f"; within {epsilon} (raw units 0..16, clipped) must keep class {label} strictly the largest.", ""]
    lines += [f"(declare-const X_{i} Real)" for i in range(64)] + [""]
    lines += [f"(declare-const Y_{i} Real)" for i in range(10)] + [""]
    for i, value in enumerate(image):
        lines.append(f"(assert (<= X_{i} {min(16.0, value + epsilon)}))")
        lines.append(f"(assert (>= X_{i} {max(0.0, value - epsilon)}))")
    lines += ["", "(assert (or"]
    lines += [f"    (and (>= Y_{other} Y_{label}))" for other in range(10) if other != label]
    lines += ["))", ""]
    return "\n".join(lines)


def main():
    weights, biases, images, labels, predict, accuracy = train()
    export(weights, biases, os.path.join(HERE, "digits.onnx"))
    os.makedirs(os.path.join(HERE, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "properties"), exist_ok=True)
    instances = []
    chosen = [i for i in range(len(images)) if predict(images[i:i + 1]).argmax() == labels[i]][:3]
    for count, index in enumerate(chosen):
        image, label = images[index], int(labels[index])
        name = f"digit_{count}"
        with open(os.path.join(HERE, "inputs", f"{name}.json"), "w") as f:
            json.dump([float(v) for v in image], f)
        with open(os.path.join(HERE, "inputs", f"{name}.txt"), "w") as f:
            f.write(f"# test image {index} of the 8x8 digits, label {label}; one pixel (0..16) a line\n")
            f.write("\n".join(repr(float(v)) for v in image) + "\n")
        for epsilon in (0.05, 0.5, 2.0):
            prop = f"{name}_eps_{epsilon}.vnnlib"
            with open(os.path.join(HERE, "properties", prop), "w") as f:
                f.write(vnnlib(image, label, epsilon))
            instances.append(f"digits.onnx,properties/{prop},60")
    with open(os.path.join(HERE, "digits_instances.csv"), "w") as f:
        f.write("\n".join(instances) + "\n")
    # The whole held-out split, for `verdict radius --dataset` (certified accuracy).
    with open(os.path.join(HERE, "test_set.csv"), "w") as f:
        f.write("label," + ",".join(f"pixel{i}" for i in range(64)) + "\n")
        for image, label in zip(images, labels):
            f.write(f"{int(label)}," + ",".join(str(int(v)) for v in image) + "\n")
    print(f"test accuracy {accuracy:.3f}; wrote digits.onnx, {len(chosen)} inputs, {len(instances)} properties, "
          f"test_set.csv ({len(images)} digits)")


if __name__ == "__main__":
    main()
