import VerdictCore

/// The phase a ReLU is fixed to by branching.
public enum ReluPhase: Int8, Sendable {
    case free = 0
    case active = 1
    case inactive = -1
}

/// One ReLU split: neuron `neuron` of ReLU layer `layer` fixed to `phase`.
public struct ReluSplit: Hashable, Sendable {
    public let layer: Int
    public let neuron: Int
    public let phase: ReluPhase

    public init(layer: Int, neuron: Int, phase: ReluPhase) {
        self.layer = layer
        self.neuron = neuron
        self.phase = phase
    }
}

/// A limit on the input of one neuron of an S-shaped node (Sigmoid, Tanh), made by splitting
/// its interval at `point`: the subproblem holds the inputs where that value is at most
/// (`isUpper`) or at least the point.
public struct SmoothLimit: Hashable, Sendable {
    public let node: Int
    public let neuron: Int
    public let point: Double
    public let isUpper: Bool

    public init(node: Int, neuron: Int, point: Double, isUpper: Bool) {
        self.node = node
        self.neuron = neuron
        self.point = point
        self.isUpper = isUpper
    }
}

/// Where an engine suggests splitting an S-shaped neuron's input interval, and how much the
/// weakest row's bound loses to its lines there (the score).
public struct SmoothBranch: Sendable, Equatable {
    public let node: Int
    public let neuron: Int
    public let point: Double
    public let score: Double

    public init(node: Int, neuron: Int, point: Double, score: Double) {
        self.node = node
        self.neuron = neuron
        self.point = point
        self.score = score
    }
}

/// Bounds of the pre-activations of every ReLU layer: `lower[k][j] <= z_k[j] <= upper[k][j]`
/// for every input of the subproblem (the box with its splits).
public struct LayerBounds: Sendable, Equatable {
    public var lower: [[Double]]
    public var upper: [[Double]]

    public init(lower: [[Double]], upper: [[Double]]) {
        self.lower = lower
        self.upper = upper
    }

    /// Number of ReLUs whose sign the bounds leave open.
    /// The first neuron, layer by layer, whose bounds straddle zero (nil when none does).
    public var firstUnstable: (layer: Int, neuron: Int)? {
        for layer in lower.indices {
            if let neuron = lower[layer].indices.first(where: { lower[layer][$0] < 0 && upper[layer][$0] > 0 }) { return (layer, neuron) }
        }
        return nil
    }

    public var unstableCount: Int { unstableCountByLayer.reduce(0, +) }

    /// Unstable ReLUs (lower bound below 0, upper above) of each ReLU layer.
    public var unstableCountByLayer: [Int] {
        zip(lower, upper).map { layer in zip(layer.0, layer.1).filter { $0 < 0 && $1 > 0 }.count }
    }
}

/// A subproblem of branch and bound: an input box and a ReLU phase assignment.
public struct Subproblem: Sendable {
    public var box: InputBox
    /// `phases[k][j]` for ReLU layer `k`, neuron `j`.
    public var phases: [[ReluPhase]]
    /// Intermediate bounds known from a parent; reused (intersected) rather than recomputed
    /// up to ``reusableLayers``.
    public var parentBounds: LayerBounds?
    /// Layers `0..<reusableLayers` of `parentBounds` are taken as they are (with the phases
    /// applied) instead of being recomputed.
    public var reusableLayers: Int
    /// Warm start for α-CROWN and β-CROWN, from a parent's result.
    public var warmStart: OptimizedRelaxation?
    /// Splits of S-shaped neurons' input intervals.
    public var smoothLimits: [SmoothLimit] = []
    /// A parent's bounds of each S-shaped node's input (by node): taken as they are for nodes
    /// `0...smoothReusableThrough`, intersected with the new ones after it.
    public var smoothParentBounds: [Int: ValueBounds] = [:]
    public var smoothReusableThrough = -1

    public init(box: InputBox, layout: ActivationLayout) {
        self.box = box
        self.phases = layout.reluWidths.map { Array(repeating: .free, count: $0) }
        self.parentBounds = nil
        self.reusableLayers = 0
        self.warmStart = nil
    }

    public init(box: InputBox, network: BoundNetwork) {
        self.init(box: box, layout: network.layout)
    }

    /// The child with one more ReLU fixed, inheriting what the parent learned: the parent's
    /// intermediate bounds up to the split's layer, or of every layer when `reusingEveryLayer`
    /// (then only the objective rows are bounded anew).
    public func splitting(_ split: ReluSplit, parent result: SubproblemBounds, reusingEveryLayer: Bool = false) -> Subproblem {
        var child = self
        child.phases[split.layer][split.neuron] = split.phase
        child.parentBounds = result.layerBounds
        child.reusableLayers = reusingEveryLayer ? phases.count : split.layer + 1
        child.warmStart = result.relaxation
        child.smoothParentBounds = result.smoothInputBounds
        child.smoothReusableThrough = -1
        return child
    }

