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

/// `Z3Solver.interrupt()` from another thread ends a running check within a fraction of a
/// second, with and without a timeout, in both setups: the leaf pool relies on it to stop
/// leaves of a finished run.
final class Z3InterruptTests: XCTestCase {
    /// The pigeonhole principle for 10 pigeons in 9 holes: unsat, and many seconds of search.
    private var pigeonhole: String {
        let (pigeons, holes) = (10, 9)
        var text = ""
        for p in 0..<pigeons { for h in 0..<holes { text += "(declare-const p\(p)h\(h) Bool)\n" } }
        for p in 0..<pigeons { text += "(assert (or \((0..<holes).map { "p\(p)h\($0)" }.joined(separator: " "))))\n" }
        for h in 0..<holes {
            for a in 0..<pigeons { for b in (a + 1)..<pigeons { text += "(assert (or (not p\(a)h\(h)) (not p\(b)h\(h))))\n" } }
        }
        return text
    }

    func testInterruptEndsARunningCheck() throws {
        for (setup, timeout) in [(Z3Solver.Setup.core, UInt32?(60_000)), (.general, nil)] {
            let solver = Z3Solver(timeoutMilliseconds: timeout, setup: setup)
            try solver.assert(smtlib2: pigeonhole)
            let done = expectation(description: "check returned")
            let start = ContinuousClock.now
            let thread = Thread {
                _ = try? solver.check()
                done.fulfill()
            }
            thread.start()
            Thread.sleep(forTimeInterval: 0.3)
            solver.interrupt()
            wait(for: [done], timeout: 20)
            XCTAssertLessThan(ContinuousClock.now - start, .seconds(3), "\(setup), timeout \(timeout as Any)")
        }
    }
}
