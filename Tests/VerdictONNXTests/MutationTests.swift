import Foundation
import VerdictCore
import VerdictONNX
import VerdictTestSupport
import XCTest

/// A few hundred malformed variants of valid models, in seconds: each is refused with an
/// ``ONNXImportError`` naming the file, or imported into a network that evaluates. A crash or
/// a trap fails the whole test run. (The libFuzzer targets in `Fuzz/` run millions.)
final class ONNXMutationTests: XCTestCase {
    func testMutatedModelsAreRefusedOrImportedCleanly() throws {
        let digits = try Data(contentsOf: TestPaths.digitsExample.appendingPathComponent("digits.onnx"))
        let seeds = [Array(digits), Array(try Self.convolutionalModel().serialized())]
        var mutator = Mutator(seed: 24, dictionary: ["Gemm", "Conv", "Cast", "Relu", "MaxPool", "alpha", "transB", "pads", "kernel_shape", "x"])
        var refused = 0, imported = 0
        for index in 0..<400 {
            let bytes = mutator.mutate(seeds[index % seeds.count])
            do {
                let model = try ONNXImporter.load(data: Data(bytes), file: "mutant.onnx")
                let network = model.network
                if network.inputCount <= 1 << 16 {
                    XCTAssertEqual(try network.evaluate(Array(repeating: 0.5, count: network.inputCount)).count, network.outputCount)
                    XCTAssertEqual(try network.evaluateFloat32(Array(repeating: 0.5, count: network.inputCount)).count, network.outputCount)
                }
                imported += 1
            } catch let error as ONNXImportError {
                XCTAssertEqual(error.file, "mutant.onnx")
                XCTAssertFalse(error.message.isEmpty)
                refused += 1
            }
        }
        XCTAssertEqual(refused + imported, 400)
        XCTAssertGreaterThan(refused, 100, "most mutants should be refused")
    }

    /// `x [1, 1, 6, 6] → Conv 2x3x3 (pad 1) → Relu → MaxPool 2x2 → Flatten → Gemm → y [1, 3]`.
    static func convolutionalModel() -> ModelBuilder {
        var builder = ModelBuilder(inputShape: [1, 1, 6, 6], outputShape: [1, 3])
        var seed: UInt64 = 5
        builder.initializer("w", shape: [2, 1, 3, 3], values: randomFloats(18, seed: &seed))
        builder.initializer("b", shape: [2], values: [0.1, -0.1])
        builder.initializer("d", shape: [18, 3], values: randomFloats(54, seed: &seed))
        builder.node("Conv", ["x", "w", "b"], ["c"], name: "conv", attributes: [ModelBuilder.integers("pads", [1, 1, 1, 1])])
        builder.node("Relu", ["c"], ["r"], name: "relu")
        builder.node("MaxPool", ["r"], ["p"], name: "pool", attributes: [ModelBuilder.integers("kernel_shape", [2, 2]), ModelBuilder.integers("strides", [2, 2])])
        builder.node("Flatten", ["p"], ["f"], name: "flatten")
        builder.node("MatMul", ["f", "d"], ["y"], name: "dense")
        return builder
    }

    func testTheConvolutionalSeedImports() throws {
        let network = try ONNXImporter.load(data: Self.convolutionalModel().serialized()).network
        XCTAssertEqual(network.outputCount, 3)
    }
}
