import VerdictBounds
import VerdictCore
import VerdictSearch
import VerdictTestSupport
import XCTest

/// Branch and bound against the whole-network Z3 encoding on properties whose unsafe region
/// is a small box in output space, a conjunction of four rows (`|y_a - m_a| <= r_a ∧
/// |y_b - m_b| <= r_b`), as reach_prob_density's are: the answers must agree, with rows
/// combined (``RowForms``) on both the chain and the graph engine, splitting inputs or ReLUs.
final class ConjunctionDifferentialTests: XCTestCase {
    private func randomProblem(_ generator: inout SeededGenerator) throws -> (Network, Property) {
        let inputs = Int.random(in: 2...3, using: &generator)
        let hidden = (0..<Int.random(in: 1...2, using: &generator)).map { _ in Int.random(in: 3...6, using: &generator) }
        let outputs = Int.random(in: 2...3, using: &generator)
        let network = try RandomNetworks.multilayerPerceptron(widths: [inputs] + hidden + [outputs], generator: &generator)
        let center = (0..<inputs).map { _ in Double(Float(Double.random(in: -1...1, using: &generator))) }
        let radius = Double(Float(Double.random(in: 0.1...0.8, using: &generator)))
        let box = InputBox(lower: center.map { Double(Float($0 - radius)) }, upper: center.map { Double(Float($0 + radius)) })
        // The target box is centred on the outputs at a sampled point, moved off it by up to
        // twice its size: about half the problems are sat.
        let point = (0..<inputs).map { Double.random(in: box.lower[$0]...box.upper[$0], using: &generator) }
        let y = try network.evaluate(point)
        var conjunction: [LinearConstraint] = []
        for output in [0, outputs - 1] {
            let size = Double(Float(Double.random(in: 0.02...0.2, using: &generator)))
            let middle = Double(Float(y[output] + Double.random(in: -2...2, using: &generator) * size))
            conjunction.append(LinearConstraint(terms: [.init(index: output, coefficient: 1)], bound: RealInterval(exactly: middle + size)))
            conjunction.append(LinearConstraint(terms: [.init(index: output, coefficient: -1)], bound: RealInterval(exactly: -(middle - size))))
        }
        let property = Property(inputCount: inputs, outputCount: outputs, cases: [.init(box: box, unsafe: OutputRegion(disjuncts: [conjunction]))])
        return (network, property)
    }

    func testConjunctiveRegionsAgreeWithWholeNetworkZ3() throws {
        var generator = SeededGenerator(seed: 20261201)
        var answers: [Answer: Int] = [:]
        var oracleUnknown = 0
        let count = 60
        for index in 0..<count {
            let (network, property) = try randomProblem(&generator)
            var oracleOptions = VerificationOptions()
            oracleOptions.deadline = Deadline(seconds: 30)
            let oracle = try Verifier(network: network, property: property, options: oracleOptions).verifyWithZ3()
            guard oracle.answer == .sat || oracle.answer == .unsat else {
                oracleUnknown += 1
                continue
            }
            var options = VerificationOptions()
            options.splitMode = index % 2 == 0 ? .input : .relu
            options.method = [BoundMethod.crown, .alphaCrown, .betaCrown][(index / 2) % 3]
            options.iterations = 5
            options.batchSize = [1, 8][index % 2]
            // Splitting inputs, every other problem without Z3 leaves: the rows' combination
            // must close the search alone.
            options.z3LeafUnstable = options.splitMode == .input && (index / 2) % 2 == 0 ? -1 : 2
            options.z3LeafDepth = 40
            // Input splitting tries every dimension, or 2 (the widest and the best scored).
            options.inputBranchingCandidates = (index / 4) % 2 == 0 ? 2 : 0
            // Small trees: the warm-up (every dimension) would cover them whole; 0 or a few bounds.
            options.inputSplitWarmup = [0, 8][(index / 3) % 2]
            options.seed = UInt64(index)
            if index % 3 == 0 {
                options.attackSamples = 0
                options.attackRestarts = 0
            }
            options.deadline = Deadline(seconds: 120)
            let graph = index % 4 >= 2
            let engine: any BoundEngine = graph
                ? GraphBoundEngine(graph: try GraphBoundNetwork(network)) : CPUBoundEngine(network: try BoundNetwork(network))
            let result = try Verifier(network: network, property: property, options: options).verify(engine: engine)
            let setting = "problem \(index): split \(options.splitMode), \(options.method.map { "\($0)" } ?? "default"), K=\(options.z3LeafUnstable), \(graph ? "graph" : "chain") engine"
            XCTAssertEqual(result.answer, oracle.answer, "\(setting): \(result.reason) vs Z3: \(oracle.reason)")
            answers[result.answer, default: 0] += 1
            if let witness = result.witness {
                let recheck = try WitnessChecker(network: network, property: property).check(witness.input)
                XCTAssertTrue(recheck.isConfirmed, "\(setting): witness \(witness.input) not confirmed: \(recheck.problem ?? "")")
            }
        }
        print("conjunction differential: \(answers[.sat, default: 0]) sat, \(answers[.unsat, default: 0]) unsat agreed; \(oracleUnknown) oracle unknown")
        XCTAssertGreaterThan(answers[.sat, default: 0], count / 6)
        XCTAssertGreaterThan(answers[.unsat, default: 0], count / 6)
        XCTAssertLessThan(oracleUnknown, count / 10)
    }
}
