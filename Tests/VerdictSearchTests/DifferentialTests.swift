import VerdictBounds
import VerdictCore
import VerdictSearch
import VerdictTestSupport
import XCTest

/// Branch and bound against the whole-network Z3 encoding on random small networks and
/// properties: the two must never disagree, and every `sat` witness must pass the checker.
final class DifferentialTests: XCTestCase {
    /// A property whose threshold sits among sampled outputs, so about half are sat and the
    /// unsat ones are tight.
    private func randomProblem(_ generator: inout SeededGenerator) throws -> (Network, Property) {
        let inputs = Int.random(in: 2...4, using: &generator)
        let hidden = (0..<Int.random(in: 1...2, using: &generator)).map { _ in Int.random(in: 3...7, using: &generator) }
        let outputs = Int.random(in: 2...3, using: &generator)
        let network = try RandomNetworks.multilayerPerceptron(widths: [inputs] + hidden + [outputs], generator: &generator)
        let center = (0..<inputs).map { _ in Double(Float(Double.random(in: -1...1, using: &generator))) }
        let radius = Double(Float(Double.random(in: 0.05...1, using: &generator)))
        let box = InputBox(lower: center.map { Double(Float($0 - radius)) }, upper: center.map { Double(Float($0 + radius)) })
        // Disjuncts "y_k - y_0 >= t_k" written as y_0 - y_k <= -t_k, thresholds from samples.
        var disjuncts: [[LinearConstraint]] = []
        for k in 1..<min(outputs, 1 + Int.random(in: 1...2, using: &generator)) {
            var values: [Double] = []
            for _ in 0..<64 {
                let point = (0..<inputs).map { Double.random(in: box.lower[$0]...box.upper[$0], using: &generator) }
                let y = try network.evaluate(point)
                values.append(y[k] - y[0])
            }
            values.sort()
            // Mostly above the sampled maximum (unsat or rare counterexamples), sometimes inside.
            let spread = values.last! - values.first! + 1e-3
            let threshold = Double(Float(values.last! + Double.random(in: -0.25...0.6, using: &generator) * spread))
            disjuncts.append([
                LinearConstraint(
                    terms: [.init(index: 0, coefficient: 1), .init(index: k, coefficient: -1)], bound: RealInterval(exactly: -threshold))
            ])
        }
        let property = Property(inputCount: inputs, outputCount: outputs, cases: [.init(box: box, unsafe: OutputRegion(disjuncts: disjuncts))])
        return (network, property)
    }

    func testBranchAndBoundAgreesWithWholeNetworkZ3() throws {
        var generator = SeededGenerator(seed: 20261124)
        var answers: [Answer: Int] = [:]
        var oracleUnknown = 0
        var restarts = 0, restartsLeftOpen = 0
        var slowest: (Duration, Int) = (.zero, -1)
        let count = 240
        for index in 0..<count {
            let (network, property) = try randomProblem(&generator)
            var oracleOptions = VerificationOptions()
            oracleOptions.deadline = Deadline(seconds: 30)
            let oracle = try Verifier(network: network, property: property, options: oracleOptions).verifyWithZ3()
            guard oracle.answer == .sat || oracle.answer == .unsat else {
                oracleUnknown += 1
                continue
            }
            // Cycle through the search's settings.
            var options = VerificationOptions()
            options.splitMode = index % 2 == 0 ? .relu : .input
            options.branching = BranchingHeuristic.allCases[(index / 2) % BranchingHeuristic.allCases.count]
            options.method = [BoundMethod.crown, .alphaCrown, .betaCrown, .ibp][(index / 8) % 4]
            options.iterations = 5
            options.batchSize = [1, 3, 16][index % 3]
            options.z3LeafUnstable = [0, 2, 4][(index / 3) % 3]
            options.z3LeafDepth = 12
            // auto: recompute, then reuse below a refined root.
            options.childIntermediateBounds = [ChildIntermediateBounds.recompute, .reuse, .auto][(index / 4) % 3]
            // Refined intermediate bounds (two-layer networks, ReLU splitting) feed every bound after them.
            options.refineLayers = (index / 5) % 2
            options.refineSplits = 3
            // Or the search restarts from a refined root at its first step (when the root is open),
            // without waiting for a search that is closing in.
            options.refineWhenStuck = (index / 10) % 2 == 0 ? 1e-9 : 0
            options.refineUnlessFinishing = 0
            // Per-disjunct trees, and FSB scoring by either trial child.
            options.separateDisjuncts = (index / 6) % 2 == 0
            options.fsbReduce = (index / 7) % 2 == 0 ? .min : .max
            // Input splitting: 1 to 3 candidate dimensions, or every one.
            options.inputBranchingCandidates = (index / 2) % 4
            // Small trees: the warm-up (every dimension) would cover them whole; 0 or a few bounds.
            options.inputSplitWarmup = [0, 8][(index / 3) % 2]
            options.seed = UInt64(index)
            if index % 3 == 0 {
                // Leave the counterexamples to branch and bound.
                options.attackSamples = 0
                options.attackRestarts = 0
            }
            // Agreement is the point, not speed: the deadline only stops a run that would never
            // end. The slowest problem (160: CROWN splitting ReLUs leaves 870 leaves with every
            // ReLU fixed to Z3) took 11-13 s in a debug build, and 25-30 s before leaves used
            // Z3's SMT core without the general solver's setup.
            options.deadline = Deadline(seconds: 120)
            let started = ContinuousClock.now
            let verifier = try Verifier(network: network, property: property, options: options)
            let result = verifier.verify(engine: CPUBoundEngine(network: try BoundNetwork(network)))
            let elapsed = ContinuousClock.now - started
            if elapsed > slowest.0 { slowest = (elapsed, index) }
            let setting = "problem \(index): split \(options.splitMode), \(options.branching), \(options.resolvedMethod(inputCount: network.inputCount)), K=\(options.z3LeafUnstable), children \(options.childIntermediateBounds), refine \(options.refineLayers), restart \(options.refineWhenStuck), separate \(options.separateDisjuncts), fsb \(options.fsbReduce)"
            XCTAssertEqual(result.answer, oracle.answer, "\(setting): \(result.reason) vs Z3: \(oracle.reason)")
            answers[result.answer, default: 0] += 1
            if result.statistics.refinementRestartSeconds != nil { restarts += 1 }
            restartsLeftOpen += result.statistics.restartsLeftOpen
            for witness in [result.witness, oracle.witness].compactMap({ $0 }) {
                let recheck = try WitnessChecker(network: network, property: property).check(witness.input)
                XCTAssertTrue(recheck.isConfirmed, "\(setting): witness \(witness.input) not confirmed: \(recheck.problem ?? "")")
            }
        }
        print("differential: \(answers[.sat, default: 0]) sat, \(answers[.unsat, default: 0]) unsat agreed; \(oracleUnknown) oracle unknown; \(restarts) restarted from a refined root (\(restartsLeftOpen) still open); slowest search: problem \(slowest.1), \(slowest.0)")
        // Both answers must be well represented, or the test proves little.
        XCTAssertGreaterThan(answers[.sat, default: 0], count / 6)
        XCTAssertGreaterThan(answers[.unsat, default: 0], count / 6)
        XCTAssertLessThan(oracleUnknown, count / 20)
        // A search with nothing left open no longer restarts (7 restarts before, one of them on
        // such a search): 6 of 240 problems restart, each from a refined root still open.
        XCTAssertGreaterThan(restarts, count / 60, "the refined restart must be exercised")
        XCTAssertGreaterThan(restartsLeftOpen, 0, "the search must go on from an open refined root")
    }
}
