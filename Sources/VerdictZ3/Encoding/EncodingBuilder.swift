import CZ3
import VerdictBounds
import VerdictCore

/// The state of one encoding: the Z3 context, the assertions so far, and what a ReLU's rule
/// needs to know of its layer (the phases and sound bounds of the query). Values are Z3 terms,
/// nil for an exact zero (a ReLU fixed inactive), which the sums skip.
public struct EncodingBuilder {
    public let context: Z3_context
    let real: Z3_sort
    public private(set) var assertions: [Z3_ast] = []
    /// Per ReLU layer and neuron; nil leaves every ReLU free.
    let phases: [[ReluPhase]]?
    /// Sound pre-activation bounds per ReLU layer; nil when none are known.
    let layerBounds: LayerBounds?
    /// The ReLU layer the next ReLU node is (ReLU layers are numbered in node order).
    var nextReluLayer = 0

    init(context: Z3_context, phases: [[ReluPhase]]?, layerBounds: LayerBounds?) {
        self.context = context
        real = Z3_mk_real_sort(context)!
        self.phases = phases
        self.layerBounds = layerBounds
    }

    public func variable(_ name: String) -> Z3_ast { Z3_mk_const(context, Z3_mk_string_symbol(context, name), real)! }

    /// The exact rational value of a `Double`.
    public func number(_ value: Double) -> Z3_ast { Z3_mk_numeral(context, ExactRational.numeral(value), real)! }

    public mutating func require(_ formula: Z3_ast) { assertions.append(formula) }

    /// `Σ weights[j]·values[j] + constant`, skipping zero weights and absent (zero) values.
    public func affine<Weights: Sequence<Double>>(_ weights: Weights, _ values: [Z3_ast?], constant: Double) -> Z3_ast {
        var terms: [Z3_ast?] = []
        for (offset, weight) in weights.enumerated() where weight != 0 {
            guard let value = values[offset] else { continue }
            terms.append(weight == 1 ? value : Z3_mk_mul(context, 2, [number(weight), value]))
        }
        if constant != 0 || terms.isEmpty { terms.append(number(constant)) }
        return terms.count == 1 ? terms[0]! : Z3_mk_add(context, UInt32(terms.count), terms)!
    }

    /// `Σ (weight, value) + constant` from explicit pairs (sparse operators).
    public func sum(_ pairs: [(Double, Z3_ast)], constant: Double) -> Z3_ast {
        affine(pairs.map(\.0), pairs.map { Optional($0.1) }, constant: constant)
    }

    /// A fresh variable named `name` equal to `term`: keeps the formula's size linear in the
    /// network's (a sum of sums would not be).
    public mutating func define(_ name: String, as term: Z3_ast) -> Z3_ast {
        let v = variable(name)
        require(Z3_mk_eq(context, v, term)!)
        return v
    }
}

/// How one operator is stated exactly over the reals: its outputs as Z3 terms of its inputs,
/// with whatever constraints that takes (a disjunction per unstable ReLU or undecided max).
protocol OperatorEncoding {
    /// `node` names the variables; `inputs` are the terms of each input value.
    func encode(_ inputs: [[Z3_ast?]], node: Int, builder: inout EncodingBuilder) throws -> [Z3_ast?]
}

/// The registry: the exact encoding of every layer type.
enum OperatorEncodings {
    /// One line per operator.
    static let all: [@Sendable (any Layer) -> (any OperatorEncoding)?] = [
        { ($0 as? AffineLayer).map(AffineEncoding.init) },
        { ($0 as? ConvLayer).map(ConvEncoding.init) },
        { ($0 as? ReLULayer).map { _ in ReLUEncoding() } },
        { ($0 as? MaxPoolLayer).map(MaxPoolEncoding.init) },
        { ($0 as? SumLayer).map(SumEncoding.init) },
        { ($0 as? ScaleShiftLayer).map(ScaleShiftEncoding.init) },
        { ($0 as? SelectLayer).map(SelectEncoding.init) },
    ]

    static func make(_ layer: any Layer) throws -> any OperatorEncoding {
        for maker in all { if let rule = maker(layer) { return rule } }
        throw Z3Error(call: "encoding", message: "no exact encoding for \(layer.operatorName)")
    }
}
