import VerdictCore
@testable import VerdictVNNLIB
import XCTest

final class ParserTests: XCTestCase {
    private let declarations = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
    private let box = "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (>= X_1 0))\n(assert (<= X_1 2))\n"

    private func parse(_ assertions: String) throws -> Property {
        try VNNLIBParser.parse(declarations + box + assertions, file: "test.vnnlib")
    }

    private func error(_ text: String) -> VNNLIBError? {
        do {
            _ = try VNNLIBParser.parse(text, file: "bad.vnnlib")
            return nil
        } catch {
            return error as? VNNLIBError
        }
    }

    func testNumbersInEveryForm() throws {
        for (text, value) in [("3", 3.0), ("-0.5", -0.5), (".5", 0.5), ("5.", 5.0), ("1e-3", 0.001), ("4.2E+7", 4.2e7), ("+2", 2.0), ("-1.5e2", -150.0)] {
            let property = try parse("(assert (<= Y_0 \(text)))")
            XCTAssertEqual(property.cases[0].unsafe.disjuncts[0][0].bound.nearest, value, text)
        }
        let negated = try parse("(assert (<= Y_0 (- 2.5)))")
        XCTAssertEqual(negated.cases[0].unsafe.disjuncts[0][0].bound, RealInterval(exactly: -2.5))
    }

    func testExactnessOfDecimals() {
        for (text, exact) in [
            ("0.5", true), ("0.1", false), ("0.25e1", true), ("123456789", true), ("1e22", true), ("1e23", false),
            ("0.029999999329447746", false), ("3.0", true), ("0.375", true), ("9007199254740993", false), ("-0.0", true),
        ] {
            XCTAssertEqual(DecimalLiteral(text)?.isExact, exact, text)
        }
        XCTAssertNil(DecimalLiteral("1.2.3"))
        XCTAssertNil(DecimalLiteral("1e"))
        XCTAssertNil(DecimalLiteral("inf"))
        XCTAssertNil(DecimalLiteral("0x10"))
    }

    func testInexactBoundsAreRoundedOutwardForProofsAndInwardForWitnesses() throws {
        let property = try VNNLIBParser.parse(
            "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (>= X_0 0.1))(assert (<= X_0 0.7))(assert (>= Y_0 0.3))",
            file: "t")
        let item = property.cases[0]
        XCTAssertLessThan(item.box.lower[0], 0.1)
        XCTAssertGreaterThan(item.innerBox.lower[0], 0.1)
        XCTAssertGreaterThan(item.box.upper[0], 0.7)
        XCTAssertLessThan(item.innerBox.upper[0], 0.7)
        // -Y_0 <= -0.3: the outer side (used by proofs) is above -0.3, the inner side below.
        let bound = item.unsafe.disjuncts[0][0].bound
        XCTAssertLessThan(bound.lower, -0.3)
        XCTAssertGreaterThan(bound.upper, -0.3)
    }

    func testComparisonsAndTerms() throws {
        let property = try parse("(assert (<= (+ Y_0 (* 2 Y_1) -3) (- Y_1 0.5)))")
        // Y_0 + 2 Y_1 - 3 - Y_1 + 0.5 <= 0  ⇔  Y_0 + Y_1 <= 2.5
        let constraint = property.cases[0].unsafe.disjuncts[0][0]
        XCTAssertEqual(constraint.terms, [.init(index: 0, coefficient: 1), .init(index: 1, coefficient: 1)])
        XCTAssertEqual(constraint.bound, RealInterval(exactly: 2.5))
        XCTAssertFalse(constraint.isStrict)
        let scaled = try parse("(assert (>= (* Y_0 -4) 1))")
        XCTAssertEqual(scaled.cases[0].unsafe.disjuncts[0][0].terms, [.init(index: 0, coefficient: 4)])
        XCTAssertEqual(scaled.cases[0].unsafe.disjuncts[0][0].bound, RealInterval(exactly: -1))
    }

    func testStrictAndNegatedComparisons() throws {
        let property = try parse("(assert (not (<= Y_0 1)))")
        let constraint = property.cases[0].unsafe.disjuncts[0][0]
        XCTAssertTrue(constraint.isStrict)  // -Y_0 < -1
        XCTAssertEqual(constraint.terms, [.init(index: 0, coefficient: -1)])
        XCTAssertTrue(constraint.isSurelySatisfied(by: [1.5, 0]))
        XCTAssertFalse(constraint.isSurelySatisfied(by: [1, 0]))
        // not (a and b) = (not a) or (not b): two disjuncts.
        let deMorgan = try parse("(assert (not (and (<= Y_0 1) (<= Y_1 1))))")
        XCTAssertEqual(deMorgan.cases[0].unsafe.disjuncts.count, 2)
    }

