import VerdictBounds
import VerdictCore
@testable import VerdictSearch
import VerdictTestSupport
import XCTest

/// Refined intermediate bounds must still contain every pre-activation the network computes
/// on the box (sound), never be looser than what they started from, and, over a few random
/// networks, actually be tighter somewhere (or the refinement does nothing).
final class IntermediateRefinementTests: XCTestCase {
    func testRefinedBoundsContainSampledPreActivationsAndAreTighter() throws {
        var generator = SeededGenerator(seed: 20261127)
        var widthBefore = 0.0, widthAfter = 0.0
        var stabilized = 0
        for _ in 0..<4 {
            let fixture = try Fixture(generator: &generator)
            let boundNetwork = fixture.network, box = fixture.box
            let initial = try fixture.rootBounds(nil, keeping: 0)
            var refinement = IntermediateRefinement(engine: fixture.engine, layers: 2, splits: 6, options: fixture.options)
            let refined = try refinement.refine(box: box, initial: initial) { bounds, layer in (try fixture.rootBounds(bounds, keeping: layer + 1), false) }

            for layer in 1...2 {
                for j in initial.lower[layer].indices {
                    // Layer 2 is re-bounded after layer 1's refinement, then refined itself.
                    if layer == 1 {
                        XCTAssertGreaterThanOrEqual(refined.lower[layer][j], initial.lower[layer][j])
                        XCTAssertLessThanOrEqual(refined.upper[layer][j], initial.upper[layer][j])
                    }
                    widthBefore += initial.upper[layer][j] - initial.lower[layer][j]
                    widthAfter += refined.upper[layer][j] - refined.lower[layer][j]
                }
            }
            stabilized += initial.unstableCount - refined.unstableCount
            for _ in 0..<2000 {
                // Corners and interior points: the extremes of pre-activations sit near corners.
                let point = (0..<4).map { _ in Bool.random(using: &generator) ? Double.random(in: -1...1, using: &generator) : (Bool.random(using: &generator) ? -1 : 1) }
                var activation = point
                for layer in 0..<boundNetwork.reluLayerCount {
                    let stage = boundNetwork.stages[layer]
                    let pre = (0..<stage.outputCount).map { row in
                        (0..<stage.inputCount).reduce(stage.bias[row]) { $0 + stage.weights[row * stage.inputCount + $1] * activation[$1] }
                    }
                    for j in pre.indices {
                        let slack = 1e-9 * max(1, pre[j].magnitude)
                        XCTAssertGreaterThanOrEqual(pre[j], refined.lower[layer][j] - slack, "layer \(layer) neuron \(j) at \(point)")
                        XCTAssertLessThanOrEqual(pre[j], refined.upper[layer][j] + slack, "layer \(layer) neuron \(j) at \(point)")
                    }
                    activation = pre.map { max($0, 0) }
                }
            }
        }
        print("refinement: summed widths of layers 1-2 \(widthBefore) -> \(widthAfter), \(stabilized) ReLUs stabilized")
        XCTAssertLessThan(widthAfter, widthBefore)
    }

