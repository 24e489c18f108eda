import VerdictCore

/// Refuting a conjunction with a nonnegative combination of its rows.
///
/// A disjunct of the unsafe region is a conjunction `r_1(y) <= 0, ..., r_K(y) <= 0`. Bounding
/// each row alone refutes it only where one row is positive on the whole subproblem. Near the
/// corners of a small unsafe box (reach_prob_density's `|Y_1| <= r ∧ |Y_2| <= r ∧ Y_0 >= c`)
/// no single row is, although no input satisfies all of them: that took millions of input
/// splits. CROWN gives each row a linear lower bound over the input box,
/// `r_k(f(x)) >= L_k(x) = A_k·x + b_k`, so the conjunction is refuted when the LP
/// `{x in box : L_k(x) <= 0 for all k}` is empty, that is (LP duality) when some `λ >= 0` has
/// `min_box Σ_k λ_k L_k(x) > 0`. With `c`, `r` the box's centre and radii,
///
///     min_box Σ_k λ_k L_k = Σ_k λ_k lower_k + Σ_j r_j (Σ_k λ_k |A_kj| - |Σ_k λ_k A_kj|)
///
/// where `lower_k = min_box L_k` is the row's own CROWN bound (the centre terms cancel). The
/// second sum is what combining gains: inputs on which the rows pull in opposite directions.
/// ``bestBound(rows:of:)`` maximizes this concave, piecewise-linear function of `λ` over the
/// simplex by exact line searches (any `λ` is sound, so the search need not be optimal), then
/// evaluates it with an explicit allowance for its own rounding.
public struct RowForms: Sendable {
    /// Each row's CROWN lower bound over the box: the minimum of its linear form (not
    /// intersected with interval bounds, not α-optimized: those belong to other forms).
    public var lower: [Double]
    /// Each row's form's coefficients over the inputs.
    public var coefficients: [[Double]]
    /// Half the width of the box in each input, rounded down (a smaller radius only lowers the
    /// gain term, which is nonnegative).
    public var radius: [Double]

    public init(lower: [Double], coefficients: [[Double]], box: InputBox) {
        self.lower = lower
        self.coefficients = coefficients
        radius = zip(box.lower, box.upper).map { low, high in
            let width = high - low
            // u - l is rounded at most u·|u - l| upward; step below that, then halve exactly.
            return max(0, (width - width * RoundingAllowance.double.unitRoundoff * 2) / 2)
        }
    }

    /// A sound lower bound of `min_box Σ λ_k L_k` over the box for the best `λ` found on the
    /// simplex over `rows` (`-infinity` for fewer than two usable rows).
    public func bestBound(rows: [Int]) -> Double {
        let usable = rows.filter { lower[$0].isFinite && coefficients[$0].count == radius.count && coefficients[$0].allSatisfy(\.isFinite) }
        guard usable.count >= 2, radius.allSatisfy(\.isFinite) else { return -.infinity }
        var search = CombinationSearch(forms: self, rows: usable)
        return soundValue(rows: usable, weights: search.maximize())
    }

    /// `Σ λ_k lower_k + Σ_j r_j (Σ λ_k |A_kj| - |Σ λ_k A_kj|)` rounded down: every quantity is
    /// a sum of at most `K + n + 2` roundings of nonnegative-magnitude terms, so its error is
    /// at most `γ_{K+n+4}` times the sum of those terms' magnitudes; twice that is subtracted.
    func soundValue(rows: [Int], weights: [Double]) -> Double {
        var value = 0.0, magnitude = 0.0
        for (k, row) in rows.enumerated() where weights[k] > 0 {
            value += weights[k] * lower[row]
            magnitude += (weights[k] * lower[row]).magnitude
        }
        for j in radius.indices where radius[j] > 0 {
            var absolute = 0.0, signed = 0.0
            for (k, row) in rows.enumerated() where weights[k] > 0 {
                absolute += weights[k] * coefficients[row][j].magnitude
                signed += weights[k] * coefficients[row][j]
            }
            let gain = absolute - signed.magnitude
            value += radius[j] * gain
            magnitude += radius[j] * (absolute + signed.magnitude)
        }
        let allowance = RoundingAllowance.double
        return allowance.lowered(value, by: 2 * allowance.gamma(rows.count + radius.count + 4) * magnitude)
    }
}

/// The search for `λ`: start at the best single row, then repeatedly move weight towards one
/// row, or from one row to another, by an exact line search on the piecewise-linear objective.
struct CombinationSearch {
    let forms: RowForms
    let rows: [Int]
    /// Each row's form, as (lower, coefficients) in the order of `rows`.
    private let lower: [Double]
    private let coefficients: [[Double]]

    init(forms: RowForms, rows: [Int]) {
        self.forms = forms
        self.rows = rows
        lower = rows.map { forms.lower[$0] }
        coefficients = rows.map { forms.coefficients[$0] }
    }

    /// The objective (in plain floating point) at `weights`.
    func value(_ weights: [Double]) -> Double {
        var total = 0.0
        for k in weights.indices where weights[k] != 0 { total += weights[k] * lower[k] }
        for j in forms.radius.indices where forms.radius[j] > 0 {
            var absolute = 0.0, signed = 0.0
            for k in weights.indices where weights[k] != 0 {
                absolute += weights[k] * coefficients[k][j].magnitude
                signed += weights[k] * coefficients[k][j]
            }
            total += forms.radius[j] * (absolute - signed.magnitude)
        }
        return total
    }

    /// The best weights found (nonnegative, summing to 1).
    mutating func maximize(sweeps: Int = 4) -> [Double] {
        let count = rows.count
        var weights = [Double](repeating: 0, count: count)
        weights[lower.indices.max { lower[$0] < lower[$1] }!] = 1
        var best = value(weights)
        for _ in 0..<sweeps {
            let before = best
            for target in 0..<count {
                var direction = weights.map { -$0 }
                direction[target] += 1
                (weights, best) = lineSearch(weights, direction, best)
                for source in 0..<count where source != target && weights[source] > 0 {
                    var transfer = [Double](repeating: 0, count: count)
                    transfer[target] = weights[source]
                    transfer[source] = -weights[source]
                    (weights, best) = lineSearch(weights, transfer, best)
                }
            }
            if best <= before + 1e-12 * max(1, before.magnitude) { break }
        }
        return weights
    }

    /// The best point of `weights + s·direction` for `s` in [0, 1]: the objective is concave
    /// and piecewise linear in `s`, with kinks where a combined coefficient changes sign, so
    /// the maximum is at an end or a kink.
    private func lineSearch(_ weights: [Double], _ direction: [Double], _ current: Double) -> ([Double], Double) {
        var candidates: [Double] = [1]
        for j in forms.radius.indices where forms.radius[j] > 0 {
            var at = 0.0, slope = 0.0
            for k in weights.indices {
                at += weights[k] * coefficients[k][j]
                slope += direction[k] * coefficients[k][j]
            }
            if slope != 0 {
                let s = -at / slope
                if s > 0 && s < 1 { candidates.append(s) }
            }
        }
        var bestWeights = weights, best = current
        for s in candidates {
            let trial = zip(weights, direction).map { max(0, $0 + s * $1) }
            let v = value(trial)
            if v > best {
                best = v
                bestWeights = trial
            }
        }
        return (bestWeights, best)
    }
}
