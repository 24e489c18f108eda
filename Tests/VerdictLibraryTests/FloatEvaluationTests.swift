import Foundation
import VerdictCore
import VerdictONNX
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

@testable import Verdict

/// Float32 evaluation of an ONNX model, as a runtime might compute it: the file's operators
/// one by one in Float, every sum in one of several orders. The rounding bounds the importer
/// records must cover each of them.
final class FloatEvaluationTests: XCTestCase {
    /// How a runtime sums a dot product.
    enum Order: CaseIterable { case forward, reverse, pairwise, fused }

    static func sum(_ terms: [Float], _ order: Order) -> Float {
        switch order {
        case .forward, .fused: return terms.reduce(0, +)
        case .reverse: return terms.reversed().reduce(0, +)
        case .pairwise:
            if terms.count <= 2 { return terms.reduce(0, +) }
            let half = terms.count / 2
            return sum(Array(terms[..<half]), order) + sum(Array(terms[half...]), order)
        }
    }

    /// `Σ a_i·b_i` in Float, in `order` (fused: one rounding per multiply-add).
    static func dot(_ a: [Float], _ b: [Float], _ order: Order) -> Float {
        if order == .fused { return zip(a, b).reduce(Float(0)) { $0.addingProduct($1.0, $1.1) } }
        return sum(zip(a, b).map(*), order)
    }

    typealias Tensor = (shape: [Int], data: [Float])

    /// The model's outputs in Float for `input`, each operator as an ONNX runtime computes it.
    static func evaluate(_ model: Onnx_ModelProto, input: [Float], order: Order) throws -> [Float] {
        var values: [String: Tensor] = [:]
        for tensor in model.graph.initializer { values[tensor.name] = (tensor.dims.map(Int.init), tensor.floatData) }
        let inputInfo = model.graph.input[0]
        values[inputInfo.name] = (inputInfo.type.tensorType.shape.dim.map { Int($0.dimValue) }, input)
        for node in model.graph.node {
            values[node.output[0]] = try apply(node, node.input.map { values[$0]! }, order)
        }
        return values[model.graph.output[0].name]!.data
    }

    /// One operator in Float.
    static func apply(_ node: Onnx_NodeProto, _ inputs: [Tensor], _ order: Order) throws -> Tensor {
        let attribute = { (name: String) in node.attribute.first { $0.name == name } }
        switch node.opType {
        case "Relu": return (inputs[0].shape, inputs[0].data.map { max($0, 0) })
        case "Flatten": return ([1, inputs[0].data.count], inputs[0].data)
        case "Add": return elementwise(inputs[0], inputs[1]) { $0 + $1 }
        case "Sub": return elementwise(inputs[0], inputs[1]) { $0 - $1 }
        case "Mul": return elementwise(inputs[0], inputs[1]) { $0 * $1 }
        case "Div": return elementwise(inputs[0], inputs[1]) { $0 / $1 }
        case "MatMul", "Gemm":
            var out = product(inputs[0], inputs[1], transposed: attribute("transB")?.i == 1, order)
            if node.opType == "Gemm" {
                let alpha = attribute("alpha")?.f ?? 1, beta = attribute("beta")?.f ?? 1
                if alpha != 1 { out = out.map { alpha * $0 } }
                if inputs.count > 2 { out = out.indices.map { out[$0] + beta * inputs[2].data[inputs[2].data.count == 1 ? 0 : $0] } }
            }
            return ([1, out.count], out)
        case "Conv": return convolution(inputs[0], inputs[1], bias: inputs.count > 2 ? inputs[2].data : nil, order)
        case "BatchNormalization":
            return batchNormalization(inputs[0], scale: inputs[1].data, bias: inputs[2].data, mean: inputs[3].data, variance: inputs[4].data, epsilon: attribute("epsilon")?.f ?? 1e-5)
        case "AveragePool": return averagePool(inputs[0], order)
        default: throw XCTSkip("the reference evaluator has no \(node.opType)")
        }
    }

