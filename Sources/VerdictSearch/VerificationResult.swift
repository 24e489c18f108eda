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

    public init() {}
}

public struct VerificationResult: Sendable {
    public var answer: Answer
    /// The confirmed counterexample of a `sat` answer.
    public var witness: WitnessChecker.Report?
    /// Why the answer is `unknown` (or how `sat`/`unsat` was reached), one line.
    public var reason: String
    public var statistics: SearchStatistics
}
