import Foundation
import XCTest

@testable import Verdict

/// The test-set readers: every form read as written, and every malformed file refused with
/// the file, the place and the reason.
final class DatasetTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("datasets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func file(_ name: String, _ contents: String) throws -> String {
        try data(name, Data(contents.utf8))
    }

    private func data(_ name: String, _ contents: Data) throws -> String {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url)
        return url.path
    }

    private func assertRefused(_ path: String, labels: String? = nil, saying expected: String, line: UInt = #line) {
        XCTAssertThrowsError(try Dataset.read(path, labels: labels), line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error) should say \(expected)", line: line)
        }
    }

    func testCSVWithHeaderAndLabels() throws {
        let samples = try Dataset.read(try file("set.csv", "label,a,b\n3,0.5,1\n\n,2,4\n"))
        XCTAssertEqual(samples, [Sample(name: "row 2", input: [0.5, 1], label: 3), Sample(name: "row 4", input: [2, 4], label: nil)])
    }

    func testWindowsLineEndings() throws {
        let samples = try Dataset.read(try file("crlf.csv", "label,a\r\n1,0.5\r\n2,0.25\r\n"))
        XCTAssertEqual(samples.map(\.input), [[0.5], [0.25]])
        XCTAssertEqual(try Dataset.read(try file("crlf.jsonl", "{\"input\": [1]}\r\n{\"input\": [2]}\r\n")).count, 2)
        XCTAssertEqual(try InputVectorFile.parse("1.5\r\n2\r\n", file: "x"), [1.5, 2])
    }

    func testMalformedCSV() throws {
        assertRefused(try file("a.csv", "1,0.5,x\n"), saying: "a.csv:1: field 3 'x' is not a finite number")
        assertRefused(try file("b.csv", "1,0.5,1\n2,3\n"), saying: "b.csv:2: 1 input values")
        assertRefused(try file("c.csv", "-1,0.5\n"), saying: "c.csv:1: the label '-1'")
        assertRefused(try file("d.csv", "\n\n"), saying: "no samples")
        assertRefused(try file("e.csv", "1\n"), saying: "at least one input value")
    }

    func testJSONLines() throws {
        let samples = try Dataset.read(try file("set.jsonl", "{\"input\": [[1, 2], [3, 4]], \"label\": 1, \"name\": \"a\"}\n{\"input\": [5, 6, 7, 8]}\n"))
        XCTAssertEqual(samples, [Sample(name: "a", input: [1, 2, 3, 4], label: 1), Sample(name: "line 2", input: [5, 6, 7, 8], label: nil)])
        assertRefused(try file("a.jsonl", "[1, 2]\n"), saying: "a.jsonl:1: not a JSON object")
        assertRefused(try file("b.jsonl", "{\"label\": 1}\n"), saying: "b.jsonl:1: no \"input\"")
        assertRefused(try file("c.jsonl", "{\"input\": [1, \"x\"]}\n"), saying: "c.jsonl:1: \"input\": element 1 of the JSON array is not a finite number")
        assertRefused(try file("d.jsonl", "{\"input\": [1], \"label\": 1.5}\n"), saying: "d.jsonl:1: \"label\"")
        assertRefused(try file("e.jsonl", "{\"input\": [1]}\n{\"input\": [1, 2]}\n"), saying: "e.jsonl:2: 2 input values")
    }

    private func idx(type: UInt8, dimensions: [Int], payload: [UInt8]) -> Data {
        var bytes: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
        for dimension in dimensions { bytes += [24, 16, 8, 0].map { UInt8((dimension >> $0) & 0xFF) } }
        return Data(bytes + payload)
    }

    func testIDXImagesWithLabels() throws {
        let images = try data("images-idx3-ubyte", idx(type: 0x08, dimensions: [2, 2, 2], payload: [0, 1, 2, 3, 255, 254, 253, 252]))
        let labels = try data("labels-idx1-ubyte", idx(type: 0x08, dimensions: [2], payload: [7, 1]))
        let samples = try Dataset.read(images, labels: labels)
        XCTAssertEqual(samples, [Sample(name: "image 0", input: [0, 1, 2, 3], label: 7), Sample(name: "image 1", input: [255, 254, 253, 252], label: 1)])
        let floats = try data("f-idx", idx(type: 0x0D, dimensions: [1, 1], payload: [0x3F, 0xC0, 0, 0]))
        XCTAssertEqual(try Dataset.read(floats).first?.input, [1.5])
    }

    func testMalformedIDX() throws {
        assertRefused(try data("a-idx", Data([1, 2, 3])), saying: "not an IDX file")
        assertRefused(try data("b-idx", idx(type: 0x09, dimensions: [1, 1], payload: [0])), saying: "element type 0x9")
        assertRefused(try data("c-idx", idx(type: 0x08, dimensions: [2, 2], payload: [0, 1, 2])), saying: "the file has 3 bytes")
        let images = try data("d-idx", idx(type: 0x08, dimensions: [2, 1], payload: [0, 1]))
        assertRefused(images, labels: try data("e-idx", idx(type: 0x08, dimensions: [3], payload: [0, 1, 2])), saying: "[3] labels for 2 images")
        assertRefused(try data("f.idx.gz", Data([0x1F, 0x8B])), saying: "decompress it first")
        assertRefused(try data("g-idx", idx(type: 0x08, dimensions: [2], payload: [0, 1])), saying: "at least 2 dimensions")
        assertRefused(try data("h-idx", idx(type: 0x08, dimensions: [0, 4294967295, 4294967295], payload: [])), saying: "a dimension of 0")
        let one = try data("i-idx", idx(type: 0x08, dimensions: [1, 1], payload: [7]))
        assertRefused(one, labels: try data("j-idx", idx(type: 0x0D, dimensions: [1], payload: [0x40, 0x20, 0, 0])), saying: "label 0 is 2.5")
    }

    func testPGMFolderWithClassFolders() throws {
        _ = try file("digits/3/a.pgm", "P2\n# a comment\n2 2\n15\n0 5\n10 15\n")
        _ = try data("digits/7/b.pgm", Data(Array("P5 2 2 255\n".utf8) + [1, 2, 3, 4]))
        _ = try file("digits/notes.txt", "ignored")
        let samples = try Dataset.read(folder.appendingPathComponent("digits").path)
        XCTAssertEqual(samples, [Sample(name: "3/a.pgm", input: [0, 5, 10, 15], label: 3), Sample(name: "7/b.pgm", input: [1, 2, 3, 4], label: 7)])
    }

    func testMalformedPGM() throws {
        _ = try file("a/x.pgm", "P3\n2 2\n15\n0 5 10 15\n")
        assertRefused(folder.appendingPathComponent("a").path, saying: "x.pgm: not a PGM image")
        _ = try file("b/x.pgm", "P2\n2 2\n15\n0 5 10\n")
        assertRefused(folder.appendingPathComponent("b").path, saying: "cut short")
        _ = try file("c/x.pgm", "P2\n2 2\n15\n0 5 10 16\n")
        assertRefused(folder.appendingPathComponent("c").path, saying: "pixel 3 '16' is not in 0...15")
        _ = try data("d/x.pgm", Data(Array("P5 2 2 255\n".utf8) + [1, 2]))
        assertRefused(folder.appendingPathComponent("d").path, saying: "need 4 bytes")
        _ = try file("e/x.pgm", "P2\n2 -2\n15\n")
        assertRefused(folder.appendingPathComponent("e").path, saying: "the height '-2'")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("f"), withIntermediateDirectories: true)
        assertRefused(folder.appendingPathComponent("f").path, saying: "no .pgm images")
        assertRefused(folder.appendingPathComponent("missing.csv").path, saying: "no such file or folder")
    }
}