    /// `a op b`, one of them possibly a single value.
    static func elementwise(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> Tensor {
        let data = (0..<max(a.data.count, b.data.count)).map { op(a.data[a.data.count == 1 ? 0 : $0], b.data[b.data.count == 1 ? 0 : $0]) }
        return (a.data.count >= b.data.count ? a.shape : b.shape, data)
    }

    /// `a · B` (or `a · Bᵀ`) for a row `a`.
    static func product(_ a: Tensor, _ b: Tensor, transposed: Bool, _ order: Order) -> [Float] {
        let (n, m) = transposed ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        return (0..<m).map { j in dot(a.data, (0..<n).map { k in transposed ? b.data[j * n + k] : b.data[k * m + j] }, order) }
    }

    /// [1, C, H, W] by [K, C, r, r], stride 1, no padding, one group, then the bias.
    static func convolution(_ x: Tensor, _ w: Tensor, bias: [Float]?, _ order: Order) -> Tensor {
        let (channels, height, width) = (x.shape[1], x.shape[2], x.shape[3])
        let (filters, size) = (w.shape[0], w.shape[2])
        let (outHeight, outWidth) = (height - size + 1, width - size + 1)
        var out: [Float] = []
        for k in 0..<filters {
            for i in 0..<outHeight {
                for j in 0..<outWidth {
                    let taps = (0..<channels).flatMap { c in (0..<size).flatMap { di in (0..<size).map { dj in (c, di, dj) } } }
                    let a = taps.map { c, di, dj in x.data[(c * height + i + di) * width + j + dj] }
                    let b = taps.map { c, di, dj in w.data[((k * channels + c) * size + di) * size + dj] }
                    out.append(dot(a, b, order) + (bias?[k] ?? 0))
                }
            }
        }
        return ([1, filters, outHeight, outWidth], out)
    }

    /// (x - mean) / sqrt(variance + epsilon) · scale + bias, per channel, step by step.
    static func batchNormalization(_ x: Tensor, scale: [Float], bias: [Float], mean: [Float], variance: [Float], epsilon: Float) -> Tensor {
        let plane = x.data.count / x.shape[1]
        return (x.shape, x.data.indices.map { index in
            let c = index / plane
            return (x.data[index] - mean[c]) / (variance[c] + epsilon).squareRoot() * scale[c] + bias[c]
        })
    }

    /// 2x2 windows, stride 2: the sum in `order`, then divided by 4.
    static func averagePool(_ x: Tensor, _ order: Order) -> Tensor {
        let (channels, height, width) = (x.shape[1], x.shape[2], x.shape[3])
        var out: [Float] = []
        for c in 0..<channels {
            for i in 0..<(height / 2) {
                for j in 0..<(width / 2) {
                    let window = [(0, 0), (0, 1), (1, 0), (1, 1)].map { x.data[(c * height + 2 * i + $0.0) * width + 2 * j + $0.1] }
                    out.append(sum(window, order) / 4)
                }
            }
        }
        return ([1, channels, height / 2, width / 2], out)
    }

    /// A random chain: input normalization, dense layers with ReLUs (Gemm or MatMul + Add,
    /// some scaled by Mul or Div, one shifted far and back), a last dense layer.
    static func randomModel(inputs: Int, widths: [Int], seed: inout UInt64) -> ModelBuilder {
        var builder = ModelBuilder(inputShape: [1, inputs], outputShape: [1, widths.last!])
        builder.initializer("mean", shape: [inputs], values: randomFloats(inputs, in: -2...2, seed: &seed))
        builder.initializer("scale", shape: [inputs], values: randomFloats(inputs, in: 0.3...3, seed: &seed))
        builder.node("Sub", ["x", "mean"], ["centred"])
        builder.node("Div", ["centred", "scale"], ["h0"])
        var previous = "h0", fanIn = inputs
        for (layer, width) in widths.enumerated() {
            let last = layer == widths.count - 1
            builder.initializer("W\(layer)", shape: [fanIn, width], values: randomFloats(fanIn * width, in: -1...1, seed: &seed))
            builder.initializer("b\(layer)", shape: [width], values: randomFloats(width, in: -1...1, seed: &seed))
            let output = last ? "y" : "a\(layer)"
            if layer % 2 == 0 {
                builder.node("MatMul", [previous, "W\(layer)"], ["m\(layer)"])
                builder.node("Add", ["m\(layer)", "b\(layer)"], ["z\(layer)"])
            } else {
                builder.node("Gemm", [previous, "W\(layer)", "b\(layer)"], ["z\(layer)"], attributes: [ModelBuilder.float("alpha", 0.7), ModelBuilder.float("beta", 1.3)])
            }
            if last {
                builder.initializer("far", shape: [1], values: [1000])
                builder.node("Add", ["z\(layer)", "far"], ["shifted"])
                builder.node("Sub", ["shifted", "far"], [output])
            } else {
                builder.initializer("k\(layer)", shape: [1], values: [0.37])
                builder.node("Mul", ["z\(layer)", "k\(layer)"], ["s\(layer)"])
                builder.node("Relu", ["s\(layer)"], [output])
            }
            previous = output
            fanIn = width
        }
        return builder
    }

    /// Every float evaluation of random models, in every summation order, lies within the
    /// bounds of the network widened by its rounding bounds, at the same input.
    func testRoundingBoundsCoverEveryFloatEvaluation() throws {
        var seed: UInt64 = 11
        var widest = 0.0
        for trial in 0..<12 {
            let builder = Self.randomModel(inputs: 3 + trial % 4, widths: [8 + trial, 6, 4], seed: &seed)
            let model = try ONNXImporter.load(model: builder.model, floatFormat: .float32)
            let inputCount = model.network.inputCount
            for _ in 0..<20 {
                let input = randomFloats(inputCount, in: -50...50, seed: &seed)
                let box = InputBox(lower: input.map(Double.init), upper: input.map(Double.init))
                let bounds = try FloatEvaluation.bounds(model.network, box: box, format: .float32).outputs
                let real = try model.network.evaluate(input.map(Double.init))
                for (index, value) in real.enumerated() {
                    XCTAssert(bounds.lower[index] <= value && value <= bounds.upper[index], "the real value is inside")
                    widest = max(widest, bounds.upper[index] - bounds.lower[index])
                }
                for order in Order.allCases {
                    let float = try Self.evaluate(builder.model, input: input, order: order)
                    for (index, value) in float.enumerated() {
                        XCTAssert(
                            bounds.lower[index] <= Double(value) && Double(value) <= bounds.upper[index],
                            "trial \(trial), \(order), output \(index): \(value) outside [\(bounds.lower[index]), \(bounds.upper[index])]")
                    }
                }
            }
        }
        // Shifting by 1000 and back costs about 2·2^-24·1000 ≈ 1.2e-4 per output; far less would
        // mean a missed step, far more a useless bound.
        XCTAssertGreaterThan(widest, 1e-4)
        XCTAssertLessThan(widest, 0.1)
    }

    /// A convolutional model with a residual join: normalization, two convolutions with
    /// ReLUs (a batch normalization after the first), their sum with a shortcut convolution,
    /// an average pool, a dense layer. `output` names the graph output: `z1` (the first
    /// convolution), `normalized`, `joined` (the join), `pooled` or `y`.
    static func convolutionalModel(output: String, seed: inout UInt64) -> ModelBuilder {
        let shapes = ["z1": [1, 3, 4, 4], "normalized": [1, 3, 4, 4], "joined": [1, 3, 4, 4], "pooled": [1, 3, 2, 2], "y": [1, 3]]
        var builder = ModelBuilder(inputShape: [1, 2, 6, 6], outputName: output, outputShape: shapes[output]!)
        builder.initializer("mean", shape: [1], values: [0.4])
        builder.node("Sub", ["x", "mean"], ["h0"])
        for (name, shape) in [("K1", [3, 2, 3, 3]), ("K2", [3, 3, 1, 1]), ("K3", [3, 2, 3, 3])] {
            builder.initializer(name, shape: shape, values: randomFloats(shape.reduce(1, *), in: -1...1, seed: &seed))
            builder.initializer("c" + name, shape: [shape[0]], values: randomFloats(shape[0], in: -1...1, seed: &seed))
        }
        builder.node("Conv", ["h0", "K1", "cK1"], ["z1"])
        for (name, range) in [("gamma", Float(0.5)...2), ("beta", -1...1), ("mu", -1...1), ("sigma2", 0.1...3)] {
            builder.initializer(name, shape: [3], values: randomFloats(3, in: range, seed: &seed))
        }
        builder.node("BatchNormalization", ["z1", "gamma", "beta", "mu", "sigma2"], ["normalized"])
        builder.node("Relu", ["normalized"], ["a1"])
        builder.node("Conv", ["a1", "K2", "cK2"], ["z2"])
        builder.node("Conv", ["h0", "K3", "cK3"], ["shortcut"])
        builder.node("Add", ["z2", "shortcut"], ["joined"])
        builder.node("Relu", ["joined"], ["a2"])
        builder.node("AveragePool", ["a2"], ["pooled"], attributes: [ModelBuilder.integers("kernel_shape", [2, 2]), ModelBuilder.integers("strides", [2, 2])])
        builder.node("Flatten", ["pooled"], ["flat"])
        builder.initializer("W", shape: [12, 3], values: randomFloats(36, in: -1...1, seed: &seed))
        builder.node("MatMul", ["flat", "W"], ["y"])
        return builder
    }

    func testRoundingBoundsCoverConvolutionsAndResidualJoins() throws {
        var seed: UInt64 = 29
        let outputs = ["z1", "normalized", "joined", "pooled", "y"]
        for trial in 0..<10 {
            let output = outputs[trial % outputs.count]
            let builder = Self.convolutionalModel(output: output, seed: &seed)
            let model = try ONNXImporter.load(model: builder.model, floatFormat: .float32)
            XCTAssert(output == "z1" || model.network.nodes.contains { $0.layer is SumLayer }, "the join is a graph node")
            for _ in 0..<10 {
                let input = randomFloats(72, in: -30...30, seed: &seed)
                let box = InputBox(lower: input.map(Double.init), upper: input.map(Double.init))
                let bounds = try FloatEvaluation.bounds(model.network, box: box, format: .float32).outputs
                for order in Order.allCases {
                    for (index, value) in try Self.evaluate(builder.model, input: input, order: order).enumerated() {
                        XCTAssert(
                            bounds.lower[index] <= Double(value) && Double(value) <= bounds.upper[index],
                            "trial \(trial), \(order), output \(index): \(value) outside [\(bounds.lower[index]), \(bounds.upper[index])]")
                    }
                }
            }
        }
    }

    /// A residual join `relu(x) + relu(4e-8·x)` at x = 1e8 adds about 4 to 1e8, which Float32
    /// rounds away (Floats are 8 apart there): the join's own rounding bound covers it.
    func testResidualJoinRoundingIsCovered() throws {
        var builder = ModelBuilder(inputShape: [1, 1], outputShape: [1, 1])
        builder.initializer("small", shape: [1], values: [4e-8])
        builder.node("Relu", ["x"], ["p"])
        builder.node("Mul", ["x", "small"], ["scaled"])
        builder.node("Relu", ["scaled"], ["q"])
        builder.node("Add", ["p", "q"], ["y"])
        let model = try ONNXImporter.load(model: builder.model, floatFormat: .float32)
        XCTAssert(model.network.nodes.contains { $0.layer is SumLayer })
        let bounds = try FloatEvaluation.bounds(model.network, box: InputBox(lower: [1e8], upper: [1e8]), format: .float32).outputs
        let float = Double(try Self.evaluate(builder.model, input: [1e8], order: .forward)[0])
        let real = try model.network.evaluate([1e8])[0]
        XCTAssertGreaterThan((float - real).magnitude, 3, "the join rounds by about 4")
        XCTAssert(bounds.lower[0] <= min(float, real) && max(float, real) <= bounds.upper[0], "\(bounds), \(float), \(real)")
    }

    /// A runtime may start Gemm's accumulator at C: `1 + x_1 + ... + x_16` with every
    /// `x_i = 2^-26` stays 1 in Float32, while the real value is `1 + 2^-22`.
    func testGemmMayStartItsSumAtC() throws {
        var builder = ModelBuilder(inputShape: [1, 16], outputShape: [1, 1])
        builder.initializer("ones", shape: [16, 1], values: [Float](repeating: 1, count: 16))
        builder.initializer("c", shape: [1], values: [1])
        builder.node("Gemm", ["x", "ones", "c"], ["y"])
        let model = try ONNXImporter.load(model: builder.model, floatFormat: .float32)
        let x = [Double](repeating: 0x1p-26, count: 16)
        let fused = x.reduce(Float(1)) { $0 + Float($1) }
        XCTAssertEqual(fused, 1)
        let bounds = try FloatEvaluation.bounds(model.network, box: InputBox(lower: x, upper: x), format: .float32).outputs
        XCTAssertLessThanOrEqual(bounds.lower[0], Double(fused))
        XCTAssertGreaterThanOrEqual(bounds.upper[0], 1 + 0x1p-22)
    }

    /// Products that underflow: `1.5·2^-29 · 2^-120` is `1.5·2^-149` in real arithmetic and
    /// rounds to `2^-148` in Float32 (gradual underflow, ties to even).
    func testUnderflowIsCovered() throws {
        var builder = ModelBuilder(inputShape: [1, 1], outputShape: [1, 1])
        builder.initializer("tiny", shape: [1], values: [0x1p-120])
        builder.node("Mul", ["x", "tiny"], ["y"])
        let model = try ONNXImporter.load(model: builder.model, floatFormat: .float32)
        let float = try Self.evaluate(builder.model, input: [0x1.8p-29], order: .forward)[0]
        XCTAssertEqual(float, 0x1p-148)
        let bounds = try FloatEvaluation.bounds(model.network, box: InputBox(lower: [0x1.8p-29], upper: [0x1.8p-29]), format: .float32).outputs
        XCTAssert(bounds.lower[0] <= 0x1.8p-149 && 0x1p-148 <= bounds.upper[0], "\(bounds)")
    }

    /// Values past Float32's range are infinite in the runtime, beyond every bound: a float
    /// query whose box lets a value get near there is refused.
    func testPossibleOverflowIsRefused() throws {
        var builder = ModelBuilder(inputShape: [1, 1], outputShape: [1, 1])
        builder.initializer("huge", shape: [1], values: [1e30])
        builder.node("Mul", ["x", "huge"], ["y"])
        let path = try builder.write(named: "overflow")
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try load(query("float32", "(assert (>= X[0,0] 1e9))\n(assert (<= X[0,0] 1e10))\n(assert (<= Y[0,0] 0))"), model: path)) { error in
            XCTAssert("\(error)".contains("may overflow float32"), "\(error)")
        }
        XCTAssertNoThrow(try load(query("float32", "(assert (>= X[0,0] 1))\n(assert (<= X[0,0] 2))\n(assert (<= Y[0,0] 0))"), model: path))
    }

