@testable import VerdictBounds
import VerdictCore
@testable import VerdictOpenCL
import XCTest

/// Each OpenCL operator rule against the CPU rule it stands for, one step at a time on random
/// layers, bounds and rows: in double the device's results agree with the CPU's (within 1e-12,
/// relative to `max(1, |cpu|)`), its allowance is at least the CPU's, and its intervals contain
/// the CPU's; in double and float each backward step holds at sampled points of the input box
/// (`a·y >= b·z + constant - 2·error`, evaluated in extended precision).
final class OperatorParityTests: XCTestCase {
    static let tolerance = 1e-12

    private func registry(double: Bool) throws -> OpenCLBoundOperators {
        try OpenCLBoundOperators(device: try openCLTestDevice(double: double), precision: double ? .double : .float)
    }

    private func bounds(width: Int, _ g: inout SeededGenerator) -> ValueBounds {
        let lower = (0..<width).map { _ in Double.random(in: -3...2, using: &g) }
        return ValueBounds(lower: lower, upper: lower.map { $0 + Double.random(in: 0...3, using: &g) })
    }

    /// Rows with about a third of their coefficients zero, and one row of zeros.
    private func rows(_ count: Int, width: Int, _ g: inout SeededGenerator) -> RowBlock {
        RowBlock(rows: count, width: width, values: (0..<(count * width)).map { index in
            index / width == 1 || Int.random(in: 0..<3, using: &g) == 0 ? 0 : Double.random(in: -2...2, using: &g)
        })
    }

    private func difference(_ a: Double, _ b: Double) -> Double { a == b ? 0 : (a - b).magnitude / max(1, b.magnitude) }

    private func assertSameStep(_ device: BackwardStep, _ cpu: BackwardStep, _ message: String) {
        let values = zip(device.inputs[0]!.values, cpu.inputs[0]!.values).map(difference).max() ?? 0
        XCTAssertLessThanOrEqual(values, Self.tolerance, "\(message): coefficients")
        for (name, d, c) in [("constants", device.constants, cpu.constants), ("magnitudes", device.constantMagnitude, cpu.constantMagnitude)] {
            XCTAssertLessThanOrEqual(zip(d, c).map(difference).max() ?? 0, Self.tolerance, "\(message): \(name)")
        }
        for (d, c) in zip(device.errors, cpu.errors) {
            XCTAssertGreaterThanOrEqual(d, c, "\(message): allowance below the CPU rule's")
            XCTAssertLessThanOrEqual(d, 4 * c + 1e-290, "\(message): allowance far above the CPU rule's")
        }
    }

    /// `a·y >= b·z + constant - 2·error` for each row at `points`, `y` the layer at `z`.
    private func assertStepHolds(_ step: BackwardStep, rows: RowBlock, layer: any Layer, points: [[Double]], _ message: String) {
        let input = step.inputs[0]!
        for z in points {
            let y = layer.evaluate([z])
            for r in 0..<rows.rows {
                var left: Float80 = 0, right = Float80(step.constants[r]), scale = Float80(step.constants[r].magnitude)
                for o in 0..<rows.width { left += Float80(rows.values[r * rows.width + o]) * Float80(y[o]) }
                for j in 0..<input.width {
                    let term = Float80(input.values[r * input.width + j]) * Float80(z[j])
                    right += term
                    scale += abs(term)
                }
                let slack = 1e-15 * (scale + abs(left))
                XCTAssertGreaterThanOrEqual(left + slack, right - 2 * Float80(step.errors[r]), "\(message): row \(r) fails at a sampled point")
            }
        }
    }

    private func points(in bounds: ValueBounds, _ g: inout SeededGenerator) -> [[Double]] {
        (0..<40).map { index in
            zip(bounds.lower, bounds.upper).map { l, u in index % 4 == 0 ? (Bool.random(using: &g) ? l : u) : Double.random(in: l...u, using: &g) }
        }
    }

