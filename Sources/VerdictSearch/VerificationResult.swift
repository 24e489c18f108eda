import VerdictCore

/// The answer of a run. `sat` always carries a witness the exact checker confirmed.
public enum Answer: String, Sendable {
    case sat, unsat, unknown
    case timedOut = "timed-out"
}

/// Counters and timings of a run, for `--json` and the diagnostics on stderr.
public struct SearchStatistics: Sendable {
    public var attackSeconds = 0.0
    public var boundSeconds = 0.0
    /// Time inside Z3 (summed over leaves and workers).
    public var z3Seconds = 0.0
    /// Subproblems whose bounds were computed (roots and children).
    public var subproblems = 0
    public var z3Leaves = 0
    /// Largest number of open subproblems at once.
    public var peakQueue = 0
    /// Deepest split path.
    public var maxDepth = 0
    /// Seconds of ``IntermediateRefinement`` (included in `boundSeconds` only for its re-bounds of the root).
    public var refinementSeconds = 0.0
    /// Unstable ReLUs of the root by layer, after any refinement, and before it (empty without
    /// one); the last case's.
    public var rootUnstableByLayer: [Int] = []
    public var rootUnstableBeforeRefinement: [Int] = []
    /// Each layer the last case's refinement tightened (empty without one).
    public var refinementByLayer: [RefinedLayer] = []
    /// Cuts the roots' rounds found (``VerificationOptions/cutRounds``), all cases together.
    public var rootCuts = 0
    /// Seconds into its search when the last case restarted from a refined root
    /// (``VerificationOptions/refineWhenStuck``); nil when none did.
    public var refinementRestartSeconds: Double?
    /// Cases whose refined root (after that restart) was still open, so the search went on
    /// from it; the differential tests ask for some, to exercise that path and not only roots
    /// the refinement proves at once.
    public var restartsLeftOpen = 0
    /// The least unsafe margin (at most 0: a counterexample) the attacks and the bounds'
    /// candidate points reached, over every case; nil where none was evaluated. Set once per
    /// run by ``Verifier/verify(engine:workers:)``, whose attacks and searches share it.
    public var closestMargin: Double?
    /// The lowest bound still open when the search stopped (nil when none was): with
    /// ``closestMargin``, how far each side of an undecided case came.
    public var weakestOpenBound: Double?

    public init() {}
}

/// Where a branch and bound run stands, reported every few seconds through
/// ``VerificationOptions/progress`` (`verdict verify -v` prints it): the weakest bound left
/// shows how far a proof is and whether it still moves.
public struct SearchProgress: Sendable {
    /// Seconds since the search of this case began.
    public var seconds: Double
    public var subproblems: Int
    /// Open subproblems, queued and waiting for Z3.
    public var open: Int
    /// The lowest bound among open subproblems (nil when none is queued); the case is proved
    /// once every open subproblem's bound is above 0.
    public var weakestBound: Double?
}

public struct VerificationResult: Sendable {
    public var answer: Answer
    /// The confirmed counterexample of a `sat` answer.
    public var witness: WitnessChecker.Report?
    /// Why the answer is `unknown` (or how `sat`/`unsat` was reached), one line.
    public var reason: String
    public var statistics: SearchStatistics

    public init(answer: Answer, witness: WitnessChecker.Report?, reason: String, statistics: SearchStatistics) {
        self.answer = answer
        self.witness = witness
        self.reason = reason
        self.statistics = statistics
    }
}
