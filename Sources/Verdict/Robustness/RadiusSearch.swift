/// The largest radius at which a ``RobustnessSpec`` holds around one input, as a bracket:
/// `certified` is proved (`unsat` at that radius), `falsified` comes with a witness the exact
/// checker confirmed (`sat` there). The search narrows the bracket in two stages:
/// 1. **Cheap**: the root bound and the attacks alone (a subproblem budget of 1, no Z3), by
///    bisection. Each answer moves one of two brackets: where bounds stop proving, and where
///    attacks start breaking.
/// 2. **Complete**: the full search (branch and bound, Z3 leaves), each step held to
///    ``stepTimeout``, bisecting what stage 1 left open until it is narrower than ``tolerance``.
///    A step that ends `unknown` or `timed-out` leaves the region above it undecided.
/// Work carried between steps: the session's engine, and a witness's own distance from the
/// input, which can falsify a smaller radius than the one whose search found it.
public struct RadiusSearch {
    public var session: VerificationSession
    public var spec: RobustnessSpec
    /// The raw input (before any normalization).
    public var input: [Double]
    /// The largest radius tried.
    public var maxRadius: Double
    /// The bracket width at which the search stops.
    public var tolerance: Double
    /// The time limit of one complete step (nil: only the overall deadline).
    public var stepTimeout: Double?
    /// The limit of the whole search; the bracket reached by then is returned.
    public var deadline: Deadline
    /// Whether complete steps send leaves to Z3 (the session's `z3LeafUnstable`) from the start,
    /// or only when branch and bound alone ends `unknown` (subproblems with every phase fixed
    /// whose bound is still not exact). Off by default: steps near the boundary are many and
    /// small, and one Z3 leaf of the digits network took 9.7 s, unstoppable, where branch and
    /// bound closed the step in 0.01 s.
    public var z3Leaves = false

    public init(session: VerificationSession, spec: RobustnessSpec, input: [Double], maxRadius: Double, tolerance: Double, stepTimeout: Double? = nil, deadline: Deadline = .none) {
        self.session = session
        self.spec = spec
        self.input = input
        self.maxRadius = maxRadius
        self.tolerance = tolerance
        self.stepTimeout = stepTimeout
        self.deadline = deadline
    }

    public func run() throws -> RadiusBracket {
        guard maxRadius > 0, maxRadius.isFinite, tolerance > 0, tolerance.isFinite else {
            throw RobustnessSpec.Problem(description: "the largest radius and the tolerance must be positive and finite (\(maxRadius), \(tolerance))")
        }
        var state = State(start: .now, maxRadius: maxRadius)
        let origin = try check(0, stage: .complete, &state)
        state.label = origin.label
        guard state.certified != nil else { return state.bracket(tolerance: tolerance) }
        try cheapStage(&state)
        try completeStage(&state)
        return state.bracket(tolerance: tolerance)
    }

    /// Bisection with bounds and attacks alone.
    private func cheapStage(_ state: inout State) throws {
        _ = try check(maxRadius, stage: .cheap, &state)
        while !deadline.isPast {
            let certified = state.certified ?? 0
            if state.boundsFailAt - certified > tolerance, let middle = Self.middle(certified, state.boundsFailAt) {
                _ = try check(middle, stage: .cheap, &state)
            } else if let falsified = state.falsified, falsified - max(state.attackFailsAt, certified) > tolerance,
                      let middle = Self.middle(max(state.attackFailsAt, certified), falsified) {
                _ = try check(middle, stage: .cheap, &state)
            } else {
                return
            }
        }
    }

    /// Bisection with the complete search, below the lowest radius it could not decide.
    private func completeStage(_ state: inout State) throws {
        var ceiling = maxRadius
        while !deadline.isPast {
            let certified = state.certified ?? 0
            let top = min(ceiling, state.falsified ?? maxRadius)
            guard top - certified > tolerance, let middle = Self.middle(certified, top) else { return }
            let answer = try check(middle, stage: .complete, &state).answer
            if answer != .unsat && answer != .sat { ceiling = middle }
        }
    }

    /// The midpoint of `low` and `high`, or nil when no Double lies strictly between them (a
    /// tolerance below the spacing of Doubles there would otherwise bisect forever).
    static func middle(_ low: Double, _ high: Double) -> Double? {
        let middle = low / 2 + high / 2
        return low < middle && middle < high ? middle : nil
    }

