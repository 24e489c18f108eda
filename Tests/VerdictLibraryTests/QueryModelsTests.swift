import Foundation
import VerdictONNX
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

@testable import Verdict

/// A 2.0 query bound to its models: the product network computes exactly what the declared
/// networks compute on their inputs, hidden values and passthrough inputs included, and
/// inputs asserted equal share one input.
final class QueryModelsTests: XCTestCase {
    private let folder = TestPaths.repositoryRoot.appendingPathComponent("benchmarks/examples/queries")

    private func load(_ text: String, _ networks: [String: String]) throws -> LoadedQuery {
        guard case .query(let query) = try VNNLIBParser.document(text, file: "q.vnnlib") else { throw XCTSkip("not a query") }
        return try QueryModels.load(query, file: "q.vnnlib", networks: networks.mapValues { folder.appendingPathComponent($0).path })
    }

    func testProductNetworkComputesEveryDeclaredNetwork() throws {
        let text = try String(contentsOf: folder.appendingPathComponent("two-models-differ.vnnlib"), encoding: .utf8)
            + "(assert (<= (- A[0,1] B[0,0]) 3))\n"  // relates two inputs: passthrough outputs
        let loaded = try load(text, ["f": "two-in-two-out.onnx", "g": "two-in-two-out-b.onnx"])
        // A2, B2 share A, B: five inputs in all; outputs Y, Z, Y2, Z2, then A[0,1] and B[0,0].
        XCTAssertEqual(loaded.layout.inputCount, 5)
        XCTAssertEqual(loaded.layout.places["A2"], loaded.layout.places["A"])
        XCTAssertEqual(loaded.network.outputCount, 5 + 5 + 2)
        let f = try ONNXImporter.load(path: folder.appendingPathComponent("two-in-two-out.onnx").path, multipleInputsAndOutputs: true).network
        let g = try ONNXImporter.load(path: folder.appendingPathComponent("two-in-two-out-b.onnx").path, multipleInputsAndOutputs: true).network
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<20 {
            let input = (0..<5).map { _ in Double.random(in: -1...1, using: &generator) }
            let product = try loaded.network.evaluate(input)
            XCTAssertEqual(Array(product[0..<5]), try f.evaluate(input))
            XCTAssertEqual(Array(product[5..<10]), try g.evaluate(input))
            XCTAssertEqual(Array(product[10...]), [input[1], input[3]])
            let assignment = loaded.assignment(input: input, outputs: product)
            XCTAssertEqual(assignment.map(\.declaration.name), ["A", "B", "Y", "Z", "A2", "B2", "Y2", "Z2"])
            XCTAssertEqual(assignment[4].values, Array(input[0..<3]), "A2 is A")
            XCTAssertEqual(assignment[6].values, Array(product[5..<7]))
        }
    }

    func testHiddenValuesAreTheNodesOutputs() throws {
        let text = try String(contentsOf: folder.appendingPathComponent("two-in-two-out-hidden.vnnlib"), encoding: .utf8)
        let loaded = try load(text, ["f": "two-in-two-out.onnx"])
        XCTAssertEqual(loaded.layout.places["H"], .output(5), "after the graph outputs")
        let model = try ONNXImporter.load(path: folder.appendingPathComponent("two-in-two-out.onnx").path, multipleInputsAndOutputs: true)
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<20 {
            let input = (0..<5).map { _ in Double.random(in: -1...1, using: &generator) }
            let outputs = try loaded.network.evaluate(input)
            // The hidden value, recomputed from the network's own nodes.
            let values = try model.network.evaluateAll(input)
            let relu = try XCTUnwrap(model.network.nodes.indices.first { model.network.nodes[$0].layer.operatorName == "ReLU" && model.network.nodes[$0].layer.outputShape.elementCount == 8 })
            XCTAssertEqual(Array(outputs[5..<13]), values[relu + 1])
            XCTAssertEqual(Array(outputs[0..<5]), try model.network.evaluate(input))
        }
    }
}
