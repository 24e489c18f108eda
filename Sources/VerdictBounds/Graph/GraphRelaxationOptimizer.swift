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
        iterations: Int? = nil, stopWhenPositive: Bool = true
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
        let smooth = SmoothSlopes(network: network, state: state, upTo: value, rows: rows.rows)
        var slopes = smooth.initial
        var best = initial
        var bestParameters = GraphBackwardPass.Parameters(alpha: alpha, beta: useBeta ? beta : nil, lineSlopes: smooth.parameters(slopes))
        var adamAlpha = AdamState(shape: alpha), adamBeta = AdamState(shape: beta), adamSlopes = AdamState(shape: slopes)
        // Rows still optimized: with `stopWhenPositive`, a row whose bound is positive refutes
        // its disjunct (or stabilizes its ReLU) already, so it stops and the iterations cost only
        // the others. An S-shaped node's lines depend on its bounds' values, not their signs:
        // its rows run every iteration.
        let stopAt = stopWhenPositive ? 0.0 : .infinity
        var active = (0..<rows.rows).filter { best.lower[$0] <= stopAt }
        // Only unstable or split neurons have a gradient: the others' entries stay 0, so the
        // gradients are allocated once and only those entries are written.
        let movable = lines.map { relaxation in relaxation.isUnstable.indices.filter { relaxation.isUnstable[$0] || relaxation.splitSign[$0] != 0 } }
        var alphaGradient = alpha.map { $0.map { $0.map { _ in 0.0 } } }, betaGradient = alphaGradient
        for iteration in 0..<(active.isEmpty ? 0 : max(iterations, 0)) {
            let parameters = GraphBackwardPass.Parameters(
                alpha: active.map { alpha[$0] }, beta: useBeta ? active.map { beta[$0] } : nil, lineSlopes: smooth.parameters(active.map { slopes[$0] }))
            let block = rows.selecting(active)
            let result = pass.run(
                from: value, rows: block, constants: active.map { constants[$0] }, state: state, keepReluCoefficients: true, parameters: parameters)
            for (k, row) in active.enumerated() where result.lower[k] > best.lower[row] {
                best.lower[row] = result.lower[k]
                best.corners[row] = result.corners[k]
                best.inputCoefficients[row] = result.inputCoefficients[k]
                bestParameters.alpha[row] = alpha[row]
                if useBeta { bestParameters.beta?[row] = beta[row] }
                for (node, perRow) in parameters.lineSlopes { bestParameters.lineSlopes[node]?[row] = perRow[k] }
            }
            if iteration == iterations - 1 || options.isStopped { break }
            var slopeGradient = slopes.map { $0.map { $0.map { _ in 0.0 } } }
            for (k, row) in active.enumerated() {
                guard best.lower[row] <= stopAt else {
                    // Done: no further step for this row.
                    for layer in lines.indices { for j in movable[layer] { alphaGradient[row][layer][j] = 0; betaGradient[row][layer][j] = 0 } }
                    continue
                }
                let relaxed = relaxedPreActivations(
                    row: k, corner: result.corners[k], result: result, alpha: alpha[row], slopes: parameters.lineSlopes, state: state, upTo: value)
                for (layer, relaxation) in lines.enumerated() {
                    let coefficients = result.reluCoefficients[k][layer], z = relaxed.relu[layer]
                    for j in movable[layer] {
                        let input = z?[j] ?? 0
                        alphaGradient[row][layer][j] = relaxation.isUnstable[j] && coefficients[j] >= 0 ? coefficients[j] * input : 0
                        betaGradient[row][layer][j] = relaxation.splitSign[j] != 0 ? -relaxation.splitSign[j] * input : 0
                    }
                }
                slopeGradient[row] = smooth.gradient(row: k, slopes: slopes[row], result: result, inputs: relaxed.smooth)
            }
            active = active.filter { best.lower[$0] <= stopAt }
            if active.isEmpty { break }
            adamAlpha.ascend(&alpha, gradient: alphaGradient, learningRate: options.learningRate, lowerLimit: 0, upperLimit: 1)
            if useBeta { adamBeta.ascend(&beta, gradient: betaGradient, learningRate: options.betaLearningRate, lowerLimit: 0, upperLimit: .infinity) }
            if !smooth.nodes.isEmpty { adamSlopes.ascend(&slopes, gradient: slopeGradient, learningRate: options.slopeLearningRate, lowerLimit: 0, upperLimit: 1) }
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

    /// The inputs of each ReLU layer (nil for layers the row's pass did not reach) and of each
    /// S-shaped node, in the network relaxed as the row's pass relaxed it, at `corner`.
    private func relaxedPreActivations(
        row: Int, corner: [Double], result: GraphBackwardPass.Result, alpha: [[Double]], slopes: [Int: [(lower: [Double], upper: [Double])]],
        state: GraphState, upTo value: ValueID
    ) -> (relu: [[Double]?], smooth: [Int: [Double]]) {
        var values: [[Double]] = [corner]
        var relaxed = [[Double]?](repeating: nil, count: network.layout.reluLayerCount)
        var smooth: [Int: [Double]] = [:]
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
            } else if let lines = state.relaxations[index] as? SShapedOperator.Lines {
                smooth[index] = inputs[0]
                values.append(inputs[0].indices.map { j in
                    let positive = coefficients[j] >= 0
                    return lines.line(j, positive: positive, fraction: slopes[index].map { positive ? $0[row].lower[j] : $0[row].upper[j] })(inputs[0][j])
                })
            } else {
                values.append(node.layer.evaluate(inputs))
            }
        }
        return (relaxed, smooth)
    }
}

