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
            let network = try RandomNetworks.multilayerPerceptron(widths: [4, 16, 16, 16, 2], generator: &generator)
            let boundNetwork = try BoundNetwork(network)
            let engine = CPUBoundEngine(network: boundNetwork)
            let box = InputBox(lower: [-1, -1, -1, -1], upper: [1, 1, 1, 1])
            let objectives = Objectives(
                region: OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: 0, coefficient: 1)], bound: RealInterval(exactly: 0))]]),
                outputCount: 2)
            let options = BoundOptions(method: .betaCrown, iterations: 10)
            func rootBounds(_ parent: LayerBounds?, keeping layers: Int) throws -> LayerBounds {
                var subproblem = Subproblem(box: box, network: boundNetwork)
                subproblem.parentBounds = parent
                subproblem.reusableLayers = layers
                return try engine.bound([BoundTask(subproblem: subproblem, objectives: objectives)], options: options)[0].layerBounds
            }
            let initial = try rootBounds(nil, keeping: 0)
            let refinement = IntermediateRefinement(engine: engine, layers: 2, splits: 6, options: options)
            let refined = try refinement.refine(box: box, initial: initial) { bounds, layer in try rootBounds(bounds, keeping: layer + 1) }

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
}
