import VerdictCore

/// A problem in a VNN-LIB file, with the place it was found.
public struct VNNLIBError: Error, CustomStringConvertible, Equatable {
    public let file: String
    /// 1-based; 0 when the problem belongs to the whole file.
    public let line: Int
    public let column: Int
    public let message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message.clippedForMessage
    }

    public var description: String {
        line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)"
    }
}

/// A place in the source text.
struct SourcePosition: Equatable, Sendable {
    var line: Int
    var column: Int
}
