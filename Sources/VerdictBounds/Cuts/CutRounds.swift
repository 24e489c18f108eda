import VerdictCore

extension GraphRelaxationOptimizer {
    /// α/β optimization tightened by rounds of cuts (``BoundOptions/cutRounds``): each round
    /// finds the cuts that the relaxed network violates at each open row's minimizing point
    /// (``CutSeparation``), adds them to the state, and optimizes again from the best
    /// parameters so far, the new cuts' multipliers from 0. Every round's bounds are sound,
    /// so each row keeps its best. The cuts are built over `problem`'s bounds, so they hold
    /// on its subproblem (and on any smaller one).
    func optimizeWithCuts(_ problem: Problem, first: Outcome, rounds: Int) -> Outcome {
        var best = first, state = problem.state, known = Set<CutKey>()
        let separation = CutSeparation(network: network), output = network.outputValue
        for _ in 0..<rounds {
            let open = best.result.lower.indices.filter { best.result.lower[$0] <= 0 }
            if open.isEmpty || options.isStopped { break }
            let parameters = best.parameters.selecting(open)
            let pass = self.pass.run(
                from: output, rows: problem.rows.selecting(open), constants: open.map { problem.constants[$0] }, state: state, keepReluCoefficients: true,
                parameters: parameters)
            let queries = open.indices.map { k in
                RelaxedQuery(state: state, result: pass, row: k, alpha: parameters.alpha[k], slopes: parameters.lineSlopes)
            }
            var found: [ReluCut] = []
            for relaxed in relaxedPreActivations(queries, upTo: output, keepValues: true) {
                for cut in separation.violatedCuts(at: relaxed.values, state: problem.state, known: known) where known.insert(CutKey(cut)).inserted {
                    found.append(cut)
                }
            }
            if found.isEmpty { break }
            state.cuts = (state.cuts ?? CutSet([])).appending(found)
            var next = problem
            next.state = state
            next.initial = best.result
            next.warmStart = best.parameters.warmStart(cuts: best.cuts)
            best.keepBetter(optimize([next], from: output)[0], cuts: state.cuts!)
        }
        return best
    }
}

extension GraphRelaxationOptimizer.Outcome {
    /// Each row of `other` whose bound beats this one's, with its parameters; multipliers of
    /// cuts a row's parameters did not know yet are 0.
    mutating func keepBetter(_ other: GraphRelaxationOptimizer.Outcome, cuts: CutSet) {
        let rows = result.lower.count
        var multipliers = (0..<rows).map { cuts.multipliers(parameters.cutMultipliers, row: $0) }
        for row in 0..<rows where other.result.lower[row] > result.lower[row] {
            result.take(row, from: other.result, row: row)
            parameters.alpha[row] = other.parameters.alpha[row]
            if let beta = other.parameters.beta { parameters.beta?[row] = beta[row] }
            for (node, perRow) in other.parameters.lineSlopes { parameters.lineSlopes[node]?[row] = perRow[row] }
            if let theirs = other.parameters.cutMultipliers { multipliers[row] = theirs[row] }
        }
        parameters.cutMultipliers = multipliers
        self.cuts = cuts
    }
}

extension GraphBackwardPass.Parameters {
    /// These parameters as a warm start (α and β flat over all ReLUs), with the cuts their
    /// multipliers belong to (none without cuts).
    func warmStart(cuts: CutSet?) -> OptimizedRelaxation {
        OptimizedRelaxation(
            alpha: alpha.map { $0.flatMap { $0 } }, beta: beta?.map { $0.flatMap { $0 } } ?? [], cuts: cuts,
            cutMultipliers: cuts == nil ? nil : cutMultipliers)
    }

    /// The parameters of rows `rows`, in that order.
    func selecting(_ rows: [Int]) -> GraphBackwardPass.Parameters {
        GraphBackwardPass.Parameters(
            alpha: rows.map { alpha[$0] }, beta: beta.map { b in rows.map { b[$0] } }, lineSlopes: lineSlopes.mapValues { perRow in rows.map { perRow[$0] } },
            cutMultipliers: cutMultipliers.map { m in rows.map { m[$0] } })
    }
}
