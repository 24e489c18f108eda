import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import VerdictTestSupport
import XCTest

/// `verdict bench` run as a user would, with the release binary (each instance is a `verify`
/// process): the `test` suite and the embedded example give their CSVs, summaries and plots;
/// a run interrupted half-way and resumed ends with the same answers; bad instances are
/// recorded as errors while the suite goes on; shards merged equal the whole run.
final class BenchCommandTests: FolderTestCase {
    private func bench(_ arguments: [String], signal: (number: Int32, after: Double)? = nil) throws -> VerdictProcess.Run {
        try VerdictProcess.run(["bench"] + arguments, binary: try VerdictProcess.releaseBinary(), signal: signal)
    }

    /// The rows of a results file as (instance, answer) pairs.
    private func answers(_ file: String) throws -> [String: String] {
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").dropFirst(2)
        return Dictionary(uniqueKeysWithValues: lines.map { line -> (String, String) in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            return ("\(fields[0]),\(fields[1])", String(fields[2]))
        })
    }

    private var testSuite: String { get throws { try TestPaths.sharedFolder("test").path } }

    func testTheTestSuiteAndTheExample() throws {
        let run = try bench([try testSuite, "--results", path("test.csv"), "--plot", path("test.svg"), "--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], run.stdout)
        XCTAssertEqual(summary["instances"] as? Int, 5)
        XCTAssertEqual(summary["solved"] as? Int, 5)
        XCTAssertEqual(summary["wrong"] as? Int, 0)
        XCTAssertEqual(summary["score"] as? Int, 50)
        XCTAssertEqual(try answers(path("test.csv")).count, 5)
        XCTAssertTrue(XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path("test.svg")))).parse())