    /// A spent time budget or memory limit leaves only the first bound of each neuron (no
    /// splits), and a re-bound that proves the property ends the refinement after that layer.
    func testRefinementStopsWhenItsTimeIsUpAndWhenTheRootIsProved() throws {
        var generator = SeededGenerator(seed: 7)
        let fixture = try Fixture(generator: &generator)
        let box = fixture.box, engine = fixture.engine, options = fixture.options
        func rootBounds(_ parent: LayerBounds?, keeping layers: Int) throws -> LayerBounds { try fixture.rootBounds(parent, keeping: layers) }
        let initial = try rootBounds(nil, keeping: 0)
        XCTAssertGreaterThan(initial.unstableCountByLayer[1], 0, "the test needs unstable ReLUs in layer 1")

        func refined(
            layers: Int, splits: Int, deadline: Deadline, proves: Bool, memory: Int = .max
        ) throws -> (bounds: LayerBounds, rebounds: Int, report: [RefinedLayer]) {
            var refinement = IntermediateRefinement(engine: engine, layers: layers, splits: splits, options: options)
            refinement.deadline = deadline
            refinement.memoryLimitBytes = memory
            var rebounds = 0
            let bounds = try refinement.refine(box: box, initial: initial) { bounds, layer in
                rebounds += 1
                return (try rootBounds(bounds, keeping: layer + 1), proves)
            }
            return (bounds, rebounds, refinement.report)
        }
        // Time up: the same bounds as no splits at all, and looser than with splits.
        let timeUpRun = try refined(layers: 1, splits: 6, deadline: Deadline(seconds: 0), proves: false)
        let timeUp = timeUpRun.bounds
        let noSplits = try refined(layers: 1, splits: 0, deadline: .none, proves: false).bounds
        let splitRun = try refined(layers: 1, splits: 6, deadline: Deadline(seconds: 600), proves: false)
        let split = splitRun.bounds
        // The report says what each layer got: no rounds when the time is up, at most the
        // split budget otherwise, and the unstable ReLUs the bounds themselves count.
        XCTAssertEqual(timeUpRun.report.map(\.layer), [1])
        XCTAssertEqual(timeUpRun.report[0].rounds, 0)
        XCTAssertEqual(timeUpRun.report[0].stop, .time)
        XCTAssertEqual(splitRun.report.map(\.layer), [1])
        XCTAssert((1...6).contains(splitRun.report[0].rounds), "\(splitRun.report)")
        // All 6 rounds, or fewer when no bound is left to split.
        XCTAssertEqual(splitRun.report[0].stop, splitRun.report[0].rounds == 6 ? .splits : .settled)
        XCTAssertEqual(splitRun.report[0].unstableBefore, initial.unstableCountByLayer[1])
        XCTAssertEqual(splitRun.report[0].unstableAfter, split.unstableCountByLayer[1])
        XCTAssertEqual(timeUp.lower[1], noSplits.lower[1])
        XCTAssertEqual(timeUp.upper[1], noSplits.upper[1])
        // A process already over its memory limit splits nothing either.
        let starved = try refined(layers: 1, splits: 6, deadline: .none, proves: false, memory: 0)
        XCTAssertEqual(starved.report.map(\.rounds), [0])
        XCTAssertEqual(starved.report.map(\.stop), [.memory])
        XCTAssertEqual(starved.bounds.lower[1], noSplits.lower[1])
        XCTAssertEqual(starved.bounds.upper[1], noSplits.upper[1])
        let width = { (bounds: LayerBounds) in zip(bounds.lower[1], bounds.upper[1]).reduce(0.0) { $0 + $1.1 - $1.0 } }
        XCTAssertLessThan(width(split), width(timeUp))
        // Both sides gain: each bound of a neuron has its own tree, and neither stops early
        // while the neuron stays unstable.
        XCTAssertGreaterThan(split.lower[1].reduce(0, +), noSplits.lower[1].reduce(0, +))
        XCTAssertLessThan(split.upper[1].reduce(0, +), noSplits.upper[1].reduce(0, +))
        // Proved after layer 1: one re-bound, and layer 2 is the re-bound's, not refined further.
        let proved = try refined(layers: 2, splits: 6, deadline: .none, proves: true)
        XCTAssertEqual(proved.rebounds, 1)
        XCTAssertEqual(proved.report.map(\.layer), [1])
        let reboundOnly = try rootBounds(split, keeping: 2)
        XCTAssertEqual(proved.bounds.lower[2], reboundOnly.lower[2])
        XCTAssertEqual(proved.bounds.upper[2], reboundOnly.upper[2])
        let goesOn = try refined(layers: 2, splits: 6, deadline: .none, proves: false)
        XCTAssertEqual(goesOn.rebounds, 1)
        XCTAssertEqual(goesOn.report.map(\.layer), [1, 2])
        XCTAssertLessThan(
            zip(goesOn.bounds.lower[2], goesOn.bounds.upper[2]).reduce(0.0) { $0 + $1.1 - $1.0 },
            zip(reboundOnly.lower[2], reboundOnly.upper[2]).reduce(0.0) { $0 + $1.1 - $1.0 })
    }

