import Foundation
import VerdictBounds
import VerdictCore
import VerdictONNX
import VerdictOpenCL
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

/// The OpenCL engine against the CPU engine (the oracle): sound on sampled points, and within
/// a stated tolerance of the CPU bounds, for every method and batches of 1, 7 and 512.
/// Without an OpenCL device the tests say so and skip (CI requires one: PoCL).
final class ParityTests: XCTestCase {
    /// On devices with double precision (PoCL, NVIDIA) the engine computes in double, so its
    /// bounds differ from the CPU's only by summation order: 1e-9 relative to the bound's
    /// magnitude (at least 1). In float the a-priori allowance alone moves bounds by up to
    /// about 20 % on ACAS Xu sub-boxes, so float mode is checked for soundness, not parity.
    static let tolerance = 1e-9
    nonisolated(unsafe) static var largestDifference = 0.0

    private func device() throws -> OpenCLDevice { try openCLTestDevice() }

    private func engines(_ network: BoundNetwork) throws -> (cpu: CPUBoundEngine, device: BatchedBoundEngine) {
        let device = try device()
        return (CPUBoundEngine(network: network), BatchedBoundEngine(network: network, products: try OpenCLBoundKernels(network: network, device: device), name: "opencl"))
    }

    /// The device's bounds (`b`) are within the tolerance of the CPU's (`a`), and its
    /// refuted disjuncts (reduced on the device) are those its own bounds refute, and the CPU's
    /// wherever no row of the disjunct lies within the tolerance of zero.
    private func assertClose(_ a: [SubproblemBounds], _ b: [SubproblemBounds], _ message: String, objectives: Objectives? = nil) {
        XCTAssertEqual(a.count, b.count)
        for (x, y) in zip(a, b) {
            XCTAssertEqual(x.isInfeasible, y.isInfeasible, message)
            if let objectives, !y.isInfeasible {
                XCTAssertEqual(y.refutedDisjuncts, objectives.refuted(byLowerBounds: y.lower), "\(message): device reduction")
                for disjunct in 0..<objectives.disjunctCount {
                    let rows = objectives.disjunctOfRow.indices.filter { objectives.disjunctOfRow[$0] == disjunct }
                    if rows.allSatisfy({ x.lower[$0].magnitude > Self.tolerance * max(1, x.lower[$0].magnitude) * 2 }) {
                        XCTAssertEqual(x.refutedDisjuncts[disjunct], y.refutedDisjuncts[disjunct], "\(message): disjunct \(disjunct)")
                    }
                }
            }
            for row in x.lower.indices where x.lower[row].isFinite && y.lower[row].isFinite {
                Self.largestDifference = max(
                    Self.largestDifference, (x.lower[row] - y.lower[row]).magnitude / max(1, x.lower[row].magnitude),
                    (x.upper[row] - y.upper[row]).magnitude / max(1, x.upper[row].magnitude))
                XCTAssertEqual(x.lower[row], y.lower[row], accuracy: Self.tolerance * max(1, x.lower[row].magnitude), "\(message) lower row \(row)")
                if x.upper[row] == .infinity && y.upper[row] == .infinity { continue }  // Lower bounds only (branching trials).
                XCTAssertEqual(x.upper[row], y.upper[row], accuracy: Self.tolerance * max(1, x.upper[row].magnitude), "\(message) upper row \(row)")
            }
        }
    }

