import VerdictBounds
import VerdictCore
import VerdictONNX
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

/// The ReLU cuts (``ReluCut``) and their use in bounds, on random small convolutional and
/// residual networks (``RandomGraphs``): every cut found holds at sampled points with the
/// neuron's true phase; bounds with cuts hold on sampled points at the root, on split
/// subproblems that inherit the root's cuts, and with arbitrary multipliers; and cuts do
/// tighten some bounds.
final class CutSoundnessTests: XCTestCase {
    private func samples(in box: InputBox, count: Int, _ generator: inout SeededGenerator) -> [[Double]] {
        RandomGraphs.samples(in: box, count: count, generator: &generator)
    }

    private func reluNodes(_ network: Network) -> [Int] { network.nodes.indices.filter { network.nodes[$0].layer is ReLULayer } }

    private func cutOptions(rounds: Int = 4) -> BoundOptions {
        var options = BoundOptions(method: .betaCrown, iterations: 20)
        options.cutRounds = rounds
        options.cutLearningRate = 0.01
        return options
    }

    /// `y - Σ w v - c z - rhs` at a point's values, `z` the neuron's phase there.
    private func slack(_ cut: ReluCut, values: [[Double]], network: Network) -> Double {
        let relu = reluNodes(network)[cut.layer]
        let input = values[network.nodes[relu].inputs[0].valueIndex][cut.neuron], y = values[relu + 1][cut.neuron]
        var sum = y - cut.zCoefficient * (input > 0 ? 1 : 0) - cut.rhs
        for part in cut.parts { for (i, w) in zip(part.indices, part.weights) { sum -= w * values[part.source.valueIndex][i] } }
        return sum
    }

    private func assertHolds(_ result: SubproblemBounds, _ scenario: GraphScenario, values: [[Double]], message: String) {
        let rows = scenario.objectives.values(at: values[scenario.network.output.valueIndex])
        for (row, value) in rows.enumerated() {
            XCTAssertLessThanOrEqual(result.lower[row], value, "\(message): row \(row) lower bound above a sampled value")
        }
    }

    func testCutsAndBoundsWithThemHoldOnSampledPoints() throws {
        var generator = SeededGenerator(seed: 41)
        var cutCount = 0, joinCuts = 0, sharedSourceCuts = 0, tighter = 0, rows = 0
        for index in 0..<40 {
            let scenario = try GraphScenario(&generator)
            let task = BoundTask(subproblem: Subproblem(box: scenario.box, layout: scenario.engine.layout), objectives: scenario.objectives)
            let plain = try XCTUnwrap(scenario.engine.bound([task], options: BoundOptions(method: .betaCrown, iterations: 20)).first)
            let withCuts = try XCTUnwrap(scenario.engine.bound([task], options: cutOptions()).first)
            let cuts = withCuts.relaxation?.cuts?.cuts ?? []
            cutCount += cuts.count
            joinCuts += cuts.filter { $0.parts.count > 1 }.count
            sharedSourceCuts += cuts.filter { $0.parts.count == 2 && $0.parts[0].source == $0.parts[1].source }.count
            for point in samples(in: scenario.box, count: 200, &generator) {
                let values = try scenario.network.evaluateAll(point)
                assertHolds(withCuts, scenario, values: values, message: "graph \(index) with \(cuts.count) cuts")
                for cut in cuts {
                    XCTAssertLessThanOrEqual(slack(cut, values: values, network: scenario.network), 1e-12, "graph \(index): cut on layer \(cut.layer) neuron \(cut.neuron)")
                }
            }
            for row in plain.lower.indices where plain.lower[row] < 0 {
                rows += 1
                if withCuts.lower[row] > plain.lower[row] + 1e-6 { tighter += 1 }
            }
        }
        XCTAssertGreaterThan(cutCount, 40, "cuts must be found for this test to say anything")
        XCTAssertGreaterThan(joinCuts, 5, "cuts on ReLUs after a residual join (over two values) must be found too")
        XCTAssertGreaterThan(sharedSourceCuts, 0, "cuts after a join whose two sides read one value (x ± conv(x)) must be found too")
        XCTAssertGreaterThan(tighter, rows / 10, "cuts tightened \(tighter) of \(rows) open rows")
    }

