import VerdictBounds
import VerdictCore
import VerdictZ3

/// Branch and bound over one case of a property (one input box and its unsafe region).
///
/// Open subproblems wait in a ``SubproblemQueue``, lowest bound first. Each step pops up to
/// `batchSize` of them, splits each in two (a ReLU's phase, or the input box), and bounds all
/// children in one engine call. A child is dropped when its bounds refute every disjunct left
/// to it; its bound engine's witness candidate is tried on the network; a child with few
/// unstable ReLUs (or split deeply) goes to Z3 on a worker thread; the rest are queued.
/// The case is `unsat` only when the queue is empty and every Z3 leaf answered `unsat`.
final class BranchAndBound {
    enum Outcome {
        case unsat
        case sat(WitnessChecker.Report)
        case unknown(String)
        case timedOut
    }

    let engine: any BoundEngine
    let options: VerificationOptions
    let confirmation: WitnessConfirmation
    let gradient: NetworkGradient
    /// The imported network, which Z3 leaves encode exactly.
    let exact: Network
    let pool: Z3LeafPool?
    var statistics = SearchStatistics()
    private var generator: SeededGenerator
    /// Open subproblems and queued Z3 leaves together stop the run past this estimate.
    private let memoryLimitBytes = 8 << 30

    init(engine: any BoundEngine, options: VerificationOptions, confirmation: WitnessConfirmation, gradient: NetworkGradient, exact: Network, pool: Z3LeafPool?) {
        self.engine = engine
        self.options = options
        self.confirmation = confirmation
        self.gradient = gradient
        self.exact = exact
        self.pool = pool
        generator = SeededGenerator(seed: options.seed &+ 0x5EED)
    }

    private var network: ActivationLayout { engine.layout }

    private var boundOptions: BoundOptions {
        let deadline = options.deadline
        let method = options.resolvedMethod(inputCount: network.inputCount)
        return BoundOptions(method: method, iterations: options.resolvedIterations(inputCount: network.inputCount), shouldStop: { deadline.isPast })
    }

    /// A child waiting to be bounded.
    private struct Child {
        var subproblem: Subproblem
        var region: OutputRegion
        var objectives: Objectives
        var depth: Int
        var z3UnstableLimit: Int
    }

