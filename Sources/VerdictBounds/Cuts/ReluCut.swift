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
/// remember which inputs the neuron reads. Stored as
///
///     y_j - Σ_{i∈I} w_i v_i - zCoefficient · z ≤ rhs
///
/// with `rhs` raised to cover the rounding of `zCoefficient` and `rhs` themselves (`z ≤ 1`),
/// so that the stored inequality holds for the real-valued network.
public struct ReluCut: Sendable, Equatable {
    /// The ReLU layer (its index among the graph's ReLU nodes) and the neuron.
    public var layer: Int
    public var neuron: Int
    /// The value `v` the neuron's linear input reads.
    public var source: ValueID
    /// The entries `I` of `v` and their weights `w_i`.
    public var indices: [Int]
    public var weights: [Double]
    public var zCoefficient: Double
    public var rhs: Double

    /// The cut for the subset `inSubset` of `v`'s entries: `weights` the neuron's full row over
    /// `v`, `bias` its bias, `lower`/`upper` the box of `v`.
    init(layer: Int, neuron: Int, source: ValueID, weights row: [Double], bias: Double, lower: [Double], upper: [Double], inSubset: (Int) -> Bool) {
        var indices: [Int] = [], weights: [Double] = []
        var rhs = 0.0, rhsMagnitude = 0.0, z = bias, zMagnitude = bias.magnitude, terms = 1
        for i in row.indices where row[i] != 0 {
            let w = row[i], low = w >= 0 ? lower[i] : upper[i], high = w >= 0 ? upper[i] : lower[i]
            terms += 1
            if inSubset(i) {
                indices.append(i)
                weights.append(w)
                let term = w * low
                rhs -= term
                rhsMagnitude += term.magnitude
                z += term
                zMagnitude += term.magnitude
            } else {
                let term = w * high
                z += term
                zMagnitude += term.magnitude
            }
        }
        let rounding = RoundingAllowance.double
        let error = rounding.gamma(terms + 1) * (rhsMagnitude + zMagnitude) + rounding.underflowSlack
        self.layer = layer
        self.neuron = neuron
        self.source = source
        self.indices = indices
        self.weights = weights
        self.zCoefficient = z
        self.rhs = (rhs + 2 * error).nextUp
    }

    /// `y - Σ w_i v_i - zCoefficient·z - rhs` at a point: at most 0 wherever the cut holds.
    func slack(y: Double, source v: [Double], z: Double) -> Double {
        var sum = y - zCoefficient * z - rhs
        indices.withUnsafeBufferPointer { indices in
        weights.withUnsafeBufferPointer { weights in
        v.withUnsafeBufferPointer { v in
            for k in indices.indices { sum -= weights[k] * v[indices[k]] }
        }
        }
        }
        return sum
    }
}

/// The cuts a bound computation lifts into its objective rows (each with a multiplier
/// `μ >= 0` per row, see ``GraphBackwardPass``), grouped by the ReLU layer they constrain.
public final class CutSet: Sendable {
    public let cuts: [ReluCut]
    /// Per ReLU layer, the indices of its cuts.
    let byLayer: [Int: [Int]]

    public init(_ cuts: [ReluCut]) {
        self.cuts = cuts
        var byLayer: [Int: [Int]] = [:]
        for (index, cut) in cuts.enumerated() { byLayer[cut.layer, default: []].append(index) }
        self.byLayer = byLayer
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
