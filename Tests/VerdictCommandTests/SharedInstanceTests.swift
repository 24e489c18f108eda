import Foundation
import VerdictCore
import VerdictONNX
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

/// `verdict verify` (release build) on the shared VNN-COMP 2021 instances, answers compared
/// with `expected.csv`. A contradiction is a release-blocking bug; every `sat` witness is
/// checked again here, against the files, by the exact evaluator.
final class SharedInstanceTests: XCTestCase {
    /// Runs one instance; returns the answer word after checking the witness of a `sat`.
    private func verify(_ instance: BenchmarkInstance, timeout: Double, flags: [String] = []) throws -> String {
        let binary = try VerdictProcess.releaseBinary()
        let run = try VerdictProcess.run(
            ["verify", instance.property.path, "--network", instance.network.path, "--timeout", String(timeout), "--device", "cpu"] + flags,
            binary: binary)
        let name = instance.network.lastPathComponent + " " + instance.property.lastPathComponent + " " + flags.joined(separator: " ")
        XCTAssertEqual(run.status, 0, "\(name): \(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let answer = lines.first ?? ""
        XCTAssertTrue(["sat", "unsat", "unknown", "timed-out"].contains(answer), "\(name): \(run.stdout)")
        if let expected = instance.expected, expected == "sat" || expected == "unsat", answer == "sat" || answer == "unsat" {
            XCTAssertEqual(answer, expected, "\(name): contradicts expected.csv")
        }
        if answer == "sat" {
            let inputs = lines.filter { $0.hasPrefix("X_") }.compactMap { Double($0.split(separator: " ").last!) }
            let network = try ONNXImporter.load(path: instance.network.path).network
            let property = try VNNLIBParser.parse(contentsOf: instance.property.path)
            XCTAssertEqual(inputs.count, property.inputCount, name)
            let report = try WitnessChecker(network: network, property: property).check(inputs)
            if property.cases.allSatisfy({ $0.innerBox.isNonEmpty }) {
                XCTAssertTrue(report.isConfirmed, "\(name): printed witness not confirmed: \(report.problem ?? "")")
            } else {
                // Inputs fixed to decimals with no binary value: the witness lists the Doubles
                // below them; inside the outer box, both evaluations must reach the region.
                let reached = property.cases.contains { item in
                    item.box.contains(inputs) && item.unsafe.disjuncts.contains { conjunction in
                        conjunction.allSatisfy { $0.isSurelySatisfied(by: report.outputs) && $0.isSurelySatisfied(by: report.floatOutputs.map(Double.init)) }
                    }
                }
                XCTAssertTrue(reached, "\(name): printed witness outside the box or the unsafe region")
            }
        }
        return answer
    }

    private func instance(_ suite: [BenchmarkInstance], network: String, property: String) throws -> BenchmarkInstance {
        try XCTUnwrap(suite.first { $0.network.lastPathComponent == "ACASXU_run2a_\(network)_batch_2000.onnx" && $0.property.lastPathComponent == "\(property).vnnlib" })
    }

    /// Every pick (network, property) answered as expected.csv says, at the competition's
    /// timeout, with `--split split`; both answers must occur among them.
    private func expectAcasXuAnswers(_ picks: [(network: String, property: String)], split: String) throws {
        let suite = try BenchmarkSuite.instances(in: try TestPaths.sharedFolder("acasxu"))
        var answers: Set<String> = []
        for pick in picks {
            let item = try instance(suite, network: pick.network, property: pick.property)
            let answer = try verify(item, timeout: item.timeout, flags: ["--split", split])
            XCTAssertEqual(answer, item.expected, "\(pick.network) \(pick.property) with --split \(split)")
            answers.insert(answer)
        }
        XCTAssertEqual(answers, ["sat", "unsat"])
    }

    /// ACAS Xu properties 1-4, each on networks where it holds and (2-4) where it fails, with
    /// input splitting: every answer must be given and match.
    func testAcasXuPropertiesOneToFourWithInputSplitting() throws {
        try expectAcasXuAnswers(
            [("1_2", "prop_1"), ("2_7", "prop_1"), ("2_1", "prop_2"), ("5_3", "prop_2"), ("1_6", "prop_3"), ("1_7", "prop_3"),
             ("2_9", "prop_4"), ("1_7", "prop_4")],
            split: "input")
    }

    /// The same properties with ReLU splitting. Property 1's box is wide enough that ReLU
    /// splitting does not finish within CI time on any network (measured: none of the 45 in
    /// 6 s, 1_8 and 1_9 not in 90 s), so here it must only never be wrong; 2-4 must be answered.
    func testAcasXuPropertiesOneToFourWithReluSplitting() throws {
        try expectAcasXuAnswers(
            [("2_1", "prop_2"), ("1_6", "prop_3"), ("2_4", "prop_3"), ("1_7", "prop_3"), ("2_9", "prop_4"), ("3_3", "prop_4"), ("1_7", "prop_4")],
            split: "relu")
        let suite = try BenchmarkSuite.instances(in: try TestPaths.sharedFolder("acasxu"))
        let propertyOne = try instance(suite, network: "1_9", property: "prop_1")
        let answer = try verify(propertyOne, timeout: 5, flags: ["--split", "relu"])
        XCTAssertTrue(answer == "unsat" || answer == "timed-out", answer)
    }

    /// ACAS Xu 1_9 property 7 fails only on a face of its box (X_0 at its lower bound): the
    /// attack's boundary samples must find it where uniform samples did not (measured: 200,000
    /// inside the box and 1000 PGD restarts missed it).
    func testAcasXuOneNinePropertySevenCounterexampleIsFound() throws {
        let suite = try BenchmarkSuite.instances(in: try TestPaths.sharedFolder("acasxu"))
        let item = try instance(suite, network: "1_9", property: "prop_7")
        XCTAssertEqual(try verify(item, timeout: 30), "sat")
    }

    /// ACAS Xu 1_1 property 5 sends two leaves to Z3 that it spends 40-80 s on (past their
    /// 10 s limit) while splitting alone decides the instance in seconds: the search must take
    /// such leaves back instead of waiting for them.
    func testSlowZ3LeavesDoNotHoldUpTheAnswer() throws {
        let suite = try BenchmarkSuite.instances(in: try TestPaths.sharedFolder("acasxu"))
        let item = try instance(suite, network: "1_1", property: "prop_5")
        XCTAssertEqual(try verify(item, timeout: 30), "unsat")
    }

    /// A spread of every shared folder with short timeouts: nothing may contradict
    /// `expected.csv`, and at least two thirds must be answered.
    func testSampledSharedInstancesNeverContradictExpected() throws {
        var answered = 0, total = 0
        for (folder, stride, timeout) in [("test", 1, 10.0), ("acasxu", 12, 10.0), ("mnistfc", 15, 10.0)] {
            let suite = try BenchmarkSuite.instances(in: try TestPaths.sharedFolder(folder))
            for index in Swift.stride(from: 0, to: suite.count, by: stride) {
                let answer = try verify(suite[index], timeout: min(timeout, suite[index].timeout))
                total += 1
                if answer == "sat" || answer == "unsat" { answered += 1 }
            }
        }
        print("sampled shared instances: \(answered) of \(total) answered")
        // Measured: 22 of 27 on an idle 2-core machine; two thirds leaves room for a busy one.
        XCTAssertGreaterThanOrEqual(answered * 3, total * 2, "\(answered) of \(total) answered")
    }

    /// The convolutional, pooling and residual suites (VNN-COMP 2021 `verivital`, 2022
    /// `collins_rul_cnn`, `oval21`, `sri_resnet_a`), a spread of each with short timeouts:
    /// nothing may contradict `expected.csv`; the collins and verivital picks, all answered
    /// within seconds on this machine, must be answered.
    func testSampledGraphSuiteInstancesNeverContradictExpected() throws {
        var unanswered: [String] = []
        for (folder, stride, timeout, mustAnswer) in [
            ("../vnncomp2022/collins_rul_cnn", 6, 20.0, true), ("verivital", 12, 20.0, true),
            ("../vnncomp2022/oval21", 15, 10.0, false), ("../vnncomp2022/sri_resnet_a", 36, 10.0, false),
        ] {
            let suite = try BenchmarkSuite.instances(in: try TestPaths.sharedFolder(folder))
            for index in Swift.stride(from: 0, to: suite.count, by: stride) {
                let answer = try verify(suite[index], timeout: min(timeout, suite[index].timeout))
                if mustAnswer && answer != "sat" && answer != "unsat" { unanswered.append("\(folder) \(suite[index].property.lastPathComponent): \(answer)") }
            }
        }
        XCTAssertEqual(unanswered, [])
    }

    /// `reach_prob_density` (small control networks, unsafe regions that are small boxes in
    /// output space): a CI-sized subset of each network, every pick answered as `expected.csv`
    /// says. The unsat `gcas` ones need `--input-split-limit` 16 (14 inputs) and the unsat
    /// `vdp` one the rows' combination; each takes seconds.
    func testReachProbDensitySubsetIsAnswered() throws {
        let suite = try BenchmarkSuite.instances(in: try TestPaths.sharedFolder("../vnncomp2022/reach_prob_density"))
        XCTAssertEqual(suite.count, 36)
        let picks = ["gcas_0", "gcas_1", "gcas_3", "gcas_7", "vdp_3", "vdp_11", "robot_4"]
        var answers: Set<String> = []
        for pick in picks {
            let item = try XCTUnwrap(suite.first { $0.property.lastPathComponent == "\(pick).vnnlib" }, pick)
            let answer = try verify(item, timeout: 60)
            XCTAssertEqual(answer, item.expected, pick)
            answers.insert(answer)
        }
        XCTAssertEqual(answers, ["sat", "unsat"])
    }

    /// The Sigmoid network of `eran`: answers never contradict `expected.csv`, the bounds alone
    /// prove some instances, the attack finds the labelled counterexamples, and the whole-network
    /// Z3 engine refuses it with a clear message.
    func testSigmoidNetworkAnswersAndZ3Refuses() throws {
        let suite = try BenchmarkSuite.instances(in: try TestPaths.sharedFolder("eran")).filter { $0.network.lastPathComponent.contains("SIGMOID") }
        XCTAssertEqual(suite.count, 36)
        var answers: [String: Int] = [:]
        for item in suite.filter({ $0.expected == "sat" }) + suite.filter({ $0.expected == "unsat" }).prefix(8) {
            let answer = try verify(item, timeout: 20)
            answers[answer, default: 0] += 1
            // Four 2021 tools found this one's counterexample (the other `sat` rests on one vote).
            if item.property.lastPathComponent.contains("idx_7259") { XCTAssertEqual(answer, "sat") }
        }
        XCTAssertGreaterThanOrEqual(answers["unsat", default: 0], 1, "some proved by the bounds: \(answers)")
        let refused = try VerdictProcess.run(
            ["verify", suite[0].property.path, "--network", suite[0].network.path, "--engine", "z3"], binary: try VerdictProcess.releaseBinary())
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("cannot express Sigmoid"), refused.stderr)
        XCTAssertEqual(refused.stdout, "")
    }
}