    func verify(caseIndex: Int) -> Outcome {
        let item = confirmation.checker.property.cases[caseIndex]
        let mode = options.resolvedSplitMode(inputCount: network.inputCount)
        let rootWidths = item.box.widths
        let objectives = Objectives(region: item.unsafe, outputCount: network.outputCount)
        var queue = SubproblemQueue()
        /// Leaves that must go to Z3 (split past `--z3-leaf-depth`, or unsplittable), waiting for a worker.
        var z3Backlog = SubproblemQueue()
        var unresolved: String?
        var leafNodes: [OpenSubproblem] = []
        /// Leaves sent to Z3 and not yet answered, by job id; `abandoned` ones were taken back
        /// for splitting (their answers then only matter if they are a confirmed witness).
        var inFlight: [Int: OpenSubproblem] = [:]
        var abandoned: Set<Int> = []
        var idleSince: ContinuousClock.Instant?
        let localAttack = GradientAttack(
            gradient: gradient, confirmation: confirmation, samples: 0, restarts: 0, steps: 20, deadline: options.deadline)

        func bound(_ children: [Child], isRoot: Bool = false) throws -> [SubproblemBounds] {
            let start = ContinuousClock.now
            defer { statistics.boundSeconds += seconds(since: start) }
            statistics.subproblems += children.count
            var settings = boundOptions
            if isRoot { settings.intermediateIterations = options.rootIntermediateIterations }
            let results = try engine.bound(children.map { BoundTask(subproblem: $0.subproblem, objectives: $0.objectives) }, options: settings)
            // An engine stopped by the deadline returns sound but unfinished bounds; filing a
            // large batch of them (candidates, queue) would overrun `--timeout` by seconds.
            if options.deadline.isPast { throw BoundEngineError.cancelled }
            return results
        }

        /// The points of every bounded child worth running through the network, with their
        /// margins: the engine's candidate (a corner minimizing the weakest bound) and, when
        /// input splitting makes the box new, the box's center: a counterexample, or a measure
        /// of how close this subproblem comes to one. (ReLU splitting keeps the root box, whose
        /// center the attack has tried.) None for a proved child. Evaluated on all cores: one
        /// forward pass each, about 4 % of a MNIST run when done one after another.
        func evaluatedCandidates(_ children: [Child], _ results: [SubproblemBounds]) -> [[(point: [Double], margin: Double)]] {
            let points = zip(children, results).map { child, result -> [[Double]] in
                guard !result.isProved else { return [] }
                let points = mode == .input ? [result.witnessCandidate, child.subproblem.box.center] : [result.witnessCandidate]
                return points.filter { $0.count == network.inputCount }
            }
            let gradient = self.gradient, outputCount = network.outputCount
            let regions = children.map(\.region)
            var evaluated = [[(point: [Double], margin: Double)]](repeating: [], count: points.count)
            evaluated.withUnsafeMutableBufferPointer { buffer in
                nonisolated(unsafe) let base = buffer.baseAddress!
                DenseKernels.parallelFor(points.count) { index in
                    let margin = UnsafeMargin(region: regions[index], outputCount: outputCount)
                    base[index] = points[index].map { ($0, margin.evaluate(gradient.outputs($0)).value) }
                }
            }
            return evaluated
        }

        /// Files a bounded child: dropped, a witness, a Z3 leaf or queued. `candidates` are its
        /// ``evaluatedCandidates``.
        func file(_ child: Child, _ result: SubproblemBounds, candidates: [(point: [Double], margin: Double)]) -> WitnessChecker.Report? {
            guard !result.isProved else { return nil }
            var concrete = Double.infinity
            for (point, margin) in candidates {
                if margin <= 0, let report = confirmation.confirm(point, caseIndex: caseIndex) { return report }
                concrete = min(concrete, margin)
            }
            var node = OpenSubproblem(
                subproblem: child.subproblem, region: child.region, objectives: child.objectives, bounds: result, depth: child.depth,
                z3UnstableLimit: child.z3UnstableLimit)
            node.concreteMargin = concrete
            statistics.maxDepth = max(statistics.maxDepth, child.depth)
            let unstable = result.layerBounds.unstableCount
            let z3Allowed = pool != nil && options.z3LeafUnstable >= 0 && unstable < child.z3UnstableLimit
            if z3Allowed && child.depth > options.z3LeafDepth {
                // Split deep enough: it waits for Z3 rather than being split further.
                z3Backlog.push(node)
            } else if z3Allowed && unstable <= options.z3LeafUnstable && z3HasRoom {
                // Few unstable ReLUs: Z3 takes it if it keeps up, otherwise splitting goes on,
                // which bounds the work pending in Z3 and its memory.
                sendToZ3(node)
            } else {
                queue.push(node)
            }
            return nil
        }

        /// Z3 keeps up while a couple of leaves wait per worker.
        var z3HasRoom: Bool { (pool?.outstanding ?? .max) < 2 * max(options.z3Workers, 1) }

        func dispatchBacklog() {
            while z3HasRoom, let node = z3Backlog.pop() { sendToZ3(node) }
        }

        func sendToZ3(_ node: OpenSubproblem) {
            guard let pool else { return }
            statistics.z3Leaves += 1
            let query = NetworkQuery(
                network: exact, box: node.subproblem.box, phases: node.subproblem.phases, layerBounds: node.bounds.layerBounds, unsafe: node.region)
            // The leaf count so far names the job.
            let id = statistics.z3Leaves
            inFlight[id] = node
            pool.submit(.init(query: query, timeoutSeconds: min(options.z3LeafTimeout, options.deadline.remainingSeconds + 0.05), node: node, id: id))
        }

        /// Branching has nothing left but leaves Z3 is still on: takes back those that can be
        /// split, so that a leaf Z3 is slow on (its time limit is not always kept: ACAS Xu
        /// `1_1 prop_5` spent 40-80 s in leaves limited to 10 s, which splitting decides in 2 s)
        /// does not hold up the answer. Their descendants go back to Z3 only with fewer
        /// unstable ReLUs. Returns whether any was taken back.
        func reclaimLeaves() -> Bool {
            var reclaimed = false
            for (id, node) in inFlight where !abandoned.contains(id) {
                let unstable = node.bounds.layerBounds.unstableCount
                guard mode == .input || unstable > 0 else { continue }
                abandoned.insert(id)
                var retry = node
                retry.z3UnstableLimit = min(retry.z3UnstableLimit, unstable)
                queue.push(retry)
                reclaimed = true
            }
            return reclaimed
        }

        /// Takes finished Z3 leaves; returns a witness if one is confirmed.
        func collectLeaves() -> WitnessChecker.Report? {
            guard let pool else { return nil }
            for finished in pool.takeFinished() {
                statistics.z3Seconds += finished.seconds
                guard let node = finished.job.node else { continue }
                inFlight[finished.job.id] = nil
                if abandoned.remove(finished.job.id) != nil {
                    // Its region is being split: only a confirmed witness adds anything.
                    if case .sat(let input) = finished.outcome, let report = confirmation.confirm(input, caseIndex: caseIndex) { return report }
                    continue
                }
                switch finished.outcome {
                case .unsat:
                    continue
                case .sat(let input):
                    if let report = confirmation.confirm(input, caseIndex: caseIndex) { return report }
                    if let report = witnessWithMargin(finished.job.query, caseIndex: caseIndex) { return report }
                    unresolved = "Z3 found a real counterexample in a leaf that no nearby Float32 input confirms"
                case .unknown(let reason):
                    if options.deadline.isPast { continue }
                    let unstable = node.bounds.layerBounds.unstableCount
                    if mode == .relu && unstable == 0 {
                        unresolved = "Z3 could not decide a leaf with every ReLU fixed (\(reason))"
                    } else {
                        // Back to branching; descendants return to Z3 only with fewer unstable ReLUs.
                        var retry = node
                        retry.z3UnstableLimit = unstable
                        leafNodes.append(retry)
                    }
                }
            }
            for node in leafNodes { queue.push(node) }
            leafNodes = []
            return nil
        }

        // The root.
        let root = Child(
            subproblem: Subproblem(box: item.box, layout: network), region: item.unsafe, objectives: objectives, depth: 0, z3UnstableLimit: .max)
        do {
            var result = try bound([root], isRoot: true)[0]
            if mode == .relu && options.refineLayers > 0 && !result.isProved {
                // The root's candidate first: a counterexample needs no refinement.
                for (point, margin) in evaluatedCandidates([root], [result])[0] where margin <= 0 {
                    if let report = confirmation.confirm(point, caseIndex: caseIndex) { return .sat(report) }
                }
                result = try refinedRoot(root, bounds: result, box: item.box, bound: { try bound([$0], isRoot: true)[0] })
            }
            statistics.rootUnstableByLayer = result.layerBounds.unstableCountByLayer
            if let report = file(root, result, candidates: evaluatedCandidates([root], [result])[0]) { return .sat(report) }
        } catch BoundEngineError.cancelled {
            return .timedOut
        } catch {
            return .unknown("bound engine failed: \(error)")
        }

        let searchStart = ContinuousClock.now
        var lastReport = searchStart
        var batchPacing = BatchPacing()
        while true {
            if options.deadline.isPast { return .timedOut }
            if let progress = options.progress, seconds(since: lastReport) >= options.progressInterval {
                lastReport = .now
                progress(SearchProgress(
                    seconds: seconds(since: searchStart), subproblems: statistics.subproblems, open: queue.count + z3Backlog.count,
                    weakestBound: [queue.weakestBound(), z3Backlog.weakestBound()].compactMap { $0 }.min()))
            }
            if let report = collectLeaves() { return .sat(report) }
            dispatchBacklog()
            statistics.peakQueue = max(statistics.peakQueue, queue.count + z3Backlog.count)
            if queue.isEmpty {
                // Abandoned leaves still count as outstanding until they answer.
                guard let pool, pool.outstanding > abandoned.count || !z3Backlog.isEmpty else { break }
                let now = ContinuousClock.now
                if z3Backlog.isEmpty, let idle = idleSince, now - idle > .milliseconds(500), reclaimLeaves() {
                    idleSince = nil
                    continue
                }
                if idleSince == nil { idleSince = now }
                pool.waitForFinished(seconds: min(0.05, options.deadline.remainingSeconds))
                continue
            }
            idleSince = nil
            if queue.count + z3Backlog.count > options.maxSubproblems {
                return .unknown("more than \(options.maxSubproblems) open subproblems (--max-subproblems)")
            }
            if queue.bytes + z3Backlog.bytes > memoryLimitBytes {
                return .unknown("open subproblems need more than \(memoryLimitBytes >> 30) GiB")
            }
            var popped: [OpenSubproblem] = []
            // Half the batch by the weakest bound, half by the closest point to the unsafe region.
            let batch = batchPacing.batchSize(options.batchSize, remainingSeconds: options.deadline.remainingSeconds)
            while popped.count < batch, let node = queue.pop(popped.count % 2 == 0 ? .weakestBound : .closestPoint) { popped.append(node) }
            // The bounds point at where counterexamples would be (input splitting narrows the
            // box; ReLU splitting's minimizing corners move with the splits): a short PGD from
            // the candidates of the first nodes of each batch finds those the first attack missed.
            // The pacing counts it as part of the batch.
            let batchStart = ContinuousClock.now
            defer { batchPacing.record(nodes: popped.count, seconds: seconds(since: batchStart)) }
            if options.attackSteps > 0 {
                let start = ContinuousClock.now
                defer { statistics.attackSeconds += seconds(since: start) }
                for node in popped.prefix(2) {
                    let margin = UnsafeMargin(region: node.region, outputCount: network.outputCount)
                    if let report = localAttack.descend(
                        from: node.bounds.witnessCandidate, within: node.subproblem.box, margin: margin, steps: 20, caseIndex: caseIndex) {
                        return .sat(report)
                    }
                }
            }
            do {
                var children: [Child] = []
                var results: [SubproblemBounds] = []
                var unsplittable: [OpenSubproblem] = []
                if mode == .input && options.inputBranching == .improvement {
                    (children, results, unsplittable) = try splitByImprovement(popped, rootWidths: rootWidths, bound: { try bound($0) })
                } else {
                    let splits = mode == .input ? [] : try chooseReluSplits(popped)
                    for (index, node) in popped.enumerated() {
                        let made = mode == .input
                            ? inputChildren(node, dimension: InputBranching.dimension(node, heuristic: options.inputBranching, gradient: gradient, rootWidths: rootWidths))
                            : splits[index].map { reluChildren(node, $0, reusingEveryLayer: options.childIntermediateBounds == .reuse) } ?? []
                        if made.isEmpty { unsplittable.append(node) }
                        children += made
                    }
                    results = try bound(children)
                }
                for node in unsplittable {
                    // Nothing left to split: only Z3 can decide it.
                    if pool != nil && options.z3LeafUnstable >= 0 && node.bounds.layerBounds.unstableCount < node.z3UnstableLimit {
                        z3Backlog.push(node)
                    } else {
                        unresolved = "a subproblem cannot be split further and Z3 leaves are off or failed on it"
                    }
                }
                let candidates = evaluatedCandidates(children, results)
                for index in children.indices {
                    if let report = file(children[index], results[index], candidates: candidates[index]) { return .sat(report) }
                }
            } catch BoundEngineError.cancelled {
                return .timedOut
            } catch {
                return .unknown("bound engine failed: \(error)")
            }
        }
        if options.deadline.isPast { return .timedOut }
        return unresolved.map { .unknown($0) } ?? .unsat
    }

