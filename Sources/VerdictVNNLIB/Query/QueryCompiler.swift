import VerdictCore

/// Where each declared variable lives in the network Verdict verifies: elements of its input
/// (one index per element, row-major; elements asserted equal share one), or a slice of its
/// output by the flat offset of the variable's first element.
public struct QueryLayout: Sendable {
    public enum Place: Sendable, Equatable {
        case input([Int])
        case output(Int)
    }

    public var places: [String: Place]
    public var inputCount: Int
    public var outputCount: Int

    public init(places: [String: Place], inputCount: Int, outputCount: Int) {
        self.places = places
        self.inputCount = inputCount
        self.outputCount = outputCount
    }
}

/// A 2.0 query as a ``Property`` over the laid-out network. Comparisons that bound one input
/// element by constants make the input box; every other comparison becomes a linear output
/// constraint. Inputs that such a comparison mentions (`X[0] - X[1] <= 0.1`, `Y[0] <= X[2]`)
/// are copied to extra outputs, `passthroughInputs`, which the network must append after its
/// own outputs in that order, so the engines bound them like any other output.
public struct CompiledQuery: Sendable {
    public let property: Property
    public let passthroughInputs: [Int]
}

public enum QueryCompiler {
    /// Checks the query's scoping and typing rules (before any model is read).
    public static func check(_ query: Query, file: String) throws {
        _ = try QueryTyping(file: file, query: query).check()
    }

    /// Pairs of elements, `(name, flat index)`, that a top-level assertion sets equal (`(== A[0]
    /// B[0])`, also inside a top-level `and`): inputs asserted equal can share one input of the
    /// verified network, which makes "the same input to two networks" exact instead of a
    /// zero-width relation.
    public static func topLevelEqualities(_ query: Query) -> [((String, Int), (String, Int))] {
        let shapes = Dictionary(query.declarations.map { ($0.name, $0.shape) }, uniquingKeysWith: { first, _ in first })
        func element(_ term: ArithmeticExpression) -> (String, Int)? {
            guard case .element(let name, let indices, _, _) = term, let shape = shapes[name] else { return nil }
            return (name, TensorElements.flatIndex(indices, shape: shape))
        }
        var pairs: [((String, Int), (String, Int))] = []
        var pending = query.assertions
        while let next = pending.popLast() {
            switch next {
            case .and(let parts): pending.append(contentsOf: parts)
            case .compare(.equal, let left, let right, _, _):
                if let a = element(left), let b = element(right) { pairs.append((a, b)) }
            default: continue
            }
        }
        return pairs
    }

    /// The floating-point type of a query's variables, when it is not `real`: constants are
    /// that type's values (the decimal rounded to nearest), and arithmetic in assertions,
    /// whose rounding Verdict does not bound yet, is refused.
    public enum FloatType: String, Sendable {
        case float32, float64

        /// The type as the rounding bounds see it.
        public var format: FloatFormat { self == .float32 ? .float32 : .float64 }

        /// The value of a decimal literal in this type, nil beyond its range.
        func value(_ text: String) -> Double? {
            let value = self == .float32 ? Float(text).map(Double.init) : Double(text)
            return value.flatMap { $0.isFinite ? $0 : nil }
        }
    }

    public static func compile(_ query: Query, file: String, layout: QueryLayout, floatType: FloatType? = nil) throws -> CompiledQuery {
        let variables = try QueryTyping(file: file, query: query).check()
        var builder = Builder(file: file, layout: layout, variables: variables, floatType: floatType)
        let formulas = try query.assertions.map { try builder.formula($0) }
        guard !formulas.isEmpty else {
            throw VNNLIBError(file: file, line: 0, column: 0, message: "no assertions: the query says nothing")
        }
        let names = builder.inputNames()
        let assembler = PropertyAssembler(
            file: file, poll: StopPoll { nil }, inputCount: layout.inputCount, outputCount: layout.outputCount + builder.passthrough.count
        ) { names[$0] }
        return CompiledQuery(property: try assembler.property(formulas), passthroughInputs: builder.passthrough)
    }

    private struct Builder {
        let file: String
        let layout: QueryLayout
        let variables: [String: (declaration: TensorDeclaration, network: Int)]
        let floatType: FloatType?
        var passthrough: [Int] = []
        var passthroughIndex: [Int: Int] = [:]

        init(file: String, layout: QueryLayout, variables: [String: (declaration: TensorDeclaration, network: Int)], floatType: FloatType?) {
            self.file = file
            self.layout = layout
            self.variables = variables
            self.floatType = floatType
        }

        private func error(_ message: String, line: Int, column: Int) -> VNNLIBError {
            VNNLIBError(file: file, line: line, column: column, message: message)
        }

        /// `A[0,3]` for each flat input index, for messages about unbounded inputs.
        func inputNames() -> [String] {
            var names = (0..<layout.inputCount).map { "input \($0)" }
            for (name, place) in layout.places.sorted(by: { $0.key > $1.key }) {
                guard case .input(let elements) = place, let declaration = variables[name]?.declaration else { continue }
                for flat in 0..<declaration.elementCount {
                    names[elements[flat]] = TensorElements.name(name, flat: flat, shape: declaration.shape)
                }
            }
            return names
        }

