import VerdictBounds
import VerdictCore
import VerdictZ3

/// Branch and bound over one case of a property (one input box and its unsafe region).
///
/// Open subproblems wait in a ``SubproblemQueue``, lowest bound first. Each step pops a batch,
/// splits each node in two by the ``SplitPolicy`` the options name (a ReLU's phase, or the
/// input box), and bounds all children in one engine call. A child is dropped when its
/// bounds refute every disjunct left to it; its engine's witness candidate is tried on the
/// network; the ``LeafScheduler`` takes children with few unstable ReLUs (or split deeply)
/// for Z3; the rest are queued. The case is `unsat` only when the queue is empty and every
/// Z3 leaf answered `unsat`.
final class BranchAndBound: ChildBounder {
    enum Outcome {
        case unsat
        case sat(WitnessChecker.Report)
        case unknown(String)
        case timedOut
    }

    let engine: any BoundEngine
    let options: VerificationOptions
    let confirmation: WitnessConfirmation
    let caseIndex: Int
    private let item: Property.Case
    private let mode: SplitMode
    private var policy: any SplitPolicy
    /// What the split policy is made from, again once the root is refined.
    private let gradient: NetworkGradient
    private let rootWidths: [Double]
    private var leaves: LeafScheduler
    private let candidates: CandidatePoints
    /// The root's intermediate α steps (``VerificationOptions/resolvedRootIntermediateIterations(smooth:)``).
    private let rootIntermediateIterations: Int
    /// Whether the network has Sigmoid or Tanh: their splits are not ReLU phases, and the
    /// refinement's trees split ReLUs only.
    private let isSmooth: Bool
    /// Whether the graph engine bounds (convolutional, residual networks) rather than a chain engine.
    private let onGraphEngine: Bool
    private let localAttack: GradientAttack
    /// Where the margins of bounded children's candidate points go (with the attacks').
    private let closest: ClosestMargin
    /// The attack deferred until the root bound fails to prove the case (see
    /// ``VerificationOptions/quickAttackShare``).
    private let rootAttack: (() -> WitnessChecker.Report?)?
    private var queue = SubproblemQueue()
    private var pacing = BatchPacing()
    private var searchStatistics = SearchStatistics()
    /// When branching last ran out of work while Z3 leaves were outstanding.
    private var idleSince: ContinuousClock.Instant?
    /// The weakest open bound after the last step that ended before the deadline.
    private var weakestBeforeDeadline: Double?
    /// The root's bounds as first filed, which a refinement starts from.
    private var rootBounds: SubproblemBounds?

    /// The search's statistics with its Z3 leaves'.
    var statistics: SearchStatistics {
        var total = searchStatistics
        total.merge(leaves.statistics)
        // A step the deadline cut short files children whose α/β stopped early: sound, but
        // looser than the search had come, so a timed-out search reports the step before (if
        // it took one).
        total.weakestOpenBound = options.deadline.isPast ? weakestBeforeDeadline ?? weakestOpenBound() : weakestOpenBound()
        return total
    }

    /// `exact` is the network the engine bounds (``Verifier/searchNetwork``), which Z3 leaves encode exactly.
    init(
        caseIndex: Int, engine: any BoundEngine, options: VerificationOptions, confirmation: WitnessConfirmation, gradient: NetworkGradient,
        exact: Network, pool: Z3LeafPool?, rootAttack: (() -> WitnessChecker.Report?)?, closest: ClosestMargin
    ) {
        self.closest = closest
        self.caseIndex = caseIndex
        self.rootAttack = rootAttack
        self.engine = engine
        self.options = options
        self.confirmation = confirmation
        item = confirmation.checker.property.cases[caseIndex]
        mode = options.resolvedSplitMode(inputCount: engine.layout.inputCount)
        isSmooth = !exact.smoothOperatorNames.isEmpty
        onGraphEngine = engine is GraphBoundEngine
        rootIntermediateIterations = options.resolvedRootIntermediateIterations(smooth: isSmooth)
        // Noise inputs get an infinite root width: never split (``InputBranching``).
        var rootWidths = item.box.widths
        for index in max(0, rootWidths.count - options.noiseInputCount)..<rootWidths.count { rootWidths[index] = .infinity }
        self.gradient = gradient
        self.rootWidths = rootWidths
        policy = SplitPolicies.make(options, mode: mode, gradient: gradient, rootWidths: rootWidths, graph: onGraphEngine, refined: false)
        leaves = LeafScheduler(pool: pool, options: options, mode: mode, exact: exact, confirmation: confirmation, caseIndex: caseIndex)
        candidates = CandidatePoints(gradient: gradient, mode: mode, layout: engine.layout)
        localAttack = GradientAttack(
            gradient: gradient, confirmation: confirmation, samples: 0, restarts: 0, steps: options.searchAttackSteps, deadline: options.deadline,
            closest: closest)
    }

