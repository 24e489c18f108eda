import VerdictBounds
import VerdictCore
import VerdictTestSupport
import XCTest

/// Property-based tests of the CPU engine on random small ReLU networks and boxes.
final class BoundSoundnessTests: XCTestCase {
    private let methods: [BoundMethod] = [.ibp, .crown, .alphaCrown, .betaCrown]

    private struct Scenario {
        let network: Network
        let boundNetwork: BoundNetwork
        let box: InputBox
        let objectives: Objectives
        let region: OutputRegion
    }

    private func scenario(_ generator: inout SeededGenerator) throws -> Scenario {
        let inputs = Int.random(in: 1...5, using: &generator)
        let hidden = (0..<Int.random(in: 1...3, using: &generator)).map { _ in Int.random(in: 2...12, using: &generator) }
        let outputs = Int.random(in: 1...4, using: &generator)
        let network = try RandomNetworks.multilayerPerceptron(widths: [inputs] + hidden + [outputs], generator: &generator)
        let center = (0..<inputs).map { _ in Double.random(in: -1...1, using: &generator) }
        let radius = (0..<inputs).map { _ in Double.random(in: 0...0.6, using: &generator) }
        let box = InputBox(lower: zip(center, radius).map(-), upper: zip(center, radius).map(+))
        // Random rows: each disjunct one or two random constraints.
        let disjuncts = (0..<Int.random(in: 1...3, using: &generator)).map { _ in
            (0..<Int.random(in: 1...2, using: &generator)).map { _ in
                LinearConstraint(
                    terms: (0..<outputs).map { LinearConstraint.Term(index: $0, coefficient: Double(Int.random(in: -2...2, using: &generator))) },
                    bound: RealInterval(exactly: Double.random(in: -1...1, using: &generator)))
            }
        }
        let region = OutputRegion(disjuncts: disjuncts)
        return Scenario(
            network: network, boundNetwork: try BoundNetwork(network), box: box,
            objectives: Objectives(region: region, outputCount: outputs), region: region)
    }

    private func samples(in box: InputBox, count: Int, _ generator: inout SeededGenerator) -> [[Double]] {
        (0..<count).map { index in
            (0..<box.dimension).map { j in
                // Include corners: they are where linear bounds are tight.
                index % 7 == 0 ? (Bool.random(using: &generator) ? box.lower[j] : box.upper[j])
                    : Double.random(in: box.lower[j]...box.upper[j], using: &generator)
            }
        }
    }

    func testSampledPointsNeverFallOutsideTheBounds() throws {
        var generator = SeededGenerator(seed: 100)
        for _ in 0..<60 {
            let scenario = try scenario(&generator)
            let engine = CPUBoundEngine(network: scenario.boundNetwork)
            let task = BoundTask(subproblem: Subproblem(box: scenario.box, network: scenario.boundNetwork), objectives: scenario.objectives)
            let points = samples(in: scenario.box, count: 300, &generator)
            for method in methods {
                let result = try XCTUnwrap(engine.bound([task], options: BoundOptions(method: method, iterations: 10)).first)
                XCTAssertFalse(result.isInfeasible)
                for point in points {
                    let values = try scenario.network.evaluateAll(point)
                    let rows = scenario.objectives.values(at: values.last!)
                    for row in rows.indices {
                        XCTAssertLessThanOrEqual(result.lower[row], rows[row], "\(method) lower bound above a sampled value")
                        XCTAssertGreaterThanOrEqual(result.upper[row], rows[row], "\(method) upper bound below a sampled value")
                    }
                    // Pre-activation bounds of every ReLU layer hold too (values alternate affine, ReLU).
                    for layer in 0..<scenario.boundNetwork.reluLayerCount {
                        let z = values[1 + 2 * layer]
                        for j in z.indices {
                            XCTAssertLessThanOrEqual(result.layerBounds.lower[layer][j], z[j])
                            XCTAssertGreaterThanOrEqual(result.layerBounds.upper[layer][j], z[j])
                        }
                    }
                    // A refuted disjunct is never reached by a sampled point.
                    for (index, conjunction) in scenario.region.disjuncts.enumerated() where result.refutedDisjuncts[index] {
                        let reached = conjunction.allSatisfy { constraint in
                            constraint.terms.reduce(0) { $0 + $1.coefficient * values.last![$1.index] } <= constraint.bound.upper
                        }
                        XCTAssertFalse(reached, "\(method) refuted a disjunct a sample reaches")
                    }
                }
            }
        }
    }

