import VerdictBounds
import VerdictCore
import VerdictZ3

/// Complete verification of a property on a network: attacks first, then branch and bound
/// on each case of the property with Z3 for the hard leaves (or, with ``verifyWithZ3()``, one
/// exact Z3 query per case).
///
/// Soundness: `sat` only with a witness the ``WitnessChecker`` confirmed on the imported
/// network; `unsat` only when every case's branch and bound closed with every subproblem
/// refuted by sound bounds or by Z3 (exact rational arithmetic).
public struct Verifier {
    public let network: Network
    /// What the bound engine and the Z3 leaves work on: ``searchNetwork(for:options:)``.
    public let searchNetwork: Network
    public let property: Property
    public let options: VerificationOptions
    private let checker: WitnessChecker
    private let gradient: NetworkGradient
    private let confirmation: WitnessConfirmation

    public init(network: Network, property: Property, options: VerificationOptions) throws {
        self.network = network
        searchNetwork = try Self.searchNetwork(for: network, options: options)
        self.property = property
        self.options = options
        checker = try WitnessChecker(network: network, property: property)
        gradient = try NetworkGradient(network)
        confirmation = WitnessConfirmation(
            checker: checker, intervals: (try? GraphBoundNetwork(network)).map { GraphBoundEngine(graph: $0) }, filter: options.witnessFilter)
    }

    /// `network` as the search works on it: without the nodes the output does not depend on
    /// (whose ReLUs a split would gain nothing from), and with `--max-pool split` with max
    /// pools rewritten as ReLUs. The same function over the reals.
    public static func searchNetwork(for network: Network, options: VerificationOptions) throws -> Network {
        let used = try network.withoutUnusedNodes()
        return options.maxPoolHandling == .split ? try used.withMaxPoolsAsReLUs() : used
    }

    /// A quick attack, then branch and bound on `engine` (which must be built for
    /// ``searchNetwork``), with the rest of the attack on each case its root bound does not prove.
    /// Z3 leaves go to `workers` (drained before returning), or to workers of this run's own.
    public func verify(engine: any BoundEngine, workers: Z3Workers? = nil) -> VerificationResult {
        let closest = ClosestMargin()
        var result = search(engine: engine, workers: workers, closest: closest)
        result.statistics.closestMargin = closest.value
        return result
    }

    /// ``verify(engine:workers:)``, every margin evaluated going to `closest`.
    private func search(engine: any BoundEngine, workers: Z3Workers?, closest: ClosestMargin) -> VerificationResult {
        var statistics = SearchStatistics()
        if let (report, reason) = attack(&statistics, closest: closest) {
            return VerificationResult(answer: .sat, witness: report, reason: reason, statistics: statistics)
        }
        // Z3 states only piecewise-linear networks exactly: no leaves for Sigmoid or Tanh.
        let pool = options.z3LeafUnstable >= 0 && network.smoothOperatorNames.isEmpty ? workers?.pool ?? Z3LeafPool(workers: options.z3Workers) : nil
        defer {
            if let pool { workers == nil ? pool.shutDown() : pool.drain() }
        }
        var unknownReason: String?
        for caseIndex in property.cases.indices {
            if options.deadline.isPast { return VerificationResult(answer: .timedOut, witness: nil, reason: "deadline reached", statistics: statistics) }
            let search = BranchAndBound(
                caseIndex: caseIndex, engine: engine, options: options, confirmation: confirmation, gradient: gradient, exact: searchNetwork, pool: pool,
                rootAttack: restOfAttack(caseIndex, closest: closest), closest: closest)
            let outcome = search.run()
            statistics.merge(search.statistics)
            // The run's last search is freed in the background, so that its answer waits for
            // nothing; one that another case follows is freed here, before that case checks
            // the memory cap (a case stopped by the cap would otherwise stop the next one too).
            let answer = decidingAnswer(outcome, caseIndex: caseIndex, statistics: statistics)
            if answer != nil || caseIndex == property.cases.count - 1 { BackgroundRelease.release(consume search) }
            if let answer { return answer }
            if case .unknown(let reason) = outcome { unknownReason = unknownReason ?? "box \(caseIndex): \(reason)" }
        }
        if let unknownReason { return VerificationResult(answer: .unknown, witness: nil, reason: unknownReason, statistics: statistics) }
        return VerificationResult(answer: .unsat, witness: nil, reason: "every subproblem refuted", statistics: statistics)
    }