/// The optimizable slopes of the S-shaped nodes a pass from one value reaches: per row, two
/// slots per node (lower and upper line), each a fraction of the function's steepest slope,
/// starting at CROWN's. The gradient of a row's bound in the slope of a line it uses is
/// `a·(ẑ - z*)`: `a` the coefficient reaching the node's output, `ẑ` its relaxed input at the
/// row's minimizing corner, `z*` where the line touches the function (minus the intercept's
/// derivative).
private struct SmoothSlopes {
    let nodes: [Int]
    let lines: [SShapedOperator.Lines]
    let initial: [[[Double]]]

    init(network: GraphBoundNetwork, state: GraphState, upTo value: ValueID, rows: Int) {
        let last = network.producer(value) ?? -1
        var nodes: [Int] = [], lines: [SShapedOperator.Lines] = []
        for index in 0..<(last + 1) {
            if let relaxation = state.relaxations[index] as? SShapedOperator.Lines {
                nodes.append(index)
                lines.append(relaxation)
            }
        }
        self.nodes = nodes
        self.lines = lines
        let start = lines.flatMap { relaxation -> [[Double]] in
            let steepest = relaxation.function.steepestSlope
            return [relaxation.lower.map { min(max($0.slope / steepest, 0), 1) }, relaxation.upper.map { min(max($0.slope / steepest, 0), 1) }]
        }
        initial = Array(repeating: start, count: rows)
    }

    func parameters(_ slopes: [[[Double]]]) -> [Int: [(lower: [Double], upper: [Double])]] {
        var result: [Int: [(lower: [Double], upper: [Double])]] = [:]
        for (slot, node) in nodes.enumerated() { result[node] = slopes.map { ($0[2 * slot], $0[2 * slot + 1]) } }
        return result
    }

    func gradient(row: Int, slopes: [[Double]], result: GraphBackwardPass.Result, inputs: [Int: [Double]]) -> [[Double]] {
        var gradient = slopes.map { Array(repeating: 0.0, count: $0.count) }
        for (slot, node) in nodes.enumerated() {
            guard let block = result.relaxedRows[node], let z = inputs[node] else { continue }
            let relaxation = lines[slot], steepest = relaxation.function.steepestSlope
            for j in z.indices where relaxation.isOptimizable(j) {
                let a = block.values[row * block.width + j]
                guard a != 0 else { continue }
                let side = a > 0 ? 0 : 1
                let k = slopes[2 * slot + side][j] * steepest
                let touching = SShapedRelaxation.touchingPoint(
                    relaxation.function, slope: k, relaxation.inputBounds.lower[j], relaxation.inputBounds.upper[j], lowest: a > 0)
                gradient[2 * slot + side][j] = a * (z[j] - touching) * steepest
            }
        }
        return gradient
    }
}