    /// Sums the runtime computes on the way count too: an average pool sums its window before
    /// dividing (49 values of 2e37 pass Float32's range), and Gemm sums before applying its
    /// alpha (1e9 · 1e30 does).
    func testIntermediateOverflowIsCaught() throws {
        var pool = ModelBuilder(inputShape: [1, 1, 7, 7], outputShape: [1, 1, 1, 1])
        pool.node("GlobalAveragePool", ["x"], ["y"])
        let pooled = try ONNXImporter.load(model: pool.model, floatFormat: .float32)
        let large = [Double](repeating: 2e37, count: 49)
        XCTAssertThrowsError(try FloatEvaluation.bounds(pooled.network, box: InputBox(lower: large, upper: large), format: .float32))
        XCTAssertNoThrow(try FloatEvaluation.bounds(pooled.network, box: InputBox(lower: large.map { $0 / 1e3 }, upper: large.map { $0 / 1e3 }), format: .float32))
        var gemm = ModelBuilder(inputShape: [1, 1], outputShape: [1, 1])
        gemm.initializer("B", shape: [1, 1], values: [1e30])
        gemm.node("Gemm", ["x", "B"], ["y"], attributes: [ModelBuilder.float("alpha", 1e-10)])
        let scaled = try ONNXImporter.load(model: gemm.model, floatFormat: .float32)
        XCTAssertThrowsError(try FloatEvaluation.bounds(scaled.network, box: InputBox(lower: [1e9], upper: [1e9]), format: .float32))
        XCTAssertNoThrow(try FloatEvaluation.bounds(scaled.network, box: InputBox(lower: [1], upper: [1]), format: .float32))
    }

