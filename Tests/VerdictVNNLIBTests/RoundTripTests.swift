import VerdictCore
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

/// Generated properties survive writing and parsing back.
final class RoundTripTests: XCTestCase {
    private func randomProperty(_ generator: inout SeededGenerator) -> Property {
        let inputs = Int.random(in: 1...12, using: &generator)
        let outputs = Int.random(in: 1...6, using: &generator)
        let caseCount = Int.random(in: 1...3, using: &generator)
        let cases = (0..<caseCount).map { _ -> Property.Case in
            var lower: [Double] = [], upper: [Double] = []
            for _ in 0..<inputs {
                let a = Double.random(in: -10...10, using: &generator)
                let width = Bool.random(using: &generator) ? 0.25 * Double(Int.random(in: 0...8, using: &generator)) : Double.random(in: 0...3, using: &generator)
                lower.append(a)
                upper.append(a + width)
            }
            let disjuncts = (0..<Int.random(in: 1...4, using: &generator)).map { _ in
                (0..<Int.random(in: 1...3, using: &generator)).map { _ -> LinearConstraint in
                    let terms = (0..<outputs).filter { _ in Bool.random(using: &generator) }.map {
                        LinearConstraint.Term(index: $0, coefficient: Double([-3, -2, -1, 1, 2, 3].randomElement(using: &generator)!) / 2)
                    }
                    let bound = Double.random(in: -100...100, using: &generator)
                    return LinearConstraint(
                        terms: terms.isEmpty ? [.init(index: 0, coefficient: 1)] : terms,
                        bound: RealInterval(exactly: bound), isStrict: Bool.random(using: &generator))
                }
            }
            return Property.Case(box: InputBox(lower: lower, upper: upper), unsafe: OutputRegion(disjuncts: disjuncts))
        }
        return Property(inputCount: inputs, outputCount: outputs, cases: cases)
    }

    /// The parsed case's outer box contains the written box and its inner box lies inside,
    /// each within one step of the written numbers.
    private func encloses(_ parsed: Property.Case, _ box: InputBox) -> Bool {
        for index in 0..<box.dimension {
            let lower = box.lower[index], upper = box.upper[index]
            let outerLower = parsed.box.lower[index], innerLower = parsed.innerBox.lower[index]
            let outerUpper = parsed.box.upper[index], innerUpper = parsed.innerBox.upper[index]
            guard outerLower <= lower, lower <= innerLower, innerUpper <= upper, upper <= outerUpper else { return false }
            guard outerLower >= lower.nextDown, innerLower <= lower.nextUp else { return false }
            guard outerUpper <= upper.nextUp, innerUpper >= upper.nextDown else { return false }
        }
        return true
    }

    private func sameConstraints(_ parsed: [LinearConstraint], _ written: [LinearConstraint]) -> Bool {
        guard parsed.count == written.count else { return false }
        for (a, b) in zip(parsed, written) {
            guard a.terms == b.terms, a.isStrict == b.isStrict, a.bound.nearest == b.bound.nearest else { return false }
            guard a.bound.lower <= b.bound.nearest, b.bound.nearest <= a.bound.upper else { return false }
        }
        return true
    }

    func testGeneratedPropertiesRoundTrip() throws {
        var generator = SeededGenerator(seed: 42)
        for round in 0..<300 {
            let original = randomProperty(&generator)
            let text = VNNLIBWriter.write(original, comment: "round \(round)")
            let parsed = try VNNLIBParser.parse(text, file: "round-\(round).vnnlib")
            XCTAssertEqual(parsed.inputCount, original.inputCount)
            XCTAssertEqual(parsed.outputCount, original.outputCount)
            // Equal boxes in the original merge into one case when parsed; compare per case.
            XCTAssertLessThanOrEqual(parsed.cases.count, original.cases.count)
            for item in original.cases {
                let matches = parsed.cases.filter { candidate in encloses(candidate, item.box) }
                XCTAssertEqual(matches.count, 1, text)
                guard let match = matches.first else { continue }
                for conjunction in item.unsafe.disjuncts {
                    let found = match.unsafe.disjuncts.contains { sameConstraints($0, conjunction) }
                    XCTAssertTrue(found, "round \(round): \(conjunction) missing\n\(text)")
                }
            }
        }
    }

    func testWritingAParsedFileAgainGivesTheSameText() throws {
        let text = """
            (declare-const X_0 Real)
            (declare-const Y_0 Real)
            (declare-const Y_1 Real)
            (assert (>= X_0 0.1))
            (assert (<= X_0 0.3))
            (assert (or (and (>= Y_0 Y_1)) (and (<= Y_0 -2.5) (< Y_1 1e-05))))
            """
        let once = VNNLIBWriter.write(try VNNLIBParser.parse(text, file: "t"))
        let twice = VNNLIBWriter.write(try VNNLIBParser.parse(once, file: "t2"))
        XCTAssertEqual(once, twice)
        XCTAssertTrue(once.contains("(assert (>= X_0 0.1))"), once)
    }
}
