import CZ3
import VerdictBounds
import VerdictCore

/// `a = max(0, z)`. A ReLU fixed or stable active is `a = z, z >= 0`; fixed or stable inactive
/// is `a = 0, z <= 0`; an unstable one is the disjunction `(z >= 0 ∧ a = z) ∨ (z <= 0 ∧ a = 0)`,
/// plus the triangle `a >= 0, a >= z, (u - l)·a <= u·(z - l)` when bounds are known (implied,
/// but it prunes Z3's case splits). Known bounds `l <= z <= u` come from a sound engine, so
/// they remove no real input.
struct ReLUEncoding: OperatorEncoding {
    func encode(_ inputs: [[Z3_ast?]], node: Int, builder: inout EncodingBuilder) throws -> [Z3_ast?] {
        let layer = builder.nextReluLayer
        builder.nextReluLayer += 1
        let context = builder.context, zero = builder.number(0)
        return inputs[0].enumerated().map { j, term -> Z3_ast? in
            let z = term ?? zero
            let phase = builder.phases?[layer][j] ?? .free
            // Engine bounds rounded outward to Float: still sound, and short numerals keep
            // Z3's exact simplex fast (53-bit fractions made leaves several times slower).
            let lower = (builder.layerBounds?.lower[layer][j]).map { Double(Float($0).nextDown) } ?? -.infinity
            let upper = (builder.layerBounds?.upper[layer][j]).map { Double(Float($0).nextUp) } ?? .infinity
            if lower.isFinite { builder.require(Z3_mk_ge(context, z, builder.number(lower))!) }
            if upper.isFinite { builder.require(Z3_mk_le(context, z, builder.number(upper))!) }
            if phase == .active || (phase == .free && lower >= 0) {
                builder.require(Z3_mk_ge(context, z, zero)!)
                return z
            }
            if phase == .inactive || upper <= 0 {
                builder.require(Z3_mk_le(context, z, zero)!)
                return nil
            }
            let a = builder.variable("a_\(node)_\(j)")
            let activeCase = Z3_mk_and(context, 2, [Z3_mk_ge(context, z, zero), Z3_mk_eq(context, a, z)])!
            let inactiveCase = Z3_mk_and(context, 2, [Z3_mk_le(context, z, zero), Z3_mk_eq(context, a, zero)])!
            builder.require(Z3_mk_or(context, 2, [activeCase, inactiveCase])!)
            builder.require(Z3_mk_ge(context, a, zero)!)
            builder.require(Z3_mk_ge(context, a, z)!)
            if lower.isFinite && upper.isFinite {
                let width = Z3_mk_sub(context, 2, [builder.number(upper), builder.number(lower)])!
                let left = Z3_mk_mul(context, 2, [width, a])!
                let right = Z3_mk_mul(context, 2, [builder.number(upper), Z3_mk_sub(context, 2, [z, builder.number(lower)])])!
                builder.require(Z3_mk_le(context, left, right)!)
            }
            return a
        }
    }
}
