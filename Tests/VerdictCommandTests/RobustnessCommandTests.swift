import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import VerdictCore
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

/// `verdict property` and `verdict radius` run as a user would: the written property is the
/// shipped one, a radius bracket is proved at one end and witnessed at the other, a test-set
/// run writes its results, resumes and plots, and bad flags or files fail with the reason.
final class RobustnessCommandTests: FolderTestCase {
    private let model = "benchmarks/examples/digits/digits.onnx"
    private let digit = "benchmarks/examples/digits/inputs/digit_0.json"
    private let testSet = "benchmarks/examples/digits/test_set.csv"
    private func run(_ arguments: [String]) throws -> VerdictProcess.Run { try VerdictProcess.run(arguments) }

    func testPropertyIsTheShippedOne() throws {
        let output = folder.appendingPathComponent("p.vnnlib").path
        let result = try run(["property", "--network", model, "--input", digit, "--radius", "0.5", "--clip", "0:16", "--output", output])
        XCTAssertEqual(result.status, 0, result.stderr)
        let written = try VNNLIBParser.parse(contentsOf: output)
        let shipped = try VNNLIBParser.parse(contentsOf: TestPaths.digitsExample.appendingPathComponent("properties/digit_0_eps_0.5.vnnlib").path)
        XCTAssertEqual(written.cases[0].box, shipped.cases[0].box)
        XCTAssertEqual(Set(written.cases[0].unsafe.disjuncts.flatMap { $0 }), Set(shipped.cases[0].unsafe.disjuncts.flatMap { $0 }))
        let verified = try run(["verify", output, "--network", model, "--timeout", "60"])
        XCTAssertEqual(verified.stdout.split(separator: "\n").first, "unsat", verified.stderr)
    }

