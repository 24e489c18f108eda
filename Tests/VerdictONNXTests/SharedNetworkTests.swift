import Foundation
import VerdictCore
import VerdictONNX
import VerdictTestSupport
import XCTest

/// Every network of the shared VNN-COMP 2021 benchmarks imports, and evaluates like
/// onnxruntime does.
final class SharedNetworkTests: XCTestCase {
    private func sharedFolder(_ name: String) throws -> URL {
        try TestPaths.sharedFolder(name)
    }

    private func networks(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".onnx") }.sorted()
            .map { folder.appendingPathComponent($0).path }
    }

    func testEveryACASXuNetworkImportsAsSixLayersOfFiftyReLUs() throws {
        let paths = try networks(in: sharedFolder("acasxu"))
        XCTAssertEqual(paths.count, 45)
        for path in paths {
            let network = try ONNXImporter.load(path: path).network
            XCTAssertEqual(network.inputCount, 5, path)
            XCTAssertEqual(network.outputCount, 5, path)
            XCTAssertEqual(network.activationCount, 300, path)
            XCTAssertTrue(network.isSequential, path)
            XCTAssertEqual(network.nodes.count, 13, path)  // 7 affine + 6 ReLU
        }
    }

    func testEveryMNISTNetworkImports() throws {
        let paths = try networks(in: sharedFolder("mnistfc"))
        XCTAssertEqual(paths.count, 3)
        for path in paths {
            let network = try ONNXImporter.load(path: path).network
            let depth = Int(path.split(separator: "x").last!.split(separator: ".").first!)!
            XCTAssertEqual(network.inputCount, 784, path)
            XCTAssertEqual(network.outputCount, 10, path)
            XCTAssertEqual(network.activationCount, 256 * depth, path)
        }
    }

    func testEveryTestNetworkImports() throws {
        let paths = try networks(in: sharedFolder("test"))
        XCTAssertEqual(paths.count, 5)
        for path in paths {
            XCTAssertNoThrow(try ONNXImporter.load(path: path), path)
        }
    }

    /// The convolutional, pooling and residual networks of the shared suites (VNN-COMP 2021
    /// `verivital`, 2022 `oval21`, `sri_resnet_a`, `collins_rul_cnn`, `reach_prob_density`).
    private func graphNetworks() throws -> [String] {
        var paths = try networks(in: sharedFolder("verivital"))
        for suite in ["oval21", "sri_resnet_a", "collins_rul_cnn", "reach_prob_density"] {
            paths += try networks(in: sharedFolder("../vnncomp2022/\(suite)/onnx"))
        }
        return paths
    }

    /// Every network of the newer suites imports with its convolutions, pools and residual
    /// joins kept as operators (never a dense matrix for a convolution).
    func testConvolutionalAndResidualNetworksImportAsGraphs() throws {
        let paths = try graphNetworks()
        XCTAssertEqual(paths.count, 12)
        var operators: [String: Int] = [:]
        for path in paths {
            let network = try ONNXImporter.load(path: path).network
            for node in network.nodes { operators[node.layer.operatorName, default: 0] += 1 }
            for node in network.nodes {
                if let affine = node.layer as? AffineLayer {
                    // Dense layers are the Gemms of the files: at most 2048 x 100 here.
                    XCTAssertLessThanOrEqual(affine.weights.values.count, 2048 * 100, "\(path): a convolution expanded to a matrix?")
                }
            }
        }
        XCTAssertEqual(operators["Conv"], 38)
        XCTAssertEqual(operators["MaxPool"], 1)
        XCTAssertEqual(operators["AveragePool"], 1)
        XCTAssertEqual(operators["Add"], 3)
        let resnet = try ONNXImporter.load(path: paths.first { $0.contains("resnet") }!).network
        XCTAssertFalse(resnet.isSequential)
        XCTAssertEqual(resnet.activationCount, 16 * 16 * 16 + 32 * 8 * 8 * 2 + 64 * 4 * 4 * 2 + 128 * 2 * 2 * 2 + 100)
    }

    /// Float32 evaluation matches onnxruntime to 1e-5 relative (relative to the largest output
    /// magnitude, at least 1), and Double evaluation stays within Float32 rounding of it.
    func testEvaluationAgreesWithONNXRuntimeOnEverySharedNetwork() throws {
        var paths: [String] = []
        for folder in ["acasxu", "mnistfc", "test"] { paths += try networks(in: sharedFolder(folder)) }
        paths += try networks(in: sharedFolder("eran").appendingPathComponent("nets"))
        paths += try graphNetworks()
        paths.append(TestPaths.digitsExample.appendingPathComponent("digits.onnx").path)
        var seed: UInt64 = 7
        var models: [ONNXModel] = []
        var requests: [ONNXRuntimeOracle.Request] = []
        for path in paths {
            let model = try ONNXImporter.load(path: path)
            let count = model.network.inputCount
            let images = model.network.inputShape.rank >= 3
            let inputs = (0..<5).map { _ in randomFloats(count, in: count == 784 || images ? 0...1 : count == 64 ? 0...16 : -0.5...0.5, seed: &seed).map(Double.init) }
            models.append(model)
            requests.append(.init(model: path, inputName: model.inputName, inputs: inputs))
        }
        let expected = try ONNXRuntimeOracle.outputs(requests)
        XCTAssertEqual(expected.count, models.count)
        var worstFloat = 0.0, worstDouble = 0.0
        for (model, (request, reference)) in zip(models, zip(requests, expected)) {
            for (input, referenceOutputs) in zip(request.inputs, reference) {
                let floatOutputs = try model.network.evaluateFloat32(input.map { Float($0) }).map(Double.init)
                let doubleOutputs = try model.network.evaluate(input)
                XCTAssertEqual(floatOutputs.count, referenceOutputs.count, model.file)
                let scale = max(1, referenceOutputs.map(\.magnitude).max() ?? 0)
                for (index, reference) in referenceOutputs.enumerated() {
                    let floatError = (floatOutputs[index] - reference).magnitude / scale
                    let doubleError = (doubleOutputs[index] - reference).magnitude / scale
                    worstFloat = max(worstFloat, floatError)
                    worstDouble = max(worstDouble, doubleError)
                    XCTAssertLessThanOrEqual(floatError, 1e-5, "\(model.file) output \(index): float32 \(floatOutputs[index]), onnxruntime \(reference)")
                    XCTAssertLessThanOrEqual(doubleError, 1e-5, "\(model.file) output \(index): double \(doubleOutputs[index]), onnxruntime \(reference)")
                }
            }
        }
        print("largest relative difference to onnxruntime over \(models.count) networks: float32 \(worstFloat), double \(worstDouble)")
    }
}
