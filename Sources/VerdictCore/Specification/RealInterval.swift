/// A closed interval of `Double`s known to contain one real number.
///
/// Properties are written in decimal and most decimals (0.1, 0.03) have no exact binary
/// value. Rather than silently use the nearest `Double`, the parser keeps an interval that
/// surely contains the real number: proofs use its outer side (a slightly larger input box,
/// a slightly larger unsafe region), witnesses must satisfy its inner side. Arithmetic here
/// rounds outward using error-free transformations (TwoSum, FMA residuals), so the interval
/// stays a true enclosure.
public struct RealInterval: Hashable, Sendable, CustomStringConvertible {
    public let lower: Double
    public let upper: Double
    /// The best single `Double` for the number (what printing it back should show).
    public let nearest: Double

    public init(lower: Double, upper: Double, nearest: Double? = nil) {
        precondition(lower <= upper, "interval [\(lower), \(upper)] is empty")
        self.lower = lower
        self.upper = upper
        self.nearest = min(max(nearest ?? (lower / 2 + upper / 2), lower), upper)
    }

    /// A number known exactly.
    public init(exactly value: Double) {
        self.init(lower: value, upper: value, nearest: value)
    }

    /// The nearest `Double` to a real number; if that rounding was not exact the real number
    /// lies strictly between the neighbouring `Double`s.
    public init(nearest value: Double, isExact: Bool) {
        if isExact {
            self.init(exactly: value)
        } else {
            self.init(lower: value.nextDown, upper: value.nextUp, nearest: value)
        }
    }

    public var isExact: Bool { lower == upper }

    public static func + (left: RealInterval, right: RealInterval) -> RealInterval {
        RealInterval(
            lower: sumRoundedDown(left.lower, right.lower), upper: sumRoundedUp(left.upper, right.upper),
            nearest: left.nearest + right.nearest)
    }

    public static prefix func - (value: RealInterval) -> RealInterval {
        // 0 - x rather than -x: no negative zeros in printed bounds.
        RealInterval(lower: 0 - value.upper, upper: 0 - value.lower, nearest: 0 - value.nearest)
    }

    public static func - (left: RealInterval, right: RealInterval) -> RealInterval { left + (-right) }

    /// Multiplication by a number known exactly.
    public func scaled(by factor: Double) -> RealInterval {
        let a = productRoundedDown(lower, factor), b = productRoundedUp(lower, factor)
        let c = productRoundedDown(upper, factor), d = productRoundedUp(upper, factor)
        return RealInterval(lower: min(a, c), upper: max(b, d), nearest: nearest * factor)
    }

    /// Division by a non-zero number known exactly.
    public func divided(by divisor: Double) -> RealInterval {
        precondition(divisor != 0)
        let a = quotientRoundedDown(lower, divisor), b = quotientRoundedUp(lower, divisor)
        let c = quotientRoundedDown(upper, divisor), d = quotientRoundedUp(upper, divisor)
        return RealInterval(lower: min(a, c), upper: max(b, d), nearest: nearest / divisor)
    }

    public var description: String { isExact ? "\(lower)" : "\(nearest) (in [\(lower), \(upper)])" }
}

// MARK: - Directed rounding by error-free transformations

/// Round-to-nearest sum and the exact error `(a + b) - sum` (Knuth's TwoSum).
@inline(__always)
func twoSum(_ a: Double, _ b: Double) -> (sum: Double, error: Double) {
    let sum = a + b
    let bVirtual = sum - a
    let aVirtual = sum - bVirtual
    return (sum, (a - aVirtual) + (b - bVirtual))
}

/// Largest `Double` not above the real `a + b`.
public func sumRoundedDown(_ a: Double, _ b: Double) -> Double {
    let (sum, error) = twoSum(a, b)
    if !sum.isFinite { return sum.isNaN ? sum : (sum > 0 ? .greatestFiniteMagnitude : sum) }
    return error < 0 ? sum.nextDown : sum
}

/// Smallest `Double` not below the real `a + b`.
public func sumRoundedUp(_ a: Double, _ b: Double) -> Double {
    let (sum, error) = twoSum(a, b)
    if !sum.isFinite { return sum.isNaN ? sum : (sum < 0 ? -.greatestFiniteMagnitude : sum) }
    return error > 0 ? sum.nextUp : sum
}

/// Largest `Double` not above the real `a * b` (the FMA residual is exact away from underflow;
/// results near the underflow threshold step one more ulp to stay safe).
public func productRoundedDown(_ a: Double, _ b: Double) -> Double {
    let product = a * b
    let residual = (a).multipliedAdd(b, -product)
    if residual < 0 || product.magnitude < 0x1p-969 && product != 0 || (product == 0 && a != 0 && b != 0) {
        return product.nextDown
    }
    return product
}

/// Smallest `Double` not below the real `a * b`.
public func productRoundedUp(_ a: Double, _ b: Double) -> Double {
    -productRoundedDown(-a, b)
}

/// Largest `Double` not above the real `a / b`, for `b != 0`.
public func quotientRoundedDown(_ a: Double, _ b: Double) -> Double {
    let quotient = a / b
    // quotient * b - a, exact away from underflow; its sign says on which side quotient lies.
    let residual = quotient.multipliedAdd(b, -a)
    let quotientTooHigh = b > 0 ? residual > 0 : residual < 0
    if quotientTooHigh || quotient.magnitude < 0x1p-969 && a != 0 { return quotient.nextDown }
    return quotient
}

/// Smallest `Double` not below the real `a / b`, for `b != 0`.
public func quotientRoundedUp(_ a: Double, _ b: Double) -> Double {
    -quotientRoundedDown(-a, b)
}

extension Double {
    /// `self * factor + addend` with one rounding (fused multiply-add).
    @inline(__always)
    func multipliedAdd(_ factor: Double, _ addend: Double) -> Double {
        addend.addingProduct(self, factor)
    }
}