    /// `(x + 1e8) - 1e8` is x in real arithmetic and 0 in Float32 for x = 4 (Floats near
    /// 1e8 are 8 apart; the tie rounds to 1e8): the bounds hold both, and are not much wider
    /// than the error (the bound is about 12, three times the error 4).
    func testCancellationIsCovered() throws {
        let builder = Self.cancellation()
        let model = try ONNXImporter.load(model: builder.model, floatFormat: .float32)
        let bounds = try FloatEvaluation.bounds(model.network, box: InputBox(lower: [4], upper: [4]), format: .float32).outputs
        XCTAssertEqual(try Self.evaluate(builder.model, input: [4], order: .forward), [0])
        XCTAssertEqual(try model.network.evaluate([4]), [4])
        XCTAssert(bounds.lower[0] <= 0 && bounds.upper[0] >= 4, "\(bounds)")
        XCTAssertLessThan(bounds.upper[0] - bounds.lower[0], 32)
    }

    static func cancellation() -> ModelBuilder {
        var builder = ModelBuilder(inputShape: [1, 1], outputShape: [1, 1])
        builder.initializer("big", shape: [1], values: [1e8])
        builder.node("Add", ["x", "big"], ["up"])
        builder.node("Sub", ["up", "big"], ["y"])
        return builder
    }

