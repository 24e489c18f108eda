import VerdictCore

/// A line `slope · z + intercept`.
public struct Line: Sendable, Equatable {
    public var slope: Double
    public var intercept: Double

    public func callAsFunction(_ z: Double) -> Double { slope * z + intercept }
}

/// Lower and upper lines of an S-shaped function (``SShapedLayer/Function``) over an input
/// interval `[l, u]`, sound in floating point.
///
/// **Slopes** are chosen as CROWN chooses them (Zhang et al. 2018): on the convex side
/// (`u <= 0`) the tangent at the midpoint below and the secant above; on the concave side
/// (`l >= 0`) the reverse; across the inflection point the tangent whose line passes through
/// the far end (found by bisection), or the secant where that tangent would touch outside
/// the interval.
///
/// **Intercepts** come from the slope alone: the extremes of `h(z) = f(z) - k·z` over `[l, u]`,
/// so a slope chosen roughly gives a looser line, never an unsound one. `h` is concave where
/// `f` is (`z >= 0`), convex where `f` is (`z <= 0`). A concave `h` takes its minimum at an
/// end, a convex one its maximum. For the other extreme: where the sign of `h'` at the ends
/// shows `h` monotone, an end again; otherwise `h` stays above (below) its tangent at any point
/// `c`, so within `|h'(c)|·max(c - a, b - c)` of `h(c)`, with `c` near where `f' = k`.
///
/// **Rounding.** libm's `exp` and `tanh` are within a few units in the last place, so each
/// computed `f` and `f'` is within `8u` of the real one (`u = 2⁻⁵³`; both lie in [-1, 1]);
/// `h` adds the rounding of `k·z` and the subtraction, the tangent term that of `|h'|`
/// times a distance. `64u·(2 + 2(|k| + 1)·M)`, `M = max(|l|, |u|)`, bounds all of it with room,
/// and moves every intercept outward; the sign tests of `h'` keep a margin of `16u(1 + |k|)`.
public enum SShapedRelaxation {
    public static func lines(_ f: SShapedLayer.Function, lower l: Double, upper u: Double) -> (lower: Line, upper: Line) {
        let low = min(l, u), high = max(l, u)
        let unit = RoundingAllowance.double.unitRoundoff
        guard low.isFinite, high.isFinite, high - low < 1e6 else {
            // Unbounded (or absurdly wide) inputs: the function's own bounds at the ends.
            let slack = 16 * unit
            return (Line(slope: 0, intercept: f.value(low) - slack), Line(slope: 0, intercept: f.value(high) + slack))
        }
        let (lowerSlope, upperSlope) = slopes(f, low, high)
        return (lowerLine(f, slope: lowerSlope, low, high), upperLine(f, slope: upperSlope, low, high))
    }

    /// The highest sound lower line of slope `k` over `[l, u]` (finite, `l <= u`): any slope
    /// gives one, which is what lets α-CROWN optimize the slopes freely.
    public static func lowerLine(_ f: SShapedLayer.Function, slope k: Double, _ l: Double, _ u: Double) -> Line {
        Line(slope: k, intercept: minimum(f, slope: k, l, u) - allowance(k, l, u))
    }

    /// The lowest sound upper line of slope `k` over `[l, u]`.
    public static func upperLine(_ f: SShapedLayer.Function, slope k: Double, _ l: Double, _ u: Double) -> Line {
        Line(slope: k, intercept: maximum(f, slope: k, l, u) + allowance(k, l, u))
    }

    private static func allowance(_ k: Double, _ l: Double, _ u: Double) -> Double {
        64 * RoundingAllowance.double.unitRoundoff * (2 + 2 * (k.magnitude + 1) * max(l.magnitude, u.magnitude))
    }

    /// Where the line of slope `k` touches (or comes closest to) `f` over `[l, u]`: the
    /// minimizer of `h(z) = f(z) - k·z` for a lower line (`lowest`), its maximizer for an upper
    /// one. The intercept's derivative in `k` is minus this point (envelope theorem), which
    /// the slopes' gradients need; approximate, as gradients may be.
    public static func touchingPoint(_ f: SShapedLayer.Function, slope k: Double, _ l: Double, _ u: Double, lowest: Bool) -> Double {
        var candidates = [l, u]
        if l < 0 && u > 0 { candidates.append(0) }
        if let points = criticalPoints(f, k) {
            candidates.append(min(max(points.convex, l), u))
            candidates.append(min(max(points.concave, l), u))
        }
        let h = { (z: Double) in f.value(z) - k * z }
        return lowest ? candidates.min { h($0) < h($1) }! : candidates.max { h($0) < h($1) }!
    }

