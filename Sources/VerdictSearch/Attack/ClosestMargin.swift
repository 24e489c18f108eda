import Synchronization

/// The least unsafe margin (``UnsafeMargin``: at most 0 is a counterexample) that a run's
/// attacks and the points its bounds pointed at reached: how close falsification came.
/// Beside an open case's weakest bound it says which side of the gap is stuck: on eran's
/// `idx_5719` (labelled `sat`) PGD stops at 1.96 while the weakest bound is -12.6, so the
/// relaxation, not the attack, is what fails there. Shared by the attacks of one run.
final class ClosestMargin: Sendable {
    private let least = Mutex(Double.infinity)

    func record(_ margin: Double) {
        guard !margin.isNaN else { return }
        least.withLock { $0 = min($0, margin) }
    }

    /// Nil until a finite margin was recorded.
    var value: Double? { least.withLock { $0.isFinite ? $0 : nil } }
}
