import Dispatch
import Foundation
import Synchronization

/// SIGINT, SIGTERM and SIGQUIT as a request to stop: every ``Deadline`` counts as past once one
/// arrives, so a run stops the way it stops at its timeout (within the same reaction time) and
/// still prints an answer, `unknown` with the reason `interrupted`. A second signal ends the
/// process at once (exit status 130).
public enum Interruption {
    /// Whether a stop was requested.
    public static var isRequested: Bool { flag.load(ordering: .relaxed) }

    /// Routes SIGINT, SIGTERM and SIGQUIT here (idempotent). The signals are handled on a dispatch
    /// queue, not in signal context.
    public static func install() {
        installation.withLock { installed in
            guard !installed else { return }
            installed = true
            for number in [SIGINT, SIGTERM, SIGQUIT] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    if flag.exchange(true, ordering: .relaxed) {
                        fflush(nil)
                        _exit(130)
                    }
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Asks for a stop as a signal would (for tests and embedding programs).
    public static func request() { flag.store(true, ordering: .relaxed) }

    private static let flag = Atomic<Bool>(false)
    private static let installation = Mutex<Bool>(false)
    /// Kept alive for the process's life; written once, under `installation`'s lock.
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
}
