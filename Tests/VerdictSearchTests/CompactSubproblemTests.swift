import Foundation
@testable import VerdictBounds
import VerdictCore
@testable import VerdictSearch
import VerdictTestSupport
import XCTest

/// The queue keeps open subproblems in single precision: intermediate bounds must come back
/// no tighter than they went in (rounded outward), at most one single-precision step looser,
/// and what decides proofs and the queue's order (the objective rows' bounds) unchanged.
final class CompactSubproblemTests: XCTestCase {
    func testRoundingIsOutwardAndTightestOverEveryRange() {
        var generator = SeededGenerator(seed: 20261203)
        var values: [Double] = [0, -0.0, 1, -1, 1e-50, -1e-50, 1e-300, .infinity, -.infinity, 1e300, -1e300,
                                Double(Float.greatestFiniteMagnitude), Double(Float.greatestFiniteMagnitude).nextUp,
                                -Double(Float.greatestFiniteMagnitude).nextUp, Double(Float.leastNonzeroMagnitude) / 3]
        for _ in 0..<20_000 {
            let magnitude = Double.random(in: -60...60, using: &generator)
            values.append(Double.random(in: -1...1, using: &generator) * Foundation.pow(10, magnitude))
        }
        for x in values {
            let down = CompactSubproblem.roundedDown(x), up = CompactSubproblem.roundedUp(x)
            XCTAssertLessThanOrEqual(Double(down), x, "\(x)")
            XCTAssertGreaterThanOrEqual(Double(up), x, "\(x)")
            // The tightest such values: the next single-precision value past each is on the other side.
            if down < .infinity { XCTAssertGreaterThan(Double(down.nextUp), x, "\(x)") }
            if up > -.infinity { XCTAssertLessThan(Double(up.nextDown), x, "\(x)") }
        }
        XCTAssertTrue(CompactSubproblem.roundedDown(.nan).isNaN)
        XCTAssertTrue(CompactSubproblem.roundedUp(.nan).isNaN)
    }

    func testRoundTripKeepsRowBoundsAndLoosensLayerBoundsOnlyOutward() {
        var generator = SeededGenerator(seed: 7)
        let widths = [5, 3]
        let layout = ActivationLayout(inputCount: 2, outputCount: 2, reluWidths: widths)
        let random = { (count: Int, generator: inout SeededGenerator) in (0..<count).map { _ in Double.random(in: -3...3, using: &generator) } }
        let lower = widths.map { random($0, &generator) }
        let upper = zip(lower, widths).map { row, _ in row.map { $0 + 0.1 + .pi / 7 } }
        let bounds = SubproblemBounds(
            lower: [-0.123456789012345], upper: [2.000000000000001], refutedDisjuncts: [false], isInfeasible: false,
            layerBounds: LayerBounds(lower: lower, upper: upper),
            relaxation: OptimizedRelaxation(alpha: [random(8, &generator)], beta: [[0.25]]),
            witnessCandidate: [0.1, 0.7], branchingCoefficients: widths.map { random($0, &generator) }, inputCoefficients: [1.5, -2])
        let region = OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: 0, coefficient: 1)], bound: RealInterval(exactly: 0))]])
        let node = OpenSubproblem(
            subproblem: Subproblem(box: InputBox(lower: [0, 0], upper: [1, 1]), layout: layout), region: region,
            objectives: Objectives(region: region, outputCount: 2), bounds: bounds, depth: 3, z3UnstableLimit: 4)
        let compact = CompactSubproblem(node)
        XCTAssertLessThan(compact.approximateBytes, node.approximateBytes + 8 * 4)
        let back = compact.expanded
        XCTAssertEqual(back.bounds.lower, bounds.lower)
        XCTAssertEqual(back.priority, node.priority)
        XCTAssertEqual(back.depth, 3)
        for (k, width) in widths.enumerated() {
            for j in 0..<width {
                let l = back.bounds.layerBounds.lower[k][j], u = back.bounds.layerBounds.upper[k][j]
                XCTAssertLessThanOrEqual(l, lower[k][j])
                XCTAssertGreaterThanOrEqual(u, upper[k][j])
                XCTAssertLessThanOrEqual(lower[k][j] - l, abs(lower[k][j]) * Double(Float.ulpOfOne) + 1e-45)
                XCTAssertLessThanOrEqual(u - upper[k][j], abs(upper[k][j]) * Double(Float.ulpOfOne) + 1e-45)
            }
        }
        XCTAssertEqual(back.bounds.relaxation?.alpha[0].count, 8)
        XCTAssertEqual(back.bounds.relaxation?.beta, [[0.25]])
        XCTAssertEqual(back.bounds.witnessCandidate.count, 2)
        XCTAssertEqual(back.bounds.inputCoefficients, [1.5, -2])
        XCTAssertEqual(back.bounds.branchingCoefficients?.map(\.count), widths)
    }
}