    private var layout: ActivationLayout { engine.layout }

    func run() -> Outcome {
        do {
            if let report = try startAtRoot() { return .sat(report) }
            let searchStart = ContinuousClock.now
            var restartAfter = secondsBeforeRestart()
            var closing = ClosingRate()
            var lastReport = searchStart
            while true {
                if options.deadline.isPast { return .timedOut }
                if restartAfter < .infinity {
                    let elapsed = seconds(since: searchStart), volume = openVolume
                    closing.record(seconds: elapsed, volume: volume)
                    if elapsed >= restartAfter && !isClosingIn(closing, elapsed: elapsed, volume: volume) {
                        restartAfter = .infinity
                        searchStatistics.refinementRestartSeconds = elapsed
                        if let report = try restartFromRefinedRoot() { return .sat(report) }
                        continue
                    }
                }
                if seconds(since: lastReport) >= options.progressInterval {
                    lastReport = .now
                    reportProgress(since: searchStart)
                }
                if let report = collectLeaves() { return .sat(report) }
                for node in leaves.dispatchBacklog() { queue.push(node) }
                searchStatistics.peakQueue = max(searchStatistics.peakQueue, openCount)
                if queue.isEmpty {
                    if leaves.isIdle { break }
                    waitForLeaves()
                    continue
                }
                idleSince = nil
                if let reason = limitExceeded() { return .unknown(reason) }
                if let report = try step() { return .sat(report) }
                if !options.deadline.isPast { weakestBeforeDeadline = weakestOpenBound() }
            }
        } catch BoundEngineError.cancelled {
            return .timedOut
        } catch {
            return .unknown("bound engine failed: \(error)")
        }
        if options.deadline.isPast { return .timedOut }
        return leaves.unresolved.map { .unknown($0) } ?? .unsat
    }

    // MARK: The parts of a run

    /// Bounds and files the root (refined first with `--refine-layers`); a witness if its
    /// candidate is one.
    private func startAtRoot() throws -> WitnessChecker.Report? {
        let root = Child.root(item, layout: layout)
        // First without α on the intermediate layers: enough when it proves the case or a
        // short PGD from its candidate finds a counterexample, and cheap (`collins_rul_cnn
        // if_then_7levels_w20`: 0.3 s, against 16 s with them).
        var result = try bound([root], optimizingIntermediateLayers: false)[0]
        if !result.isProved, let rootAttack {
            let start = ContinuousClock.now
            let report = rootAttack()
            searchStatistics.attackSeconds += seconds(since: start)
            if let report { return report }
            if options.deadline.isPast { throw BoundEngineError.cancelled }
        }
        if !result.isProved && rootIntermediateIterations > 0 {
            if let report = confirmedCandidate(candidates.evaluate([root], [result])[0]) { return report }
            if options.attackSteps > 0, let report = descend(from: result.witnessCandidate, within: item.box, region: item.unsafe) { return report }
            result = try bound([root], optimizingIntermediateLayers: true)[0]
            searchStatistics.rootCuts += result.relaxation?.cuts?.count ?? 0
        }
        if mode == .relu && options.refineLayers > 0 && !result.isProved {
            // The root's candidate first: a counterexample needs no refinement.
            if let report = confirmedCandidate(candidates.evaluate([root], [result])[0]) { return report }
            result = try refinedRoot(root, bounds: result, layers: options.refineLayers)
        }
        rootBounds = result
        return try fileRoot(root, result)
    }

    /// Files the bounded root, or its open disjuncts as trees of their own.
    private func fileRoot(_ root: Child, _ result: SubproblemBounds) throws -> WitnessChecker.Report? {
        searchStatistics.rootUnstableByLayer = result.layerBounds.unstableCountByLayer
        let points = candidates.evaluate([root], [result])[0]
        guard mode == .relu, options.separateDisjuncts, !result.isProved, result.refutedDisjuncts.filter({ !$0 }).count > 1 else {
            return file(root, result, candidates: points)
        }
        if let report = confirmedCandidate(points) { return report }
        return try fileSeparately(OpenSubproblem(
            subproblem: root.subproblem, region: root.region, objectives: root.objectives, bounds: result, depth: 0, z3UnstableLimit: .max))
    }

