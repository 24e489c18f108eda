import VerdictBounds

/// What branch and bound splits.
public enum SplitMode: String, CaseIterable, Sendable {
    /// Fix one unstable ReLU per split (active / inactive).
    case relu
    /// Bisect the input box along one dimension.
    case input
    /// Input splitting when the network has at most ``VerificationOptions/inputSplitDimensionLimit``
    /// inputs (ACAS Xu has 5), ReLU splitting otherwise.
    case auto
}

/// How the ReLU to split is chosen (see ``ReluBranching``).
public enum BranchingHeuristic: String, CaseIterable, Sendable {
    /// |backward coefficient| × triangle intercept, as BaBSR (Bunel et al. 2020) scores.
    case babsr
    /// Filtered smart branching: the best few by the BaBSR score, each tried by bounding both
    /// children with CROWN; the split whose worse child is best wins.
    case fsb
    /// `max(0, -ν)` × triangle intercept: the gap the weakest row's lower bound pays through
    /// the upper lines (α,β-CROWN's backup score; FSB also tries the best few by it).
    case intercept
    /// The unstable ReLU with the widest pre-activation interval.
    case widest
    /// Any unstable ReLU, uniformly (seeded).
    case random
}

/// How filtered smart branching scores a candidate from its two trial children.
public enum FSBReduction: String, CaseIterable, Sendable {
    /// The worse child's bound: splits that lift both sides.
    case min
    /// The better child's bound: splits that refute one side at once.
    case max
    /// `max` where children keep every intermediate layer of their parent (the graph
    /// engine's default, ``ChildIntermediateBounds/auto``), `min` where they recompute them
    /// (dense chains). On oval21 `max` halved the trees: `cifar_deep_kw img4168` 2,165 → 1,375
    /// subproblems, `cifar_base_kw img876` 8,207 → 4,231 (README, oval21). On MNIST-FC, whose
    /// children recompute, `max` needed fewer subproblems for the same 66 of 71 at a 60 s cap
    /// (575 s against 623 s), but `256x4 prop_8_0.05`, which `min` has proved in 224-294 s,
    /// timed out at 300 s with `max` (106,991 subproblems), so chains keep `min`.
    case auto

    /// The reduction `auto` stands for, for children that keep every layer (`reusing`) or not.
    public func resolved(reusingEveryLayer reusing: Bool) -> FSBReduction {
        self == .auto ? (reusing ? .max : .min) : self
    }
}

/// How the input dimension to bisect is chosen (see ``InputBranching``).
public enum InputBranchingHeuristic: String, CaseIterable, Sendable {
    /// Bound both halves along each candidate dimension (``VerificationOptions/inputBranchingCandidates``)
    /// and keep the split whose halves fall shortest of a proof in total (costs one bound per
    /// candidate and half, but the chosen halves' bounds are kept).
    case improvement
    /// The largest `|A_i|·width_i` of the weakest row's CROWN bound `A·x + c`.
    case coefficients
    /// The largest `|∂r/∂x_i|·width_i` of the weakest row at the box center (smear).
    case gradient
}

/// How branch and bound treats max pools.
public enum MaxPoolHandling: String, CaseIterable, Sendable {
    /// One relaxation per pool (the largest lower bound's input below, the largest upper bound
    /// above); Z3 leaves decide the pools exactly, and the search never splits them.
    case relax
    /// Each pool rewritten as ReLUs (`max(a, b) = a + relu(b - a)`, see
    /// ``VerdictCore/Network/withMaxPoolsAsReLUs()``): the search splits a pool's open
    /// winners like any ReLU, when the branching heuristic finds them the weakest point.
    case split
}

