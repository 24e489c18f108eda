import Foundation
import VerdictBounds
import VerdictCore
import VerdictOpenCL
import XCTest

/// The convolution kernels (`kernels/conv.cl`, through ``OpenCLConvolution``) against the
/// CPU's `ConvLayer` (the oracle) on random geometries: 1-D and 2-D, strides 1-3, padding,
/// dilations 1-2, groups 1 and more, average pools, batches of 1 and several rows.
///
/// In double the device differs from the CPU only by summation order, so each value must be
/// within 1e-9 of the CPU's relative to the magnitude of its terms (`Σ|w·x|`, computed on the
/// CPU), which bounds any summation order's difference by about `n·2^-52` times that. Without
/// an OpenCL device the tests say so and skip (CI requires one: PoCL).
final class ConvolutionParityTests: XCTestCase {
    static let tolerance = 1e-9

    private func device(double: Bool = true) throws -> OpenCLDevice { try openCLTestDevice(double: double) }

    // MARK: Random layers

    /// A random convolution or average pool whose geometry fits (drawn again until it does).
    static func randomLayer(_ generator: inout SeededGenerator) -> ConvLayer {
        while true {
            let oneDimensional = Int.random(in: 0..<3, using: &generator) == 0
            let average = Int.random(in: 0..<4, using: &generator) == 0
            let groups = average ? Int.random(in: 1...3, using: &generator) : [1, 1, 2, 3].randomElement(using: &generator)!
            let channels = groups * (average ? 1 : Int.random(in: 1...2, using: &generator))
            let outputChannels = average ? channels : groups * Int.random(in: 1...3, using: &generator)
            // Height then width; a 1-D layer's height axis is trivial (kernel, stride and dilation 1, no padding).
            func axis(_ range: ClosedRange<Int>) -> [Int] {
                [oneDimensional ? range.lowerBound : Int.random(in: range, using: &generator), Int.random(in: range, using: &generator)]
            }
            let height = oneDimensional ? 1 : Int.random(in: 1...7, using: &generator), width = Int.random(in: 1...9, using: &generator)
            guard let geometry = WindowGeometry(
                channels: channels, height: height, width: width, kernel: axis(1...3), stride: axis(1...3), dilation: axis(1...2),
                padBegin: axis(0...2), padEnd: axis(0...2))
            else { continue }
            let shape = oneDimensional
                ? TensorShape([1, outputChannels, geometry.outputWidth])
                : TensorShape([1, outputChannels, geometry.outputHeight, geometry.outputWidth])
            if average {
                return ConvLayer(
                    kind: .averagePool, geometry: geometry, outputChannels: channels, groups: channels,
                    weights: Array(repeating: 1 / Double(geometry.taps), count: channels * geometry.taps),
                    bias: Array(repeating: 0, count: channels), outputShape: shape)
            }
            let weightCount = outputChannels * (channels / groups) * geometry.taps
            return ConvLayer(
                geometry: geometry, outputChannels: outputChannels, groups: groups,
                weights: random(weightCount, &generator), bias: random(outputChannels, &generator), outputShape: shape)
        }
    }

    /// Layers enough to cover every feature, checked, so that no feature goes untested silently.
    func randomLayers(_ count: Int, seed: UInt64) -> [ConvLayer] {
        var generator = SeededGenerator(seed: seed)
        let layers = (0..<count).map { _ in Self.randomLayer(&generator) }
        let covered: [(String, (ConvLayer) -> Bool)] = [
            ("1-D", { $0.geometry.height == 1 && $0.geometry.kernel[0] == 1 }), ("2-D", { $0.geometry.kernel[0] > 1 }),
            ("stride 2", { $0.geometry.stride.contains(2) }), ("stride 3", { $0.geometry.stride.contains(3) }),
            ("dilation 2", { $0.geometry.dilation.contains(2) }), ("padding", { ($0.geometry.padBegin + $0.geometry.padEnd).contains { $0 > 0 } }),
            ("groups > 1", { $0.groups > 1 && $0.kind == .convolution }), ("average pool", { $0.kind == .averagePool }),
        ]
        for (feature, test) in covered { XCTAssert(layers.contains(where: test), "no random layer has \(feature)") }
        return layers
    }

