import VerdictBounds
import VerdictCore

/// A subproblem waiting in the queue, with the bounds computed for it and the part of the
/// unsafe region its bounds have not refuted yet (children only carry those disjuncts).
struct OpenSubproblem: Sendable {
    var subproblem: Subproblem
    var region: OutputRegion
    var objectives: Objectives
    var bounds: SubproblemBounds
    var depth: Int
    /// Z3 failed on this subproblem (or an ancestor within its time limit): only a smaller
    /// unstable count than this sends a descendant to Z3 again.
    var z3UnstableLimit: Int
    /// The unsafe margin of the network at the engine's witness candidate (infinity without
    /// one): where a counterexample is most likely, the ``SubproblemQueue``'s second order.
    var concreteMargin: Double = .infinity
    /// The queue's key: the lowest, over unrefuted disjuncts, of the disjunct's best row lower
    /// bound. Most negative is furthest from proved and is split first.
    let priority: Double

    init(subproblem: Subproblem, region: OutputRegion, objectives: Objectives, bounds: SubproblemBounds, depth: Int, z3UnstableLimit: Int) {
        // What was inherited to bound this subproblem is not needed any more.
        var stored = subproblem
        stored.parentBounds = nil
        stored.warmStart = nil
        self.subproblem = stored
        self.region = region
        self.objectives = objectives
        self.bounds = bounds
        self.depth = depth
        self.z3UnstableLimit = z3UnstableLimit
        priority = Self.priority(objectives, bounds: bounds)
    }

    static func priority(_ objectives: Objectives, bounds: SubproblemBounds) -> Double {
        var best = [Double](repeating: -.infinity, count: objectives.disjunctCount)
        for row in 0..<objectives.rowCount { best[objectives.disjunctOfRow[row]] = max(best[objectives.disjunctOfRow[row]], bounds.lower[row]) }
        for (disjunct, bound) in (bounds.conjunctionLower ?? []).enumerated() { best[disjunct] = max(best[disjunct], bound) }
        return best.indices.filter { !bounds.refutedDisjuncts[$0] }.map { best[$0] }.min() ?? .infinity
    }

    /// Rough bytes held, for the memory limit.
    var approximateBytes: Int {
        let layers = bounds.layerBounds.lower.reduce(0) { $0 + $1.count } * 2
        let relaxation = (bounds.relaxation?.alpha.reduce(0) { $0 + $1.count } ?? 0) + (bounds.relaxation?.beta.reduce(0) { $0 + $1.count } ?? 0)
        let coefficients = bounds.branchingCoefficients?.reduce(0) { $0 + $1.count } ?? 0
        let phases = subproblem.phases.reduce(0) { $0 + $1.count }
        let smooth = 2 * (bounds.smoothInputBounds.values.reduce(0) { $0 + $1.lower.count } + subproblem.smoothParentBounds.values.reduce(0) { $0 + $1.lower.count })
        return 8 * (layers + relaxation + coefficients + smooth + 2 * subproblem.box.dimension + bounds.lower.count * 2) + phases + 32 * subproblem.smoothLimits.count + 512
    }

    /// What a child starts from: the subproblem (inheriting bounds and warm start), and the
    /// region without the disjuncts this subproblem already refuted (warm-start rows filtered
    /// to match).
    func childBase(_ subproblem: Subproblem) -> (Subproblem, OutputRegion, Objectives) {
        childBase(subproblem, keeping: region.disjuncts.indices.filter { !bounds.refutedDisjuncts[$0] })
    }

    /// The same, keeping only the disjuncts `kept` (in order).
    func childBase(_ subproblem: Subproblem, keeping kept: [Int]) -> (Subproblem, OutputRegion, Objectives) {
        guard kept.count < region.disjuncts.count else { return (subproblem, region, objectives) }
        let childRegion = OutputRegion(disjuncts: kept.map { region.disjuncts[$0] })
        let childObjectives = Objectives(region: childRegion, outputCount: objectives.outputCount)
        var child = subproblem
        if let warm = child.warmStart {
            let keptSet = Set(kept)
            let rows = (0..<objectives.rowCount).filter { keptSet.contains(objectives.disjunctOfRow[$0]) && $0 < warm.alpha.count }
            let (cuts, multipliers) = Self.cutsInUse(warm.cuts, warm.cutMultipliers.map { multipliers in rows.map { $0 < multipliers.count ? multipliers[$0] : [] } })
            child.warmStart = OptimizedRelaxation(
                alpha: rows.map { warm.alpha[$0] }, beta: rows.map { $0 < warm.beta.count ? warm.beta[$0] : [] }, cuts: cuts, cutMultipliers: multipliers)
        }
        return (child, childRegion, childObjectives)
    }

    /// The cuts some kept row lifts (multiplier above 0), and the kept rows' multipliers of
    /// them: a disjunct's tree need not carry the cuts only other disjuncts' rows used, which
    /// every bound of it would pass over (fewer cuts are as sound).
    static func cutsInUse(_ cuts: CutSet?, _ multipliers: [[Double]]?) -> (CutSet?, [[Double]]?) {
        guard let cuts, let multipliers else { return (cuts, multipliers) }
        let used = cuts.cuts.indices.filter { c in multipliers.contains { c < $0.count && $0[c] > 0 } }
        guard used.count < cuts.count else { return (cuts, multipliers) }
        return (CutSet(used.map { cuts.cuts[$0] }), multipliers.map { m in used.map { $0 < m.count ? m[$0] : 0 } })
    }
}
