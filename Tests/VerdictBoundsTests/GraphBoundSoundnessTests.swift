import VerdictBounds
import VerdictCore
import VerdictTestSupport
import XCTest

/// Property-based tests of the graph engine on random small convolutional and residual
/// networks (``RandomGraphs``): its bounds hold on sampled points, with and without splits;
/// on dense chains it agrees with the chain engine; its gradients match finite differences.
final class GraphBoundSoundnessTests: XCTestCase {
    private func samples(in box: InputBox, count: Int, _ generator: inout SeededGenerator) -> [[Double]] {
        RandomGraphs.samples(in: box, count: count, generator: &generator)
    }

    /// The pre-activations of each ReLU layer (the ReLU nodes' inputs) at a point.
    private func preActivations(_ network: Network, _ values: [[Double]]) -> [[Double]] {
        network.nodes.filter { $0.layer is ReLULayer }.map { values[$0.inputs[0].valueIndex] }
    }

    private func assertContains(_ result: SubproblemBounds, _ scenario: GraphScenario, point: [Double], message: String) throws {
        let values = try scenario.network.evaluateAll(point)
        let rows = scenario.objectives.values(at: values[scenario.network.output.valueIndex])
        for (row, value) in rows.enumerated() {
            XCTAssertLessThanOrEqual(result.lower[row], value, "\(message): row \(row) lower bound above a sampled value")
            XCTAssertGreaterThanOrEqual(result.upper[row], value, "\(message): row \(row) upper bound below a sampled value")
        }
        for (layer, z) in preActivations(scenario.network, values).enumerated() {
            for j in z.indices {
                XCTAssertLessThanOrEqual(result.layerBounds.lower[layer][j], z[j], "\(message): layer \(layer) neuron \(j)")
                XCTAssertGreaterThanOrEqual(result.layerBounds.upper[layer][j], z[j], "\(message): layer \(layer) neuron \(j)")
            }
        }
    }

    func testBoundsHoldOnSampledPointsOfRandomGraphs() throws {
        var generator = SeededGenerator(seed: 17)
        var crownTighter = 0, alphaTighter = 0, rows = 0
        for index in 0..<60 {
            let scenario = try GraphScenario(&generator)
            let engine = GraphBoundEngine(graph: scenario.graph)
            let task = BoundTask(subproblem: Subproblem(box: scenario.box, layout: engine.layout), objectives: scenario.objectives)
            let ibp = try XCTUnwrap(engine.bound([task], options: BoundOptions(method: .ibp)).first)
            let crown = try XCTUnwrap(engine.bound([task], options: BoundOptions(method: .crown)).first)
            let alpha = try XCTUnwrap(engine.bound([task], options: BoundOptions(method: .alphaCrown, iterations: 10)).first)
            XCTAssertFalse(crown.isInfeasible)
            for point in samples(in: scenario.box, count: 200, &generator) {
                try assertContains(ibp, scenario, point: point, message: "graph \(index) ibp")
                try assertContains(crown, scenario, point: point, message: "graph \(index) crown")
                try assertContains(alpha, scenario, point: point, message: "graph \(index) alpha-crown")
            }
            for row in crown.lower.indices {
                XCTAssertGreaterThanOrEqual(crown.lower[row], ibp.lower[row], "CROWN is intersected with IBP")
                XCTAssertGreaterThanOrEqual(alpha.lower[row], crown.lower[row], "α-CROWN keeps its best iterate, CROWN's slopes the first")
                rows += 1
                if crown.lower[row] > ibp.lower[row] + 1e-9 { crownTighter += 1 }
                if alpha.lower[row] > crown.lower[row] + 1e-9 { alphaTighter += 1 }
            }
        }
        // CROWN and α must actually do something on these graphs.
        XCTAssertGreaterThan(crownTighter, rows / 4, "CROWN tighter than IBP on \(crownTighter) of \(rows) rows")
        XCTAssertGreaterThan(alphaTighter, rows / 10, "α-CROWN tighter than CROWN on \(alphaTighter) of \(rows) rows")
    }

