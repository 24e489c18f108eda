import Foundation
import VerdictBounds
import VerdictCore
import VerdictONNX
import VerdictOpenCL
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

/// The OpenCL graph engine (the graph engine with ``OpenCLBoundOperators``: convolutions, dense
/// layers, the backward steps of ReLU, Sigmoid and Tanh, and the elementwise operators on the
/// device) against the CPU graph
/// engine on random small convolutional and residual, dense, and smooth (Sigmoid, Tanh)
/// networks (``RandomGraphs``) and one shared-suite network: in double, every objective and
/// pre-activation bound of IBP, CROWN, α-CROWN and β-CROWN (on a split child) within 1e-9 of
/// the CPU's, relative to `max(1, |bound|)`; in double and float, sound on sampled points.
/// Without an OpenCL device the tests say so and skip (a failure with VERDICT_REQUIRE_OPENCL=1).
final class GraphParityTests: XCTestCase {
    static let tolerance = 1e-9

    /// The type of the device rule of `layer`'s operator (nil for operators on the CPU).
    static func deviceRule(of layer: any Layer) -> String? {
        switch layer {
        case is ConvLayer: return "OpenCLConvOperator"
        case is AffineLayer: return "OpenCLAffineOperator"
        case is SShapedLayer: return "OpenCLSShapedOperator"
        case is ReLULayer: return "OpenCLReLUOperator"
        case is ScaleShiftLayer: return "OpenCLScaleShiftOperator"
        case is SumLayer: return "OpenCLSumOperator"
        default: return nil
        }
    }

    private func device(double: Bool = true) throws -> OpenCLDevice { try openCLTestDevice(double: double) }

    private struct Scenario {
        let network: Network
        let box: InputBox
        let objectives: Objectives
    }

    /// The random networks of one test: convolutional and residual, dense, or smooth (Sigmoid, Tanh).
    private enum Kind { case convolutional, dense, smooth }

    private func scenario(_ generator: inout SeededGenerator, _ kind: Kind = .convolutional) throws -> Scenario {
        let network: Network
        switch kind {
        case .convolutional: network = try RandomGraphs.convolutional(generator: &generator)
        case .dense: network = try RandomGraphs.dense(generator: &generator)
        case .smooth: network = try RandomGraphs.smooth(generator: &generator)
        }
        let (box, region) = RandomGraphs.property(for: network, generator: &generator)
        return Scenario(network: network, box: box, objectives: Objectives(region: region, outputCount: network.outputCount))
    }

    /// The OpenCL graph engine as `--device opencl:0` builds it, and its registry (whose
    /// counts tell whether the device answered).
    private func openCLEngine(_ network: Network, _ device: OpenCLDevice, precision: DevicePrecision = .double) throws -> (GraphBoundEngine, OpenCLBoundOperators) {
        let selected = try EngineSelection.openCLGraphEngine(network, device, index: 0, precision: precision)
        XCTAssertTrue(selected.name.hasPrefix("opencl:0 graph (\(device.name), "), selected.name)
        let operators = try OpenCLBoundOperators(device: device, precision: precision)
        let engine = GraphBoundEngine(graph: try GraphBoundNetwork(network, operators: operators.make), name: selected.name)
        // The operators with device rules must get them, or this compares the CPU with itself.
        for (node, rule) in zip(network.nodes, engine.graph.boundOperators) {
            guard let expected = Self.deviceRule(of: node.layer) else { continue }
            XCTAssertEqual(String(describing: type(of: rule)), expected, node.layer.operatorName)
        }
        return (engine, operators)
    }

    /// The device answered every call, and there were calls.
    private func assertDeviceDidTheWork(_ operators: OpenCLBoundOperators, _ message: String) {
        let calls = operators.deviceCalls
        XCTAssertGreaterThan(calls.succeeded, 0, "\(message): no device call")
        XCTAssertEqual(calls.failed, 0, "\(message): device calls failed (answered on the CPU)")
    }