/// What a ReLU-split child does with the intermediate bounds of its parent.
public enum ChildIntermediateBounds: String, CaseIterable, Sendable {
    /// Recompute (CROWN) every layer after the split's layer: tighter bounds per child, at
    /// the price of two backward passes per unstable neuron of those layers.
    case recompute
    /// Keep all of the parent's intermediate bounds (with the new split applied) and bound
    /// only the property's rows, whose β multipliers enforce every split, as α,β-CROWN does
    /// by default: many more children per second, each a little looser.
    case reuse
    /// `reuse` on networks the graph engine bounds (convolutions, residual joins), where a
    /// recomputed layer passes hundreds of rows back through every convolution: on
    /// sri_resnet_a `idx_3667` reuse bounds twice the children per second and proves it in
    /// 286 s (recompute: timed out at 300 s). `recompute` on chains of dense layers, where
    /// reuse lost two MNIST-FC proofs, until their root is refined
    /// (``VerificationOptions/refineLayers``, ``VerificationOptions/refineWhenStuck``): a
    /// refined layer is tighter than CROWN recomputes it, so a child's recomputation costs
    /// time and gains little. MNIST-FC `256x4 prop_6_0.05`, open at 300 s with recompute,
    /// is proved in 182 s with reuse after its refinement (README, refinement).
    case auto

    /// Whether children keep every layer, on the graph engine (`graph`) or a chain engine,
    /// below a root whose intermediate layers were refined (`refined`) or not.
    public func reusesEveryLayer(graph: Bool, refined: Bool) -> Bool {
        switch self {
        case .recompute: return false
        case .reuse: return true
        case .auto: return graph || refined
        }
    }
}

/// Every knob of a verification run, with its default and why, in one place: `verdict verify`
/// takes its flags' defaults from here (``VerificationOptions/defaults``), and library users
/// set the same fields.
public struct VerificationOptions: Sendable {
    /// The defaults, as the command line shows them.
    public static let defaults = VerificationOptions()

