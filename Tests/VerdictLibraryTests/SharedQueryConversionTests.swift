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
}