    /// The largest difference relative to `max(1, |cpu|)` over objective and layer bounds.
    private func worstDifference(_ device: SubproblemBounds, _ cpu: SubproblemBounds) -> Double {
        var pairs = Array(zip(device.lower + device.upper, cpu.lower + cpu.upper))
        pairs += zip(device.layerBounds.lower.flatMap { $0 } + device.layerBounds.upper.flatMap { $0 },
                     cpu.layerBounds.lower.flatMap { $0 } + cpu.layerBounds.upper.flatMap { $0 })
        XCTAssertEqual(device.layerBounds.lower.map(\.count), cpu.layerBounds.lower.map(\.count))
        return pairs.map { d, c in d == c ? 0 : (d - c).magnitude / max(1, c.magnitude) }.max() ?? 0
    }

    private func assertContains(_ result: SubproblemBounds, _ scenario: Scenario, point: [Double], message: String) throws {
        let values = try scenario.network.evaluateAll(point)
        for (row, value) in scenario.objectives.values(at: values[scenario.network.output.valueIndex]).enumerated() {
            XCTAssertLessThanOrEqual(result.lower[row], value, "\(message): row \(row) lower bound above a sampled value")
            XCTAssertGreaterThanOrEqual(result.upper[row], value, "\(message): row \(row) upper bound below a sampled value")
        }
        let preActivations = scenario.network.nodes.filter { $0.layer is ReLULayer }.map { values[$0.inputs[0].valueIndex] }
        for (layer, z) in preActivations.enumerated() {
            for j in z.indices {
                XCTAssertLessThanOrEqual(result.layerBounds.lower[layer][j], z[j], "\(message): layer \(layer) neuron \(j)")
                XCTAssertGreaterThanOrEqual(result.layerBounds.upper[layer][j], z[j], "\(message): layer \(layer) neuron \(j)")
            }
        }
    }

    private func samples(in box: InputBox, count: Int, _ generator: inout SeededGenerator) -> [[Double]] {
        (0..<count).map { index in
            (0..<box.dimension).map { j in
                index % 5 == 0 ? (Bool.random(using: &generator) ? box.lower[j] : box.upper[j]) : Double.random(in: box.lower[j]...box.upper[j], using: &generator)
            }
        }
    }

    func testBoundsMatchTheCPUGraphEngineAndHoldOnSampledPoints() throws {
        let (compared, crownTighter) = try compareWithTheCPUGraphEngine(.convolutional, seed: 71, graphs: 20)
        XCTAssertGreaterThan(compared, 60)
        // CROWN must do something here, or the backward steps go untested.
        XCTAssertGreaterThan(crownTighter, 5)
    }

    /// Dense networks (dense layers, ReLUs, residual joins, elementwise scalings) through the
    /// graph engine: every operator of them has a device rule or is linear and elementwise.
    func testDenseNetworksMatchTheCPUGraphEngine() throws {
        let (compared, crownTighter) = try compareWithTheCPUGraphEngine(.dense, seed: 83, graphs: 20)
        XCTAssertGreaterThan(compared, 60)
        XCTAssertGreaterThan(crownTighter, 5)
    }

    /// Sigmoid and Tanh networks: CROWN's lines per neuron, α-CROWN's optimized lines per row.
    /// α-CROWN's optimization of S-shaped lines is not continuous in its inputs (the CPU engine's
    /// own bounds move by up to 1e-2 when the box widens by 1e-14), so it is compared after one
    /// pass (the per-row lines, without optimizer steps) and, after ten, only checked to be
    /// sound and no looser than CROWN.
    func testSmoothNetworksMatchTheCPUGraphEngine() throws {
        let (compared, crownTighter) = try compareWithTheCPUGraphEngine(.smooth, seed: 89, graphs: 20)
        XCTAssertGreaterThanOrEqual(compared, 60)
        XCTAssertGreaterThan(crownTighter, 5)
    }