    /// α-CROWN on the intermediate layers' rows (what a search spends on its root) holds on
    /// sampled points, tightens some intermediate bound, and stops when told to, keeping
    /// sound bounds.
    func testIntermediateLayerSlopesAreSoundAndTighten() throws {
        var generator = SeededGenerator(seed: 29)
        var tighter = 0, compared = 0
        for index in 0..<40 {
            let scenario = try GraphScenario(&generator)
            let engine = GraphBoundEngine(graph: scenario.graph)
            let task = BoundTask(subproblem: Subproblem(box: scenario.box, layout: engine.layout), objectives: scenario.objectives)
            let plain = try XCTUnwrap(engine.bound([task], options: BoundOptions(method: .alphaCrown, iterations: 5)).first)
            var options = BoundOptions(method: .alphaCrown, iterations: 5)
            options.intermediateIterations = 10
            let optimized = try XCTUnwrap(engine.bound([task], options: options).first)
            options.intermediateShouldStop = { true }
            let stopped = try XCTUnwrap(engine.bound([task], options: options).first)
            for point in samples(in: scenario.box, count: 100, &generator) {
                try assertContains(optimized, scenario, point: point, message: "graph \(index) intermediate α")
                try assertContains(stopped, scenario, point: point, message: "graph \(index) intermediate α stopped")
            }
            // The second ReLU layer's bounds come from the first one's, which are IBP's = CROWN's:
            // only the optimization can make them tighter there.
            guard plain.layerBounds.lower.count > 1 else { continue }
            for j in plain.layerBounds.lower[1].indices {
                compared += 1
                XCTAssertGreaterThanOrEqual(optimized.layerBounds.lower[1][j], plain.layerBounds.lower[1][j] - 1e-12, "graph \(index) neuron \(j): the best iterate starts at CROWN")
                if optimized.layerBounds.lower[1][j] > plain.layerBounds.lower[1][j] + 1e-9 { tighter += 1 }
            }
        }
        XCTAssertGreaterThan(tighter, compared / 20, "intermediate α tightened \(tighter) of \(compared) second-layer lower bounds")
    }

    /// Extra α steps (``BoundOptions/extraIterations``) hold on sampled points, never lose a
    /// row's bound (the first steps are the same, and the best iterate is kept), and tighten
    /// some rows that were on their way to 0.
    func testExtraStepsKeepTheBestAndHold() throws {
        var generator = SeededGenerator(seed: 31)
        var tighter = 0
        for index in 0..<40 {
            let scenario = try GraphScenario(&generator)
            let engine = GraphBoundEngine(graph: scenario.graph)
            let task = BoundTask(subproblem: Subproblem(box: scenario.box, layout: engine.layout), objectives: scenario.objectives)
            var plainOptions = BoundOptions(method: .alphaCrown, iterations: 5)
            plainOptions.objectiveUpperBounds = false
            var extraOptions = plainOptions
            extraOptions.extraIterations = 30
            let plain = try XCTUnwrap(engine.bound([task], options: plainOptions).first)
            let extra = try XCTUnwrap(engine.bound([task], options: extraOptions).first)
            for row in plain.lower.indices {
                XCTAssertGreaterThanOrEqual(extra.lower[row], plain.lower[row] - 1e-12, "graph \(index) row \(row)")
                if extra.lower[row] > plain.lower[row] + 1e-9 { tighter += 1 }
            }
            for point in samples(in: scenario.box, count: 100, &generator) {
                let values = try scenario.network.evaluateAll(point)
                for (row, value) in scenario.objectives.values(at: values[scenario.network.output.valueIndex]).enumerated() {
                    XCTAssertLessThanOrEqual(extra.lower[row], value, "graph \(index) row \(row): lower bound above a sampled value")
                }
            }
        }
        XCTAssertGreaterThan(tighter, 0, "extra steps tightened no row")
    }

    /// Subproblems with ReLUs split (three levels deep, β-CROWN or CROWN) hold on the points of
    /// their region (the box with the splits).
    func testSplitSubproblemsHoldOnTheirRegion() throws {
        var generator = SeededGenerator(seed: 23)
        var checked = 0, withBeta = 0
        for index in 0..<60 {
            let scenario = try GraphScenario(&generator)
            let engine = GraphBoundEngine(graph: scenario.graph)
            let options = BoundOptions(method: index % 2 == 0 ? .betaCrown : .crown, iterations: 10)
            var node = Subproblem(box: scenario.box, layout: engine.layout)
            var bounds = try XCTUnwrap(engine.bound([BoundTask(subproblem: node, objectives: scenario.objectives)], options: options).first)
            for depth in 0..<3 {
                guard let (layer, neuron) = bounds.layerBounds.firstUnstable else { break }
                let phase: ReluPhase = Bool.random(using: &generator) ? .active : .inactive
                let child = node.splitting(ReluSplit(layer: layer, neuron: neuron, phase: phase), parent: bounds)
                let result = try XCTUnwrap(engine.bound([BoundTask(subproblem: child, objectives: scenario.objectives)], options: options).first)
                if result.isInfeasible { break }
                if result.relaxation?.beta.contains(where: { $0.contains { $0 > 0 } }) == true { withBeta += 1 }
                for point in samples(in: scenario.box, count: 300, &generator) {
                    let values = try scenario.network.evaluateAll(point)
                    guard child.splitsHold(preActivations: preActivations(scenario.network, values)) else { continue }
                    try assertContains(result, scenario, point: point, message: "graph \(index) depth \(depth) split \(phase)")
                    checked += 1
                }
                (node, bounds) = (child, result)
            }
        }
        XCTAssertGreaterThan(checked, 1000)
        // β must be used, or this test says nothing about it.
        XCTAssertGreaterThan(withBeta, 5)
    }