    /// The root bounded again after ``IntermediateRefinement`` tightened its first ReLU layers
    /// (`--refine-layers`), within its share of the time left. `bound` bounds one child as the
    /// root is bounded.
    private func refinedRoot(_ root: Child, bounds result: SubproblemBounds, box: InputBox, bound: (Child) throws -> SubproblemBounds) throws -> SubproblemBounds {
        let start = ContinuousClock.now
        defer { statistics.refinementSeconds += seconds(since: start) }
        statistics.rootUnstableBeforeRefinement = result.layerBounds.unstableCountByLayer
        var refinement = IntermediateRefinement(engine: engine, layers: options.refineLayers, splits: options.refineSplits, options: boundOptions)
        refinement.deadline = options.deadline.share(options.refineTimeShare)
        func rooted(_ bounds: LayerBounds, keeping layers: Int) -> Child {
            var refined = root
            refined.subproblem.parentBounds = bounds
            refined.subproblem.reusableLayers = layers
            return refined
        }
        let refined = try refinement.refine(box: box, initial: result.layerBounds) { bounds, layer in
            let rebounded = try bound(rooted(bounds, keeping: layer + 1))
            return (rebounded.layerBounds, rebounded.isProved)
        }
        return try bound(rooted(refined, keeping: refinement.lastLayer + 1))
    }

