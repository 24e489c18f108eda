import Foundation
import VerdictCore
import VerdictONNX
import VerdictTestSupport
import XCTest

/// The folding rules of the importer compute what onnxruntime computes on models that use
/// each supported linear operator in its less common forms.
final class FoldingTests: XCTestCase {
    private var seed: UInt64 = 11

    /// Models exercising Sub/Div/Mul pre-processing, Transpose of the input, Reshape with -1
    /// and 0, MatMul with the constant on the left, Gemm with transA/alpha/beta, BatchNorm,
    /// Squeeze/Unsqueeze, and Add of a value to itself.
    private func foldingModels() -> [(String, ModelBuilder)] {
        var models: [(String, ModelBuilder)] = []

        var preprocessing = ModelBuilder(inputShape: [1, 2, 3], outputShape: [1, 4])
        preprocessing.initializer("mean", shape: [1, 2, 1], values: [0.25, -0.5])
        preprocessing.initializer("std", shape: [3], values: [2, 4, 0.5])
        preprocessing.initializer("gain", shape: [1], values: [1.5])
        preprocessing.initializer("w", shape: [6, 4], values: randomFloats(24, seed: &seed))
        preprocessing.initializer("b", shape: [4], values: randomFloats(4, seed: &seed))
        preprocessing.integerInitializer("flat", values: [0, -1])
        preprocessing.node("Sub", ["x", "mean"], ["centred"])
        preprocessing.node("Div", ["centred", "std"], ["scaled"])
        preprocessing.node("Mul", ["gain", "scaled"], ["gained"])
        preprocessing.node("Reshape", ["gained", "flat"], ["flat_x"])
        preprocessing.node("MatMul", ["flat_x", "w"], ["h"])
        preprocessing.node("Add", ["h", "b"], ["pre"])
        preprocessing.node("Relu", ["pre"], ["y"])
        models.append(("preprocessing", preprocessing))

        var transposed = ModelBuilder(inputShape: [2, 3], outputShape: [5, 2])
        transposed.initializer("w", shape: [5, 3], values: randomFloats(15, seed: &seed))
        transposed.node("Transpose", ["x"], ["xt"], attributes: [ModelBuilder.integers("perm", [1, 0])])
        transposed.node("MatMul", ["w", "xt"], ["h"])  // constant on the left: [5,3]·[3,2]
        transposed.node("Relu", ["h"], ["r"])
        transposed.node("Sub", ["r", "r"], ["zero"])
        transposed.node("Add", ["r", "r"], ["twice"])
        transposed.node("Add", ["twice", "zero"], ["y"])
        models.append(("transposed", transposed))

        var gemm = ModelBuilder(inputShape: [3, 1], outputShape: [1, 2])
        gemm.initializer("w", shape: [3, 4], values: randomFloats(12, seed: &seed))
        gemm.initializer("c", shape: [4], values: randomFloats(4, seed: &seed))
        gemm.initializer("w2", shape: [2, 4], values: randomFloats(8, seed: &seed))
        gemm.initializer("scale", shape: [4], values: [1, 2, 0.5, 1.25])
        gemm.initializer("bias", shape: [4], values: randomFloats(4, seed: &seed))
        gemm.initializer("mean", shape: [4], values: randomFloats(4, seed: &seed))
        gemm.initializer("var", shape: [4], values: [0.5, 1, 2, 4])
        gemm.node("Gemm", ["x", "w", "c"], ["h"], attributes: [ModelBuilder.integer("transA", 1), ModelBuilder.float("alpha", 0.5), ModelBuilder.float("beta", 2)])
        gemm.node("Unsqueeze", ["h"], ["h4"], attributes: [ModelBuilder.integers("axes", [2, 3])])
        gemm.node("BatchNormalization", ["h4", "scale", "bias", "mean", "var"], ["bn"], attributes: [ModelBuilder.float("epsilon", 1e-3)])
        gemm.node("Squeeze", ["bn"], ["s"], attributes: [ModelBuilder.integers("axes", [2, 3])])
        gemm.node("Relu", ["s"], ["r"])
        gemm.node("Gemm", ["r", "w2"], ["y"], attributes: [ModelBuilder.integer("transB", 1)])
        gemm.model.opsetImport[0].version = 11
        models.append(("gemm", gemm))
        models.append(("batchnorm-conv", batchNormConvolutions()))
        return models
    }

