/// Shrinks the branch-and-bound batch as the deadline nears, so that `--timeout` holds with
/// large `--batch` values too.
///
/// The bound engine polls the deadline between layers and between α/β steps, but a batch also
/// has stretches it cannot stop in (one backward pass over every row of every subproblem, the
/// host's packing of α and β, filing the children). With 1,024 nodes a batch took 5-8 s on
/// PoCL and overran a 20 s timeout by 2-5 s. Knowing the seconds one node took in the batches
/// so far, the search pops no more nodes than half the time left allows.
struct BatchPacing {
    /// Seconds per popped node, over the batches so far (nil before the first).
    private(set) var secondsPerNode: Double?

    /// Fraction of the remaining time one batch may be planned to take.
    static let shareOfRemainingTime = 0.5

    /// The batch to pop: `requested`, or fewer when the nodes would not fit in the time left.
    func batchSize(_ requested: Int, remainingSeconds: Double) -> Int {
        let requested = max(requested, 1)
        guard let secondsPerNode, secondsPerNode > 0, remainingSeconds.isFinite else { return requested }
        let affordable = remainingSeconds * Self.shareOfRemainingTime / secondsPerNode
        return affordable >= Double(requested) ? requested : max(1, Int(affordable))
    }

    /// Records a batch of `nodes` that took `seconds`; the slowest recent rate counts most, so
    /// a batch that suddenly takes longer (deeper layers, more rows) shrinks the next at once.
    mutating func record(nodes: Int, seconds: Double) {
        guard nodes > 0, seconds.isFinite, seconds >= 0 else { return }
        let rate = seconds / Double(nodes)
        secondsPerNode = secondsPerNode.map { max(rate, 0.8 * $0 + 0.2 * rate) } ?? rate
    }
}