        let example = try bench(["benchmarks/examples/digits", "--results", path("digits.csv")])
        XCTAssertEqual(example.status, 0, example.stderr)
        XCTAssertTrue(example.stdout.contains("instances 9: solved 9"), example.stdout)
        XCTAssertTrue(example.stderr.contains("[9/9]"), example.stderr)
        let again = try bench(["benchmarks/examples/digits", "--results", path("digits.csv")])
        XCTAssertNotEqual(again.status, 0, "an existing results file is not overwritten")
        XCTAssertTrue(again.stderr.contains("--resume"), again.stderr)
    }

    func testAnInterruptedRunResumesToTheSameAnswers() throws {
        let whole = try bench(["benchmarks/examples/digits", "--results", path("whole.csv")])
        XCTAssertEqual(whole.status, 0, whole.stderr)
        let cut = try bench(["benchmarks/examples/digits", "--results", path("cut.csv")], signal: (SIGINT, 1.0))
        XCTAssertEqual(cut.status, 0, cut.stderr)
        let partial = try answers(path("cut.csv")).count
        XCTAssertLessThan(partial, 9, "the signal came before the end (\(cut.stdout))")
        let resumed = try bench(["benchmarks/examples/digits", "--results", path("cut.csv"), "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertEqual(try answers(path("cut.csv")), try answers(path("whole.csv")))
        let other = try bench(["benchmarks/examples/digits", "--results", path("cut.csv"), "--resume", "--", "--batch", "8"])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("other settings"), other.stderr)
    }

    func testBadInstancesAreErrorsAndTheSuiteGoesOn() throws {
        let digits = TestPaths.digitsExample
        try Data("not an onnx file".utf8).write(to: folder.appendingPathComponent("broken.onnx"))
        // The example with its ReLUs renamed Selu: an operator Verdict does not bound.
        var bytes = [UInt8](try Data(contentsOf: digits.appendingPathComponent("digits.onnx")))
        for index in 0...(bytes.count - 4) where bytes[index..<index + 4].elementsEqual("Relu".utf8) { bytes[index] = UInt8(ascii: "S") }
        try Data(bytes).write(to: folder.appendingPathComponent("selu.onnx"))
        // A network and a property packed as the VNN-COMP 2022 repositories ship them.
        for (source, name) in [("digits.onnx", "packed.onnx"), ("properties/digit_0_eps_0.05.vnnlib", "packed.vnnlib")] {
            try FileManager.default.copyItem(at: digits.appendingPathComponent(source), to: folder.appendingPathComponent(name))
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            gzip.arguments = ["gzip", folder.appendingPathComponent(name).path]
            try gzip.run()
            gzip.waitUntilExit()
        }
        let rows = [
            "broken.onnx,\(digits.appendingPathComponent("properties/digit_0_eps_0.05.vnnlib").path),30",
            "\(digits.appendingPathComponent("digits.onnx").path),missing.vnnlib,30",
            "\(digits.appendingPathComponent("digits.onnx").path),\(digits.appendingPathComponent("properties/digit_0_eps_0.05.vnnlib").path),30",
            "packed.onnx.gz,packed.vnnlib.gz,30",
            "selu.onnx,\(digits.appendingPathComponent("properties/digit_0_eps_0.05.vnnlib").path),30",
        ]
        try (rows.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("bad_instances.csv"), atomically: true, encoding: .utf8)
        let run = try bench([path("bad_instances.csv"), "--results", path("bad.csv")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = try String(contentsOfFile: path("bad.csv"), encoding: .utf8).split(separator: "\n").dropFirst(2).map(String.init)
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines[0].contains(",error,") && lines[0].contains("broken.onnx"), lines[0])
        XCTAssertTrue(lines[1].contains(",error,") && lines[1].contains("missing.vnnlib"), lines[1])
        XCTAssertTrue(lines[2].contains(",unsat,"), lines[2])
        XCTAssertTrue(lines[3].contains("packed.onnx.gz") && lines[3].contains(",unsat,"), lines[3])
        XCTAssertTrue(lines[4].contains(",error,") && lines[4].contains("unsupported operator Selu"), lines[4])
    }

    func testShardsMergedEqualTheWholeRun() throws {
        XCTAssertEqual(try bench([try testSuite, "--results", path("all.csv")]).status, 0)
        for k in 1...2 { XCTAssertEqual(try bench([try testSuite, "--shard", "\(k)/2", "--results", path("shard\(k).csv")]).status, 0) }
        XCTAssertEqual(try answers(path("shard1.csv")).count + answers(path("shard2.csv")).count, 5)
        let merged = try VerdictProcess.run(["bench", "merge", path("shard1.csv"), path("shard2.csv"), "--output", path("merged.csv")], binary: try VerdictProcess.releaseBinary())
        XCTAssertEqual(merged.status, 0, merged.stderr)
        XCTAssertEqual(try answers(path("merged.csv")), try answers(path("all.csv")))
        let compare = try VerdictProcess.run(["bench", "compare", path("merged.csv"), path("all.csv")], binary: try VerdictProcess.releaseBinary())
        XCTAssertEqual(compare.status, 0, compare.stderr)
        XCTAssertFalse(compare.stdout.contains("CONFLICT"), compare.stdout)
    }

    /// `benchmarks/vnncomp/*.sh` driven as the competition's harness drives them: version
    /// argument, prepare, run with a result file and a timeout.
    func testTheCompetitionScripts() throws {
        let test = try testSuite
        let binary = try VerdictProcess.releaseBinary()
        func script(_ name: String, _ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = TestPaths.repositoryRoot.appendingPathComponent("benchmarks/vnncomp/\(name)")
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(["VERDICT": binary.path]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        for (network, property, expected) in [("test_sat.onnx", "test_prop.vnnlib", "sat"), ("test_unsat.onnx", "test_prop.vnnlib", "unsat")] {
            let onnx = "\(test)/\(network)", vnnlib = "\(test)/\(property)", result = path("\(expected).txt")
            XCTAssertEqual(try script("prepare_instance.sh", ["v1", "test", onnx, vnnlib]), 0)
            XCTAssertEqual(try script("run_instance.sh", ["v1", "test", onnx, vnnlib, result, "60"]), 0)
            let text = try String(contentsOfFile: result, encoding: .utf8)
            XCTAssertEqual(text.split(separator: "\n").first.map(String.init), expected, text)
        }
        XCTAssertNotEqual(try script("run_instance.sh", ["v2", "test", "a", "b", path("x.txt"), "60"]), 0, "only v1 is known")
        XCTAssertNotEqual(try script("prepare_instance.sh", ["v1", "test", "\(test)/missing.onnx", "\(test)/test_prop.vnnlib"]), 0)
    }
}