    func testTightnessOrderIBPCROWNAlphaCROWN() throws {
        var generator = SeededGenerator(seed: 200)
        var strictlyTighter = 0
        for _ in 0..<60 {
            let scenario = try scenario(&generator)
            let engine = CPUBoundEngine(network: scenario.boundNetwork)
            let task = BoundTask(subproblem: Subproblem(box: scenario.box, network: scenario.boundNetwork), objectives: scenario.objectives)
            let ibp = try engine.bound([task], options: BoundOptions(method: .ibp))[0]
            let crown = try engine.bound([task], options: BoundOptions(method: .crown))[0]
            let alpha = try engine.bound([task], options: BoundOptions(method: .alphaCrown, iterations: 15))[0]
            for row in 0..<scenario.objectives.rowCount {
                XCTAssertGreaterThanOrEqual(crown.lower[row], ibp.lower[row])
                XCTAssertLessThanOrEqual(crown.upper[row], ibp.upper[row])
                XCTAssertGreaterThanOrEqual(alpha.lower[row], crown.lower[row])
                if crown.lower[row] > ibp.lower[row] + 1e-9 { strictlyTighter += 1 }
            }
            // Intermediate bounds: CROWN's are inside IBP's.
            for layer in ibp.layerBounds.lower.indices {
                for j in ibp.layerBounds.lower[layer].indices {
                    XCTAssertGreaterThanOrEqual(crown.layerBounds.lower[layer][j], ibp.layerBounds.lower[layer][j])
                    XCTAssertLessThanOrEqual(crown.layerBounds.upper[layer][j], ibp.layerBounds.upper[layer][j])
                }
            }
        }
        XCTAssertGreaterThan(strictlyTighter, 10, "CROWN should usually beat IBP on these networks")
    }

    func testSplitsAreRespectedAndBetaCROWNBeatsCROWNOnBothChildren() throws {
        var generator = SeededGenerator(seed: 300)
        var checkedChildren = 0
        var betaHelped = 0
        for _ in 0..<80 {
            let scenario = try scenario(&generator)
            let engine = CPUBoundEngine(network: scenario.boundNetwork)
            let root = Subproblem(box: scenario.box, network: scenario.boundNetwork)
            let rootResult = try engine.bound([BoundTask(subproblem: root, objectives: scenario.objectives)], options: BoundOptions(method: .crown))[0]
            // Split the first unstable ReLU.
            guard let (layer, neuron) = rootResult.layerBounds.firstUnstable else { continue }
            let children = [ReluPhase.active, .inactive].map { root.splitting(ReluSplit(layer: layer, neuron: neuron, phase: $0), parent: rootResult) }
            let tasks = children.map { BoundTask(subproblem: $0, objectives: scenario.objectives) }
            let crown = try engine.bound(tasks, options: BoundOptions(method: .crown))
            let beta = try engine.bound(tasks, options: BoundOptions(method: .betaCrown, iterations: 15))
            let points = samples(in: scenario.box, count: 300, &generator)
            for (index, phase) in [ReluPhase.active, .inactive].enumerated() {
                // The phase shows in the bounds.
                if !crown[index].isInfeasible {
                    if phase == .active { XCTAssertGreaterThanOrEqual(crown[index].layerBounds.lower[layer][neuron], 0) }
                    if phase == .inactive { XCTAssertLessThanOrEqual(crown[index].layerBounds.upper[layer][neuron], 0) }
                }
                for row in 0..<scenario.objectives.rowCount where !crown[index].isInfeasible {
                    XCTAssertGreaterThanOrEqual(beta[index].lower[row], crown[index].lower[row])
                    if beta[index].lower[row] > crown[index].lower[row] + 1e-9 { betaHelped += 1 }
                }
                // Sound on the child's region: the sampled points whose neuron has that phase.
                for point in points {
                    let values = try scenario.network.evaluateAll(point)
                    let z = values[1 + 2 * layer][neuron]
                    guard phase == .active ? z >= 0 : z <= 0 else { continue }
                    XCTAssertFalse(crown[index].isInfeasible, "a child holding a sampled point was declared empty")
                    let rows = scenario.objectives.values(at: values.last!)
                    for row in rows.indices {
                        XCTAssertLessThanOrEqual(crown[index].lower[row], rows[row])
                        XCTAssertLessThanOrEqual(beta[index].lower[row], rows[row])
                        XCTAssertGreaterThanOrEqual(beta[index].upper[row], rows[row])
                    }
                }
                checkedChildren += 1
            }
        }
        XCTAssertGreaterThan(checkedChildren, 50)
        print("beta-CROWN improved on CROWN in \(betaHelped) child rows")
    }

