import VerdictBounds
import VerdictCore

/// Bisects each node's box along the dimension ``InputBranching`` picks (`coefficients` or
/// `gradient`).
struct InputSplitPolicy: SplitPolicy {
    let heuristic: InputBranchingHeuristic
    let gradient: NetworkGradient
    let rootWidths: [Double]

    mutating func split(_ nodes: [OpenSubproblem], bounder: any ChildBounder) throws -> SplitBatch {
        var batch = SplitBatch()
        for node in nodes {
            guard let dimension = InputBranching.dimension(node, heuristic: heuristic, gradient: gradient, rootWidths: rootWidths) else {
                batch.unsplittable.append(node)
                continue
            }
            batch.children += node.inputChildren(dimension: dimension)
        }
        return batch
    }
}

/// Input splitting by bound improvement: both halves along each candidate dimension are
/// bounded in one batch; per node, the dimension whose halves fall shortest of a proof in
/// total wins, and its halves (already bounded) are the children. The candidates are at most
/// ``VerificationOptions/inputBranchingCandidates`` of the balanced dimensions (0: all; see
/// ``InputBranching/ranked``), all of them during the warm-up
/// (``VerificationOptions/inputSplitWarmup``).
struct ImprovementSplitPolicy: SplitPolicy {
    let rootWidths: [Double]
    let options: VerificationOptions

    mutating func split(_ nodes: [OpenSubproblem], bounder: any ChildBounder) throws -> SplitBatch {
        var trials: [Child] = [], owners: [Int] = [], batch = SplitBatch(bounds: [])
        let keeping = options.isWarmingUp(bounded: bounder.bounded) ? 0 : options.inputBranchingCandidates
        for node in nodes {
            let balanced = InputBranching.balancedDimensions(node.subproblem.box, rootWidths: rootWidths)
            let dimensions = InputBranching.ranked(node, among: balanced, keeping: keeping, rootWidths: rootWidths)
            if dimensions.isEmpty { batch.unsplittable.append(node) }
            for dimension in dimensions { trials += node.inputChildren(dimension: dimension) }
            owners.append(dimensions.count)
        }
        let results = try bounder.bound(trials)
        var next = 0
        for count in owners {
            if count > 0 {
                let first = Self.bestPair(trials: trials, results: results, from: next, count: count)
                batch.children += trials[first..<(first + 2)]
                batch.bounds! += results[first..<(first + 2)]
            }
            next += 2 * count
        }
        return batch
    }

    /// The first trial of the best of `count` pairs starting at `from`. Both halves'
    /// shortfalls count (a refuted half adds none): scoring only the worse half rewards
    /// shaving slivers off one dimension forever.
    private static func bestPair(trials: [Child], results: [SubproblemBounds], from: Int, count: Int) -> Int {
        var best: (score: Double, first: Int)?
        for option in 0..<count {
            let first = from + 2 * option
            let score = (first..<(first + 2)).map { index in
                results[index].isProved ? 0 : min(OpenSubproblem.priority(trials[index].objectives, bounds: results[index]), 0)
            }.reduce(0, +)
            if best.map({ score > $0.score }) ?? true { best = (score, first) }
        }
        return best!.first
    }
}
