import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

@testable import Verdict

/// The test-set bookkeeping: the results file survives a killed run and resumes, refuses
/// other settings; the summary counts as defined; the plot is well-formed SVG.
final class CertificationTests: XCTestCase {
    private func record(_ index: Int, label: Int? = 1, predicted: Int? = 1, certified: Double?, falsified: Double?, closed: Bool = true) -> RadiusRecord {
        RadiusRecord(
            index: index, name: "row, \"\(index)\"", label: label, predicted: predicted, certified: certified, falsified: falsified,
            certifiedBy: "bounds", falsifiedBy: falsified == nil ? "" : "attack", closed: closed, seconds: 0.5)
    }

    func testResultsResumeAfterACutRowAndRefuseOtherSettings() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("results-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let first = record(0, certified: 0.5, falsified: 0.75), second = record(1, certified: nil, falsified: nil, closed: false)
        do {
            let log = try ResultsLog<RadiusRecord>(path: path, command: "radius", settings: "a")
            try log.append(first)
            try log.append(second)
        }
        // A run killed while writing its third row.
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data("2,\"row 2\",1,1,0.2".utf8))
        try handle.close()
        let resumed = try ResultsLog<RadiusRecord>(path: path, command: "radius", settings: "a")
        XCTAssertEqual(resumed.rows, [first, second])
        try resumed.append(record(2, certified: 0.1, falsified: 0.2))
        XCTAssertEqual(try ResultsLog<RadiusRecord>(path: path, command: "radius", settings: "a").rows.count, 3)
        XCTAssertThrowsError(try ResultsLog<RadiusRecord>(path: path, command: "radius", settings: "b")) { error in
            XCTAssertTrue("\(error)".contains("other settings"), "\(error)")
        }
    }

    func testSummaryCounts() {
        let records = [
            record(0, certified: 0.5, falsified: 0.75),
            record(1, certified: 0.2, falsified: nil, closed: false),
            record(2, label: 1, predicted: 2, certified: nil, falsified: 0),
            record(3, certified: 1.0, falsified: 1.25),
        ]
        let summary = CertificationSummary(records, radii: [0.25, 0.5])
        XCTAssertEqual(summary.inputs, 4)
        XCTAssertEqual(summary.correct, 3)
        XCTAssertEqual(summary.atRadius.map(\.certified), [2, 2])
        XCTAssertEqual(summary.atRadius.map(\.unbroken), [3, 3])
        XCTAssertEqual(summary.medianCertified, 0.35, accuracy: 1e-12)  // 0, 0.2, 0.5, 1.0
        XCTAssertEqual(summary.medianWidth ?? -1, 0.25, accuracy: 1e-12)
        XCTAssertEqual(summary.undecided, 1)
    }

    func testPlotIsWellFormedSVG() throws {
        let records = [record(0, certified: 0.5, falsified: 0.75), record(1, certified: 0.2, falsified: nil)]
        let svg = CertifiedAccuracyPlot.svg(records, maxRadius: 1, title: "a <b> & c")
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "\(parser.parserError as Any)")
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2, "the certified and the attack curves")
        XCTAssertTrue(svg.contains("a &lt;b&gt; &amp; c"))
    }

    func testAForeignFileIsRefusedUntouched() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("foreign-\(UUID().uuidString).csv").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let text = "someone's data\nlast line without a newline"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsLog<RadiusRecord>(path: path, command: "radius", settings: "a")) { error in
            XCTAssertTrue("\(error)".contains("not a Verdict results file"), "\(error)")
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), text)
    }

    func testNamesWithLineBreaksStayOneRow() {
        var row = record(0, certified: 0.5, falsified: 0.75)
        row.name = "two\nlines"
        XCTAssertEqual(RadiusRecord(csvLine: row.csvLine)?.name, "two lines")
        XCTAssertFalse(row.csvLine.contains("\n"))
    }

    func testBisectionStopsBetweenNeighbouringDoubles() {
        XCTAssertNil(RadiusSearch.middle(8, 8.nextUp))
        XCTAssertEqual(RadiusSearch.middle(1, 2), 1.5)
    }
}
