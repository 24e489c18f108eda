import VerdictCore

/// The largest input of each window. Intervals are exact. The relaxation: where one input's
/// lower bound reaches every other input's upper bound, the output is that input; elsewhere
/// it is at least the input with the largest lower bound and at most the largest upper bound.
struct MaxPoolOperator: BoundOperator {
    let pool: MaxPoolLayer
    let windows: [[Int]]
    /// The most windows one input belongs to: how many coefficients one entry may sum.
    let overlap: Int

    init(_ pool: MaxPoolLayer) {
        self.pool = pool
        windows = pool.windows
        overlap = pool.overlap
    }

    var layer: any Layer { pool }

    struct Lines: MaxPoolLines {
        /// Per output: the input whose value bounds it from below (and equals it when decided).
        var lowerInput: [Int]
        /// Per output: whether the window's winner is known.
        var decided: [Bool]
        /// Per output: the largest upper bound in the window.
        var upperBound: [Double]
    }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let x = inputs[0]
        return ValueBounds(
            lower: windows.map { $0.map { x.lower[$0] }.max() ?? -.infinity },
            upper: windows.map { $0.map { x.upper[$0] }.max() ?? -.infinity })
    }

    func relax(_ inputs: [ValueBounds], phases: [ReluPhase]?) -> RelaxationResult {
        let x = inputs[0]
        var lines = Lines(lowerInput: [], decided: [], upperBound: [])
        for window in windows {
            let best = window.max { x.lower[$0] < x.lower[$1] }!
            let otherUpper = window.filter { $0 != best }.map { x.upper[$0] }.max() ?? -.infinity
            lines.lowerInput.append(best)
            lines.decided.append(x.lower[best] >= otherUpper)
            lines.upperBound.append(window.map { x.upper[$0] }.max()!)
        }
        return .relaxed(lines)
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        let lines = context.relaxation as! Lines
        let magnitude = context.inputBounds[0].magnitude
        var step = BackwardStep(inputs: [RowBlock(rows: rows.rows, width: pool.inputCount)], rows: rows.rows)
        let sumGamma = Rounding.double.gamma(overlap + 1), constantGamma = Rounding.double.gamma(rows.width + 1)
        for r in 0..<rows.rows {
            var constant = 0.0, constantMagnitude = 0.0, moved = 0.0
            for o in 0..<rows.width {
                let a = rows.values[r * rows.width + o]
                if a == 0 { continue }
                if a > 0 || lines.decided[o] {
                    let i = lines.lowerInput[o]
                    step.inputs[0]!.values[r * pool.inputCount + i] += a
                    moved += a.magnitude * magnitude[i]
                } else {
                    let term = a * lines.upperBound[o]
                    constant += term
                    constantMagnitude += term.magnitude
                }
            }
            step.constants[r] = constant
            step.constantMagnitude[r] = constantMagnitude
            step.errors[r] = (overlap > 1 ? sumGamma * moved : 0) + constantGamma * constantMagnitude
        }
        return step
    }

    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]] {
        var result = [Double](repeating: 0, count: pool.inputCount)
        for (o, window) in windows.enumerated() where upstream[o] != 0 {
            let winner = window.max { inputs[0][$0] < inputs[0][$1] }!
            result[winner] += upstream[o]
        }
        return [result]
    }
}

/// A max pool's relaxation as rules outside this module read it (the OpenCL registry's device
/// step applies the lines the CPU rule's ``BoundOperator/relax(_:phases:)`` built).
public protocol MaxPoolLines: OperatorRelaxation {
    /// Per output: the input whose value bounds it from below (and equals it when decided).
    var lowerInput: [Int] { get }
    /// Per output: whether the window's winner is known.
    var decided: [Bool] { get }
    /// Per output: the largest upper bound in the window.
    var upperBound: [Double] { get }
}
