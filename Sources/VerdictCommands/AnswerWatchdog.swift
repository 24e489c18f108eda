import Foundation
import Synchronization
import VerdictSearch

/// Holds `--timeout` and SIGINT/SIGTERM to the second, whatever the run is busy with.
///
/// Every phase polls the ``Deadline`` itself and normally answers within a few tenths of a
/// second. For what does not poll (reading a huge network, a kernel or a Z3 call that overruns,
/// freeing memory), this thread waits until the deadline has passed (or a signal arrived), then
/// ``grace`` seconds more, and if the run has not started printing its answer by then, prints
/// the late answer and ends the process. Exactly one side prints: the first to ``claim()``.
final class AnswerWatchdog: Sendable {
    /// Seconds the run gets, after its deadline, to print its own answer.
    static let grace = 0.5

    private let claimed = Atomic<Bool>(false)
    private let currentPhase = Mutex("starting")

    /// Starts watching `deadline`; `answerLate(phase)` prints the late answer, on the
    /// watchdog's thread, at most once, after which the process exits.
    init(deadline: Deadline, answerLate: @escaping @Sendable (String) -> Void) {
        Thread.detachNewThread { [self] in
            while !deadline.isPast { Thread.sleep(forTimeInterval: min(0.05, max(0.001, deadline.remainingSeconds))) }
            Thread.sleep(forTimeInterval: Self.grace)
            guard claim() else { return }
            answerLate(currentPhase.withLock { $0 })
            _exit(fflush(nil) == 0 ? 0 : 1)
        }
    }

    /// What the run is doing, for the late answer's reason ("reading the network").
    func enter(_ phase: String) {
        currentPhase.withLock { $0 = phase }
    }

    /// Takes the right to print the answer: false when the watchdog already has it.
    func claim() -> Bool {
        !claimed.exchange(true, ordering: .sequentiallyConsistent)
    }

    /// For the run that lost the claim: waits for the watchdog to end the process.
    func waitForExit() -> Never {
        while true { Thread.sleep(forTimeInterval: 60) }
    }
}