    func testEqualityAndChainedComparisons() throws {
        let property = try VNNLIBParser.parse(
            "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= -1 X_0 1))(assert (= Y_0 0.5))", file: "t")
        XCTAssertEqual(property.cases[0].box, InputBox(lower: [-1], upper: [1]))
        XCTAssertEqual(property.cases[0].unsafe.disjuncts[0].count, 2)
    }

    func testNestedOrAndInAnyOrder() throws {
        // Two boxes, each with its own output condition, written inside one disjunction.
        let text = """
            (declare-const X_0 Real)
            (declare-const Y_0 Real)
            (declare-const Y_1 Real)
            (assert (or
                (and (>= X_0 0) (<= X_0 1) (or (>= Y_0 5) (>= Y_1 5)))
                (and (<= Y_0 -5) (and (>= X_0 1) (<= X_0 2)))
            ))
            """
        let property = try VNNLIBParser.parse(text, file: "t")
        XCTAssertEqual(property.cases.count, 2)
        XCTAssertEqual(property.cases[0].box, InputBox(lower: [0], upper: [1]))
        XCTAssertEqual(property.cases[0].unsafe.disjuncts.count, 2)
        XCTAssertEqual(property.cases[1].box, InputBox(lower: [1], upper: [2]))
        XCTAssertEqual(property.cases[1].unsafe.disjuncts.count, 1)
    }

    func testEmptyBoxDisjunctsAreDropped() throws {
        let property = try VNNLIBParser.parse(
            "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (or (and (>= X_0 2) (<= X_0 1)) (and (>= X_0 0) (<= X_0 1))))(assert (>= Y_0 1))",
            file: "t")
        XCTAssertEqual(property.cases.count, 1)
        XCTAssertEqual(property.cases[0].box, InputBox(lower: [0], upper: [1]))
    }

    func testCommentsAndHousekeepingCommandsAreIgnored() throws {
        let property = try VNNLIBParser.parse(
            "; a comment\n(set-logic QF_LRA) ; trailing\n(declare-const X_0 Real)(declare-const Y_0 Real)\n(assert (<= X_0 1)) (assert (>= X_0 0))\n(assert (>= Y_0 1))\n(check-sat)",
            file: "t")
        XCTAssertEqual(property.inputCount, 1)
    }

    // MARK: Errors, with line and column

    func testUnbalancedParenthesesReportWhereTheListOpened() {
        let problem = error("(declare-const X_0 Real)\n(assert (<= X_0 1)\n")
        XCTAssertEqual(problem?.line, 2)
        XCTAssertEqual(problem?.column, 1)
        XCTAssertTrue(problem?.message.contains("unbalanced") == true)
        let extra = error("(declare-const X_0 Real))")
        XCTAssertEqual(extra?.line, 1)
        XCTAssertEqual(extra?.column, 25)
        XCTAssertEqual(extra.map { "\($0)" }, "bad.vnnlib:1:25: unbalanced parentheses: unexpected ')'")
    }

    func testUnknownVariableIsReportedWithItsPlace() {
        let problem = error("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert   (>= Y_7 0))")
        XCTAssertEqual(problem?.line, 4)
        XCTAssertEqual(problem?.column, 15)
        XCTAssertTrue(problem?.message.contains("Y_7") == true, problem?.message ?? "")
    }

    func testVariableNamesAreExact() {
        // `X_01` is not `X_1`: once it was read so, and a box became empty (`unsat`).
        let header = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
        let leadingZero = error(header + "(assert (<= X_01 1))")
        XCTAssertEqual(leadingZero?.message, "unknown variable X_01")
        XCTAssertEqual(error("(declare-const X_00 Real)")?.message.contains("cannot declare 'X_00'"), true)
        XCTAssertEqual(error(header + "(assert (<= X_+1 1))")?.message, "unknown variable X_+1")
    }