        mutating func formula(_ expression: BoolExpression) throws -> Formula {
            switch expression {
            case .and(let parts): return .and(try parts.map { try formula($0) })
            case .or(let parts): return .or(try parts.map { try formula($0) })
            case .compare(let relation, let left, let right, let line, let column):
                let position = SourcePosition(line: line, column: column)
                guard let difference = try term(left).adding(try term(right).negated) else {
                    throw error("coefficients of this comparison do not combine exactly in binary floating point", line: line, column: column)
                }
                let leftMinusRight = routed(difference), rightMinusLeft = routed(difference.negated)
                func comparison(_ expression: LinearExpression, strict: Bool) -> Formula {
                    .comparison(Comparison(expression: expression, isStrict: strict, position: position))
                }
                switch relation {
                case .lessEqual: return comparison(leftMinusRight, strict: false)
                case .less: return comparison(leftMinusRight, strict: true)
                case .greaterEqual: return comparison(rightMinusLeft, strict: false)
                case .greater: return comparison(rightMinusLeft, strict: true)
                case .equal: return .and([comparison(leftMinusRight, strict: false), comparison(rightMinusLeft, strict: false)])
                // a > b first: the order 1.0's (not (= a b)) gives, so converted files compile alike.
                case .notEqual: return .or([comparison(rightMinusLeft, strict: true), comparison(leftMinusRight, strict: true)])
                }
            }
        }

        /// A comparison that is not one input against constants reads its inputs through
        /// their passthrough outputs.
        private mutating func routed(_ expression: LinearExpression) -> LinearExpression {
            guard !expression.inputCoefficients.isEmpty,
                expression.inputCoefficients.count > 1 || !expression.outputCoefficients.isEmpty
            else { return expression }
            var result = expression
            for (input, coefficient) in expression.inputCoefficients.sorted(by: { $0.key < $1.key }) {
                let output: Int
                if let known = passthroughIndex[input] {
                    output = known
                } else {
                    output = layout.outputCount + passthrough.count
                    passthroughIndex[input] = output
                    passthrough.append(input)
                }
                result.outputCoefficients[output] = coefficient
            }
            result.inputCoefficients = [:]
            return result
        }

        private func term(_ expression: ArithmeticExpression) throws -> LinearExpression {
            if let floatType {
                switch expression {
                case .plus, .minus, .times:
                    let (line, column) = Self.position(expression)
                    throw error(
                        """
                        arithmetic in a \(floatType.rawValue) query: Verdict compares \(floatType.rawValue) values exactly but does not \
                        yet bound the rounding of + - * in assertions; compare single variables and constants, or declare the query real
                        """, line: line, column: column)
                default: break
                }
            }
            switch expression {
            case .constant(let text, let line, let column):
                guard let literal = DecimalLiteral(text) else { throw error("bad number '\(text)'", line: line, column: column) }
                guard let floatType else { return .constant(literal.interval) }
                guard let value = floatType.value(text) else {
                    throw error("\(text) is beyond the range of \(floatType.rawValue)", line: line, column: column)
                }
                return .constant(RealInterval(exactly: value))
            case .element(let name, let indices, let line, let column):
                guard let declaration = variables[name]?.declaration else {
                    throw error("unknown variable \(name)", line: line, column: column)
                }
                guard let place = layout.places[name] else {
                    throw error("\(name) is an initialized input, fixed to its default value; Verdict cannot constrain it", line: line, column: column)
                }
                let flat = TensorElements.flatIndex(indices, shape: declaration.shape)
                var result = LinearExpression()
                switch place {
                case .input(let elements): result.inputCoefficients[elements[flat]] = 1
                case .output(let offset): result.outputCoefficients[offset + flat] = 1
                }
                return result
            case .negate(let inner):
                return try term(inner).negated
            case .plus(let parts):
                return try parts.dropFirst().reduce(try term(parts[0])) { sum, next in
                    guard let total = sum.adding(try term(next)) else { throw inexact(next) }
                    return total
                }
            case .minus(let first, let rest):
                return try rest.reduce(try term(first)) { difference, next in
                    guard let total = difference.adding(try term(next).negated) else { throw inexact(next) }
                    return total
                }
            case .times(let parts):
                var product = LinearExpression.constant(RealInterval(exactly: 1))
                for part in parts {
                    let factor = try term(part)
                    let (line, column) = Self.position(part)
                    if product.isConstant || factor.isConstant {
                        // Scale by an exactly known constant: the factor when both are constants and only it is exact.
                        let factorFirst = !product.isConstant || (factor.isConstant && factor.constant.isExact && !product.constant.isExact)
                        let (constant, other) = factorFirst ? (factor, product) : (product, factor)
                        guard constant.constant.isExact else {
                            throw error("this coefficient has no exact binary value; Verdict needs exact coefficients on variables", line: line, column: column)
                        }
                        guard let scaled = other.scaled(by: constant.constant.lower) else { throw inexact(part) }
                        product = scaled
                    } else {
                        throw error("a product of two variables is polynomial (POLY); Verdict supports linear arithmetic (LIN)", line: line, column: column)
                    }
                }
                return product
            }
        }

        private func inexact(_ part: ArithmeticExpression) -> VNNLIBError {
            let (line, column) = Self.position(part)
            return error("coefficients do not combine exactly in binary floating point", line: line, column: column)
        }

        /// The position of a term's first constant or variable.
        static func position(_ expression: ArithmeticExpression) -> (Int, Int) {
            switch expression {
            case .constant(_, let line, let column), .element(_, _, let line, let column): return (line, column)
            case .negate(let inner): return position(inner)
            case .plus(let parts), .times(let parts): return position(parts[0])
            case .minus(let first, _): return position(first)
            }
        }
    }
}
