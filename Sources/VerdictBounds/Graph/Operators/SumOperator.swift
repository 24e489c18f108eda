import VerdictCore

/// `a ± b` of two computed tensors (a residual join): rows pass back to both inputs as they
/// are; the engine adds them up where the branches meet again.
struct SumOperator: BoundOperator {
    let sum: SumLayer

    init(_ sum: SumLayer) { self.sum = sum }

    var layer: any Layer { sum }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let a = inputs[0], b = inputs[1], sign = sum.secondSign
        var result = a
        let unit = Rounding.double.unitRoundoff
        for j in a.lower.indices {
            let low = a.lower[j] + (sign > 0 ? b.lower[j] : -b.upper[j])
            let high = a.upper[j] + (sign > 0 ? b.upper[j] : -b.lower[j])
            (result.lower[j], result.upper[j]) = Rounding.widened(low, high, error: unit * max(low.magnitude, high.magnitude))
        }
        return result
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        var second = rows
        if sum.secondSign < 0 { second.values = rows.values.map { -$0 } }
        return BackwardStep(inputs: [rows, second], rows: rows.rows)
    }

    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]] {
        [upstream, sum.secondSign > 0 ? upstream : upstream.map { -$0 }]
    }
}
