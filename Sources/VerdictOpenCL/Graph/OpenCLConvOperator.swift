import VerdictBounds
import VerdictCore

/// A convolution (or average pool) of the graph engine on an OpenCL device, as
/// `ConvOperator` is on the CPU: intervals (IBP), the magnitude factor `|W|·m` and the backward
/// step of CROWN run through ``OpenCLConvolution``, a whole ``RowBlock`` as one batch; the
/// derivative for attacks (`pullback`) stays on the CPU.
///
/// Soundness as on the CPU: the device computes in round-to-nearest and every result carries an
/// outward allowance of its own rounding, at least the CPU rule's (the kernels count, besides,
/// the rounding of weights, coefficients and bounds to the device type, and products that flush
/// to zero). Where a device call fails, the call is answered by the CPU rule (as sound, only
/// slower), so a bound is never lost to a device error. Immutable after init; the device layer
/// is touched only under the program's lock (hence `@unchecked Sendable`).
final class OpenCLConvOperator: CPUBackedRule, @unchecked Sendable {
    let conv: ConvLayer
    let device: OpenCLGraphProgram
    let layerOnDevice: OpenCLConvolution
    /// The CPU rule: the pullback, and the answer where the device fails.
    let cpu: any BoundOperator

    init(_ conv: ConvLayer, device: OpenCLGraphProgram) throws {
        self.conv = conv
        self.device = device
        layerOnDevice = try OpenCLConvolution(conv, program: device.convolution)
        cpu = try BoundOperators.make(conv)
    }

    var layer: any Layer { conv }

    private var allowance: RoundingAllowance { device.convolution.allowance }

    /// `body` on the device under the program's lock; nil where it fails.
    private func onDevice<R>(_ body: (OpenCLConvolution) throws -> R) -> R? {
        device.serialized { try body(layerOnDevice) }
    }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        // The kernel adds its own allowance (γ_{fanIn + 4} of the device's arithmetic on
        // |b| + Σ|w·c| + |W| r, plus flushed products), at least the CPU rule's.
        let x = inputs[0]
        guard let bounds = onDevice({ try $0.interval(lower: x.lower, upper: x.upper, rows: 1) }) else {
            return cpu.interval(inputs, weightedMagnitude: weightedMagnitude)
        }
        return ValueBounds(lower: bounds.lower, upper: bounds.upper)
    }

    /// `|W|·m` rounded up: the input magnitudes go up to the device type rounded up, the sums
    /// (at most `γ_fanIn` low relative to the rounded weights, which are at most `u` low) are
    /// scaled by `1 + 2γ_{fanIn + 2}`, and each product may flush to zero (`fanIn` times the
    /// smallest normal number, absolutely).
    func weightedMagnitude(_ inputs: [ValueBounds]) -> [Double]? {
        let m = inputs[0].magnitude
        let sums: [Double]? = onDevice { layer in
            if layer.usesDouble {
                return try layer.forward(m, rows: 1, includeBias: false, absoluteWeights: true, withMagnitudes: false).values
            }
            let up = OpenCLBoundKernels.floats(m, towardsPositive: true)
            return try layer.forward(up, rows: 1, includeBias: false, absoluteWeights: true, withMagnitudes: false).values.map(Double.init)
        }
        guard let sums else { return cpu.weightedMagnitude(inputs) }
        let factor = 1 + 2 * allowance.gamma(conv.fanIn + 2), slack = Double(conv.fanIn) * allowance.flushSlack
        return sums.map { $0 * factor + slack }
    }

    /// `λ W` for the block's rows (the transposed convolution), and per row the bias's share
    /// `Σ λ_o b_o` of the constant with the step's allowance `γ_{fanOut + 3} Σ|λ_o| m_o +
    /// γ_{outputs + 2} Σ|λ_o b_o|` (+ flushed products) in the device's arithmetic, against
    /// the CPU rule's `γ_{fanOut + 2}` and `γ_{outputs + 1}` in double.
    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        guard rows.rows > 0, let magnitudes = context.weightedMagnitude else { return cpu.backward(rows, context: context) }
        let inputMagnitude = context.inputBounds[0].magnitude
        // Σ m', rounded up generously (it only scales the flush slack).
        let inputMagnitudeSum = inputMagnitude.reduce(0, +) * (1 + RoundingAllowance.double.gamma(inputMagnitude.count + 1))
        let owner = [Int32](repeating: 0, count: rows.rows)
        let result = onDevice { layer in
            try layer.backwardStep(rows.values, rows: rows.rows, owner: owner, weightedMagnitude: magnitudes, inputMagnitudeSum: [inputMagnitudeSum])
        }
        guard case let (values, bias)? = result else { return cpu.backward(rows, context: context) }
        var step = BackwardStep(inputs: [RowBlock(rows: rows.rows, width: conv.inputCount, values: values)], rows: rows.rows)
        step.constants = bias.constants
        step.constantMagnitude = bias.constantMagnitudes
        step.errors = bias.errors
        return step
    }
}
