import ArgumentParser
import VerdictBounds
import VerdictSearch

extension SplitMode: ExpressibleByArgument {}
extension BranchingHeuristic: ExpressibleByArgument {}
extension InputBranchingHeuristic: ExpressibleByArgument {}
extension ChildIntermediateBounds: ExpressibleByArgument {}
extension MaxPoolHandling: ExpressibleByArgument {}
extension FSBReduction: ExpressibleByArgument {}

/// `verdict verify`'s search flags: one per field of ``VerificationOptions``, whose defaults
/// they show (`VerificationOptions.defaults`), so a default changes in one place only.
struct SearchFlags: ParsableArguments {
    private static let defaults = VerificationOptions.defaults

    @Option(help: "What branch and bound splits: relu, input (bisect the box) or auto (input for at most --input-split-limit inputs).")
    var split = defaults.splitMode

    @Option(help: "With --split auto: the most inputs for which the box is split rather than ReLUs.")
    var inputSplitLimit = defaults.inputSplitDimensionLimit

    @Option(help: "How the ReLU to split is chosen: babsr, fsb, intercept, widest or random.")
    var branching = defaults.branching

    @Option(help: "With --branching fsb: the best BaBSR candidates whose children are tried before each split (default: \(VerificationOptions.chainFSBCandidates) on dense networks, \(VerificationOptions.graphFSBCandidates) on networks the graph engine bounds).")
    var fsbCandidates: Int?

    @Option(help: "With --branching fsb: score a candidate by its worse trial child (min) or its better one (max); auto: max where children keep their parent's intermediate bounds (--child-intermediate), min where they recompute them.")
    var fsbReduce = defaults.fsbReduce

    @Option(help: "How the input dimension to bisect is chosen: improvement (bound both halves of each candidate dimension), coefficients or gradient.")
    var inputBranching = defaults.inputBranching

    @Option(help: "With --input-branching improvement: the dimensions tried per box, the widest and those the coefficients score ranks first (0: every dimension).")
    var inputBranchingCandidates = defaults.inputBranchingCandidates

    @Option(help: "Input splitting: until this many subproblems are bounded, every dimension is tried and each bound takes \(VerificationOptions.inputSplitWarmupIterations) α steps (without --iterations); 0: no warm-up.")
    var inputSplitWarmup = defaults.inputSplitWarmup

    @Option(help: "Subproblems split per step; their children are bounded together.")
    var batch = defaults.batchSize

    @Option(help: "Bound method for the root and the children: ibp, crown, alpha-crown or beta-crown (default: beta-crown when splitting ReLUs, alpha-crown when splitting inputs).")
    var method: BoundMethod?

    @Option(help: "α/β gradient steps per bound computation (default: \(VerificationOptions.reluSplitIterations) when splitting ReLUs, \(VerificationOptions.inputSplitIterations) when splitting inputs).")
    var iterations: Int?

    @Option(help: "α steps for each intermediate layer's bounds at the root (every subproblem inherits them; 0 keeps CROWN's slopes; default: \(VerificationOptions.reluRootIntermediateIterations), \(VerificationOptions.smoothRootIntermediateIterations) with Sigmoid or Tanh).")
    var intermediateIterations: Int?

    @Option(help: "The share of the time left (with --timeout) that --intermediate-iterations may spend at the root, above 0 and at most 1.")
    var intermediateTimeShare = defaults.rootIntermediateTimeShare

    @Option(help: "What ReLU-split children do with their parent's intermediate bounds: recompute the layers after the split (tighter, slower), reuse them all (only the property's rows are bounded, with β), or auto (reuse on convolutional and residual networks, recompute on dense chains until their root is refined).")
    var childIntermediate = defaults.childIntermediateBounds

    @Option(help: "α/β steps for the intermediate layers each ReLU-split child recomputes, with β on its splits (0: CROWN's slopes).")
    var childIntermediateIterations = defaults.childIntermediateIterations

    @Option(help: "ReLU splitting on graph networks: up to this many α/β steps past --iterations for a subproblem's objective rows that, at their recent rate, would refute their disjunct within them.")
    var extraIterations = defaults.extraIterations

    @Option(help: "ReLU splitting: give each disjunct the root leaves open a search tree of its own (true), or keep them in one tree (false).")
    var separateDisjuncts = defaults.separateDisjuncts

    @Option(help: "Max pools: relax them (Z3 leaves decide them) or split them, rewritten as ReLUs that the search splits like any other.")
    var maxPool = defaults.maxPoolHandling

    @Option(help: "ReLU splitting: tighten the bounds of ReLU layers 1 to N before the search, each unstable neuron's bound by a branch and bound of its own (0: off).")
    var refineLayers = defaults.refineLayers

    @Option(help: "Splits spent on each bound of each neuron --refine-layers tightens, at most.")
    var refineSplits = defaults.refineSplits

    @Option(help: "The share of the time left (with --timeout) that a refinement may spend, above 0 and at most 1 (default: \(VerificationOptions.smallNetworkRefineTimeShare), \(VerificationOptions.largeNetworkRefineTimeShare) on networks of more than --large-network-relus ReLUs).")
    var refineTimeShare: Double?