    private func load(_ text: String, model path: String) throws -> LoadedQuery {
        guard case .query(let query) = try VNNLIBParser.document(text, file: "q.vnnlib") else { throw XCTSkip("not a query") }
        return try QueryModels.load(query, file: "q.vnnlib", networks: ["": path])
    }

    private func query(_ type: String, _ assertions: String) -> String {
        """
        (vnnlib-version <2.0>)
        (declare-network f
            (declare-input X \(type) [1,1])
            (declare-output Y \(type) [1,1])
        )
        \(assertions)
        """
    }

    /// The real query about `(x + 1e8) - 1e8` at x = 4 is proved; the float32 one, whose
    /// model evaluates to 0 there, is not.
    func testAFloat32QueryIsNotProvedWhereFloatEvaluationBreaksIt() throws {
        let path = try Self.cancellation().write(named: "cancellation")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let assertions = "(assert (>= X[0,0] 4))\n(assert (<= X[0,0] 4))\n(assert (<= Y[0,0] 2))"
        let real = try load(query("real", assertions), model: path)
        XCTAssertEqual(try VerificationSession(network: real.network, device: .cpu).verify(real.property).answer, .unsat)
        let float = try load(query("float32", assertions), model: path)
        let floatEvaluation = try XCTUnwrap(float.floatEvaluation)
        XCTAssertEqual(float.network.inputCount, 1 + floatEvaluation.radii.count)
        let options = float.searchOptions(.defaults)
        XCTAssertEqual(options.noiseInputCount, floatEvaluation.radii.count)
        let result = float.answer(try VerificationSession(network: float.network, options: options, device: .cpu).verify(float.property))
        XCTAssertNotEqual(result.answer, .unsat)
    }

