/// A comparison brought to `expression <= 0` (or `< 0` when strict).
struct Comparison {
    var expression: LinearExpression
    var isStrict: Bool
    var position: SourcePosition

    /// The comparison that holds exactly when this one does not.
    var negated: Comparison {
        Comparison(expression: expression.negated, isStrict: !isStrict, position: position)
    }
}

/// A formula in negation normal form: negations are pushed into the comparisons while reading.
indirect enum Formula {
    case comparison(Comparison)
    case and([Formula])
    case or([Formula])

    /// Disjunctive normal form: a list of conjunctions of comparisons.
    /// Stops with nil when it would hold more than `limit` comparisons in all; the size of a
    /// distribution is computed before it is built, so a refused form costs no memory.
    func disjunctiveNormalForm(limit: Int) -> [[Comparison]]? {
        switch self {
        case .comparison(let comparison):
            return [[comparison]]
        case .or(let parts):
            var result: [[Comparison]] = []
            var total = 0
            for part in parts {
                guard let disjuncts = part.disjunctiveNormalForm(limit: limit) else { return nil }
                total += disjuncts.reduce(0) { $0 + $1.count }
                if total > limit { return nil }
                result.append(contentsOf: disjuncts)
            }
            return result
        case .and(let parts):
            var result: [[Comparison]] = [[]]
            var total = 0
            for part in parts {
                guard let disjuncts = part.disjunctiveNormalForm(limit: limit),
                    let grown = Formula.conjoin(&result, total: total, disjuncts, limit: limit)
                else { return nil }
                total = grown
            }
            return result
        }
    }

    /// `(A1 ∨ A2 ∨ ...) ∧ (B1 ∨ B2 ∨ ...)` distributed into `left` (holding `total`
    /// comparisons); returns the new total, or nil (leaving `left` as it was) when it would
    /// pass `limit`. A single conjunction on the right, the common case of thousands of
    /// one-bound assertions, is appended in place, so a long conjunction takes linear time.
    static func conjoin(_ left: inout [[Comparison]], total: Int, _ right: [[Comparison]], limit: Int) -> Int? {
        let rightTotal = right.reduce(0) { $0 + $1.count }
        // Σ over pairs of (|l| + |r|) = |right|·Σ|l| + |left|·Σ|r|, in overflow-checked steps.
        let (leftPart, overflow1) = right.count.multipliedReportingOverflow(by: total)
        let (rightPart, overflow2) = left.count.multipliedReportingOverflow(by: rightTotal)
        let (grown, overflow3) = leftPart.addingReportingOverflow(rightPart)
        guard !overflow1, !overflow2, !overflow3, grown <= limit else { return nil }
        if right.count == 1 {
            for index in left.indices { left[index].append(contentsOf: right[0]) }
            return grown
        }
        var result: [[Comparison]] = []
        result.reserveCapacity(left.count * right.count)
        for first in left {
            for second in right { result.append(first + second) }
        }
        left = result
        return grown
    }
}
