import VerdictBounds

/// An ``OpenSubproblem`` as it waits in the queue or among the refinement's leaves: its large
/// arrays in single precision, so an open subproblem holds about half the bytes (issue 20:
/// about 70 KB each on MNIST-FC `256x2`, so a queue of 118,000 passed 8 GiB).
///
/// Sound: intermediate bounds are rounded outward (lower down, upper up), so the bounds a child
/// inherits still hold, only looser by at most one single-precision step. The rest are hints
/// that any value of their kind leaves sound: α and β (warm starts; rounding to nearest keeps
/// every value's sign and a ReLU's α within [0, 1], and S-shaped lines get their intercepts
/// from any slope), the witness candidate (a PGD start, clamped into the box; any witness is checked by
/// the exact evaluator), and the branching and input coefficients (scores). The objective rows'
/// bounds, which decide proofs and the queue's order, stay in double precision.
struct CompactSubproblem {
    private let node: OpenSubproblem
    private let lower: [[Float]], upper: [[Float]]
    private let alpha: [[Float]]?, beta: [[Float]]?
    /// The cuts (shared) and their multipliers (any `μ >= 0` is sound; rounding keeps the sign).
    private let cuts: CutSet?, multipliers: [[Float]]?
    private let witness: [Float]
    private let branching: [[Float]]?
    private let input: [Float]?
    /// Rough bytes held, for the memory limit: what ``OpenSubproblem/approximateBytes`` counts
    /// for the stripped node, plus four bytes per number kept here (counted once, at filing).
    let approximateBytes: Int

    init(_ node: OpenSubproblem) {
        var stripped = node
        let bounds = node.bounds
        lower = bounds.layerBounds.lower.map { $0.map(Self.roundedDown) }
        upper = bounds.layerBounds.upper.map { $0.map(Self.roundedUp) }
        alpha = bounds.relaxation.map { $0.alpha.map { $0.map(Float.init) } }
        beta = bounds.relaxation.map { $0.beta.map { $0.map(Float.init) } }
        cuts = bounds.relaxation?.cuts
        // Rounded down (toward 0 for these nonnegative values): a multiplier past Float's range
        // would otherwise become infinite.
        multipliers = bounds.relaxation?.cutMultipliers.map { $0.map { $0.map { Float($0).isFinite ? Self.roundedDown($0) : .greatestFiniteMagnitude } } }
        witness = bounds.witnessCandidate.map(Float.init)
        branching = bounds.branchingCoefficients.map { $0.map { $0.map(Float.init) } }
        input = bounds.inputCoefficients.map { $0.map(Float.init) }
        stripped.bounds.layerBounds = LayerBounds(lower: [], upper: [])
        stripped.bounds.relaxation = nil
        stripped.bounds.witnessCandidate = []
        stripped.bounds.branchingCoefficients = nil
        stripped.bounds.inputCoefficients = nil
        self.node = stripped
        let floats = [lower, upper, alpha ?? [], beta ?? [], multipliers ?? [], branching ?? []].reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        approximateBytes = stripped.approximateBytes + 4 * (floats + witness.count + (input?.count ?? 0))
    }

    /// The subproblem with its arrays back in double precision.
    var expanded: OpenSubproblem {
        var node = self.node
        node.bounds.layerBounds = LayerBounds(lower: lower.map { $0.map(Double.init) }, upper: upper.map { $0.map(Double.init) })
        if let alpha, let beta {
            node.bounds.relaxation = OptimizedRelaxation(
                alpha: alpha.map { $0.map(Double.init) }, beta: beta.map { $0.map(Double.init) }, cuts: cuts,
                cutMultipliers: multipliers.map { $0.map { $0.map(Double.init) } })
        }
        node.bounds.witnessCandidate = witness.map(Double.init)
        node.bounds.branchingCoefficients = branching.map { $0.map { $0.map(Double.init) } }
        node.bounds.inputCoefficients = input.map { $0.map(Double.init) }
        return node
    }

    var priority: Double { node.priority }
    var depth: Int { node.depth }
    var concreteMargin: Double { node.concreteMargin }
    /// The bound of objective row `row` (kept in double precision).
    func rowLowerBound(_ row: Int) -> Double { node.bounds.lower[row] }

    /// The largest single-precision value at most `x` (NaN and infinities as they are).
    static func roundedDown(_ x: Double) -> Float {
        let f = Float(x)
        return Double(f) > x ? f.nextDown : f
    }

    /// The smallest single-precision value at least `x`.
    static func roundedUp(_ x: Double) -> Float {
        let f = Float(x)
        return Double(f) < x ? f.nextUp : f
    }
}
