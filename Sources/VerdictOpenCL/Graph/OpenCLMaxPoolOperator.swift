import VerdictBounds
import VerdictCore

/// A max pool of the graph engine on an OpenCL device (`kernels/max_pool.cl`): its intervals,
/// and the backward step through the CPU rule's relaxation (`y >= x_i` for the input with the
/// largest lower bound, `y <= U` the largest upper bound, `y = x_i` where the winner is
/// decided), a whole ``RowBlock`` as one batch. The relaxation and the pullback stay on the CPU
/// rule.
///
/// Soundness: intervals are exact maxima of bounds uploaded rounded outward. Against the CPU
/// rule's `γ_{overlap + 1} Σ|a| m_i + γ_{width + 1} Σ|a·U|` in double, the kernel counts the
/// same sums with `γ_{width + 2}` on the constant, `U` uploaded rounded up, `(u + flush)|a| M_o`
/// for `a`'s rounding to the device type (`M_o` the window's largest input magnitude), and the
/// host's slack for values of float's subnormal range read as zero. Where a device call fails,
/// the CPU rule answers it.
final class OpenCLMaxPoolOperator: CPUBackedRule, @unchecked Sendable {
    let pool: MaxPoolLayer
    let device: OpenCLGraphProgram
    let intervalKernel: OpenCLKernel
    let backwardKernel: OpenCLKernel
    /// The CPU rule: the relaxation, the pullback, and the answer where the device fails.
    let cpu: any BoundOperator
    let windows: [[Int]]
    /// The windows laid end to end, as the kernels read them.
    let windowStart: [Int32]
    let windowIndex: [Int32]
    /// The most windows one input belongs to.
    let overlap: Int

    init(_ pool: MaxPoolLayer, device: OpenCLGraphProgram) throws {
        self.pool = pool
        self.device = device
        intervalKernel = try device.kernel("max_pool_interval", in: "max_pool.cl")
        backwardKernel = try device.kernel("max_pool_backward", in: "max_pool.cl")
        cpu = try BoundOperators.make(pool)
        windows = pool.windows
        windowStart = windows.reduce(into: [Int32(0)]) { $0.append($0.last! + Int32($1.count)) }
        windowIndex = windows.flatMap { $0.map(Int32.init) }
        overlap = pool.overlap
    }

    var layer: any Layer { pool }
    private var allowance: RoundingAllowance { device.allowance }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let x = inputs[0], outputs = pool.outputCount
        let bounds = device.serialized { () throws -> ValueBounds in
            let arguments: [KernelArgument] = [
                .int(outputs), .buffer(try device.upload(int32s: windowStart)), .buffer(try device.upload(int32s: windowIndex)),
                .buffer(try device.upload(x.lower, roundedUp: false)), .buffer(try device.upload(x.upper, roundedUp: true)),
            ]
            return try device.intervalStep(intervalKernel, arguments, outputs: outputs)
        }
        return bounds ?? cpu.interval(inputs, weightedMagnitude: weightedMagnitude)
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        guard rows.rows > 0, rows.width == pool.outputCount, let lines = context.relaxation as? any MaxPoolLines else {
            return cpu.backward(rows, context: context)
        }
        let step = device.serialized { try backwardOnDevice(rows, lines, inputMagnitude: context.inputBounds[0].magnitude) }
        return step ?? cpu.backward(rows, context: context)
    }

    private func backwardOnDevice(_ rows: RowBlock, _ lines: any MaxPoolLines, inputMagnitude: [Double]) throws -> BackwardStep {
        let u = device.usesDouble ? 0 : allowance.unitRoundoff, flush = allowance.flushSlack
        let windowMagnitude = windows.map { window in window.map { inputMagnitude[$0] }.max() ?? 0 }
        // Coefficients, sums and products of the subnormal range read as zero, each times its
        // value's magnitude; doubled for the rounding of this sum.
        let rowSlack = 2 * flush * (windowMagnitude.reduce(0, +) + inputMagnitude.reduce(0, +) + Double(rows.width))
        let arguments: [KernelArgument] = [
            .int(rows.rows), .int(rows.width), .int(pool.inputCount), .buffer(try device.upload(rows.values)),
            .buffer(try device.upload(int32s: lines.lowerInput.map(Int32.init))), .buffer(try device.upload(int32s: lines.decided.map { $0 ? 1 : 0 })),
            .buffer(try device.upload(lines.upperBound, roundedUp: true)),
            .buffer(try device.upload(windowMagnitude, roundedUp: true)), .buffer(try device.upload(inputMagnitude, roundedUp: true)),
            device.factor(u + flush), device.factor(overlap > 1 ? allowance.gamma(overlap + 1) : 0),
            device.factor(allowance.gamma(rows.width + 2)), device.factor(rowSlack),
        ]
        return try device.rowStep(backwardKernel, arguments, rows: rows.rows, width: pool.inputCount, terms: 3 * rows.width + 1)
    }
}
