import Foundation
import VerdictZ3

/// Worker threads that solve Z3 leaves while the main thread keeps bounding batches.
///
/// Jobs wait in a FIFO queue; each worker takes one, builds a fresh solver with the job's time
/// limit and solves it. The search collects finished leaves with ``takeFinished()`` between
/// batches. ``cancelAll()`` drops waiting jobs and interrupts running solvers (Z3's interrupt
/// is thread-safe), so a deadline is met within Z3's reaction time. Z3 does not always keep
/// its own time limit (robot_6 of reach_prob_density spent 51 s in two leaves limited to 10 s),
/// so ``takeFinished()`` also interrupts every solver running a second past its job's limit.
final class Z3LeafPool: @unchecked Sendable {
    struct Job: Sendable {
        let query: NetworkQuery
        let timeoutSeconds: Double
        /// The branch-and-bound subproblem the leaf came from (nil for whole-network queries).
        let node: OpenSubproblem?
        /// Unique over the pool's life (every case of a run shares one pool), set by ``submit(_:)``.
        fileprivate(set) var id = 0

        init(query: NetworkQuery, timeoutSeconds: Double, node: OpenSubproblem?) {
            self.query = query
            self.timeoutSeconds = timeoutSeconds
            self.node = node
        }
    }

    struct Finished: Sendable {
        let job: Job
        let outcome: NetworkQuery.Outcome
        let seconds: Double
    }

    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var finished: [Finished] = []
    private var running: [ObjectIdentifier: (solver: Z3Solver, overdue: ContinuousClock.Instant)] = [:]
    private var busy = 0
    private var nextID = 0
    private var cancelled = false
    private var stopped = false

    init(workers: Int) {
        for index in 0..<max(workers, 1) {
            let thread = Thread { [self] in work() }
            thread.name = "verdict.z3.\(index)"
            thread.stackSize = 64 << 20  // Z3 recursion on large formulas
            thread.start()
        }
    }

    /// Queues `job`; returns its id, which its ``Finished`` carries.
    @discardableResult
    func submit(_ job: Job) -> Int {
        condition.lock()
        defer { condition.unlock() }
        nextID += 1
        var job = job
        job.id = nextID
        waiting.append(job)
        condition.signal()
        return job.id
    }

    /// Jobs submitted and not yet taken back with ``takeFinished()``.
    var outstanding: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiting.count + busy + finished.count
    }

    func takeFinished() -> [Finished] {
        condition.lock()
        defer { condition.unlock() }
        let now = ContinuousClock.now
        for (solver, overdue) in running.values where now > overdue { solver.interrupt() }
        let result = finished
        finished = []
        return result
    }

    /// Waits up to `seconds` for some job to finish (returns early when one has).
    func waitForFinished(seconds: Double) {
        condition.lock()
        if finished.isEmpty { _ = condition.wait(until: Date(timeIntervalSinceNow: max(seconds, 0))) }
        condition.unlock()
    }

    func cancelAll() {
        condition.lock()
        cancelled = true
        waiting = []
        for (solver, _) in running.values { solver.interrupt() }
        condition.broadcast()
        condition.unlock()
    }

    /// Cancels every job and returns once no solver runs, ready for new jobs: between the
    /// runs of a session that reuses the pool. Running solvers are interrupted every 10 ms
    /// until they stop (Z3 drops an interrupt that arrives before its `check` starts). Without
    /// the wait, leaves of finished runs ran on beside later ones: `verdict radius` on the
    /// digits test set slowed from 0.7 s to 3.5 s per input as they piled up. libz3 4.8.12
    /// may not notice an interrupt or its own timeout for seconds: a 64-ReLU digits leaf
    /// answered `canceled` only after 9.7 s, with an interrupt at 0.3 s or a 1 s timeout.
    func drain() {
        condition.lock()
        cancelled = true
        waiting = []
        while busy > 0 {
            for (solver, _) in running.values { solver.interrupt() }
            _ = condition.wait(until: Date(timeIntervalSinceNow: 0.01))
        }
        finished = []
        cancelled = false
        condition.unlock()
    }

    /// Ends the worker threads once they finish their current job.
    func shutDown() {
        cancelAll()
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while waiting.isEmpty && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            let job = waiting.removeFirst()
            let solver = Z3Solver(timeoutMilliseconds: UInt32(min(max(job.timeoutSeconds, 0.001), 3600) * 1000), setup: job.query.solverSetup)
            let key = ObjectIdentifier(solver)
            running[key] = (solver, ContinuousClock.now + .seconds(min(max(job.timeoutSeconds, 0.001), 3600) + 1))
            busy += 1
            let alreadyCancelled = cancelled
            condition.unlock()

            let start = ContinuousClock.now
            let outcome: NetworkQuery.Outcome
            if alreadyCancelled {
                outcome = .unknown(reason: "cancelled")
            } else {
                do { outcome = try job.query.solve(with: solver) } catch { outcome = .unknown(reason: "\(error)") }
            }
            let elapsed = seconds(since: start)

            condition.lock()
            running[key] = nil
            busy -= 1
            finished.append(Finished(job: job, outcome: outcome, seconds: elapsed))
            condition.broadcast()
            condition.unlock()
        }
    }
}
