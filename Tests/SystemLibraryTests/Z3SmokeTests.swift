import VerdictZ3
import XCTest

/// libz3 is linked and answers: the base the solver encoding of later layers builds on.
final class Z3SmokeTests: XCTestCase {
    func testVersionIsReported() {
        XCTAssertTrue(Z3Solver.version.split(separator: ".").count == 3, Z3Solver.version)
    }

    func testSatisfiableLinearRealArithmeticGivesAModel() throws {
        let solver = Z3Solver()
        try solver.assert(smtlib2: "(declare-const x Real) (assert (> x 2.5)) (assert (< (* 2 x) 6))")
        XCTAssertEqual(try solver.check(), .sat)
        let x = try XCTUnwrap(solver.modelValue(ofReal: "x"))
        XCTAssertGreaterThan(x, 2.5)
        XCTAssertLessThan(x, 3)
    }

    func testUnsatisfiableConstraintsAreRefuted() throws {
        let solver = Z3Solver()
        try solver.assert(smtlib2: "(declare-const x Real) (declare-const y Real) (assert (>= x (+ y 1))) (assert (>= y x))")
        XCTAssertEqual(try solver.check(), .unsat)
    }

    func testReLUDisjunctionIsEncodable() throws {
        // y = max(0, x) as a disjunction, with x in [-1, 1]: y > 1 is impossible, y > 0.5 is
        // possible; both solver setups must agree.
        for setup in [Z3Solver.Setup.general, .core] {
            for (bound, expected) in [("1", Z3Solver.Result.unsat), ("0.5", .sat)] {
                let solver = Z3Solver(setup: setup)
                try solver.assert(smtlib2: """
                    (declare-const x Real) (declare-const y Real)
                    (assert (and (>= x -1) (<= x 1)))
                    (assert (or (and (>= x 0) (= y x)) (and (< x 0) (= y 0))))
                    (assert (> y \(bound)))
                    """)
                XCTAssertEqual(try solver.check(), expected, "\(setup), y > \(bound)")
            }
        }
    }

    func testMalformedInputIsAnErrorNotACrash() {
        let solver = Z3Solver()
        XCTAssertThrowsError(try solver.assert(smtlib2: "(assert (> undeclared 1))")) { error in
            XCTAssertTrue("\(error)".contains("Z3"), "\(error)")
        }
    }
}