    public var splitMode: SplitMode = .auto
    /// FSB since MNIST-FC `256x2 prop_1_0.03` (see ``separateDisjuncts``): with per-disjunct
    /// trees and the intercept-best candidates it is proved in 6.4 s, where BaBSR's weakest
    /// bound was still -0.42 after 40 s.
    public var branching: BranchingHeuristic = .fsb
    public var inputBranching: InputBranchingHeuristic = .improvement
    /// `improvement` tries the halves of only this many dimensions per box (0: all): the
    /// widest relative to the root box and the best by the `coefficients` score (see
    /// ``InputBranching/ranked(_:among:keeping:rootWidths:)``). 4 and 3 α steps took
    /// reach_prob_density from 243 s to 126 s and ACAS Xu from 160 s to 128 s (README, input
    /// splitting).
    public var inputBranchingCandidates = 4
    /// Input splitting: until this many subproblems are bounded, improvement tries every
    /// dimension and each bound takes ``inputSplitWarmupIterations`` α steps (unless
    /// `iterations` is set), as before 2026-12-02. The first splits shape the tree and cost
    /// little: ACAS Xu `5_1 prop_3` needed 472 subproblems this way and 1,370 without; with it
    /// no `unsat` instance of ACAS Xu or reach_prob_density needs 10 % more subproblems than
    /// the old defaults, and the large trees keep the new speed (README, input splitting).
    public var inputSplitWarmup = 2000
    /// Subproblems popped and split per step; their children are bounded in one engine call.
    public var batchSize = 64
    /// Method for the root bounds and every child; nil picks β-CROWN for ReLU splitting (its
    /// multipliers enforce the splits) and α-CROWN for input splitting (no splits to enforce).
    public var method: BoundMethod?
    /// α/β steps per bound computation; nil picks 20 for ReLU splitting (β must enforce the
    /// splits: on MNIST-FC 20 steps needed 15-60 % fewer subproblems than 10, and proved one
    /// instance that 10 could not in 120 s; 5 steps needed 1.4-7x more than 10; with cutting
    /// planes, oval21's `wide img3458` took 14.6 s with 20 against 75.5 s with 10; README,
    /// "How `verify` works"), and 3 for input splitting (children start from the parent's α:
    /// 3 steps gave nearly the same trees as 10 on ACAS Xu and reach_prob_density, in less
    /// time; README, input splitting).
    public var iterations: Int?
    /// α steps for every intermediate layer's bounds of the root subproblem (see
    /// ``BoundOptions/intermediateIterations``); its descendants inherit those bounds. nil
    /// picks 20, or 40 for networks with Sigmoid or Tanh: their lines depend on every
    /// neuron's bounds, and branching them gains little, so the root's bounds decide. On
    /// eran's Sigmoid 6x200 net 40 steps proved six instances at the root (about 15 s each)
    /// whose weakest bound was -0.5 to -2.5 after 20 (README, Sigmoid and Tanh).
    public var rootIntermediateIterations: Int?
    public static let reluRootIntermediateIterations = 20
    public static let smoothRootIntermediateIterations = 40
    /// Their share of the time left when the root is bounded (with a deadline): past it, each
    /// layer keeps its best bounds so far. On a 11,364-ReLU residual network (`sri_resnet_a`)
    /// the root's CROWN alone took 14-23 s, and 20 α steps per layer would take the whole limit.
    public var rootIntermediateTimeShare = 0.25
    /// ReLU splitting: ReLU layers `1...refineLayers` get their bounds tightened before the
    /// search, each unstable neuron's by a branch and bound of its own
    /// (``IntermediateRefinement``); 0 turns it off.
    public var refineLayers = 0
    /// Splits spent on each bound of each neuron refined, at most. On eran's `mnist_relu_9_200`
    /// `idx_4424` (all 8 layers, 300 s limit) 64 splits left a root bound of -3.7 after 118 s of
    /// refinement; 256 proved it at the root in 117 s. 512 proves MNIST-FC `256x4 prop_8_0.05`,
    /// which 256 leaves open, and eran's refined proofs take 505 s against 573 s, for 1.7x the
    /// time of the shorter MNIST-FC proofs (README, refinement).
    public var refineSplits = 512
    /// The refinement's share of the time left when it starts (with a deadline): its layers
    /// split this time by their unstable ReLUs (weighted by ``refineLayerDecay``) and stop splitting when their share is spent,
    /// keeping bounds that are sound, only less tight. nil: ``smallNetworkRefineTimeShare`` up to
    /// ``largeNetworkReluCount`` ReLUs, ``largeNetworkRefineTimeShare`` above.
    public var refineTimeShare: Double?
    /// Without a budget, refinement took all 120 s of three MNIST-FC instances whose third layer
    /// had 147-253 unstable ReLUs. 0.8 as α,β-CROWN's `refine_neuron_time_percentage` for the
    /// same networks: the search after a good refinement is short.
    public static let smallNetworkRefineTimeShare = 0.8
    /// On convolutional and residual networks a refined layer gains less per second and the
    /// search after it needs more: sri_resnet_a's `idx_3612` is proved in 161.7 s with 0.4,
    /// 250.0 s with 0.8 (both with the plateau rule; README, refinement).
    public static let largeNetworkRefineTimeShare = 0.4
    /// How the refinement's time is split among its layers: layer `k` weighs its unstable ReLUs
    /// divided by `k` to this power, against the layers after it. Looseness in an early layer
    /// compounds through every later one, so early layers come first: on eran's `idx_9841` at a
    /// 200 s limit, 2 proves it in 167.8 s, 1 in 188.4 s, 0 (equal weight per ReLU) leaves it
    /// open at -0.82 (README, refinement). A layer that runs out of splits first leaves its time
    /// to the layers after it.
    public var refineLayerDecay = 2.0
    /// A refined layer stops splitting once its last 8 rounds raised its bounds (summed, each
    /// up to 0) by less than this fraction of all they gained, and leaves its time to the layers
    /// after it; 0 never stops early. nil: 0 up to ``largeNetworkReluCount`` ReLUs (the dense
    /// networks' refined proofs were measured without it), ``largeNetworkRefinePlateau`` above.
    public var refinePlateau: Double?
    /// On sri_resnet_a layer 1's rounds stop paying after about 16 (0.86 s a round for 135 →
    /// 133 unstable ReLUs, 16 rounds or 164): `idx_3612` is proved in 161.7 s with 0.1, 253.0 s
    /// without, and peak memory falls from 5.3 to 1.6 GiB (README, refinement).
    public static let largeNetworkRefinePlateau = 0.1
    /// ReLU splitting on networks the graph engine bounds: rounds of cutting planes at each
    /// case's root (``BoundOptions/cutRounds``), whose cuts every subproblem of the case then
    /// lifts into its rows; 0 for none. On oval21 at 300 s they took the count from 19 to 21
    /// of its 28 labelled instances (`cifar_deep_kw img1052`: open after 720 s and 121,914
    /// subproblems without them, proved in 16 s with 2,938), and the slower earlier proofs took
    /// 2-22x less time (the quickest, under 1 s, stayed within 0.3 s); collins_rul_cnn,
    /// verivital and sri_resnet_a `idx_3667` were no slower (README, "How `verify` works").
    public var cutRounds = 8
    /// ReLU splitting with a time limit: a case still open after this share of the time it
    /// started with refines every ReLU layer after the first (as `refineLayers`) and starts its
    /// search again from the refined root; 0 turns it off. Deep networks need it: the root
    /// bound of eran's 9x200 `idx_4424` is -588, and 60 s of splitting (9,500 subproblems)
    /// gets nowhere, while the refined root is proved (README, refinement). Cases the search
    /// closes quickly never pay for it. Early, because the refinement's result depends on its
    /// budget: at 300 s, 0.1 (30 s) left `idx_4424` and `idx_2441` timed out, 0.02 (6 s)
    /// proved them in 106 and 170 s.
    public var refineWhenStuck = 0.02
    /// The restart waits while the search, at the rate it closed its trees over the last half
    /// of its time (``ClosingRate``), would finish within this share of the time left (0: never
    /// waits). Easy cases no longer pay for a refinement they do not need (``BranchAndBound``'s
    /// `isClosingIn`).
    public var refineUnlessFinishing = 0.1
    /// Networks with more ReLUs than this refine with the large-network defaults of
    /// ``refineTimeShare`` and ``refinePlateau``. eran's 9x200 has 1,610, MNIST-FC's 256x6
    /// 1,536; every convolutional network of the shared suites 3,172 or more.
    public var largeNetworkReluCount = 2_048
    /// The restart is skipped on networks with more ReLUs than this: every tree bounds the
    /// network up to its layer, and the largest measured with it is sri_resnet_a (11,364
    /// ReLUs), where it proves all 32 labelled instances (3 of them only with it), and oval21
    /// (3,172-6,756), where it proves `cifar_wide_kw img2732` (README, refinement). The cost:
    /// a restart at 6 s of a case the search would finish, sri's `idx_3667` 150 s instead of
    /// 72 s. Before the plateau rule and the smaller share, oval21's `cifar_base_kw img876`
    /// spent 214 s and 11.5 GiB refining to remove 16 of 263 unstable ReLUs.
    public var refineReluLimit = 20_000
    /// ReLU splitting: each disjunct the root leaves open (MNIST's "label 1 against class j",
    /// one per class) gets a tree of its own, whose splits serve its row alone, as α,β-CROWN
    /// does; otherwise one tree holds them all and its splits serve the weakest.
    /// On MNIST-FC `256x2 prop_1_0.03` (9 disjuncts) one shared tree was still open after 60 s
    /// with every setting tried; separate trees prove it in 6.4 s (FSB) and 3.7 s (FSB scored
    /// by the better child, reusing intermediate bounds), against 11.3 s for α,β-CROWN here.
    public var separateDisjuncts = true
    /// α/β steps for the intermediate layers a child recomputes (with β on its splits, as
    /// α,β-CROWN's `enable_opt_interm_bounds`); 0 keeps CROWN's slopes there.
    public var childIntermediateIterations = 0
    /// Extra α/β steps for ReLU-split subproblems' objective rows that are about to refute
    /// their disjunct (``BoundOptions/extraIterations``; graph engine). Off: on oval21 and
    /// sri_resnet_a it moved times by a few percent either way (README, `--extra-iterations`).
    public var extraIterations = 0
    /// What ReLU-split children do with their parent's intermediate bounds.
    public var childIntermediateBounds: ChildIntermediateBounds = .auto
    public var maxPoolHandling: MaxPoolHandling = .relax
    /// Beyond this many open subproblems the run stops with `unknown` (bounded memory).
    public var maxSubproblems = 500_000
    /// After bounding this many subproblems the run stops with `unknown`: a size limit that,
    /// unlike a deadline, gives the same answer on every machine (`verdict radius` bounds the
    /// root alone, budget 1, for its cheap first bracket).
    public var subproblemBudget = Int.max
    /// When the process's resident memory, or the estimate of the bytes that open subproblems
    /// and waiting Z3 leaves hold, passes this, the run stops with `unknown`. The default is
    /// half of the memory the process may fill (``ProcessMemory/defaultLimit``: the machine's,
    /// a cgroup's or `ulimit -v`'s); a run under `ulimit -v` also stops near that limit.
    public var memoryLimitBytes = ProcessMemory.defaultLimit
    /// A subproblem with at most this many unstable ReLUs goes to Z3; negative disables Z3 leaves.
    public var z3LeafUnstable = 10
    /// A subproblem split more than this many times goes to Z3.
    public var z3LeafDepth = 60
    /// Seconds Z3 may spend on one leaf before it goes back to branch and bound.
    public var z3LeafTimeout = 10.0
    /// Threads running Z3 leaves beside the bound computation.
    public var z3Workers = 1
    /// Seed of random sampling, attack restarts and random branching.
    public var seed: UInt64 = 0
    /// Random samples, then PGD restarts and steps, before any bounding. Zero restarts skips PGD.
    public var attackSamples = 2048
    public var attackRestarts = 20
    public var attackSteps = 100
    /// During branch and bound, a short PGD of this many steps starts from the bound
    /// engine's candidates of the first ``searchAttackNodes`` nodes of each batch (0: none).
    /// Short, because it runs every batch; it finds counterexamples the first attack missed
    /// in corners the bounds point at.
    public var searchAttackSteps = 20
    public var searchAttackNodes = 2
    /// The first attack's share of the time left (with a deadline). Without one, the attack on
    /// the 11,364-ReLU residual network of `sri_resnet_a` took the whole 30 s limit of 10 of
    /// 13 instances (its sat witnesses come within 16 s), leaving no time to bound.
    public var attackTimeShare = 0.2
    /// The share of those samples and restarts run before any bound (at least one restart
    /// where there are any); the rest runs on each case whose root bound does not prove it.
    /// A proof at the root then costs no full attack: on `sri_resnet_a` the attack took 20 s
    /// before a root bound that proves the instance in 15 s.
    public var quickAttackShare = 0.1
    /// FSB: how many BaBSR-best candidates are tried (and as many intercept-best ones, see
    /// ``BranchingHeuristic/intercept``, those not already among them); nil:
    /// ``chainFSBCandidates`` on dense chains, ``graphFSBCandidates`` on networks the graph engine bounds.
    public var fsbCandidates: Int?
    /// FSB: a candidate's score is its worse child's bound (`min`, breadth-first in spirit) or
    /// its better child's (`max`: splits that refute one side at once, as α,β-CROWN's MNIST-FC
    /// and oval21 configurations choose); `auto` picks by how children treat intermediate bounds.
    public var fsbReduce: FSBReduction = .auto
    /// `--split auto` chooses input splitting up to this many inputs. 16 takes in
    /// reach_prob_density's `gcas` (14 inputs, 64 ReLUs): splitting inputs proves each of its
    /// unsat instances in seconds, splitting ReLUs timed out on most of them.
    public var inputSplitDimensionLimit = 16
    /// Trailing inputs that are not the model's but the rounding noise of a float query
    /// (`FloatEvaluation` in the `Verdict` library): never split, and not counted by `--split auto`.
    public var noiseInputCount = 0
    /// A further test every witness must pass before the search answers `sat` (a float
    /// query's: every float evaluation at the input is unsafe). A candidate that fails it is
    /// no witness, and the search goes on.
    public var witnessFilter: (@Sendable ([Double]) -> Bool)?
    public var deadline: Deadline = .none
    /// Called from the search's thread every ``progressInterval`` seconds of branch and bound.
    public var progress: (@Sendable (SearchProgress) -> Void)?
    public var progressInterval = 5.0

