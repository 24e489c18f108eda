import CZ3
import VerdictBounds
import VerdictCore

/// "Some input of the box, with the given ReLU phases, reaches the unsafe region": the exact
/// question a branch-and-bound leaf (or a whole network, for `--engine z3`) asks Z3.
///
/// The encoding is exact over the reals, with every weight, bias and bound stated as the
/// rational value of its `Double` (``ExactRational``):
/// - `z_k = W_k a_{k-1} + b_k` with `a_{-1} = x` in the box;
/// - a ReLU fixed or stable active is `a = z, z >= 0`; fixed or stable inactive is `a = 0,
///   z <= 0`; an unstable one is the disjunction `(z >= 0 ∧ a = z) ∨ (z <= 0 ∧ a = 0)`, plus
///   the triangle `a >= 0, a >= z, a <= u(z - l)/(u - l)` when bounds are known (implied, but
///   it prunes Z3's case splits);
/// - known pre-activation bounds `l <= z <= u` are added as they are: they come from a sound
///   bound engine, so they remove no real input;
/// - the unsafe region is a disjunction of conjunctions `c·y <= b` (or `<`), with `b` the outer
///   side of the file's decimal. A positive `margin` asks for `c·y <= b - margin` instead: a
///   point strictly inside, which survives rounding to `Float` (used only for witnesses).
public struct ReluNetworkQuery: Sendable {
    public var network: BoundNetwork
    public var box: InputBox
    /// Per ReLU layer and neuron; nil leaves every ReLU free.
    public var phases: [[ReluPhase]]?
    /// Sound pre-activation bounds over the box (with the phases); nil when none are known.
    public var layerBounds: LayerBounds?
    public var unsafe: OutputRegion
    public var margin: Double

    public init(network: BoundNetwork, box: InputBox, phases: [[ReluPhase]]? = nil, layerBounds: LayerBounds? = nil, unsafe: OutputRegion, margin: Double = 0) {
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
        for layer in 0..<network.reluLayerCount {
            for j in 0..<network.reluWidth(layer) where isUnstable(layer, j) { count += 1 }
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
        let real = Z3_mk_real_sort(context)!
        func variable(_ name: String) -> Z3_ast { Z3_mk_const(context, Z3_mk_string_symbol(context, name), real)! }
        func number(_ value: Double) -> Z3_ast { Z3_mk_numeral(context, ExactRational.numeral(value), real)! }
        let zero = number(0)
        var assertions: [Z3_ast] = []
        func require(_ formula: Z3_ast) { assertions.append(formula) }
        /// `Σ weights[j]·values[j] + constant`, skipping zero weights and absent values.
        func affine(_ weights: ArraySlice<Double>, _ values: [Z3_ast?], constant: Double) -> Z3_ast {
            var terms: [Z3_ast?] = []
            for (offset, weight) in weights.enumerated() where weight != 0 {
                guard let value = values[offset] else { continue }
                terms.append(weight == 1 ? value : Z3_mk_mul(context, 2, [number(weight), value]))
            }
            if constant != 0 || terms.isEmpty { terms.append(number(constant)) }
            return terms.count == 1 ? terms[0]! : Z3_mk_add(context, UInt32(terms.count), terms)!
        }

        // Inputs in the box.
        var values: [Z3_ast?] = []
        for i in 0..<box.dimension {
            let x = variable("x_\(i)")
            require(Z3_mk_ge(context, x, number(box.lower[i]))!)
            require(Z3_mk_le(context, x, number(box.upper[i]))!)
            values.append(x)
        }
        for layer in 0...network.reluLayerCount {
            let stage = network.stages[layer]
            var next: [Z3_ast?] = []
            for o in 0..<stage.outputCount {
                let row = stage.weights[(o * stage.inputCount)..<((o + 1) * stage.inputCount)]
                let sum = affine(row, values, constant: stage.bias[o])
                guard layer < network.reluLayerCount else {
                    next.append(sum)
                    continue
                }
                let z = variable("z_\(layer)_\(o)")
                require(Z3_mk_eq(context, z, sum)!)
                let phase = phases?[layer][o] ?? .free
                // Engine bounds rounded outward to Float: still sound, and short numerals keep
                // Z3's exact simplex fast (53-bit fractions made leaves several times slower).
                let lower = (layerBounds?.lower[layer][o]).map { Double(Float($0).nextDown) } ?? -.infinity
                let upper = (layerBounds?.upper[layer][o]).map { Double(Float($0).nextUp) } ?? .infinity
                if lower.isFinite { require(Z3_mk_ge(context, z, number(lower))!) }
                if upper.isFinite { require(Z3_mk_le(context, z, number(upper))!) }
                if phase == .active || (phase == .free && lower >= 0) {
                    require(Z3_mk_ge(context, z, zero)!)
                    next.append(z)
                } else if phase == .inactive || upper <= 0 {
                    require(Z3_mk_le(context, z, zero)!)
                    next.append(nil)
                } else {
                    let a = variable("a_\(layer)_\(o)")
                    let activeCase = Z3_mk_and(context, 2, [Z3_mk_ge(context, z, zero), Z3_mk_eq(context, a, z)])!
                    let inactiveCase = Z3_mk_and(context, 2, [Z3_mk_le(context, z, zero), Z3_mk_eq(context, a, zero)])!
                    require(Z3_mk_or(context, 2, [activeCase, inactiveCase])!)
                    require(Z3_mk_ge(context, a, zero)!)
                    require(Z3_mk_ge(context, a, z)!)
                    if lower.isFinite && upper.isFinite {
                        // (u - l)·a <= u·(z - l), all exact rationals.
                        let width = Z3_mk_sub(context, 2, [number(upper), number(lower)])!
                        let left = Z3_mk_mul(context, 2, [width, a])!
                        let right = Z3_mk_mul(context, 2, [number(upper), Z3_mk_sub(context, 2, [z, number(lower)])])!
                        require(Z3_mk_le(context, left, right)!)
                    }
                    next.append(a)
                }
            }
            values = next
        }
        // The unsafe region over the outputs.
        var disjuncts: [Z3_ast?] = []
        for conjunction in unsafe.disjuncts {
            var parts: [Z3_ast?] = []
            for constraint in conjunction {
                var weights = [Double](repeating: 0, count: network.outputCount)
                for term in constraint.terms { weights[term.index] = term.coefficient }
                let left = affine(weights[...], values, constant: 0)
                let bound = Z3_mk_sub(context, 2, [number(constraint.bound.upper), number(margin)])!
                parts.append(constraint.isStrict || margin > 0 ? Z3_mk_lt(context, left, bound) : Z3_mk_le(context, left, bound))
            }
            disjuncts.append(parts.isEmpty ? Z3_mk_true(context) : Z3_mk_and(context, UInt32(parts.count), parts))
        }
        require(disjuncts.isEmpty ? Z3_mk_false(context)! : Z3_mk_or(context, UInt32(disjuncts.count), disjuncts)!)
        try solver.checkError("building the network encoding")
        for formula in assertions { Z3_solver_assert(context, solver.solver, formula) }
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
