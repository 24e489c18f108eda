import VerdictCore

/// One valid inequality of a ReLU neuron's mixed-integer form, from the ideal formulation of
/// Anderson et al. ("Strong mixed-integer programming formulations for trained neural
/// networks", 2020). For neuron `j` of a ReLU whose input is `ẑ = w·v + b`, with `v` in the
/// box `[L, U]` and `z ∈ {0, 1}` the neuron's phase (`y = relu(ẑ)`), every subset `I` of
/// `v`'s entries gives
///
///     y ≤ Σ_{i∈I} w_i (v_i - L̆_i (1 - z)) + (b + Σ_{i∉I} w_i Ŭ_i) z
///
/// (`L̆_i`, `Ŭ_i` the ends of `v_i`'s interval where `w_i v_i` is smallest and largest).
/// `I` = everything is the big-M constraint with interval bounds, `I` = nothing is `y ≤ u z`;
/// the others cut off points of the triangle relaxation that no input reaches, because they
/// remember which inputs the neuron reads. `v` may join several values (``CutPart``): after a
/// residual join, `ẑ` sums linear maps of two values, and `v`'s box is their boxes together.
/// Stored as
///
///     y_j - Σ_parts Σ_{i∈I} w_i v_i - zCoefficient · z ≤ rhs
///
/// with `rhs` raised to cover the rounding of `zCoefficient` and `rhs` themselves (`z ≤ 1`),
/// so that the stored inequality holds for the real-valued network.
public struct ReluCut: Sendable, Equatable {
    /// The ReLU layer (its index among the graph's ReLU nodes) and the neuron.
    public var layer: Int
    public var neuron: Int
    /// The entries `I` of each value `ẑ` reads, with their weights.
    public var parts: [CutPart]
    public var zCoefficient: Double
    public var rhs: Double

    /// The cut for the subset `inSubset(part, i)` of `v`'s entries: `rows` the neuron's full
    /// row over each value `ẑ` reads, with that value's box; `bias` the neuron's bias.
    init(layer: Int, neuron: Int, rows: [CutRow], bias: Double, inSubset: (Int, Int) -> Bool) {
        var parts: [CutPart] = []
        var rhs = 0.0, rhsMagnitude = 0.0, z = bias, zMagnitude = bias.magnitude, terms = 1
        for (p, row) in rows.enumerated() {
            var part = CutPart(source: row.source, indices: [], weights: [])
            for i in row.weights.indices where row.weights[i] != 0 {
                let w = row.weights[i], low = w >= 0 ? row.lower[i] : row.upper[i], high = w >= 0 ? row.upper[i] : row.lower[i]
                terms += 1
                let inside = inSubset(p, i), term = w * (inside ? low : high)
                z += term
                zMagnitude += term.magnitude
                if inside {
                    part.indices.append(i)
                    part.weights.append(w)
                    rhs -= term
                    rhsMagnitude += term.magnitude
                }
            }
            parts.append(part)
        }
        let rounding = RoundingAllowance.double
        let error = rounding.gamma(terms + 1) * (rhsMagnitude + zMagnitude) + rounding.underflowSlack
        self.layer = layer
        self.neuron = neuron
        self.parts = parts
        self.zCoefficient = z
        self.rhs = (rhs + 2 * error).nextUp
    }

    /// `y - Σ w_i v_i - zCoefficient·z - rhs` at a point whose value `k` is `values[k]`: at
    /// most 0 wherever the cut holds.
    func slack(y: Double, values: [[Double]], z: Double) -> Double {
        var sum = y - zCoefficient * z - rhs
        for part in parts {
            part.indices.withUnsafeBufferPointer { indices in
            part.weights.withUnsafeBufferPointer { weights in
            values[part.source.valueIndex].withUnsafeBufferPointer { v in
                for k in indices.indices { sum -= weights[k] * v[indices[k]] }
            }
            }
            }
        }
        return sum
    }
}

/// The entries of one value that a ``ReluCut`` reads, and their weights.
public struct CutPart: Sendable, Equatable {
    public var source: ValueID
    public var indices: [Int]
    public var weights: [Double]
}

/// A neuron's full linear row over one value its ReLU's input reads, with that value's box.
struct CutRow {
    var source: ValueID
    var weights: [Double]
    var lower: [Double]
    var upper: [Double]
}

/// The cuts a bound computation lifts into its objective rows (each with a multiplier
/// `μ >= 0` per row, see ``GraphBackwardPass``), grouped by the ReLU layer they constrain.
public final class CutSet: Sendable {
    public let cuts: [ReluCut]
    /// Per ReLU layer with cuts, in layer order, the indices of its cuts. Ordered once here: a
    /// pass adds the cut terms in this order, and a dictionary's order, changing from run to
    /// run, would change their rounding.
    let byLayer: [(layer: Int, indices: [Int])]

    public init(_ cuts: [ReluCut]) {
        self.cuts = cuts
        var grouped: [Int: [Int]] = [:]
        for (index, cut) in cuts.enumerated() { grouped[cut.layer, default: []].append(index) }
        byLayer = grouped.keys.sorted().map { ($0, grouped[$0]!) }
    }

    public var count: Int { cuts.count }

    /// Row `row` of `multipliers` fitted to this set: cut to its count, a cut without one at 0.
    func multipliers(_ multipliers: [[Double]]?, row: Int) -> [Double] {
        let given = multipliers.flatMap { row < $0.count ? $0[row] : nil } ?? []
        return Array(given.prefix(count)) + Array(repeating: 0, count: max(count - given.count, 0))
    }

    /// This set with `more` appended: existing cuts keep their indices (their multipliers
    /// stay valid).
    func appending(_ more: [ReluCut]) -> CutSet { CutSet(cuts + more) }
}