    static func random(_ count: Int, _ generator: inout SeededGenerator, zeroChance: Int = 0) -> [Double] {
        (0..<count).map { _ in
            zeroChance > 0 && Int.random(in: 0..<zeroChance, using: &generator) == 0 ? 0 : Double.random(in: -1...1, using: &generator)
        }
    }

    /// The layer with other weights (its magnitudes, or perturbed ones), same geometry.
    static func withWeights(_ conv: ConvLayer, _ weights: [Double], bias: [Double]? = nil) -> ConvLayer {
        ConvLayer(
            kind: conv.kind, geometry: conv.geometry, outputChannels: conv.outputChannels, groups: conv.groups, weights: weights,
            bias: bias ?? conv.bias, outputShape: conv.outputShape)
    }

    /// The CPU's transposed convolution of each row.
    static func cpuTransposed(_ conv: ConvLayer, _ rows: [Double], count: Int) -> [Double] {
        var result = [Double](repeating: 0, count: count * conv.inputCount)
        rows.withUnsafeBufferPointer { a in
            result.withUnsafeMutableBufferPointer { out in
                for r in 0..<count {
                    conv.applyTransposed(a.baseAddress! + r * conv.outputCount, into: out.baseAddress! + r * conv.inputCount)
                }
            }
        }
        return result
    }

    /// The CPU's forward convolution of each row.
    static func cpuForward(_ conv: ConvLayer, _ batch: [Double], rows: Int, weights: [Double], bias: [Double]?) -> [Double] {
        (0..<rows).flatMap { r in
            conv.apply(Array(batch[r * conv.inputCount..<(r + 1) * conv.inputCount]), weights: weights, bias: bias)
        }
    }

    /// The largest `|device - cpu| / scale` (infinite where the scale is zero and they differ).
    static func worstRelative(_ device: [Double], _ cpu: [Double], scale: [Double]) -> Double {
        precondition(device.count == cpu.count && cpu.count == scale.count)
        return zip(zip(device, cpu), scale).map { pair, s in
            let difference = (pair.0 - pair.1).magnitude
            return difference == 0 ? 0 : s == 0 ? .infinity : difference / s
        }.max() ?? 0
    }

    // MARK: Forward

    func testForwardMatchesCPU() throws {
        let device = try device()
        let program = try OpenCLConvolution.Program(device: device, precision: .double)
        var generator = SeededGenerator(seed: 11)
        for (index, conv) in randomLayers(40, seed: 3).enumerated() {
            let layer = try OpenCLConvolution(conv, program: program)
            let absolute = conv.weights.map(\.magnitude)
            for rows in [1, 5] {
                let message = "layer \(index) (\(conv)), \(rows) rows"
                let batch = Self.random(rows * conv.inputCount, &generator, zeroChance: 5)
                // Σ|w·x| + |b| per output: the scale of the comparison, and what the device's
                // magnitudes must be.
                let scale = Self.cpuForward(conv, batch.map(\.magnitude), rows: rows, weights: absolute, bias: conv.bias.map(\.magnitude))
                let sums = try layer.forward(batch, rows: rows)
                let cpu = Self.cpuForward(conv, batch, rows: rows, weights: conv.weights, bias: conv.bias)
                XCTAssertLessThanOrEqual(Self.worstRelative(sums.values, cpu, scale: scale), Self.tolerance, "\(message): W x + b")
                XCTAssertLessThanOrEqual(Self.worstRelative(sums.magnitudes, scale, scale: scale), Self.tolerance, "\(message): Σ|w·x| + |b|")

                let noBias = try layer.forward(batch, rows: rows, includeBias: false)
                let cpuNoBias = Self.cpuForward(conv, batch, rows: rows, weights: conv.weights, bias: nil)
                XCTAssertLessThanOrEqual(Self.worstRelative(noBias.values, cpuNoBias, scale: scale), Self.tolerance, "\(message): W x")

                let radii = batch.map(\.magnitude)
                let magnitude = try layer.forward(radii, rows: rows, includeBias: false, absoluteWeights: true)
                let cpuMagnitude = Self.cpuForward(conv, radii, rows: rows, weights: absolute, bias: nil)
                XCTAssertLessThanOrEqual(Self.worstRelative(magnitude.values, cpuMagnitude, scale: scale), Self.tolerance, "\(message): |W| r")
            }
        }
    }

