import VerdictBounds
import VerdictCore

/// How far outputs are from an unsafe region: `min over disjuncts of max over rows (c·y + d)`.
/// At most zero means some disjunct's every constraint holds (up to rounding), so attacks
/// minimize it; the arg-min row is the one whose gradient they follow.
struct UnsafeMargin: Sendable {
    let objectives: Objectives

    init(region: OutputRegion, outputCount: Int) {
        objectives = Objectives(region: region, outputCount: outputCount)
    }

    /// The margin and the row that sets it (nil when the region is empty: margin infinity;
    /// a disjunct without rows is always reached: margin -infinity).
    func evaluate(_ outputs: [Double]) -> (value: Double, row: Int?) {
        let values = objectives.values(at: outputs)
        var worst = [Double](repeating: -.infinity, count: objectives.disjunctCount)
        var worstRow = [Int?](repeating: nil, count: objectives.disjunctCount)
        for row in 0..<objectives.rowCount where values[row] > worst[objectives.disjunctOfRow[row]] {
            worst[objectives.disjunctOfRow[row]] = values[row]
            worstRow[objectives.disjunctOfRow[row]] = row
        }
        guard let best = worst.indices.min(by: { worst[$0] < worst[$1] }) else { return (.infinity, nil) }
        return (worst[best], worstRow[best])
    }

    /// Output coefficients to descend: the sum of the rows of `row`'s disjunct that are not yet
    /// met. Following only the worst row of a conjunction zig-zags between its rows (ACAS Xu
    /// property 2 asks for one output above four others); the sum of the unmet rows is the
    /// gradient of the summed violations and moves them all at once.
    func descentCoefficients(forRowOf row: Int, outputs: [Double]) -> [Double] {
        let values = objectives.values(at: outputs)
        let disjunct = objectives.disjunctOfRow[row]
        var sum = [Double](repeating: 0, count: objectives.outputCount)
        for other in 0..<objectives.rowCount where objectives.disjunctOfRow[other] == disjunct && (other == row || values[other] > 0) {
            for (index, value) in rowCoefficients(other).enumerated() { sum[index] += value }
        }
        return sum
    }

    func rowCoefficients(_ row: Int) -> [Double] {
        Array(objectives.coefficients[(row * objectives.outputCount)..<((row + 1) * objectives.outputCount)])
    }
}