    private func assertDeviceAnswered(_ registry: OpenCLBoundOperators, _ message: String) {
        XCTAssertGreaterThan(registry.deviceCalls.succeeded, 0, "\(message): no device call")
        XCTAssertEqual(registry.deviceCalls.failed, 0, "\(message): device calls failed")
    }

    func testSShapedBackwardMatchesTheCPURule() throws {
        for double in [true, false] {
            let registry = try registry(double: double)
            var g = SeededGenerator(seed: 101)
            for trial in 0..<12 {
                let width = Int.random(in: 1...40, using: &g)
                let layer = SShapedLayer(trial % 2 == 0 ? .sigmoid : .tanh, shape: TensorShape([1, width]))
                let cpu = try BoundOperators.make(layer), device = try registry.make(layer)
                XCTAssertEqual(String(describing: type(of: device)), "OpenCLSShapedOperator")
                XCTAssertTrue(device.needsTightInputBounds)
                let box = bounds(width: width, &g), block = rows(4, width: width, &g)
                guard case .relaxed(let lines) = cpu.relax([box], phases: nil) else { return XCTFail("no lines") }
                var context = OperatorContext(inputBounds: [box], relaxation: lines)
                // Every other trial with α-CROWN's per-row slopes.
                if trial % 4 >= 2 {
                    context.lineSlopes = (0..<4).map { _ in
                        ((0..<width).map { _ in Double.random(in: 0...1, using: &g) }, (0..<width).map { _ in Double.random(in: 0...1, using: &g) })
                    }
                }
                let message = "\(double ? "double" : "float") trial \(trial)"
                let got = device.backward(block, context: context)
                if double { assertSameStep(got, cpu.backward(block, context: context), message) }
                assertStepHolds(got, rows: block, layer: layer, points: points(in: box, &g), message)
            }
            assertDeviceAnswered(registry, double ? "double" : "float")
        }
    }

    func testReLUBackwardMatchesTheCPURule() throws {
        for double in [true, false] {
            let registry = try registry(double: double)
            var g = SeededGenerator(seed: 103)
            for trial in 0..<12 {
                let width = Int.random(in: 1...40, using: &g)
                let layer = ReLULayer(shape: TensorShape([1, width]))
                let cpu = try BoundOperators.make(layer), device = try registry.make(layer)
                XCTAssertEqual(String(describing: type(of: device)), "OpenCLReLUOperator")
                let box = bounds(width: width, &g), block = rows(4, width: width, &g)
                // Splits where they leave the neuron feasible.
                let phases: [ReluPhase] = (0..<width).map { j in
                    switch Int.random(in: 0..<4, using: &g) {
                    case 0 where box.upper[j] > 0: return .active
                    case 1 where box.lower[j] < 0: return .inactive
                    default: return .free
                    }
                }
                guard case .relaxed(let lines) = cpu.relax([box], phases: phases) else { return XCTFail("no lines") }
                var context = OperatorContext(inputBounds: [box], relaxation: lines)
                if trial % 2 == 1 { context.alpha = (0..<4).map { _ in (0..<width).map { _ in Double.random(in: 0...1, using: &g) } } }
                if trial % 3 == 2 { context.beta = (0..<4).map { _ in (0..<width).map { _ in Double.random(in: 0...1, using: &g) } } }
                let message = "\(double ? "double" : "float") trial \(trial)"
                let got = device.backward(block, context: context)
                if double { assertSameStep(got, cpu.backward(block, context: context), message) }
                // Points of the split subproblem.
                assertStepHolds(got, rows: block, layer: layer, points: points(in: (lines as! ReLUOperator.Lines).bounds, &g), message)
            }
            assertDeviceAnswered(registry, double ? "double" : "float")
        }
    }

