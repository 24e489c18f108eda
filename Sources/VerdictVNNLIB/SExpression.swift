/// The S-expression syntax VNN-LIB inherits from SMT-LIB: atoms, parenthesised lists and
/// `;` comments. The reader works on bytes, which keeps 70 KB MNIST properties fast.
enum SExpression {
    case atom(String, SourcePosition)
    case list([SExpression], SourcePosition)

    var position: SourcePosition {
        switch self {
        case .atom(_, let position), .list(_, let position): return position
        }
    }
}

struct SExpressionReader {
    /// Deeper nesting is refused: formulas are processed recursively, and no real property
    /// comes near this depth.
    static let maximumDepth = 1_000

    private let bytes: [UInt8]
    private let file: String
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    /// Every top-level expression of the text.
    mutating func readAll() throws -> [SExpression] {
        var expressions: [SExpression] = []
        while true {
            skipSpaceAndComments()
            guard index < bytes.count else { return expressions }
            expressions.append(try readExpression())
        }
    }

    private var position: SourcePosition { SourcePosition(line: line, column: index - lineStart + 1) }

    private func error(_ message: String, at position: SourcePosition) -> VNNLIBError {
        VNNLIBError(file: file, line: position.line, column: position.column, message: message)
    }

    private mutating func skipSpaceAndComments() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\n"):
                index += 1
                line += 1
                lineStart = index
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                index += 1
            case UInt8(ascii: ";"):
                while index < bytes.count && bytes[index] != UInt8(ascii: "\n") { index += 1 }
            default:
                return
            }
        }
    }

    private mutating func readExpression() throws -> SExpression {
        // An explicit stack instead of recursion: deeply nested input must not overflow.
        var stack: [(items: [SExpression], start: SourcePosition)] = []
        while true {
            skipSpaceAndComments()
            guard index < bytes.count else {
                let start = stack.last?.start ?? position
                throw error("unbalanced parentheses: '(' is never closed", at: start)
            }
            let here = position
            let byte = bytes[index]
            var finished: SExpression
            if byte == UInt8(ascii: "(") {
                guard stack.count < Self.maximumDepth else {
                    throw error("expressions nested deeper than \(Self.maximumDepth) levels", at: here)
                }
                index += 1
                stack.append(([], here))
                continue
            } else if byte == UInt8(ascii: ")") {
                guard let open = stack.popLast() else { throw error("unbalanced parentheses: unexpected ')'", at: here) }
                index += 1
                finished = .list(open.items, open.start)
            } else {
                finished = .atom(try readAtom(), here)
            }
            if stack.isEmpty { return finished }
            stack[stack.count - 1].items.append(finished)
        }
    }

    private mutating func readAtom() throws -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "|") {
            index += 1
            while index < bytes.count && bytes[index] != UInt8(ascii: "|") { index += 1 }
            guard index < bytes.count else { throw error("unterminated |quoted symbol|", at: position) }
            index += 1
            return String(decoding: bytes[(start + 1)..<(index - 1)], as: UTF8.self)
        }
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"),
                UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ";"):
                return String(decoding: bytes[start..<index], as: UTF8.self)
            default:
                index += 1
            }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
}