    /// IBP, CROWN and α-CROWN on `graphs` random networks, and β-CROWN on a split child where a
    /// ReLU is unstable: within ``tolerance`` of the CPU graph engine, sound on sampled points,
    /// every device call answered. Returns the comparisons made and the rows where CROWN was
    /// tighter than IBP.
    private func compareWithTheCPUGraphEngine(_ kind: Kind, seed: UInt64, graphs: Int) throws -> (compared: Int, crownTighter: Int) {
        let device = try device()
        var generator = SeededGenerator(seed: seed)
        var compared = 0, crownTighter = 0, worst = 0.0
        for index in 0..<graphs {
            let scenario = try scenario(&generator, kind)
            let cpu = GraphBoundEngine(graph: try GraphBoundNetwork(scenario.network))
            let (opencl, operators) = try openCLEngine(scenario.network, device)
            defer { assertDeviceDidTheWork(operators, "\(kind) graph \(index)") }
            let root = Subproblem(box: scenario.box, layout: cpu.layout)
            let task = BoundTask(subproblem: root, objectives: scenario.objectives)
            var results: [SubproblemBounds] = []
            let iterations = kind == .smooth ? 1 : 10
            for options in [BoundOptions(method: .ibp), BoundOptions(method: .crown), BoundOptions(method: .alphaCrown, iterations: iterations)] {
                let expected = try XCTUnwrap(cpu.bound([task], options: options).first)
                let got = try XCTUnwrap(opencl.bound([task], options: options).first)
                let message = "\(kind) graph \(index) \(options.method)"
                let difference = worstDifference(got, expected)
                worst = max(worst, difference)
                XCTAssertLessThanOrEqual(difference, Self.tolerance, message)
                for point in samples(in: scenario.box, count: 100, &generator) { try assertContains(got, scenario, point: point, message: message) }
                results.append(got)
                compared += 1
            }
            for row in results[1].lower.indices where results[1].lower[row] > results[0].lower[row] + 1e-9 { crownTighter += 1 }
            if kind == .smooth { try assertOptimizedHolds(opencl, task, scenario, crown: results[1], index: index, &generator) }
            // A split child with β-CROWN: inherited bounds, the parent's warm start, β.
            guard let (layer, neuron) = results[1].layerBounds.firstUnstable else { continue }
            let options = BoundOptions(method: .betaCrown, iterations: iterations)
            let parent = try XCTUnwrap(cpu.bound([task], options: options).first)
            let child = root.splitting(ReluSplit(layer: layer, neuron: neuron, phase: index % 2 == 0 ? .active : .inactive), parent: parent)
            let childTask = BoundTask(subproblem: child, objectives: scenario.objectives)
            let expected = try XCTUnwrap(cpu.bound([childTask], options: options).first)
            let got = try XCTUnwrap(opencl.bound([childTask], options: options).first)
            XCTAssertEqual(got.isInfeasible, expected.isInfeasible, "\(kind) graph \(index) β-CROWN child")
            if !expected.isInfeasible {
                let difference = worstDifference(got, expected)
                worst = max(worst, difference)
                XCTAssertLessThanOrEqual(difference, Self.tolerance, "\(kind) graph \(index) β-CROWN child")
            }
            compared += 1
        }
        print("GraphParityTests (\(kind)): \(compared) comparisons, worst relative difference \(worst)")
        return (compared, crownTighter)
    }

    /// α-CROWN with ten optimizer steps: sound on sampled points and no looser than CROWN.
    private func assertOptimizedHolds(
        _ engine: GraphBoundEngine, _ task: BoundTask, _ scenario: Scenario, crown: SubproblemBounds, index: Int, _ generator: inout SeededGenerator
    ) throws {
        let got = try XCTUnwrap(engine.bound([task], options: BoundOptions(method: .alphaCrown, iterations: 10)).first)
        let message = "smooth graph \(index) α-CROWN, 10 steps"
        for point in samples(in: scenario.box, count: 100, &generator) { try assertContains(got, scenario, point: point, message: message) }
        for row in got.lower.indices {
            XCTAssertGreaterThanOrEqual(got.lower[row], crown.lower[row] - Self.tolerance * max(1, crown.lower[row].magnitude), message)
            XCTAssertLessThanOrEqual(got.upper[row], crown.upper[row] + Self.tolerance * max(1, crown.upper[row].magnitude), message)
        }
    }

