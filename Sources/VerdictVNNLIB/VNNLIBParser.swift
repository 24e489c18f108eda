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

    public static func parse(contentsOf path: String) throws -> Property {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw VNNLIBError(file: path, line: 0, column: 0, message: "the file \(reason)")
        }
        return try parse(bytes: [UInt8](data), file: path)
    }

    public static func parse(_ text: String, file: String = "<text>") throws -> Property {
        try parse(bytes: Array(text.utf8), file: file)
    }

    public static func parse(bytes: [UInt8], file: String) throws -> Property {
        var reader = SExpressionReader(bytes: bytes, file: file)
        let expressions = try reader.readAll()
        var builder = PropertyBuilder(file: file)
        for expression in expressions { try builder.readCommand(expression) }
        return try builder.finish()
    }
}
