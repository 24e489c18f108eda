import VerdictBounds
import VerdictCore

/// A ReLU of the graph engine on an OpenCL device (`kernels/relu.cl`): the backward step of
/// CROWN through the triangle relaxation, with α-CROWN's lower slopes and β-CROWN's split
/// multipliers per row, runs on the device, a whole ``RowBlock`` as one batch. Intervals, the
/// relaxation (the CPU rule's lines, with the split phases applied) and the pullback stay on
/// the CPU rule.
///
/// Soundness: against the CPU rule's `2u(|b| + |β|) m + γ_{width + 1} Σ|a·t|` in double, the
/// kernel counts `4u(|b| + |β|) m` (the product, the subtraction, the upper slope's rounding to
/// the device type), `u|a| m` for `a`'s rounding (`|y| <= m`), `γ_{width + 3}` on the intercepts'
/// sum; `t` goes up rounded up (so `a·t` only falls), and α in [0, 1] and β >= 0 stay valid
/// multipliers when rounded. Values of float's subnormal range read as zero are counted by the
/// flush factors and ``rowSlack(_:width:)``. Where a device call fails, the CPU rule answers it.
final class OpenCLReLUOperator: CPUBackedRule, @unchecked Sendable {
    let relu: ReLULayer
    let device: OpenCLGraphProgram
    let kernel: OpenCLKernel
    /// The CPU rule: intervals, lines, the pullback, and the answer where the device fails.
    let cpu: any BoundOperator

    init(_ relu: ReLULayer, device: OpenCLGraphProgram) throws {
        self.relu = relu
        self.device = device
        kernel = try device.kernel("relu_backward", in: "relu.cl")
        cpu = try BoundOperators.make(relu)
    }

    var layer: any Layer { relu }
    private var allowance: RoundingAllowance { device.allowance }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        guard rows.rows > 0, let lines = context.relaxation as? any ReLULines,
              Self.fits(context.alpha, rows), Self.fits(context.beta, rows) else { return cpu.backward(rows, context: context) }
        let step = device.serialized { try backwardOnDevice(rows, lines, alpha: context.alpha, beta: context.beta) }
        return step ?? cpu.backward(rows, context: context)
    }

    /// Whether per-row values (α or β) are absent or one full row per row of the block: the
    /// kernel reads them without bounds checks.
    static func fits(_ values: [[Double]]?, _ rows: RowBlock) -> Bool {
        guard let values else { return true }
        return values.count == rows.rows && values.allSatisfy { $0.count == rows.width }
    }

    private func backwardOnDevice(_ rows: RowBlock, _ lines: any ReLULines, alpha: [[Double]]?, beta: [[Double]]?) throws -> BackwardStep {
        let u = device.usesDouble ? 0 : allowance.unitRoundoff, flush = allowance.flushSlack
        let magnitude = lines.preActivationMagnitude
        let arguments: [KernelArgument] = [
            .int(rows.rows), .int(rows.width), .buffer(try device.upload(rows.values)),
            .buffer(try device.upload(lines.lowerSlope)), .buffer(try device.upload(lines.upperSlope)),
            .buffer(try device.upload(lines.upperIntercept, roundedUp: true)),
            .buffer(try device.upload(int32s: lines.isUnstable.map { $0 ? 1 : 0 })),
            .buffer(try device.upload(lines.splitSign)), .buffer(try device.upload(magnitude, roundedUp: true)),
            .int(alpha == nil ? 0 : 1), .buffer(try device.upload(alpha?.flatMap { $0 } ?? [])),
            .int(beta == nil ? 0 : 1), .buffer(try device.upload(beta?.flatMap { $0 } ?? [])),
            device.factor(4 * allowance.unitRoundoff), device.factor(u + flush), device.factor(flush),
            device.factor(allowance.gamma(rows.width + 3)), device.factor(rowSlack(magnitude, width: rows.width)),
        ]
        return try device.rowStep(kernel, arguments, rows: rows.rows, width: rows.width, terms: 2 * rows.width + 2)
    }

    /// Values that flush to zero, per row: products `a·k` and coefficients of float's subnormal
    /// range read as zero (each times `|z_j|` or `|y_j| <= m_j`), and products `a·t`; doubled for
    /// the rounding of this sum.
    private func rowSlack(_ magnitude: [Double], width: Int) -> Double {
        2 * allowance.flushSlack * (2 * magnitude.reduce(0, +) + Double(width))
    }
}
