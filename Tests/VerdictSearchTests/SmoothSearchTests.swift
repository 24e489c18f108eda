import VerdictBounds
import VerdictCore
import VerdictSearch
import VerdictTestSupport
import XCTest

/// Branch and bound on random small networks mixing Sigmoid, Tanh and ReLU, where Z3 gives no
/// oracle: every `sat` witness passes the checker, and no `unsat` is contradicted by dense
/// sampling of its box. Attacks are off for half of them, so that splits (of ReLUs and of
/// S-shaped neurons) must find the counterexamples.
final class SmoothSearchTests: XCTestCase {
    func testAnswersOnMixedNetworksAreNeverContradictedBySampling() throws {
        var generator = SeededGenerator(seed: 1130)
        var answers: [Answer: Int] = [:]
        var smoothSplits = 0
        for index in 0..<30 {
            let network = try RandomGraphs.smooth(generator: &generator)
            let inputs = network.inputCount
            let center = (0..<inputs).map { _ in Double(Float(Double.random(in: -1...1, using: &generator))) }
            let radius = Double(Float(Double.random(in: 0.1...1, using: &generator)))
            let box = InputBox(lower: center.map { Double(Float($0 - radius)) }, upper: center.map { Double(Float($0 + radius)) })
            let samples = (0..<4000).map { _ in (0..<inputs).map { Double.random(in: box.lower[$0]...box.upper[$0], using: &generator) } }
            let outputs = try samples.map { try network.evaluate($0)[0] }
            // "y_0 >= t", t around the sampled maximum: some sat, some unsat, some close.
            let spread = outputs.max()! - outputs.min()! + 1e-3
            let threshold = Double(Float(outputs.max()! + Double.random(in: -0.05...0.3, using: &generator) * spread))
            let region = OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: 0, coefficient: -1)], bound: RealInterval(exactly: -threshold))]])
            let property = Property(inputCount: inputs, outputCount: network.outputCount, cases: [.init(box: box, unsafe: region)])
            var options = VerificationOptions()
            options.splitMode = .relu
            options.seed = UInt64(index)
            options.batchSize = [1, 8][index % 2]
            if index % 2 == 0 {
                options.attackSamples = 0
                options.attackRestarts = 0
            }
            options.deadline = Deadline(seconds: 20)
            let engine = GraphBoundEngine(graph: try GraphBoundNetwork(network))
            let result = try Verifier(network: network, property: property, options: options).verify(engine: engine)
            answers[result.answer, default: 0] += 1
            if result.statistics.subproblems > 2 && network.nodes.allSatisfy({ !($0.layer is ReLULayer) }) { smoothSplits += 1 }
            switch result.answer {
            case .sat:
                let witness = try XCTUnwrap(result.witness)
                XCTAssertTrue(witness.isConfirmed, "network \(index): unconfirmed witness")
            case .unsat:
                XCTAssertFalse(outputs.contains { $0 >= threshold }, "network \(index): unsat, but a sample reaches \(threshold)")
            default:
                XCTAssertFalse(result.reason.isEmpty)
            }
        }
        XCTAssertGreaterThan(answers[.sat, default: 0], 3, "\(answers)")
        XCTAssertGreaterThan(answers[.unsat, default: 0], 3, "\(answers)")
        XCTAssertGreaterThan(smoothSplits, 0, "some proofs split S-shaped neurons")
    }
}
