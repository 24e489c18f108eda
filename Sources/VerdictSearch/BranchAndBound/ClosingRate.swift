/// How fast a search closes its trees, for deciding whether the refinement restart should wait
/// (``VerificationOptions/refineUnlessFinishing``). Open volume is `2^-depth` summed over the
/// open subproblems; the rate is taken over the last half of the search so far, because the
/// first seconds close the shallow, easy part of every tree. On MNIST-FC `256x4 prop_3_0.03`
/// the average since the start said 7 s to go after 6 s, while the last 3 s said 500 s (the
/// proof took 52 s with the restart after 6 s, 209 s without one).
struct ClosingRate {
    private var samples: [(seconds: Double, volume: Double)] = []

    /// Records the open volume at `seconds` into the search (at most four samples a second).
    mutating func record(seconds: Double, volume: Double) {
        if let last = samples.last, seconds - last.seconds < 0.25 { return }
        samples.append((seconds, volume))
    }

    /// Seconds the search would need to close what is open, at the rate it closed the last half
    /// of its time; infinity when it closed nothing then.
    func projectedSeconds(now seconds: Double, volume: Double) -> Double {
        guard let past = samples.last(where: { $0.seconds <= seconds / 2 }) ?? samples.first else { return .infinity }
        let closed = past.volume - volume, elapsed = seconds - past.seconds
        guard closed > 0, elapsed > 0 else { return volume > 0 ? .infinity : 0 }
        return volume * elapsed / closed
    }
}