    /// Any α in [0, 1] and β >= 0 gives a sound bound on a split subproblem's region (set
    /// directly through a branching trial's warm start, not found by the optimizer).
    func testArbitrarySlopesAndMultipliersAreSound() throws {
        var generator = SeededGenerator(seed: 29)
        var checked = 0, higherThanCROWN = 0
        for index in 0..<40 {
            let scenario = try GraphScenario(&generator)
            let engine = GraphBoundEngine(graph: scenario.graph)
            let root = Subproblem(box: scenario.box, layout: engine.layout)
            let parent = try XCTUnwrap(engine.bound([BoundTask(subproblem: root, objectives: scenario.objectives)], options: BoundOptions()).first)
            guard let (layer, neuron) = parent.layerBounds.firstUnstable else { continue }
            var child = root.splitting(ReluSplit(layer: layer, neuron: neuron, phase: index % 2 == 0 ? .active : .inactive), parent: parent)
            let count = engine.layout.reluCount, rows = scenario.objectives.rowCount
            child.warmStart = OptimizedRelaxation(
                alpha: (0..<rows).map { _ in (0..<count).map { _ in Double.random(in: 0...1, using: &generator) } },
                beta: (0..<rows).map { _ in (0..<count).map { _ in Double.random(in: 0...3, using: &generator) } })
            var trial = BoundOptions(method: .crown)
            trial.objectiveLowerBoundsOnly = true
            let result = try XCTUnwrap(engine.bound([BoundTask(subproblem: child, objectives: scenario.objectives)], options: trial).first)
            let crown = try XCTUnwrap(engine.bound([BoundTask(subproblem: Subproblem(box: child.box, layout: engine.layout).splitting(
                ReluSplit(layer: layer, neuron: neuron, phase: index % 2 == 0 ? .active : .inactive), parent: parent), objectives: scenario.objectives)],
                options: BoundOptions()).first)
            if result.isInfeasible { continue }
            for row in result.lower.indices where result.lower[row] > crown.lower[row] + 1e-9 { higherThanCROWN += 1 }
            for point in samples(in: scenario.box, count: 300, &generator) {
                let values = try scenario.network.evaluateAll(point)
                guard child.splitsHold(preActivations: preActivations(scenario.network, values)) else { continue }
                let rowValues = scenario.objectives.values(at: values[scenario.network.output.valueIndex])
                for (row, value) in rowValues.enumerated() {
                    XCTAssertLessThanOrEqual(result.lower[row], value, "graph \(index) row \(row): a bound with random α and β above a sampled value")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 1000)
        // Random β sometimes beats CROWN: the multipliers reach the bound.
        XCTAssertGreaterThan(higherThanCROWN, 0)
    }

    /// Many subproblems bounded in one call (their objective rows passed back together, their
    /// α and β optimized in lockstep) get the bounds each gets alone, for every method and for
    /// branching trials at a warm start; every result says which disjuncts it refutes.
    /// Branching trials that keep every layer of their parent share its forward pass: their
    /// bounds hold on sampled points of their regions and nearly always equal their own.
    func testSubproblemsBoundTogetherMatchEachAlone() throws {
        var generator = SeededGenerator(seed: 31)
        var compared = 0, shared = 0, sharedEqual = 0, sampled = 0
        for index in 0..<12 {
            let scenario = try GraphScenario(&generator)
            let engine = GraphBoundEngine(graph: scenario.graph)
            let root = Subproblem(box: scenario.box, layout: engine.layout)
            let parent = try XCTUnwrap(engine.bound([BoundTask(subproblem: root, objectives: scenario.objectives)], options: BoundOptions(method: .betaCrown, iterations: 5)).first)
            let reusing = index % 2 == 0
            var tasks = [BoundTask(subproblem: root, objectives: scenario.objectives)]
            for layer in parent.layerBounds.lower.indices {
                for neuron in parent.layerBounds.lower[layer].indices.prefix(3) where parent.layerBounds.lower[layer][neuron] < 0 && parent.layerBounds.upper[layer][neuron] > 0 {
                    for phase in [ReluPhase.active, .inactive] {
                        var child = root.splitting(ReluSplit(layer: layer, neuron: neuron, phase: phase), parent: parent, reusingEveryLayer: reusing)
                        child.warmStart = parent.relaxation
                        tasks.append(BoundTask(subproblem: child, objectives: scenario.objectives))
                    }
                }
            }
            var trial = BoundOptions(method: .crown)
            trial.objectiveLowerBoundsOnly = true
            let settings = [BoundOptions(method: .ibp), BoundOptions(method: .crown), BoundOptions(method: .alphaCrown, iterations: 5), BoundOptions(method: .betaCrown, iterations: 5), trial]
            let points = samples(in: scenario.box, count: 200, &generator)
            let values = try points.map { try scenario.network.evaluateAll($0) }
            for options in settings {
                let together = try engine.bound(tasks, options: options)
                XCTAssertEqual(together.count, tasks.count)
                for (offset, (task, batched)) in zip(tasks, together).enumerated() {
                    let alone = try XCTUnwrap(engine.bound([task], options: options).first)
                    XCTAssertEqual(batched.refutedDisjuncts.count, scenario.objectives.disjunctCount, "graph \(index) \(options.method)")
                    XCTAssertEqual(alone.refutedDisjuncts.count, scenario.objectives.disjunctCount, "graph \(index) \(options.method)")
                    if options.objectiveLowerBoundsOnly && offset > 0 {
                        // A trial's shared forward pass: sound on the child's region, close to its own.
                        shared += 1
                        if zip(batched.lower, alone.lower).allSatisfy({ $0 == $1 || abs($0 - $1) <= 1e-6 * (1 + abs($1)) }) { sharedEqual += 1 }
                        guard !batched.isInfeasible else { continue }
                        for value in values where task.subproblem.splitsHold(preActivations: preActivations(scenario.network, value)) {
                            let rows = scenario.objectives.values(at: value[scenario.network.output.valueIndex])
                            for (row, v) in rows.enumerated() { XCTAssertLessThanOrEqual(batched.lower[row], v, "graph \(index) \(options.method): shared forward pass") }
                            sampled += 1
                        }
                        continue
                    }
                    XCTAssertEqual(batched.isInfeasible, alone.isInfeasible)
                    for row in alone.lower.indices where alone.lower[row].isFinite {
                        XCTAssertEqual(batched.lower[row], alone.lower[row], accuracy: 1e-6 * (1 + alone.lower[row].magnitude), "graph \(index) \(options.method) row \(row)")
                        compared += 1
                    }
                    for row in alone.upper.indices where alone.upper[row].isFinite {
                        XCTAssertEqual(batched.upper[row], alone.upper[row], accuracy: 1e-6 * (1 + alone.upper[row].magnitude), "graph \(index) \(options.method) upper row \(row)")
                    }
                }
            }
        }
        XCTAssertGreaterThan(compared, 200)
        XCTAssertGreaterThan(sampled, 1000)
        XCTAssertGreaterThan(sharedEqual, shared / 2)
    }

    /// Without objective upper bounds (what branch and bound asks for) both engines return
    /// the same lower bounds, relaxation and witness candidate, and upper bounds that are only
    /// looser: the graph engine's interval ones, the chain engine's +infinity.
    func testLowerBoundsDoNotDependOnObjectiveUpperBounds() throws {
        var generator = SeededGenerator(seed: 43)
        var compared = 0, looser = 0
        for index in 0..<16 {
            let graphScenario = try GraphScenario(&generator)
            let chainNetwork = try RandomNetworks.multilayerPerceptron(widths: [3, 8, 8, 2], generator: &generator)
            let chainBox = InputBox(lower: [-0.5, -0.2, 0], upper: [0.1, 0.4, 0.3])
            let chainObjectives = Objectives(
                region: OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: 0, coefficient: 1), .init(index: 1, coefficient: -1)], bound: RealInterval(exactly: 0))]]),
                outputCount: 2)
            let cases: [(any BoundEngine, InputBox, Objectives)] = [
                (GraphBoundEngine(graph: graphScenario.graph), graphScenario.box, graphScenario.objectives),
                (CPUBoundEngine(network: try BoundNetwork(chainNetwork)), chainBox, chainObjectives),
            ]
            for (engine, box, objectives) in cases {
                let task = BoundTask(subproblem: Subproblem(box: box, layout: engine.layout), objectives: objectives)
                let method: BoundMethod = index % 2 == 0 ? .crown : .betaCrown
                var without = BoundOptions(method: method, iterations: 5)
                without.objectiveUpperBounds = false
                let full = try engine.bound([task], options: BoundOptions(method: method, iterations: 5))[0]
                let lean = try engine.bound([task], options: without)[0]
                XCTAssertEqual(lean.lower, full.lower, "\(engine.name) \(index)")
                XCTAssertEqual(lean.witnessCandidate, full.witnessCandidate, "\(engine.name) \(index)")
                XCTAssertEqual(lean.relaxation?.alpha, full.relaxation?.alpha, "\(engine.name) \(index)")
                XCTAssertEqual(lean.refutedDisjuncts, full.refutedDisjuncts, "\(engine.name) \(index)")
                for row in full.upper.indices {
                    XCTAssertGreaterThanOrEqual(lean.upper[row], full.upper[row], "\(engine.name) \(index) row \(row)")
                    if lean.upper[row] > full.upper[row] { looser += 1 }
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 30)
        XCTAssertGreaterThan(looser, 0, "upper bounds were computed anyway")
    }

    /// On a dense chain the graph engine computes CROWN as the chain engine does.
    func testGraphEngineAgreesWithTheChainEngineOnDenseNetworks() throws {
        var generator = SeededGenerator(seed: 5)
        for _ in 0..<30 {
            let network = try RandomNetworks.multilayerPerceptron(widths: [3, 8, 8, 2], generator: &generator)
            let chain = try BoundNetwork(network)
            let box = InputBox(lower: [-0.5, -0.2, 0], upper: [0.1, 0.4, 0.3])
            let objectives = Objectives(
                region: OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: 0, coefficient: 1), .init(index: 1, coefficient: -1)], bound: RealInterval(exactly: 0))]]),
                outputCount: 2)
            let graph = GraphBoundEngine(graph: try GraphBoundNetwork(network))
            let reference = CPUBoundEngine(network: chain)
            let a = try graph.bound([BoundTask(subproblem: Subproblem(box: box, layout: graph.layout), objectives: objectives)], options: BoundOptions())[0]
            let b = try reference.bound([BoundTask(subproblem: Subproblem(box: box, network: chain), objectives: objectives)], options: BoundOptions())[0]
            XCTAssertEqual(a.lower[0], b.lower[0], accuracy: 1e-9 * max(1, b.lower[0].magnitude))
            XCTAssertEqual(a.upper[0], b.upper[0], accuracy: 1e-9 * max(1, b.upper[0].magnitude))
            XCTAssertEqual(a.layerBounds.unstableCountByLayer, b.layerBounds.unstableCountByLayer)
        }
    }

    func testGradientsMatchFiniteDifferences() throws {
        var generator = SeededGenerator(seed: 9)
        var matched = 0, compared = 0
        for _ in 0..<20 {
            let network = try RandomGraphs.convolutional(generator: &generator)
            let graph = try GraphBoundNetwork(network)
            let point = (0..<network.inputCount).map { _ in Double.random(in: -1...1, using: &generator) }
            let coefficients = (0..<network.outputCount).map { _ in Double.random(in: -1...1, using: &generator) }
            let gradient = graph.gradient(of: coefficients, values: graph.values(at: point))
            func value(_ x: [Double]) throws -> Double { zip(coefficients, try network.evaluate(x)).map(*).reduce(0, +) }
            for i in point.indices {
                let h = 1e-6
                var up = point, down = point
                up[i] += h
                down[i] -= h
                let estimate = (try value(up) - value(down)) / (2 * h)
                compared += 1
                // A kink (a ReLU or a max switching within h) is rare at random points.
                if (estimate - gradient[i]).magnitude < 1e-4 * max(1, estimate.magnitude) { matched += 1 }
            }
        }
        XCTAssertGreaterThan(compared, 100)
        XCTAssertGreaterThanOrEqual(Double(matched), 0.97 * Double(compared), "\(matched) of \(compared) partial derivatives match")
    }
}
