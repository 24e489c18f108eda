import Foundation
@testable import VerdictONNX
import VerdictTestSupport
import XCTest

/// Files that are not what they claim are refused, never guessed at: each case here was once
/// imported (and verified) as a different network than the file's, or crashed the importer.
final class ImportValidationTests: XCTestCase {
    /// `x [1, 2] → Gemm(w, b) → Relu → y`: valid, the base every case breaks one way.
    private func gemmModel(attributes: [Onnx_AttributeProto] = [ModelBuilder.integer("transB", 1)]) -> ModelBuilder {
        var builder = ModelBuilder(inputShape: [1, 2], outputShape: [1, 2])
        builder.initializer("w", shape: [2, 2], values: [1, 2, 3, 4])
        builder.initializer("b", shape: [2], values: [0.5, -0.5])
        builder.node("Gemm", ["x", "w", "b"], ["h"], name: "dense", attributes: attributes)
        builder.node("Relu", ["h"], ["y"], name: "act")
        return builder
    }

    private func message(_ builder: ModelBuilder, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        do {
            _ = try ONNXImporter.load(data: try builder.serialized(), file: "bad.onnx")
        } catch let error as ONNXImportError {
            XCTAssertEqual(error.file, "bad.onnx", file: file, line: line)
            return error.description
        }
        XCTFail("the model was imported", file: file, line: line)
        return ""
    }

    func testTheBaseModelImports() throws {
        let network = try ONNXImporter.load(data: gemmModel().serialized()).network
        XCTAssertEqual(try network.evaluate([1, 1]), [3.5, 6.5])
    }

    func testAttributesOutsideTheSchemaAreRefused() throws {
        var empty = ModelBuilder.integer("transB", 1)
        empty.name = ""
        XCTAssertTrue(try message(gemmModel(attributes: [empty])).contains("attribute with an empty name"))
        let unknown = ModelBuilder.integer("transposeB", 1)
        XCTAssertTrue(try message(gemmModel(attributes: [unknown])).contains("'transposeB', which Verdict does not know"))
        let twice = [ModelBuilder.integer("transB", 1), ModelBuilder.integer("transB", 0)]
        XCTAssertTrue(try message(gemmModel(attributes: twice)).contains("'transB' twice"))
        var wrongType = ModelBuilder.float("alpha", 2)
        wrongType.type = .string
        wrongType.s = Data("2".utf8)
        XCTAssertTrue(try message(gemmModel(attributes: [wrongType])).contains("'alpha' has type string, expected float"))
    }

    func testNonFiniteAttributesAreRefused() throws {
        for value in [Float.nan, .infinity] {
            let text = try message(gemmModel(attributes: [ModelBuilder.float("alpha", value)]))
            XCTAssertTrue(text.contains("node 'dense' (Gemm, #0): Gemm attribute 'alpha' is"), text)
        }
    }

    func testInputAndOutputCountsFollowTheSchema() throws {
        // A Gemm turned into a Cast with its three inputs: once imported as the identity.
        var builder = gemmModel()
        builder.model.graph.node[0].opType = "Cast"
        builder.model.graph.node[0].attribute = [ModelBuilder.integer("to", 1)]
        XCTAssertTrue(try message(builder).contains("Cast takes 1 inputs, this node has 3"))
        var noTarget = ModelBuilder(inputShape: [1, 2], outputShape: [1, 2])
        noTarget.node("Cast", ["x"], ["y"], name: "cast")
        XCTAssertTrue(try message(noTarget).contains("Cast needs the attribute 'to'"))
        var toInteger = noTarget
        toInteger.model.graph.node[0].attribute = [ModelBuilder.integer("to", 7)]
        XCTAssertTrue(try message(toInteger).contains("Cast of a computed tensor to type 7"))
        var toFloat = noTarget
        toFloat.model.graph.node[0].attribute = [ModelBuilder.integer("to", 1)]
        XCTAssertEqual(try ONNXImporter.load(data: toFloat.serialized()).network.evaluate([2, -3]), [2, -3])
    }

    func testEveryTensorHasOneDefinition() throws {
        var initializers = gemmModel()
        initializers.initializer("w", shape: [2, 2], values: [9, 9, 9, 9])
        XCTAssertTrue(try message(initializers).contains("initializer 'w': two initializers have this name"))
        var producers = gemmModel()
        producers.model.graph.node.insert(producers.model.graph.node[0], at: 1)
        XCTAssertTrue(try message(producers).contains("the output 'h' is already defined"))
        var overInput = gemmModel()
        overInput.node("Relu", ["y"], ["x"], name: "again")
        XCTAssertTrue(try message(overInput).contains("the output 'x' is already defined"))
    }

    func testTensorDataMustBeUnambiguous() throws {
        var both = gemmModel()
        both.model.graph.initializer[0].rawData = Data(repeating: 0, count: 16)
        XCTAssertTrue(try message(both).contains("both raw data and typed data"))
        var huge = gemmModel()
        huge.model.graph.initializer[0].dims = [Int64.max, 50]
        XCTAssertTrue(try message(huge).contains("more values than any file can hold"))
    }

