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

    /// Equal bounds pop in the order they came (the heap's key breaks ties by arrival), and
    /// the weakest-bound order survives the rebuild that drops entries the other order popped.
    func testTiesPopInArrivalOrderAndOrderSurvivesCompaction() {
        var queue = SubproblemQueue()
        for depth in 0..<3 { queue.push(node(depth: depth, bound: -1)) }
        XCTAssertEqual([queue.pop(), queue.pop(), queue.pop()].map { $0?.depth }, [0, 1, 2])

        var generator = SeededGenerator(seed: 7)
        var expected: [Double] = []
        for index in 0..<3_000 {
            let bound = Double(Int.random(in: -500..<0, using: &generator))
            queue.push(node(depth: index % 50, bound: bound))
            expected.append(bound)
            // Pops through the other order leave stale entries behind until a rebuild.
            if index % 3 == 0, let popped = queue.pop(.closestPoint) {
                expected.remove(at: expected.firstIndex(of: popped.priority)!)
            }
        }
        var popped: [Double] = []
        while let item = queue.pop() { popped.append(item.priority) }
        XCTAssertEqual(popped, expected.sorted())
    }
}

/// `--fsb-reduce auto` means `max` where children keep every intermediate layer, `min` where
/// they recompute them; the explicit choices stay as they are.
final class FSBReductionTests: XCTestCase {
    func testAutoFollowsTheChildrenIntermediateBounds() {
        XCTAssertEqual(FSBReduction.auto.resolved(reusingEveryLayer: true), .max)
        XCTAssertEqual(FSBReduction.auto.resolved(reusingEveryLayer: false), .min)
        for reduction in [FSBReduction.min, .max] {
            XCTAssertEqual(reduction.resolved(reusingEveryLayer: true), reduction)
            XCTAssertEqual(reduction.resolved(reusingEveryLayer: false), reduction)
        }
        XCTAssertEqual(VerificationOptions.defaults.fsbReduce, .auto)
    }
}
