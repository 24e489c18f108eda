import VerdictCore

/// Turns the commands of a VNN-LIB file into a ``Property``.
struct PropertyBuilder {
    let file: String
    private let poll: StopPoll
    private var inputIndices: Set<Int> = []
    private var outputIndices: Set<Int> = []
    private var assertions: [Formula] = []
    private var firstAssertion: SourcePosition?

    init(file: String, poll: StopPoll) {
        self.file = file
        self.poll = poll
    }

    private func error(_ message: String, at position: SourcePosition) -> VNNLIBError {
        VNNLIBError(file: file, line: position.line, column: position.column, message: message)
    }

    private func fileError(_ message: String) -> VNNLIBError {
        VNNLIBError(file: file, line: 0, column: 0, message: message)
    }

    // MARK: Commands

    mutating func readCommand(_ expression: SExpression) throws {
        guard case .list(let items, let position) = expression else {
            throw error("expected a command in parentheses, found '\(atomText(expression) ?? "")'", at: expression.position)
        }
        guard let head = items.first, let name = atomText(head) else {
            throw error("expected a command name", at: position)
        }
        switch name {
        case "declare-const":
            guard items.count == 3, let variable = atomText(items[1]), let sort = atomText(items[2]) else {
                throw error("expected (declare-const NAME Real)", at: position)
            }
            guard sort == "Real" else { throw error("variable \(variable) has sort \(sort); only Real is supported", at: items[2].position) }
            try declare(variable, at: items[1].position)
        case "assert":
            guard items.count == 2 else { throw error("assert takes exactly one formula, got \(items.count - 1)", at: position) }
            firstAssertion = firstAssertion ?? position
            assertions.append(try formula(items[1], negated: false))
        case "set-logic", "set-info", "set-option", "check-sat", "get-model", "exit":
            break  // SMT-LIB housekeeping: meaningless for a property.
        default:
            throw error("unknown command '\(name)'", at: head.position)
        }
    }

    private mutating func declare(_ name: String, at position: SourcePosition) throws {
        guard let (isInput, index) = variable(name) else {
            throw error("cannot declare '\(name)': variables must be named X_<index> (inputs) or Y_<index> (outputs)", at: position)
        }
        let inserted = isInput ? inputIndices.insert(index).inserted : outputIndices.insert(index).inserted
        guard inserted else { throw error("\(name) is declared twice", at: position) }
    }

    /// `X_12` → (true, 12); `Y_3` → (false, 3). The index is written as a plain decimal
    /// number: `X_01` or `X_+1` is another symbol, never `X_1`.
    private func variable(_ name: String) -> (isInput: Bool, index: Int)? {
        guard name.count > 2, let first = name.first, first == "X" || first == "Y",
            name.dropFirst().first == "_", let index = Int(name.dropFirst(2)), index >= 0,
            String(index) == name.dropFirst(2)
        else { return nil }
        return (first == "X", index)
    }

    // MARK: Formulas

    private func formula(_ expression: SExpression, negated: Bool) throws -> Formula {
        try poll.step()
        guard case .list(let items, let position) = expression, let head = items.first.flatMap(atomText) else {
            if let text = atomText(expression), text == "true" || text == "false" {
                // (and) is true, (or) is false.
                return (text == "true") != negated ? .and([]) : .or([])
            }
            throw error("expected a formula such as (<= a b), (and ...) or (or ...)", at: expression.position)
        }
        let arguments = Array(items.dropFirst())
        switch head {
        case "and", "or":
            let parts = try arguments.map { try formula($0, negated: negated) }
            return (head == "and") != negated ? .and(parts) : .or(parts)
        case "not":
            guard arguments.count == 1 else { throw error("not takes one formula", at: position) }
            return try formula(arguments[0], negated: !negated)
        case "<=", ">=", "<", ">", "=":
            guard arguments.count >= 2 else { throw error("\(head) needs at least two terms", at: position) }
            let terms = try arguments.map(term)
            var chain: [Formula] = []
            for index in 0..<(terms.count - 1) {
                chain.append(contentsOf: try comparisons(head, terms[index], terms[index + 1], at: arguments[index].position).map(Formula.comparison))
            }
            let conjunction = Formula.and(chain)
            return negated ? negate(conjunction) : conjunction
        default:
            throw error("unknown formula operator '\(head)'", at: items[0].position)
        }
    }

    private func negate(_ formula: Formula) -> Formula {
        switch formula {
        case .comparison(let comparison): return .comparison(comparison.negated)
        case .and(let parts): return .or(parts.map(negate))
        case .or(let parts): return .and(parts.map(negate))
        }
    }

