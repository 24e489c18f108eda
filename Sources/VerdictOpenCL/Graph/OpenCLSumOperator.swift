import VerdictBounds
import VerdictCore

/// A sum `a ± b` of two computed tensors (a residual join) of the graph engine on an OpenCL
/// device (`kernels/sum.cl`): its intervals (IBP). The backward step stays the CPU rule's: it
/// is exact (rows passed to both inputs as they are or negated), so the device would only add
/// transfers, and in float a rounding of the rows; the pullback stays on the CPU rule too.
///
/// Soundness: against the CPU rule's `u max(|low|, |high|)` in double, the kernel counts
/// `2γ_2 max(|low|, |high|)` in the device's arithmetic (one addition, the bounds uploaded
/// rounded outward) and the smallest normal number for a result that flushes to zero. Where a
/// device call fails, the CPU rule answers it.
final class OpenCLSumOperator: CPUBackedRule, @unchecked Sendable {
    let sum: SumLayer
    let device: OpenCLGraphProgram
    let kernel: OpenCLKernel
    /// The CPU rule: the backward step, the pullback, and the answer where the device fails.
    let cpu: any BoundOperator

    init(_ sum: SumLayer, device: OpenCLGraphProgram) throws {
        self.sum = sum
        self.device = device
        kernel = try device.kernel("sum_interval", in: "sum.cl")
        cpu = try BoundOperators.make(sum)
    }

    var layer: any Layer { sum }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let a = inputs[0], b = inputs[1], width = a.lower.count, allowance = device.allowance
        let bounds = device.serialized { () throws -> ValueBounds in
            let arguments: [KernelArgument] = [
                .int(width), .int(sum.secondSign > 0 ? 1 : -1),
                .buffer(try device.upload(a.lower, roundedUp: false)), .buffer(try device.upload(a.upper, roundedUp: true)),
                .buffer(try device.upload(b.lower, roundedUp: false)), .buffer(try device.upload(b.upper, roundedUp: true)),
                device.factor(allowance.gamma(2)), device.factor(allowance.flushSlack + allowance.underflowSlack),
            ]
            return try device.intervalStep(kernel, arguments, outputs: width)
        }
        return bounds ?? cpu.interval(inputs, weightedMagnitude: weightedMagnitude)
    }
}
