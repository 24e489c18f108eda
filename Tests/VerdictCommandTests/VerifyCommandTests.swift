import Foundation
import VerdictTestSupport
import XCTest

/// `verdict verify` as a user runs it: answer on the first line, witness, JSON, result file,
/// timeouts and errors.
final class VerifyCommandTests: XCTestCase {
    private let model = "benchmarks/examples/digits/digits.onnx"
    private let properties = "benchmarks/examples/digits/properties/"

    func testAnswersComeFirstAndWitnessesFollow() throws {
        let unsat = try VerdictProcess.run(["verify", properties + "digit_0_eps_0.05.vnnlib", "--network", model, "--device", "cpu"])
        XCTAssertEqual(unsat.status, 0, unsat.stderr)
        XCTAssertEqual(unsat.stdout, "unsat\n")
        XCTAssertTrue(unsat.stderr.contains("subproblems bounded"), unsat.stderr)

        // A radius of 2 (pixels range 0..16) lets the attack change the label of digit 1.
        let sat = try VerdictProcess.run(["verify", properties + "digit_1_eps_2.0.vnnlib", "--network", "digits=" + model, "--device", "cpu"])
        XCTAssertEqual(sat.status, 0, sat.stderr)
        let lines = sat.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first, "sat")
        XCTAssertEqual(lines.count, 1 + 64 + 10, sat.stdout)
        XCTAssertTrue(lines[1].hasPrefix("X_0 = "), String(lines[1]))
        XCTAssertTrue(lines[65].hasPrefix("Y_0 = "), String(lines[65]))
        // The printed witness, fed back through `eval`, gives the printed outputs.
        let directory = try temporaryDirectory()
        let input = directory.appendingPathComponent("witness.txt")
        try lines[1...64].map { String($0.split(separator: " ").last!) }.joined(separator: "\n").write(to: input, atomically: true, encoding: .utf8)
        let evaluated = try VerdictProcess.run(["eval", model, "--input", input.path, "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
        let outputs = try XCTUnwrap(object["outputs"] as? [Double])
        for (index, line) in lines[65...].enumerated() {
            XCTAssertEqual(Double(line.split(separator: " ").last!)!, outputs[index], accuracy: 1e-9 * max(1, outputs[index].magnitude))
        }
    }

    func testJSONAndResultFile() throws {
        let directory = try temporaryDirectory()
        let resultFile = directory.appendingPathComponent("result.txt")
        let sat = try VerdictProcess.run([
            "verify", properties + "digit_1_eps_2.0.vnnlib", "--network", model, "--json", "--result-file", resultFile.path, "--device", "cpu",
        ])
        XCTAssertEqual(sat.status, 0, sat.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(sat.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["answer"] as? String, "sat")
        let witness = try XCTUnwrap(object["witness"] as? [String: Any])
        XCTAssertEqual((witness["inputs"] as? [Double])?.count, 64)
        XCTAssertEqual((witness["outputs"] as? [Double])?.count, 10)
        let phases = try XCTUnwrap(object["phases"] as? [String: Double])
        XCTAssertEqual(Set(phases.keys), ["attack", "bounds", "z3"])
        for key in ["seconds", "subproblems", "z3_leaves", "peak_memory_bytes"] { XCTAssertNotNil(object[key], key) }
        XCTAssertGreaterThan(object["peak_memory_bytes"] as? Int ?? 0, 1 << 20)
        // The witness's margin is at most 0; nothing was left open.
        XCTAssertLessThanOrEqual(try XCTUnwrap(object["closest_margin"] as? Double), 0)
        XCTAssertTrue(object["weakest_open_bound"] is NSNull)
        let text = try String(contentsOf: resultFile, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("sat\n(("), text)
        XCTAssertTrue(text.contains("(X_63 ") && text.contains("(Y_9 ") && text.hasSuffix("))\n"), text)

        // Branch and bound with ReLU splitting proves the radius-2 property of digit 0.
        let unsat = try VerdictProcess.run([
            "verify", properties + "digit_0_eps_2.0.vnnlib", "--network", model, "--json", "--result-file", resultFile.path, "--split", "relu",
            "--device", "cpu",
        ])
        let unsatObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(unsat.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(unsatObject["answer"] as? String, "unsat", unsat.stderr)
        XCTAssertTrue(unsatObject["witness"] is NSNull)
        XCTAssertGreaterThan(unsatObject["subproblems"] as? Int ?? 0, 1, "the property needs branching")
        XCTAssertGreaterThan(try XCTUnwrap(unsatObject["closest_margin"] as? Double), 0)
        XCTAssertTrue(unsatObject["weakest_open_bound"] is NSNull)
        XCTAssertEqual(try String(contentsOf: resultFile, encoding: .utf8), "unsat\n")
    }

    /// `refinement_by_layer` says what each refined layer got and what stopped it: here the
    /// 4 rounds of `--refine-splits 4` (digits' layer 1 keeps unstable ReLUs after 512 rounds).
    func testRefinementReportNamesWhatStoppedEachLayer() throws {
        let result = try VerdictProcess.run([
            "verify", properties + "digit_0_eps_2.0.vnnlib", "--network", model, "--json", "--split", "relu", "--device", "cpu",
            "--refine-layers", "1", "--refine-splits", "4",
        ])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stderr)
        XCTAssertEqual(object["answer"] as? String, "unsat", result.stderr)
        let layers = try XCTUnwrap(object["refinement_by_layer"] as? [[String: Any]])
        XCTAssertEqual(layers.count, 1)
        XCTAssertEqual(layers[0]["rounds"] as? Int, 4)
        XCTAssertEqual(layers[0]["stopped_by"] as? String, "splits")
    }

    func testPrecisionAutoFollowsTheSplitMode() throws {
        // Only an OpenCL device has a precision to choose; PoCL gives CI one.
        guard try VerdictProcess.run(["devices"]).stdout.contains("opencl:0") else {
            print("testPrecisionAutoFollowsTheSplitMode: no OpenCL device, nothing to check")
            return
        }
        func engine(_ flags: [String]) throws -> (answer: String?, engine: String) {
            let result = try VerdictProcess.run(
                ["verify", properties + "digit_0_eps_2.0.vnnlib", "--network", model, "--json", "--device", "opencl"] + flags)
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            return (object["answer"] as? String, try XCTUnwrap(object["engine"] as? String))
        }
        // ReLU splitting computes in float by default, and still proves the property.
        let relu = try engine(["--split", "relu"])
        XCTAssertEqual(relu.answer, "unsat")
        XCTAssertTrue(relu.engine.hasSuffix("float)"), relu.engine)
        // An explicit precision wins; input splitting keeps double (the answer does not matter here).
        let explicit = try engine(["--split", "relu", "--precision", "double"])
        XCTAssertEqual(explicit.answer, "unsat")
        XCTAssertTrue(explicit.engine.hasSuffix("double)"), explicit.engine)
        XCTAssertTrue(try engine(["--split", "input", "--timeout", "2"]).engine.hasSuffix("double)"))
    }

    func testTimeoutIsHonouredInsideZ3() throws {
        // The whole-network Z3 encoding of the example does not finish in a second.
        let start = Date()
        let result = try VerdictProcess.run(["verify", properties + "digit_0_eps_2.0.vnnlib", "--network", model, "--engine", "z3", "--timeout", "1"])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout, "timed-out\n")
        XCTAssertLessThan(elapsed, 2.5, "--timeout 1 took \(elapsed) s")
    }

    func testBadVerifyInputsFailClearly() throws {
        let property = properties + "digit_0_eps_0.5.vnnlib"
        let cases: [([String], String)] = [
            (["verify", property, "--network", model, "--timeout=-3"], "--timeout must be a positive"),
            (["verify", property, "--network", model, "--split", "diagonal"], "--split"),
            (["verify", property, "--network", model, "--branching", "best"], "--branching"),
            (["verify", property, "--network", model, "--branching", "fsb", "--fsb-candidates", "0"], "--fsb-candidates must be between 1 and"),
            (["verify", property, "--network", model, "--refine-layers=-1"], "--refine-layers must be between 0 and"),
            (["verify", property, "--network", model, "--refine-time-share", "0"], "--refine-time-share must be above 0"),
            (["verify", property, "--network", model, "--refine-time-share", "1.5"], "--refine-time-share must be above 0"),
            (["verify", property, "--network", model, "--refine-layer-decay=-1"], "--refine-layer-decay must be between 0 and 16"),
            (["verify", property, "--network", model, "--refine-layer-decay", "nan"], "--refine-layer-decay must be between 0 and 16"),
            (["verify", property, "--network", model, "--refine-plateau", "1.5"], "--refine-plateau must be between 0 and 1"),
            (["verify", property, "--network", model, "--refine-when-stuck", "1.5"], "--refine-when-stuck must be between 0 and 1"),
            (["verify", property, "--network", model, "--refine-when-stuck", "nan"], "--refine-when-stuck must be between 0 and 1"),
            (["verify", property, "--network", model, "--refine-unless-finishing", "1.5"], "--refine-unless-finishing must be between 0 and 1"),
            (["verify", property, "--network", model, "--refine-relu-limit=-1"], "--refine-relu-limit must be at least 0"),
            (["verify", property, "--network", model, "--large-network-relus=-1"], "--large-network-relus must be at least 0"),
            (["verify", property, "--network", model, "--result-file", "/nonexistent-folder/r.txt"], "/nonexistent-folder does not exist"),
            (["verify", property, "--network", "missing.onnx"], "missing.onnx: the file does not exist"),
            (["verify", "benchmarks/examples/digits/digits_instances.csv", "--network", model], "digits_instances.csv"),
        ]
        for (arguments, message) in cases {
            let result = try VerdictProcess.run(arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty, "\(arguments) printed to stdout: \(result.stdout)")
        }
    }

    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-verify-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }
}
