import VerdictCore

/// α-CROWN and β-CROWN on the graph engine: projected gradient ascent (Adam) on the objective
/// rows' lower bounds, as ``RelaxationOptimizer`` does on chains.
///
/// Any α in [0, 1] (lower slopes of unstable ReLUs) and β >= 0 (multipliers of split
/// constraints) gives a sound bound, so every iterate is one and the best per row is kept.
/// With the minimizing corner `x*` fixed, the bound's gradient is `ν_j · ẑ_j` for α_j and
/// `-sign_j · ẑ_j` for β_j: `ν` the coefficients the backward pass reached at the ReLU's
/// output, `ẑ` its input in the relaxed network (each piecewise-linear node replaced by the
/// line the pass used for that row) evaluated forward at `x*`.
struct GraphRelaxationOptimizer {
    let network: GraphBoundNetwork
    let pass: GraphBackwardPass
    let options: BoundOptions

    struct Outcome {
        var result: GraphBackwardPass.Result
        var parameters: GraphBackwardPass.Parameters
    }

    /// Optimizes `rows` passed back from `value` for `iterations` steps (the options' by
    /// default). ReLU layers not relaxed yet (past `value`, when bounding an intermediate
    /// layer) are not reached by the pass and keep zeros.
    func optimize(
        _ rows: RowBlock, constants: [Double], from value: ValueID, state: GraphState, initial: GraphBackwardPass.Result, warmStart: OptimizedRelaxation?,
        iterations: Int? = nil
    ) -> Outcome {
        let iterations = iterations ?? options.iterations
        let useBeta = options.method == .betaCrown
        let layout = network.layout
        let lines = network.reluNodes.enumerated().map { layer, node in
            (state.relaxations[node] as? ReLUOperator.Lines)?.lines ?? Self.unreached(width: layout.reluWidth(layer))
        }
        var alpha = (0..<rows.rows).map { row in
            lines.enumerated().map { layer, relaxation in warmValues(warmStart?.alpha, row: row, layer: layer, keep: relaxation.isUnstable) ?? relaxation.lowerSlope }
        }
        var beta = (0..<rows.rows).map { row in
            lines.enumerated().map { layer, relaxation in
                warmValues(warmStart?.beta, row: row, layer: layer, keep: relaxation.splitSign.map { $0 != 0 }) ?? Array(repeating: 0, count: layout.reluWidth(layer))
            }
        }
        var best = initial
        var bestParameters = GraphBackwardPass.Parameters(alpha: alpha, beta: useBeta ? beta : nil)
        var adamAlpha = AdamState(shape: alpha), adamBeta = AdamState(shape: beta)
        for iteration in 0..<max(iterations, 0) {
            let parameters = GraphBackwardPass.Parameters(alpha: alpha, beta: useBeta ? beta : nil)
            let result = pass.run(from: value, rows: rows, constants: constants, state: state, keepReluCoefficients: true, parameters: parameters)
            for row in 0..<rows.rows where result.lower[row] > best.lower[row] {
                best.lower[row] = result.lower[row]
                best.corners[row] = result.corners[row]
                bestParameters.alpha[row] = alpha[row]
                if useBeta { bestParameters.beta?[row] = beta[row] }
            }
            if iteration == iterations - 1 || options.isStopped { break }
            var alphaGradient = alpha, betaGradient = beta
            for row in 0..<rows.rows {
                let relaxed = relaxedPreActivations(row: row, corner: result.corners[row], result: result, alpha: alpha[row], state: state, upTo: value)
                for (layer, relaxation) in lines.enumerated() {
                    let coefficients = result.reluCoefficients[row][layer]
                    for j in 0..<layout.reluWidth(layer) {
                        let z = relaxed[layer]?[j] ?? 0
                        alphaGradient[row][layer][j] = relaxation.isUnstable[j] && coefficients[j] >= 0 ? coefficients[j] * z : 0
                        betaGradient[row][layer][j] = relaxation.splitSign[j] != 0 ? -relaxation.splitSign[j] * z : 0
                    }
                }
            }
            adamAlpha.ascend(&alpha, gradient: alphaGradient, learningRate: options.learningRate, lowerLimit: 0, upperLimit: 1)
            if useBeta { adamBeta.ascend(&beta, gradient: betaGradient, learningRate: options.betaLearningRate, lowerLimit: 0, upperLimit: .infinity) }
        }
        return Outcome(result: best, parameters: bestParameters)
    }

    /// Stands in for a layer the pass does not reach: no unstable neuron, no split.
    private static func unreached(width: Int) -> ReluRelaxation {
        var lower = [Double](repeating: 0, count: width), upper = lower
        return ReluRelaxation(lower: &lower, upper: &upper, phases: Array(repeating: .free, count: width))!
    }

    /// A warm start's values of one row and layer (flat over all ReLUs) where `keep` holds,
    /// nil when the warm start does not fit.
    private func warmValues(_ warm: [[Double]]?, row: Int, layer: Int, keep: [Bool]) -> [Double]? {
        let layout = network.layout
        guard let warm, row < warm.count, warm[row].count == layout.reluCount else { return nil }
        let offset = layout.reluWidths[..<layer].reduce(0, +)
        return keep.indices.map { keep[$0] ? warm[row][offset + $0] : 0 }
    }

    /// The inputs of each ReLU layer (nil for layers the row's pass did not reach) in the
    /// network relaxed as the row's pass relaxed it, at `corner`.
    private func relaxedPreActivations(
        row: Int, corner: [Double], result: GraphBackwardPass.Result, alpha: [[Double]], state: GraphState, upTo value: ValueID
    ) -> [[Double]?] {
        var values: [[Double]] = [corner]
        var relaxed = [[Double]?](repeating: nil, count: network.layout.reluLayerCount)
        let last = network.producer(value) ?? -1
        for index in 0..<(last + 1) {
            let node = network.network.nodes[index]
            let inputs = node.inputs.map { values[$0.valueIndex] }
            guard let block = result.relaxedRows[index] else {
                values.append(node.layer.evaluate(inputs))
                continue
            }
            let coefficients = Array(block.values[(row * block.width)..<((row + 1) * block.width)])
            if let layer = network.reluLayerOfNode[index], let lines = (state.relaxations[index] as? ReLUOperator.Lines)?.lines {
                relaxed[layer] = inputs[0]
                values.append(inputs[0].indices.map { j in
                    let z = inputs[0][j]
                    if coefficients[j] >= 0 { return (lines.isUnstable[j] ? alpha[layer][j] : lines.lowerSlope[j]) * z }
                    return lines.upperSlope[j] * z + lines.upperIntercept[j]
                })
            } else if let lines = state.relaxations[index] as? MaxPoolOperator.Lines {
                values.append(coefficients.indices.map { o in
                    coefficients[o] > 0 || lines.decided[o] ? inputs[0][lines.lowerInput[o]] : lines.upperBound[o]
                })
            } else if let lines = state.relaxations[index]?.relaxedForward(inputs[0], coefficients: coefficients) {
                values.append(lines)
            } else {
                values.append(node.layer.evaluate(inputs))
            }
        }
        return relaxed
    }
}