    func testQuotedSymbolsAreSymbols() throws {
        // `|1|` is a symbol, not the number 1; `|X_0|` is the variable X_0.
        let header = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
        XCTAssertEqual(error(header + "(assert (<= X_0 |1|))")?.message, "unknown variable |1|")
        XCTAssertEqual(error(header + "(assert (<= X_0 |-1|))")?.message, "unknown variable |-1|")
        let property = try VNNLIBParser.parse(header + "(assert (<= |X_0| 1))\n(assert (>= X_0 0))\n(assert (>= Y_0 0))")
        XCTAssertEqual(property.cases[0].box.upper, [1])
    }

    func testBadNumberIsReported() {
        let problem = error("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1.2.3))")
        XCTAssertEqual(problem?.line, 3)
        XCTAssertEqual(problem?.column, 17)
        XCTAssertEqual(problem?.message, "bad number '1.2.3'")
    }

    func testStructuralProblemsAreReported() {
        XCTAssertEqual(error("(declare-const X_0 Int)")?.message, "variable X_0 has sort Int; only Real is supported")
        XCTAssertTrue(error("(declare-const Z Real)")?.message.contains("X_<index>") == true)
        XCTAssertTrue(error("(frobnicate)")?.message.contains("unknown command") == true)
        XCTAssertTrue(error("(declare-const X_0 Real)(declare-const X_0 Real)")?.message.contains("twice") == true)
        XCTAssertTrue(error("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 1))(assert (>= Y_0 1))")?.message.contains("no lower bound") == true)
        XCTAssertTrue(error("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= X_0 Y_0))")?.message.contains("mixes inputs and outputs") == true)
        XCTAssertTrue(error("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= (* Y_0 Y_0) 1))")?.message.contains("product of two variables") == true)
        XCTAssertTrue(error("(declare-const X_1 Real)(declare-const Y_0 Real)")?.message.contains("X_0 is not declared") == true)
        XCTAssertTrue(error("(declare-const X_0 Real)(declare-const Y_0 Real)(assert (<= (* 0.1 Y_0) 1))")?.message.contains("no exact binary value") == true)
        XCTAssertTrue(error("(declare-const X_0 Real)(declare-const Y_0 Real)")?.message.contains("no assertions") == true)
        XCTAssertTrue(error("")?.message.contains("no inputs") == true)
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try VNNLIBParser.parse(contentsOf: "/nonexistent/p.vnnlib")) { error in
            XCTAssertEqual("\(error)", "/nonexistent/p.vnnlib: the file does not exist")
        }
    }

    func testDeepNestingIsAnErrorNotACrash() throws {
        func nested(_ depth: Int) -> String {
            "(declare-const X_0 Real)(declare-const Y_0 Real)(assert (>= X_0 0))(assert (<= X_0 1))(assert "
                + String(repeating: "(and ", count: depth) + "(>= Y_0 1)" + String(repeating: ")", count: depth) + ")"
        }
        XCTAssertNoThrow(try VNNLIBParser.parse(nested(900), file: "deep"))
        let problem = error(nested(100_000))
        XCTAssertEqual(problem?.line, 1)
        XCTAssertTrue(problem?.message.contains("nested deeper") == true, problem?.message ?? "no error")
    }

    func testOversizedNormalFormsAreRefusedBeforeTheyAreBuilt() {
        // 40 two-way disjunctions distribute into 2^40 disjuncts: refused from the sizes alone.
        let choices = String(repeating: "(assert (or (>= Y_0 1) (>= Y_1 1)))\n", count: 40)
        let problem = error(declarations + box + choices)
        XCTAssertTrue(problem?.message.contains("comparisons in disjunctive normal form") == true, problem?.message ?? "no error")
        // A long conjunction is no distribution: 20,000 one-bound assertions are read.
        let bounds = String(repeating: "(assert (<= Y_0 5))\n", count: 20_000)
        XCTAssertEqual(try parse(bounds).constraintCount, 20_000)
    }

    func testTheCallersStopConditionEndsALongRead() throws {
        let sum = "(assert (>= (+ " + String(repeating: "Y_0 ", count: 200_000) + ") 0))"
        var polls = 0
        XCTAssertThrowsError(try VNNLIBParser.parse(declarations + box + sum, file: "long.vnnlib") {
            polls += 1
            return polls == 2 ? "enough" : nil
        }) { error in
            XCTAssertEqual((error as? VNNLIBParser.Stopped)?.reason, "enough", "\(error)")
        }
        XCTAssertEqual(polls, 2)
        XCTAssertNoThrow(try VNNLIBParser.parse(declarations + box + sum, file: "long.vnnlib") { nil })
    }
}
