/// A VNN-LIB 2.0 query as written: network declarations, then assertions.
///
/// Read by ``QueryReader``, checked by ``QueryTyping``, and brought to a ``Property`` over a
/// product network by ``QueryCompiler``. Positions point into the file for messages.
public struct Query: Sendable {
    public var version: QueryVersion
    public var networks: [NetworkDeclaration]
    public var assertions: [BoolExpression]

    public init(version: QueryVersion, networks: [NetworkDeclaration], assertions: [BoolExpression]) {
        self.version = version
        self.networks = networks
        self.assertions = assertions
    }

    /// Every declared tensor in declaration order (network by network: inputs, hidden,
    /// outputs), the order the standard prints assignments in.
    public var declarations: [TensorDeclaration] { networks.flatMap(\.tensors) }
}

/// `(vnnlib-version <major.minor>)`.
public struct QueryVersion: Sendable, Equatable, Comparable, CustomStringConvertible {
    public let major: Int
    public let minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public static func < (left: QueryVersion, right: QueryVersion) -> Bool {
        (left.major, left.minor) < (right.major, right.minor)
    }

    public var description: String { "\(major).\(minor)" }
}

/// `(declare-network NAME [equivalence] inputs hidden outputs)`.
public struct NetworkDeclaration: Sendable {
    public enum Equivalence: Sendable, Equatable {
        /// The same model file as the named network.
        case equalTo(String)
        /// A model with the named network's graph, other weights.
        case isomorphicTo(String)

        public var target: String {
            switch self {
            case .equalTo(let name), .isomorphicTo(let name): return name
            }
        }
    }

    public var name: String
    public var equivalence: Equivalence?
    public var inputs: [TensorDeclaration]
    public var hidden: [TensorDeclaration]
    public var outputs: [TensorDeclaration]
    public var line: Int
    public var column: Int

    public var tensors: [TensorDeclaration] { inputs + hidden + outputs }
}

/// `(declare-input|declare-hidden|declare-output NAME TYPE [d1,...] ["onnx-name"] [initialized])`.
public struct TensorDeclaration: Sendable {
    public enum Kind: String, Sendable { case input, hidden, output }

    public var kind: Kind
    public var name: String
    /// As written: `real` (or `Real`) or an ONNX element type such as `float32`.
    public var elementType: String
    public var shape: [Int]
    /// The ONNX value a hidden declaration names.
    public var onnxName: String?
    /// An input marked `initialized` (VNN-LIB 2.1).
    public var initialized: Bool
    public var line: Int
    public var column: Int

    public var elementCount: Int { shape.reduce(1, *) }
    public var isReal: Bool { elementType == "real" || elementType == "Real" }
}

/// Row-major element addressing and the names 2.0 gives elements, shared by the compiler and
/// the converters.
public enum TensorElements {
    /// The flat (row-major) index of `indices` in a tensor of `shape`.
    public static func flatIndex(_ indices: [Int], shape: [Int]) -> Int {
        zip(indices, shape).reduce(0) { $0 * $1.1 + $1.0 }
    }

    /// `NAME[i,j]` for element `flat` of a tensor of `shape`; `NAME` for a scalar.
    public static func name(_ name: String, flat: Int, shape: [Int]) -> String {
        guard !shape.isEmpty else { return name }
        var rest = flat, indices: [Int] = []
        for size in shape.reversed() {
            indices.insert(rest % size, at: 0)
            rest /= size
        }
        return "\(name)[\(indices.map(String.init).joined(separator: ","))]"
    }

    /// A 2.0 variable name: a letter, then letters, digits and underscores (ASCII).
    public static func isVariableName<Text: StringProtocol>(_ text: Text) -> Bool {
        func letter(_ scalar: Unicode.Scalar) -> Bool { ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) }
        guard let first = text.unicodeScalars.first, letter(first) else { return false }
        return text.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}

/// A comparison or an n-ary `and`/`or` of them.
public indirect enum BoolExpression: Sendable {
    public enum Relation: String, Sendable, CaseIterable {
        case lessEqual = "<=", greaterEqual = ">=", less = "<", greater = ">", equal = "==", notEqual = "!="
    }

    case compare(Relation, ArithmeticExpression, ArithmeticExpression, line: Int, column: Int)
    case and([BoolExpression])
    case or([BoolExpression])
}

/// A term: a constant, a tensor element, or n-ary `+ - *` and negation of terms.
public indirect enum ArithmeticExpression: Sendable {
    /// The literal as written.
    case constant(String, line: Int, column: Int)
    /// `NAME` (a scalar) or `NAME[i,j,...]`.
    case element(String, indices: [Int], line: Int, column: Int)
    case negate(ArithmeticExpression)
    case plus([ArithmeticExpression])
    /// `(- a b c)` is `a - b - c`.
    case minus(ArithmeticExpression, [ArithmeticExpression])
    case times([ArithmeticExpression])
}
