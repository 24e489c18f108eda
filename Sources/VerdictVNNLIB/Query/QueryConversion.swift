/// Conversion between VNN-LIB 1.0 properties and 2.0 queries, formula by formula (the
/// assertions keep their shape; nothing is brought to normal form).
///
/// 1.0 → 2.0 needs the model's interface: `X_i` becomes `X[...]` of the graph input's shape,
/// `Y_j` becomes `Y[...]` of the output's, and graph inputs with an initializer's default
/// are declared `initialized` (which makes the query 2.1). Everything is declared `real` (a
/// 1.0 property is about the network in real arithmetic), or another element type on request
/// (`float32`: the same assertions about the model's float evaluation). 2.0 → 1.0 takes one network with one
/// input and one output and no hidden declarations, and numbers the elements row-major.
public enum QueryConversion {
    /// One graph input of the model, in the model's order.
    public struct GraphInput: Sendable {
        public let shape: [Int]
        public let hasDefault: Bool

        public init(shape: [Int], hasDefault: Bool) {
            self.shape = shape
            self.hasDefault = hasDefault
        }
    }

    public static func version2(
        of text: String, file: String, networkName: String = "N", inputs: [GraphInput], outputShape: [Int], elementType: String = "real"
    ) throws -> String {
        var reader = SExpressionReader(bytes: Array(text.utf8), file: file, poll: StopPoll { nil })
        let expressions = try reader.readAll()
        guard inputs.filter({ !$0.hasDefault }).count == 1, let input = inputs.first(where: { !$0.hasDefault }) else {
            throw VNNLIBError(file: file, line: 0, column: 0, message: "a 1.0 property is about a network with one input; this model has \(inputs.filter { !$0.hasDefault }.count)")
        }
        // Checks the 1.0 text (declarations, linearity, every input bounded) before converting.
        var builder = PropertyBuilder(file: file, poll: StopPoll { nil })
        for expression in expressions { try builder.readCommand(expression) }
        let property = try builder.finish()
        guard property.inputCount == input.shape.reduce(1, *), property.outputCount == outputShape.reduce(1, *) else {
            throw VNNLIBError(
                file: file, line: 0, column: 0,
                message: "the property has \(property.inputCount) inputs and \(property.outputCount) outputs; the model \(input.shape.reduce(1, *)) and \(outputShape.reduce(1, *))")
        }
        let converter = Converter1To2(file: file, inputShape: input.shape, outputShape: outputShape)
        let usesDefaults = inputs.contains { $0.hasDefault }
        var lines = ["; converted from \(file.split(separator: "/").last.map(String.init) ?? file) by verdict spec --to 2.0", "(vnnlib-version <\(usesDefaults ? "2.1" : "2.0")>)", "", "(declare-network \(networkName)"]
        var defaultNumber = 0
        for graphInput in inputs {
            let shape = "[\(graphInput.shape.map(String.init).joined(separator: ","))]"
            if graphInput.hasDefault {
                lines.append("    (declare-input D\(defaultNumber) \(elementType) \(shape) initialized)")
                defaultNumber += 1
            } else {
                lines.append("    (declare-input X \(elementType) \(shape))")
            }
        }
        lines.append("    (declare-output Y \(elementType) [\(outputShape.map(String.init).joined(separator: ","))])")
        lines.append(")")
        lines.append("")
        for expression in expressions {
            guard case .list(let items, _) = expression, case .atom("assert", _)? = items.first, items.count == 2 else { continue }
            lines.append("(assert \(try converter.formula(items[1], negated: false)))")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The 1.0 form of a query over one network with one input and one output.
    public static func version1(of query: Query, file: String) throws -> String {
        // Initialized inputs are constants (the model's weights, for old exporters): not 1.0 variables.
        let free = query.networks.first?.inputs.filter { !$0.initialized } ?? []
        guard query.networks.count == 1, let network = query.networks.first, free.count == 1, network.outputs.count == 1, network.hidden.isEmpty
        else {
            throw VNNLIBError(file: file, line: 0, column: 0, message: "only a query over one network with one input, one output and no hidden declarations has a 1.0 form")
        }
        try QueryCompiler.check(query, file: file)
        let input = free[0], output = network.outputs[0]
        var lines = ["; converted from \(file.split(separator: "/").last.map(String.init) ?? file) by verdict spec --to 1.0"]
        lines += (0..<input.elementCount).map { "(declare-const X_\($0) Real)" }
        lines += (0..<output.elementCount).map { "(declare-const Y_\($0) Real)" }
        let names = [input.name: ("X", input.shape), output.name: ("Y", output.shape)]
        let converter = Converter2To1(file: file, names: names)
        for assertion in query.assertions { lines.append("(assert \(try converter.formula(assertion)))") }
        return lines.joined(separator: "\n") + "\n"
    }
}

private struct Converter1To2 {
    let file: String
    let inputShape: [Int]
    let outputShape: [Int]

    private func error(_ message: String, at position: SourcePosition) -> VNNLIBError {
        VNNLIBError(file: file, line: position.line, column: position.column, message: message)
    }

    /// The formula in 2.0 syntax; `not` is pushed into the comparisons (2.0 has none).
    func formula(_ expression: SExpression, negated: Bool) throws -> String {
        guard case .list(let items, let position) = expression, case .atom(let head, _)? = items.first else {
            throw error("cannot convert this formula (true, false or a bare symbol)", at: expression.position)
        }
        let arguments = Array(items.dropFirst())
        switch head {
        case "and", "or":
            let joined = try arguments.map { try formula($0, negated: negated) }.joined(separator: " ")
            return "(\((head == "and") != negated ? "and" : "or") \(joined))"
        case "not":
            return try formula(arguments[0], negated: !negated)
        default:
            let terms = try arguments.map(term)
            var pairs: [String] = []
            for index in 0..<(terms.count - 1) {
                let (left, right) = (terms[index], terms[index + 1])
                let relation: String
                switch (head, negated) {
                case ("<=", false), (">", true): relation = "<="
                case (">=", false), ("<", true): relation = ">="
                case ("<", false), (">=", true): relation = "<"
                case (">", false), ("<=", true): relation = ">"
                case ("=", false): relation = "=="
                case ("=", true): relation = "!="
                default: throw error("cannot convert '\(head)'", at: position)
                }
                // A negated (<= ...) of before (> ...) is its strict opposite, as above.
                pairs.append("(\(relation) \(left) \(right))")
            }
            guard pairs.count > 1 else { return pairs[0] }
            return "(\(negated ? "or" : "and") \(pairs.joined(separator: " ")))"
        }
    }

    private func term(_ expression: SExpression) throws -> String {
        switch expression {
        case .atom(let text, let position):
            if let first = text.first, first == "X" || first == "Y", text.dropFirst().first == "_", let flat = Int(text.dropFirst(2)) {
                return TensorElements.name(first == "X" ? "X" : "Y", flat: flat, shape: first == "X" ? inputShape : outputShape)
            }
            guard let plain = plainDecimal(text) else { throw error("cannot convert '\(text)'", at: position) }
            return plain
        case .list(let items, _):
            return "(" + (try items.enumerated().map { index, item in
                if index == 0, case .atom(let head, _) = item { return head }
                return try term(item)
            }).joined(separator: " ") + ")"
        }
    }
}

/// A decimal literal in the 2.0 grammar's form (`-?digits(.digits)?`): exponents written
/// out, a leading `+` or `.` and a trailing `.` removed. The value is unchanged.
func plainDecimal(_ text: String) -> String? {
    guard DecimalLiteral(text) != nil else { return nil }
    var body = Substring(text)
    var negative = false
    if body.first == "+" || body.first == "-" {
        negative = body.first == "-"
        body = body.dropFirst()
    }
    var exponent = 0
    if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        // Past 10^±400 a Double is 0 or infinite: such a literal is not written out in digits.
        guard let value = Int(body[body.index(after: e)...]), abs(value) <= 400 else { return nil }
        exponent = value
        body = body[..<e]
    }
    let parts = body.split(separator: ".", omittingEmptySubsequences: false)
    var integer = String(parts[0]), fraction = parts.count > 1 ? String(parts[1]) : ""
    // Move the point by the exponent.
    if exponent > 0 {
        fraction += String(repeating: "0", count: max(0, exponent - fraction.count))
        integer += fraction.prefix(exponent)
        fraction = String(fraction.dropFirst(exponent))
    } else if exponent < 0 {
        integer = String(repeating: "0", count: max(0, -exponent - integer.count)) + integer
        fraction = String(integer.suffix(-exponent)) + fraction
        integer = String(integer.dropLast(-exponent))
    }
    integer = String(integer.drop { $0 == "0" })
    if integer.isEmpty { integer = "0" }
    let result = fraction.isEmpty ? integer : "\(integer).\(fraction)"
    return negative ? "-" + result : result
}

private struct Converter2To1 {
    let file: String
    let names: [String: (String, [Int])]