    /// The run's answer when case `caseIndex`'s outcome decides it alone (a counterexample, or
    /// the deadline); nil when the other cases must be searched too.
    private func decidingAnswer(_ outcome: BranchAndBound.Outcome, caseIndex: Int, statistics: SearchStatistics) -> VerificationResult? {
        switch outcome {
        case .sat(let report):
            return VerificationResult(answer: .sat, witness: report, reason: "counterexample found by branch and bound (box \(caseIndex))", statistics: statistics)
        case .timedOut:
            return VerificationResult(answer: .timedOut, witness: nil, reason: "deadline reached in box \(caseIndex)", statistics: statistics)
        case .unknown, .unsat:
            return nil
        }
    }

    /// The whole network as one exact Z3 query per case: the approach of the older research
    /// tool, for small networks and as the tests' oracle. Interval bounds of every ReLU's input
    /// (interval arithmetic alone, no linear relaxation or search) go into the query: they
    /// remove no real input, and fix the ReLUs they show stable, which Z3 would otherwise
    /// split on (random convolutional graphs of 9 inputs timed out at 10 s in 16 of 40 without).
    /// The query states ``searchNetwork``, as the Z3 leaves do (no nodes that reach no output).
    public func verifyWithZ3() -> VerificationResult {
        var statistics = SearchStatistics()
        let pool = Z3LeafPool(workers: 1)
        defer { pool.shutDown() }
        // The witness confirmation's engine bounds the imported network; the query's needs its own.
        let intervals = (try? GraphBoundNetwork(searchNetwork)).map { GraphBoundEngine(graph: $0) }
        var unknownReason: String?
        for (caseIndex, item) in property.cases.enumerated() {
            let query = NetworkQuery(network: searchNetwork, box: item.box, layerBounds: intervalBounds(item, engine: intervals), unsafe: item.unsafe)
            guard let finished = solve(query, pool: pool, statistics: &statistics) else {
                return VerificationResult(answer: .timedOut, witness: nil, reason: "deadline reached inside Z3", statistics: statistics)
            }
            switch finished {
            case .unsat:
                continue
            case .sat(let input):
                if let report = confirmation.confirm(input, caseIndex: caseIndex) {
                    return VerificationResult(answer: .sat, witness: report, reason: "Z3 model confirmed (box \(caseIndex))", statistics: statistics)
                }
                var strict = query
                strict.margin = 1e-6 * max(item.unsafe.disjuncts.flatMap { $0 }.map { $0.bound.upper.magnitude }.max() ?? 1, 1)
                if case .sat(let inner)? = solve(strict, pool: pool, statistics: &statistics),
                   let report = confirmation.confirm(inner, caseIndex: caseIndex) {
                    return VerificationResult(answer: .sat, witness: report, reason: "Z3 model confirmed (box \(caseIndex))", statistics: statistics)
                }
                unknownReason = unknownReason ?? "box \(caseIndex): Z3's real counterexample is not confirmed by any nearby Float32 input"
            case .unknown(let reason):
                if options.deadline.isPast {
                    return VerificationResult(answer: .timedOut, witness: nil, reason: "deadline reached inside Z3", statistics: statistics)
                }
                unknownReason = unknownReason ?? "box \(caseIndex): Z3 answered unknown (\(reason))"
            }
        }
        if let unknownReason { return VerificationResult(answer: .unknown, witness: nil, reason: unknownReason, statistics: statistics) }
        return VerificationResult(answer: .unsat, witness: nil, reason: "Z3 refuted every box", statistics: statistics)
    }

    /// Interval bounds of every ReLU layer's input over the case's box, by `engine` (built for
    /// the query's network); nil where the network has no interval rule.
    private func intervalBounds(_ item: Property.Case, engine: (any BoundEngine)?) -> LayerBounds? {
        guard let engine else { return nil }
        let task = BoundTask(subproblem: Subproblem(box: item.box, layout: engine.layout), objectives: Objectives(region: item.unsafe, outputCount: network.outputCount))
        return try? engine.bound([task], options: BoundOptions(method: .ibp, parallel: false)).first?.layerBounds
    }