    @Option(help: "How --refine-time-share is split among the refined layers: layer k's unstable ReLUs weigh 1/k to this power (0: all alike; larger: early layers first).")
    var refineLayerDecay = defaults.refineLayerDecay

    @Option(help: "A refined layer stops splitting once its last 8 rounds gained less than this fraction of all its bounds gained, leaving its time to the later layers (0: never early; default: 0, \(VerificationOptions.largeNetworkRefinePlateau) on networks of more than --large-network-relus ReLUs).")
    var refinePlateau: Double?

    @Option(help: "Networks with more ReLUs than this get the large-network defaults of --refine-time-share and --refine-plateau.")
    var largeNetworkRelus = defaults.largeNetworkReluCount

    @Option(help: "ReLU splitting on networks with convolutions or residual connections: rounds of cutting planes (ReLU cuts found at the root's minimizing points) at each root, kept by every subproblem below it (0: none).")
    var cutRounds = defaults.cutRounds

    @Option(help: "ReLU splitting with --timeout: a case still open after this share of its time refines every ReLU layer after the first and starts its search again from there (0: never).")
    var refineWhenStuck = defaults.refineWhenStuck

    @Option(help: "The --refine-when-stuck restart waits while the search, at the rate it closes its trees, would finish within this share of the time left (0: never waits).")
    var refineUnlessFinishing = defaults.refineUnlessFinishing

    @Option(help: "Skip the --refine-when-stuck restart on networks with more ReLUs than this.")
    var refineReluLimit = defaults.refineReluLimit

    @Option(help: "Stop with unknown when more subproblems than this are open.")
    var maxSubproblems = defaults.maxSubproblems

    @Option(help: "Stop with unknown after bounding this many subproblems (default: no budget).")
    var subproblemBudget: Int?

    @Option(help: "Stop with unknown when the process's resident memory, or the estimate of what open subproblems and waiting Z3 leaves hold, passes this many GiB; by default, half of the memory available to the process.")
    var maxMemory = Double(defaults.memoryLimitBytes) / Double(1 << 30)

    @Option(help: "Send a subproblem with at most K unstable ReLUs to Z3 (negative: no Z3 leaves).")
    var z3LeafUnstable = defaults.z3LeafUnstable

    @Option(help: "Send a subproblem split more than D times to Z3.")
    var z3LeafDepth = defaults.z3LeafDepth

    @Option(help: "Seconds Z3 may spend on one leaf before the leaf is split further.")
    var z3LeafTimeout = defaults.z3LeafTimeout

    @Option(help: "Threads solving Z3 leaves beside the bound computation.")
    var z3Workers = defaults.z3Workers

    @Option(help: "Seed of sampling, attack restarts and random branching.")
    var seed = defaults.seed

    @Option(help: "Random samples before PGD (0 with --attack-restarts 0 skips the attack).")
    var attackSamples = defaults.attackSamples

    @Option(help: "PGD restarts.")
    var attackRestarts = defaults.attackRestarts

    @Option(help: "PGD steps per restart.")
    var attackSteps = defaults.attackSteps

    @Option(help: "The share of the time left (with --timeout) the first attack may spend, above 0 and at most 1.")
    var attackTimeShare = defaults.attackTimeShare

    @Option(help: "The share of --attack-samples and --attack-restarts run before any bound, between 0 and 1; the rest runs when a root bound does not prove its case.")
    var quickAttackShare = defaults.quickAttackShare

    @Option(help: "PGD steps from the bound engine's candidates during branch and bound (0: none).")
    var searchAttackSteps = defaults.searchAttackSteps

    @Option(help: "Nodes of each batch whose candidates --search-attack-steps starts from.")
    var searchAttackNodes = defaults.searchAttackNodes

