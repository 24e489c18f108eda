import Foundation
import VerdictONNX
import VerdictTestSupport
import XCTest

/// Bad ONNX input gives an error that names the file, the place and the reason.
final class MalformedModelTests: XCTestCase {
    private func importError(_ builder: ModelBuilder, file: String = "bad.onnx") throws -> ONNXImportError {
        do {
            _ = try ONNXImporter.load(data: try builder.serialized(), file: file)
        } catch let error as ONNXImportError {
            return error
        }
        XCTFail("import succeeded")
        throw XCTSkip("unreachable")
    }

    private func validModel() -> ModelBuilder {
        var builder = ModelBuilder(inputShape: [1, 2], outputShape: [1, 2])
        builder.initializer("w", shape: [2, 2], values: [1, 2, 3, 4])
        builder.node("MatMul", ["x", "w"], ["h"], name: "dense")
        builder.node("Relu", ["h"], ["y"], name: "act")
        return builder
    }

    func testValidModelImports() throws {
        let network = try ONNXImporter.load(data: validModel().serialized()).network
        XCTAssertEqual(try network.evaluate([1, -1]), [0, 0])
        XCTAssertEqual(try network.evaluate([1, 1]), [4, 6])
    }

    func testTruncatedFileIsRejected() throws {
        let data = try validModel().serialized()
        for length in [data.count / 3, data.count - 7] {
            XCTAssertThrowsError(try ONNXImporter.load(data: data.prefix(length), file: "cut.onnx")) { error in
                let message = "\(error)"
                XCTAssertTrue(message.hasPrefix("cut.onnx: "), message)
                XCTAssertTrue(message.contains("truncated") || message.contains("no graph") || message.contains("not an initializer"), message)
            }
        }
    }

    func testRandomBytesAreRejected() {
        XCTAssertThrowsError(try ONNXImporter.load(data: Data("this is not a model at all".utf8), file: "text.onnx")) { error in
            XCTAssertTrue("\(error)".contains("text.onnx"), "\(error)")
        }
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try ONNXImporter.load(path: "/nonexistent/model.onnx")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/model.onnx: the file does not exist")
        }
    }

    func testMissingInitializerNamesNodeAndInput() throws {
        var builder = validModel()
        builder.model.graph.initializer.removeAll()
        let error = try importError(builder)
        XCTAssertEqual(error.file, "bad.onnx")
        XCTAssertEqual(error.place, "node 'dense' (MatMul, #0)")
        XCTAssertTrue(error.message.contains("'w'"), error.message)
    }

    func testUnsupportedOperatorIsNamed() throws {
        var builder = validModel()
        builder.model.graph.node[1].opType = "Erf"
        let error = try importError(builder)
        XCTAssertEqual(error.place, "node 'act' (Erf, #1)")
        XCTAssertEqual(error.message, "unsupported operator Erf")
        XCTAssertEqual("\(error)", "bad.onnx: node 'act' (Erf, #1): unsupported operator Erf")
    }

    func testWrongInitializerTypeIsRejected() throws {
        var builder = validModel()
        builder.model.graph.initializer[0].dataType = Int32(Onnx_TensorProto.DataType.string.rawValue)
        let error = try importError(builder)
        XCTAssertEqual(error.place, "initializer 'w'")
        XCTAssertTrue(error.message.contains("element type"), error.message)
    }

    func testInitializerWithTooFewValuesIsRejected() throws {
        var builder = validModel()
        builder.model.graph.initializer[0].floatData = [1, 2, 3]
        let error = try importError(builder)
        XCTAssertTrue(error.message.contains("holds 3 values"), error.message)
    }

    func testNonFiniteWeightsAreRejected() throws {
        var builder = validModel()
        builder.model.graph.initializer[0].floatData = [1, .nan, 3, 4]
        XCTAssertTrue(try importError(builder).message.contains("NaN"))
    }

    func testIntegerInputIsRejected() throws {
        var builder = validModel()
        builder.model.graph.input = [ModelBuilder.valueInfo("x", shape: [1, 2], elementType: 7)]
        let error = try importError(builder)
        XCTAssertEqual(error.place, "graph input 'x'")
    }

    func testShapeMismatchIsRejected() throws {
        var builder = validModel()
        builder.model.graph.initializer[0].dims = [4, 1]
        let error = try importError(builder)
        XCTAssertEqual(error.place, "node 'dense' (MatMul, #0)")
        XCTAssertTrue(error.message.contains("[1, 2]"), error.message)
    }

    func testProductOfTwoComputedTensorsIsRejected() throws {
        var builder = validModel()
        builder.node("Mul", ["y", "y"], ["z"], name: "square")
        builder.model.graph.output[0].name = "z"
        let error = try importError(builder)
        XCTAssertEqual(error.place, "node 'square' (Mul, #2)")
        XCTAssertTrue(error.message.contains("not linear"), error.message)
    }

    func testOutputIndependentOfInputIsRejected() throws {
        var builder = validModel()
        builder.model.graph.output[0].name = "w"
        XCTAssertTrue(try importError(builder).message.contains("does not depend on the input"))
    }
}
