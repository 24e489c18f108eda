import VerdictBounds
import VerdictCore

/// The points of bounded children worth running through the network, with their unsafe
/// margins: the engine's candidate (a corner minimizing the weakest bound) and, when input
/// splitting makes the box new, the box's center: a counterexample, or a measure of how
/// close the subproblem comes to one. (ReLU splitting keeps the root box, whose center the
/// attack has tried.) None for a proved child. Evaluated on all cores: one forward pass
/// each, about 4 % of a MNIST run when done one after another.
struct CandidatePoints {
    typealias Point = (point: [Double], margin: Double)

    let gradient: NetworkGradient
    let mode: SplitMode
    let layout: ActivationLayout

    func evaluate(_ children: [Child], _ results: [SubproblemBounds]) -> [[Point]] {
        let inputCount = layout.inputCount, outputCount = layout.outputCount, mode = self.mode, gradient = self.gradient
        let points = zip(children, results).map { child, result -> [[Double]] in
            guard !result.isProved else { return [] }
            let points = mode == .input ? [result.witnessCandidate, child.subproblem.box.center] : [result.witnessCandidate]
            return points.filter { $0.count == inputCount }
        }
        let regions = children.map(\.region)
        var evaluated = [[Point]](repeating: [], count: points.count)
        evaluated.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            DenseKernels.parallelFor(points.count) { index in
                let margin = UnsafeMargin(region: regions[index], outputCount: outputCount)
                base[index] = points[index].map { ($0, margin.evaluate(gradient.outputs($0)).value) }
            }
        }
        return evaluated
    }
}
