import VerdictCore
import VerdictBounds

/// Scores of the unstable ReLUs of a subproblem, for choosing the next ReLU split.
///
/// The BaBSR-style score of neuron `j` of layer `k` is `|ν_j| · (-l_j·u_j)/(u_j - l_j)`: the
/// triangle relaxation's largest gap between `relu(z)` and its upper line (the intercept),
/// weighted by how much the weakest row's CROWN bound leans on that activation (`ν`, see
/// ``SubproblemBounds/branchingCoefficients``). Splitting the neuron removes that gap.
enum ReluBranching {
    struct Candidate {
        let layer: Int
        let neuron: Int
        let score: Double
    }

    /// Unstable free ReLUs of `node`, best first by `heuristic` (FSB ranks by BaBSR here and
    /// is refined by the caller), at most `limit` of them.
    static func candidates(_ node: OpenSubproblem, heuristic: BranchingHeuristic, limit: Int, generator: inout SeededGenerator) -> [Candidate] {
        let bounds = node.bounds.layerBounds
        var all: [Candidate] = []
        for layer in 0..<bounds.lower.count {
            let coefficients = node.bounds.branchingCoefficients?[layer]
            for j in 0..<bounds.lower[layer].count where node.subproblem.phases[layer][j] == .free {
                let l = bounds.lower[layer][j], u = bounds.upper[layer][j]
                guard l < 0 && u > 0 else { continue }
                let intercept = -l * u / (u - l)
                let score: Double
                switch heuristic {
                case .babsr, .fsb:
                    // Without coefficients (IBP), the intercept alone; a tiny width term breaks ties.
                    score = (coefficients.map { $0[j].magnitude } ?? 1) * intercept + 1e-12 * (u - l)
                case .intercept:
                    // Only a negative coefficient puts the triangle's upper line, and its
                    // intercept, into the lower bound.
                    score = max(0, -(coefficients?[j] ?? -1)) * intercept + 1e-12 * (u - l)
                case .widest:
                    score = u - l
                case .random:
                    score = Double.random(in: 0..<1, using: &generator)
                }
                all.append(Candidate(layer: layer, neuron: j, score: score))
            }
        }
        guard all.count > limit else { return all.sorted { $0.score > $1.score } }
        // Partial selection of the best `limit`.
        all.sort { $0.score > $1.score }
        return Array(all.prefix(limit))
    }
}
