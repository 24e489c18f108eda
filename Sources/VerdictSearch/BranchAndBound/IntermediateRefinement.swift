import Foundation
import VerdictBounds
import VerdictCore

/// Tightens the bounds of the first ReLU layers before branch and bound starts: each bound of
/// each unstable neuron of layer `k` is itself a small branch and bound over the ReLUs of the
/// layers before `k`, on the network cut after layer `k`.
///
/// Why: on deep MNIST-FC networks the relaxation's looseness compounds layer by layer (`256x6
/// prop_0_0.03`: 34, 60, 94, 256, 256, 256 unstable ReLUs by layer, where gradient ascent finds
/// only 34, 43, 15, 12 that really change sign in the first four), and splitting near the
/// output cannot repair it. α,β-CROWN refines these bounds with a MIP solver; this is the same
/// refinement done with the bound engine itself.
///
/// Sound at any budget: the leaves of a neuron's tree cover the box (each split keeps both
/// phases), each leaf's bound holds on its part, so the lowest leaf bound holds on the whole
/// box. Stopping early only leaves a bound less tight.
struct IntermediateRefinement {
    /// The whole network's engine; each refined layer uses its truncation.
    let engine: any BoundEngine
    /// ReLU layers `1...layers` are refined (layer 0 is linear in the box, so exact already).
    let layers: Int
    /// Splits spent on each bound of each unstable neuron at most, always of its weakest leaf.
    let splits: Int
    let options: BoundOptions
    /// When the whole refinement should end; each layer gets a share of the time left, by its
    /// unstable ReLUs against those of the layers after it, weighted by `layerDecay`.
    var deadline = Deadline.none
    /// Layer `k`'s unstable ReLUs count `1 / k^layerDecay` in the time split
    /// (``VerificationOptions/refineLayerDecay``); 0 weighs every unstable ReLU alike.
    var layerDecay = 0.0
    /// The process's resident bytes at which a layer stops splitting (the search gives half
    /// of ``VerificationOptions/memoryLimitBytes``): every open leaf holds the bounds of the
    /// layers before its own, so on a convolutional network the memory, not the time, can run
    /// out first (sri_resnet_a `idx_3612`: 5.3-5.7 GiB in 240 s).
    var memoryLimitBytes = Int.max
    /// A layer stops splitting once its last ``plateauRounds`` rounds raised its bounds by less
    /// than this fraction of all they gained (``VerificationOptions/refinePlateau``), leaving
    /// its time to the layers after it; 0 never stops early.
    var plateau = 0.0
    static let plateauRounds = 8
    /// What each refined layer got, in order (`verify -v` prints it): what stopped it
    /// (``RefinementStop``) tells which knob to turn for more.
    private(set) var report: [RefinedLayer] = []

    /// One bound (lower or upper) of one neuron, and the leaves of its tree.
    private struct NeuronBound {
        let neuron: Int
        let isUpper: Bool
        /// The one-row region whose row is `z_j` (lower bound) or `-z_j` (upper bound).
        let region: OutputRegion
        var leaves: [CompactSubproblem] = []
        var isFinished = false

        init(neuron: Int, isUpper: Bool) {
            self.neuron = neuron
            self.isUpper = isUpper
            region = OutputRegion(disjuncts: [[LinearConstraint(terms: [.init(index: neuron, coefficient: isUpper ? -1 : 1)], bound: RealInterval(exactly: 0))]])
        }

        /// A leaf's bound of the row (a NaN counts as no bound).
        private func bound(_ leaf: Int) -> Double {
            let bound = leaves[leaf].rowLowerBound(0)
            return bound.isNaN ? -.infinity : bound
        }

        /// The leaf with the lowest bound (the one to split) and that bound; nil without leaves.
        var weakest: (leaf: Int, bound: Double)? { leaves.indices.min { bound($0) < bound($1) }.map { ($0, bound($0)) } }

        /// A sound lower bound of the row over the whole box: the lowest leaf's.
        var value: Double { weakest?.bound ?? .infinity }
    }

    /// The last ReLU layer refined.
    var lastLayer: Int { min(layers, engine.layout.reluLayerCount - 1) }