    /// α on the intermediate layers: every neuron's bounds stay inside CROWN's, hold on
    /// sampled points, and are often strictly tighter.
    func testOptimizedIntermediateBoundsAreSoundAndInsideCROWNs() throws {
        var generator = SeededGenerator(seed: 500)
        var tightened = 0
        for _ in 0..<40 {
            let scenario = try scenario(&generator)
            guard scenario.boundNetwork.reluLayerCount >= 2 else { continue }
            let engine = CPUBoundEngine(network: scenario.boundNetwork)
            let task = BoundTask(subproblem: Subproblem(box: scenario.box, network: scenario.boundNetwork), objectives: scenario.objectives)
            let plain = try engine.bound([task], options: BoundOptions(method: .alphaCrown, iterations: 10))[0]
            var settings = BoundOptions(method: .alphaCrown, iterations: 10)
            settings.intermediateIterations = 15
            let optimized = try engine.bound([task], options: settings)[0]
            for layer in 0..<scenario.boundNetwork.reluLayerCount {
                for j in optimized.layerBounds.lower[layer].indices {
                    XCTAssertGreaterThanOrEqual(optimized.layerBounds.lower[layer][j], plain.layerBounds.lower[layer][j])
                    XCTAssertLessThanOrEqual(optimized.layerBounds.upper[layer][j], plain.layerBounds.upper[layer][j])
                    if optimized.layerBounds.lower[layer][j] > plain.layerBounds.lower[layer][j] + 1e-9 { tightened += 1 }
                }
            }
            for point in samples(in: scenario.box, count: 300, &generator) {
                let values = try scenario.network.evaluateAll(point)
                for layer in 0..<scenario.boundNetwork.reluLayerCount {
                    for (j, z) in values[1 + 2 * layer].enumerated() {
                        XCTAssertLessThanOrEqual(optimized.layerBounds.lower[layer][j], z)
                        XCTAssertGreaterThanOrEqual(optimized.layerBounds.upper[layer][j], z)
                    }
                }
                let rows = scenario.objectives.values(at: values.last!)
                for row in rows.indices {
                    XCTAssertLessThanOrEqual(optimized.lower[row], rows[row])
                    XCTAssertGreaterThanOrEqual(optimized.upper[row], rows[row])
                }
            }
        }
        XCTAssertGreaterThan(tightened, 5, "optimizing the intermediate layers' α should tighten some neurons")
    }

