import Foundation
import VerdictSearch
import VerdictTestSupport
import XCTest

/// Runs the built `verdict` executable as a user would, checking stdout, stderr and exit codes.
final class CommandLineTests: XCTestCase {
    private func run(_ arguments: [String]) throws -> VerdictProcess.Run { try VerdictProcess.run(arguments) }

    private let model = "benchmarks/examples/digits/digits.onnx"

    func testInfoDescribesTheExample() throws {
        let result = try run(["info", model])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("ReLUs       64"), result.stdout)
        XCTAssertTrue(result.stdout.contains("Affine 64 → 32"), result.stdout)
        let json = try run(["info", model, "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["relus"] as? Int, 64)
        XCTAssertEqual(object["parameters"] as? Int, 64 * 32 + 32 + 32 * 32 + 32 + 32 * 10 + 10)
    }

    /// A node whose value reaches no output is listed as unused (the search leaves it out).
    func testInfoListsLayersThatReachNoOutput() throws {
        var builder = ModelBuilder(inputShape: [1, 2], outputShape: [1, 2])
        builder.initializer("w", shape: [2, 2], values: [1, -1, 2, 0.5])
        builder.node("MatMul", ["x", "w"], ["h"])
        builder.node("Relu", ["h"], ["y"])
        builder.node("Relu", ["x"], ["dead"])
        let path = try builder.write(named: "dead-branch")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let info = try run(["info", path])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("unused      layers 2 do not reach the output"), info.stdout)
        let json = try run(["info", path, "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["unused_layers"] as? [Int], [2])

        // `bounds` and the whole-network Z3 engine leave the dead ReLU out, as the search does:
        // one ReLU layer is bounded, and Z3's answer stands.
        let property = path + ".vnnlib"
        try """
            (declare-const X_0 Real)
            (declare-const X_1 Real)
            (declare-const Y_0 Real)
            (declare-const Y_1 Real)
            (assert (>= X_0 -1))
            (assert (<= X_0 1))
            (assert (>= X_1 -1))
            (assert (<= X_1 1))
            (assert (>= Y_0 10))
            """.write(toFile: property, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: property) }
        let bounds = try run(["bounds", property, "--network", path, "--method", "crown", "--json"])
        XCTAssertEqual(bounds.status, 0, bounds.stderr)
        let bounded = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(bounds.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((bounded["unstable_relus_by_layer"] as? [[Int]])?.first?.count, 1, bounds.stdout)
        XCTAssertEqual(bounded["proved"] as? Bool, true, bounds.stdout)
        let z3 = try run(["verify", property, "--network", path, "--engine", "z3"])
        XCTAssertEqual(z3.status, 0, z3.stderr)
        XCTAssertTrue(z3.stdout.hasPrefix("unsat"), z3.stdout)
    }

    /// A residual network shows as a graph (a node reading two values), and `--device opencl`
    /// bounds graph networks with the OpenCL graph engine (convolutions, dense layers and ReLUs on
    /// the device), giving CROWN bounds within 1e-9 (relative) of the CPU graph engine's in
    /// double: on `collins_rul_cnn` (CROWN on the residual network takes minutes in a debug build). Without
    /// an OpenCL device the second half says so and skips (a failure with VERDICT_REQUIRE_OPENCL=1).
    func testGraphNetworksShowAsGraphsAndRunOnTheOpenCLGraphEngine() throws {
        let folder = try TestPaths.sharedFolder("../vnncomp2022/sri_resnet_a")
        let network = folder.appendingPathComponent("onnx/resnet_3b2_bn_mixup_adv_4.0_bs128_lr-1.onnx").path
        let info = try run(["info", network])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("layers (a graph)"), info.stdout)
        XCTAssertTrue(info.stdout.contains("Add of two [1, 32, 8, 8]"), info.stdout)
        XCTAssertTrue(info.stdout.contains("node 2, node 5"), info.stdout)

        let devices = try run(["devices"])
        XCTAssertEqual(devices.status, 0, devices.stderr)
        guard devices.stdout.contains("opencl:0") else {
            let message = "no OpenCL platform or device found (install pocl-opencl-icd for the CPU)"
            if ProcessInfo.processInfo.environment["VERDICT_REQUIRE_OPENCL"] == "1" { XCTFail(message) }
            throw XCTSkip(message)
        }
        let collins = try TestPaths.sharedFolder("../vnncomp2022/collins_rul_cnn")
        let property = collins.appendingPathComponent("vnnlib/if_then_5levels_w20.vnnlib").path
        let convolutional = collins.appendingPathComponent("onnx/NN_rul_small_window_20.onnx").path
        func bounds(_ device: String) throws -> (engine: String, lower: [Double], upper: [Double]) {
            let result = try run(["bounds", property, "--network", convolutional, "--method", "crown", "--device", device, "--precision", "double", "--json"])
            XCTAssertEqual(result.status, 0, "\(device): \(result.stderr)")
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
            let objectives = try XCTUnwrap(object["objectives"] as? [[String: Any]])
            return (object["engine"] as? String ?? "", objectives.compactMap { $0["lower"] as? Double }, objectives.compactMap { $0["upper"] as? Double })
        }
        let cpu = try bounds("cpu"), opencl = try bounds("opencl")
        XCTAssertEqual(cpu.engine, "cpu-graph")
        XCTAssertTrue(opencl.engine.hasPrefix("opencl:0 graph ("), opencl.engine)
        XCTAssertTrue(opencl.engine.hasSuffix(", double)"), opencl.engine)
        XCTAssertFalse(cpu.lower.isEmpty)
        XCTAssertEqual(opencl.lower.count, cpu.lower.count)
        XCTAssertEqual(opencl.upper.count, cpu.upper.count)
        for (device, host) in zip(opencl.lower + opencl.upper, cpu.lower + cpu.upper) {
            XCTAssertEqual(device, host, accuracy: 1e-9 * max(1, host.magnitude), "OpenCL graph engine against the CPU's")
        }
    }

    func testEvalPredictsTheLabelOfEachExampleInput() throws {
        // The properties name the label of each input; the network classifies them correctly.
        for index in 0..<3 {
            let property = try String(
                contentsOf: TestPaths.digitsExample.appendingPathComponent("properties/digit_\(index)_eps_0.05.vnnlib"), encoding: .utf8)
            // "; Robustness of the digits example around a test image of a 7: ..."
            let marker = try XCTUnwrap(property.range(of: "test image of a "))
            let label = property[marker.upperBound...].prefix { $0.isNumber }
            XCTAssertFalse(label.isEmpty)
            for format in ["json", "txt"] {
                let result = try run(["eval", model, "--input", "benchmarks/examples/digits/inputs/digit_\(index).\(format)"])
                XCTAssertEqual(result.status, 0, result.stderr)
                XCTAssertTrue(result.stdout.contains("argmax Y_\(label)"), "\(format): \(result.stdout)")
            }
        }
    }

    func testSpecSummarisesAProperty() throws {
        let result = try run(["spec", "benchmarks/examples/digits/properties/digit_0_eps_0.5.vnnlib", "--network", model])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("1 input box(es), 9 unsafe disjunct(s)"), result.stdout)
    }