    func testIntegerAndFloatingTensorsKeepTheirRoles() throws {
        // Weights relabelled as integers: onnxruntime refuses them, and so does Verdict.
        var integerWeights = ModelBuilder(inputShape: [1, 2], outputShape: [1, 2])
        integerWeights.integerInitializer("w", values: [1, 2, 3, 4])
        integerWeights.model.graph.initializer[0].dims = [2, 2]
        integerWeights.node("MatMul", ["x", "w"], ["y"], name: "dense")
        XCTAssertTrue(try message(integerWeights).contains("integer tensor; ONNX needs a floating-point one"))
        // A floating-point shape for Reshape.
        var floatShape = ModelBuilder(inputShape: [1, 2], outputShape: [2])
        floatShape.initializer("shape", shape: [1], values: [2])
        floatShape.node("Reshape", ["x", "shape"], ["y"], name: "flat")
        XCTAssertTrue(try message(floatShape).contains("expected an integer tensor"))
        // A constant product of an integer and a floating-point tensor.
        var mixed = ModelBuilder(inputShape: [1, 2], outputShape: [1, 2])
        mixed.integerInitializer("a", values: [1, 2, 3, 4])
        mixed.model.graph.initializer[0].dims = [2, 2]
        mixed.initializer("b", shape: [2, 2], values: [1, 0, 0, 1])
        mixed.node("MatMul", ["a", "b"], ["w"], name: "fold")
        mixed.node("MatMul", ["x", "w"], ["y"], name: "dense")
        XCTAssertTrue(try message(mixed).contains("MatMul of an integer and a floating-point tensor"))
        // A double bias in a float network.
        var doubleBias = gemmModel()
        doubleBias.model.graph.initializer[1].dataType = Int32(Onnx_TensorProto.DataType.double.rawValue)
        doubleBias.model.graph.initializer[1].floatData = []
        doubleBias.model.graph.initializer[1].doubleData = [0.5, -0.5]
        XCTAssertTrue(try message(doubleBias).contains("initializer 'b'"))
        XCTAssertTrue(try message(doubleBias).contains("element type double in a network whose input is float"))
    }

    func testInputDimensionsMustBePositiveAndSized() throws {
        var negative = gemmModel()
        negative.model.graph.input[0] = ModelBuilder.valueInfo("x", shape: [1, -2])
        XCTAssertTrue(try message(negative).contains("the input has dimension -2"))
        var huge = gemmModel()
        huge.model.graph.input[0] = ModelBuilder.valueInfo("x", shape: [1, 1 << 32])
        XCTAssertTrue(try message(huge).contains("larger than Verdict handles"))
    }

    func testDenseFoldsThatWouldNotFitAreRefused() throws {
        // 16384 rows of 2 times a [2, 2] constant: kept dense, a 32768 x 32768 matrix (2^30 entries).
        var builder = ModelBuilder(inputShape: [16384, 2], outputShape: [16384, 2])
        builder.initializer("w", shape: [2, 2], values: [1, 2, 3, 4])
        builder.node("MatMul", ["x", "w"], ["y"], name: "big")
        XCTAssertTrue(try message(builder).contains("dense matrix, larger than Verdict handles"))
    }

    func testLongChainsOfFoldedNodesKeepShortOrigins() throws {
        var builder = gemmModel()
        builder.model.graph.node[1].output = ["r0"]
        let chain = 2_000
        for index in 0..<chain { builder.node("Identity", ["r\(index)"], [index == chain - 1 ? "y" : "r\(index + 1)"], name: "id\(index)") }
        builder.node("Gemm", ["y", "w"], ["z"], name: "last")
        builder.model.graph.output = [ModelBuilder.valueInfo("z", shape: [1, 2])]
        let model = try ONNXImporter.load(data: builder.serialized())
        XCTAssertEqual(try model.network.evaluate([1, 1]), [23, 33])
        let origin = model.network.nodes.last!.origin
        XCTAssertTrue(origin.contains("Identity 'id0'") && origin.contains("…") && origin.contains("Gemm 'last'"), origin)
        XCTAssertLessThanOrEqual(origin.components(separatedBy: ", ").count, GraphImporter.originLimit)
    }

    func testShapeTakesItsSlice() throws {
        // Shape with start 1 gives [2, 3], not [1, 2, 3]: the Relu after the Reshape shows which.
        var builder = ModelBuilder(inputShape: [1, 2, 3], outputShape: [2, 3])
        builder.node("Shape", ["x"], ["s"], name: "shape", attributes: [ModelBuilder.integer("start", 1)])
        builder.node("Reshape", ["x", "s"], ["r"], name: "reshape")
        builder.node("Relu", ["r"], ["y"], name: "act")
        let network = try ONNXImporter.load(data: builder.serialized()).network
        XCTAssertEqual(network.outputShape.dimensions, [2, 3])
    }