    func validate() throws {
        // Counts have generous upper limits: beyond them a run would exhaust memory or threads
        // before doing anything useful, and a clear error beats a crash.
        try require(batch, in: 1...1 << 20, "--batch")
        try require(inputSplitLimit, in: 0...1 << 20, "--input-split-limit")
        if let fsbCandidates { try require(fsbCandidates, in: 1...100_000, "--fsb-candidates") }
        try require(inputBranchingCandidates, in: 0...1 << 20, "--input-branching-candidates")
        try require(inputSplitWarmup, in: 0...Int.max, "--input-split-warmup")
        try require(refineLayers, in: 0...100_000, "--refine-layers")
        try require(refineSplits, in: 0...100_000_000, "--refine-splits")
        if let refineTimeShare { try require(refineTimeShare, above: 0, atMost: 1, "--refine-time-share") }
        try require(refineLayerDecay, in: 0...16, "--refine-layer-decay")
        if let refinePlateau { try require(refinePlateau, in: 0...1, "--refine-plateau") }
        try require(largeNetworkRelus, in: 0...Int.max, "--large-network-relus")
        try require(cutRounds, in: 0...1000, "--cut-rounds")
        try require(refineWhenStuck, in: 0...1, "--refine-when-stuck")
        try require(refineUnlessFinishing, in: 0...1, "--refine-unless-finishing")
        try require(refineReluLimit, in: 0...Int.max, "--refine-relu-limit")
        if let iterations { try require(iterations, in: 0...maximumIterations, "--iterations") }
        if let intermediateIterations { try require(intermediateIterations, in: 0...maximumIterations, "--intermediate-iterations") }
        try require(intermediateTimeShare, above: 0, atMost: 1, "--intermediate-time-share")
        try require(extraIterations, in: 0...maximumIterations, "--extra-iterations")
        try require(maxSubproblems, in: 1...Int.max, "--max-subproblems")
        if let subproblemBudget { try require(subproblemBudget, in: 1...Int.max, "--subproblem-budget") }
        guard maxMemory > 0, maxMemory < 1_048_576 else { throw ValidationError("--max-memory must be a positive number of GiB") }
        try require(z3LeafDepth, in: 0...100_000, "--z3-leaf-depth")
        guard z3LeafTimeout > 0, z3LeafTimeout.isFinite else { throw ValidationError("--z3-leaf-timeout must be positive") }
        try require(z3Workers, in: 1...1024, "--z3-workers")
        try require(attackSamples, in: 0...Int.max, "--attack-samples")
        try require(attackRestarts, in: 0...Int.max, "--attack-restarts")
        try require(attackSteps, in: 0...Int.max, "--attack-steps")
        try require(attackTimeShare, above: 0, atMost: 1, "--attack-time-share")
        try require(quickAttackShare, in: 0...1, "--quick-attack-share")
        try require(searchAttackSteps, in: 0...Int.max, "--search-attack-steps")
        try require(searchAttackNodes, in: 0...1 << 20, "--search-attack-nodes")
    }

    /// The options these flags set (the deadline and progress callback are the command's).
    var options: VerificationOptions {
        var options = VerificationOptions()
        options.splitMode = split
        options.inputSplitDimensionLimit = inputSplitLimit
        options.branching = branching
        options.fsbCandidates = fsbCandidates
        options.fsbReduce = fsbReduce
        options.inputBranching = inputBranching
        options.inputBranchingCandidates = inputBranchingCandidates
        options.inputSplitWarmup = inputSplitWarmup
        options.batchSize = batch
        options.method = method
        options.iterations = iterations
        options.rootIntermediateIterations = intermediateIterations
        options.rootIntermediateTimeShare = intermediateTimeShare
        options.childIntermediateBounds = childIntermediate
        options.separateDisjuncts = separateDisjuncts
        options.childIntermediateIterations = childIntermediateIterations
        options.extraIterations = extraIterations
        options.maxPoolHandling = maxPool
        options.refineLayers = refineLayers
        options.refineSplits = refineSplits
        options.refineTimeShare = refineTimeShare
        options.refineLayerDecay = refineLayerDecay
        options.refinePlateau = refinePlateau
        options.largeNetworkReluCount = largeNetworkRelus
        options.cutRounds = cutRounds
        options.refineWhenStuck = refineWhenStuck
        options.refineUnlessFinishing = refineUnlessFinishing
        options.refineReluLimit = refineReluLimit
        options.maxSubproblems = maxSubproblems
        options.subproblemBudget = subproblemBudget ?? Self.defaults.subproblemBudget
        options.memoryLimitBytes = Int(maxMemory * Double(1 << 30))
        options.z3LeafUnstable = z3LeafUnstable
        options.z3LeafDepth = z3LeafDepth
        options.z3LeafTimeout = z3LeafTimeout
        options.z3Workers = z3Workers
        options.seed = seed
        options.attackSamples = attackSamples
        options.attackRestarts = attackRestarts
        options.attackSteps = attackSteps
        options.attackTimeShare = attackTimeShare
        options.quickAttackShare = quickAttackShare
        options.searchAttackSteps = searchAttackSteps
        options.searchAttackNodes = searchAttackNodes
        return options
    }
}

/// The most α/β steps a flag may ask for (far beyond any use; a bound computation with more
/// would not end in a lifetime).
let maximumIterations = 1_000_000

/// Throws a ``ValidationError`` naming `flag` unless `value` lies in `range`.
func require(_ value: Int, in range: ClosedRange<Int>, _ flag: String) throws {
    guard range.contains(value) else {
        let limits = range.upperBound == Int.max ? "at least \(range.lowerBound)" : "between \(range.lowerBound) and \(range.upperBound)"
        throw ValidationError("\(flag) must be \(limits), got \(value)")
    }
}

/// Throws a ``ValidationError`` naming `flag` unless `value` lies in `range` (NaN never does).
func require(_ value: Double, in range: ClosedRange<Double>, _ flag: String) throws {
    guard range.contains(value) else {
        throw ValidationError("\(flag) must be between \(String(format: "%g", range.lowerBound)) and \(String(format: "%g", range.upperBound)), got \(value)")
    }
}

/// Throws a ``ValidationError`` naming `flag` unless `lower < value <= upper`.
func require(_ value: Double, above lower: Double, atMost upper: Double, _ flag: String) throws {
    guard value > lower, value <= upper else { throw ValidationError("\(flag) must be above \(lower) and at most \(upper), got \(value)") }
}
