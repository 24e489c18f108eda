import VerdictCore

/// Reads the S-expressions of a VNN-LIB 2.0 file into a ``Query``, following the standard's
/// grammar (`syntax/grammar.cf` of VNNLIB/VNNLIB-Standard): the version, then network
/// declarations, then assertions. Syntax errors name the line and column.
struct QueryReader {
    /// The versions Verdict reads (2.1 added `initialized` inputs).
    static let supportedVersions = QueryVersion(major: 2, minor: 0)...QueryVersion(major: 2, minor: 1)
    /// The element types a declaration may name: `real` and the ONNX types.
    static let realTypeNames: Set<String> = ["real", "Real"]

    let file: String
    let poll: StopPoll

    private func error(_ message: String, at position: SourcePosition) -> VNNLIBError {
        VNNLIBError(file: file, line: position.line, column: position.column, message: message)
    }

    /// The version a `(vnnlib-version <M.m>)` header states, or nil when `expression` is not one.
    static func version(of expression: SExpression) -> (text: String, position: SourcePosition)? {
        guard case .list(let items, _) = expression, items.count == 2, case .atom("vnnlib-version", _) = items[0],
            case .atom(let text, let position) = items[1]
        else { return nil }
        return (text, position)
    }

    /// A 2.0 command (`declare-network`) where a file starts: a query missing its header.
    static func isQueryCommand(_ expression: SExpression) -> Bool {
        guard case .list(let items, _) = expression, case .atom("declare-network", _)? = items.first else { return false }
        return true
    }

    func query(_ expressions: [SExpression]) throws -> Query {
        guard let first = expressions.first, let (versionText, versionPosition) = Self.version(of: first) else {
            throw error("expected (vnnlib-version <2.0>) first", at: expressions.first?.position ?? SourcePosition(line: 1, column: 1))
        }
        let version = try parseVersion(versionText, at: versionPosition)
        var networks: [NetworkDeclaration] = []
        var assertions: [BoolExpression] = []
        for expression in expressions.dropFirst() {
            guard case .list(let items, let position) = expression, case .atom(let head, _)? = items.first else {
                throw error("expected (declare-network ...) or (assert ...)", at: expression.position)
            }
            switch head {
            case "declare-network":
                guard assertions.isEmpty else {
                    throw error("network declarations must all come before the assertions", at: position)
                }
                networks.append(try network(items, at: position, version: version))
            case "assert":
                guard items.count == 2 else { throw error("assert takes exactly one formula, got \(items.count - 1)", at: position) }
                assertions.append(try formula(items[1]))
            case "vnnlib-version":
                throw error("a second vnnlib-version", at: position)
            default:
                throw error("unknown command '\(head)'; a 2.0 query has declare-network and assert", at: items[0].position)
            }
        }
        guard !networks.isEmpty else {
            throw error("no network declared: a query needs at least one (declare-network ...)", at: first.position)
        }
        return Query(version: version, networks: networks, assertions: assertions)
    }

