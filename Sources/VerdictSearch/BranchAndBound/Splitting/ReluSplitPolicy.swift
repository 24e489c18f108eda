import VerdictBounds
import VerdictCore

/// Splits the best-scored unstable ReLU of each node by ``ReluBranching`` (`babsr`,
/// `widest` or `random`) into its active and inactive phases.
struct ReluSplitPolicy: SplitPolicy {
    let heuristic: BranchingHeuristic
    let reusingEveryLayer: Bool
    var generator: SeededGenerator

    mutating func split(_ nodes: [OpenSubproblem], bounder: any ChildBounder) throws -> SplitBatch {
        var batch = SplitBatch()
        for node in nodes {
            guard let best = ReluBranching.candidates(node, heuristic: heuristic, limit: 1, generator: &generator).first else {
                batch.unsplittable.append(node)
                continue
            }
            batch.children += node.reluChildren(layer: best.layer, neuron: best.neuron, reusingEveryLayer: reusingEveryLayer)
        }
        return batch
    }
}
