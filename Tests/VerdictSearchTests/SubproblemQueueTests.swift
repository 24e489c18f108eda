@testable import VerdictBounds
import VerdictCore
@testable import VerdictSearch
import XCTest

/// The queue's open volume (`2^-depth` summed over what it holds) is what decides whether the
/// refinement restart waits for a search that is closing in: it must follow every push and pop.
final class SubproblemQueueTests: XCTestCase {
    private func node(depth: Int, bound: Double) -> OpenSubproblem {
        let layout = ActivationLayout(inputCount: 1, outputCount: 1, reluWidths: [1])
        let region = OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: 0, coefficient: 1)], bound: RealInterval(exactly: 0))]])
        let bounds = SubproblemBounds(
            lower: [bound], upper: [1], refutedDisjuncts: [false], isInfeasible: false,
            layerBounds: LayerBounds(lower: [[-1]], upper: [[1]]), relaxation: nil, witnessCandidate: [0.5])
        return OpenSubproblem(
            subproblem: Subproblem(box: InputBox(lower: [0], upper: [1]), layout: layout), region: region,
            objectives: Objectives(region: region, outputCount: 1), bounds: bounds, depth: depth, z3UnstableLimit: 0)
    }

    func testOpenVolumeFollowsPushAndPop() {
        var queue = SubproblemQueue()
        XCTAssertEqual(queue.openVolume, 0)
        for (depth, bound) in [(0, -4.0), (1, -3.0), (1, -2.0), (3, -1.0)] { queue.push(node(depth: depth, bound: bound)) }
        XCTAssertEqual(queue.openVolume, 1 + 0.5 + 0.5 + 0.125)
        // Weakest bound first: depth 0, then depth 1.
        XCTAssertEqual(queue.pop()?.depth, 0)
        XCTAssertEqual(queue.openVolume, 1.125)
        XCTAssertEqual(queue.pop()?.depth, 1)
        XCTAssertEqual(queue.openVolume, 0.625)
        while queue.pop() != nil {}
        XCTAssertEqual(queue.openVolume, 0)
        XCTAssertEqual(SubproblemQueue.volume(depth: 60), 0x1p-60)
    }
}