    /// Returns `initial` with layers `1...lastLayer` tightened. Between layers, `rebound(bounds, k)`
    /// must bound every layer after `k` of the whole network anew, taking layers `0...k` from
    /// `bounds`, and say whether that proves the property: then the refinement stops there
    /// (MNIST-FC `256x4 prop_13_0.03` with three layers asked for: 4.9 s instead of 13 s).
    /// The layers after the last refined one are left to the caller.
    mutating func refine(box: InputBox, initial: LayerBounds, rebound: (LayerBounds, Int) throws -> (bounds: LayerBounds, isProved: Bool)) throws -> LayerBounds {
        var bounds = initial
        report = []
        guard lastLayer >= 1 else { return bounds }
        for layer in 1...lastLayer {
            let start = ContinuousClock.now
            // Counted once: the layer's time share and its report both read them.
            let unstable = bounds.unstableCountByLayer
            let share = Self.share(of: layer, through: lastLayer, unstable: unstable, decay: layerDecay)
            let (refined, rounds, stop) = try refine(layer: layer, box: box, bounds: bounds, deadline: deadline.share(share))
            bounds = refined
            report.append(RefinedLayer(
                layer: layer, unstableBefore: unstable[layer], unstableAfter: bounds.unstableCountByLayer[layer], rounds: rounds,
                seconds: seconds(since: start), stop: stop))
            if layer < lastLayer {
                let rebounded = try rebound(bounds, layer)
                bounds = rebounded.bounds
                if rebounded.isProved { break }
            }
        }
        return bounds
    }

    /// The fraction of the time left that layer `layer` gets, of layers `layer...last` with
    /// `unstable[k]` unstable ReLUs each, layer `k`'s weighing `1 / k^decay`; all of it when
    /// no layer has any. The later layers count as bounded now: refining this one will usually
    /// make them fewer.
    static func share(of layer: Int, through last: Int, unstable: [Int], decay: Double) -> Double {
        func weight(_ k: Int) -> Double { Double(unstable[k]) / pow(Double(k), decay) }
        let all = (layer...last).map(weight).reduce(0, +)
        return all > 0 ? weight(layer) / all : 1
    }

    /// Layer `layer` refined, the rounds of splits that took (each splits every open bound
    /// once) and what ended them.
    private func refine(layer: Int, box: InputBox, bounds: LayerBounds, deadline: Deadline) throws -> (LayerBounds, rounds: Int, stop: RefinementStop) {
        let engine = try self.engine.truncated(stageCount: layer + 1)
        let cut = engine.layout
        var root = Subproblem(box: box, layout: cut)
        root.parentBounds = LayerBounds(lower: Array(bounds.lower.prefix(layer)), upper: Array(bounds.upper.prefix(layer)))
        root.reusableLayers = layer

        var targets: [NeuronBound] = []
        var tasks: [BoundTask] = []
        for j in bounds.lower[layer].indices where bounds.lower[layer][j] < 0 && bounds.upper[layer][j] > 0 {
            for isUpper in [false, true] {
                let target = NeuronBound(neuron: j, isUpper: isUpper)
                targets.append(target)
                tasks.append(BoundTask(subproblem: root, objectives: Objectives(region: target.region, outputCount: cut.outputCount)))
            }
        }
        guard !targets.isEmpty else { return (bounds, 0, .settled) }
        var settings = options
        settings.intermediateIterations = 0
        let first = try engine.bound(tasks, options: settings)
        for index in targets.indices {
            targets[index].leaves = [leaf(tasks[index], first[index], region: targets[index].region)].compactMap { $0.map(CompactSubproblem.init) }
        }

        var generator = SeededGenerator(seed: 0)
        var rounds = 0, memory = ProcessMemory.Watch(), stop = RefinementStop.splits
        // The bounds' progress, tracked only for the plateau rule (it reads every leaf).
        var gains = plateau > 0 ? [Self.progress(targets)] : []
        for _ in 0..<splits {
            if deadline.isPast { stop = .time; break }
            // The next round may grow the process by as much as the last one did.
            if memory.limitReached(memoryLimitBytes) != nil { stop = .memory; break }
            // Split the weakest leaf of every bound not yet good enough.
            var children: [BoundTask] = [], owners: [Int] = []
            // A neuron with either bound above zero is stable, which is all the relaxation
            // needs of both (taken before this round's splits take leaves away).
            let stable = Set(targets.filter { $0.value > 0 }.map(\.neuron))
            for index in targets.indices where !targets[index].isFinished {
                guard !stable.contains(targets[index].neuron), let weakest = targets[index].weakest else {
                    targets[index].isFinished = true
                    continue
                }
                let node = targets[index].leaves[weakest.leaf].expanded
                guard let split = ReluBranching.candidates(node, heuristic: .babsr, limit: 1, generator: &generator).first else {
                    targets[index].isFinished = true
                    continue
                }
                targets[index].leaves.remove(at: weakest.leaf)
                for phase in [ReluPhase.active, .inactive] {
                    let child = node.subproblem.splitting(ReluSplit(layer: split.layer, neuron: split.neuron, phase: phase), parent: node.bounds)
                    children.append(BoundTask(subproblem: child, objectives: node.objectives))
                    owners.append(index)
                }
            }
            guard !children.isEmpty else { stop = .settled; break }
            rounds += 1
            let results = try engine.bound(children, options: settings)
            for (offset, owner) in owners.enumerated() {
                if let node = leaf(children[offset], results[offset], region: targets[owner].region) { targets[owner].leaves.append(CompactSubproblem(node)) }
            }
            if plateau > 0 {
                gains.append(Self.progress(targets))
                if Self.hasLevelledOff(gains, plateau: plateau) { stop = .plateau; break }
            }
        }

        var refined = bounds
        for target in targets {
            let value = target.value
            guard value.isFinite else { continue }
            if target.isUpper {
                refined.upper[layer][target.neuron] = min(refined.upper[layer][target.neuron], -value)
            } else {
                refined.lower[layer][target.neuron] = max(refined.lower[layer][target.neuron], value)
            }
        }
        return (refined, rounds, stop)
    }