    func testAffineRuleMatchesTheCPURule() throws {
        for double in [true, false] {
            let registry = try registry(double: double)
            var g = SeededGenerator(seed: 107)
            for trial in 0..<12 {
                let inputs = Int.random(in: 1...30, using: &g), outputs = Int.random(in: 1...30, using: &g)
                let weights = (0..<(inputs * outputs)).map { _ in Int.random(in: 0..<5, using: &g) == 0 ? 0 : Double.random(in: -1...1, using: &g) }
                let layer = AffineLayer(weights: Matrix(rows: outputs, columns: inputs, values: weights), bias: (0..<outputs).map { _ in Double.random(in: -1...1, using: &g) })
                let cpu = try BoundOperators.make(layer), device = try registry.make(layer)
                XCTAssertEqual(String(describing: type(of: device)), "OpenCLAffineOperator")
                let box = bounds(width: inputs, &g), block = rows(4, width: outputs, &g)
                let message = "\(double ? "double" : "float") trial \(trial)"
                let magnitudes = try XCTUnwrap(device.weightedMagnitude([box]))
                let cpuMagnitudes = try XCTUnwrap(cpu.weightedMagnitude([box]))
                let interval = device.interval([box], weightedMagnitude: magnitudes)
                let cpuInterval = cpu.interval([box], weightedMagnitude: cpuMagnitudes)
                if double {
                    XCTAssertLessThanOrEqual(zip(magnitudes, cpuMagnitudes).map(difference).max() ?? 0, Self.tolerance, message)
                    XCTAssertLessThanOrEqual(zip(interval.lower + interval.upper, cpuInterval.lower + cpuInterval.upper).map(difference).max() ?? 0, Self.tolerance, message)
                    for o in 0..<outputs {
                        XCTAssertLessThanOrEqual(interval.lower[o], cpuInterval.lower[o], "\(message): output \(o)")
                        XCTAssertGreaterThanOrEqual(interval.upper[o], cpuInterval.upper[o], "\(message): output \(o)")
                    }
                }
                let exact = box.magnitude
                for o in 0..<outputs {
                    let sum = (0..<inputs).reduce(Float80(0)) { $0 + Float80(weights[o * inputs + $1].magnitude) * Float80(exact[$1]) }
                    XCTAssertGreaterThanOrEqual(Float80(magnitudes[o]), sum, "\(message): |W|·m below its value at output \(o)")
                }
                let context = OperatorContext(inputBounds: [box], weightedMagnitude: magnitudes)
                let got = device.backward(block, context: context)
                if double { assertSameStep(got, cpu.backward(block, context: context), message) }
                let samples = points(in: box, &g)
                assertStepHolds(got, rows: block, layer: layer, points: samples, message)
                for z in samples {
                    for (o, y) in layer.evaluate([z]).enumerated() {
                        XCTAssertLessThanOrEqual(interval.lower[o], y, "\(message): output \(o)")
                        XCTAssertGreaterThanOrEqual(interval.upper[o], y, "\(message): output \(o)")
                    }
                }
            }
            assertDeviceAnswered(registry, double ? "double" : "float")
        }
    }

    func testScaleShiftRuleMatchesTheCPURule() throws {
        for double in [true, false] {
            let registry = try registry(double: double)
            var g = SeededGenerator(seed: 109)
            for trial in 0..<12 {
                let width = Int.random(in: 1...40, using: &g)
                let layer = ScaleShiftLayer(
                    scale: (0..<width).map { _ in Double.random(in: -2...2, using: &g) }, shift: (0..<width).map { _ in Double.random(in: -1...1, using: &g) },
                    outputShape: TensorShape([1, width]))
                let cpu = try BoundOperators.make(layer), device = try registry.make(layer)
                XCTAssertEqual(String(describing: type(of: device)), "OpenCLScaleShiftOperator")
                let box = bounds(width: width, &g), block = rows(4, width: width, &g)
                let message = "\(double ? "double" : "float") trial \(trial)"
                let context = OperatorContext(inputBounds: [box])
                let got = device.backward(block, context: context)
                if double { assertSameStep(got, cpu.backward(block, context: context), message) }
                let samples = points(in: box, &g)
                assertStepHolds(got, rows: block, layer: layer, points: samples, message)
                assertIntervalHolds(device.interval([box], weightedMagnitude: nil), cpu: double ? cpu.interval([box], weightedMagnitude: nil) : nil,
                                    layer: layer, points: samples.map { [$0] }, message)
            }
            assertDeviceAnswered(registry, double ? "double" : "float")
        }
    }

