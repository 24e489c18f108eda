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
    /// simplex over `rows` (`-infinity` for fewer than two usable rows; the best row's own bound
    /// where no combination can be positive).
    public func bestBound(rows: [Int]) -> Double {
        let usable = rows.filter { lower[$0].isFinite && coefficients[$0].count == radius.count && coefficients[$0].allSatisfy(\.isFinite) }
        guard usable.count >= 2, radius.allSatisfy(\.isFinite) else { return -.infinity }
        var search = CombinationSearch(forms: self, rows: usable)
        // Hopeless (no combination is positive): the best single row, which needs no search.
        guard search.centreBound() > 0 else { return usable.map { lower[$0] }.max()! }
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
/// It keeps the combined coefficients `C = Σ w_k A_k`, `S = Σ w_k |A_k|` and `P = Σ w_k lower_k`
/// up to date, so a line search costs `O(n²)` without allocating.
struct CombinationSearch {
    let count: Int, width: Int
    let radius: [Double]
    /// `count x width`, row-major, and each row's lower bound.
    let coefficients: [Double]
    let lower: [Double]
    var weights: [Double]
    var combined: [Double], absolute: [Double]
    var constant: Double
    // Scratch for the direction of a line search.
    var directionCombined: [Double], directionAbsolute: [Double]

    init(forms: RowForms, rows: [Int]) {
        count = rows.count
        width = forms.radius.count
        radius = forms.radius
        coefficients = rows.flatMap { forms.coefficients[$0] }
        lower = rows.map { forms.lower[$0] }
        weights = [Double](repeating: 0, count: count)
        combined = [Double](repeating: 0, count: width)
        absolute = combined
        constant = 0
        directionCombined = combined
        directionAbsolute = combined
    }

    /// An upper bound of the objective for every `λ` on the simplex: at the box's centre each
    /// form is `lower_k + Σ_j r_j |A_kj|`, and the combination is at most their largest. When
    /// it is not positive, no combination can refute.
    func centreBound() -> Double {
        var best = -Double.infinity
        for k in 0..<count {
            var value = lower[k]
            for j in 0..<width { value += radius[j] * coefficients[k * width + j].magnitude }
            best = max(best, value)
        }
        return best
    }

    /// The objective at the current weights moved by `s` along the direction.
    private func value(at s: Double, directionConstant: Double) -> Double {
        var total = constant + s * directionConstant
        for j in 0..<width {
            total += radius[j] * (absolute[j] + s * directionAbsolute[j] - (combined[j] + s * directionCombined[j]).magnitude)
        }
        return total
    }

    /// The best weights found (nonnegative, summing to about 1).
    mutating func maximize(sweeps: Int = 3) -> [Double] {
        let start = lower.indices.max { lower[$0] < lower[$1] }!
        var direction = [Double](repeating: 0, count: count)
        direction[start] = 1
        var best = lineSearch(direction, fixedStep: 1, current: -.infinity)
        for _ in 0..<sweeps {
            let before = best
            for target in 0..<count {
                for k in 0..<count { direction[k] = -weights[k] }
                direction[target] += 1
                best = lineSearch(direction, fixedStep: nil, current: best)
                for source in 0..<count where source != target && weights[source] > 0 {
                    for k in 0..<count { direction[k] = 0 }
                    direction[target] = weights[source]
                    direction[source] = -weights[source]
                    best = lineSearch(direction, fixedStep: nil, current: best)
                }
            }
            if best <= before + 1e-12 * max(1, before.magnitude) { break }
        }
        return weights
    }

    /// Moves the weights to the best point of `weights + s·direction`, `s` in [0, 1] (or
    /// exactly `fixedStep`): the objective is concave and piecewise linear in `s`, with kinks
    /// where a combined coefficient changes sign, so the maximum is at an end or a kink.
    private mutating func lineSearch(_ direction: [Double], fixedStep: Double?, current: Double) -> Double {
        var directionConstant = 0.0
        for j in 0..<width {
            directionCombined[j] = 0
            directionAbsolute[j] = 0
        }
        for k in 0..<count where direction[k] != 0 {
            directionConstant += direction[k] * lower[k]
            for j in 0..<width {
                let a = coefficients[k * width + j]
                directionCombined[j] += direction[k] * a
                directionAbsolute[j] += direction[k] * a.magnitude
            }
        }
        var bestStep = 0.0, best = current
        func consider(_ s: Double) {
            let v = value(at: s, directionConstant: directionConstant)
            if v > best {
                best = v
                bestStep = s
            }
        }
        if let fixedStep {
            consider(fixedStep)
        } else {
            consider(1)
            for j in 0..<width where directionCombined[j] != 0 {
                let s = -combined[j] / directionCombined[j]
                if s > 0 && s < 1 { consider(s) }
            }
        }
        guard bestStep > 0 else { return current }
        for k in 0..<count { weights[k] = max(0, weights[k] + bestStep * direction[k]) }
        constant += bestStep * directionConstant
        for j in 0..<width {
            combined[j] += bestStep * directionCombined[j]
            absolute[j] += bestStep * directionAbsolute[j]
        }
        return best
    }
}