    func testRandomNetworksAgreeAndAreSound() throws {
        var generator = SeededGenerator(seed: 77)
        for _ in 0..<12 {
            let widths = [Int.random(in: 2...6, using: &generator), Int.random(in: 5...40, using: &generator), Int.random(in: 5...40, using: &generator), 3]
            let network = try RandomNetworks.multilayerPerceptron(widths: widths, generator: &generator)
            let boundNetwork = try BoundNetwork(network)
            let (cpu, device) = try engines(boundNetwork)
            let floatEngine = BatchedBoundEngine(
                network: boundNetwork, products: try OpenCLBoundKernels(network: boundNetwork, device: try self.device(), precision: .float), name: "float")
            // The other kernel layout than the device's default (the GPU one on PoCL), in double,
            // with backward passes in chunks of 5 rows.
            let otherLayout = BatchedBoundEngine(
                network: boundNetwork,
                products: try OpenCLBoundKernels(
                    network: boundNetwork, device: try self.device(), kernelLayout: try self.device().isGPU ? .vector : .tiled, rowsPerPass: 5),
                name: "other layout")
            let region = OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: 0, coefficient: 1), .init(index: 1, coefficient: -1)], bound: RealInterval(exactly: 0))], [LinearConstraint(terms: [.init(index: 2, coefficient: 1)], bound: RealInterval(exactly: -0.5))]])
            let objectives = Objectives(region: region, outputCount: 3)
            for batch in [1, 7] {
                let tasks = (0..<batch).map { _ -> BoundTask in
                    let center = (0..<widths[0]).map { _ in Double.random(in: -1...1, using: &generator) }
                    let radius = Double.random(in: 0.05...0.5, using: &generator)
                    return BoundTask(subproblem: Subproblem(box: InputBox(lower: center.map { $0 - radius }, upper: center.map { $0 + radius }), network: boundNetwork), objectives: objectives)
                }
                for method in BoundMethod.allCases {
                    var options = BoundOptions(method: method, iterations: 8)
                    // α-CROWN and β-CROWN also with the intermediate layer's α optimized.
                    if method == .alphaCrown || method == .betaCrown, batch == 7 { options.intermediateIterations = 6 }
                    let expected = try cpu.bound(tasks, options: options)
                    let actual = try device.bound(tasks, options: options)
                    assertClose(expected, actual, "\(method) batch \(batch)", objectives: objectives)
                    for (x, y) in zip(expected, actual) where !x.isInfeasible {
                        for (lower, other) in zip(x.layerBounds.lower.joined(), y.layerBounds.lower.joined()) {
                            XCTAssertEqual(lower, other, accuracy: Self.tolerance * max(1, lower.magnitude), "\(method) intermediate bounds")
                        }
                    }
                    assertClose(expected, try otherLayout.bound(tasks, options: options), "other kernel layout, chunks, \(method) batch \(batch)", objectives: objectives)
                    // Sound on samples, in double and in float mode.
                    let floatResults = try floatEngine.bound(tasks, options: options)
                    for result in floatResults where !result.isInfeasible {
                        // The float reduction refutes only what the (Double) bounds refute.
                        let byBounds = objectives.refuted(byLowerBounds: result.lower)
                        XCTAssertFalse(zip(result.refutedDisjuncts, byBounds).contains { $0 && !$1 }, "float reduction, \(method)")
                    }
                    for (task, result) in zip(tasks + tasks, actual + floatResults) {
                        for _ in 0..<100 {
                            let point = (0..<widths[0]).map { Double.random(in: task.subproblem.box.lower[$0]...task.subproblem.box.upper[$0], using: &generator) }
                            let y = try network.evaluate(point)
                            XCTAssertLessThanOrEqual(result.lower[0], y[0] - y[1])
                            XCTAssertGreaterThanOrEqual(result.upper[0], y[0] - y[1])
                            XCTAssertLessThanOrEqual(result.lower[1], y[2] + 0.5)
                        }
                    }
                }
            }
        }
    }

    /// Split subproblems, as ReLU branch and bound makes them: β-CROWN with warm-started α and
    /// β (resident on the device) agrees with the CPU along random split paths, and the float
    /// device's bounds hold on every sampled point of the split region.
    /// Engines cut after an intermediate layer (what intermediate-bound refinement bounds):
    /// the device's truncation agrees with the CPU's, and both with bounds of the whole
    /// network's layer.
    func testTruncatedEnginesAgree() throws {
        var generator = SeededGenerator(seed: 1127)
        for _ in 0..<4 {
            let network = try RandomNetworks.multilayerPerceptron(widths: [3, 12, 12, 12, 2], generator: &generator)
            let boundNetwork = try BoundNetwork(network)
            let (cpu, device) = try engines(boundNetwork)
            let box = InputBox(lower: [-0.5, -0.5, -0.5], upper: [0.5, 0.5, 0.5])
            for stageCount in 2...3 {
                let cutCPU = try cpu.truncated(stageCount: stageCount), cutDevice = try device.truncated(stageCount: stageCount)
                XCTAssertEqual(cutDevice.layout.outputCount, 12)
                XCTAssertEqual(cutDevice.layout.reluLayerCount, stageCount - 1)
                // Lower and upper bound of every neuron of the cut layer.
                let region = OutputRegion(disjuncts: (0..<12).flatMap { j in
                    [-1.0, 1.0].map { [LinearConstraint(terms: [.init(index: j, coefficient: $0)], bound: RealInterval(exactly: 0))] }
                })
                let objectives = Objectives(region: region, outputCount: 12)
                let tasks = [BoundTask(subproblem: Subproblem(box: box, layout: cutCPU.layout), objectives: objectives)]
                let options = BoundOptions(method: .alphaCrown, iterations: 5)
                let expected = try cutCPU.bound(tasks, options: options)
                assertClose(expected, try cutDevice.bound(tasks, options: options), "cut after stage \(stageCount - 1)", objectives: objectives)
                for _ in 0..<200 {
                    let point = (0..<3).map { _ in Double.random(in: -0.5...0.5, using: &generator) }
                    let pre = try network.evaluateAll(point)[2 * (stageCount - 1) + 1]
                    for j in 0..<12 {
                        XCTAssertLessThanOrEqual(expected[0].lower[2 * j], -pre[j] + 1e-9)
                        XCTAssertLessThanOrEqual(expected[0].lower[2 * j + 1], pre[j] + 1e-9)
                    }
                }
            }
        }
    }

    func testSplitPathsAgreeUnderBetaCROWN() throws {
        var generator = SeededGenerator(seed: 79)
        var comparedChildren = 0
        for _ in 0..<10 {
            let widths = [Int.random(in: 2...5, using: &generator), Int.random(in: 8...30, using: &generator), Int.random(in: 8...30, using: &generator), 2]
            let network = try RandomNetworks.multilayerPerceptron(widths: widths, generator: &generator)
            let boundNetwork = try BoundNetwork(network)
            let (cpu, device) = try engines(boundNetwork)
            let floatEngine = BatchedBoundEngine(
                network: boundNetwork, products: try OpenCLBoundKernels(network: boundNetwork, device: try self.device(), precision: .float), name: "float")
            let region = OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: 0, coefficient: 1), .init(index: 1, coefficient: -1)], bound: RealInterval(exactly: 0))]])
            let objectives = Objectives(region: region, outputCount: 2)
            let center = (0..<widths[0]).map { _ in Double.random(in: -1...1, using: &generator) }
            var subproblem = Subproblem(box: InputBox(lower: center.map { $0 - 0.4 }, upper: center.map { $0 + 0.4 }), network: boundNetwork)
            let options = BoundOptions(method: .betaCrown, iterations: 8)
            var result = try cpu.bound([BoundTask(subproblem: subproblem, objectives: objectives)], options: options)[0]
            for _ in 0..<3 {
                guard !result.isInfeasible, let (layer, neuron) = result.layerBounds.firstUnstable else { break }
                let phase: ReluPhase = Bool.random(using: &generator) ? .active : .inactive
                let split = ReluSplit(layer: layer, neuron: neuron, phase: phase)
                let trial = subproblem.splitting(split, parent: result, reusingEveryLayer: true)
                subproblem = subproblem.splitting(split, parent: result)
                let tasks = [BoundTask(subproblem: subproblem, objectives: objectives)]
                // Branching trials first: the split child with every parent layer kept, its
                // objective's lower bound alone at the parent's α and β.
                var trialOptions = options
                trialOptions.objectiveLowerBoundsOnly = true
                let trialTasks = [BoundTask(subproblem: trial, objectives: objectives)]
                assertClose(
                    try cpu.bound(trialTasks, options: trialOptions), try device.bound(trialTasks, options: trialOptions),
                    "trial, layer \(layer) neuron \(neuron) \(phase)")
                result = try cpu.bound(tasks, options: options)[0]
                assertClose([result], try device.bound(tasks, options: options), "split path, layer \(layer) neuron \(neuron) \(phase)")
                let floatResult = try floatEngine.bound(tasks, options: options)[0]
                comparedChildren += 1
                for _ in 0..<200 {
                    let point = (0..<widths[0]).map { Double.random(in: subproblem.box.lower[$0]...subproblem.box.upper[$0], using: &generator) }
                    let values = try network.evaluateAll(point)
                    let inRegion = subproblem.splitsHold(preActivations: subproblem.phases.indices.map { values[1 + 2 * $0] })
                    guard inRegion else { continue }
                    XCTAssertFalse(floatResult.isInfeasible, "a split region holding a sampled point was declared empty")
                    let y = values.last!
                    XCTAssertLessThanOrEqual(floatResult.lower[0], y[0] - y[1])
                    XCTAssertGreaterThanOrEqual(floatResult.upper[0], y[0] - y[1])
                }
            }
        }
        XCTAssertGreaterThan(comparedChildren, 15)
    }


    func testSharedNetworksAgreeForBatchesOf1And7And512() throws {
        let cases = [("acasxu", "ACASXU_run2a_1_1_batch_2000.onnx", "prop_1.vnnlib", 512), ("mnistfc", "mnist-net_256x2.onnx", "prop_0_0.03.vnnlib", 7)]
        var generator = SeededGenerator(seed: 78)
        for (folder, model, propertyFile, largest) in cases {
            let directory = try TestPaths.sharedFolder(folder)
            let network = try ONNXImporter.load(path: directory.appendingPathComponent(model).path).network
            let property = try VNNLIBParser.parse(contentsOf: directory.appendingPathComponent(propertyFile).path)
            let boundNetwork = try BoundNetwork(network)
            let (cpu, device) = try engines(boundNetwork)
            let item = property.cases[0]
            let objectives = Objectives(region: item.unsafe, outputCount: property.outputCount)
            for batch in [1, 7, largest] {
                let tasks = (0..<batch).map { index -> BoundTask in
                    // Sub-boxes of a quarter of the width, like branch and bound produces.
                    var lower: [Double] = [], upper: [Double] = []
                    for j in 0..<item.box.dimension {
                        let width = (item.box.upper[j] - item.box.lower[j]) / 4
                        let start = item.box.lower[j] + (index == 0 ? 0 : Double.random(in: 0...(3 * width), using: &generator))
                        lower.append(start)
                        upper.append(start + width)
                    }
                    return BoundTask(subproblem: Subproblem(box: InputBox(lower: lower, upper: upper), network: boundNetwork), objectives: objectives)
                }
                let methods = BoundMethod.allCases
                for method in methods {
                    let options = BoundOptions(method: method, iterations: 5)
                    assertClose(
                        try cpu.bound(tasks, options: options), try device.bound(tasks, options: options), "\(model) \(method) batch \(batch)",
                        objectives: objectives)
                }
            }
        }
        print("largest relative difference between the OpenCL and CPU bounds: \(Self.largestDifference)")
    }
}
