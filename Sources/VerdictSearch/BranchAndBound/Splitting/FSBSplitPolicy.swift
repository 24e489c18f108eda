import VerdictBounds
import VerdictCore

/// Filtered smart branching: the best few unstable ReLUs of each node by the BaBSR score are
/// each tried by a quick bound of both children; the split whose worse child is best wins (a
/// refuted child counts as +infinity). Quick, as in α,β-CROWN: each trial keeps all of the
/// parent's intermediate bounds (the split only clamps its own neuron) and evaluates the
/// objective rows once at the parent's α and β.
struct FSBSplitPolicy: SplitPolicy {
    /// BaBSR-best candidates tried per node.
    let candidates: Int
    /// `min` or `max` (`auto` resolved by how children treat intermediate bounds).
    let reduction: FSBReduction
    let reusingEveryLayer: Bool
    private var generator = SeededGenerator(seed: 0)

    init(candidates: Int, reduction: FSBReduction = .min, reusingEveryLayer: Bool) {
        self.candidates = candidates
        self.reduction = reduction.resolved(reusingEveryLayer: reusingEveryLayer)
        self.reusingEveryLayer = reusingEveryLayer
    }

    /// The BaBSR-best candidates of `node`, then the intercept-best ones not among them.
    private mutating func rankedCandidates(_ node: OpenSubproblem) -> [ReluBranching.Candidate] {
        var chosen = ReluBranching.candidates(node, heuristic: .babsr, limit: candidates, generator: &generator)
        let taken = Set(chosen.map { [$0.layer, $0.neuron] })
        chosen += ReluBranching.candidates(node, heuristic: .intercept, limit: candidates, generator: &generator)
            .filter { $0.score > 1e-9 && !taken.contains([$0.layer, $0.neuron]) }
        return chosen
    }

    mutating func split(_ nodes: [OpenSubproblem], bounder: any ChildBounder) throws -> SplitBatch {
        let ranked = nodes.map { rankedCandidates($0) }
        var trials: [Child] = []
        for (node, options) in zip(nodes, ranked) where options.count > 1 {
            for candidate in options { trials += node.reluChildren(layer: candidate.layer, neuron: candidate.neuron, reusingEveryLayer: true) }
        }
        let results = trials.isEmpty ? [] : try bounder.quickBound(trials)
        var batch = SplitBatch(), next = 0
        for (node, options) in zip(nodes, ranked) {
            var chosen = options.first
            if options.count > 1 {
                chosen = best(options, trials: trials[next..<(next + 2 * options.count)], results: results[next..<(next + 2 * options.count)])
                next += 2 * options.count
            }
            guard let chosen else {
                if let children = node.smoothChildren(reusingEveryLayer: reusingEveryLayer) { batch.children += children } else { batch.unsplittable.append(node) }
                continue
            }
            batch.children += node.reluChildren(layer: chosen.layer, neuron: chosen.neuron, reusingEveryLayer: reusingEveryLayer)
        }
        return batch
    }

    /// The candidate whose worse (``FSBReduction/min``) or better child scores best; each
    /// candidate has two consecutive trials.
    private func best(_ options: [ReluBranching.Candidate], trials: ArraySlice<Child>, results: ArraySlice<SubproblemBounds>) -> ReluBranching.Candidate? {
        var best: (score: Double, candidate: ReluBranching.Candidate)?
        for (offset, candidate) in options.enumerated() {
            let first = trials.startIndex + 2 * offset
            let children = (first..<(first + 2)).map { index in
                results[index].isProved ? Double.infinity : OpenSubproblem.priority(trials[index].objectives, bounds: results[index])
            }
            let score = reduction == .min ? children.min()! : children.max()!
            if best.map({ score > $0.score }) ?? true { best = (score, candidate) }
        }
        return best?.candidate
    }
}
