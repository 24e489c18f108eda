import VerdictBounds
import VerdictCore

/// A subproblem made by a split, waiting to be bounded.
struct Child {
    var subproblem: Subproblem
    var region: OutputRegion
    var objectives: Objectives
    var depth: Int
    var z3UnstableLimit: Int

    /// The root of a case: its whole box and unsafe region.
    static func root(_ item: Property.Case, layout: ActivationLayout) -> Child {
        Child(
            subproblem: Subproblem(box: item.box, layout: layout), region: item.unsafe,
            objectives: Objectives(region: item.unsafe, outputCount: layout.outputCount), depth: 0, z3UnstableLimit: .max)
    }

    var task: BoundTask { BoundTask(subproblem: subproblem, objectives: objectives) }
}

extension OpenSubproblem {
    /// A child of this node made from `subproblem` (what ``childBase(_:)`` keeps of it).
    func child(_ subproblem: Subproblem) -> Child {
        let (base, region, objectives) = childBase(subproblem)
        return Child(subproblem: base, region: region, objectives: objectives, depth: depth + 1, z3UnstableLimit: z3UnstableLimit)
    }

    /// One child per disjunct left open, each the whole subproblem with that disjunct alone,
    /// keeping every intermediate bound (only its rows are bounded anew): from there each
    /// disjunct's tree chooses its own splits (see ``VerificationOptions/separateDisjuncts``).
    func disjunctChildren() -> [Child] {
        var whole = subproblem
        whole.parentBounds = bounds.layerBounds
        whole.reusableLayers = whole.phases.count
        whole.warmStart = bounds.relaxation
        whole.smoothParentBounds = bounds.smoothInputBounds
        whole.smoothReusableThrough = .max
        return region.disjuncts.indices.filter { !bounds.refutedDisjuncts[$0] }.map { disjunct in
            let (base, region, objectives) = childBase(whole, keeping: [disjunct])
            return Child(subproblem: base, region: region, objectives: objectives, depth: depth, z3UnstableLimit: z3UnstableLimit)
        }
    }

    /// Both phases of one ReLU. `reusingEveryLayer` keeps all the parent's intermediate
    /// bounds (see ``ChildIntermediateBounds``).
    func reluChildren(layer: Int, neuron: Int, reusingEveryLayer: Bool) -> [Child] {
        [ReluPhase.active, .inactive].map { phase in
            let split = ReluSplit(layer: layer, neuron: neuron, phase: phase)
            return child(subproblem.splitting(split, parent: bounds, reusingEveryLayer: reusingEveryLayer))
        }
    }

    /// Both halves of the S-shaped neuron's interval the engine suggested splitting; nil when
    /// it suggested none.
    func smoothChildren(reusingEveryLayer: Bool) -> [Child]? {
        guard let branch = bounds.smoothBranch else { return nil }
        return subproblem.splitting(branch, parent: bounds, reusingEveryLayer: reusingEveryLayer).map(child)
    }

    /// The two halves of the box along `dimension`. The parent's bounds hold on each half:
    /// they are intersected, not reused as they are.
    func inputChildren(dimension: Int) -> [Child] {
        let box = subproblem.box
        let middle = box.lower[dimension] / 2 + box.upper[dimension] / 2
        var lowerHalf = subproblem, upperHalf = subproblem
        lowerHalf.box.upper[dimension] = middle
        upperHalf.box.lower[dimension] = middle
        return [lowerHalf, upperHalf].map { half in
            var half = half
            half.parentBounds = bounds.layerBounds
            half.reusableLayers = 0
            half.warmStart = bounds.relaxation
            return child(half)
        }
    }
}