    /// Seconds into the search after which it starts again from a refined root
    /// (``VerificationOptions/refineWhenStuck``), infinity for never: only ReLU splitting with
    /// a time limit, on a network of ReLUs small enough (``VerificationOptions/refineReluLimit``)
    /// whose root was not refined already and has an unstable ReLU after the first layer.
    private func secondsBeforeRestart() -> Double {
        guard mode == .relu, !isSmooth, options.refineWhenStuck > 0, options.refineLayers == 0, layout.reluCount <= options.refineReluLimit,
              let rootBounds, rootBounds.layerBounds.unstableCountByLayer.dropFirst().contains(where: { $0 > 0 })
        else { return .infinity }
        return options.refineWhenStuck * options.deadline.remainingSeconds
    }

    /// Whether the search, closing its trees as fast as it did in the last half of its time,
    /// would finish within ``VerificationOptions/refineUnlessFinishing`` of the time left: then
    /// the restart waits (checked again at every step). MNIST-FC `256x2 prop_1_0.03` (120 s):
    /// its search closes steadily and ends at 5 s, but the restart at 2.4 s made it take 27 s
    /// (README, refinement).
    private func isClosingIn(_ closing: ClosingRate, elapsed: Double, volume: Double) -> Bool {
        closing.projectedSeconds(now: elapsed, volume: volume) <= options.refineUnlessFinishing * options.deadline.remainingSeconds
    }

    /// The share of their trees the open subproblems stand for, queued or with Z3.
    private var openVolume: Double { queue.openVolume + leaves.openVolume }

    /// Refines every ReLU layer of the root after the first (whose inputs are linear in the
    /// box, so its bounds are exact already), drops the open subproblems and files
    /// the refined root in their place. Sound: the new root covers the whole case, so its tree
    /// alone must be refuted; Z3 leaves still out belong to the old tree and only add work.
    private func restartFromRefinedRoot() throws -> WitnessChecker.Report? {
        guard let rootBounds else { return nil }
        let root = Child.root(item, layout: layout)
        let result = try refinedRoot(root, bounds: rootBounds, layers: layout.reluLayerCount - 1)
        queue = SubproblemQueue()
        let report = try fileRoot(root, result)
        if report == nil && !result.isProved { searchStatistics.restartsLeftOpen += 1 }
        return report
    }

    /// The root's open disjuncts as trees of their own (``VerificationOptions/separateDisjuncts``).
    private func fileSeparately(_ root: OpenSubproblem) throws -> WitnessChecker.Report? {
        let parts = root.disjunctChildren()
        return file(parts, try bound(parts))
    }

    /// One batch: pop, attack from the first candidates, split, bound, file.
    private func step() throws -> WitnessChecker.Report? {
        let nodes = popBatch()
        let start = ContinuousClock.now
        // The pacing counts the attack as part of the batch.
        defer { pacing.record(nodes: nodes.count, seconds: seconds(since: start)) }
        if let report = attack(from: nodes) { return report }
        let batch = try policy.split(nodes, bounder: self)
        let results = try batch.bounds ?? bound(batch.children)
        for node in batch.unsplittable { leaves.takeUnsplittable(node) }
        return file(batch.children, results)
    }

    /// Files bounded children in order (see ``file(_:_:candidates:)``); the first witness ends it.
    private func file(_ children: [Child], _ results: [SubproblemBounds]) -> WitnessChecker.Report? {
        let points = candidates.evaluate(children, results)
        for index in children.indices {
            if let report = file(children[index], results[index], candidates: points[index]) { return report }
        }
        return nil
    }

    /// Up to a batch of nodes (fewer as the deadline nears, see ``BatchPacing``): half by the
    /// weakest bound, half by the closest point to the unsafe region.
    private func popBatch() -> [OpenSubproblem] {
        let size = pacing.batchSize(options.batchSize, remainingSeconds: options.deadline.remainingSeconds)
        var popped: [OpenSubproblem] = []
        while popped.count < size, let node = queue.pop(popped.count % 2 == 0 ? .weakestBound : .closestPoint) { popped.append(node) }
        return popped
    }

