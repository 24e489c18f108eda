/// A wall-clock limit shared by every phase of a run (attacks, bounds, Z3), so `--timeout` is
/// honoured from the process start however the time was spent.
public struct Deadline: Sendable {
    public let end: ContinuousClock.Instant?

    public init(end: ContinuousClock.Instant?) {
        self.end = end
    }

    /// `seconds` after `start`; nil seconds for no limit. Limits beyond ``longest`` (a year)
    /// count as a year, so a huge `--timeout` cannot overflow the clock's arithmetic.
    public init(seconds: Double?, from start: ContinuousClock.Instant = .now) {
        end = seconds.map { start + .milliseconds(Int64((min(max($0, 0), Self.longest) * 1000).rounded(.down))) }
    }

    /// The longest limit kept as given, in seconds (365 days).
    public static let longest: Double = 365 * 86_400

    public static let none = Deadline(end: nil)

    /// Whether the limit has passed, or a stop was requested (``Interruption``).
    public var isPast: Bool { Interruption.isRequested || (end.map { ContinuousClock.now >= $0 } ?? false) }

    /// A deadline `fraction` of the time left from now (none without a limit): a budget for
    /// one phase of a run.
    public func share(_ fraction: Double) -> Deadline {
        end == nil ? .none : Deadline(seconds: remainingSeconds * fraction)
    }

    /// Seconds left (infinity without a limit, never negative).
    public var remainingSeconds: Double {
        if Interruption.isRequested { return 0 }
        guard let end else { return .infinity }
        let left = end - ContinuousClock.now
        return max(0, Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18)
    }
}

/// Seconds elapsed since `start`.
public func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
