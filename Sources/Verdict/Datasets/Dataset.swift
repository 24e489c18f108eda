import Foundation

/// One input of a test set: its values (raw units), its label if the set has one, and a
/// name for the results (a row number, a file name).
public struct Sample: Sendable, Equatable {
    public var name: String
    public var input: [Double]
    public var label: Int?

    public init(name: String, input: [Double], label: Int?) {
        self.name = name
        self.input = input
        self.label = label
    }
}

/// Test sets as they come: CSV, JSON lines, the IDX files MNIST and Fashion-MNIST ship in,
/// or a folder of PNG or PGM images. Every reader refuses a malformed file with the file, the
/// place and the reason.
public enum Dataset {
    public struct Problem: Error, CustomStringConvertible {
        public let description: String

        init(_ description: String) {
            self.description = description
        }
    }

    /// The samples at `path`, by its form: a folder (PNG or PGM images, labelled by a folder named
    /// after the class), `.csv`, `.jsonl`/`.ndjson`, or anything else as IDX (with `labels`,
    /// an IDX label file).
    public static func read(_ path: String, labels: String? = nil) throws -> [Sample] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw Problem("\(path): no such file or folder") }
        if isFolder.boolValue {
            guard labels == nil else { throw Problem("--labels is for IDX files; a folder's images are labelled by their folder names") }
            return try ImageFolder.read(path)
        }
        let lowered = path.lowercased()
        if lowered.hasSuffix(".gz") { throw Problem("\(path): compressed; decompress it first (gunzip -k \(path))") }
        if labels != nil && (lowered.hasSuffix(".csv") || lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson")) {
            throw Problem("--labels is for IDX files; \(path) holds its labels")
        }
        if lowered.hasSuffix(".csv") { return try CSVSamples.parse(text(path), file: path) }
        if lowered.hasSuffix(".jsonl") || lowered.hasSuffix(".ndjson") { return try JSONLinesSamples.parse(text(path), file: path) }
        return try IDXSamples.read(images: path, labels: labels)
    }

    static func bytes(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem("\(path): the file \(FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")")
        }
        return data
    }

    static func text(_ path: String) throws -> String {
        guard let text = String(data: try bytes(path), encoding: .utf8) else { throw Problem("\(path): not UTF-8 text") }
        return text
    }
}