    func testSumIntervalsMatchTheCPURule() throws {
        for double in [true, false] {
            let registry = try registry(double: double)
            var g = SeededGenerator(seed: 113)
            for trial in 0..<12 {
                let width = Int.random(in: 1...40, using: &g)
                let layer = SumLayer(outputShape: TensorShape([1, width]), subtracting: trial % 2 == 1)
                let cpu = try BoundOperators.make(layer), device = try registry.make(layer)
                XCTAssertEqual(String(describing: type(of: device)), "OpenCLSumOperator")
                let a = bounds(width: width, &g), b = bounds(width: width, &g)
                let message = "\(double ? "double" : "float") trial \(trial)"
                let samples = zip(points(in: a, &g), points(in: b, &g)).map { [$0, $1] }
                assertIntervalHolds(device.interval([a, b], weightedMagnitude: nil), cpu: double ? cpu.interval([a, b], weightedMagnitude: nil) : nil,
                                    layer: layer, points: samples, message)
            }
            assertDeviceAnswered(registry, double ? "double" : "float")
        }
    }

    func testMaxPoolRuleMatchesTheCPURule() throws {
        for double in [true, false] {
            let registry = try registry(double: double)
            var g = SeededGenerator(seed: 127)
            for trial in 0..<12 {
                let side = Int.random(in: 2...5, using: &g), kernel = Int.random(in: 1...min(3, side), using: &g)
                let geometry = WindowGeometry(
                    channels: Int.random(in: 1...2, using: &g), height: side, width: side, kernel: [kernel, kernel],
                    stride: [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)], dilation: [1, 1],
                    padBegin: [0, trial % 3 == 0 ? min(1, kernel - 1) : 0], padEnd: [0, 0])!
                let layer = MaxPoolLayer(geometry: geometry, outputShape: TensorShape([1, geometry.channels, geometry.outputHeight, geometry.outputWidth]))
                let cpu = try BoundOperators.make(layer), device = try registry.make(layer)
                XCTAssertEqual(String(describing: type(of: device)), "OpenCLMaxPoolOperator")
                let box = bounds(width: layer.inputCount, &g), block = rows(4, width: layer.outputCount, &g)
                guard case .relaxed(let lines) = cpu.relax([box], phases: nil) else { return XCTFail("no lines") }
                let context = OperatorContext(inputBounds: [box], relaxation: lines)
                let message = "\(double ? "double" : "float") trial \(trial)"
                let got = device.backward(block, context: context)
                if double { assertSameStep(got, cpu.backward(block, context: context), message) }
                let samples = points(in: box, &g)
                assertStepHolds(got, rows: block, layer: layer, points: samples, message)
                assertIntervalHolds(device.interval([box], weightedMagnitude: nil), cpu: double ? cpu.interval([box], weightedMagnitude: nil) : nil,
                                    layer: layer, points: samples.map { [$0] }, message)
            }
            assertDeviceAnswered(registry, double ? "double" : "float")
        }
    }

    /// Copies of one or two inputs (Concat), some elements copied twice, some outputs constants (Pad).
    func testSelectRuleMatchesTheCPURule() throws {
        for double in [true, false] {
            let registry = try registry(double: double)
            var g = SeededGenerator(seed: 131)
            for trial in 0..<12 {
                let counts = (0..<(trial % 2 + 1)).map { _ in Int.random(in: 1...20, using: &g) }
                let total = counts.reduce(0, +), outputs = Int.random(in: 1...40, using: &g)
                let sources = (0..<outputs).map { _ in Int.random(in: 0..<4, using: &g) == 0 ? -1 : Int.random(in: 0..<total, using: &g) }
                let fill = sources.map { $0 < 0 ? Double.random(in: -2...2, using: &g) : 0 }
                let layer = SelectLayer(name: "Concat", inputCounts: counts, sources: sources, fill: fill, outputShape: TensorShape([outputs]))
                let cpu = try BoundOperators.make(layer), device = try registry.make(layer)
                XCTAssertEqual(String(describing: type(of: device)), "OpenCLSelectOperator")
                let boxes = counts.map { bounds(width: $0, &g) }, block = rows(4, width: outputs, &g)
                let context = OperatorContext(inputBounds: boxes)
                let message = "\(double ? "double" : "float") trial \(trial)"
                let got = device.backward(block, context: context), reference = cpu.backward(block, context: context)
                XCTAssertEqual(got.inputs.map { $0?.width }, counts.map { $0 }, message)
                if double {
                    for (d, c) in zip(got.inputs, reference.inputs) {
                        XCTAssertLessThanOrEqual(zip(d!.values, c!.values).map(difference).max() ?? 0, Self.tolerance, "\(message): coefficients")
                    }
                    XCTAssertLessThanOrEqual(zip(got.constants, reference.constants).map(difference).max() ?? 0, Self.tolerance, "\(message): constants")
                    for (d, c) in zip(got.errors, reference.errors) { XCTAssertGreaterThanOrEqual(d, c, "\(message): allowance below the CPU rule's") }
                }
                let samples = (0..<40).map { _ in boxes.map { box in zip(box.lower, box.upper).map { Double.random(in: $0...$1, using: &g) } } }
                for z in samples {
                    let y = layer.evaluate(z)
                    for r in 0..<block.rows {
                        var left: Float80 = 0, right = Float80(got.constants[r])
                        for o in 0..<outputs { left += Float80(block.values[r * outputs + o]) * Float80(y[o]) }
                        for (input, values) in z.enumerated() {
                            for j in values.indices { right += Float80(got.inputs[input]!.values[r * counts[input] + j]) * Float80(values[j]) }
                        }
                        let slack = 1e-15 * (abs(left) + abs(right) + 1)
                        XCTAssertGreaterThanOrEqual(left + slack, right - 2 * Float80(got.errors[r]), "\(message): row \(r) fails at a sampled point")
                    }
                }
                assertIntervalHolds(device.interval(boxes, weightedMagnitude: nil), cpu: double ? cpu.interval(boxes, weightedMagnitude: nil) : nil,
                                    layer: layer, points: samples, message)
            }
            assertDeviceAnswered(registry, double ? "double" : "float")
        }
    }

    /// The interval contains the CPU rule's (where given) and is within ``tolerance`` of it,
    /// and contains the layer's value at each point (one array per input).
    private func assertIntervalHolds(_ interval: ValueBounds, cpu: ValueBounds?, layer: any Layer, points: [[[Double]]], _ message: String) {
        if let cpu {
            XCTAssertLessThanOrEqual(zip(interval.lower + interval.upper, cpu.lower + cpu.upper).map(difference).max() ?? 0, Self.tolerance, message)
            for j in cpu.lower.indices {
                XCTAssertLessThanOrEqual(interval.lower[j], cpu.lower[j], "\(message): element \(j)")
                XCTAssertGreaterThanOrEqual(interval.upper[j], cpu.upper[j], "\(message): element \(j)")
            }
        }
        for inputs in points {
            for (j, y) in layer.evaluate(inputs).enumerated() {
                XCTAssertLessThanOrEqual(interval.lower[j], y, "\(message): element \(j)")
                XCTAssertGreaterThanOrEqual(interval.upper[j], y, "\(message): element \(j)")
            }
        }
    }
}
