import VerdictTestSupport
import VerdictZ3
import XCTest

@testable import Verdict

/// `verdict radius` on random small networks: the certified radius is proved (whole-network
/// Z3 agrees: `unsat` there), the falsified radius's witness passes the exact checker, and the
/// bracket closes to the tolerance when no time limit intervenes. Output-closeness
/// properties agree with Z3.
final class RadiusSearchTests: XCTestCase {
    private func z3Answer(_ network: Network, _ property: Property) throws -> Answer {
        var options = VerificationOptions()
        options.deadline = Deadline(seconds: 30)
        return try Verifier(network: network, property: property, options: options).verifyWithZ3().answer
    }

    func testBracketsAreProvedAndWitnessed() throws {
        var generator = SeededGenerator(seed: 2026_12_02)
        var closedBoth = 0
        for index in 0..<8 {
            let inputs = Int.random(in: 2...4, using: &generator)
            let network = try RandomNetworks.multilayerPerceptron(widths: [inputs, 6, 5, 3], generator: &generator)
            let input = (0..<inputs).map { _ in Double(Float(Double.random(in: -1...1, using: &generator))) }
            let kind: RobustnessSpec.Kind = index % 2 == 0 ? .classification(label: nil) : .closeness(threshold: 0.3)
            let spec = RobustnessSpec(kind: kind)
            var options = VerificationOptions()
            options.seed = UInt64(index)
            let session = try VerificationSession(network: network, options: options, device: .cpu)
            let tolerance = 0.01
            let bracket = try RadiusSearch(session: session, spec: spec, input: input, maxRadius: 2, tolerance: tolerance, stepTimeout: 30).run()
            XCTAssertTrue(bracket.isClosed(maxRadius: 2), "problem \(index): \(bracket.certified as Any) .. \(bracket.falsified as Any)")
            let certified = try XCTUnwrap(bracket.certified, "problem \(index): the input itself is robust at radius 0")
            XCTAssertEqual(try z3Answer(network, spec.property(for: network, around: input, radius: certified).property), .unsat, "problem \(index)")
            if let falsified = bracket.falsified {
                XCTAssertLessThan(certified, falsified)
                let witness = try XCTUnwrap(bracket.witness)
                let property = try spec.property(for: network, around: input, radius: falsified).property
                XCTAssertTrue(try WitnessChecker(network: network, property: property).check(witness.input).isConfirmed, "problem \(index)")
                if falsified - certified <= tolerance { closedBoth += 1 }
            } else {
                XCTAssertGreaterThanOrEqual(certified, 2 - tolerance, "problem \(index): no counterexample up to the largest radius, which must then be proved")
            }
        }
        XCTAssertGreaterThan(closedBoth, 2, "most problems have both ends")
    }

    func testClosenessAgreesWithWholeNetworkZ3() throws {
        var generator = SeededGenerator(seed: 99)
        var answers: [Answer: Int] = [:]
        for index in 0..<16 {
            let network = try RandomNetworks.multilayerPerceptron(widths: [3, 5, 4, 2], generator: &generator)
            let input = (0..<3).map { _ in Double(Float(Double.random(in: -1...1, using: &generator))) }
            let spec = RobustnessSpec(kind: .closeness(threshold: Double.random(in: 0.05...0.5, using: &generator)), clip: .uniform(-1...1))
            let property = try spec.property(for: network, around: input, radius: Double.random(in: 0.01...0.5, using: &generator)).property
            let oracle = try z3Answer(network, property)
            guard oracle == .sat || oracle == .unsat else { continue }
            var options = VerificationOptions()
            options.seed = UInt64(index)
            options.deadline = Deadline(seconds: 30)
            let answer = try VerificationSession(network: network, options: options, device: .cpu).verify(property).answer
            XCTAssertEqual(answer, oracle, "problem \(index)")
            answers[answer, default: 0] += 1
        }
        XCTAssertGreaterThan(answers[.sat] ?? 0, 2)
        XCTAssertGreaterThan(answers[.unsat] ?? 0, 2)
    }

    func testAMisclassifiedInputHasNoCertifiedRadius() throws {
        var generator = SeededGenerator(seed: 5)
        let network = try RandomNetworks.multilayerPerceptron(widths: [2, 4, 3], generator: &generator)
        let input = [0.25, -0.5]
        let outputs = try network.evaluate(input)
        let predicted = outputs.indices.max { outputs[$0] < outputs[$1] }!
        let wrong = (predicted + 1) % 3
        let session = try VerificationSession(network: network, device: .cpu)
        let bracket = try RadiusSearch(session: session, spec: RobustnessSpec(kind: .classification(label: wrong)), input: input, maxRadius: 1, tolerance: 0.01).run()
        XCTAssertNil(bracket.certified)
        XCTAssertEqual(bracket.falsified, 0)
        XCTAssertEqual(bracket.witness?.input, input)
    }
}
