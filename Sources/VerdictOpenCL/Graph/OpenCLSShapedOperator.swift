import VerdictBounds
import VerdictCore

/// Sigmoid and Tanh of the graph engine on an OpenCL device (`kernels/sshaped.cl`): the backward
/// step of CROWN through the lines runs on the device, a whole ``RowBlock`` as one batch. The
/// lines are the CPU rule's (its ``BoundOperator/relax(_:phases:)``, and for α-CROWN's
/// optimized slopes the intercepts the host computes per row, as `SShapedOperator` does);
/// intervals, the relaxation and the pullback stay on the CPU rule.
///
/// Soundness: against the CPU rule's `2u|a·k| m + γ_{width + 1} Σ|a·c|` in double, the kernel
/// counts `4u|a·k| m` (the product, and the rounding of `a` and `k` to the device type),
/// `γ_{width + 3}` on the intercepts' sum (one more for `a`; the intercepts go up rounded in the
/// safe direction, so `a·c` only falls), `u|a|` for `a`'s rounding against `|y| <= 1`, and
/// values of float's subnormal range read as zero (``rowSlack(_:width:)`` and the flush
/// factors). Where a device call fails, the CPU rule answers it.
final class OpenCLSShapedOperator: CPUBackedRule, @unchecked Sendable {
    let activation: SShapedLayer
    let device: OpenCLGraphProgram
    let kernel: OpenCLKernel
    /// The CPU rule: intervals, lines, the pullback, and the answer where the device fails.
    let cpu: any BoundOperator

    init(_ activation: SShapedLayer, device: OpenCLGraphProgram) throws {
        self.activation = activation
        self.device = device
        kernel = try device.kernel("sshaped_backward", in: "sshaped.cl")
        cpu = try BoundOperators.make(activation)
    }

    var layer: any Layer { activation }
    private var allowance: RoundingAllowance { device.allowance }

    /// The lines the kernel reads: per neuron (`stride` 0) or per row (`stride` the width).
    struct LineTable {
        var lowerSlope: [Double], lowerIntercept: [Double], upperSlope: [Double], upperIntercept: [Double]
        var stride: Int
    }

    /// CROWN's lines, one per neuron and side.
    static func neuronLines(_ lines: any SShapedLines) -> LineTable {
        LineTable(
            lowerSlope: lines.lower.map(\.slope), lowerIntercept: lines.lower.map(\.intercept),
            upperSlope: lines.upper.map(\.slope), upperIntercept: lines.upper.map(\.intercept), stride: 0)
    }

    /// Per row, the line each non-zero coefficient uses with the row's optimized slopes (as the
    /// CPU rule picks it); the other side's entry stays zero.
    static func rowLines(_ rows: RowBlock, _ lines: any SShapedLines, _ slopes: [(lower: [Double], upper: [Double])]) -> LineTable {
        let zeros = [Double](repeating: 0, count: rows.rows * rows.width)
        var table = LineTable(lowerSlope: zeros, lowerIntercept: zeros, upperSlope: zeros, upperIntercept: zeros, stride: rows.width)
        for r in 0..<rows.rows {
            for j in 0..<rows.width where rows.values[r * rows.width + j] != 0 {
                let index = r * rows.width + j, positive = rows.values[index] > 0
                let line = lines.line(j, positive: positive, fraction: positive ? slopes[r].lower[j] : slopes[r].upper[j])
                if positive { (table.lowerSlope[index], table.lowerIntercept[index]) = (line.slope, line.intercept) }
                else { (table.upperSlope[index], table.upperIntercept[index]) = (line.slope, line.intercept) }
            }
        }
        return table
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        guard rows.rows > 0, let lines = context.relaxation as? any SShapedLines, lines.inputMagnitude.count == rows.width,
              context.lineSlopes.map({ $0.count == rows.rows }) ?? true else { return cpu.backward(rows, context: context) }
        let table = context.lineSlopes.map { Self.rowLines(rows, lines, $0) } ?? Self.neuronLines(lines)
        let step = device.serialized { try backwardOnDevice(rows, table, magnitude: lines.inputMagnitude) }
        return step ?? cpu.backward(rows, context: context)
    }

    private func backwardOnDevice(_ rows: RowBlock, _ table: LineTable, magnitude: [Double]) throws -> BackwardStep {
        let u = device.usesDouble ? 0 : allowance.unitRoundoff, flush = allowance.flushSlack
        let arguments: [KernelArgument] = [
            .int(rows.rows), .int(rows.width), .int(table.stride), .buffer(try device.upload(rows.values)),
            .buffer(try device.upload(table.lowerSlope)), .buffer(try device.upload(table.lowerIntercept, roundedUp: false)),
            .buffer(try device.upload(table.upperSlope)), .buffer(try device.upload(table.upperIntercept, roundedUp: true)),
            .buffer(try device.upload(magnitude, roundedUp: true)),
            device.factor(4 * allowance.unitRoundoff), device.factor(flush), device.factor(u + flush),
            device.factor(allowance.gamma(rows.width + 3)), device.factor(rowSlack(magnitude, width: rows.width)),
        ]
        return try device.rowStep(kernel, arguments, rows: rows.rows, width: rows.width, terms: 2 * rows.width + 2)
    }

    /// Values that flush to zero, per row: products `a·k` (each times `|z_j| <= m_j`), products
    /// `a·c`, and coefficients of float's subnormal range read as zero (each times `|y| <= 1`);
    /// doubled for the rounding of this sum.
    private func rowSlack(_ magnitude: [Double], width: Int) -> Double {
        2 * allowance.flushSlack * (magnitude.reduce(0, +) + 2 * Double(width))
    }
}