    /// BatchNormalization before an unpadded convolution (folded into it), after a padded
    /// grouped convolution (folded), and after a convolution whose output has a second reader
    /// (kept standalone), with a residual Add.
    private func batchNormConvolutions() -> ModelBuilder {
        var model = ModelBuilder(inputShape: [1, 2, 5, 5], outputShape: [1, 4, 3, 3])
        func batchNorm(_ name: String, channels: Int) -> [String] {
            model.initializer("\(name)_scale", shape: [channels], values: randomFloats(channels, in: 0.5...2, seed: &seed))
            model.initializer("\(name)_bias", shape: [channels], values: randomFloats(channels, seed: &seed))
            model.initializer("\(name)_mean", shape: [channels], values: randomFloats(channels, seed: &seed))
            model.initializer("\(name)_var", shape: [channels], values: randomFloats(channels, in: 0.5...2, seed: &seed))
            return ["\(name)_scale", "\(name)_bias", "\(name)_mean", "\(name)_var"]
        }
        model.initializer("w1", shape: [4, 2, 3, 3], values: randomFloats(72, seed: &seed))
        model.initializer("b1", shape: [4], values: randomFloats(4, seed: &seed))
        model.initializer("w2", shape: [4, 2, 3, 3], values: randomFloats(72, seed: &seed))
        model.initializer("w3", shape: [4, 4, 1, 1], values: randomFloats(16, seed: &seed))
        model.node("BatchNormalization", ["x"] + batchNorm("bn0", channels: 2), ["n0"])
        model.node("Conv", ["n0", "w1", "b1"], ["c1"])  // 4x3x3, no padding: bn0 folds in
        model.node("Conv", ["c1", "w2"], ["c2"], attributes: [ModelBuilder.integers("pads", [1, 1, 1, 1]), ModelBuilder.integer("group", 2)])
        model.node("BatchNormalization", ["c2"] + batchNorm("bn2", channels: 4), ["n2"])  // folds into c2
        model.node("Relu", ["n2"], ["r2"])
        model.node("Conv", ["r2", "w3"], ["c3"])
        model.node("BatchNormalization", ["c3"] + batchNorm("bn3", channels: 4), ["n3"])  // c3 has a second reader: stays
        model.node("Relu", ["c3"], ["r3"])
        model.node("Add", ["n3", "r3"], ["s"])
        model.node("Add", ["s", "c1"], ["y"])
        return model
    }

    func testFoldedModelsAgreeWithONNXRuntime() throws {
        var requests: [ONNXRuntimeOracle.Request] = []
        var networks: [Network] = []
        var paths: [String] = []
        defer { for path in paths { try? FileManager.default.removeItem(atPath: path) } }
        for (name, builder) in foldingModels() {
            let path = try builder.write(named: name)
            paths.append(path)
            let model = try ONNXImporter.load(path: path)
            networks.append(model.network)
            let inputs = (0..<8).map { _ in randomFloats(model.network.inputCount, in: -2...2, seed: &seed).map(Double.init) }
            requests.append(.init(model: path, inputName: model.inputName, inputs: inputs))
        }
        let expected = try ONNXRuntimeOracle.outputs(requests)
        for (network, (request, reference)) in zip(networks, zip(requests, expected)) {
            for (input, outputs) in zip(request.inputs, reference) {
                let ours = try network.evaluate(input)
                XCTAssertEqual(ours.count, outputs.count, request.model)
                for (a, b) in zip(ours, outputs) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, b.magnitude), "\(request.model): \(ours) vs \(outputs)")
                }
            }
        }
    }

    func testLinearChainsFoldIntoOneAffineLayerPerReLU() throws {
        let models = foldingModels()
        let preprocessing = try ONNXImporter.load(data: models[0].1.serialized()).network
        XCTAssertEqual(preprocessing.nodes.map(\.layer.operatorName), ["Affine", "ReLU"])
        let gemm = try ONNXImporter.load(data: models[2].1.serialized()).network
        XCTAssertEqual(gemm.nodes.map(\.layer.operatorName), ["Affine", "ReLU", "Affine"])
        XCTAssertEqual(gemm.outputShape, TensorShape([1, 2]))
        let convolutions = try ONNXImporter.load(data: models[3].1.serialized()).network
        XCTAssertEqual(convolutions.nodes.map(\.layer.operatorName), ["Conv", "Conv", "ReLU", "Conv", "ReLU", "ScaleShift", "Add", "Add"])
    }
}
