import VerdictBounds
import VerdictCore

/// An elementwise `s ⊙ x + t` (an unfolded batch normalization) of the graph engine on an
/// OpenCL device (`kernels/scale_shift.cl`): intervals (IBP) and the backward step of CROWN,
/// a whole ``RowBlock`` as one batch; the pullback stays on the CPU rule.
///
/// Soundness: against the CPU rule's `γ_2 (|s| m + |t|)` for intervals and `2u|a·s| m +
/// γ_{width + 1} Σ|a·t|` for the step in double, the kernels count `γ_4` (the rounding of `s`,
/// `t` and the bounds to the device type; the bounds go up rounded outward), `4u|a·s| m` (the
/// product, and the rounding of `a` and `s`) and `γ_{width + 3}`; ``rowSlack(_:)`` and the
/// interval's slack count products and coefficients that flush to zero. A layer with a scale or
/// shift outside float's normal range stays on the CPU rule on a float device. Where a device
/// call fails, the CPU rule answers it.
final class OpenCLScaleShiftOperator: CPUBackedRule, @unchecked Sendable {
    let scaleShift: ScaleShiftLayer
    let device: OpenCLGraphProgram
    let scale: OpenCLBuffer
    let shift: OpenCLBuffer
    let intervalKernel: OpenCLKernel
    let backwardKernel: OpenCLKernel
    /// The CPU rule: the pullback, and the answer where the device fails.
    let cpu: any BoundOperator

    /// Nil where the layer stays on the CPU rule (a float device and values it cannot hold).
    init?(_ scaleShift: ScaleShiftLayer, device: OpenCLGraphProgram) throws {
        guard device.usesDouble || OpenCLAffineOperator.fitsFloat(scaleShift.scale + scaleShift.shift) else { return nil }
        self.scaleShift = scaleShift
        self.device = device
        scale = try device.upload(scaleShift.scale)
        shift = try device.upload(scaleShift.shift)
        intervalKernel = try device.kernel("scale_shift_interval", in: "scale_shift.cl")
        backwardKernel = try device.kernel("scale_shift_backward", in: "scale_shift.cl")
        cpu = try BoundOperators.make(scaleShift)
    }

    var layer: any Layer { scaleShift }
    private var allowance: RoundingAllowance { device.allowance }
    private var width: Int { scaleShift.scale.count }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let x = inputs[0]
        let bounds = device.serialized { () throws -> ValueBounds in
            let arguments: [KernelArgument] = [
                .int(width), .buffer(try device.upload(x.lower, roundedUp: false)), .buffer(try device.upload(x.upper, roundedUp: true)),
                .buffer(scale), .buffer(shift), device.factor(allowance.gamma(4)), device.factor(2 * allowance.flushSlack + allowance.underflowSlack),
            ]
            return try device.intervalStep(intervalKernel, arguments, outputs: width)
        }
        return bounds ?? cpu.interval(inputs, weightedMagnitude: weightedMagnitude)
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        guard rows.rows > 0 else { return cpu.backward(rows, context: context) }
        let magnitude = context.inputBounds[0].magnitude
        let step = device.serialized { () throws -> BackwardStep in
            let arguments: [KernelArgument] = [
                .int(rows.rows), .int(rows.width), .buffer(try device.upload(rows.values)), .buffer(scale), .buffer(shift),
                .buffer(try device.upload(magnitude, roundedUp: true)),
                device.factor(4 * allowance.unitRoundoff), device.factor(allowance.gamma(rows.width + 3)), device.factor(rowSlack(magnitude)),
            ]
            return try device.rowStep(backwardKernel, arguments, rows: rows.rows, width: rows.width, terms: 2 * rows.width + 2)
        }
        return step ?? cpu.backward(rows, context: context)
    }

    /// Values that flush to zero, per row: products `a·s` (times `|x_j| <= m_j`) and `a·t`, and
    /// coefficients of float's subnormal range read as zero (times `|y_j| <= |s_j| m_j + |t_j|`);
    /// doubled for the rounding of this sum.
    private func rowSlack(_ magnitude: [Double]) -> Double {
        let outputs = zip(magnitude.indices, magnitude).reduce(0.0) { sum, element in
            sum + scaleShift.scale[element.0].magnitude * element.1 + scaleShift.shift[element.0].magnitude
        }
        return 2 * allowance.flushSlack * (magnitude.reduce(0, +) + Double(width) + outputs)
    }
}
