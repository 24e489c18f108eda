import VerdictCore

/// `max(0, x)`: exact intervals; the triangle relaxation of ``ReluRelaxation`` (with the
/// split phases applied) for rows passed back.
struct ReLUOperator: BoundOperator {
    let relu: ReLULayer

    init(_ relu: ReLULayer) { self.relu = relu }

    var layer: any Layer { relu }

    /// The relaxation and the pre-activation bounds with the phases applied.
    struct Lines: ReLULines {
        var lines: ReluRelaxation
        var bounds: ValueBounds

        var lowerSlope: [Double] { lines.lowerSlope }
        var upperSlope: [Double] { lines.upperSlope }
        var upperIntercept: [Double] { lines.upperIntercept }
        var isUnstable: [Bool] { lines.isUnstable }
        var splitSign: [Double] { lines.splitSign }
        var preActivationMagnitude: [Double] { lines.preActivationMagnitude }
    }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        ValueBounds(lower: inputs[0].lower.map { max(0, $0) }, upper: inputs[0].upper.map { max(0, $0) })
    }

    func relax(_ inputs: [ValueBounds], phases: [ReluPhase]?) -> RelaxationResult {
        var lower = inputs[0].lower, upper = inputs[0].upper
        let phases = phases ?? Array(repeating: .free, count: lower.count)
        guard let lines = ReluRelaxation(lower: &lower, upper: &upper, phases: phases) else { return .infeasible }
        return .relaxed(Lines(lines: lines, bounds: ValueBounds(lower: lower, upper: upper)))
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        backward(rows, segments: [RowSegment(rows: 0..<rows.rows, context: context)])
    }

    /// Each segment's rows through its own subproblem's lines (α and β where given).
    func backward(_ rows: RowBlock, segments: [RowSegment]) -> BackwardStep {
        var step = BackwardStep(inputs: [], rows: rows.rows)
        var values = rows.values
        values.withUnsafeMutableBufferPointer { out in
            for segment in segments { passBack(segment, out, width: rows.width, into: &step) }
        }
        step.inputs = [RowBlock(rows: rows.rows, width: rows.width, values: values)]
        return step
    }

    /// One segment's rows of `out` (a copy of the rows) replaced by what passes through the
    /// lines; their intercepts become the step's constants.
    private func passBack(_ segment: RowSegment, _ out: UnsafeMutableBufferPointer<Double>, width: Int, into step: inout BackwardStep) {
        let context = segment.context
        let relaxation = (context.relaxation as! Lines).lines
        let unit = Rounding.double.unitRoundoff
        let interceptGamma = Rounding.double.gamma(width + 1)
        // The lines' arrays as buffers: on conv nets this loop runs over every ReLU of every
        // row, and array accesses (checked, re-read through the struct) cost twice the time.
        do {
            relaxation.lowerSlope.withUnsafeBufferPointer { lowerSlope in
            relaxation.upperSlope.withUnsafeBufferPointer { upperSlope in
            relaxation.upperIntercept.withUnsafeBufferPointer { upperIntercept in
            relaxation.isUnstable.withUnsafeBufferPointer { isUnstable in
            relaxation.splitSign.withUnsafeBufferPointer { splitSign in
            relaxation.preActivationMagnitude.withUnsafeBufferPointer { magnitude in
                for r in segment.rows {
                    var intercept = 0.0, interceptMagnitude = 0.0, error = 0.0
                    let row = out.baseAddress! + r * width
                    // α replaces the lower slope of unstable neurons only; without α every
                    // neuron keeps its own.
                    let alpha = context.alpha?[r - segment.rows.lowerBound] ?? relaxation.lowerSlope
                    let beta = context.beta?[r - segment.rows.lowerBound]
                    precondition(alpha.count == width && (beta?.count ?? width) == width, "α or β of the wrong width")
                    alpha.withUnsafeBufferPointer { alpha in
                    (beta ?? []).withUnsafeBufferPointer { beta in
                        for j in 0..<width {
                            let a = row[j]
                            var b = 0.0
                            if a > 0 {
                                b = a * (isUnstable[j] ? alpha[j] : lowerSlope[j])
                            } else if a < 0 {
                                b = a * upperSlope[j]
                                let term = a * upperIntercept[j]
                                intercept += term
                                interceptMagnitude += term.magnitude
                            }
                            // β-CROWN: the split constraint sign·z >= 0 times β >= 0, subtracted.
                            var betaTerm = 0.0
                            if !beta.isEmpty, splitSign[j] != 0, beta[j] != 0 {
                                betaTerm = beta[j] * splitSign[j]
                                b -= betaTerm
                            }
                            if b == 0 && a == 0 { continue }
                            // The product's and the subtraction's rounding, times |z| <= m.
                            error += 2 * unit * (b.magnitude + betaTerm.magnitude) * magnitude[j]
                            row[j] = b
                        }
                    }
                    }
                    step.constants[r] = intercept
                    step.constantMagnitude[r] = interceptMagnitude
                    step.errors[r] = error + interceptGamma * interceptMagnitude
                }
            }
            }
            }
            }
            }
            }
        }
    }

    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]] {
        [zip(upstream, inputs[0]).map { $1 > 0 ? $0 : 0 }]
    }
}

/// A ReLU node's relaxation as rules outside this module read it (the OpenCL registry's device
/// step), the arrays of ``ReluRelaxation``: per neuron the lower slope (where α does not
/// replace it), the upper line `s·z + t` (`t` rounded up), whether α may replace the lower
/// slope, the sign of its split constraint (0 for none) and `max(|l|, |u|)`.
public protocol ReLULines: OperatorRelaxation {
    var lowerSlope: [Double] { get }
    var upperSlope: [Double] { get }
    var upperIntercept: [Double] { get }
    var isUnstable: [Bool] { get }
    var splitSign: [Double] { get }
    var preActivationMagnitude: [Double] { get }
}