    /// The time split among layers: by unstable ReLUs alone with decay 0, early layers first
    /// with a positive decay, and all the time left to a layer when none is unstable.
    func testLayerSharesWeighEarlyLayersByTheDecay() {
        let unstable = [35, 45, 81, 117, 194, 200, 200, 200, 10]
        XCTAssertEqual(IntermediateRefinement.share(of: 1, through: 8, unstable: unstable, decay: 0), 45.0 / 1047, accuracy: 1e-12)
        let byDecay = [0.0, 1, 2].map { IntermediateRefinement.share(of: 1, through: 8, unstable: unstable, decay: $0) }
        XCTAssertLessThan(byDecay[0], byDecay[1])
        XCTAssertLessThan(byDecay[1], byDecay[2])
        // Layer 1 weighs 45, layer 2 81/4, layer 3 117/9, ...: 45 of 45 + 20.25 + 13 + 12.125 + 8 + 5.556 + 4.082 + 0.156.
        XCTAssertEqual(byDecay[2], 45 / (45 + 20.25 + 13 + 12.125 + 8 + 200.0 / 36 + 200.0 / 49 + 10.0 / 64), accuracy: 1e-12)
        XCTAssertEqual(IntermediateRefinement.share(of: 8, through: 8, unstable: unstable, decay: 2), 1)
        XCTAssertEqual(IntermediateRefinement.share(of: 2, through: 3, unstable: [5, 0, 0, 0], decay: 2), 1)
        XCTAssertEqual(IntermediateRefinement.share(of: 2, through: 3, unstable: [5, 0, 0, 7], decay: 2), 0)
    }

    /// The plateau rule: off at 0, never before 8 rounds, and on when the last 8 rounds gained
    /// less than the fraction of everything gained (a gain, not a loss: nothing gained is not
    /// a plateau yet).
    func testALayerLevelsOffWhenItsLastRoundsGainLittle() {
        let steady = (0...8).map { -10 + Double($0) }
        XCTAssertFalse(IntermediateRefinement.hasLevelledOff(steady, plateau: 0.1))
        XCTAssertFalse(IntermediateRefinement.hasLevelledOff(Array(steady.prefix(8)), plateau: 0.9))
        // 9 rounds: 10 gained in the first, 0.5 in the last 8.
        let flat = [-20.0, -10] + (1...8).map { -10 + Double($0) / 16 }
        XCTAssertTrue(IntermediateRefinement.hasLevelledOff(flat, plateau: 0.1))
        XCTAssertFalse(IntermediateRefinement.hasLevelledOff(flat, plateau: 0.01))
        XCTAssertFalse(IntermediateRefinement.hasLevelledOff(flat, plateau: 0))
        XCTAssertFalse(IntermediateRefinement.hasLevelledOff(Array(repeating: -3.0, count: 12), plateau: 0.5))
    }

    /// A random 4-16-16-16-2 network on the box [-1, 1]^4, with the property `y_0 >= 0` unsafe.
    private struct Fixture {
        let network: BoundNetwork
        let engine: CPUBoundEngine
        let box = InputBox(lower: [-1, -1, -1, -1], upper: [1, 1, 1, 1])
        let objectives = Objectives(
            region: OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: 0, coefficient: 1)], bound: RealInterval(exactly: 0))]]),
            outputCount: 2)
        let options = BoundOptions(method: .betaCrown, iterations: 10)

        init(generator: inout SeededGenerator) throws {
            network = try BoundNetwork(RandomNetworks.multilayerPerceptron(widths: [4, 16, 16, 16, 2], generator: &generator))
            engine = CPUBoundEngine(network: network)
        }

        /// The root's layer bounds, taking layers `0..<layers` from `parent`.
        func rootBounds(_ parent: LayerBounds?, keeping layers: Int) throws -> LayerBounds {
            var subproblem = Subproblem(box: box, network: network)
            subproblem.parentBounds = parent
            subproblem.reusableLayers = layers
            return try engine.bound([BoundTask(subproblem: subproblem, objectives: objectives)], options: options)[0].layerBounds
        }
    }
}
