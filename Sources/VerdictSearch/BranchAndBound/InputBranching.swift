import VerdictCore

/// The input dimension to bisect: the largest smear `|∂r/∂x_i| · width_i` of the weakest
/// row `r` at the box center (ReluVal/Neurify's smear, with the gradient at one point), so the
/// split goes where the output moves most across the box. Falls back to the widest dimension
/// relative to the root box when the gradient vanishes.
enum InputBranching {
    static func dimension(_ node: OpenSubproblem, gradient: NetworkGradient, rootWidths: [Double]) -> Int? {
        let box = node.subproblem.box
        let widths = box.widths
        let splittable = (0..<box.dimension).filter { i in
            let middle = box.lower[i] / 2 + box.upper[i] / 2
            return box.lower[i] < middle && middle < box.upper[i]
        }
        guard !splittable.isEmpty else { return nil }
        let margin = UnsafeMargin(region: node.region, outputCount: gradient.network.outputCount)
        let stages = gradient.forward(box.center)
        if let row = node.objectives.weakestRow(lower: node.bounds.lower, refuted: node.bounds.refutedDisjuncts) ?? margin.evaluate(stages.last!).row {
            let direction = gradient.gradient(of: margin.rowCoefficients(row), forward: stages)
            let best = splittable.max { direction[$0].magnitude * widths[$0] < direction[$1].magnitude * widths[$1] }!
            if direction[best] != 0 { return best }
        }
        return splittable.max { widths[$0] / max(rootWidths[$0], .leastNormalMagnitude) < widths[$1] / max(rootWidths[$1], .leastNormalMagnitude) }
    }
}
