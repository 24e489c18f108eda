import Foundation
import VerdictCore

/// Reads VNN-LIB properties (the VNN-COMP form of SMT-LIB): `declare-const X_i Real` for
/// inputs, `declare-const Y_j Real` for outputs, and `assert`ions built from `<=`, `>=`, `<`,
/// `>`, `=`, `and`, `or`, `not` over linear terms (`+`, `-`, `*` by constants), in any nesting.
///
/// The conjunction of all assertions is brought to disjunctive normal form; each disjunct
/// must bound every input by constants (an input box) and may constrain outputs linearly.
/// Disjuncts with the same box are grouped into one ``Property/Case``.
public enum VNNLIBParser {
    /// Disjunctive normal forms larger than this many comparisons are refused, not built.
    public static let comparisonLimit = 5_000_000

    /// A parse ended early because the caller's stop condition held (a deadline passed, the
    /// memory cap was reached); `reason` is the condition's own words.
    public struct Stopped: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { "reading the property stopped: \(reason)" }
    }

    /// `stop` is polled every few ten thousand steps of the reading and returns a reason to
    /// give up (thrown as ``Stopped``), so a 100 MB property cannot outlast a timeout.
    public static func parse(contentsOf path: String, stop: @escaping () -> String? = { nil }) throws -> Property {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw VNNLIBError(file: path, line: 0, column: 0, message: "the file \(reason)")
        }
        return try parse(bytes: [UInt8](data), file: path, stop: stop)
    }

    public static func parse(_ text: String, file: String = "<text>", stop: @escaping () -> String? = { nil }) throws -> Property {
        try parse(bytes: Array(text.utf8), file: file, stop: stop)
    }

    public static func parse(bytes: [UInt8], file: String, stop: @escaping () -> String? = { nil }) throws -> Property {
        switch try document(bytes: bytes, file: file, stop: stop) {
        case .property(let property): return property
        case .query:
            throw VNNLIBError(file: file, line: 1, column: 1, message: "this is a VNN-LIB 2.0 query; this command reads 1.0 properties (X_i, Y_j) only")
        }
    }

    /// A 1.0 property or a 2.0 query, told apart by the `(vnnlib-version <2.0>)` header.
    public enum Document: Sendable {
        case property(Property)
        case query(Query)
    }

    public static func document(contentsOf path: String, stop: @escaping () -> String? = { nil }) throws -> Document {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw VNNLIBError(file: path, line: 0, column: 0, message: "the file \(reason)")
        }
        return try document(bytes: [UInt8](data), file: path, stop: stop)
    }

    public static func document(_ text: String, file: String = "<text>") throws -> Document {
        try document(bytes: Array(text.utf8), file: file, stop: { nil })
    }

    public static func document(bytes: [UInt8], file: String, stop: @escaping () -> String? = { nil }) throws -> Document {
        let poll = StopPoll(stop)
        var reader = SExpressionReader(bytes: bytes, file: file, poll: poll)
        let expressions = try reader.readAll()
        if let first = expressions.first, QueryReader.version(of: first) != nil || QueryReader.isQueryCommand(first) {
            return .query(try QueryReader(file: file, poll: poll).query(expressions))
        }
        var builder = PropertyBuilder(file: file, poll: poll)
        for expression in expressions { try builder.readCommand(expression) }
        return .property(try builder.finish())
    }
}

/// Counts the reading's steps and asks the caller's stop condition every 65,536 of them.
final class StopPoll {
    private let condition: () -> String?
    private var steps = 0

    init(_ condition: @escaping () -> String?) {
        self.condition = condition
    }

    func step() throws {
        steps &+= 1
        if steps & 0xFFFF == 0, let reason = condition() { throw VNNLIBParser.Stopped(reason: reason) }
    }
}
