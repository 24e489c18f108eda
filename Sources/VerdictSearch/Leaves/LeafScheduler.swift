import VerdictBounds
import VerdictCore
import VerdictZ3

/// The Z3 side of one case's branch and bound: which bounded subproblems become Z3 leaves,
/// when they are sent to the ``Z3LeafPool``, and what their answers do.
///
/// A leaf answered `unsat` is simply gone; `sat` must be confirmed on the network; `unknown`
/// sends the leaf back to splitting, and its descendants return to Z3 only with fewer unstable
/// ReLUs (``OpenSubproblem/z3UnstableLimit``). The case is finished only when no leaf of its
/// own is outstanding (see ``isIdle``).
struct LeafScheduler {
    let pool: Z3LeafPool?
    let options: VerificationOptions
    let mode: SplitMode
    /// The imported network, which leaves encode exactly.
    let exact: Network
    let confirmation: WitnessConfirmation
    let caseIndex: Int

    /// Leaves that must go to Z3 (unsplittable), waiting for room.
    private var backlog = SubproblemQueue()
    /// Leaves split past `--z3-leaf-depth`, waiting for room (``DeepLeafGate`` may send them
    /// back to splitting).
    private var deepBacklog = SubproblemQueue()
    /// Leaves sent and not yet answered, by job id; `abandoned` ones were taken back for
    /// splitting (their answers then matter only as a confirmed witness).
    private var inFlight: [Int: OpenSubproblem] = [:]
    private var abandoned: Set<Int> = []
    /// Why the case cannot be `unsat` even if every subproblem is refuted.
    private(set) var unresolved: String?
    /// The most unstable ReLUs a leaf sent by choice may have: `--z3-leaf-unstable` at first,
    /// halved each time Z3 gives up on a leaf, one higher again for each leaf it decides, so
    /// Z3 gets what it answers quickly. On a 2-core machine a leaf Z3 cannot decide costs the
    /// bounds half the machine for its whole time limit (reach_prob_density `robot_3`: Z3 busy
    /// 126 s of 150 on 10 leaves, none decided).
    private var unstableLimit: Int
    /// Which leaves past `--z3-leaf-depth` still go to Z3.
    private var deepLeaves: DeepLeafGate
    private(set) var statistics = SearchStatistics()

    init(pool: Z3LeafPool?, options: VerificationOptions, mode: SplitMode, exact: Network, confirmation: WitnessConfirmation, caseIndex: Int) {
        self.pool = pool
        self.options = options
        self.mode = mode
        self.exact = exact
        self.confirmation = confirmation
        self.caseIndex = caseIndex
        unstableLimit = options.z3LeafUnstable
        deepLeaves = DeepLeafGate(mode: mode)
    }

    /// The weakest bound among leaves waiting in the backlog.
    mutating func weakestBacklogBound() -> Double? { [backlog.weakestBound(), deepBacklog.weakestBound()].compactMap { $0 }.min() }

    /// Leaves waiting for room, and the bytes they hold.
    var waitingCount: Int { backlog.count + deepBacklog.count }
    var waitingBytes: Int { backlog.bytes + deepBacklog.bytes }

    /// The share of their trees the leaves not yet decided stand for (as ``SubproblemQueue/openVolume``).
    var openVolume: Double {
        inFlight.reduce(backlog.openVolume + deepBacklog.openVolume) { abandoned.contains($1.key) ? $0 : $0 + SubproblemQueue.volume(depth: $1.value.depth) }
    }

    /// Whether a subproblem with `unstable` unstable ReLUs may go to Z3 at all.
    func allows(_ node: OpenSubproblem, unstable: Int) -> Bool {
        pool != nil && options.z3LeafUnstable >= 0 && unstable < node.z3UnstableLimit
    }

    /// Z3 keeps up while a couple of leaves wait per worker.
    var hasRoom: Bool { (pool?.outstanding ?? .max) < 2 * max(options.z3Workers, 1) }

    /// Nothing of this case waits for Z3 (answers to abandoned leaves are not waited for).
    var isIdle: Bool { waitingCount == 0 && inFlight.count <= abandoned.count }

    /// Files a bounded subproblem that was not refuted: returns false when it stays with
    /// branching. Split deep enough (and admitted by ``DeepLeafGate``), it waits for Z3 rather
    /// than being split further; with few unstable ReLUs, Z3 takes it if it keeps up (which
    /// bounds the work pending in Z3 and its memory), otherwise splitting goes on.
    mutating func take(_ node: OpenSubproblem) -> Bool {
        let unstable = node.bounds.layerBounds.unstableCount
        guard allows(node, unstable: unstable) else { return false }
        if node.depth > options.z3LeafDepth && deepLeaves.admits(unstable: unstable) {
            deepBacklog.push(node)
            return true
        }
        if unstable <= unstableLimit && hasRoom {
            send(node)
            return true
        }
        return false
    }