    private func parseVersion(_ text: String, at position: SourcePosition) throws -> QueryVersion {
        let inner = text.hasPrefix("<") && text.hasSuffix(">") ? text.dropFirst().dropLast() : ""
        let parts = inner.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), let minor = Int(parts[1]), parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
            throw error("bad version '\(text)': expected <major.minor>, such as <2.0>", at: position)
        }
        let version = QueryVersion(major: major, minor: minor)
        guard Self.supportedVersions.contains(version) else {
            let range = Self.supportedVersions
            throw error("VNN-LIB \(version) is not supported: Verdict reads 1.0 and \(range.lowerBound) to \(range.upperBound)", at: position)
        }
        return version
    }

    // MARK: Declarations

    private func network(_ items: [SExpression], at position: SourcePosition, version: QueryVersion) throws -> NetworkDeclaration {
        guard items.count >= 2, case .atom(let name, let namePosition) = items[1] else {
            throw error("expected (declare-network NAME ...)", at: position)
        }
        try checkName(name, at: namePosition)
        var declaration = NetworkDeclaration(
            name: name, equivalence: nil, inputs: [], hidden: [], outputs: [], line: position.line, column: position.column)
        // The grammar's order: equivalences, inputs, hidden, outputs.
        var stage = 0
        for item in items.dropFirst(2) {
            guard case .list(let parts, let itemPosition) = item, case .atom(let head, _)? = parts.first else {
                throw error("expected (equal-to ...), (isomorphic-to ...) or (declare-input|declare-hidden|declare-output ...)", at: item.position)
            }
            let order = ["equal-to": 0, "isomorphic-to": 0, "declare-input": 1, "declare-hidden": 2, "declare-output": 3]
            guard let rank = order[head] else {
                throw error("unknown declaration '\(head)' in network \(name)", at: itemPosition)
            }
            guard rank >= stage else {
                throw error("\(head) comes too late: a network lists its equivalence, inputs, hidden nodes, then outputs, in that order", at: itemPosition)
            }
            stage = rank
            switch head {
            case "equal-to", "isomorphic-to":
                guard parts.count == 2, case .atom(let target, let targetPosition) = parts[1] else {
                    throw error("expected (\(head) NETWORK)", at: itemPosition)
                }
                try checkName(target, at: targetPosition)
                guard declaration.equivalence == nil else {
                    throw error("network \(name) has a second equal-to or isomorphic-to; at most one is allowed", at: itemPosition)
                }
                declaration.equivalence = head == "equal-to" ? .equalTo(target) : .isomorphicTo(target)
            case "declare-input":
                declaration.inputs.append(try tensor(parts, kind: .input, at: itemPosition, version: version))
            case "declare-hidden":
                declaration.hidden.append(try tensor(parts, kind: .hidden, at: itemPosition, version: version))
            default:
                declaration.outputs.append(try tensor(parts, kind: .output, at: itemPosition, version: version))
            }
        }
        guard !declaration.inputs.isEmpty else { throw error("network \(name) declares no input", at: position) }
        guard !declaration.outputs.isEmpty else { throw error("network \(name) declares no output", at: position) }
        return declaration
    }

    private func tensor(_ parts: [SExpression], kind: TensorDeclaration.Kind, at position: SourcePosition, version: QueryVersion) throws -> TensorDeclaration {
        let head = "declare-\(kind.rawValue)"
        let usage = kind == .hidden ? "(\(head) NAME TYPE [SHAPE] \"onnx-name\")" : "(\(head) NAME TYPE [SHAPE]\(kind == .input ? " [initialized]" : ""))"
        let expected = kind == .hidden ? 5 : 4
        guard parts.count >= expected, case .atom(let name, let namePosition) = parts[1], case .atom(let type, let typePosition) = parts[2],
            case .atom(let shapeText, let shapePosition) = parts[3]
        else { throw error("expected \(usage)", at: position) }
        try checkName(name, at: namePosition)
        guard Self.realTypeNames.contains(type) || ONNXElementTypes.names.contains(type) else {
            throw error("unknown element type '\(type)': expected real or an ONNX type such as float32", at: typePosition)
        }
        guard shapeText.hasPrefix("["), shapeText.hasSuffix("]"), let shape = Self.integerList(shapeText), shape.allSatisfy({ $0 > 0 }) else {
            throw error("bad shape '\(shapeText)': expected [d1,d2,...] of positive integers, or [] for a scalar", at: shapePosition)
        }
        // Beyond any network Verdict can read (the importer's limit too), and safe to multiply.
        let size = shape.reduce(into: (count: 1, overflow: false)) { total, dimension in
            let (product, overflow) = total.count.multipliedReportingOverflow(by: dimension)
            total = (product, total.overflow || overflow || product > 1 << 31)
        }
        guard !size.overflow else { throw error("shape \(shapeText) has more than 2^31 elements", at: shapePosition) }
        var declaration = TensorDeclaration(
            kind: kind, name: name, elementType: type, shape: shape, onnxName: nil, initialized: false, line: position.line, column: position.column)
        var rest = parts.dropFirst(4)
        if kind == .hidden {
            guard case .atom(let quoted, let quotedPosition)? = rest.first, quoted.hasPrefix("\""), quoted.count >= 2 else {
                throw error("a hidden declaration names its ONNX node output in double quotes: \(usage)", at: rest.first?.position ?? position)
            }
            declaration.onnxName = try Self.unquoted(quoted).orThrow(error("bad escape in \(quoted)", at: quotedPosition))
            rest = rest.dropFirst()
        }
        if kind == .input, case .atom("initialized", let optionPosition)? = rest.first {
            guard version >= QueryVersion(major: 2, minor: 1) else {
                throw error("initialized inputs came with VNN-LIB 2.1; this file says \(version)", at: optionPosition)
            }
            declaration.initialized = true
            rest = rest.dropFirst()
        }
        if let extra = rest.first { throw error("unexpected \(describe(extra)) in \(head): expected \(usage)", at: extra.position) }
        return declaration
    }

    /// Variable names: a letter, then letters, digits and underscores.
    private func checkName(_ name: String, at position: SourcePosition) throws {
        guard TensorElements.isVariableName(name) else { throw error("bad name '\(name)': names start with a letter and hold letters, digits and underscores", at: position) }
    }

    /// `[1,2,3]` → [1, 2, 3]; `[]` → []. Nil when it is not such a list.
    static func integerList(_ text: String) -> [Int]? {
        guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
        let inner = text.dropFirst().dropLast()
        if inner.isEmpty { return [] }
        var values: [Int] = []
        for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(part) else { return nil }
            values.append(value)
        }
        return values
    }

    /// The text inside `"..."` with `\"`, `\\`, `\n` and `\t` resolved; nil on a bad escape.
    static func unquoted(_ quoted: String) -> String? {
        var result = ""
        var escaping = false
        for character in quoted.dropFirst().dropLast() {
            if escaping {
                switch character {
                case "\"", "\\": result.append(character)
                case "n": result.append("\n")
                case "t": result.append("\t")
                default: return nil
                }
                escaping = false
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        return escaping ? nil : result
    }

    private func describe(_ expression: SExpression) -> String {
        switch expression {
        case .atom(let text, _): return "'\(text)'"
        case .list: return "a list"
        }
    }

    // MARK: Formulas

    private func formula(_ expression: SExpression) throws -> BoolExpression {
        try poll.step()
        guard case .list(let items, let position) = expression, case .atom(let head, _)? = items.first else {
            throw error("expected a formula such as (<= a b), (and ...) or (or ...)", at: expression.position)
        }
        let arguments = Array(items.dropFirst())
        switch head {
        case "and", "or":
            guard !arguments.isEmpty else { throw error("(\(head)) needs at least one formula", at: position) }
            let parts = try arguments.map(formula)
            return head == "and" ? .and(parts) : .or(parts)
        default:
            // The grammar writes equality `==`; the standard's text also uses `=`.
            guard let relation = BoolExpression.Relation(rawValue: head == "=" ? "==" : head) else {
                throw error("unknown formula operator '\(head)': expected and, or, <=, >=, <, >, == or !=", at: items[0].position)
            }
            let terms = try mergedIndices(arguments)
            guard terms.count == 2 else { throw error("\(head) compares exactly two terms, got \(terms.count)", at: position) }
            return .compare(relation, try term(terms[0]), try term(terms[1]), line: position.line, column: position.column)
        }
    }

    /// `X [0,1]` written with a space is the element `X[0,1]`.
    private func mergedIndices(_ items: [SExpression]) throws -> [SExpression] {
        var result: [SExpression] = []
        for item in items {
            if case .atom(let text, _) = item, text.hasPrefix("["), case .atom(let name, let position)? = result.last, !name.contains("[") {
                result[result.count - 1] = .atom(name + text, position)
            } else {
                result.append(item)
            }
        }
        return result
    }

    private func term(_ expression: SExpression) throws -> ArithmeticExpression {
        try poll.step()
        switch expression {
        case .atom(let text, let position):
            if let first = text.unicodeScalars.first, first == "-" || ("0"..."9").contains(first) || first == "." || first == "+" {
                guard DecimalLiteral(text) != nil else { throw error("bad number '\(text)'", at: position) }
                return .constant(text, line: position.line, column: position.column)
            }
            if let bracket = text.firstIndex(of: "[") {
                let name = String(text[..<bracket])
                try checkName(name, at: position)
                guard let indices = Self.integerList(String(text[bracket...])), !indices.isEmpty else {
                    throw error("bad index '\(text[bracket...])': expected [i,j,...] of non-negative integers", at: position)
                }
                return .element(name, indices: indices, line: position.line, column: position.column)
            }
            try checkName(text, at: position)
            return .element(text, indices: [], line: position.line, column: position.column)
        case .list(let items, let position):
            guard case .atom(let head, _)? = items.first else { throw error("expected a term", at: position) }
            let arguments = try mergedIndices(Array(items.dropFirst())).map(term)
            switch head {
            case "+":
                guard !arguments.isEmpty else { throw error("+ needs at least one term", at: position) }
                return .plus(arguments)
            case "*":
                guard !arguments.isEmpty else { throw error("* needs at least one term", at: position) }
                return .times(arguments)
            case "-":
                guard let first = arguments.first else { throw error("- needs at least one term", at: position) }
                return arguments.count == 1 ? .negate(first) : .minus(first, Array(arguments.dropFirst()))
            default:
                throw error("unknown term operator '\(head)': expected +, - or *", at: items[0].position)
            }
        }
    }
}

/// The ONNX element type names (the ONNX IR document's spelling, `float32`).
enum ONNXElementTypes {
    static let names: Set<String> = [
        "float32", "uint8", "int8", "uint16", "int16", "int32", "int64", "string", "bool", "float16", "float64", "uint32", "uint64",
        "complex64", "complex128", "bfloat16", "float8e4m3fn", "float8e4m3fnuz", "float8e5m2", "float8e5m2fnuz", "uint4", "int4", "float4e2m1",
    ]
    static let integers: Set<String> = ["uint8", "int8", "uint16", "int16", "int32", "int64", "uint32", "uint64", "uint4", "int4"]
}

extension Optional {
    fileprivate func orThrow(_ error: @autoclosure () -> any Error) throws -> Wrapped {
        guard let value = self else { throw error() }
        return value
    }
}