    /// Float batches through a float program: the same sums within float's precision.
    func testFloatForwardMatchesCPU() throws {
        let device = try device(double: false)
        let program = try OpenCLConvolution.Program(device: device, precision: .float)
        var generator = SeededGenerator(seed: 12)
        for (index, conv) in randomLayers(20, seed: 4).enumerated() {
            let layer = try OpenCLConvolution(conv, program: program)
            let batch = Self.random(3 * conv.inputCount, &generator)
            let sums = try layer.forward(batch.map { Float($0) }, rows: 3)
            let cpu = Self.cpuForward(conv, batch, rows: 3, weights: conv.weights, bias: conv.bias)
            let scale = Self.cpuForward(conv, batch.map(\.magnitude), rows: 3, weights: conv.weights.map(\.magnitude), bias: conv.bias.map(\.magnitude))
            let worst = Self.worstRelative(sums.values.map(Double.init), cpu, scale: scale)
            XCTAssertLessThanOrEqual(worst, Double(conv.fanIn + 4) * 0x1p-23, "layer \(index) (\(conv)) in float")
        }
    }

    // MARK: Transposed

    func testTransposedMatchesCPU() throws {
        let device = try device()
        let program = try OpenCLConvolution.Program(device: device, precision: .double)
        var generator = SeededGenerator(seed: 21)
        for (index, conv) in randomLayers(40, seed: 5).enumerated() {
            let layer = try OpenCLConvolution(conv, program: program)
            let absolute = Self.withWeights(conv, conv.weights.map(\.magnitude))
            for rows in [1, 4] {
                let message = "layer \(index) (\(conv)), \(rows) rows"
                // Some coefficients zero, and in some rows whole zero output channels (the CPU
                // skips those).
                var coefficients = Self.random(rows * conv.outputCount, &generator, zeroChance: 4)
                if rows > 1 {
                    for o in 0..<conv.geometry.outputPlane { coefficients[conv.outputCount + o] = 0 }
                }
                let scale = Self.cpuTransposed(absolute, coefficients.map(\.magnitude), count: rows)
                let sums = try layer.transposed(coefficients, rows: rows)
                let cpu = Self.cpuTransposed(conv, coefficients, count: rows)
                XCTAssertLessThanOrEqual(Self.worstRelative(sums.values, cpu, scale: scale), Self.tolerance, "\(message): λ W")
                XCTAssertLessThanOrEqual(Self.worstRelative(sums.magnitudes, scale, scale: scale), Self.tolerance, "\(message): Σ|λ w|")
            }
        }
    }

    /// ⟨λ, W x⟩ = ⟨λ W, x⟩ for each row, both sides computed on the device: the transposed
    /// kernel is the adjoint of the forward one, independently of the CPU's code.
    func testTransposedIsTheAdjoint() throws {
        let device = try device()
        let program = try OpenCLConvolution.Program(device: device, precision: .double)
        var generator = SeededGenerator(seed: 31)
        for (index, conv) in randomLayers(40, seed: 6).enumerated() {
            let layer = try OpenCLConvolution(conv, program: program)
            let rows = 3
            let x = Self.random(rows * conv.inputCount, &generator), lambda = Self.random(rows * conv.outputCount, &generator)
            let forward = try layer.forward(x, rows: rows, includeBias: false)
            let transposed = try layer.transposed(lambda, rows: rows)
            for r in 0..<rows {
                let outputs = r * conv.outputCount..<(r + 1) * conv.outputCount, inputs = r * conv.inputCount..<(r + 1) * conv.inputCount
                let left = zip(lambda[outputs], forward.values[outputs]).map(*).reduce(0, +)
                let right = zip(transposed.values[inputs], x[inputs]).map(*).reduce(0, +)
                // Σ_o |λ_o| Σ|w·x|: bounds both sides' terms.
                let scale = zip(lambda[outputs], forward.magnitudes[outputs]).map { $0.magnitude * $1 }.reduce(0, +)
                XCTAssertEqual(left, right, accuracy: Self.tolerance * scale, "layer \(index) (\(conv)), row \(r): ⟨λ, W x⟩ against ⟨λ W, x⟩")
                XCTAssertGreaterThan(scale, 0, "layer \(index): a zero scale would make the adjoint check vacuous")
            }
        }
    }