    /// Runs one query on the pool's worker, polling the deadline so it is met even inside Z3.
    /// Nil when the deadline passed first.
    private func solve(_ query: NetworkQuery, pool: Z3LeafPool, statistics: inout SearchStatistics) -> NetworkQuery.Outcome? {
        statistics.z3Leaves += 1
        pool.submit(.init(query: query, timeoutSeconds: min(options.deadline.remainingSeconds + 0.05, 3600), node: nil))
        while true {
            if let finished = pool.takeFinished().first {
                statistics.z3Seconds += finished.seconds
                return finished.outcome
            }
            if options.deadline.isPast {
                pool.cancelAll()
                return nil
            }
            pool.waitForFinished(seconds: min(0.05, options.deadline.remainingSeconds))
        }
    }

    /// The samples and restarts of the quick attack (``VerificationOptions/quickAttackShare``).
    private var quickAttack: (samples: Int, restarts: Int) {
        let share = min(max(options.quickAttackShare, 0), 1)
        let restarts = options.attackRestarts > 0 && share > 0 ? max(1, Int((Double(options.attackRestarts) * share).rounded())) : 0
        return (Int((Double(options.attackSamples) * share).rounded()), restarts)
    }

    /// Random sampling and PGD on every case (the quick share of them); a confirmed witness
    /// ends the run.
    private func attack(_ statistics: inout SearchStatistics, closest: ClosestMargin) -> (WitnessChecker.Report, String)? {
        let (samples, restarts) = quickAttack
        guard samples > 0 || restarts > 0 else { return nil }
        let start = ContinuousClock.now
        defer { statistics.attackSeconds += seconds(since: start) }
        var generator = SeededGenerator(seed: options.seed)
        let attack = makeAttack(samples: samples, restarts: restarts, closest: closest)
        for caseIndex in property.cases.indices {
            if let report = attack.run(caseIndex: caseIndex, generator: &generator) { return (report, "counterexample found by the attack (box \(caseIndex))") }
        }
        return nil
    }

    /// The rest of the attack on one case, for its search to run when the root bound does not
    /// prove the case (nil when nothing is left); seeded apart from the quick attack.
    private func restOfAttack(_ caseIndex: Int, closest: ClosestMargin) -> (() -> WitnessChecker.Report?)? {
        let (quickSamples, quickRestarts) = quickAttack
        let samples = options.attackSamples - quickSamples, restarts = options.attackRestarts - quickRestarts
        guard samples > 0 || restarts > 0 else { return nil }
        return {
            var generator = SeededGenerator(seed: options.seed &+ 1 &+ UInt64(caseIndex))
            return makeAttack(samples: samples, restarts: restarts, closest: closest).run(caseIndex: caseIndex, generator: &generator)
        }
    }

    /// An attack with these counts, held to its share of the time left now.
    private func makeAttack(samples: Int, restarts: Int, closest: ClosestMargin) -> GradientAttack {
        GradientAttack(
            gradient: gradient, confirmation: confirmation, samples: samples, restarts: restarts, steps: options.attackSteps,
            deadline: options.deadline.share(options.attackTimeShare), closest: closest)
    }
}

extension SearchStatistics {
    mutating func merge(_ other: SearchStatistics) {
        attackSeconds += other.attackSeconds
        boundSeconds += other.boundSeconds
        z3Seconds += other.z3Seconds
        subproblems += other.subproblems
        z3Leaves += other.z3Leaves
        peakQueue = max(peakQueue, other.peakQueue)
        maxDepth = max(maxDepth, other.maxDepth)
        refinementSeconds += other.refinementSeconds
        if !other.rootUnstableByLayer.isEmpty { rootUnstableByLayer = other.rootUnstableByLayer }
        if !other.rootUnstableBeforeRefinement.isEmpty { rootUnstableBeforeRefinement = other.rootUnstableBeforeRefinement }
        if !other.refinementByLayer.isEmpty { refinementByLayer = other.refinementByLayer }
        if let restart = other.refinementRestartSeconds { refinementRestartSeconds = restart }
        restartsLeftOpen += other.restartsLeftOpen
        rootCuts += other.rootCuts
        weakestOpenBound = [weakestOpenBound, other.weakestOpenBound].compactMap { $0 }.min()
    }
}