    /// The sum of the bounds' values, each at most 0 (a bound past 0 has done all it can: its
    /// neuron is stable) and at least -1e6 (an unbounded leaf counts, but finitely).
    private static func progress(_ targets: [NeuronBound]) -> Double {
        targets.reduce(0.0) { $0 + min(max($1.value, -1e6), 0) }
    }

    /// Whether `progress`, one value before the first round and one after each, gained less
    /// over its last ``plateauRounds`` rounds than `plateau` times all it gained.
    static func hasLevelledOff(_ progress: [Double], plateau: Double) -> Bool {
        guard plateau > 0, progress.count > plateauRounds, let last = progress.last, let first = progress.first else { return false }
        let all = last - first, recent = last - progress[progress.count - 1 - plateauRounds]
        return all > 0 && recent < plateau * all
    }

    /// A bounded piece of the box, or nil when it holds no input.
    private func leaf(_ task: BoundTask, _ result: SubproblemBounds, region: OutputRegion) -> OpenSubproblem? {
        guard !result.isInfeasible else { return nil }
        return OpenSubproblem(
            subproblem: task.subproblem, region: region, objectives: task.objectives, bounds: result, depth: task.subproblem.splitCount, z3UnstableLimit: 0)
    }
}

/// One layer of an ``IntermediateRefinement``: its unstable ReLUs before and after, the rounds
/// of splits it ran (the budget is ``VerificationOptions/refineSplits``), its time, and what
/// stopped it.
public struct RefinedLayer: Sendable, Equatable {
    public var layer: Int
    public var unstableBefore: Int
    public var unstableAfter: Int
    public var rounds: Int
    public var seconds: Double
    public var stop: RefinementStop
}

/// Why a refined layer stopped splitting: which knob to turn for more.
public enum RefinementStop: String, Sendable, Equatable {
    /// It ran all its rounds (``VerificationOptions/refineSplits``).
    case splits
    /// Its share of the time was spent (``VerificationOptions/refineTimeShare``).
    case time
    /// The process reached the refinement's memory limit (half of `--max-memory`).
    case memory
    /// Its last rounds gained too little (``VerificationOptions/refinePlateau``).
    case plateau
    /// No bound was left to split: every neuron stable, or no ReLU left to split below them.
    case settled
}
