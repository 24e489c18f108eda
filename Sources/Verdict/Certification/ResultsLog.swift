import Foundation

/// The results file of a test-set run: a settings line, a CSV header, then one row per input,
/// appended as each input finishes (one `write` per row), so a run killed half-way loses
/// only the input it was on. Reopening the file resumes: the rows there are kept and their
/// inputs skipped. A file written with other settings is refused rather than mixed.
public final class ResultsLog {
    public let path: String
    /// The rows so far, by input index.
    public private(set) var records: [Int: RadiusRecord] = [:]
    private let handle: FileHandle

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens `path`, creating it if needed; `settings` describes the run in one line.
    public init(path: String, settings: String) throws {
        self.path = path
        let first = "# verdict radius: \(settings)"
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            guard let data = manager.contents(atPath: path) else { throw Problem(description: "\(path): cannot be read") }
            var text = String(decoding: data, as: UTF8.self)
            if !text.isEmpty && !text.hasSuffix("\n") {
                // A row cut short by a killed run: dropped, and its input done again.
                text = String(text[..<(text.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex)])
                try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            }
            let lines = text.split(separator: "\n").map(String.init)
            if !lines.isEmpty {
                guard lines[0] == first else {
                    throw Problem(description: "\(path) holds results of other settings (\(lines[0].dropFirst(2))); give another --results file or remove it")
                }
                guard lines.count >= 2, lines[1] == RadiusRecord.header else { throw Problem(description: "\(path): line 2 is not the results header") }
                for (offset, line) in lines.dropFirst(2).enumerated() {
                    guard let record = RadiusRecord(csvLine: line) else { throw Problem(description: "\(path):\(offset + 3): not a results row") }
                    records[record.index] = record
                }
            } else {
                try Data("\(first)\n\(RadiusRecord.header)\n".utf8).write(to: URL(fileURLWithPath: path))
            }
        } else {
            guard manager.createFile(atPath: path, contents: Data("\(first)\n\(RadiusRecord.header)\n".utf8)) else {
                throw Problem(description: "\(path): cannot be created")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw Problem(description: "\(path): cannot be opened for writing") }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    deinit {
        try? handle.close()
    }

    /// Appends one row and keeps it.
    public func append(_ record: RadiusRecord) throws {
        try handle.write(contentsOf: Data((record.csvLine + "\n").utf8))
        records[record.index] = record
    }
}
