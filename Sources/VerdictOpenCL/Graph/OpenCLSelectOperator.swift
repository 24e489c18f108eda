import VerdictBounds
import VerdictCore

/// Copies and constants (Pad, Concat) of the graph engine on an OpenCL device
/// (`kernels/select.cl`): intervals, and the backward step that sends each coefficient to the
/// element its output copies, a whole ``RowBlock`` as one batch (read back as one block over
/// the inputs laid end to end, then cut per input). The pullback stays on the CPU rule.
///
/// Soundness: intervals are copies of bounds uploaded rounded outward (a constant's, its fill
/// rounded down and up). Against the CPU rule's `γ_{duplicates + 1} Σ|a| m + γ_{width + 1}
/// Σ|a·fill|` in double, the kernel counts the same sums with `γ_{width + 2}` on the constant,
/// `(u + flush)|a|` times the copied value's magnitude (twice the fill's for a constant, whose
/// upload rounds too), and the host's slack for values of float's subnormal range read as
/// zero. Where a device call fails, the CPU rule answers it.
final class OpenCLSelectOperator: CPUBackedRule, @unchecked Sendable {
    let select: SelectLayer
    let device: OpenCLGraphProgram
    let intervalKernel: OpenCLKernel
    let backwardKernel: OpenCLKernel
    /// The CPU rule: the pullback, and the answer where the device fails.
    let cpu: any BoundOperator
    let sources: [Int32]
    /// The most outputs that copy one input element.
    let duplicates: Int

    init(_ select: SelectLayer, device: OpenCLGraphProgram) throws {
        self.select = select
        self.device = device
        intervalKernel = try device.kernel("select_interval", in: "select.cl")
        backwardKernel = try device.kernel("select_backward", in: "select.cl")
        cpu = try BoundOperators.make(select)
        sources = select.sources.map(Int32.init)
        duplicates = select.duplicates
    }

    var layer: any Layer { select }
    private var allowance: RoundingAllowance { device.allowance }
    private var outputs: Int { select.sources.count }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        guard inputs.map(\.lower.count) == select.inputCounts else { return cpu.interval(inputs, weightedMagnitude: weightedMagnitude) }
        let outputs = self.outputs
        let bounds = device.serialized { () throws -> ValueBounds in
            let arguments: [KernelArgument] = [
                .int(outputs), .buffer(try device.upload(int32s: sources)),
                .buffer(try device.upload(select.fill, roundedUp: false)), .buffer(try device.upload(select.fill, roundedUp: true)),
                .buffer(try device.upload(inputs.flatMap(\.lower), roundedUp: false)), .buffer(try device.upload(inputs.flatMap(\.upper), roundedUp: true)),
            ]
            return try device.intervalStep(intervalKernel, arguments, outputs: outputs)
        }
        return bounds ?? cpu.interval(inputs, weightedMagnitude: weightedMagnitude)
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        guard rows.rows > 0, rows.width == outputs, context.inputBounds.map(\.lower.count) == select.inputCounts else {
            return cpu.backward(rows, context: context)
        }
        let step = device.serialized { try backwardOnDevice(rows, inputMagnitude: context.inputBounds.flatMap(\.magnitude)) }
        return step ?? cpu.backward(rows, context: context)
    }

    private func backwardOnDevice(_ rows: RowBlock, inputMagnitude: [Double]) throws -> BackwardStep {
        let u = device.usesDouble ? 0 : allowance.unitRoundoff, flush = allowance.flushSlack
        let width = inputMagnitude.count
        let copied = select.sources.indices.map { select.sources[$0] >= 0 ? inputMagnitude[select.sources[$0]] : select.fill[$0].magnitude }
        let rowSlack = 2 * flush * (copied.reduce(0, +) + inputMagnitude.reduce(0, +) + Double(rows.width))
        let arguments: [KernelArgument] = [
            .int(rows.rows), .int(rows.width), .int(width), .buffer(try device.upload(rows.values)),
            .buffer(try device.upload(int32s: sources)), .buffer(try device.upload(select.fill)),
            .buffer(try device.upload(inputMagnitude, roundedUp: true)),
            device.factor(u + flush), device.factor(duplicates > 1 ? allowance.gamma(duplicates + 1) : 0),
            device.factor(allowance.gamma(rows.width + 2)), device.factor(rowSlack),
        ]
        var step = try device.rowStep(backwardKernel, arguments, rows: rows.rows, width: width, terms: 3 * rows.width + 1)
        // One block over the inputs laid end to end, cut per input.
        let all = step.inputs[0]!.values
        var offset = 0
        step.inputs = select.inputCounts.map { count in
            defer { offset += count }
            var block = RowBlock(rows: rows.rows, width: count)
            for r in 0..<rows.rows { block.values.replaceSubrange((r * count)..<((r + 1) * count), with: all[(r * width + offset)..<(r * width + offset + count)]) }
            return block
        }
        return step
    }
}
