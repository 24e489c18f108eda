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
    private let poll: StopPoll
    private var index = 0
    private var line = 1
    private var lineStart = 0

    init(bytes: [UInt8], file: String, poll: StopPoll) {
        self.bytes = bytes
        self.file = file
        self.poll = poll
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
            try poll.step()
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

    /// An SMT-LIB simple symbol: letters, digits and `~!@$%^&*_-+=<>.?/`, not starting
    /// with a digit. Signs and dots cannot start one here either, so that no quoted symbol
    /// reads as a number.
    static func isSimpleSymbol(_ text: String) -> Bool {
        let others = Set("~!@$%^&*_-+=<>.?/")
        guard let first = text.first, first.isASCII, first.isLetter || (others.contains(first) && !"-+.".contains(first)) else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || others.contains($0)) }
    }

    private mutating func readAtom() throws -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "\"") {
            // A VNN-LIB 2.0 ONNX name: kept with its quotes (so it is never read as a symbol),
            // `\"` and `\\` escapes left as written.
            let here = position
            index += 1
            while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                if bytes[index] == UInt8(ascii: "\n") { throw error("unterminated \"string\": it runs past the end of the line", at: here) }
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard index < bytes.count else { throw error("unterminated \"string\"", at: here) }
            index += 1
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }
        if bytes[index] == UInt8(ascii: "|") {
            index += 1
            while index < bytes.count && bytes[index] != UInt8(ascii: "|") { index += 1 }
            guard index < bytes.count else { throw error("unterminated |quoted symbol|", at: position) }
            index += 1
            // `|X_1|` is the symbol X_1; `|1|` or `|a b|` is a symbol that could not be written
            // bare, and keeps its bars so that it is never read as a number or another name.
            let content = String(decoding: bytes[(start + 1)..<(index - 1)], as: UTF8.self)
            return Self.isSimpleSymbol(content) ? content : "|" + content + "|"
        }
        var text: [UInt8] = []
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"),
                UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ";"):
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "["):
                // A VNN-LIB 2.0 shape or index list, `[1, 10]`: one token, spaces dropped.
                let here = position
                index += 1
                text.append(UInt8(ascii: "["))
                while index < bytes.count && bytes[index] != UInt8(ascii: "]") {
                    let byte = bytes[index]
                    if byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")") || byte == UInt8(ascii: ";") || byte == UInt8(ascii: "[") {
                        throw error("'[' is never closed by ']'", at: here)
                    }
                    if byte == UInt8(ascii: "\n") {
                        line += 1
                        lineStart = index + 1
                    }
                    if byte != UInt8(ascii: " ") && byte != UInt8(ascii: "\t") && byte != UInt8(ascii: "\r") && byte != UInt8(ascii: "\n") {
                        text.append(byte)
                    }
                    index += 1
                }
                guard index < bytes.count else { throw error("'[' is never closed by ']'", at: here) }
                text.append(bytes[index])
                index += 1
            default:
                text.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
