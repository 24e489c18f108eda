import Foundation
import VerdictONNX
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

@testable import Verdict

/// Shared 1.0 instances through the 2.0 path: each property, converted to a query and bound
/// to its model, is the very property (boxes and constraints to the last bit) over the very
/// network the 1.0 path verifies, so the two paths give the same answers. A subset of every
/// suite here; `benchmarks/vnnlib2-suites.py` checks all of them.
final class SharedQueryConversionTests: XCTestCase {
    func testConvertedInstancesCompileToTheSameProperty() throws {
        let suites: [(String, Int)] = [
            ("test", 1), ("acasxu", 12), ("mnistfc", 30), ("eran", 18), ("verivital", 15), ("../vnncomp2022/collins_rul_cnn", 10),
            ("../vnncomp2022/reach_prob_density", 6), ("../vnncomp2022/oval21", 15), ("../vnncomp2022/sri_resnet_a", 36),
        ]
        var checked = 0
        for (name, every) in suites {
            let instances = try BenchmarkSuite.instances(in: try TestPaths.sharedFolder(name))
            for (index, instance) in instances.enumerated() where index % every == 0 {
                let label = "\(name): \(instance.network.lastPathComponent) \(instance.property.lastPathComponent)"
                let original = try VNNLIBParser.parse(contentsOf: instance.property.path)
                let model = try ONNXImporter.load(path: instance.network.path)
                let text = try String(contentsOf: instance.property, encoding: .utf8)
                let converted = try QueryConversion.version2(
                    of: text, file: instance.property.path, inputs: model.inputs.map { .init(shape: $0.shape, hasDefault: $0.hasDefault) },
                    outputShape: model.outputs[0].shape)
                guard case .query(let query) = try VNNLIBParser.document(converted, file: "converted.vnnlib") else {
                    XCTFail("\(label): not read as a query")
                    continue
                }
                let loaded = try QueryModels.load(query, file: "converted.vnnlib", networks: ["": instance.network.path])
                XCTAssertEqual(loaded.property, original, label)
                XCTAssertEqual(loaded.network.nodes.map(\.layer.operatorName), model.network.nodes.map(\.layer.operatorName), label)
                XCTAssertEqual(loaded.network.inputShape, model.network.inputShape, label)
                let back = try QueryConversion.version1(of: query, file: "converted.vnnlib")
                XCTAssertEqual(try VNNLIBParser.parse(back, file: "back.vnnlib"), original, label)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 45)
    }

    /// The same instances asked of the models' float32 evaluation (`spec --to 2.0
    /// --element-type float32`): an answer never contradicts the competition's label (a
    /// float32 proof where onnxruntime's float32 evaluation breaks the property would be a
    /// soundness bug; so would a float32 counterexample that every real analysis refutes),
    /// and small instances are still decided both ways.
    func testFloat32QueriesNeverContradictTheLabels() throws {
        let instances: [(String, String, String)] = [
            ("test", "test_nano.onnx", "test_nano.vnnlib"), ("test", "test_tiny.onnx", "test_tiny.vnnlib"),
            ("test", "test_sat.onnx", "test_prop.vnnlib"), ("test", "test_unsat.onnx", "test_prop.vnnlib"),
            ("mnistfc", "mnist-net_256x2.onnx", "prop_2_0.03.vnnlib"), ("mnistfc", "mnist-net_256x2.onnx", "prop_7_0.03.vnnlib"),
            ("acasxu", "ACASXU_run2a_5_5_batch_2000.onnx", "prop_2.vnnlib"),
            ("../vnncomp2022/collins_rul_cnn", "onnx/NN_rul_small_window_20.onnx", "vnnlib/robustness_4perturbations_delta5_epsilon10_w20.vnnlib"),
            ("../vnncomp2022/collins_rul_cnn", "onnx/NN_rul_small_window_20.onnx", "vnnlib/robustness_2perturbations_delta5_epsilon10_w20.vnnlib"),
        ]
        var decided: Set<String> = []
        for (suite, onnx, vnnlib) in instances {
            let folder = try TestPaths.sharedFolder(suite)
            let label = "\(suite): \(onnx) \(vnnlib)"
            let instance = try XCTUnwrap(
                try BenchmarkSuite.instances(in: folder).first { $0.network.path.hasSuffix("/" + onnx) && $0.property.path.hasSuffix("/" + vnnlib) }, label)
            let expected = try XCTUnwrap(instance.expected, label)
            let network = instance.network.path
            let model = try ONNXImporter.load(path: network)
            let converted = try QueryConversion.version2(
                of: try String(contentsOf: instance.property, encoding: .utf8), file: vnnlib,
                inputs: model.inputs.map { .init(shape: $0.shape, hasDefault: $0.hasDefault) }, outputShape: model.outputs[0].shape,
                elementType: "float32")
            guard case .query(let query) = try VNNLIBParser.document(converted, file: "converted.vnnlib") else { return XCTFail(label) }
            let loaded = try QueryModels.load(query, file: "converted.vnnlib", networks: ["": network])
            XCTAssertNotNil(loaded.floatEvaluation, label)
            var options = loaded.searchOptions(.defaults)
            options.deadline = Deadline(seconds: 30)
            let result = loaded.answer(try VerificationSession(network: loaded.network, options: options, sharedLeafWorkers: false).verify(loaded.property))
            if result.answer == .sat || result.answer == .unsat {
                XCTAssertEqual(result.answer.rawValue, expected, label)
                decided.insert(result.answer.rawValue)
            }
        }
        XCTAssertEqual(decided, ["sat", "unsat"], "both answers among the decided")
    }
}
