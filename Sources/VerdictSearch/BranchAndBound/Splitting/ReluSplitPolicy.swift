import VerdictBounds
import VerdictCore

/// Splits the best-scored unstable ReLU of each node by ``ReluBranching`` (`babsr`,
/// `widest` or `random`) into its active and inactive phases; with no unstable ReLU left, the
/// S-shaped neuron the bound engine suggests (``SmoothBranch``) at its suggested point.
struct ReluSplitPolicy: SplitPolicy {
    let heuristic: BranchingHeuristic
    let reusingEveryLayer: Bool
    var generator: SeededGenerator

    mutating func split(_ nodes: [OpenSubproblem], bounder: any ChildBounder) throws -> SplitBatch {
        var batch = SplitBatch()
        for node in nodes {
            guard let best = ReluBranching.candidates(node, heuristic: heuristic, limit: 1, generator: &generator).first else {
                // No unstable ReLU: an S-shaped neuron, where the network has some.
                if let children = node.smoothChildren(reusingEveryLayer: reusingEveryLayer) { batch.children += children } else { batch.unsplittable.append(node) }
                continue
            }
            batch.children += node.reluChildren(layer: best.layer, neuron: best.neuron, reusingEveryLayer: reusingEveryLayer)
        }
        return batch
    }
}