    /// Children three splits deep, bounded with the root's cuts (through the warm start), hold
    /// on their region; so does every trial bound with random large multipliers.
    func testSplitSubproblemsAndArbitraryMultipliersWithCutsAreSound() throws {
        var generator = SeededGenerator(seed: 43)
        var checked = 0, withMultipliers = 0
        for index in 0..<40 {
            let scenario = try GraphScenario(&generator)
            let engine = scenario.engine
            var node = Subproblem(box: scenario.box, layout: engine.layout)
            var bounds = try XCTUnwrap(engine.bound([BoundTask(subproblem: node, objectives: scenario.objectives)], options: cutOptions()).first)
            guard let cuts = bounds.relaxation?.cuts, cuts.count > 0 else { continue }
            for depth in 0..<3 {
                guard let (layer, neuron) = bounds.layerBounds.firstUnstable else { break }
                let phase: ReluPhase = Bool.random(using: &generator) ? .active : .inactive
                var child = node.splitting(ReluSplit(layer: layer, neuron: neuron, phase: phase), parent: bounds)
                let result = try XCTUnwrap(engine.bound([BoundTask(subproblem: child, objectives: scenario.objectives)], options: cutOptions(rounds: 0)).first)
                if result.isInfeasible { break }
                XCTAssertTrue(result.relaxation?.cuts === cuts, "a child keeps its root's cuts")
                if result.relaxation?.cutMultipliers?.contains(where: { $0.contains { $0 > 0 } }) == true { withMultipliers += 1 }
                // A trial at random multipliers up to 10.
                var trial = child
                trial.warmStart?.cutMultipliers = (0..<scenario.objectives.rowCount).map { _ in (0..<cuts.count).map { _ in Double.random(in: 0...10, using: &generator) } }
                var trialOptions = cutOptions(rounds: 0)
                trialOptions.objectiveLowerBoundsOnly = true
                let random = try XCTUnwrap(engine.bound([BoundTask(subproblem: trial, objectives: scenario.objectives)], options: trialOptions).first)
                for point in samples(in: scenario.box, count: 300, &generator) {
                    let values = try scenario.network.evaluateAll(point)
                    let pre = reluNodes(scenario.network).map { values[scenario.network.nodes[$0].inputs[0].valueIndex] }
                    guard child.splitsHold(preActivations: pre) else { continue }
                    assertHolds(result, scenario, values: values, message: "graph \(index) depth \(depth)")
                    if !random.isInfeasible { assertHolds(random, scenario, values: values, message: "graph \(index) depth \(depth) random multipliers") }
                    checked += 1
                }
                (node, bounds) = (child, result)
            }
        }
        XCTAssertGreaterThan(checked, 1000)
        XCTAssertGreaterThan(withMultipliers, 5, "children must use their cuts")
    }
    /// On shared convolutional networks (strides, padding, an average pool; cuts on the
    /// first layer read the input itself): every cut holds at sampled points, and the bounds
    /// with cuts hold there too.
    func testCutsHoldOnSharedConvolutionalNetworks() throws {
        let instances = [
            ("verivital", "Convnet_avgpool.onnx", "specs/avgpool_specs/prop_12_0.04.vnnlib"),
            ("../vnncomp2022/oval21", "onnx/cifar_base_kw.onnx", "vnnlib/cifar_base_kw-img876-eps0.024836601307189544.vnnlib"),
        ]
        var generator = SeededGenerator(seed: 47)
        for (suite, networkFile, propertyFile) in instances {
            let folder = try TestPaths.sharedFolder(suite)
            let network = try ONNXImporter.load(path: folder.appendingPathComponent(networkFile).path).network
            let property = try VNNLIBParser.parse(contentsOf: folder.appendingPathComponent(propertyFile).path)
            let engine = GraphBoundEngine(graph: try GraphBoundNetwork(network))
            let item = property.cases[0]
            let objectives = Objectives(region: item.unsafe, outputCount: network.outputCount)
            let task = BoundTask(subproblem: Subproblem(box: item.box, layout: engine.layout), objectives: objectives)
            let result = try XCTUnwrap(engine.bound([task], options: cutOptions(rounds: 2)).first)
            let cuts = try XCTUnwrap(result.relaxation?.cuts?.cuts)
            XCTAssertGreaterThan(cuts.count, 100, "\(networkFile): cuts must be found")
            for point in samples(in: item.box, count: 40, &generator) {
                let values = try network.evaluateAll(point)
                for (row, value) in objectives.values(at: values[network.output.valueIndex]).enumerated() {
                    XCTAssertLessThanOrEqual(result.lower[row], value, "\(networkFile) row \(row)")
                }
                let violated = cuts.filter { slack($0, values: values, network: network) > 1e-12 }
                XCTAssertTrue(violated.isEmpty, "\(networkFile): \(violated.count) cuts violated at a sampled point")
            }
        }
    }
}
