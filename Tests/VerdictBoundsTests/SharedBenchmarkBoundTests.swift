import Foundation
import VerdictBounds
import VerdictCore
import VerdictONNX
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

/// On the shared VNN-COMP networks: bounds contain sampled outputs, and never prove an
/// instance whose known answer is `sat`.
final class SharedBenchmarkBoundTests: XCTestCase {
    private func instances(_ name: String) throws -> [BenchmarkInstance] {
        try BenchmarkSuite.instances(in: TestPaths.sharedFolder(name))
    }

    /// An instance ready for the CPU engine: one task per input box of the property.
    private struct Loaded {
        let network: Network
        let property: Property
        let engine: CPUBoundEngine
        let tasks: [BoundTask]

        init(_ instance: BenchmarkInstance) throws {
            network = try ONNXImporter.load(path: instance.network.path).network
            property = try VNNLIBParser.parse(contentsOf: instance.property.path)
            let boundNetwork = try BoundNetwork(network)
            engine = CPUBoundEngine(network: boundNetwork)
            let outputCount = property.outputCount
            tasks = property.cases.map {
                BoundTask(subproblem: Subproblem(box: $0.box, network: boundNetwork), objectives: Objectives(region: $0.unsafe, outputCount: outputCount))
            }
        }
    }

    private func randomPoint(in box: InputBox, _ generator: inout SeededGenerator) -> [Double] {
        (0..<box.dimension).map { Double.random(in: box.lower[$0]...box.upper[$0], using: &generator) }
    }

    /// Checks that each row's bounds contain its value at each point.
    private func assertContains(_ result: SubproblemBounds, _ objectives: Objectives, outputs: [Double], _ message: String) {
        for (row, value) in objectives.values(at: outputs).enumerated() {
            XCTAssertLessThanOrEqual(result.lower[row], value, message)
            XCTAssertGreaterThanOrEqual(result.upper[row], value, message)
        }
    }

    func testNoKnownSatInstanceIsProvedAndCounterexamplesStayInsideBounds() throws {
        let satInstances = try (instances("acasxu") + instances("test")).filter { $0.expected == "sat" }
        XCTAssertGreaterThan(satInstances.count, 10)
        var generator = SeededGenerator(seed: 5)
        var counterexamplesChecked = 0
        for instance in satInstances {
            let loaded = try Loaded(instance)
            let (network, property, tasks) = (loaded.network, loaded.property, loaded.tasks)
            let results = try [BoundMethod.crown, .alphaCrown].map { try loaded.engine.bound(tasks, options: BoundOptions(method: $0, iterations: 10)) }
            for result in results {
                XCTAssertFalse(result.allSatisfy(\.isProved), "\(instance.network.lastPathComponent) \(instance.property.lastPathComponent) is sat but was proved")
            }
            // Look for counterexamples by sampling (plus the engines' candidates); each one found
            // must lie inside every bound.
            for (caseIndex, item) in property.cases.enumerated() {
                var candidates = results.map { $0[caseIndex].witnessCandidate }
                for _ in 0..<2000 {
                    candidates.append(randomPoint(in: item.box, &generator))
                }
                for point in candidates {
                    let outputs = try network.evaluate(point)
                    guard item.unsafe.firstSatisfiedDisjunct(outputs) != nil else { continue }
                    counterexamplesChecked += 1
                    for result in results {
                        assertContains(result[caseIndex], tasks[caseIndex].objectives, outputs: outputs, instance.property.lastPathComponent)
                        XCTAssertFalse(result[caseIndex].isProved)
                    }
                }
            }
        }
        print("checked \(counterexamplesChecked) sampled counterexamples of \(satInstances.count) sat instances")
        XCTAssertGreaterThan(counterexamplesChecked, 0)
    }

    func testBoundsContainSampledOutputsOnMNISTAndACASXu() throws {
        let mnist = try instances("mnistfc")
        let acas = try instances("acasxu")
        let chosen = [mnist[0], mnist[31], mnist[62], acas[0], acas[50], acas[120], acas[185]]
        var generator = SeededGenerator(seed: 6)
        for instance in chosen {
            let loaded = try Loaded(instance)
            let (network, property, tasks) = (loaded.network, loaded.property, loaded.tasks)
            for method in BoundMethod.allCases {
                let results = try loaded.engine.bound(tasks, options: BoundOptions(method: method, iterations: 5))
                for (caseIndex, item) in property.cases.enumerated() {
                    for _ in 0..<40 {
                        let point = randomPoint(in: item.box, &generator)
                        assertContains(results[caseIndex], tasks[caseIndex].objectives, outputs: try network.evaluate(point), "\(method) \(instance.property.lastPathComponent)")
                    }
                }
            }
        }
    }
}