    /// The bounds point at where counterexamples would be (input splitting narrows the box;
    /// ReLU splitting's minimizing corners move with the splits): a short PGD from the
    /// candidates of the first nodes of each batch finds those the first attack missed.
    private func attack(from nodes: [OpenSubproblem]) -> WitnessChecker.Report? {
        guard options.attackSteps > 0, options.searchAttackSteps > 0 else { return nil }
        let start = ContinuousClock.now
        defer { searchStatistics.attackSeconds += seconds(since: start) }
        for node in nodes.prefix(options.searchAttackNodes) {
            if let report = descend(from: node.bounds.witnessCandidate, within: node.subproblem.box, region: node.region) { return report }
        }
        return nil
    }

    private func descend(from candidate: [Double], within box: InputBox, region: OutputRegion) -> WitnessChecker.Report? {
        let margin = UnsafeMargin(region: region, outputCount: layout.outputCount)
        return localAttack.descend(from: candidate, within: box, margin: margin, steps: options.searchAttackSteps, caseIndex: caseIndex)
    }

    /// Files a bounded child: dropped when proved, a witness when a candidate is one, a Z3
    /// leaf when the ``LeafScheduler`` takes it, queued otherwise.
    private func file(_ child: Child, _ result: SubproblemBounds, candidates: [CandidatePoints.Point]) -> WitnessChecker.Report? {
        guard !result.isProved else { return nil }
        if let report = confirmedCandidate(candidates) { return report }
        var node = OpenSubproblem(
            subproblem: child.subproblem, region: child.region, objectives: child.objectives, bounds: result, depth: child.depth,
            z3UnstableLimit: child.z3UnstableLimit)
        node.concreteMargin = candidates.map(\.margin).min() ?? .infinity
        closest.record(node.concreteMargin)
        searchStatistics.maxDepth = max(searchStatistics.maxDepth, child.depth)
        if !leaves.take(node) { queue.push(node) }
        return nil
    }

    private func confirmedCandidate(_ points: [CandidatePoints.Point]) -> WitnessChecker.Report? {
        for (point, margin) in points where margin <= 0 {
            if let report = confirmation.confirm(point, caseIndex: caseIndex) { return report }
        }
        return nil
    }

    /// Finished Z3 leaves: a confirmed witness, or the undecided ones back into the queue.
    private func collectLeaves() -> WitnessChecker.Report? {
        var retry: [OpenSubproblem] = []
        defer { retry.forEach { queue.push($0) } }
        return leaves.collect(retry: &retry)
    }

    /// Branching has nothing to split but Z3 is still on leaves: wait for them, and after
    /// half a second take back those that can be split (``LeafScheduler/reclaim()``).
    private func waitForLeaves() {
        let now = ContinuousClock.now
        if leaves.waitingCount == 0, let idle = idleSince, now - idle > .milliseconds(500) {
            let reclaimed = leaves.reclaim()
            if !reclaimed.isEmpty {
                reclaimed.forEach { queue.push($0) }
                idleSince = nil
                return
            }
        }
        if idleSince == nil { idleSince = now }
        leaves.wait()
    }

    private var openCount: Int { queue.count + leaves.waitingCount }
    /// The process's memory between batches.
    private var memory = ProcessMemory.Watch()

    /// Why the search must stop with `unknown` (the subproblem budget spent, too many open
    /// subproblems, or too much memory).
    private func limitExceeded() -> String? {
        if searchStatistics.subproblems >= options.subproblemBudget {
            return "bounded \(searchStatistics.subproblems) subproblems, the budget (--subproblem-budget)"
        }
        if openCount > options.maxSubproblems {
            return "more than \(options.maxSubproblems) open subproblems (--max-subproblems)"
        }
        if queue.bytes + leaves.waitingBytes > options.memoryLimitBytes {
            return "open subproblems need more than \(options.memoryLimitBytes >> 20) MiB (--max-memory)"
        }
        // The next batch may grow the process by as much as the last one did: stop before.
        return memory.limitReached(options.memoryLimitBytes)
    }

    private func reportProgress(since start: ContinuousClock.Instant) {
        guard let progress = options.progress else { return }
        progress(SearchProgress(
            seconds: seconds(since: start), subproblems: searchStatistics.subproblems, open: openCount,
            weakestBound: weakestOpenBound()))
    }

