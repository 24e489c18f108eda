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

    func run(caseIndex: Int, generator: inout SeededGenerator) -> WitnessChecker.Report? {
        let item = confirmation.checker.property.cases[caseIndex]
        let box = item.innerBox
        guard box.isNonEmpty else { return nil }
        let margin = UnsafeMargin(region: item.unsafe, outputCount: gradient.network.outputCount)
        let widths = box.widths
        func randomPoint() -> [Double] {
            (0..<box.dimension).map { widths[$0] > 0 ? Double.random(in: box.lower[$0]...box.upper[$0], using: &generator) : box.lower[$0] }
        }
        // Sampling: the center and random points; keep the best as PGD starts.
        var scored: [(value: Double, point: [Double])] = []
        for index in 0..<max(samples, 1) {
            if deadline.isPast { return nil }
            let point = index == 0 ? box.center : randomPoint()
            let value = margin.evaluate(gradient.outputs(point)).value
            if value <= 0, let report = confirmation.confirm(point, caseIndex: caseIndex) { return report }
            scored.append((value, point))
        }
        scored.sort { $0.value < $1.value }
        let starts = scored.prefix(max(restarts / 2, 1)).map(\.point) + (0..<max(restarts - max(restarts / 2, 1), 0)).map { _ in randomPoint() }
        for start in starts.prefix(restarts) {
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
        return value <= 0 ? confirmation.confirm(point, caseIndex: caseIndex) : nil
    }
}
