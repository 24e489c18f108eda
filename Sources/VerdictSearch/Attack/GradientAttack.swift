import VerdictBounds
import VerdictCore

/// Falsification before any proof: random sampling of the box, then projected gradient
/// descent (PGD, ℓ∞ steps scaled to the box) on the ``UnsafeMargin`` from the best samples and
/// from random points. Seeded, so runs repeat. Every point whose margin is at most zero goes
/// to the ``WitnessConfirmation``; only a confirmed one is returned.
struct GradientAttack {
    let gradient: NetworkGradient
    let confirmation: WitnessConfirmation
    let samples: Int
    let restarts: Int
    let steps: Int
    let deadline: Deadline
    /// Where every margin evaluated goes: how close the run's attacks came.
    let closest: ClosestMargin

    func run(caseIndex: Int, generator: inout SeededGenerator) -> WitnessChecker.Report? {
        let item = confirmation.checker.property.cases[caseIndex]
        let box = item.innerBox
        guard box.isNonEmpty else { return nil }
        let margin = UnsafeMargin(region: item.unsafe, outputCount: gradient.outputCount)
        let widths = box.widths
        func randomPoint() -> [Double] {
            (0..<box.dimension).map { widths[$0] > 0 ? Double.random(in: box.lower[$0]...box.upper[$0], using: &generator) : box.lower[$0] }
        }
        /// A random point with each coordinate on one of its bounds with probability
        /// `boundShare`, and one random coordinate there in any case when `onFace`.
        func boundaryPoint(boundShare: Double, onFace: Bool) -> [Double] {
            var point = randomPoint()
            let faceCoordinate = onFace ? Int.random(in: 0..<box.dimension, using: &generator) : -1
            for i in 0..<box.dimension where i == faceCoordinate || Double.random(in: 0..<1, using: &generator) < boundShare {
                point[i] = Bool.random(using: &generator) ? box.lower[i] : box.upper[i]
            }
            return point
        }
        // Sampling: the center, then in turn points inside the box, on a face, with half the
        // coordinates on their bounds, and vertices. A network is piecewise linear, so its
        // extremes over a box sit on the boundary more often than inside (ACAS Xu 1_9 property
        // 7's counterexamples lie on a face; uniform samples inside missed them by the
        // hundred thousand). Keep the best as PGD starts.
        var scored: [(value: Double, point: [Double])] = []
        let kept = min(max(restarts / 2, 1), 1024)
        for index in 0..<max(samples, 1) {
            if deadline.isPast { return nil }
            let point: [Double]
            if index == 0 {
                point = box.center
            } else {
                switch index % 4 {
                case 0: point = randomPoint()
                case 1: point = boundaryPoint(boundShare: 0, onFace: true)
                case 2: point = boundaryPoint(boundShare: 0.5, onFace: false)
                default: point = boundaryPoint(boundShare: 1, onFace: false)
                }
            }
            let value = margin.evaluate(gradient.outputs(point)).value
            closest.record(value)
            if value <= 0, let report = confirmation.confirm(point, caseIndex: caseIndex) { return report }
            scored.append((value, point))
            // Only the best `kept` samples can become starts: memory stays bounded however
            // many samples run.
            if scored.count >= 2 * kept {
                scored.sort { $0.value < $1.value }
                scored.removeLast(scored.count - kept)
            }
        }
        scored.sort { $0.value < $1.value }
        // Half the restarts start from the best samples, the rest from random points, drawn
        // one at a time (a huge --attack-restarts costs time, bounded by the deadline, not memory).
        let fromSamples = min(kept, scored.count)
        for index in 0..<max(restarts, 0) {
            let start = index < fromSamples ? scored[index].point : randomPoint()
            if let report = descend(from: start, within: box, margin: margin, steps: steps, caseIndex: caseIndex) { return report }
            if deadline.isPast { return nil }
        }
        return nil
    }

    /// PGD inside `box` (a sub-box of the case's box during branch and bound) from `start`.
    func descend(from start: [Double], within box: InputBox, margin: UnsafeMargin, steps: Int, caseIndex: Int) -> WitnessChecker.Report? {
        let widths = box.widths
        var point = zip(start, zip(box.lower, box.upper)).map { min(max($0, $1.0), $1.1) }
        for step in 0..<steps {
            if deadline.isPast { return nil }
            let stages = gradient.forward(point)
            let (value, row) = margin.evaluate(stages.last!)
            closest.record(value)
            if value <= 0, let report = confirmation.confirm(point, caseIndex: caseIndex) { return report }
            guard let row else { return nil }
            let direction = gradient.gradient(of: margin.descentCoefficients(forRowOf: row, outputs: stages.last!), forward: stages)
            // Step size decays linearly from a quarter of the box to a small fraction.
            let size = 0.25 * (1 - Double(step) / Double(steps)) + 0.005
            for i in 0..<box.dimension where direction[i] != 0 {
                point[i] = min(max(point[i] - size * widths[i] * (direction[i] > 0 ? 1 : -1), box.lower[i]), box.upper[i])
            }
        }
        let value = margin.evaluate(gradient.outputs(point)).value
        closest.record(value)
        return value <= 0 ? confirmation.confirm(point, caseIndex: caseIndex) : nil
    }
}
