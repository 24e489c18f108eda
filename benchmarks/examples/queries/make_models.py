"""Writes the small models the VNN-LIB 2.0 examples and tests use (numpy and onnx needed):
two graphs of the same structure and other weights, each with two inputs and two outputs.

    python3 benchmarks/examples/queries/make_models.py
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(seed, path):
    rng = np.random.default_rng(seed)
    weights = {
        "Wa": rng.normal(size=(3, 8)), "Wb": rng.normal(size=(2, 8)), "bias": rng.normal(size=(8,)) * 0.1,
        "Wy": rng.normal(size=(8, 2)), "Wz": rng.normal(size=(3, 3)),
    }
    initializers = [numpy_helper.from_array(value.astype(np.float32), name) for name, value in weights.items()]
    nodes = [
        helper.make_node("MatMul", ["a", "Wa"], ["pa"]),
        helper.make_node("MatMul", ["b", "Wb"], ["pb"]),
        helper.make_node("Add", ["pa", "pb"], ["joined"]),
        helper.make_node("Add", ["joined", "bias"], ["pre"]),
        helper.make_node("Relu", ["pre"], ["hidden"]),
        helper.make_node("MatMul", ["hidden", "Wy"], ["y"]),
        helper.make_node("MatMul", ["a", "Wz"], ["za"]),
        helper.make_node("Relu", ["za"], ["z"]),
    ]
    graph = helper.make_graph(
        nodes, "two_in_two_out",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, [1, 3]), helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2]), helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 3])],
        initializers)
    onnx.save(helper.make_model(graph, producer_name="verdict-examples", opset_imports=[helper.make_opsetid("", 13)]), path)


model(1, "two-in-two-out.onnx")
model(2, "two-in-two-out-b.onnx")