    /// The OpenCL arithmetic `--precision auto` means. ReLU splitting bounds many small
    /// children: float's throughput (1.3-1.5x on MNIST-FC) outweighs its slightly looser
    /// bounds there; input splitting's narrow boxes lose more to float's rounding allowance
    /// (up to 20 % on ACAS Xu), so it keeps double where the device has it.
    public func automaticPrecision(inputCount: Int) -> DevicePrecision {
        resolvedSplitMode(inputCount: inputCount) == .relu ? .float : .auto
    }

    public init() {}

    public func resolvedMethod(inputCount: Int) -> BoundMethod {
        method ?? (resolvedSplitMode(inputCount: inputCount) == .relu ? .betaCrown : .alphaCrown)
    }

    /// α/β steps per bound when `iterations` is nil: ReLU-split children need β's steps (and
    /// the cuts' multipliers theirs); input-split children start from their parent's α, so 3
    /// steps do (README, "Input splitting").
    public static let reluSplitIterations = 20
    public static let inputSplitIterations = 3

    /// FSB's candidates when `fsbCandidates` is nil, on dense chains.
    public static let chainFSBCandidates = 5
    /// On the graph engine a trial child costs a pass through every convolution: the 12
    /// slowest oval21 proofs took 9 % less time with 3 than with 5 (15 % more subproblems),
    /// sri_resnet_a `idx_3667` 8 % less (README, "How `verify` works").
    public static let graphFSBCandidates = 3

