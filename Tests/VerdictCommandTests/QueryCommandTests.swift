import Foundation
import SwiftProtobuf
import VerdictONNX
import VerdictTestSupport
import XCTest

/// VNN-LIB 2.0 through the standard command-line interface, driven as a harness drives it:
/// exact stdout lines with LF endings, exit codes, the assignment format, serialised
/// assignments, every capability, and the must-error cases.
final class QueryCommandTests: FolderTestCase {
    private let queries = "benchmarks/examples/queries/"
    private let digits = "benchmarks/examples/digits/digits.onnx"
    private var small: String { queries + "two-in-two-out.onnx" }
    private var smallB: String { queries + "two-in-two-out-b.onnx" }

    private func run(_ arguments: [String]) throws -> VerdictProcess.Run { try VerdictProcess.run(arguments) }

    /// The query text with `old` replaced by `new`, written to the test folder.
    private func variant(_ query: String, _ old: String, _ new: String) throws -> String {
        let text = try String(contentsOfFile: queries + query, encoding: .utf8)
        XCTAssertTrue(text.contains(old), old)
        let path = folder.appendingPathComponent(UUID().uuidString + ".vnnlib").path
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func write(_ text: String) throws -> String {
        let path = folder.appendingPathComponent(UUID().uuidString + ".vnnlib").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testSatPrintsEveryDeclaredVariableInTheStandardFormat() throws {
        let sat = try run(["verify", queries + "digits-relational-0.1.vnnlib", "--network", "f=" + digits, "--timeout", "60", "--device", "cpu"])
        XCTAssertEqual(sat.status, 0, sat.stderr)
        XCTAssertFalse(sat.stdout.contains("\r"))
        let lines = sat.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines.first, "sat")
        XCTAssertEqual(lines.last, "", "the output ends with a line feed")
        // Each variable in declaration order: a header, then its values row-major.
        var values: [String: [Double]] = [:]
        var position = 1
        for (name, count) in [("A", 64), ("YA", 10), ("B", 64), ("YB", 10)] {
            XCTAssertEqual(lines[position], "\(name) real [1,\(count)]")
            values[name] = try lines[(position + 1)...(position + count)].map { try XCTUnwrap(Double($0), $0) }
            position += count + 1
        }
        XCTAssertEqual(position, lines.count - 1, "nothing after the last variable")
        // The assignment satisfies the query: the copies' inputs within 0.25, logit 0 apart by 0.1.
        let (a, b) = (values["A"]!, values["B"]!)
        XCTAssertTrue(zip(a, b).allSatisfy { abs($0 - $1) <= 0.25 })
        XCTAssertGreaterThanOrEqual(values["YA"]![0] - values["YB"]![0], 0.1)
        // And the outputs are the network's on those inputs.
        let input = folder.appendingPathComponent("a.json")
        try JSONSerialization.data(withJSONObject: a).write(to: input)
        let evaluated = try run(["eval", digits, "--input", input.path, "--json"])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])
        let outputs = try XCTUnwrap(object["outputs"] as? [Double])
        for (printed, exact) in zip(values["YA"]!, outputs) { XCTAssertEqual(printed, exact, accuracy: 1e-9 * max(1, exact.magnitude)) }