    // MARK: Splitting

    private func reluChildren(_ node: OpenSubproblem, _ candidate: ReluBranching.Candidate, reusingEveryLayer: Bool) -> [Child] {
        [ReluPhase.active, .inactive].map { phase in
            let split = ReluSplit(layer: candidate.layer, neuron: candidate.neuron, phase: phase)
            let (subproblem, region, objectives) = node.childBase(
                node.subproblem.splitting(split, parent: node.bounds, reusingEveryLayer: reusingEveryLayer))
            return Child(subproblem: subproblem, region: region, objectives: objectives, depth: node.depth + 1, z3UnstableLimit: node.z3UnstableLimit)
        }
    }

    /// Input splitting by bound improvement: both halves along every splittable dimension are
    /// bounded in one batch; per node, the dimension whose halves fall shortest of a proof in
    /// total wins, and its halves (already bounded) are the children.
    private func splitByImprovement(
        _ nodes: [OpenSubproblem], rootWidths: [Double], bound: ([Child]) throws -> [SubproblemBounds]
    ) throws -> (children: [Child], results: [SubproblemBounds], unsplittable: [OpenSubproblem]) {
        var trials: [Child] = [], owners: [(node: Int, count: Int)] = [], unsplittable: [OpenSubproblem] = []
        for (index, node) in nodes.enumerated() {
            let dimensions = InputBranching.balancedDimensions(node.subproblem.box, rootWidths: rootWidths)
            if dimensions.isEmpty { unsplittable.append(node) }
            for dimension in dimensions { trials += inputChildren(node, dimension: dimension) }
            owners.append((index, dimensions.count))
        }
        let results = try bound(trials)
        var children: [Child] = [], chosen: [SubproblemBounds] = []
        var next = 0
        for owner in owners {
            var best: (score: Double, first: Int)?
            for option in 0..<owner.count {
                let first = next + 2 * option
                let scores = (first..<(first + 2)).map { results[$0].isProved ? Double.infinity : OpenSubproblem.priority(trials[$0].objectives, bounds: results[$0]) }
                // Both halves' shortfalls count (a refuted half adds none): scoring only the
                // worse half rewards shaving slivers off one dimension forever.
                let score = min(scores[0], 0) + min(scores[1], 0)
                if best.map({ score > $0.score }) ?? true { best = (score, first) }
            }
            if let best {
                children += trials[best.first..<(best.first + 2)]
                chosen += results[best.first..<(best.first + 2)]
            }
            next += 2 * owner.count
        }
        // Every trial was bounded, chosen or not.
        return (children, chosen, unsplittable)
    }