    /// The same in float64: `(x + 1e17) - 1e17` is 0 in Double for x = 4 (Doubles near 1e17
    /// are 16 apart), so the float64 query is not proved; the real one is.
    func testAFloat64QueryIsNotProvedWhereDoubleEvaluationBreaksIt() throws {
        var builder = ModelBuilder(inputShape: [1, 1], outputShape: [1, 1], elementType: 11)
        builder.doubleInitializer("big", shape: [1], values: [1e17])
        builder.node("Add", ["x", "big"], ["up"])
        builder.node("Sub", ["up", "big"], ["y"])
        let path = try builder.write(named: "cancellation64")
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual((4 + 1e17) - 1e17, 0.0)
        let assertions = "(assert (>= X[0,0] 4))\n(assert (<= X[0,0] 4))\n(assert (<= Y[0,0] 2))"
        let real = try load(query("real", assertions), model: path)
        XCTAssertEqual(try VerificationSession(network: real.network, device: .cpu).verify(real.property).answer, .unsat)
        let float = try load(query("float64", assertions), model: path)
        let options = float.searchOptions(.defaults)
        XCTAssertGreaterThan(options.noiseInputCount, 0)
        let result = float.answer(try VerificationSession(network: float.network, options: options, device: .cpu).verify(float.property))
        XCTAssertNotEqual(result.answer, .unsat)
        XCTAssertThrowsError(try load(query("float32", assertions), model: path), "a float32 query over a float64 model is a type error")
    }

