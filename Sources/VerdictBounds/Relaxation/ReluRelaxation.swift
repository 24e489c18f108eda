import VerdictCore

/// The linear relaxation of one ReLU layer of one subproblem, from its pre-activation bounds
/// and split phases:
/// - stable or split-active neurons: `a = z`; stable or split-inactive: `a = 0`;
/// - unstable neurons: `a >= α·z` for any `α` in [0, 1] (the adaptive default picks 1 when
///   `u >= -l`, else 0) and `a <= s·z + t`, the triangle's upper side, with `t` rounded up so
///   the line stays above the ReLU at both ends of `[l, u]` despite rounding in `s`.
struct ReluRelaxation: Sendable {
    var lowerSlope: [Double]
    var upperSlope: [Double]
    var upperIntercept: [Double]
    /// True where the lower slope may be optimized (free, unstable neurons).
    var isUnstable: [Bool]
    /// +1 for split-active, -1 for split-inactive, 0 for free neurons: the sign of the split
    /// constraint `sign·z >= 0` that β-CROWN lifts into the objective.
    var splitSign: [Double]
    /// Bounds on `|z|` and on `|relu(z)|` over the subproblem, for rounding allowances.
    var preActivationMagnitude: [Double]
    var activationMagnitude: [Double]

    /// Builds the relaxation and applies the phases to the bounds in place. Returns nil when a
    /// phase contradicts the bounds: the subproblem is empty.
    init?(lower: inout [Double], upper: inout [Double], phases: [ReluPhase]) {
        let count = lower.count
        lowerSlope = Array(repeating: 0, count: count)
        upperSlope = Array(repeating: 0, count: count)
        upperIntercept = Array(repeating: 0, count: count)
        isUnstable = Array(repeating: false, count: count)
        splitSign = Array(repeating: 0, count: count)
        preActivationMagnitude = Array(repeating: 0, count: count)
        activationMagnitude = Array(repeating: 0, count: count)
        for j in 0..<count {
            switch phases[j] {
            case .active:
                lower[j] = max(lower[j], 0)
                splitSign[j] = 1
            case .inactive:
                upper[j] = min(upper[j], 0)
                splitSign[j] = -1
            case .free:
                break
            }
            let l = lower[j], u = upper[j]
            if l > u || l.isNaN || u.isNaN { return nil }
            preActivationMagnitude[j] = max(l.magnitude, u.magnitude)
            activationMagnitude[j] = max(0, u)
            if phases[j] == .active || (phases[j] == .free && l >= 0) {
                lowerSlope[j] = 1
                upperSlope[j] = 1
            } else if phases[j] == .inactive || u <= 0 {
                continue  // a = 0: all zero.
            } else {
                let slope = u / (u - l)
                upperSlope[j] = slope
                // t >= -s·l and t >= u - s·u, each rounded up: a valid upper line.
                let atLower = productRoundedUp(-slope, l)
                let atUpper = sumRoundedUp(u, productRoundedUp(-slope, u))
                upperIntercept[j] = max(atLower, atUpper, 0)
                lowerSlope[j] = u >= -l ? 1 : 0
                isUnstable[j] = true
            }
        }
    }
}
