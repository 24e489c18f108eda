import CZ3
import VerdictBounds
import VerdictCore

/// "Some input of the box, with the given ReLU phases, reaches the unsafe region": the exact
/// question a branch-and-bound leaf (or a whole network, for `--engine z3`) asks Z3.
///
/// The encoding is exact over the reals, built from the imported network itself (the core
/// ``Network``, not a bound engine's form), every weight, bias and bound stated as the
/// rational value of its `Double` (``ExactRational``). Each operator states itself through
/// its rule in `Operators/` (``OperatorEncoding``): linear operators as one variable per
/// output, ReLUs and max pools as disjunctions where their phase is open. The unsafe region
/// is a disjunction of conjunctions `c·y <= b` (or `<`), with `b` the outer side of the file's
/// decimal. A positive `margin` asks for `c·y <= b - margin` instead: a point strictly
/// inside, which survives rounding to `Float` (used only for witnesses).
public struct NetworkQuery: Sendable {
    public var network: Network
    public var box: InputBox
    /// Per ReLU layer (the ReLU nodes in order) and neuron; nil leaves every ReLU free.
    public var phases: [[ReluPhase]]?
    /// Sound pre-activation bounds over the box (with the phases); nil when none are known.
    public var layerBounds: LayerBounds?
    public var unsafe: OutputRegion
    public var margin: Double

    public init(network: Network, box: InputBox, phases: [[ReluPhase]]? = nil, layerBounds: LayerBounds? = nil, unsafe: OutputRegion, margin: Double = 0) {
        self.network = network
        self.box = box
        self.phases = phases
        self.layerBounds = layerBounds
        self.unsafe = unsafe
        self.margin = margin
    }

    /// The Z3 solver for this query: the general one for a whole network (no phases), whose
    /// preprocessing pays off there; the SMT core for a branch-and-bound leaf, where the
    /// general solver's setup would dominate (see ``Z3Solver/Setup``).
    public var solverSetup: Z3Solver.Setup { phases == nil ? .general : .core }

    public enum Outcome: Sendable, Equatable {
        case unsat
        /// Z3's model for the inputs (decimal approximations of the real values).
        case sat(input: [Double])
        case unknown(reason: String)
    }

    /// Number of ReLUs the encoding leaves as disjunctions.
    public var unstableCount: Int {
        var count = 0
        let widths = network.nodes.filter { $0.layer is ReLULayer }.map(\.layer.outputShape.elementCount)
        for (layer, width) in widths.enumerated() {
            for j in 0..<width where isUnstable(layer, j) { count += 1 }
        }
        return count
    }

    private func isUnstable(_ layer: Int, _ j: Int) -> Bool {
        if let phases, phases[layer][j] != .free { return false }
        guard let layerBounds else { return true }
        return layerBounds.lower[layer][j] < 0 && layerBounds.upper[layer][j] > 0
    }

    /// Encodes the query into `solver` (a fresh one) and checks it.
    public func solve(with solver: Z3Solver) throws -> Outcome {
        let context = solver.context
        var builder = EncodingBuilder(context: context, phases: phases, layerBounds: layerBounds)
        // Inputs in the box.
        var values: [[Z3_ast?]] = [(0..<box.dimension).map { i in
            let x = builder.variable("x_\(i)")
            builder.require(Z3_mk_ge(context, x, builder.number(box.lower[i]))!)
            builder.require(Z3_mk_le(context, x, builder.number(box.upper[i]))!)
            return x
        }]
        for (index, node) in network.nodes.enumerated() {
            let rule = try OperatorEncodings.make(node.layer)
            values.append(try rule.encode(node.inputs.map { values[$0.valueIndex] }, node: index, builder: &builder))
        }
        let outputs = values[network.output.valueIndex]
        // The unsafe region over the outputs.
        var disjuncts: [Z3_ast?] = []
        for conjunction in unsafe.disjuncts {
            var parts: [Z3_ast?] = []
            for constraint in conjunction {
                var weights = [Double](repeating: 0, count: network.outputCount)
                for term in constraint.terms { weights[term.index] = term.coefficient }
                let left = builder.affine(weights, outputs, constant: 0)
                let bound = Z3_mk_sub(context, 2, [builder.number(constraint.bound.upper), builder.number(margin)])!
                parts.append(constraint.isStrict || margin > 0 ? Z3_mk_lt(context, left, bound) : Z3_mk_le(context, left, bound))
            }
            disjuncts.append(parts.isEmpty ? Z3_mk_true(context) : Z3_mk_and(context, UInt32(parts.count), parts))
        }
        builder.require(disjuncts.isEmpty ? Z3_mk_false(context)! : Z3_mk_or(context, UInt32(disjuncts.count), disjuncts)!)
        try solver.checkError("building the network encoding")
        for formula in builder.assertions { Z3_solver_assert(context, solver.solver, formula) }
        try solver.checkError("Z3_solver_assert")

        switch try solver.check() {
        case .unsat:
            return .unsat
        case .unknown:
            return .unknown(reason: solver.reasonUnknown)
        case .sat:
            var input: [Double] = []
            for i in 0..<box.dimension {
                guard let value = try solver.modelValue(ofReal: "x_\(i)") else { return .unknown(reason: "no model value for x_\(i)") }
                input.append(value)
            }
            return .sat(input: input)
        }
    }
}