    func testBoundsReportsJSONAndAgreesAcrossDevices() throws {
        let property = "benchmarks/examples/digits/properties/digit_0_eps_0.5.vnnlib"
        var proved: [Bool] = []
        for device in ["cpu", "auto"] {
            let result = try run(["bounds", property, "--network", model, "--method", "crown", "--device", device, "--json"])
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            XCTAssertEqual(object["method"] as? String, "crown")
            XCTAssertNotNil(object["seconds"] as? Double)
            let objectives = try XCTUnwrap(object["objectives"] as? [[String: Any]])
            XCTAssertEqual(objectives.count, 9)
            for objective in objectives {
                for key in ["box", "disjunct", "row", "lower", "upper"] { XCTAssertNotNil(objective[key], key) }
                XCTAssertLessThanOrEqual(objective["lower"] as! Double, objective["upper"] as! Double)
            }
            proved.append(try XCTUnwrap(object["proved"] as? Bool))
        }
        XCTAssertEqual(proved, [true, true], "a radius-0.5 property of the example is proved by CROWN")
        let wide = try run(["bounds", "benchmarks/examples/digits/properties/digit_0_eps_2.0.vnnlib", "--network", model, "--method", "ibp"])
        XCTAssertEqual(wide.status, 0, wide.stderr)
        XCTAssertTrue(wide.stdout.contains("not proved by ibp"), wide.stdout)
        // Float arithmetic on an OpenCL device, where there is one: still sound, still proves it.
        if try run(["devices"]).stdout.contains("opencl:0") {
            let float = try run(["bounds", property, "--network", model, "--method", "crown", "--device", "opencl", "--precision", "float"])
            XCTAssertEqual(float.status, 0, float.stderr)
            XCTAssertTrue(float.stdout.contains("\nproved by crown alone"), float.stdout)
            XCTAssertTrue(float.stdout.contains("float"), float.stdout)
        }
        let bad = try run(["bounds", property, "--network", model, "--device", "gpu:7"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--device"), bad.stderr)
    }

    /// `bounds --method alpha-crown` optimizes every intermediate layer's α by default, as
    /// `verify`'s root does: tighter than the objective's α alone on the example's wide box.
    func testBoundsAlphaCrownOptimizesIntermediateLayersByDefault() throws {
        let property = "benchmarks/examples/digits/properties/digit_0_eps_2.0.vnnlib"
        func weakest(_ extra: [String]) throws -> (lower: Double, unstable: Int) {
            let result = try run(["bounds", property, "--network", model, "--method", "alpha-crown", "--device", "cpu", "--json"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let objectives = try XCTUnwrap(object["objectives"] as? [[String: Any]])
            let unstable = try XCTUnwrap(object["unstable_relus"] as? [Int])
            return (objectives.map { $0["lower"] as! Double }.min()!, unstable.reduce(0, +))
        }
        let byDefault = try weakest([]), objectiveOnly = try weakest(["--intermediate-iterations", "0"])
        XCTAssertGreaterThan(byDefault.lower, objectiveOnly.lower + 1e-3, "intermediate α tightens the weakest row")
        XCTAssertLessThanOrEqual(byDefault.unstable, objectiveOnly.unstable)
    }

    /// `bounds --cut-rounds` on a dense chain through `--device cpu-graph` (the graph engine,
    /// which cuts need): the weakest row rises, and a bad round count is refused.
    func testBoundsCutRoundsTightenTheGraphEnginesBounds() throws {
        let property = "benchmarks/examples/digits/properties/digit_0_eps_2.0.vnnlib"
        func weakest(_ extra: [String]) throws -> Double {
            let result = try run(["bounds", property, "--network", model, "--method", "alpha-crown", "--device", "cpu-graph", "--json"] + extra)
            XCTAssertEqual(result.status, 0, result.stderr)
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let objectives = try XCTUnwrap(object["objectives"] as? [[String: Any]])
            return objectives.map { $0["lower"] as! Double }.min()!
        }
        XCTAssertGreaterThan(try weakest(["--cut-rounds", "4"]), try weakest([]) + 1e-3, "cuts tighten the weakest row")
        let bad = try run(["bounds", property, "--network", model, "--cut-rounds", "-2"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--cut-rounds"), bad.stderr)
    }

    func testDevicesRuns() throws {
        let result = try run(["devices"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(result.stdout.isEmpty)
    }

    /// `verify --help` shows the defaults of `VerificationOptions` (their one home), and bad
    /// values of the search flags are refused before anything runs.
    func testSearchFlagsTakeTheirDefaultsFromTheOptions() throws {
        let help = try run(["verify", "--help"])
        XCTAssertEqual(help.status, 0)
        let text = help.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        let defaults = VerificationOptions.defaults
        let expected: [(String, String)] = [
            ("--batch", "\(defaults.batchSize)"),
            ("--z3-leaf-unstable", "\(defaults.z3LeafUnstable)"), ("--z3-leaf-depth", "\(defaults.z3LeafDepth)"),
            ("--attack-samples", "\(defaults.attackSamples)"), ("--search-attack-steps", "\(defaults.searchAttackSteps)"),
            ("--max-memory", "\(Double(defaults.memoryLimitBytes) / Double(1 << 30))"), ("--split", defaults.splitMode.rawValue),
            ("--input-branching", defaults.inputBranching.rawValue), ("--input-branching-candidates", "\(defaults.inputBranchingCandidates)"),
            ("--input-split-warmup", "\(defaults.inputSplitWarmup)"), ("--cut-rounds", "\(defaults.cutRounds)"),
        ]
        for (flag, value) in expected {
            guard let range = text.range(of: "\(flag) <") else {
                XCTFail("\(flag) is missing from verify --help")
                continue
            }
            // Every flag checked has a default: the first one after its name is its own.
            let after = text[range.upperBound...]
            let entry = after.prefix(upTo: after.range(of: "default: ").map { after.index($0.upperBound, offsetBy: value.count + 1, limitedBy: after.endIndex) ?? after.endIndex } ?? after.endIndex)
            XCTAssertTrue(entry.hasSuffix("default: \(value))"), "\(flag): \(entry)")
        }
        for flags in [["--batch", "0"], ["--max-memory", "0"], ["--intermediate-time-share", "2"], ["--search-attack-steps", "-1"], ["--input-branching", "best"], ["--input-branching-candidates", "-1"], ["--cut-rounds", "-1"], ["--device", "gpu-graph"]] {
            let result = try run(["verify", "p.vnnlib", "--network", "n.onnx"] + flags)
            XCTAssertNotEqual(result.status, 0, "\(flags)")
            XCTAssertTrue(result.stderr.contains(flags[0]), "\(flags): \(result.stderr)")
        }
    }

    func testBadInputsGiveClearErrorsAndNonZeroExits() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-cli-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let badInput = directory.appendingPathComponent("bad.txt")
        try "1\n2\nthree\n".write(to: badInput, atomically: true, encoding: .utf8)
        let shortInput = directory.appendingPathComponent("short.json")
        try "[1, 2, 3]".write(to: shortInput, atomically: true, encoding: .utf8)
        let badProperty = directory.appendingPathComponent("bad.vnnlib")
        try "(declare-const X_0 Real)\n(assert (<= X_0 1)".write(to: badProperty, atomically: true, encoding: .utf8)
        let garbageModel = directory.appendingPathComponent("garbage.onnx")
        try Data(repeating: 0xFF, count: 100).write(to: garbageModel)

        let cases: [([String], String)] = [
            (["info", "missing.onnx"], "missing.onnx: the file does not exist"),
            (["info", garbageModel.path], "garbage.onnx: not a valid ONNX model"),
            (["eval", model, "--input", badInput.path], "bad.txt:3: 'three' is not a finite number"),
            (["eval", model, "--input", shortInput.path], "holds 3 values"),
            (["spec", badProperty.path], "bad.vnnlib:2:1: unbalanced parentheses"),
            (["eval", model], "Missing expected argument '--input"),
            (["frobnicate"], "Unexpected argument 'frobnicate'"),
        ]
        for (arguments, message) in cases {
            let result = try run(arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty, "\(arguments) printed to stdout: \(result.stdout)")
        }
    }
}