    func testUntypedAttributesMustHoldTheirOwnField() throws {
        // transB with no type and its value in the float field: once read as 0.
        var untyped = Onnx_AttributeProto()
        untyped.name = "transB"
        untyped.f = 1
        XCTAssertTrue(try message(gemmModel(attributes: [untyped])).contains("'transB' has type undefined, expected int"))
        var plain = Onnx_AttributeProto()
        plain.name = "transB"
        plain.i = 1
        XCTAssertEqual(try ONNXImporter.load(data: gemmModel(attributes: [plain]).serialized()).network.evaluate([1, 1]), [3.5, 6.5])
    }

    func testFoldsBeyondFloat32AreRefused() throws {
        // x·1e20·1e20: finite in Double, infinite in the Float32 an ONNX runtime computes.
        var builder = ModelBuilder(inputShape: [1, 2], outputShape: [1, 2])
        builder.initializer("big", shape: [1], values: [1e20])
        builder.node("Mul", ["x", "big"], ["a"], name: "one")
        builder.node("Mul", ["a", "big"], ["b"], name: "two")
        builder.node("Relu", ["b"], ["y"], name: "act")
        XCTAssertTrue(try message(builder).contains("node 'two' (Mul, #1): folding this node into the layers before it gives weights beyond Float32's range"))
    }

    func testHugeWindowsAndReorderingsAreRefusedNotCrashed() throws {
        var pool = ModelBuilder(inputShape: [1, 1, 4, 4], outputShape: [1, 1, 4, 4])
        var autoPad = Onnx_AttributeProto()
        autoPad.name = "auto_pad"
        autoPad.type = .string
        autoPad.s = Data("SAME_UPPER".utf8)
        pool.node("MaxPool", ["x"], ["y"], name: "pool", attributes: [ModelBuilder.integers("kernel_shape", [Int64.min, 2]), autoPad])
        XCTAssertTrue(try message(pool).contains("out of range"))
        // A transpose of a 3x224x224 input kept as a dense map would have 2.3e10 entries.
        var transpose = ModelBuilder(inputShape: [1, 224, 224, 3], outputShape: [1, 3, 224, 224])
        transpose.node("Transpose", ["x"], ["t"], name: "nchw", attributes: [ModelBuilder.integers("perm", [0, 3, 1, 2])])
        transpose.node("Relu", ["t"], ["y"], name: "act")
        XCTAssertTrue(try message(transpose).contains("dense matrix, larger than Verdict handles"))
    }

    func testBooleanFlagsAndFreeBatchAxesAreRead() throws {
        // Dropout's training_mode input is a bool tensor; false is inference.
        var builder = ModelBuilder(inputShape: [1, 2], outputShape: [1, 2])
        var flag = Onnx_TensorProto()
        flag.name = "training"
        flag.dataType = Int32(Onnx_TensorProto.DataType.bool.rawValue)
        flag.int32Data = [0]
        builder.model.graph.initializer.append(flag)
        builder.initializer("ratio", shape: [], values: [0.5])
        builder.node("Dropout", ["x", "ratio", "training"], ["d"], name: "drop")
        builder.node("Relu", ["d"], ["y"], name: "act")
        XCTAssertEqual(try ONNXImporter.load(data: builder.serialized()).network.evaluate([1, -1]), [1, 0])
        builder.model.graph.initializer[0].int32Data = [1]
        XCTAssertTrue(try message(builder).contains("Dropout in training mode"))
        // A batch axis written as -1 is free (read as 1); another negative axis is refused.
        var batch = gemmModel()
        batch.model.graph.input[0] = ModelBuilder.valueInfo("x", shape: [-1, 2])
        XCTAssertEqual(try ONNXImporter.load(data: batch.serialized()).network.inputCount, 2)
    }

    func testSchemasCoverEveryRule() {
        XCTAssertEqual(Set(GraphImporter.schemas.keys), Set(GraphImporter.rules.keys))
    }

    /// The reproducers of `../shared/reliability` (its README lists what each once did).
    func testReliabilityReproducersAreRefused() throws {
        let folder = try TestPaths.sharedReliability()
        let expected = [
            "acas_dims_overflow.onnx": "more values than any file can hold",
            "digits_input_dim_2pow32.onnx": "larger than Verdict handles",
            "digits_gemm_alpha_nan.onnx": "attribute 'alpha' is nan",
            "digits_alpha_nan_sat.onnx": "attribute 'alpha' is nan",
            "digits_gemm_as_cast.onnx": "Cast takes 1 inputs",
            "digits_empty_attribute_name.onnx": "attribute with an empty name",
            "digits_duplicate_initializer.onnx": "two initializers have this name",
        ]
        for (file, reason) in expected {
            let path = folder.appendingPathComponent(file).path
            XCTAssertThrowsError(try ONNXImporter.load(path: path), file) { error in
                XCTAssertTrue("\(error)".hasPrefix(path) && "\(error)".contains(reason), "\(error)")
            }
        }
        let deep = try ONNXImporter.load(path: folder.appendingPathComponent("digits_20000_identity_nodes.onnx").path)
        XCTAssertEqual(deep.network.outputCount, 10)
    }
}