    private func comparisons(
        _ relation: String, _ left: LinearExpression, _ right: LinearExpression, at position: SourcePosition
    ) throws -> [Comparison] {
        guard let leftMinusRight = left.adding(right.negated) else {
            throw error("coefficients of this comparison do not combine exactly in binary floating point", at: position)
        }
        let rightMinusLeft = leftMinusRight.negated
        switch relation {
        case "<=": return [Comparison(expression: leftMinusRight, isStrict: false, position: position)]
        case "<": return [Comparison(expression: leftMinusRight, isStrict: true, position: position)]
        case ">=": return [Comparison(expression: rightMinusLeft, isStrict: false, position: position)]
        case ">": return [Comparison(expression: rightMinusLeft, isStrict: true, position: position)]
        default:
            return [
                Comparison(expression: leftMinusRight, isStrict: false, position: position),
                Comparison(expression: rightMinusLeft, isStrict: false, position: position),
            ]
        }
    }

    // MARK: Terms

    private func term(_ expression: SExpression) throws -> LinearExpression {
        try poll.step()
        switch expression {
        case .atom(let text, let position):
            if let (isInput, index) = variable(text) {
                guard (isInput ? inputIndices : outputIndices).contains(index) else {
                    throw error("unknown variable \(text) (declare it with declare-const first)", at: position)
                }
                var result = LinearExpression()
                if isInput { result.inputCoefficients[index] = 1 } else { result.outputCoefficients[index] = 1 }
                return result
            }
            if let literal = DecimalLiteral(text) { return .constant(literal.interval) }
            if let first = text.unicodeScalars.first, first == "-" || first == "+" || first == "." || ("0"..."9").contains(first) {
                throw error("bad number '\(text)'", at: position)
            }
            throw error("unknown variable \(text)", at: position)
        case .list(let items, let position):
            guard let head = items.first.flatMap(atomText) else { throw error("expected a term", at: position) }
            let arguments = try items.dropFirst().map(term)
            switch head {
            case "+":
                return try arguments.reduce(LinearExpression()) { sum, next in
                    guard let total = sum.adding(next) else { throw inexact(position) }
                    return total
                }
            case "-":
                guard let first = arguments.first else { throw error("- needs at least one term", at: position) }
                if arguments.count == 1 { return first.negated }
                return try arguments.dropFirst().reduce(first) { difference, next in
                    guard let total = difference.adding(next.negated) else { throw inexact(position) }
                    return total
                }
            case "*":
                var product = LinearExpression.constant(RealInterval(exactly: 1))
                for (offset, factor) in arguments.enumerated() {
                    let factorPosition = items[offset + 1].position
                    if product.isConstant {
                        guard product.constant.isExact else { throw inexactCoefficient(factorPosition) }
                        guard let scaled = factor.scaled(by: product.constant.lower) else { throw inexact(position) }
                        product = scaled
                    } else if factor.isConstant {
                        guard factor.constant.isExact else { throw inexactCoefficient(factorPosition) }
                        guard let scaled = product.scaled(by: factor.constant.lower) else { throw inexact(position) }
                        product = scaled
                    } else {
                        throw error("product of two variables: only linear terms are supported", at: factorPosition)
                    }
                }
                return product
            default:
                throw error("unknown term operator '\(head)'", at: items[0].position)
            }
        }
    }

    private func inexact(_ position: SourcePosition) -> VNNLIBError {
        error("coefficients do not combine exactly in binary floating point", at: position)
    }

    private func inexactCoefficient(_ position: SourcePosition) -> VNNLIBError {
        error("this coefficient has no exact binary value; Verdict needs exact coefficients on variables", at: position)
    }

    private func atomText(_ expression: SExpression) -> String? {
        if case .atom(let text, _) = expression { return text }
        return nil
    }

    // MARK: Result

    func finish() throws -> Property {
        let inputCount = try contiguousCount(inputIndices, prefix: "X")
        let outputCount = try contiguousCount(outputIndices, prefix: "Y")
        guard inputCount > 0 else { throw fileError("no inputs declared (declare-const X_0 Real ...)") }
        guard outputCount > 0 else { throw fileError("no outputs declared (declare-const Y_0 Real ...)") }
        guard !assertions.isEmpty else { throw fileError("no assertions: the property says nothing") }
        let assembler = PropertyAssembler(file: file, poll: poll, inputCount: inputCount, outputCount: outputCount) { "X_\($0)" }
        return try assembler.property(assertions)
    }

    private func contiguousCount(_ indices: Set<Int>, prefix: String) throws -> Int {
        guard let largest = indices.max() else { return 0 }
        if indices.count != largest + 1 {
            let missing = (0...largest).first { !indices.contains($0) }!
            throw fileError("\(prefix)_\(missing) is not declared but \(prefix)_\(largest) is: variables must be numbered from 0 without gaps")
        }
        return largest + 1
    }}
