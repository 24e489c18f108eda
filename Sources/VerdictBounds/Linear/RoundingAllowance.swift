/// The floating-point rule of the bound engines: compute in round-to-nearest, then move every
/// bound outward by an explicit allowance that covers all rounding errors.
///
/// Each step of a bound pass is a product or a sum whose rounding error has a classical
/// a-priori bound (Higham, *Accuracy and Stability of Numerical Algorithms*, §3.1): a dot
/// product of `n` terms computed in any order, with or without FMA, is off by at most
/// `γ_n · Σ|a_i·b_i|`, with `γ_n = n·u / (1 - n·u)` and `u` the unit roundoff. The passes add
/// up these bounds as they go, using magnitude bounds of the variables the coefficients will
/// multiply; the final bound is moved outward by the total, doubled, plus a tiny absolute
/// term for underflow. The result contains every real value the exact computation would give.
public struct RoundingAllowance: Sendable {
    /// Unit roundoff of the arithmetic: 2^-53 for Double, 2^-24 for Float.
    public let unitRoundoff: Double

    public static let double = RoundingAllowance(unitRoundoff: 0x1p-53)
    public static let float = RoundingAllowance(unitRoundoff: 0x1p-24)

    /// `γ_n`, for sums and dot products of `n` terms.
    public func gamma(_ n: Int) -> Double {
        let nu = Double(n + 1) * unitRoundoff
        precondition(nu < 0.5, "too many terms for an a-priori error bound")
        return nu / (1 - nu)
    }

    /// Absolute slack per result for underflow (each operation may lose 2^-1074 absolutely,
    /// or 2^-149 in Float), generously.
    public var underflowSlack: Double { unitRoundoff == 0x1p-53 ? 0x1p-1000 : 0x1p-120 }

    /// Absolute error of one product whose result underflows (devices that flush subnormals
    /// to zero lose up to the smallest normal number).
    public var flushSlack: Double { unitRoundoff == 0x1p-53 ? 0x1p-1022 : 0x1p-126 }

    /// `value - allowance`, rounded down: the sound lower bound.
    public func lowered(_ value: Double, by allowance: Double) -> Double {
        // An allowance that overflowed (or is NaN) bounds nothing.
        guard allowance.isFinite || value == -.infinity else { return -.infinity }
        guard value.isFinite else { return value.isNaN ? -.infinity : value }
        return value - (2 * allowance + underflowSlack) * (1 + 0x1p-40) - value.ulp
    }
}
