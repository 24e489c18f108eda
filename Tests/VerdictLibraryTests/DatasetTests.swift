import Foundation
import VerdictTestSupport
import XCTest

@testable import Verdict

/// The test-set readers: every form read as written, and every malformed file refused with
/// the file, the place and the reason.
final class DatasetTests: FolderTestCase {
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
        assertRefused(folder.appendingPathComponent("f").path, saying: "no .png or .pgm images")
        assertRefused(folder.appendingPathComponent("missing.csv").path, saying: "no such file or folder")
    }

    /// PNG images written by Pillow (greyscale with the Sub, Up and Paeth filters, RGB, RGBA,
    /// 16-bit) and one with the Average filter on every row (checked against Pillow's reader
    /// when it was made), as base64.
    private static let pngs: [String: (base64: String, pixels: [Double])] = [
        "gray": ("iVBORw0KGgoAAAANSUhEUgAAAAcAAAAFCAAAAACs8akEAAAAFklEQVR42mNk4OTk5OTkZBSB0Cw4aAAbsQFtCl22ugAAAABJRU5ErkJggg==", [0, 9, 18, 27, 36, 45, 54, 20, 29, 38, 47, 56, 65, 74, 40, 49, 58, 67, 76, 85, 94, 60, 69, 78, 87, 96, 105, 114, 80, 89, 98, 107, 116, 125, 134]),
        "rgb": ("iVBORw0KGgoAAAANSUhEUgAAAAQAAAADCAIAAAA7ljmRAAAAMklEQVR4nAEnANj/APjCvs+TGu0V9dPvLQQN2+E3o9IxGdLlMaAAJAeG3jmSCJUODxYKlVQRWkmsnoMAAAAASUVORK5CYII=", [248, 207, 237, 211, 5, 60, 109, 82, 36, 222, 8, 15, 194, 147, 21, 239, 157, 54, 46, 32, 7, 57, 149, 22, 190, 26, 245, 45, 159, 236, 199, 205, 134, 146, 14, 10]),
        "rgba": ("iVBORw0KGgoAAAANSUhEUgAAAAMAAAACCAYAAACddGYaAAAAI0lEQVR4nGOYcEFCgl2TO9Q642EeU9DPD+3Cn2aoPjv44ioAftUL/VUax3EAAAAASUVORK5CYII=", [144, 7, 59, 226, 26, 33, 208, 41, 104, 201, 27, 41, 24, 11, 225, 8, 163, 201]),
        "g16": ("iVBORw0KGgoAAAANSUhEUgAAAAMAAAACEAAAAADoj+WFAAAAFklEQVR4nGNkYFAXUBdgLDVQF1AXAAAJJwGEYMDtvwAAAABJRU5ErkJggg==", [0, 10000, 20000, 30000, 40000, 50000]),
        "average": ("iVBORw0KGgoAAAANSUhEUgAAAAcAAAAFCAAAAACs8akEAAAAHUlEQVR4nGNm4OQTEpdWYBbhBwNmOSitAaWNIDQAMO8Cf102IiUAAAAASUVORK5CYII=", [0, 9, 18, 27, 36, 45, 54, 20, 29, 38, 47, 56, 65, 74, 40, 49, 58, 67, 76, 85, 94, 60, 69, 78, 87, 96, 105, 114, 80, 89, 98, 107, 116, 125, 134]),
    ]

    func testPNGImagesDecodeToTheirPixels() throws {
        for (name, fixture) in Self.pngs.sorted(by: { $0.key < $1.key }) {
            let pixels = try PNGImage.pixels(try XCTUnwrap(Data(base64Encoded: fixture.base64)), file: name)
            XCTAssertEqual(pixels, fixture.pixels, name)
        }
    }

    func testPNGFolderAndMalformedPNGs() throws {
        let gray = try XCTUnwrap(Data(base64Encoded: Self.pngs["gray"]!.base64))
        _ = try data("images/4/a.png", gray)
        _ = try file("images/4/b.pgm", "P2 7 5 255\n" + Self.pngs["gray"]!.pixels.map { String(Int($0)) }.joined(separator: " ") + "\n")
        let samples = try Dataset.read(folder.appendingPathComponent("images").path)
        XCTAssertEqual(samples.map(\.label), [4, 4])
        XCTAssertEqual(samples[0].input, samples[1].input, "the PNG and the PGM of one image read the same")
        var corrupt = [UInt8](gray)
        corrupt[40] ^= 0xFF
        _ = try data("bad1/x.png", Data(corrupt))
        assertRefused(folder.appendingPathComponent("bad1").path, saying: "fails its checksum")
        _ = try data("bad2/x.png", gray.prefix(50))
        assertRefused(folder.appendingPathComponent("bad2").path, saying: "x.png")
        _ = try data("bad3/x.png", try XCTUnwrap(Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAcAAAAFCAMAAAC+RAbqAAADAFBMVEUAAAABAQECAgIDAwMEBAQFBQUGBgYHBwcICAgJCQkKCgoLCwsMDAwNDQ0ODg4PDw8QEBARERESEhITExMUFBQVFRUWFhYXFxcYGBgZGRkaGhobGxscHBwdHR0eHh4fHx8gICAhISEiIiIjIyMkJCQlJSUmJiYnJycoKCgpKSkqKiorKyssLCwtLS0uLi4vLy8wMDAxMTEyMjIzMzM0NDQ1NTU2NjY3Nzc4ODg5OTk6Ojo7Ozs8PDw9PT0+Pj4/Pz9AQEBBQUFCQkJDQ0NERERFRUVGRkZHR0dISEhJSUlKSkpLS0tMTExNTU1OTk5PT09QUFBRUVFSUlJTU1NUVFRVVVVWVlZXV1dYWFhZWVlaWlpbW1tcXFxdXV1eXl5fX19gYGBhYWFiYmJjY2NkZGRlZWVmZmZnZ2doaGhpaWlqampra2tsbGxtbW1ubm5vb29wcHBxcXFycnJzc3N0dHR1dXV2dnZ3d3d4eHh5eXl6enp7e3t8fHx9fX1+fn5/f3+AgICBgYGCgoKDg4OEhISFhYWGhoaHh4eIiIiJiYmKioqLi4uMjIyNjY2Ojo6Pj4+QkJCRkZGSkpKTk5OUlJSVlZWWlpaXl5eYmJiZmZmampqbm5ucnJydnZ2enp6fn5+goKChoaGioqKjo6OkpKSlpaWmpqanp6eoqKipqamqqqqrq6usrKytra2urq6vr6+wsLCxsbGysrKzs7O0tLS1tbW2tra3t7e4uLi5ubm6urq7u7u8vLy9vb2+vr6/v7/AwMDBwcHCwsLDw8PExMTFxcXGxsbHx8fIyMjJycnKysrLy8vMzMzNzc3Ozs7Pz8/Q0NDR0dHS0tLT09PU1NTV1dXW1tbX19fY2NjZ2dna2trb29vc3Nzd3d3e3t7f39/g4ODh4eHi4uLj4+Pk5OTl5eXm5ubn5+fo6Ojp6enq6urr6+vs7Ozt7e3u7u7v7+/w8PDx8fHy8vLz8/P09PT19fX29vb39/f4+Pj5+fn6+vr7+/v8/Pz9/f3+/v7////isF19AAAAMElEQVR4nGNg4BSSVtE1YxCRVdO3cPRi0DC0cvYJjWOwcfULT8gsYgiITMouqW0DAIawCSoCnGdeAAAAAElFTkSuQmCC")))
        assertRefused(folder.appendingPathComponent("bad3").path, saying: "a palette image")
        _ = try data("bad4/x.png", Data("GIF89a".utf8))
        assertRefused(folder.appendingPathComponent("bad4").path, saying: "not a PNG image")
    }
}