    /// The comparisons can fail: a layer whose weights differ by one part in a million is told
    /// apart from the device's, forward and transposed.
    func testComparisonsDetectAPerturbedLayer() throws {
        let device = try device()
        let program = try OpenCLConvolution.Program(device: device, precision: .double)
        var generator = SeededGenerator(seed: 41)
        for (index, conv) in randomLayers(12, seed: 7).enumerated() {
            let layer = try OpenCLConvolution(conv, program: program)
            let perturbed = Self.withWeights(conv, conv.weights.map { $0 * (1 + 1e-6) + 1e-6 })
            let x = Self.random(conv.inputCount, &generator), lambda = Self.random(conv.outputCount, &generator)
            let absolute = conv.weights.map(\.magnitude)
            let scale = Self.cpuForward(conv, x.map(\.magnitude), rows: 1, weights: absolute, bias: conv.bias.map(\.magnitude))
            let forward = try layer.forward(x, rows: 1)
            let wrongForward = Self.cpuForward(perturbed, x, rows: 1, weights: perturbed.weights, bias: conv.bias)
            XCTAssertGreaterThan(Self.worstRelative(forward.values, wrongForward, scale: scale), Self.tolerance, "layer \(index): forward")
            let transposedScale = Self.cpuTransposed(Self.withWeights(conv, absolute), lambda.map(\.magnitude), count: 1)
            let transposed = try layer.transposed(lambda, rows: 1)
            XCTAssertGreaterThan(
                Self.worstRelative(transposed.values, Self.cpuTransposed(perturbed, lambda, count: 1), scale: transposedScale), Self.tolerance,
                "layer \(index): transposed")
        }
    }

    // MARK: Bound steps

    /// IBP through the layer contains the layer's value at sampled points of each box (in
    /// double and in float), and in double lies within the tolerance of the CPU's interval.
    func testIntervalIsSoundAndMatchesCPU() throws {
        let device = try device(double: false)
        let precisions: [DevicePrecision] = device.supportsDouble ? [.double, .float] : [.float]
        var generator = SeededGenerator(seed: 51)
        for precision in precisions {
            let program = try OpenCLConvolution.Program(device: device, precision: precision)
            for (index, conv) in randomLayers(30, seed: 8).enumerated() {
                let layer = try OpenCLConvolution(conv, program: program)
                let rows = 3, message = "layer \(index) (\(conv)) in \(precision)"
                let a = Self.random(rows * conv.inputCount, &generator), b = Self.random(rows * conv.inputCount, &generator)
                // Some point intervals (a = b), as inactive ReLUs give.
                let lower = zip(a, b).enumerated().map { $0.offset % 5 == 0 ? $0.element.0 : min($0.element.0, $0.element.1) }
                let upper = zip(a, b).enumerated().map { $0.offset % 5 == 0 ? $0.element.0 : max($0.element.0, $0.element.1) }
                let bounds = try layer.interval(lower: lower, upper: upper, rows: rows)
                for _ in 0..<8 {
                    let point = zip(lower, upper).map { Double.random(in: $0...$1, using: &generator) }
                    let value = Self.cpuForward(conv, point, rows: rows, weights: conv.weights, bias: conv.bias)
                    for o in value.indices {
                        XCTAssertLessThanOrEqual(bounds.lower[o], value[o], "\(message): lower bound of output \(o)")
                        XCTAssertGreaterThanOrEqual(bounds.upper[o], value[o], "\(message): upper bound of output \(o)")
                    }
                }
                guard precision == .double else { continue }
                let center = zip(lower, upper).map { $0 / 2 + $1 / 2 }, radius = zip(lower, upper).map { ($1 - $0) / 2 }
                let absolute = conv.weights.map(\.magnitude)
                let cpuCenter = Self.cpuForward(conv, center, rows: rows, weights: conv.weights, bias: conv.bias)
                let cpuRadius = Self.cpuForward(conv, radius, rows: rows, weights: absolute, bias: nil)
                // Plus the allowance's absolute slack (for flushed products), all there is where
                // an output reads only padding and has no bias.
                let scale = zip(Self.cpuForward(conv, center.map(\.magnitude), rows: rows, weights: absolute, bias: conv.bias.map(\.magnitude)), cpuRadius)
                    .map { $0 + $1 + 0x1p-900 }
                XCTAssertLessThanOrEqual(Self.worstRelative(bounds.lower, zip(cpuCenter, cpuRadius).map(-), scale: scale), Self.tolerance, "\(message): lower")
                XCTAssertLessThanOrEqual(Self.worstRelative(bounds.upper, zip(cpuCenter, cpuRadius).map(+), scale: scale), Self.tolerance, "\(message): upper")
            }
        }
    }