    /// Float32 constants are the decimal rounded to Float: 0.1 in a float32 query is
    /// 0.100000001490116…, above the real 0.1.
    func testConstantsAreFloat32Values() throws {
        let path = try Self.cancellation().write(named: "constants")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try load(query("float32", "(assert (>= X[0,0] 0.1))\n(assert (<= X[0,0] 0.2))\n(assert (<= Y[0,0] 0.1))"), model: path)
        let floatEvaluation = try XCTUnwrap(loaded.floatEvaluation)
        let box = floatEvaluation.property.cases[0].box
        XCTAssertEqual(box.lower[0], Double(Float(0.1)))
        XCTAssertEqual(box.upper[0], Double(Float(0.2)))
        XCTAssertEqual(floatEvaluation.property.cases[0].unsafe.disjuncts[0][0].bound, RealInterval(exactly: Double(Float(0.1))))
    }

    /// Arithmetic in a float32 query's assertions and operators without a rounding bound are
    /// refused with the reason.
    func testWhatAFloatQueryCannotAskIsRefused() throws {
        let path = try Self.cancellation().write(named: "refusals")
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try load(query("float32", "(assert (>= X[0,0] 0))\n(assert (<= X[0,0] 1))\n(assert (<= (+ Y[0,0] X[0,0]) 0.1))"), model: path)) { error in
            XCTAssert("\(error)".contains("arithmetic in a float32 query"), "\(error)")
        }
        var sigmoid = ModelBuilder(inputShape: [1, 1], outputShape: [1, 1])
        sigmoid.node("Sigmoid", ["x"], ["y"])
        let sigmoidPath = try sigmoid.write(named: "sigmoid")
        defer { try? FileManager.default.removeItem(atPath: sigmoidPath) }
        XCTAssertThrowsError(try load(query("float32", "(assert (>= X[0,0] 0))\n(assert (<= X[0,0] 1))\n(assert (<= Y[0,0] 0.1))"), model: sigmoidPath)) { error in
            XCTAssert("\(error)".contains("sigmoid") && "\(error)".contains("declare the query real"), "\(error)")
        }
        XCTAssertNoThrow(try load(query("real", "(assert (>= X[0,0] 0))\n(assert (<= X[0,0] 1))\n(assert (<= Y[0,0] 0.1))"), model: sigmoidPath))
    }
}
