import VerdictBounds
import VerdictCore

/// A dense layer (Gemm, MatMul) of the graph engine on an OpenCL device, as `AffineOperator`
/// is on the CPU (`kernels/affine.cl`): intervals (IBP), the magnitude factor `|W|·m` and the
/// backward step of CROWN (`λ W` for a whole ``RowBlock`` and the bias's share of each row's
/// constant); the derivative for attacks (`pullback`) stays on the CPU.
///
/// Soundness: the device computes in round-to-nearest and each result carries an outward
/// allowance of its own rounding, at least the CPU rule's (see each method). On a float device
/// the weights and bias go up rounded to nearest (the allowances count one more rounding);
/// a layer with a weight or bias outside float's normal range stays on the CPU rule (its
/// rounding would not be relative), and the kernels count products that flush to zero.
/// Where a device call fails, the CPU rule answers it. Immutable after init; the kernels are
/// touched only under the program's lock (hence `@unchecked Sendable`).
final class OpenCLAffineOperator: CPUBackedRule, @unchecked Sendable {
    let affine: AffineLayer
    let device: OpenCLGraphProgram
    let weights: OpenCLBuffer
    let bias: OpenCLBuffer
    let intervalKernel: OpenCLKernel
    let magnitudeKernel: OpenCLKernel
    let transposedKernel: OpenCLKernel
    let biasKernel: OpenCLKernel
    /// The CPU rule: the pullback, and the answer where the device fails.
    let cpu: any BoundOperator

    /// Nil where the layer stays on the CPU rule (a float device and weights it cannot hold).
    init?(_ affine: AffineLayer, device: OpenCLGraphProgram) throws {
        guard device.usesDouble || Self.fitsFloat(affine.weights.values + affine.bias) else { return nil }
        self.affine = affine
        self.device = device
        weights = try device.upload(affine.weights.values)
        bias = try device.upload(affine.bias)
        intervalKernel = try device.kernel("affine_interval", in: "affine.cl")
        magnitudeKernel = try device.kernel("affine_magnitude", in: "affine.cl")
        transposedKernel = try device.kernel("affine_transposed", in: "affine.cl")
        biasKernel = try device.kernel("affine_transposed_bias", in: "affine.cl")
        cpu = try BoundOperators.make(affine)
    }

    /// Whether every value is zero or a normal float: then its rounding to float is within `u`
    /// relatively.
    static func fitsFloat(_ values: [Double]) -> Bool {
        values.allSatisfy { $0 == 0 || (Float($0).isNormal && Float($0).isFinite) }
    }

    var layer: any Layer { affine }
    private var allowance: RoundingAllowance { device.allowance }
    private var inputs: Int { affine.inputCount }
    private var outputs: Int { affine.outputCount }