    /// The bias's share of each row's constant and the step's allowance, as the CPU graph
    /// engine's conv step counts them: constants within the tolerance, the allowance at least
    /// the CPU's (γ_{fanOut + 2}, γ_{outputs + 1}) and at most a quarter more (the device counts
    /// one more rounding of each, and flushed products).
    func testTransposedBiasMatchesCPUStep() throws {
        let device = try device()
        let program = try OpenCLConvolution.Program(device: device, precision: .double)
        var generator = SeededGenerator(seed: 61)
        for (index, conv) in randomLayers(30, seed: 9).enumerated() {
            let layer = try OpenCLConvolution(conv, program: program)
            let rows = 5, subproblems = 2, outputs = conv.outputCount, plane = conv.geometry.outputPlane
            let owner: [Int32] = (0..<rows).map { Int32($0 % subproblems) }
            var lambda = Self.random(rows * outputs, &generator, zeroChance: 3)
            for o in 0..<outputs { lambda[2 * outputs + o] = 0 }  // A row of zeros: no constant, no allowance.
            let inputMagnitude = (0..<subproblems * conv.inputCount).map { _ in Double.random(in: 0...2, using: &generator) }
            let weighted = Self.cpuForward(conv, inputMagnitude, rows: subproblems, weights: conv.weights.map(\.magnitude), bias: nil)
            let inputSums = (0..<subproblems).map { p in inputMagnitude[p * conv.inputCount..<(p + 1) * conv.inputCount].reduce(0, +) }
            let step = try layer.transposedBias(lambda, rows: rows, owner: owner, weightedMagnitude: weighted, inputMagnitudeSum: inputSums)
            let allowance = RoundingAllowance.double
            for r in 0..<rows {
                let row = lambda[r * outputs..<(r + 1) * outputs], m = weighted[Int(owner[r]) * outputs..<(Int(owner[r]) + 1) * outputs]
                let terms = row.enumerated().map { $0.element * conv.bias[$0.offset / plane] }
                let magnitude = terms.map(\.magnitude).reduce(0, +)
                let product = zip(row, m).map { $0.magnitude * $1 }.reduce(0, +)
                let cpuError = allowance.gamma(conv.fanOut + 2) * product + allowance.gamma(outputs + 1) * magnitude
                let message = "layer \(index) (\(conv)), row \(r)"
                XCTAssertEqual(step.constants[r], terms.reduce(0, +), accuracy: Self.tolerance * magnitude, "\(message): constant")
                XCTAssertEqual(step.constantMagnitudes[r], magnitude, accuracy: Self.tolerance * magnitude, "\(message): its magnitude")
                XCTAssertGreaterThanOrEqual(step.errors[r], cpuError, "\(message): allowance below the CPU engine's")
                XCTAssertLessThanOrEqual(step.errors[r], 1.25 * cpuError * (1 + 1e-9) + 1e-290, "\(message): allowance far above the CPU engine's")
                if r == 2 { XCTAssertEqual(step.errors[r], 0, "\(message): a zero row has no allowance") }
            }
        }
    }
}
