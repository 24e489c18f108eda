@testable import VerdictCore
import VerdictTestSupport
import XCTest

/// Directed rounding checked against exact integer arithmetic.
final class RealIntervalTests: XCTestCase {
    /// Dyadic numbers m·2^-60 with |m| < 2^62: their sums are exact in Int128.
    private func dyadic(_ generator: inout SeededGenerator) -> (Double, Int128) {
        let magnitude = Int64.random(in: -(1 << 61)...(1 << 61), using: &generator)
        // Keep 53 significant bits so the Double is exactly m·2^-60.
        let shift = max(0, 64 - magnitude.magnitude.leadingZeroBitCount - 53)
        let m = (magnitude >> shift) << shift
        return (Double(m) * 0x1p-60, Int128(m))
    }

    private func scaledInteger(_ value: Double) -> Int128 {
        Int128(exactly: value * 0x1p60)!
    }

    func testSumsAreRoundedInTheRightDirection() {
        var generator = SeededGenerator(seed: 1)
        var inexactCount = 0
        for _ in 0..<20_000 {
            let (a, ma) = dyadic(&generator)
            let (b, mb) = dyadic(&generator)
            let exact = ma + mb
            let down = sumRoundedDown(a, b), up = sumRoundedUp(a, b)
            XCTAssertLessThanOrEqual(scaledInteger(down), exact)
            XCTAssertGreaterThanOrEqual(scaledInteger(up), exact)
            XCTAssertLessThanOrEqual(down, up)
            XCTAssertLessThanOrEqual(up, down.nextUp)
            if down != up { inexactCount += 1 } else { XCTAssertEqual(scaledInteger(down), exact) }
        }
        XCTAssertGreaterThan(inexactCount, 1000, "the test should exercise inexact sums")
    }

    func testProductsAndQuotientsEncloseTheTrueValue() {
        var generator = SeededGenerator(seed: 2)
        for _ in 0..<20_000 {
            let a = Double.random(in: -1000...1000, using: &generator)
            let b = Double.random(in: -1000...1000, using: &generator)
            let productDown = productRoundedDown(a, b), productUp = productRoundedUp(a, b)
            // The residual of the nearest product tells the exact side.
            XCTAssertLessThanOrEqual(productDown, a * b)
            XCTAssertGreaterThanOrEqual(productUp, a * b)
            XCTAssertGreaterThanOrEqual((-productDown).addingProduct(a, b), 0)
            XCTAssertLessThanOrEqual((-productUp).addingProduct(a, b), 0)
            guard b != 0 else { continue }
            let quotientDown = quotientRoundedDown(a, b), quotientUp = quotientRoundedUp(a, b)
            // q·b compared with a, exactly through FMA: q <= a/b ⇔ q·b <= a when b > 0.
            let downResidual = quotientDown.multipliedAdd(b, -a), upResidual = quotientUp.multipliedAdd(b, -a)
            if b > 0 {
                XCTAssertLessThanOrEqual(downResidual, 0)
                XCTAssertGreaterThanOrEqual(upResidual, 0)
            } else {
                XCTAssertGreaterThanOrEqual(downResidual, 0)
                XCTAssertLessThanOrEqual(upResidual, 0)
            }
            XCTAssertLessThanOrEqual(quotientUp, quotientDown.nextUp.nextUp)
        }
    }

    func testIntervalArithmetic() {
        let tenth = RealInterval(nearest: 0.1, isExact: false)
        XCTAssertLessThan(tenth.lower, 0.1)
        XCTAssertGreaterThan(tenth.upper, 0.1)
        let sum = tenth + RealInterval(exactly: 0.5)
        XCTAssertLessThanOrEqual(sum.lower, 0.6)
        XCTAssertGreaterThanOrEqual(sum.upper, 0.6)
        XCTAssertEqual(sum.nearest, 0.1 + 0.5)
        let negated = -RealInterval(exactly: 0)
        XCTAssertEqual(negated.lower.sign, .plus, "no negative zero")
        let scaled = RealInterval(lower: 1, upper: 2).scaled(by: -3)
        XCTAssertEqual(scaled, RealInterval(lower: -6, upper: -3, nearest: -4.5))
    }
}
