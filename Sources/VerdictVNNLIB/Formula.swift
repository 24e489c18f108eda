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
    /// Stops with nil when it would hold more than `limit` comparisons in all.
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
            for part in parts {
                guard let disjuncts = part.disjunctiveNormalForm(limit: limit) else { return nil }
                result = Formula.conjoin(result, disjuncts)
                if result.reduce(0, { $0 + $1.count }) > limit { return nil }
            }
            return result
        }
    }

    /// `(A1 ∨ A2 ∨ ...) ∧ (B1 ∨ B2 ∨ ...)` distributed; appends in place when the right side
    /// is a single conjunction, the common case of thousands of one-bound assertions.
    static func conjoin(_ left: [[Comparison]], _ right: [[Comparison]]) -> [[Comparison]] {
        if right.count == 1 {
            var result = left
            for index in result.indices { result[index].append(contentsOf: right[0]) }
            return result
        }
        var result: [[Comparison]] = []
        result.reserveCapacity(left.count * right.count)
        for first in left {
            for second in right { result.append(first + second) }
        }
        return result
    }
}
