import VerdictBounds
import VerdictCore

/// Bounds children in one engine call: what a split policy may use to try splits.
protocol ChildBounder {
    /// Bounds as every child of the search is bounded.
    func bound(_ children: [Child]) throws -> [SubproblemBounds]
    /// A quick pass for trying splits (FSB): the objective rows' lower bounds only, at the
    /// parent's α and β, every intermediate bound kept.
    func quickBound(_ children: [Child]) throws -> [SubproblemBounds]
    /// Subproblems bounded so far in this search.
    var bounded: Int { get }
}

/// The children of one batch of nodes.
struct SplitBatch {
    var children: [Child] = []
    /// The children's bounds when the policy already computed them (trials it kept).
    var bounds: [SubproblemBounds]?
    /// Nodes with nothing left to split: only Z3 can decide them.
    var unsplittable: [OpenSubproblem] = []
}

/// How branch and bound splits open subproblems: which ReLU's phase, or which dimension of
/// the input box. One type per heuristic family; ``SplitPolicies/make`` picks one from the
/// options.
protocol SplitPolicy {
    mutating func split(_ nodes: [OpenSubproblem], bounder: any ChildBounder) throws -> SplitBatch
}

enum SplitPolicies {
    /// The policy `options` ask for, for a case whose root box has `rootWidths`, bounded by
    /// the graph engine (`graph`) or a chain engine, from a root whose intermediate layers
    /// were refined (`refined`) or not.
    static func make(_ options: VerificationOptions, mode: SplitMode, gradient: NetworkGradient, rootWidths: [Double], graph: Bool, refined: Bool) -> any SplitPolicy {
        let reusing = options.childIntermediateBounds.reusesEveryLayer(graph: graph, refined: refined)
        switch (mode, options.branching, options.inputBranching) {
        case (.input, _, .improvement):
            return ImprovementSplitPolicy(rootWidths: rootWidths, options: options)
        case (.input, _, let heuristic):
            return InputSplitPolicy(heuristic: heuristic, gradient: gradient, rootWidths: rootWidths)
        case (_, .fsb, _):
            return FSBSplitPolicy(candidates: max(options.resolvedFSBCandidates(graph: graph), 1), reduction: options.fsbReduce, reusingEveryLayer: reusing)
        case (_, let heuristic, _):
            return ReluSplitPolicy(
                heuristic: heuristic, reusingEveryLayer: reusing,
                generator: SeededGenerator(seed: options.seed &+ 0x5EED))
        }
    }
}