    /// Branching trials (``BoundOptions/objectiveLowerBoundsOnly``): the lower bounds of a
    /// child that keeps all its parent's layers, by one pass at the parent's α and β. They hold
    /// on sampled points of the child's region, never beat a full β-CROWN bound of the same
    /// child (whose first step is that same pass), and the warm start is what makes them
    /// better than CROWN's slopes more often than worse.
    func testBranchingTrialsAreSoundAndUseTheParentsAlphaAndBeta() throws {
        var generator = SeededGenerator(seed: 600)
        var checkedChildren = 0, warmBetter = 0, warmWorse = 0
        let full = BoundOptions(method: .betaCrown, iterations: 10)
        var trial = full
        trial.objectiveLowerBoundsOnly = true
        for _ in 0..<60 {
            let scenario = try scenario(&generator)
            let engine = CPUBoundEngine(network: scenario.boundNetwork)
            let root = Subproblem(box: scenario.box, network: scenario.boundNetwork)
            let rootResult = try engine.bound([BoundTask(subproblem: root, objectives: scenario.objectives)], options: full)[0]
            guard let (layer, neuron) = rootResult.layerBounds.firstUnstable, !rootResult.isInfeasible else { continue }
            let points = samples(in: scenario.box, count: 300, &generator)
            for phase in [ReluPhase.active, .inactive] {
                let child = root.splitting(ReluSplit(layer: layer, neuron: neuron, phase: phase), parent: rootResult, reusingEveryLayer: true)
                var cold = child
                cold.warmStart = nil
                let tasks = [child, cold].map { BoundTask(subproblem: $0, objectives: scenario.objectives) }
                let trials = try engine.bound(tasks, options: trial)
                let bounded = try engine.bound([tasks[0]], options: full)[0]
                guard !trials[0].isInfeasible else { continue }
                XCTAssertNil(trials[0].relaxation)
                for row in 0..<scenario.objectives.rowCount {
                    XCTAssertEqual(trials[0].upper[row], .infinity)
                    XCTAssertLessThanOrEqual(trials[0].lower[row], bounded.lower[row] + 1e-9 * max(1, bounded.lower[row].magnitude))
                    if trials[0].lower[row] > trials[1].lower[row] + 1e-9 { warmBetter += 1 }
                    if trials[0].lower[row] < trials[1].lower[row] - 1e-9 { warmWorse += 1 }
                }
                XCTAssertEqual(trials[0].refutedDisjuncts, scenario.objectives.refuted(byLowerBounds: trials[0].lower))
                for point in points {
                    let values = try scenario.network.evaluateAll(point)
                    guard child.splitsHold(preActivations: child.phases.indices.map { values[1 + 2 * $0] }) else { continue }
                    let rows = scenario.objectives.values(at: values.last!)
                    for row in rows.indices {
                        XCTAssertLessThanOrEqual(trials[0].lower[row], rows[row])
                        XCTAssertLessThanOrEqual(trials[1].lower[row], rows[row])
                    }
                }
                checkedChildren += 1
            }
        }
        XCTAssertGreaterThan(checkedChildren, 40)
        XCTAssertGreaterThan(warmBetter, warmWorse, "the parent's α and β should help a trial more often than not")
        print("trials: warm start better in \(warmBetter) rows, worse in \(warmWorse)")
    }

    func testDeeperSplitsStaySound() throws {
        var generator = SeededGenerator(seed: 400)
        for _ in 0..<30 {
            let scenario = try scenario(&generator)
            let engine = CPUBoundEngine(network: scenario.boundNetwork)
            var subproblem = Subproblem(box: scenario.box, network: scenario.boundNetwork)
            var result = try engine.bound([BoundTask(subproblem: subproblem, objectives: scenario.objectives)], options: BoundOptions(method: .betaCrown, iterations: 5))[0]
            // Follow a random path of splits, checking soundness on sampled points of the region.
            let points = samples(in: scenario.box, count: 400, &generator)
            for _ in 0..<4 {
                guard let (layer, neuron) = result.layerBounds.firstUnstable, !result.isInfeasible else { break }
                let phase: ReluPhase = Bool.random(using: &generator) ? .active : .inactive
                subproblem = subproblem.splitting(ReluSplit(layer: layer, neuron: neuron, phase: phase), parent: result)
                result = try engine.bound([BoundTask(subproblem: subproblem, objectives: scenario.objectives)], options: BoundOptions(method: .betaCrown, iterations: 5))[0]
                for point in points {
                    let values = try scenario.network.evaluateAll(point)
                    let inRegion = subproblem.splitsHold(preActivations: subproblem.phases.indices.map { values[1 + 2 * $0] })
                    guard inRegion else { continue }
                    XCTAssertFalse(result.isInfeasible)
                    let rows = scenario.objectives.values(at: values.last!)
                    for row in rows.indices where !result.isInfeasible {
                        XCTAssertLessThanOrEqual(result.lower[row], rows[row])
                        XCTAssertGreaterThanOrEqual(result.upper[row], rows[row])
                    }
                }
            }
        }
    }

}