    /// CROWN's slopes of the lower and upper lines over `[l, u]` (only their tightness
    /// depends on these).
    static func slopes(_ f: SShapedLayer.Function, _ l: Double, _ u: Double) -> (lower: Double, upper: Double) {
        let middle = l / 2 + u / 2
        guard u - l > 1e-12 * (1 + max(l.magnitude, u.magnitude)) else {
            let k = f.derivative(middle)
            return (k, k)
        }
        let secant = (f.value(u) - f.value(l)) / (u - l)
        if u <= 0 { return (f.derivative(middle), secant) }
        if l >= 0 { return (secant, f.derivative(middle)) }
        // Across 0: the tangent at d <= 0 through (u, f(u)) below, at d >= 0 through (l, f(l)) above.
        func missesBelow(_ d: Double) -> Double { f.value(d) + f.derivative(d) * (u - d) - f.value(u) }
        func missesAbove(_ d: Double) -> Double { f.value(d) + f.derivative(d) * (l - d) - f.value(l) }
        var lower = secant, upper = secant
        if missesBelow(l) <= 0 {
            var (valid, invalid) = (l, 0.0)
            for _ in 0..<40 {
                let d = valid / 2 + invalid / 2
                if missesBelow(d) <= 0 { valid = d } else { invalid = d }
            }
            lower = f.derivative(valid)
        }
        if missesAbove(u) >= 0 {
            var (invalid, valid) = (0.0, u)
            for _ in 0..<40 {
                let d = invalid / 2 + valid / 2
                if missesAbove(d) >= 0 { valid = d } else { invalid = d }
            }
            upper = f.derivative(valid)
        }
        return (lower, upper)
    }

    /// At most `min h` over `[l, u]` for `h(z) = f(z) - k·z` (before the rounding allowance).
    static func minimum(_ f: SShapedLayer.Function, slope k: Double, _ l: Double, _ u: Double) -> Double {
        let h = { (z: Double) in f.value(z) - k * z }
        var result = Double.infinity
        if u >= 0 { result = min(result, h(max(l, 0)), h(u)) }
        if l < 0 {
            // Convex part [l, b]: h' increases.
            let b = min(u, 0), slope = derivativeOfH(f, k)
            let margin = 16 * RoundingAllowance.double.unitRoundoff * (1 + k.magnitude)
            if slope(l) > margin {
                result = min(result, h(l))
            } else if slope(b) < -margin {
                result = min(result, h(b))
            } else {
                let c = min(max(criticalPoints(f, k)?.convex ?? l, l), b)
                result = min(result, h(c) - slope(c).magnitude * max(c - l, b - c))
            }
        }
        return result
    }

    /// At least `max h` over `[l, u]` (before the rounding allowance).
    static func maximum(_ f: SShapedLayer.Function, slope k: Double, _ l: Double, _ u: Double) -> Double {
        let h = { (z: Double) in f.value(z) - k * z }
        var result = -Double.infinity
        if l <= 0 { result = max(result, h(l), h(min(u, 0))) }
        if u > 0 {
            // Concave part [a, u]: h' decreases.
            let a = max(l, 0), slope = derivativeOfH(f, k)
            let margin = 16 * RoundingAllowance.double.unitRoundoff * (1 + k.magnitude)
            if slope(a) < -margin {
                result = max(result, h(a))
            } else if slope(u) > margin {
                result = max(result, h(u))
            } else {
                let c = min(max(criticalPoints(f, k)?.concave ?? u, a), u)
                result = max(result, h(c) + slope(c).magnitude * max(c - a, u - c))
            }
        }
        return result
    }

    private static func derivativeOfH(_ f: SShapedLayer.Function, _ k: Double) -> (Double) -> Double {
        { f.derivative($0) - k }
    }

    /// Where `f' = k`, when some point has that slope.
    private static func criticalPoints(_ f: SShapedLayer.Function, _ k: Double) -> (convex: Double, concave: Double)? {
        k > 0 && k <= f.steepestSlope ? f.points(withSlope: k) : nil
    }
}
