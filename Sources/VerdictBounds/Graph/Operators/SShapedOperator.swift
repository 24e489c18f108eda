import VerdictCore

/// Sigmoid and Tanh: intervals from monotonicity, the lines of ``SShapedRelaxation`` for rows
/// passed back. Their input bounds are tightened by CROWN before they are relaxed
/// (``needsTightInputBounds``): every neuron's lines depend on them, not only unstable ones'.
/// α-CROWN optimizes both lines' slopes per row (``OperatorContext/lineSlopes``, as fractions
/// of the steepest slope); each slope's intercept is recomputed soundly.
struct SShapedOperator: BoundOperator {
    let activation: SShapedLayer

    init(_ activation: SShapedLayer) { self.activation = activation }

    var layer: any Layer { activation }
    var needsTightInputBounds: Bool { true }

    /// Each neuron's CROWN lines, its input bounds, and `max(|l|, |u|)` for the rounding
    /// allowances.
    struct Lines: SShapedLines {
        var function: SShapedLayer.Function
        var lower: [Line]
        var upper: [Line]
        var inputBounds: ValueBounds
        var inputMagnitude: [Double]

        /// Whether neuron `j`'s lines can be optimized (a finite, non-degenerate interval).
        func isOptimizable(_ j: Int) -> Bool {
            let l = inputBounds.lower[j], u = inputBounds.upper[j]
            return l.isFinite && u.isFinite && u - l > 1e-9 && u - l < 1e6
        }

        /// The line of neuron `j` on the side a coefficient of sign `positive` uses, with the
        /// optimized slope `fraction · steepest` where given.
        func line(_ j: Int, positive: Bool, fraction: Double?) -> Line {
            guard let fraction, isOptimizable(j) else { return positive ? lower[j] : upper[j] }
            let k = fraction * function.steepestSlope, l = inputBounds.lower[j], u = inputBounds.upper[j]
            return positive ? SShapedRelaxation.lowerLine(function, slope: k, l, u) : SShapedRelaxation.upperLine(function, slope: k, l, u)
        }
    }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        // f increases; libm is within 8u of it on [-1, 1].
        let slack = 16 * Rounding.double.unitRoundoff, range = activation.function.range
        let f = activation.function
        return ValueBounds(
            lower: inputs[0].lower.map { max(f.value($0) - slack, range.lowerBound) },
            upper: inputs[0].upper.map { min(f.value($0) + slack, range.upperBound) })
    }

    func relax(_ inputs: [ValueBounds], phases: [ReluPhase]?) -> RelaxationResult {
        let bounds = inputs[0]
        var lines = Lines(function: activation.function, lower: [], upper: [], inputBounds: bounds, inputMagnitude: bounds.magnitude)
        for j in bounds.lower.indices {
            let (lower, upper) = SShapedRelaxation.lines(activation.function, lower: bounds.lower[j], upper: bounds.upper[j])
            lines.lower.append(lower)
            lines.upper.append(upper)
        }
        return .relaxed(lines)
    }

    /// `a·y >= a·(k z + b)` with the lower line where `a > 0`, the upper where `a < 0`. The
    /// coefficients' rounding counts times `|z| <= M`, the intercepts' sum by `γ`.
    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        let lines = context.relaxation as! Lines
        let width = rows.width, unit = Rounding.double.unitRoundoff
        let interceptGamma = Rounding.double.gamma(width + 1)
        var step = BackwardStep(inputs: [rows], rows: rows.rows)
        step.inputs[0]!.values.withUnsafeMutableBufferPointer { out in
            for r in 0..<rows.rows {
                var intercept = 0.0, interceptMagnitude = 0.0, error = 0.0
                let base = r * width
                let slopes = context.lineSlopes?[r]
                for j in 0..<width where out[base + j] != 0 {
                    let a = out[base + j]
                    let line = lines.line(j, positive: a > 0, fraction: slopes.map { a > 0 ? $0.lower[j] : $0.upper[j] })
                    let b = a * line.slope
                    let term = a * line.intercept
                    intercept += term
                    interceptMagnitude += term.magnitude
                    // A flat line (b = 0) over an unbounded input adds no rounding: 0·∞ would be NaN.
                    if b != 0 { error += 2 * unit * b.magnitude * lines.inputMagnitude[j] }
                    out[base + j] = b
                }
                step.constants[r] = intercept
                step.constantMagnitude[r] = interceptMagnitude
                step.errors[r] = error + interceptGamma * interceptMagnitude
            }
        }
        return step
    }

    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]] {
        [zip(upstream, inputs[0]).map { $0 * activation.function.derivative($1) }]
    }
}

/// An S-shaped node's relaxation as rules outside this module read it (the OpenCL registry's
/// device step applies the lines the CPU rule's ``BoundOperator/relax(_:phases:)`` built).
public protocol SShapedLines: OperatorRelaxation {
    /// Each neuron's CROWN lines: the lower one for positive coefficients, the upper for negative.
    var lower: [Line] { get }
    var upper: [Line] { get }
    /// `max(|l|, |u|)` of each neuron's input.
    var inputMagnitude: [Double] { get }
    /// The line of neuron `j` on the side a coefficient of sign `positive` uses, with the
    /// optimized slope `fraction · steepest` where given (as the CPU rule's backward step).
    func line(_ j: Int, positive: Bool, fraction: Double?) -> Line
}