    /// Verifies the property at `radius` and records the answer in `state`.
    @discardableResult
    private func check(_ radius: Double, stage: Stage, _ state: inout State) throws -> (answer: Answer, label: Int?) {
        let made = try spec.property(for: session.network, around: input, radius: radius)
        var options = session.options
        let limit = stage == .cheap ? min(stepTimeout ?? 10, 10) : stepTimeout
        options.deadline = Deadline(seconds: min(limit ?? .infinity, deadline.remainingSeconds).nonInfinite)
        if stage == .cheap {
            options.subproblemBudget = 1
        }
        let z3LeafUnstable = options.z3LeafUnstable
        if stage == .cheap || !z3Leaves { options.z3LeafUnstable = -1 }
        let start = ContinuousClock.now
        var result = try session.verify(made.property, options: options)
        if stage == .complete && result.answer == .unknown && options.z3LeafUnstable != z3LeafUnstable && !options.deadline.isPast {
            // Branch and bound alone left subproblems it cannot split (every phase fixed, the
            // bound still not exact): Z3 decides them, in the time the step has left.
            options.z3LeafUnstable = z3LeafUnstable
            result = try session.verify(made.property, options: options)
        }
        state.steps.append(.init(radius: radius, stage: stage, answer: result.answer, seconds: seconds(since: start)))
        switch result.answer {
        case .unsat:
            if radius >= (state.certified ?? -1) {
                state.certified = radius
                state.certifiedBy = radius == 0 ? "the input's own bound" : stage == .cheap ? "bounds" : "branch and bound"
            }
        case .sat:
            let distance = min(radius, witnessDistance(result.witness))
            if distance <= (state.falsified ?? .infinity) {
                state.falsified = distance
                state.witness = result.witness
                state.falsifiedBy = stage == .cheap ? "attack" : "branch and bound"
            }
        case .unknown, .timedOut:
            if stage == .cheap {
                state.boundsFailAt = min(state.boundsFailAt, radius)
                state.attackFailsAt = max(state.attackFailsAt, radius)
            }
        }
        if stage == .cheap && result.answer == .sat { state.boundsFailAt = min(state.boundsFailAt, radius) }
        return (result.answer, made.label)
    }

    /// The raw L∞ distance (scaled per feature) of a witness from the input, rounded up;
    /// infinity where it cannot be told (a normalized input).
    private func witnessDistance(_ witness: WitnessChecker.Report?) -> Double {
        guard let witness, spec.normalization == nil else { return .infinity }
        var distance = 0.0
        for (index, (value, x)) in zip(witness.input, input).enumerated() {
            let gap = value >= x ? sumRoundedUp(value, -x) : sumRoundedUp(x, -value)
            guard gap > 0 else { continue }
            let scale = spec.featureScale?[index] ?? 1
            guard scale > 0 else { return .infinity }
            distance = max(distance, quotientRoundedUp(gap, scale))
        }
        return distance
    }

    public enum Stage: String, Sendable {
        case cheap, complete
    }

    /// What the search knows so far.
    private struct State {
        let start: ContinuousClock.Instant
        var certified: Double?
        var certifiedBy = "nothing"
        var falsified: Double?
        var falsifiedBy: String?
        var witness: WitnessChecker.Report?
        var label: Int?
        /// The smallest radius where bounds alone failed (stage 1).
        var boundsFailAt: Double
        /// The largest radius where the attacks failed (stage 1).
        var attackFailsAt = 0.0
        var steps: [RadiusBracket.Step] = []

        init(start: ContinuousClock.Instant, maxRadius: Double) {
            self.start = start
            boundsFailAt = maxRadius
        }

        func bracket(tolerance: Double) -> RadiusBracket {
            RadiusBracket(
                certified: certified, certifiedBy: certifiedBy, falsified: falsified, falsifiedBy: falsifiedBy, witness: witness,
                label: label, seconds: seconds(since: start), steps: steps, tolerance: tolerance)
        }
    }
}

/// The outcome of a ``RadiusSearch``.
public struct RadiusBracket: Sendable {
    /// The largest radius proved robust (`unsat`); nil when not even the input itself is.
    public var certified: Double?
    /// How `certified` was proved: `bounds`, `branch and bound` or `the input's own bound`.
    public var certifiedBy: String
    /// The smallest radius with a confirmed counterexample; nil when none was found.
    public var falsified: Double?
    public var falsifiedBy: String?
    /// The counterexample of `falsified`, as the network sees it (normalized inputs).
    public var witness: WitnessChecker.Report?
    /// The class held (classification).
    public var label: Int?
    public var seconds: Double
    public var steps: [Step]
    public var tolerance: Double

    /// One verification of the search.
    public struct Step: Sendable {
        public var radius: Double
        public var stage: RadiusSearch.Stage
        public var answer: Answer
        public var seconds: Double
    }

    /// Whether the bracket is closed to the tolerance: falsified within it of certified (or
    /// the whole range certified).
    public func isClosed(maxRadius: Double) -> Bool {
        guard let certified else { return falsified == 0 }
        return ((falsified ?? maxRadius) - certified) <= tolerance || (falsified == nil && certified >= maxRadius)
    }
}

extension Double {
    /// nil for infinity (no limit), the value otherwise.
    var nonInfinite: Double? { isFinite ? self : nil }
}
