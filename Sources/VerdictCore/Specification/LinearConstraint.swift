/// One linear constraint over the network outputs, `Σ coefficient·y[index] <= bound`
/// (or `<` when strict). Every VNN-LIB comparison is brought to this form.
public struct LinearConstraint: Hashable, Sendable, CustomStringConvertible {
    public struct Term: Hashable, Sendable {
        public let index: Int
        public let coefficient: Double

        public init(index: Int, coefficient: Double) {
            self.index = index
            self.coefficient = coefficient
        }
    }

    /// Sorted by output index, no zero coefficients, each index once. Coefficients are exact.
    public let terms: [Term]
    /// Encloses the real right-hand side (see ``RealInterval``).
    public let bound: RealInterval
    public let isStrict: Bool

    public init(terms: [Term], bound: RealInterval, isStrict: Bool = false) {
        var merged: [Int: Double] = [:]
        for term in terms { merged[term.index, default: 0] += term.coefficient }
        self.terms = merged.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { Term(index: $0.key, coefficient: $0.value) }
        self.bound = bound
        self.isStrict = isStrict
    }

    /// The constraint as an objective row for bound engines: `c·y + d` with `c` dense.
    /// The constraint cannot hold anywhere the row's lower bound is positive, because
    /// `d = -bound.upper` uses the outer side of the right-hand side.
    public func objective(outputCount: Int) -> (coefficients: [Double], constant: Double) {
        var row = [Double](repeating: 0, count: outputCount)
        for term in terms { row[term.index] = term.coefficient }
        return (row, -bound.upper)
    }

    /// Whether concrete outputs surely satisfy the real constraint: the left side computed in
    /// `Double`, plus a bound on its rounding error (Higham's γ_n), must stay on the inner side
    /// of the right-hand side. A `false` may be a borderline point, never a wrong `true`.
    public func isSurelySatisfied(by outputs: [Double]) -> Bool {
        let (value, allowance) = leftSide(outputs)
        guard value.isFinite else { return false }
        return isStrict ? value + allowance < bound.lower : value + allowance <= bound.lower
    }

    /// How far inside the constraint the outputs are (positive: satisfied with room to spare).
    public func margin(_ outputs: [Double]) -> Double {
        let (value, _) = leftSide(outputs)
        return bound.lower - value
    }

    private func leftSide(_ outputs: [Double]) -> (value: Double, allowance: Double) {
        var sum = 0.0
        var magnitude = 0.0
        for term in terms {
            let product = term.coefficient * outputs[term.index]
            sum += product
            magnitude += product.magnitude
        }
        let unitRoundoff = Double.ulpOfOne / 2
        let count = Double(terms.count + 1)
        let gamma = count * unitRoundoff / (1 - count * unitRoundoff)
        // The magnitude sum is itself rounded: 2·gamma covers it generously.
        return (sum, 2 * gamma * magnitude + .leastNonzeroMagnitude)
    }

    public var description: String {
        var left = ""
        for (position, term) in terms.enumerated() {
            let magnitude = term.coefficient.magnitude
            let sign = term.coefficient < 0 ? (position == 0 ? "-" : " - ") : (position == 0 ? "" : " + ")
            left += sign + (magnitude == 1 ? "" : "\(magnitude)·") + "Y_\(term.index)"
        }
        return "\(left.isEmpty ? "0" : left) \(isStrict ? "<" : "<=") \(bound)"
    }
}