    /// The two children of an S-shaped neuron's split at `branch.point`. ReLU layers' bounds
    /// are recomputed and intersected with the parent's (they hold on both halves), and so
    /// are the S-shaped nodes' after the split's; with `reusingEveryLayer` all are kept as
    /// they are (only the split neuron's lines and the objective rows change).
    public func splitting(_ branch: SmoothBranch, parent result: SubproblemBounds, reusingEveryLayer: Bool = false) -> [Subproblem] {
        [true, false].map { isUpper in
            var child = self
            child.smoothLimits.append(SmoothLimit(node: branch.node, neuron: branch.neuron, point: branch.point, isUpper: isUpper))
            child.parentBounds = result.layerBounds
            child.reusableLayers = reusingEveryLayer ? phases.count : 0
            child.warmStart = result.relaxation
            // Nodes up to the split's are not changed by it (the split node's limit is applied on top).
            child.smoothParentBounds = result.smoothInputBounds
            child.smoothReusableThrough = reusingEveryLayer ? .max : branch.node
            return child
        }
    }

    public var splitCount: Int { phases.reduce(0) { $0 + $1.filter { $0 != .free }.count } }

    /// Layer `layer` of ``parentBounds`` when it is taken as it is (below ``reusableLayers``),
    /// nil when the layer must be bounded anew.
    func inheritedBounds(_ layer: Int) -> (lower: [Double], upper: [Double])? {
        guard let parentBounds, layer < reusableLayers, layer < parentBounds.lower.count else { return nil }
        return (parentBounds.lower[layer], parentBounds.upper[layer])
    }

    /// Whether a point with these pre-activations (one array per ReLU layer) satisfies every
    /// split of this subproblem (the box is not checked): the region its bounds must hold on.
    public func splitsHold(preActivations: [[Double]]) -> Bool {
        phases.indices.allSatisfy { layer in
            phases[layer].indices.allSatisfy { j in
                switch phases[layer][j] {
                case .free: return true
                case .active: return preActivations[layer][j] >= 0
                case .inactive: return preActivations[layer][j] <= 0
                }
            }
        }
    }
}

/// α (lower-relaxation slopes) and β (split multipliers) of one subproblem, one set per
/// objective row, flattened over all ReLUs of all layers.
public struct OptimizedRelaxation: Sendable {
    public var alpha: [[Double]]
    public var beta: [[Double]]
    /// The cuts the bound lifted into its rows (``BoundOptions/cutRounds``), which hold on the
    /// subproblem and so on every descendant: a subproblem warm-started from this one bounds
    /// with them too. Per row, each cut's multiplier; a cut without one starts at 0.
    public var cuts: CutSet? = nil
    public var cutMultipliers: [[Double]]? = nil

    public init(alpha: [[Double]], beta: [[Double]], cuts: CutSet? = nil, cutMultipliers: [[Double]]? = nil) {
        self.alpha = alpha
        self.beta = beta
        self.cuts = cuts
        self.cutMultipliers = cutMultipliers
    }
}

/// What an engine returns for one subproblem.
public struct SubproblemBounds: Sendable {
    /// Sound bounds of each objective row `c·y + d`.
    public var lower: [Double]
    public var upper: [Double]
    /// Disjuncts of the unsafe region that no input of the subproblem can satisfy.
    public var refutedDisjuncts: [Bool]
    /// True when the splits contradict each other: the subproblem holds no input at all.
    public var isInfeasible: Bool
    public var layerBounds: LayerBounds
    /// The optimized relaxation, to warm-start children (nil for IBP and CROWN).
    public var relaxation: OptimizedRelaxation?
    /// The input that minimizes the relaxed objective of the least-refuted row: a
    /// counterexample candidate for attacks.
    public var witnessCandidate: [Double]
    /// For the row a branching heuristic should help most (the row closest to refuting the
    /// weakest unrefuted disjunct), its CROWN coefficients on each ReLU layer's activations:
    /// `branchingCoefficients[k][j]` weighs `relu(z_k[j])` in that row's linear lower bound.
    /// Nil for IBP and for subproblems that are proved or empty.
    public var branchingCoefficients: [[Double]]? = nil
    /// The S-shaped neuron whose split the engine suggests (nil where the network has none
    /// worth splitting).
    public var smoothBranch: SmoothBranch? = nil
    /// Bounds of each S-shaped node's input (by node), for children to inherit.
    public var smoothInputBounds: [Int: ValueBounds] = [:]
    /// The same row's CROWN coefficients over the inputs (`|A_i|·width_i` is what input
    /// dimension `i` costs the bound); nil where the engine does not return them.
    public var inputCoefficients: [Double]? = nil
    /// Per disjunct, a sound lower bound of a nonnegative combination of its rows (see
    /// ``RowForms``); a positive one refutes the disjunct. Nil where not computed.
    public var conjunctionLower: [Double]? = nil

    /// Every disjunct is refuted, or the subproblem is empty.
    public var isProved: Bool { isInfeasible || refutedDisjuncts.allSatisfy { $0 } }
}
