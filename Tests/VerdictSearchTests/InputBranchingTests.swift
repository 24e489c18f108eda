import VerdictCore
import XCTest

@testable import VerdictBounds
@testable import VerdictSearch

/// Which dimensions input branching by improvement tries (`--input-branching-candidates`).
final class InputBranchingTests: XCTestCase {
    /// A box of widths 1, 0.5, 0.9, 0.9 (root widths 1) whose weakest row has input
    /// coefficients 0.1, 10, 5, 0: scores 0.1, 5, 4.5, 0.
    private func node(coefficients: [Double]?) -> OpenSubproblem {
        let box = InputBox(lower: [0, 0, 0, 0], upper: [1, 0.5, 0.9, 0.9])
        let layout = ActivationLayout(inputCount: 4, outputCount: 1, reluWidths: [])
        let row = LinearConstraint(terms: [.init(index: 0, coefficient: 1)], bound: RealInterval(lower: -.infinity, upper: 0))
        let region = OutputRegion(disjuncts: [[row]])
        var bounds = SubproblemBounds(
            lower: [-1], upper: [1], refutedDisjuncts: [false], isInfeasible: false,
            layerBounds: LayerBounds(lower: [], upper: []), relaxation: nil, witnessCandidate: box.center)
        bounds.inputCoefficients = coefficients
        return OpenSubproblem(
            subproblem: Subproblem(box: box, layout: layout), region: region, objectives: Objectives(region: region, outputCount: 1),
            bounds: bounds, depth: 0, z3UnstableLimit: 0)
    }

    func testCandidatesAreTheWidestAndTheBestScored() {
        let scored = node(coefficients: [0.1, 10, 5, 0]), roots = [1.0, 1, 1, 1], all = [0, 1, 2, 3]
        // The relatively widest (0) always, then the best scores (1, then 2).
        XCTAssertEqual(InputBranching.ranked(scored, among: all, keeping: 3, rootWidths: roots), [0, 1, 2])
        XCTAssertEqual(InputBranching.ranked(scored, among: all, keeping: 2, rootWidths: roots), [0, 1])
        XCTAssertEqual(InputBranching.ranked(scored, among: all, keeping: 1, rootWidths: roots), [0])
        // Widths relative to the root: with dimension 0's root twice as wide, 2 and 3 are widest.
        XCTAssertEqual(InputBranching.ranked(scored, among: all, keeping: 2, rootWidths: [2, 1, 1, 1]).sorted(), [1, 2])
        // Only the dimensions offered are ranked.
        XCTAssertEqual(InputBranching.ranked(scored, among: [1, 3], keeping: 1, rootWidths: roots), [3])
        // 0 (every dimension), as many candidates as dimensions, or no coefficients: all of them.
        XCTAssertEqual(InputBranching.ranked(scored, among: all, keeping: 0, rootWidths: roots), all)
        XCTAssertEqual(InputBranching.ranked(scored, among: all, keeping: 4, rootWidths: roots), all)
        XCTAssertEqual(InputBranching.ranked(node(coefficients: nil), among: all, keeping: 2, rootWidths: roots), all)
    }
}