    /// The sign-split sums of `AffineOperator.interval` (bounds uploaded rounded outward), moved
    /// outward by `2 γ_{n + 4} (|b| + M_o)` + flushed products in the device's arithmetic, against
    /// the CPU's `γ_{n + 1}` in double: the `n + 1` terms, their magnitude at most `(1 + u)²` times
    /// `|b| + M_o` after rounding weights and bounds, and the weights' own rounding (`u M_o`).
    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let x = inputs[0], n = self.inputs
        let magnitudes = weightedMagnitude ?? self.weightedMagnitude(inputs)!
        let bounds = device.serialized { () throws -> ValueBounds in
            let lower = try device.scratch(outputs), upper = try device.scratch(outputs)
            let arguments: [KernelArgument] = [
                .int(outputs), .int(n), .buffer(try device.upload(x.lower, roundedUp: false)), .buffer(try device.upload(x.upper, roundedUp: true)),
                .buffer(weights), .buffer(bias), .buffer(try device.upload(magnitudes, roundedUp: true)),
                device.factor(allowance.gamma(n + 4)), device.factor(Double(2 * n + 4) * allowance.flushSlack + allowance.underflowSlack),
                .buffer(lower), .buffer(upper),
            ]
            return try withExtendedLifetime(arguments) {
                try device.launch(intervalKernel, arguments, elements: outputs)
                return ValueBounds(lower: try device.read(lower, count: outputs), upper: try device.read(upper, count: outputs))
            }
        }
        return bounds ?? cpu.interval(inputs, weightedMagnitude: magnitudes)
    }

    /// `|W|·m` rounded up: `m` goes up to the device type rounded up; the sum is at most `γ_n`
    /// low relative to the rounded weights, which are at most `u` low, so it is scaled by
    /// `1 + 2γ_{n + 2}` (the CPU's `1 + 2γ_{n + 1}` in double), and each product may flush to
    /// zero (`n` times the smallest normal number, absolutely).
    func weightedMagnitude(_ inputs: [ValueBounds]) -> [Double]? {
        let n = self.inputs
        let sums = device.serialized { () throws -> [Double] in
            let result = try device.scratch(outputs)
            let arguments: [KernelArgument] = [
                .int(outputs), .int(n), .buffer(try device.upload(inputs[0].magnitude, roundedUp: true)), .buffer(weights), .buffer(result),
            ]
            return try withExtendedLifetime(arguments) {
                try device.launch(magnitudeKernel, arguments, elements: outputs)
                return try device.read(result, count: outputs)
            }
        }
        guard let sums else { return cpu.weightedMagnitude(inputs) }
        let factor = 1 + 2 * allowance.gamma(n + 2), slack = Double(n) * allowance.flushSlack
        return sums.map { $0 * factor + slack }
    }

    /// `λ W` for the block's rows and per row the bias's share `Σ λ_o b_o` of the constant, with
    /// the allowance `γ_{outputs + 4} Σ|λ_o| M_o + γ_{outputs + 3} Σ|λ_o b_o|` in the device's
    /// arithmetic (the CPU's `γ_{outputs + 2}` and `γ_{outputs + 1}` in double): each entry of
    /// `λ W` is a dot product of `outputs` terms of rounded `λ` and `W`, off by at most
    /// `γ_{outputs + 2} Σ_o |λ_o w_oi|`, times `|x_i| <= m_i`, summed over `i`; one more for
    /// computing `Σ|λ_o| M_o` itself from rounded values. ``rowSlack(_:)`` adds flushed values.
    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        guard rows.rows > 0, let magnitudes = context.weightedMagnitude else { return cpu.backward(rows, context: context) }
        let slack = rowSlack(context.inputBounds[0].magnitude, magnitudes)
        let step = device.serialized { try backwardOnDevice(rows, magnitudes: magnitudes, rowSlack: slack) }
        return step ?? cpu.backward(rows, context: context)
    }

    private func backwardOnDevice(_ rows: RowBlock, magnitudes: [Double], rowSlack: Double) throws -> BackwardStep {
        let count = rows.rows, coefficients = try device.upload(rows.values)
        let result = try device.scratch(count * inputs)
        let constants = try device.scratch(count), constantMagnitudes = try device.scratch(count), errors = try device.scratch(count)
        let transposed: [KernelArgument] = [.int(count), .int(outputs), .int(inputs), .buffer(coefficients), .buffer(weights), .buffer(result)]
        let biasStep: [KernelArgument] = [
            .int(count), .int(outputs), .buffer(coefficients), .buffer(bias), .buffer(try device.upload(magnitudes, roundedUp: true)),
            device.factor(allowance.gamma(outputs + 3)), device.factor(allowance.gamma(outputs + 4)), device.factor(rowSlack),
            .buffer(constants), .buffer(constantMagnitudes), .buffer(errors),
        ]
        return try withExtendedLifetime((transposed, biasStep)) {
            // One work item per 8 inputs of a row.
            try device.launch(transposedKernel, transposed, elements: (inputs + 7) / 8, rows: count)
            try device.launch(biasKernel, biasStep, elements: count)
            var step = BackwardStep(inputs: [RowBlock(rows: count, width: inputs, values: try device.read(result, count: count * inputs))], rows: count)
            step.constants = try device.read(constants, count: count)
            step.constantMagnitude = try device.read(constantMagnitudes, count: count)
            // The errors' own sums (3 per output) are rounded too.
            let scale = 1 + 2 * allowance.gamma(3 * outputs + 2)
            step.errors = try device.read(errors, count: count).map { $0 * scale }
            return step
        }
    }

    /// The allowance of flushed values, added to every row (one whose coefficients all flush to
    /// zero still loses their terms): `outputs` products per input `i`
    /// (each times `|x_i| <= m_i`), a coefficient of float's subnormal range read as zero (its
    /// term at most the smallest normal number times `|y_o| <= |b_o| + M_o`), and the bias
    /// products; doubled for the rounding of this sum.
    private func rowSlack(_ inputMagnitude: [Double], _ magnitudes: [Double]) -> Double {
        let outputMagnitude = zip(affine.bias, magnitudes).reduce(0) { $0 + $1.0.magnitude + $1.1 }
        let flushed = Double(outputs) * (inputMagnitude.reduce(0, +) + 1) + outputMagnitude
        return 2 * flushed * allowance.flushSlack
    }
}