    /// FSB's candidates on the graph engine (`graph`) or a dense chain.
    public func resolvedFSBCandidates(graph: Bool) -> Int {
        fsbCandidates ?? (graph ? Self.graphFSBCandidates : Self.chainFSBCandidates)
    }

    public static let inputSplitWarmupIterations = 10

    /// The α/β steps for a bound taken after `bounded` subproblems (see ``inputSplitWarmup``).
    public func resolvedIterations(inputCount: Int, bounded: Int = .max) -> Int {
        if let iterations { return iterations }
        if resolvedSplitMode(inputCount: inputCount) == .relu { return Self.reluSplitIterations }
        return isWarmingUp(bounded: bounded) ? Self.inputSplitWarmupIterations : Self.inputSplitIterations
    }

    /// The root's intermediate α steps (``rootIntermediateIterations``) for a network with
    /// (`smooth`) or without S-shaped activations.
    public func resolvedRootIntermediateIterations(smooth: Bool) -> Int {
        rootIntermediateIterations ?? (smooth ? Self.smoothRootIntermediateIterations : Self.reluRootIntermediateIterations)
    }

    /// The refinement's share of the time left (``refineTimeShare``) on a network of `reluCount` ReLUs.
    public func resolvedRefineTimeShare(reluCount: Int) -> Double {
        refineTimeShare ?? (isLargeNetwork(reluCount: reluCount) ? Self.largeNetworkRefineTimeShare : Self.smallNetworkRefineTimeShare)
    }

    /// The refinement's plateau rule (``refinePlateau``) on a network of `reluCount` ReLUs.
    public func resolvedRefinePlateau(reluCount: Int) -> Double {
        refinePlateau ?? (isLargeNetwork(reluCount: reluCount) ? Self.largeNetworkRefinePlateau : 0)
    }

    /// Whether a network of `reluCount` ReLUs takes the large-network refinement defaults.
    private func isLargeNetwork(reluCount: Int) -> Bool { reluCount > largeNetworkReluCount }

    /// Whether an input-split search that has bounded `bounded` subproblems is still in its
    /// warm-up (``inputSplitWarmup``).
    public func isWarmingUp(bounded: Int) -> Bool {
        bounded < inputSplitWarmup
    }

    /// The split mode `auto` resolves to for a network with `inputCount` inputs.
    public func resolvedSplitMode(inputCount: Int) -> SplitMode {
        guard splitMode == .auto else { return splitMode }
        return inputCount - noiseInputCount <= inputSplitDimensionLimit ? .input : .relu
    }
}