    /// The lowest bound among open subproblems, queued or waiting for Z3; nil when none is.
    private func weakestOpenBound() -> Double? { [queue.weakestBound(), leaves.weakestBacklogBound()].compactMap { $0 }.min() }

    // MARK: Bounding

    /// The bound settings of the root and of children (the root adds its own below).
    private func boundOptions() -> BoundOptions {
        let deadline = options.deadline
        let iterations = options.resolvedIterations(inputCount: layout.inputCount, bounded: bounded)
        var bounds = BoundOptions(method: options.resolvedMethod(inputCount: layout.inputCount), iterations: iterations, shouldStop: { deadline.isPast })
        bounds.extraIterations = options.extraIterations
        // The search reads only the rows' lower bounds.
        bounds.objectiveUpperBounds = false
        return bounds
    }

    func bound(_ children: [Child]) throws -> [SubproblemBounds] {
        try bound(children, optimizingIntermediateLayers: false)
    }

    private func bound(_ children: [Child], optimizingIntermediateLayers: Bool) throws -> [SubproblemBounds] {
        let start = ContinuousClock.now
        defer { searchStatistics.boundSeconds += seconds(since: start) }
        searchStatistics.subproblems += children.count
        var settings = boundOptions()
        if optimizingIntermediateLayers {
            settings.intermediateIterations = rootIntermediateIterations
            settings.cutRounds = options.cutRounds
            let budget = options.deadline.share(options.rootIntermediateTimeShare)
            settings.intermediateShouldStop = { budget.isPast }
        } else {
            settings.intermediateIterations = options.childIntermediateIterations
        }
        let results = try engine.bound(children.map(\.task), options: settings)
        // An engine stopped by the deadline returns sound but unfinished bounds; filing a
        // large batch of them (candidates, queue) would overrun `--timeout` by seconds.
        if options.deadline.isPast { throw BoundEngineError.cancelled }
        return results
    }

    var bounded: Int { searchStatistics.subproblems }

    func quickBound(_ children: [Child]) throws -> [SubproblemBounds] {
        let start = ContinuousClock.now
        defer { searchStatistics.boundSeconds += seconds(since: start) }
        var quick = boundOptions()
        // One pass at the warm start (a new split's β at 0), for the objective rows' lower bounds only.
        if quick.method == .ibp { quick.method = .crown }
        quick.objectiveLowerBoundsOnly = true
        return try engine.bound(children.map(\.task), options: quick)
    }

    /// The root bounded again after ``IntermediateRefinement`` tightened ReLU layers
    /// `1...layers` (`--refine-layers`, or all when the search is stuck), within
    /// its share of the time left. The split policy is made again for children of a refined
    /// root (``ChildIntermediateBounds/auto``).
    private func refinedRoot(_ root: Child, bounds result: SubproblemBounds, layers: Int) throws -> SubproblemBounds {
        policy = SplitPolicies.make(options, mode: mode, gradient: gradient, rootWidths: rootWidths, graph: onGraphEngine, refined: true)
        let start = ContinuousClock.now
        defer { searchStatistics.refinementSeconds += seconds(since: start) }
        searchStatistics.rootUnstableBeforeRefinement = result.layerBounds.unstableCountByLayer
        var refinement = IntermediateRefinement(engine: engine, layers: layers, splits: options.refineSplits, options: boundOptions())
        refinement.deadline = options.deadline.share(options.resolvedRefineTimeShare(reluCount: layout.reluCount))
        refinement.layerDecay = options.refineLayerDecay
        // Half: the search after it needs room, and freed leaves may stay resident.
        refinement.memoryLimitBytes = options.memoryLimitBytes / 2
        refinement.plateau = options.resolvedRefinePlateau(reluCount: layout.reluCount)
        func rooted(_ bounds: LayerBounds, keeping layers: Int) -> Child {
            var refined = root
            refined.subproblem.parentBounds = bounds
            refined.subproblem.reusableLayers = layers
            return refined
        }
        let refined = try refinement.refine(box: item.box, initial: result.layerBounds) { bounds, layer in
            let rebounded = try bound([rooted(bounds, keeping: layer + 1)], optimizingIntermediateLayers: true)[0]
            return (rebounded.layerBounds, rebounded.isProved)
        }
        searchStatistics.refinementByLayer = refinement.report
        return try bound([rooted(refined, keeping: refinement.lastLayer + 1)], optimizingIntermediateLayers: true)[0]
    }
}
