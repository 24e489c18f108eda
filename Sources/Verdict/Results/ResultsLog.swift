import Foundation

/// One row of a ``ResultsLog``: its CSV line, read back, and the key that identifies what
/// it is the result of (an input's index, an instance's network and property).
public protocol ResultsRow: Sendable {
    static var header: String { get }
    var csvLine: String { get }
    /// Nil when the line is not a whole row (a run killed while writing it).
    init?(csvLine: String)
    var key: String { get }
}

/// A results file that survives a killed run: a settings line, a CSV header, then one row
/// per finished item, appended with one `write` each, so a run killed half-way loses only
/// the item it was on. Reopening the file resumes: the rows there are kept and their items
/// skipped. A file written with other settings is refused rather than mixed. `verdict radius`
/// (one row per input) and `verdict bench` (one per instance) keep their results here.
/// ``append(_:)`` may be called from several threads.
public final class ResultsLog<Row: ResultsRow>: @unchecked Sendable {
    public let path: String
    /// The rows so far, in file order.
    public private(set) var rows: [Row] = []
    /// The keys of ``rows``.
    public private(set) var keys: Set<String> = []
    private let handle: FileHandle
    private let lock = NSLock()

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens `path`, creating it if needed; `settings` describes the run in one line, led by
    /// `# verdict COMMAND: `.
    public init(path: String, command: String, settings: String) throws {
        self.path = path
        let first = "# verdict \(command): \(settings)"
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            guard let data = manager.contents(atPath: path) else { throw Problem(description: "\(path): cannot be read") }
            var text = String(decoding: data, as: UTF8.self)
            var lines = text.split(whereSeparator: \.isNewline).map(String.init)
            if lines.isEmpty {
                try Data("\(first)\n\(Row.header)\n".utf8).write(to: URL(fileURLWithPath: path))
            } else {
                try Self.checkHead(lines, expecting: first, path: path)
                if !text.hasSuffix("\n") {
                    // A row cut short by a killed run: dropped (only now that the file is known
                    // to be this run's results), and its item done again.
                    text = String(text[..<(text.lastIndex(of: "\n").map { text.index(after: $0) } ?? text.startIndex)])
                    try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                    lines = text.split(whereSeparator: \.isNewline).map(String.init)
                }
                rows = try Self.read(lines, path: path)
                keys = Set(rows.map(\.key))
            }
        } else {
            guard manager.createFile(atPath: path, contents: Data("\(first)\n\(Row.header)\n".utf8)) else {
                throw Problem(description: "\(path): cannot be created")
            }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw Problem(description: "\(path): cannot be opened for writing") }
        self.handle = handle
        handle.seekToEndOfFile()
    }

    /// Throws unless the file starts with this run's settings line and the header.
    private static func checkHead(_ lines: [String], expecting first: String, path: String) throws {
        guard lines[0].hasPrefix("# verdict ") else { throw Problem(description: "\(path): not a Verdict results file (its first line is not a settings line)") }
        guard lines[0] == first else {
            throw Problem(description: "\(path) holds results of other settings (\(lines[0].dropFirst(2))); give another results file or remove it")
        }
        guard lines.count >= 2, lines[1] == Row.header else { throw Problem(description: "\(path): line 2 is not the results header") }
    }

    private static func read(_ lines: [String], path: String) throws -> [Row] {
        guard lines.count >= 2 else { return [] }
        return try lines.dropFirst(2).enumerated().map { offset, line in
            guard let row = Row(csvLine: line) else { throw Problem(description: "\(path):\(offset + 3): not a results row") }
            return row
        }
    }

    deinit {
        try? handle.close()
    }

    /// Appends one row and keeps it.
    public func append(_ row: Row) throws {
        lock.lock()
        defer { lock.unlock() }
        try handle.write(contentsOf: Data((row.csvLine + "\n").utf8))
        rows.append(row)
        keys.insert(row.key)
    }
}

/// CSV fields as the results files write them: text double-quoted (quotes doubled).
enum CSVFields {
    /// `text` double-quoted, quotes doubled, and line breaks turned into spaces (rows are
    /// read back line by line).
    static func quoted(_ text: String) -> String {
        let oneLine = String(text.map { $0.isNewline ? " " : $0 })
        return "\"" + oneLine.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The fields of one line, with double-quoted fields holding commas and doubled quotes.
    static func split(_ line: String) -> [String] {
        var fields: [String] = [], current = "", quoted = false
        var characters = Array(line)[...]
        while let character = characters.popFirst() {
            if quoted {
                if character != "\"" {
                    current.append(character)
                } else if characters.first == "\"" {
                    current.append("\"")
                    characters.removeFirst()
                } else {
                    quoted = false
                }
            } else if character == "\"" {
                quoted = true
            } else if character == "," {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