    func testRadiusBracketIsClosedWithAWitness() throws {
        let result = try run(["radius", "--network", model, "--input", digit, "--clip", "0:16", "--tolerance", "0.1", "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], result.stdout)
        let certified = try XCTUnwrap(object["certified"] as? Double), falsified = try XCTUnwrap(object["falsified"] as? Double)
        XCTAssertLessThan(certified, falsified)
        XCTAssertLessThanOrEqual(falsified - certified, 0.1)
        XCTAssertEqual(object["closed"] as? Bool, true)
        XCTAssertEqual(object["label"] as? Int, 2)
        let witness = try XCTUnwrap(object["witness"] as? [String: Any])
        let inputs = try XCTUnwrap(witness["inputs"] as? [Double])
        let x = try InputVectorFile.read(path: TestPaths.repositoryRoot.appendingPathComponent(digit).path)
        XCTAssertLessThanOrEqual(zip(inputs, x).map { abs($0 - $1) }.max() ?? .infinity, falsified)
        // The certified radius, written out and verified on its own, is unsat.
        let output = folder.appendingPathComponent("certified.vnnlib").path
        XCTAssertEqual(try run(["property", "--network", model, "--input", digit, "--radius", "\(certified)", "--clip", "0:16", "-o", output]).status, 0)
        XCTAssertEqual(try run(["verify", output, "--network", model, "--timeout", "60"]).stdout.split(separator: "\n").first, "unsat")
    }

    func testTestSetResumesAndPlots() throws {
        let results = folder.appendingPathComponent("results.csv").path, plot = folder.appendingPathComponent("curve.svg").path
        let common = ["radius", "--network", model, "--dataset", testSet, "--clip", "0:16", "--tolerance", "0.5", "--results", results, "--at", "0.5,1"]
        let first = try run(common + ["--limit", "2"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let firstRows = try String(contentsOfFile: results, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(firstRows.count, 4, "a settings line, the header, 2 rows")
        let second = try run(common + ["--limit", "4", "--plot", plot, "--json"])
        XCTAssertEqual(second.status, 0, second.stderr)
        let rows = try String(contentsOfFile: results, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(rows.count, 6)
        XCTAssertEqual(Array(rows.prefix(4)), firstRows, "the first run's rows are kept, not redone")
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any], second.stdout)
        XCTAssertEqual(summary["inputs"] as? Int, 4)
        XCTAssertEqual((summary["at_radius"] as? [[String: Any]])?.count, 2)
        XCTAssertTrue(XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: plot))).parse())
        let other = try run(common.map { $0 == "0.5" ? "0.25" : $0 } + ["--limit", "1"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("other settings"), other.stderr)
    }

    func testAnInterruptedTestSetResumes() throws {
        let results = folder.appendingPathComponent("cut.csv").path
        let arguments = ["radius", "--network", model, "--dataset", testSet, "--clip", "0:16", "--tolerance", "0.5", "--results", results, "--limit", "8"]
        let cut = try VerdictProcess.run(arguments, signal: (SIGINT, 2.0))
        XCTAssertEqual(cut.status, 0, cut.stderr)
        let before = try String(contentsOfFile: results, encoding: .utf8).split(separator: "\n")
        XCTAssertLessThan(before.count - 2, 8, "the signal came before the end: \(cut.stdout)")
        XCTAssertTrue(cut.stdout.contains("interrupted after"), cut.stdout)
        let resumed = try VerdictProcess.run(arguments)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let after = try String(contentsOfFile: results, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(after.count - 2, 8)
        XCTAssertEqual(Array(after.prefix(before.count)), before, "the rows written before the signal are kept")
        XCTAssertEqual(Set(after.dropFirst(2).map { $0.split(separator: ",")[0] }).count, 8, "each input once")
    }

    func testBadFlagsAndFilesFailWithTheReason() throws {
        let badSet = folder.appendingPathComponent("bad.csv")
        try "3,1,2,x\n".write(to: badSet, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["radius", "--network", model, "--clip", "0:16"], "give --input"),
            (["radius", "--network", model, "--input", digit], "give --max-radius"),
            (["radius", "--network", model, "--input", digit, "--clip", "0:16", "--results", "r.csv"], "are for --dataset"),
            (["radius", "--network", model, "--dataset", badSet.path, "--clip", "0:16"], "bad.csv:1: field 4 'x'"),
            (["radius", "--network", model, "--dataset", testSet, "--clip", "0:16", "--label", "1"], "--label is for one --input"),
            (["property", "--network", model, "--input", digit, "--radius=-1"], "--radius must be"),
            (["property", "--network", model, "--input", digit, "--radius", "1", "--clip", "3:1"], "--clip must be LOW:HIGH"),
            (["property", "--network", model, "--input", digit, "--radius", "1", "--clip", "0:8"], "lies outside its valid range"),
            (["property", "--network", model, "--input", digit, "--radius", "1", "--label", "10"], "label 10"),
            (["property", "--network", model, "--input", digit, "--radius", "1", "--mean", "0,1,2"], "--mean and --std go together"),
            (["property", "--network", model, "--input", digit, "--radius", "1", "--mean", "0,1,2", "--std", "1"], "3 mean values"),
        ]
        for (arguments, expected) in cases {
            let result = try run(arguments)
            XCTAssertNotEqual(result.status, 0, arguments.joined(separator: " "))
            XCTAssertTrue(result.stderr.contains(expected), "\(arguments.joined(separator: " ")): \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty, result.stdout)
        }
    }
}

/// The library's runnable example (README, "Verdict as a Swift library") runs and prints what
/// it promises: a verification answer and a radius bracket.
final class LibraryExampleTests: XCTestCase {
    func testTheExampleRuns() throws {
        let binary = try VerdictProcess.debugBinary().deletingLastPathComponent().appendingPathComponent("verdict-library-example")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("verdict-library-example was not built beside the tests (run `swift build` first)")
        }
        let result = try VerdictProcess.run([], binary: binary)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("digit_0_eps_0.5.vnnlib: unsat"), result.stdout)
        XCTAssertTrue(result.stdout.contains("radius around benchmarks/examples/digits/inputs/digit_0.json: certified 2.2"), result.stdout)
    }
}