        let unsat = try run(["verify", queries + "digits-relational-20.vnnlib", "--network", "f=" + digits, "--timeout", "60", "--device", "cpu"])
        XCTAssertEqual(unsat.status, 0, unsat.stderr)
        XCTAssertEqual(unsat.stdout, "unsat\n")
    }

    func testSerialisedAssignments() throws {
        let output = folder.appendingPathComponent("assignment")
        let sat = try run([
            "verify", queries + "two-in-two-out-hidden.vnnlib", "--network", "f=" + small, "--serialise-assignments", output.path, "--device", "cpu",
        ])
        XCTAssertEqual(sat.status, 0, sat.stderr)
        XCTAssertEqual(sat.stdout, "sat\n", "with --serialise-assignments the values go to files")
        for (name, shape) in [("A", [1, 3]), ("B", [1, 2]), ("H", [1, 8]), ("Y", [1, 2]), ("Z", [1, 3])] {
            let data = try Data(contentsOf: output.appendingPathComponent("\(name).pb"))
            let tensor = try Onnx_TensorProto(serializedBytes: data)
            XCTAssertEqual(tensor.name, name)
            XCTAssertEqual(tensor.dims, shape.map(Int64.init))
            XCTAssertEqual(tensor.dataType, Int32(Onnx_TensorProto.DataType.double.rawValue))
            XCTAssertEqual(tensor.doubleData.count, shape.reduce(1, *))
            if name == "H" { XCTAssertGreaterThanOrEqual(tensor.doubleData[6], 1.5) }
            if name == "Z" { XCTAssertGreaterThanOrEqual(tensor.doubleData[1], 0.5) }
        }
    }

    /// Multi-network and hidden-node queries: branch and bound and the whole-network Z3
    /// encoding agree wherever both decide, and both decide sat and unsat cases.
    func testMultiNetworkAndHiddenQueriesAgreeWithZ3() throws {
        var decided: Set<String> = []
        let cases: [(String, String, String, [String])] = [
            ("two-in-two-out-hidden.vnnlib", "(>= H[0,6] 1.5)", "(>= H[0,6] 1.5)", ["--network", small]),
            ("two-in-two-out-hidden.vnnlib", "(>= H[0,6] 1.5)", "(>= H[0,6] 3)", ["--network", small]),
            ("two-in-two-out-hidden.vnnlib", "(>= H[0,6] 1.5)", "(>= H[0,6] 4)", ["--network", small]),
            ("two-models-differ.vnnlib", "5)))", "1)))", ["--network", "f=" + small, "--network", "g=" + smallB]),
            ("two-models-differ.vnnlib", "(- Y[0,0] Y2[0,0]) 5)", "(- Y[0,0] Y2[0,0]) 12)", ["--network", "f=" + small, "--network", "g=" + smallB]),
        ]
        for (query, old, new, networks) in cases {
            var path = try variant(query, old, new)
            if query == "two-models-differ.vnnlib" && new == "(- Y[0,0] Y2[0,0]) 12)" {
                path = try variant(query, "(or (>= (- Y[0,0] Y2[0,0]) 5) (<= (- Y[0,0] Y2[0,0]) -5))", "(or (>= (- Y[0,0] Y2[0,0]) 12) (<= (- Y[0,0] Y2[0,0]) -12))")
            }
            let bab = try run(["verify", path, "--timeout", "60", "--device", "cpu"] + networks)
            let z3 = try run(["verify", path, "--timeout", "30", "--engine", "z3"] + networks)
            XCTAssertEqual(bab.status, 0, bab.stderr)
            XCTAssertEqual(z3.status, 0, z3.stderr)
            let (first, second) = (bab.stdout.split(separator: "\n").first.map(String.init), z3.stdout.split(separator: "\n").first.map(String.init))
            guard let first, let second, ["sat", "unsat"].contains(first), ["sat", "unsat"].contains(second) else { continue }
            XCTAssertEqual(first, second, "\(query) with \(new)")
            decided.insert(first)
        }
        XCTAssertEqual(decided, ["sat", "unsat"], "both answers seen where both engines decide")
    }

    /// A float32 query is answered for the model's float32 evaluation: the hidden-node
    /// queries keep their answers, the assignment declares float32, and arithmetic in its
    /// assertions is refused with the reason.
    func testFloat32Queries() throws {
        let unsat = try run(["verify", try write(try String(contentsOfFile: queries + "digits-hidden-3.2.vnnlib", encoding: .utf8).replacingOccurrences(of: " real ", with: " float32 ")), "--network", digits, "--device", "cpu"])
        XCTAssertEqual(unsat.stdout, "unsat\n", unsat.stderr)
        let float32 = try String(contentsOfFile: queries + "digits-hidden-3.1.vnnlib", encoding: .utf8).replacingOccurrences(of: " real ", with: " float32 ")
        let sat = try run(["verify", try write(float32), "--network", digits, "--device", "cpu"])
        XCTAssertEqual(sat.status, 0, sat.stderr)
        let lines = sat.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "sat")
        XCTAssertEqual(lines.filter { $0.contains(" float32 [") }, ["X float32 [1,64]", "H float32 [1,32]", "Y float32 [1,10]"])
        let withSum = float32.replacingOccurrences(of: "(assert (>= Y[0,2] Y[0,5]))", with: "(assert (>= (- Y[0,2] Y[0,5]) 0))")
        let refused = try run(["verify", try write(withSum), "--network", digits])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertEqual(refused.stdout, "")
        XCTAssertTrue(refused.stderr.contains("arithmetic in a float32 query"), refused.stderr)
    }

    func testMustErrorCases() throws {
        let relational = queries + "digits-relational-20.vnnlib"
        let float32 = try variant("digits-hidden-3.2.vnnlib", "(declare-input X real [1,64])", "(declare-input X float32 [1,64])")
        let float32All = try String(contentsOfFile: float32, encoding: .utf8).replacingOccurrences(of: " real ", with: " float32 ")
        let float64All = float32All.replacingOccurrences(of: " float32 ", with: " float64 ")
        // A float16 model (one ReLU) and a query over it: a type Verdict does not treat, refused.
        var half = ModelBuilder(inputShape: [1, 2], outputShape: [1, 2], elementType: 10)
        half.node("Relu", ["x"], ["y"])
        let float16Model = folder.appendingPathComponent("half.onnx").path
        try half.serialized().write(to: URL(fileURLWithPath: float16Model))
        let float16Query = """
            (vnnlib-version <2.0>)
            (declare-network f (declare-input X float16 [1,2]) (declare-output Y float16 [1,2]))
            (assert (>= X[0,0] 0)) (assert (<= X[0,0] 1)) (assert (>= X[0,1] 0)) (assert (<= X[0,1] 1)) (assert (>= Y[0,0] 2))
            """
        let cases: [([String], String)] = [
            (["verify", relational, "--network", "g=" + digits], "no model is given for it"),
            (["verify", relational, "--network", "f=" + digits, "--network", "h=" + digits], "declares no network of that name"),
            (["verify", relational, "--network", "f=" + digits, "--network", "g=" + digits], "supplies its model"),
            (["verify", relational, "--network", digits, "--network", "f=" + digits], "name each model"),
            (["verify", try write(float16Query), "--network", float16Model], "Verdict needs float or double inputs"),
            (["verify", try write(float64All), "--network", digits], "is declared float64 but"),
            (["verify", float32, "--network", digits], "real-valued query uses real only"),
            (["verify", try variant("digits-hidden-3.2.vnnlib", "\"relu0\"", "\"nowhere\""), "--network", digits], "no node output of this name"),
            (["verify", try variant("digits-hidden-3.2.vnnlib", "H real [1,32]", "H real [1,33]"), "--network", digits], "has shape [1, 32]"),
            (["verify", try variant("digits-hidden-3.2.vnnlib", "(declare-input X real [1,64])", "(declare-input X real [1,64])\n(declare-input X2 real [1])"),
              "--network", digits], "declares 2 input(s) but"),
            (["verify", queries + "two-models-differ.vnnlib", "--network", "f=" + small, "--network", "g=" + digits], "declares 2 input(s)"),
            (["verify", relational, "--network", "f=" + digits, "--serialise-assignments", "/proc/verdict-cannot-write-here"], ""),
            (["verify", "benchmarks/examples/digits/properties/digit_0_eps_0.5.vnnlib", "--network", digits, "--serialise-assignments", folder.path], "for VNN-LIB 2.0 queries"),
            (["supports", "--unknown-capability"], "unknown capability"),
        ]
        for (arguments, message) in cases {
            let result = try run(arguments)
            if message.isEmpty {
                // An unwritable folder only matters for sat: this query is unsat, and says so.
                XCTAssertEqual(result.stdout, "unsat\n", result.stderr)
                continue
            }
            XCTAssertNotEqual(result.status, 0, "\(arguments): \(result.stdout)")
            XCTAssertEqual(result.stdout, "", "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
    }

    func testCapabilitiesMatchTheReadme() throws {
        // The README's table of capabilities, `| `--name` | answer; answer |`.
        let readme = try String(contentsOf: TestPaths.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        var documented: [String: [String]] = [:]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `--") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let name = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            documented[name] = cells[1].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
        }
        let capabilities = [
            "--onnx-opset-versions", "--onnx-element-types", "--onnx-operators", "--vnnlib-versions", "--hidden-node-theories",
            "--multiple-input-output-theories", "--multiple-network-theories", "--multiple-node-comparison-theories",
            "--arithmetic-complexity-theories", "--optimised-disjunctive-reasoning", "--serialise-assignments",
        ]
        XCTAssertEqual(Set(documented.keys), Set(capabilities), "the README documents the eleven capabilities")
        for capability in capabilities {
            let result = try run(["supports", capability])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.hasSuffix("\n") && !result.stdout.contains("\r"))
            let lines = result.stdout.split(separator: "\n").map(String.init)
            if capability == "--onnx-operators" {
                XCTAssertTrue(lines.contains("Gemm") && lines.contains("Relu") && lines.contains("Conv"), result.stdout)
                XCTAssertEqual(documented[capability], ["every operator of the importer"])
            } else {
                XCTAssertEqual(lines, documented[capability], capability)
            }
        }
        XCTAssertEqual(try run(["--name"]).stdout, "Verdict\n")
        let version = try run(["--version"]).stdout
        XCTAssertNotNil(version.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression), version)
    }

    func testConversionBothWaysKeepsTheAnswer() throws {
        let property = "benchmarks/examples/digits/properties/digit_1_eps_2.0.vnnlib"
        let converted = try run(["spec", property, "--network", digits, "--to", "2.0"])
        XCTAssertEqual(converted.status, 0, converted.stderr)
        XCTAssertTrue(converted.stdout.contains("(vnnlib-version <2.0>)") && converted.stdout.contains("(declare-input X real [1,64])"), converted.stdout)
        let query = try write(converted.stdout)
        // The same property summary through both paths, and the same answer.
        let summary1 = try run(["spec", property, "--network", digits, "--json"])
        let summary2 = try run(["spec", query, "--network", digits, "--json"])
        func cases(_ run: VerdictProcess.Run) throws -> NSArray {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stderr)
            return try XCTUnwrap(object["cases"] as? NSArray)
        }
        XCTAssertEqual(try cases(summary1), try cases(summary2))
        let answer1 = try run(["verify", property, "--network", digits, "--device", "cpu"]).stdout.split(separator: "\n").first
        let answer2 = try run(["verify", query, "--network", digits, "--device", "cpu"]).stdout.split(separator: "\n").first
        XCTAssertEqual(answer1, "sat")
        XCTAssertEqual(answer2, "sat")
        // And back: the 1.0 text reads to the same property.
        let back = try run(["spec", query, "--to", "1.0"])
        XCTAssertEqual(back.status, 0, back.stderr)
        XCTAssertEqual(try cases(try run(["spec", try write(back.stdout), "--network", digits, "--json"])), try cases(summary1))
        // A query with two networks has no 1.0 form.
        let refused = try run(["spec", queries + "two-models-differ.vnnlib", "--to", "1.0"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("only a query over one network"), refused.stderr)
    }
}