    private func inputChildren(_ node: OpenSubproblem, dimension: Int?) -> [Child] {
        guard let dimension else { return [] }
        let box = node.subproblem.box
        let middle = box.lower[dimension] / 2 + box.upper[dimension] / 2
        var lowerHalf = node.subproblem, upperHalf = node.subproblem
        lowerHalf.box.upper[dimension] = middle
        upperHalf.box.lower[dimension] = middle
        return [lowerHalf, upperHalf].map { half in
            var subproblem = half
            // Bounds of the parent hold on each half: intersected, not reused as they are.
            subproblem.parentBounds = node.bounds.layerBounds
            subproblem.reusableLayers = 0
            subproblem.warmStart = node.bounds.relaxation
            let (base, region, objectives) = node.childBase(subproblem)
            return Child(subproblem: base, region: region, objectives: objectives, depth: node.depth + 1, z3UnstableLimit: node.z3UnstableLimit)
        }
    }

    /// The ReLU to split in each node (nil where none is unstable).
    private func chooseReluSplits(_ nodes: [OpenSubproblem]) throws -> [ReluBranching.Candidate?] {
        let limit = options.branching == .fsb ? max(options.fsbCandidates, 1) : 1
        let ranked = nodes.map { ReluBranching.candidates($0, heuristic: options.branching, limit: limit, generator: &generator) }
        guard options.branching == .fsb else { return ranked.map(\.first) }
        // FSB: a quick bound of both children of every candidate; keep the split whose worse
        // child is best (a refuted child counts as +infinity). Quick, as in α,β-CROWN: each
        // trial keeps all of the parent's intermediate bounds (the split only clamps its own
        // neuron) and evaluates the objective rows once at the parent's α and β.
        var trials: [Child] = []
        for (node, candidates) in zip(nodes, ranked) where candidates.count > 1 {
            for candidate in candidates { trials += reluChildren(node, candidate, reusingEveryLayer: true) }
        }
        guard !trials.isEmpty else { return ranked.map(\.first) }
        let start = ContinuousClock.now
        var quick = boundOptions
        // One pass at the warm start (the new split's β at 0), for the objective rows' lower
        // bounds only.
        if quick.method == .ibp { quick.method = .crown }
        quick.objectiveLowerBoundsOnly = true
        let results = try engine.bound(trials.map { BoundTask(subproblem: $0.subproblem, objectives: $0.objectives) }, options: quick)
        statistics.boundSeconds += seconds(since: start)
        var next = 0
        return zip(nodes, ranked).map { _, candidates in
            guard candidates.count > 1 else { return candidates.first }
            var best: (score: Double, candidate: ReluBranching.Candidate)?
            for candidate in candidates {
                let scores = (0..<2).map { offset -> Double in
                    let result = results[next + offset], child = trials[next + offset]
                    return result.isProved ? .infinity : OpenSubproblem.priority(child.objectives, bounds: result)
                }
                next += 2
                if best.map({ min(scores[0], scores[1]) > $0.score }) ?? true { best = (min(scores[0], scores[1]), candidate) }
            }
            return best?.candidate
        }
    }

    /// Z3 found a model but it does not survive rounding: ask for a point with some room inside
    /// the unsafe region, which usually does.
    private func witnessWithMargin(_ query: NetworkQuery, caseIndex: Int) -> WitnessChecker.Report? {
        var strict = query
        let scale = query.unsafe.disjuncts.flatMap { $0 }.map { $0.bound.upper.magnitude }.max() ?? 1
        strict.margin = 1e-6 * max(scale, 1)
        let solver = Z3Solver(timeoutMilliseconds: UInt32(max(1, min(options.z3LeafTimeout, options.deadline.remainingSeconds)) * 1000), setup: strict.solverSetup)
        let start = ContinuousClock.now
        defer { statistics.z3Seconds += seconds(since: start) }
        guard case .sat(let input)? = try? strict.solve(with: solver) else { return nil }
        return confirmation.confirm(input, caseIndex: caseIndex)
    }
}