    func formula(_ expression: BoolExpression) throws -> String {
        switch expression {
        case .and(let parts): return "(and \(try parts.map(formula).joined(separator: " ")))"
        case .or(let parts): return "(or \(try parts.map(formula).joined(separator: " ")))"
        case .compare(let relation, let left, let right, _, _):
            let (a, b) = (try term(left), try term(right))
            switch relation {
            case .equal: return "(= \(a) \(b))"
            case .notEqual: return "(or (> \(a) \(b)) (< \(a) \(b)))"
            default: return "(\(relation.rawValue) \(a) \(b))"
            }
        }
    }

    func term(_ expression: ArithmeticExpression) throws -> String {
        switch expression {
        case .constant(let text, _, _): return text
        case .element(let name, let indices, let line, let column):
            guard let (prefix, shape) = names[name] else {
                throw VNNLIBError(file: file, line: line, column: column, message: "\(name) is an initialized input, a constant with no 1.0 form")
            }
            return "\(prefix)_\(TensorElements.flatIndex(indices, shape: shape))"
        case .negate(let inner): return "(- \(try term(inner)))"
        case .plus(let parts): return "(+ \(try parts.map(term).joined(separator: " ")))"
        case .times(let parts): return "(* \(try parts.map(term).joined(separator: " ")))"
        case .minus(let first, let rest): return "(- \(try ([first] + rest).map(term).joined(separator: " ")))"
        }
    }
}