    /// A subproblem with nothing left to split: only Z3 can decide it.
    mutating func takeUnsplittable(_ node: OpenSubproblem) {
        if allows(node, unstable: node.bounds.layerBounds.unstableCount) {
            backlog.push(node)
        } else {
            let smooth = exact.smoothOperatorNames
            unresolved = smooth.isEmpty
                ? "a subproblem cannot be split further and Z3 leaves are off or failed on it"
                : "a subproblem's bounds do not refute it and it cannot be split further (\(smooth.joined(separator: ", ")) are not split, and Z3 cannot state them exactly)"
        }
    }

    /// Sends backlog leaves while Z3 has room; returns those that went there by depth and that
    /// ``DeepLeafGate`` no longer admits, for splitting.
    mutating func dispatchBacklog() -> [OpenSubproblem] {
        while hasRoom, let node = backlog.pop() { send(node) }
        var split: [OpenSubproblem] = []
        while hasRoom, let node = deepBacklog.pop() {
            if deepLeaves.admits(unstable: node.bounds.layerBounds.unstableCount) { send(node) } else { split.append(node) }
        }
        return split
    }

    private mutating func send(_ node: OpenSubproblem) {
        guard let pool else { return }
        statistics.z3Leaves += 1
        let query = NetworkQuery(
            network: exact, box: node.subproblem.box, phases: node.subproblem.phases, layerBounds: node.bounds.layerBounds, unsafe: node.region)
        let id = pool.submit(.init(query: query, timeoutSeconds: min(options.z3LeafTimeout, options.deadline.remainingSeconds + 0.05), node: node))
        inFlight[id] = node
    }

    /// Takes finished leaves of this case: returns a confirmed witness, and appends the
    /// leaves Z3 could not decide to `retry` (for splitting).
    mutating func collect(retry: inout [OpenSubproblem]) -> WitnessChecker.Report? {
        guard let pool else { return nil }
        for finished in pool.takeFinished() {
            statistics.z3Seconds += finished.seconds
            let id = finished.job.id
            // Another case's leaf (the pool is shared), or one taken back for splitting: only
            // a confirmed witness adds anything.
            guard let node = inFlight.removeValue(forKey: id), abandoned.remove(id) == nil else {
                if case .sat(let input) = finished.outcome, let report = confirmation.confirm(input, caseIndex: caseIndex) { return report }
                continue
            }
            switch finished.outcome {
            case .unsat:
                unstableLimit = min(unstableLimit + 1, options.z3LeafUnstable)
                continue
            case .sat(let input):
                if let report = confirmation.confirm(input, caseIndex: caseIndex) ?? witnessWithMargin(finished.job.query) { return report }
                unresolved = "Z3 found a real counterexample in a leaf that no nearby Float32 input confirms"
            case .unknown(let reason):
                if options.deadline.isPast { continue }
                let unstable = node.bounds.layerBounds.unstableCount
                unstableLimit = min(unstableLimit, unstable) / 2
                deepLeaves.gaveUp(unstable: unstable)
                if mode == .relu && unstable == 0 {
                    unresolved = "Z3 could not decide a leaf with every ReLU fixed (\(reason))"
                } else {
                    var again = node
                    again.z3UnstableLimit = unstable
                    retry.append(again)
                }
            }
        }
        return nil
    }

    /// Branching has nothing left but leaves Z3 is still on: takes back those that can be
    /// split, so that a leaf Z3 is slow on (its time limit is not always kept: ACAS Xu
    /// `1_1 prop_5` spent 40-80 s in leaves limited to 10 s, which splitting decides in 2 s)
    /// does not hold up the answer. Their descendants go back to Z3 only with fewer unstable
    /// ReLUs.
    mutating func reclaim() -> [OpenSubproblem] {
        var reclaimed: [OpenSubproblem] = []
        for (id, node) in inFlight where !abandoned.contains(id) {
            let unstable = node.bounds.layerBounds.unstableCount
            guard mode == .input || unstable > 0 else { continue }
            abandoned.insert(id)
            var again = node
            again.z3UnstableLimit = min(again.z3UnstableLimit, unstable)
            reclaimed.append(again)
        }
        return reclaimed
    }

    /// Waits briefly for some leaf to finish.
    func wait() {
        pool?.waitForFinished(seconds: min(0.05, options.deadline.remainingSeconds))
    }

    /// Z3 found a model but it does not survive rounding: ask for a point with some room inside
    /// the unsafe region, which usually does.
    private mutating func witnessWithMargin(_ query: NetworkQuery) -> WitnessChecker.Report? {
        var strict = query
        let scale = query.unsafe.disjuncts.flatMap { $0 }.map { $0.bound.upper.magnitude }.max() ?? 1
        strict.margin = 1e-6 * max(scale, 1)
        let limit = max(1, min(options.z3LeafTimeout, options.deadline.remainingSeconds, 3600))
        let solver = Z3Solver(timeoutMilliseconds: UInt32(limit * 1000), setup: strict.solverSetup)
        let start = ContinuousClock.now
        defer { statistics.z3Seconds += seconds(since: start) }
        guard case .sat(let input)? = try? strict.solve(with: solver) else { return nil }
        return confirmation.confirm(input, caseIndex: caseIndex)
    }
}
