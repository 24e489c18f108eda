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

    private func tasks(_ property: Property, _ network: BoundNetwork) -> [BoundTask] {
        property.cases.map { BoundTask(subproblem: Subproblem(box: $0.box, network: network), objectives: Objectives(region: $0.unsafe, outputCount: property.outputCount)) }
    }

    /// Checks that each row's bounds contain its value at each point.
    private func assertContains(_ result: SubproblemBounds, _ objectives: Objectives, outputs: [Double], _ message: String) {
        for row in 0..<objectives.rowCount {
            let value = objectives.constants[row] + (0..<objectives.outputCount).reduce(0) { $0 + objectives.coefficients[row * objectives.outputCount + $1] * outputs[$1] }
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
            let network = try ONNXImporter.load(path: instance.network.path).network
            let property = try VNNLIBParser.parse(contentsOf: instance.property.path)
            let boundNetwork = try BoundNetwork(network)
            let engine = CPUBoundEngine(network: boundNetwork)
            let tasks = tasks(property, boundNetwork)
            let results = try [BoundMethod.crown, .alphaCrown].map { try engine.bound(tasks, options: BoundOptions(method: $0, iterations: 10)) }
            for result in results {
                XCTAssertFalse(result.allSatisfy(\.isProved), "\(instance.network.lastPathComponent) \(instance.property.lastPathComponent) is sat but was proved")
            }
            // Look for counterexamples by sampling (plus the engines' candidates); each one found
            // must lie inside every bound.
            for (caseIndex, item) in property.cases.enumerated() {
                var candidates = results.map { $0[caseIndex].witnessCandidate }
                for _ in 0..<2000 {
                    candidates.append((0..<item.box.dimension).map { Double.random(in: item.box.lower[$0]...item.box.upper[$0], using: &generator) })
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
            let network = try ONNXImporter.load(path: instance.network.path).network
            let property = try VNNLIBParser.parse(contentsOf: instance.property.path)
            let boundNetwork = try BoundNetwork(network)
            let engine = CPUBoundEngine(network: boundNetwork)
            let tasks = tasks(property, boundNetwork)
            for method in BoundMethod.allCases {
                let results = try engine.bound(tasks, options: BoundOptions(method: method, iterations: 5))
                for (caseIndex, item) in property.cases.enumerated() {
                    for _ in 0..<40 {
                        let point = (0..<item.box.dimension).map { Double.random(in: item.box.lower[$0]...item.box.upper[$0], using: &generator) }
                        assertContains(results[caseIndex], tasks[caseIndex].objectives, outputs: try network.evaluate(point), "\(method) \(instance.property.lastPathComponent)")
                    }
                }
            }
        }
    }
}