    /// In float the bounds are looser but must still hold.
    func testFloatBoundsHoldOnSampledPoints() throws {
        let device = try device(double: false)
        var generator = SeededGenerator(seed: 73)
        for index in 0..<18 {
            let scenario = try scenario(&generator, [Kind.convolutional, .dense, .smooth][index % 3])
            let (opencl, operators) = try openCLEngine(scenario.network, device, precision: .float)
            defer { assertDeviceDidTheWork(operators, "graph \(index) in float") }
            XCTAssertTrue(opencl.name.hasSuffix(", float)"), opencl.name)
            let task = BoundTask(subproblem: Subproblem(box: scenario.box, layout: opencl.layout), objectives: scenario.objectives)
            for options in [BoundOptions(method: .ibp), BoundOptions(method: .crown), BoundOptions(method: .alphaCrown, iterations: 5)] {
                let got = try XCTUnwrap(opencl.bound([task], options: options).first)
                for point in samples(in: scenario.box, count: 100, &generator) {
                    try assertContains(got, scenario, point: point, message: "graph \(index) \(options.method) in float")
                }
            }
        }
    }

    /// The comparison can fail: the CPU engine on the network with one convolution weight
    /// changed by one part in a million is told apart from the device's bounds.
    func testComparisonDetectsAPerturbedConvolution() throws {
        let device = try device()
        var generator = SeededGenerator(seed: 79)
        var detected = 0
        for _ in 0..<5 {
            let scenario = try scenario(&generator)
            var nodes = scenario.network.nodes
            let index = try XCTUnwrap(nodes.firstIndex { $0.layer is ConvLayer })
            let conv = nodes[index].layer as! ConvLayer
            let weights = conv.weights.map { $0 * (1 + 1e-6) + 1e-6 }
            nodes[index] = Network.Node(
                layer: ConvLayer(kind: conv.kind, geometry: conv.geometry, outputChannels: conv.outputChannels, groups: conv.groups,
                                 weights: weights, bias: conv.bias, outputShape: conv.outputShape),
                inputs: nodes[index].inputs)
            let perturbed = try Network(inputShape: scenario.network.inputShape, nodes: nodes, output: scenario.network.output)
            let cpu = GraphBoundEngine(graph: try GraphBoundNetwork(perturbed))
            let (opencl, _) = try openCLEngine(scenario.network, device)
            let task = BoundTask(subproblem: Subproblem(box: scenario.box, layout: cpu.layout), objectives: scenario.objectives)
            let options = BoundOptions(method: .crown)
            let got = try XCTUnwrap(opencl.bound([task], options: options).first), expected = try XCTUnwrap(cpu.bound([task], options: options).first)
            if worstDifference(got, expected) > Self.tolerance { detected += 1 }
        }
        XCTAssertEqual(detected, 5, "a perturbed convolution went unnoticed")
    }

    /// A VNN-COMP 2022 `collins_rul_cnn` network (1-D convolutions on time series) and one of
    /// its properties: CROWN and α-CROWN as the CPU graph engine's.
    func testCollinsNetworkMatchesTheCPUGraphEngine() throws {
        let device = try device()
        let folder = try TestPaths.sharedFolder("../vnncomp2022/collins_rul_cnn")
        let network = try ONNXImporter.load(path: folder.appendingPathComponent("onnx/NN_rul_small_window_20.onnx").path).network
        let property = try VNNLIBParser.parse(contentsOf: folder.appendingPathComponent("vnnlib/if_then_5levels_w20.vnnlib").path)
        let cpu = GraphBoundEngine(graph: try GraphBoundNetwork(network))
        let (opencl, operators) = try openCLEngine(network, device)
        defer { assertDeviceDidTheWork(operators, "collins_rul_cnn") }
        let tasks = property.cases.prefix(2).map {
            BoundTask(subproblem: Subproblem(box: $0.box, layout: cpu.layout), objectives: Objectives(region: $0.unsafe, outputCount: network.outputCount))
        }
        for options in [BoundOptions(method: .crown), BoundOptions(method: .alphaCrown, iterations: 10)] {
            let expected = try cpu.bound(Array(tasks), options: options), got = try opencl.bound(Array(tasks), options: options)
            for (index, (g, e)) in zip(got, expected).enumerated() {
                XCTAssertLessThanOrEqual(worstDifference(g, e), Self.tolerance, "case \(index) \(options.method)")
            }
        }
    }
}
