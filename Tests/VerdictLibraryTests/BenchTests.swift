import Foundation
import VerdictTestSupport
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

@testable import Verdict

/// The bookkeeping of `verdict bench`: suites read with their labels (and malformed ones
/// refused), subsets and shards that partition a suite, rows that read back, the score, other
/// tools' results files, and well-formed plots.
final class BenchTests: FolderTestCase {
    private func write(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    func testSuiteWithLabelsSubsetsAndShards() throws {
        _ = try write("s_instances.csv", (0..<7).map { "net\($0 % 2).onnx,prop\($0).vnnlib,\($0 + 1)" }.joined(separator: "\n") + "\n")
        // Windows line endings, as the shared test suite's expected.csv has.
        _ = try write("expected.csv", "onnx,vnnlib,expected,source\r\nnet0.onnx,prop0.vnnlib,unsat,x\r\nnet1.onnx,prop1.vnnlib,sat,y\r\n")
        let suite = try BenchSuite(at: folder.path)
        XCTAssertEqual(suite.instances.count, 7)
        XCTAssertEqual(suite.instances.map(\.expected).prefix(3), ["unsat", "sat", "unknown"])
        XCTAssertEqual(suite.instances[2].networkPath, folder.appendingPathComponent("net0.onnx").path)
        XCTAssertEqual(suite.selected(match: "net1").count, 3)
        XCTAssertEqual(suite.selected(knownOnly: true).map(\.property), ["prop0.vnnlib", "prop1.vnnlib"])
        XCTAssertEqual(suite.selected(match: "net1", knownOnly: true).map(\.property), ["prop1.vnnlib"])
        XCTAssertEqual(suite.selected(every: 3).map(\.property), ["prop0.vnnlib", "prop3.vnnlib", "prop6.vnnlib"])
        let shards = (1...3).map { suite.selected(shard: $0, of: 3) }
        XCTAssertEqual(Set(shards.flatMap { $0.map(\.key) }), Set(suite.instances.map(\.key)))
        XCTAssertEqual(shards.map(\.count).reduce(0, +), 7, "the shards do not overlap")
    }

    func testMalformedSuitesAreRefused() throws {
        let bad = try write("a_instances.csv", "net.onnx,prop.vnnlib,soon\n")
        XCTAssertThrowsError(try BenchSuite(at: bad)) { XCTAssertTrue("\($0)".contains("a_instances.csv:1"), "\($0)") }
        _ = try write("b_instances.csv", "net.onnx,prop.vnnlib,5\n")
        XCTAssertThrowsError(try BenchSuite(at: folder.path)) { XCTAssertTrue("\($0)".contains("several instances files"), "\($0)") }
        let good = folder.appendingPathComponent("b_instances.csv").path
        _ = try write("expected.csv", "onnx,vnnlib,expected\nnet.onnx,prop.vnnlib,maybe\n")
        XCTAssertThrowsError(try BenchSuite(at: good)) { XCTAssertTrue("\($0)".contains("expected.csv:2"), "\($0)") }
    }

    func testRecordsReadBackAndScore() {
        let records = [
            BenchRecord(network: "a,1.onnx", property: "p.vnnlib", answer: "unsat", expected: "unsat", seconds: 1.5, subproblems: 12, z3Leaves: 1, peakMemoryBytes: 1 << 20),
            BenchRecord(network: "b.onnx", property: "p.vnnlib", answer: "sat", expected: "unsat", seconds: 0.2),
            BenchRecord(network: "c.onnx", property: "p.vnnlib", answer: "error", expected: "sat", seconds: 0.1, error: "exit 1: \"bad\" file"),
            BenchRecord(network: "d.onnx", property: "p.vnnlib", answer: "timed-out", expected: "sat", seconds: 5, closestMargin: 0.29, weakestOpenBound: -0.25),
            BenchRecord(network: "e.onnx", property: "p.vnnlib", answer: "unknown", expected: "unsat", seconds: 5, weakestOpenBound: -.infinity),
        ]
        for record in records { XCTAssertEqual(BenchRecord(csvLine: record.csvLine), record) }
        // Rows of files written before the last two columns still read, without them; a
        // margin that is not a number does not.
        let legacy = "\"d.onnx\",\"p.vnnlib\",timed-out,sat,,5.000,0,0,0,\"\",\"\""
        XCTAssertEqual(BenchRecord(csvLine: legacy), BenchRecord(network: "d.onnx", property: "p.vnnlib", answer: "timed-out", expected: "sat", seconds: 5))
        XCTAssertNil(BenchRecord(csvLine: legacy + ",close,"))
        XCTAssertNil(BenchRecord(csvLine: legacy + ",1.5"))
        XCTAssertEqual(records.map(\.verdict), ["correct", "wrong", "", "", ""])
        let summary = BenchSummary(records)
        XCTAssertEqual([summary.solved, summary.correct, summary.wrong, summary.errors, summary.timedOut, summary.unknown], [2, 1, 1, 1, 1, 1])
        XCTAssertEqual(summary.score, 10 - 100)
    }

    /// A results file written before `closest_margin` and `weakest_open_bound` still reads.
    func testResultsFilesWithTheOlderHeaderRead() throws {
        let path = try write("old.csv", "# verdict bench: suite=x\n\(BenchRecord.legacyHeader)\n\"n.onnx\",\"p.vnnlib\",unsat,unsat,correct,1.000,3,0,0,\"\",\"\"\n")
        let run = try BenchRun(contentsOf: path)
        XCTAssertEqual(run.records, [BenchRecord(network: "n.onnx", property: "p.vnnlib", answer: "unsat", expected: "unsat", seconds: 1, subproblems: 3)])
        XCTAssertThrowsError(try BenchRun(contentsOf: try write("other.csv", "# verdict bench: suite=x\nnetwork,property\n")))
    }

    func testCompetitionResultsCompareWithOurs() throws {
        let ours = try write("ours.csv", """
            # verdict bench: suite=x
            \(BenchRecord.header)
            \(BenchRecord(network: "onnx/n.onnx", property: "vnnlib/p1.vnnlib", answer: "unsat", expected: "unsat", seconds: 1).csvLine)
            \(BenchRecord(network: "onnx/n.onnx", property: "vnnlib/p2.vnnlib", answer: "sat", expected: "sat", seconds: 10).csvLine)
            \(BenchRecord(network: "onnx/n.onnx", property: "vnnlib/p3.vnnlib", answer: "timed-out", expected: "sat", seconds: 60).csvLine)

            """)
        let theirs = try write("results.csv", """
            test,./benchmarks/test/onnx/n.onnx,./benchmarks/test/vnnlib/p1.vnnlib,0.5,holds,1.2
            test,./benchmarks/test/onnx/n.onnx,./benchmarks/test/vnnlib/p2.vnnlib,0.5,violated,1.0
            test,./benchmarks/test/onnx/n.onnx,./benchmarks/test/vnnlib/p3.vnnlib,0.5,violated,3.0

            """)
        let runs = try [BenchRun(contentsOf: ours), BenchRun(contentsOf: theirs)]
        XCTAssertEqual(runs[1].records.map(\.answer), ["unsat", "sat", "sat"])
        let differences = BenchRun.differences(runs)
        XCTAssertEqual(differences.count, 2, "\(differences)")
        XCTAssertTrue(differences.contains { $0.hasPrefix("time") && $0.contains("p2.vnnlib") })
        XCTAssertTrue(differences.contains { $0.hasPrefix("answer") && $0.contains("p3.vnnlib") })
        XCTAssertThrowsError(try BenchRun(contentsOf: try write("junk.csv", "a,b\n")))
        for svg in [BenchPlots.cactus(runs.map { ($0.name, $0.records) }, title: "t"), BenchPlots.scatter((runs[0].name, runs[0].records), (runs[1].name, runs[1].records), title: "s")] {
            let parser = XMLParser(data: Data(svg.utf8))
            XCTAssertTrue(parser.parse(), "\(parser.parserError as Any)")
        }
    }

    func testCompetitionToolsFromExpectedCSV() throws {
        let path = try write("expected.csv", """
            onnx,vnnlib,expected,source\r
            n.onnx,p1.vnnlib,unsat,VNN-COMP 2022 answers (counterexamples checked): toolA=15.4 (h);toolB=timeout;toolC=prepare_instance_error_1\r
            n.onnx,p2.vnnlib,sat,VNN-COMP 2022 answers (counterexamples checked): toolA=2.0 (v);toolB=1.5 (v);toolC=error_exit_code_1\r

            """)
        let runs = try BenchRun.runs(contentsOf: path)
        XCTAssertEqual(runs.map(\.name), ["toolA", "toolB", "toolC"])
        XCTAssertEqual(runs[0].records.map(\.answer), ["unsat", "sat"])
        XCTAssertEqual(runs[0].records.map(\.seconds), [15.4, 2.0])
        XCTAssertEqual(runs[1].records.map(\.answer), ["timed-out", "sat"])
        XCTAssertEqual(runs[2].records.map(\.answer), ["unknown", "error"])
        XCTAssertEqual(BenchSummary(runs[0].records).correct, 2)
        let differences = BenchRun.differences(runs)
        XCTAssertEqual(differences.count, 1, "toolC solved nothing and is left out: \(differences)")
        XCTAssertTrue(differences[0].hasPrefix("answer") && differences[0].contains("not by toolB (timed-out)"), differences[0])
    }
}
