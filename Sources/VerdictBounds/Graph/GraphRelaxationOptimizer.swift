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
        /// The cuts the parameters' multipliers belong to.
        var cuts: CutSet?
    }

    /// One set of rows to optimize, over one subproblem.
    struct Problem {
        var rows: RowBlock
        var constants: [Double]
        var state: GraphState
        /// CROWN's result for the rows: the start, and the bound to beat.
        var initial: GraphBackwardPass.Result
        var warmStart: OptimizedRelaxation?
    }

    /// Optimizes `rows` passed back from `value` for `iterations` steps (the options' by
    /// default). ReLU layers not relaxed yet (past `value`, when bounding an intermediate
    /// layer) are not reached by the pass and keep zeros.
    func optimize(
        _ rows: RowBlock, constants: [Double], from value: ValueID, state: GraphState, initial: GraphBackwardPass.Result, warmStart: OptimizedRelaxation?,
        iterations: Int? = nil, stopWhenPositive: Bool = true
    ) -> Outcome {
        let problem = Problem(rows: rows, constants: constants, state: state, initial: initial, warmStart: warmStart)
        return optimize([problem], from: value, iterations: iterations, stopWhenPositive: stopWhenPositive)[0]
    }

    /// Several problems in lockstep: each step passes the rows all of them still optimize back
    /// in one block (one product per linear operator for all), then each takes its own
    /// gradient step. The same steps as optimizing each alone.
    func optimize(_ problems: [Problem], from value: ValueID, iterations: Int? = nil, stopWhenPositive: Bool = true) -> [Outcome] {
        let iterations = iterations ?? options.iterations
        var runs = problems.map { OptimizationRun($0, optimizer: self, from: value, stopWhenPositive: stopWhenPositive, iterations: max(iterations, 0)) }
        let total = runs.map(\.steps).max() ?? 0
        for iteration in 0..<total {
            let live = runs.indices.filter { !runs[$0].active.isEmpty }
            if live.isEmpty { break }
            let requests = live.map { runs[$0].request() }
            let parts = pass.run(
                from: value, parts: zip(live, requests).map { index, request in
                    GraphBackwardPass.Part(rows: request.block, constants: request.constants, state: runs[index].state, parameters: request.parameters)
                }, keepReluCoefficients: true)
            for (k, index) in live.enumerated() { runs[index].keepBest(parts[k], parameters: requests[k].parameters) }
            if iteration == total - 1 || options.isStopped { break }
            // The gradient rows of every run, through their relaxed networks together.
            let gradientRows = live.indices.map { runs[live[$0]].gradientRows() }
            var queries: [RelaxedQuery] = []
            for (k, index) in live.enumerated() {
                for (position, _) in gradientRows[k] {
                    queries.append(RelaxedQuery(
                        state: runs[index].state, result: parts[k], row: position, alpha: runs[index].alpha[runs[index].active[position]],
                        slopes: requests[k].parameters.lineSlopes))
                }
            }
            var relaxed = relaxedPreActivations(queries, upTo: value, keepValues: runs.contains { $0.cuts != nil })[...]
            for (k, index) in live.enumerated() {
                let mine = relaxed.prefix(gradientRows[k].count)
                relaxed = relaxed.dropFirst(gradientRows[k].count)
                runs[index].step(parts[k], rows: gradientRows[k], relaxed: Array(mine))
            }
        }
        return runs.map(\.outcome)
    }

    var useBeta: Bool { options.method == .betaCrown }

    /// Stands in for a layer the pass does not reach: no unstable neuron, no split.
    static func unreached(width: Int) -> ReluRelaxation {
        var lower = [Double](repeating: 0, count: width), upper = lower
        return ReluRelaxation(lower: &lower, upper: &upper, phases: Array(repeating: .free, count: width))!
    }

    /// A warm start's values of one row and layer (flat over all ReLUs) where `keep` holds,
    /// nil when the warm start does not fit.
    func warmValues(_ warm: [[Double]]?, row: Int, layer: Int, keep: [Bool]) -> [Double]? {
        let layout = network.layout
        guard let warm, row < warm.count, warm[row].count == layout.reluCount else { return nil }
        let offset = layout.reluWidths[..<layer].reduce(0, +)
        return keep.indices.map { keep[$0] ? warm[row][offset + $0] : 0 }
    }

    /// A ReLU layer's outputs in a row's relaxed network: each neuron through the line the
    /// row's pass used, the lower one (α where unstable) where the coefficient reaching it
    /// (`coefficients[start + j]`) is nonnegative, else the upper one.
    static func throughLines(_ z: [Double], _ lines: ReluRelaxation, alpha: [Double], coefficients: [Double], start: Int) -> [Double] {
        let width = z.count
        precondition(alpha.count == width && coefficients.count >= start + width, "relaxed rows of the wrong width")
        return [Double](unsafeUninitializedCapacity: width) { output, count in
            z.withUnsafeBufferPointer { z in
            alpha.withUnsafeBufferPointer { alpha in
            coefficients.withUnsafeBufferPointer { coefficients in
            lines.isUnstable.withUnsafeBufferPointer { isUnstable in
            lines.lowerSlope.withUnsafeBufferPointer { lowerSlope in
            lines.upperSlope.withUnsafeBufferPointer { upperSlope in
            lines.upperIntercept.withUnsafeBufferPointer { upperIntercept in
                for j in 0..<width {
                    output[j] = coefficients[start + j] >= 0
                        ? (isUnstable[j] ? alpha[j] : lowerSlope[j]) * z[j] : upperSlope[j] * z[j] + upperIntercept[j]
                }
            }
            }
            }
            }
            }
            }
            }
            count = width
        }
    }

    /// One row whose relaxed network ``relaxedPreActivations(_:upTo:)`` evaluates: row `row`
    /// of `result`, a pass over `state` with the row's `alpha` and the pass's `slopes`.
    struct RelaxedQuery {
        var state: GraphState
        var result: GraphBackwardPass.Result
        var row: Int
        var alpha: [[Double]]
        var slopes: [Int: [(lower: [Double], upper: [Double])]]
    }

    /// Per query: the inputs of each ReLU layer (nil for layers the row's pass did not reach)
    /// and of each S-shaped node, in the network relaxed as the row's pass relaxed it, at the
    /// row's minimizing corner. The queries go through the graph together, so a linear node
    /// evaluates all of them in one product.
    func relaxedPreActivations(_ queries: [RelaxedQuery], upTo value: ValueID, keepValues: Bool = false) -> [RelaxedValues] {
        var values: [[[Double]]] = queries.map { [$0.result.corners[$0.row]] }
        var relaxed = queries.map { _ in [[Double]?](repeating: nil, count: network.layout.reluLayerCount) }
        var smooth = queries.map { _ in [Int: [Double]]() }
        let last = network.producer(value) ?? -1
        for index in 0..<(last + 1) {
            let node = network.network.nodes[index]
            var outputs = [[Double]](repeating: [], count: queries.count)
            var exact: [Int] = []
            for (q, query) in queries.enumerated() {
                let inputs = node.inputs.map { values[q][$0.valueIndex] }
                guard let (coefficients, start, width) = query.result.relaxedRow(index, query.row) else {
                    exact.append(q)
                    continue
                }
                let row = query.row, state = query.state
                if let layer = network.reluLayerOfNode[index], let lines = (state.relaxations[index] as? ReLUOperator.Lines)?.lines {
                    relaxed[q][layer] = inputs[0]
                    outputs[q] = Self.throughLines(inputs[0], lines, alpha: query.alpha[layer], coefficients: coefficients, start: start)
                } else if let lines = state.relaxations[index] as? MaxPoolOperator.Lines {
                    outputs[q] = (0..<width).map { o in
                        coefficients[start + o] > 0 || lines.decided[o] ? inputs[0][lines.lowerInput[o]] : lines.upperBound[o]
                    }
                } else if let lines = state.relaxations[index] as? SShapedOperator.Lines {
                    smooth[q][index] = inputs[0]
                    let slopes = query.slopes[index]
                    outputs[q] = inputs[0].indices.map { j in
                        let positive = coefficients[start + j] >= 0
                        return lines.line(j, positive: positive, fraction: slopes.map { positive ? $0[row].lower[j] : $0[row].upper[j] })(inputs[0][j])
                    }
                } else {
                    exact.append(q)
                }
            }
            if !exact.isEmpty {
                let evaluated = node.layer.evaluate(batch: exact.map { q in node.inputs.map { values[q][$0.valueIndex] } })
                for (q, output) in zip(exact, evaluated) { outputs[q] = output }
            }
            for q in queries.indices { values[q].append(outputs[q]) }
        }
        return queries.indices.map { q in RelaxedValues(relu: relaxed[q], smooth: smooth[q], values: keepValues ? values[q] : []) }
    }

    /// One query's relaxed network at its corner: each ReLU layer's inputs (nil where the
    /// pass did not reach it), each S-shaped node's inputs, and every value (index 0 the
    /// input) where asked.
    struct RelaxedValues {
        var relu: [[Double]?]
        var smooth: [Int: [Double]]
        var values: [[Double]]
    }
}

/// One problem's α, β and line slopes while ``GraphRelaxationOptimizer`` optimizes them:
/// projected gradient ascent (Adam), keeping the best bound and parameters of each row.
private struct OptimizationRun {
    let optimizer: GraphRelaxationOptimizer
    let problem: GraphRelaxationOptimizer.Problem
    let lines: [ReluRelaxation]
    let smooth: SmoothSlopes
    /// Only unstable or split neurons have a gradient: the others' entries stay 0, so the
    /// gradients are allocated once and only those entries are written.
    let movable: [[Int]]
    /// Rows still optimized: with `stopWhenPositive`, a row whose bound is positive refutes
    /// its disjunct (or stabilizes its ReLU) already, so it stops and the iterations cost only
    /// the others. An S-shaped node's lines depend on its bounds' values, not their signs:
    /// its rows run every iteration.
    let stopAt: Double
    var alpha: [[[Double]]]
    var beta: [[[Double]]]
    var slopes: [[[Double]]]
    var best: GraphBackwardPass.Result
    var bestParameters: GraphBackwardPass.Parameters
    var active: [Int]
    var adamAlpha: AdamState, adamBeta: AdamState, adamSlopes: AdamState
    /// The state's cuts, and per row (one slot) each one's multiplier `μ >= 0`.
    let cuts: CutSet?
    var multipliers: [[[Double]]]
    var adamCuts: AdamState
    var alphaGradient: [[[Double]]], betaGradient: [[[Double]]]
    /// Per row, its best bound after each pass, kept only where extra steps may follow: past
    /// `iterations`, a row goes on only while its recent rate would take it to 0 within the
    /// extra steps left.
    var trajectory: [[Double]]
    let iterations: Int
    /// `iterations` plus the extra steps (``BoundOptions/extraIterations``) where they apply:
    /// objective rows with a threshold of 0 (and at least one step to extend).
    let steps: Int
    /// Passes taken so far (by every row still active).
    var passes = 0

    var state: GraphState { problem.state }
    var outcome: GraphRelaxationOptimizer.Outcome { .init(result: best, parameters: bestParameters, cuts: cuts) }

    init(_ problem: GraphRelaxationOptimizer.Problem, optimizer: GraphRelaxationOptimizer, from value: ValueID, stopWhenPositive: Bool, iterations: Int) {
        self.optimizer = optimizer
        self.iterations = iterations
        steps = value == optimizer.network.outputValue && stopWhenPositive && iterations > 0 ? iterations + optimizer.options.extraIterations : iterations
        self.problem = problem
        let network = optimizer.network, layout = network.layout, rows = problem.rows.rows, warmStart = problem.warmStart
        let lines = network.reluNodes.enumerated().map { layer, node in
            (problem.state.relaxations[node] as? ReLUOperator.Lines)?.lines ?? GraphRelaxationOptimizer.unreached(width: layout.reluWidth(layer))
        }
        self.lines = lines
        alpha = (0..<rows).map { row in
            lines.enumerated().map { layer, relaxation in
                optimizer.warmValues(warmStart?.alpha, row: row, layer: layer, keep: relaxation.isUnstable) ?? relaxation.lowerSlope
            }
        }
        beta = (0..<rows).map { row in
            lines.enumerated().map { layer, relaxation in
                optimizer.warmValues(warmStart?.beta, row: row, layer: layer, keep: relaxation.splitSign.map { $0 != 0 })
                    ?? Array(repeating: 0, count: layout.reluWidth(layer))
            }
        }
        smooth = SmoothSlopes(network: network, state: problem.state, upTo: value, rows: rows)
        slopes = smooth.initial
        best = problem.initial
        // Cuts join the objective rows only: an intermediate layer's rows are many, and its
        // bounds are inherited by every child anyway.
        let cuts = value == network.outputValue ? problem.state.cuts : nil
        self.cuts = cuts
        let multipliers = (0..<rows).map { row in [cuts?.multipliers(warmStart?.cutMultipliers, row: row) ?? []] }
        self.multipliers = multipliers
        bestParameters = GraphBackwardPass.Parameters(
            alpha: alpha, beta: optimizer.useBeta ? beta : nil, lineSlopes: smooth.parameters(slopes),
            cutMultipliers: cuts == nil ? nil : multipliers.map { $0[0] })
        adamAlpha = AdamState(shape: alpha)
        adamBeta = AdamState(shape: beta)
        adamSlopes = AdamState(shape: slopes)
        adamCuts = AdamState(shape: multipliers)
        stopAt = stopWhenPositive ? 0.0 : .infinity
        let stop = stopAt, initial = problem.initial
        active = (0..<rows).filter { initial.lower[$0] <= stop }
        trajectory = Array(repeating: [], count: rows)
        movable = lines.map { relaxation in relaxation.isUnstable.indices.filter { relaxation.isUnstable[$0] || relaxation.splitSign[$0] != 0 } }
        alphaGradient = alpha.map { $0.map { $0.map { _ in 0.0 } } }
        betaGradient = alphaGradient
    }

    /// The active rows and their current parameters, for the next pass.
    func request() -> (block: RowBlock, constants: [Double], parameters: GraphBackwardPass.Parameters) {
        let parameters = GraphBackwardPass.Parameters(
            alpha: active.map { alpha[$0] }, beta: optimizer.useBeta ? active.map { beta[$0] } : nil,
            lineSlopes: smooth.parameters(active.map { slopes[$0] }), cutMultipliers: cuts == nil ? nil : active.map { multipliers[$0][0] })
        return (problem.rows.selecting(active), active.map { problem.constants[$0] }, parameters)
    }

    /// Takes the pass's `result` for the active rows (with the `parameters` it used): keeps
    /// each row's best bound and the parameters that gave it.
    mutating func keepBest(_ result: GraphBackwardPass.Result, parameters: GraphBackwardPass.Parameters) {
        for (k, row) in active.enumerated() where result.lower[k] > best.lower[row] {
            best.take(row, from: result, row: k)
            bestParameters.alpha[row] = alpha[row]
            if optimizer.useBeta { bestParameters.beta?[row] = beta[row] }
            if cuts != nil { bestParameters.cutMultipliers?[row] = multipliers[row][0] }
            for (node, perRow) in parameters.lineSlopes { bestParameters.lineSlopes[node]?[row] = perRow[k] }
        }
        passes += 1
        if steps > iterations { for row in active { trajectory[row].append(best.lower[row]) } }
    }

    /// Whether `row` takes another step: within `iterations` always; past them, while its
    /// rate over its last 4 passes would reach 0 within the extra steps left.
    func continues(_ row: Int) -> Bool {
        guard passes >= iterations else { return true }
        guard passes < steps, passes > 4 else { return false }
        let path = trajectory[row]
        let rate = (path[passes - 1] - path[passes - 5]) / 4
        return path[passes - 1] + rate * Double(steps - passes) >= 0
    }

    /// The active rows that take a gradient step (position among the active rows, row):
    /// those whose bound has not reached `stopAt`. The others' gradients are cleared.
    mutating func gradientRows() -> [(position: Int, row: Int)] {
        var rows: [(position: Int, row: Int)] = []
        for (k, row) in active.enumerated() {
            guard best.lower[row] <= stopAt && continues(row) else {
                // Done: no further step for this row.
                for layer in lines.indices { for j in movable[layer] { alphaGradient[row][layer][j] = 0; betaGradient[row][layer][j] = 0 } }
                continue
            }
            rows.append((k, row))
        }
        return rows
    }

    /// Row `row`'s α and β gradients in ReLU layer `layer` at its movable neurons, from the
    /// coefficients reaching the layer (`coefficients[start + j]`; empty: 0) and the relaxed
    /// inputs (empty: 0). Over buffers: this runs for every row of every α/β step.
    private mutating func writeGradients(row: Int, layer: Int, coefficients: [Double], start: Int, inputs: [Double]) {
        let relaxation = lines[layer], width = relaxation.isUnstable.count
        precondition((coefficients.isEmpty || coefficients.count >= start + width) && (inputs.isEmpty || inputs.count == width), "gradient rows of the wrong width")
        movable[layer].withUnsafeBufferPointer { movable in
        relaxation.isUnstable.withUnsafeBufferPointer { isUnstable in
        relaxation.splitSign.withUnsafeBufferPointer { splitSign in
        coefficients.withUnsafeBufferPointer { coefficients in
        inputs.withUnsafeBufferPointer { inputs in
        alphaGradient[row][layer].withUnsafeMutableBufferPointer { alphaGradient in
        betaGradient[row][layer].withUnsafeMutableBufferPointer { betaGradient in
            for j in movable {
                let input = inputs.isEmpty ? 0 : inputs[j], coefficient = coefficients.isEmpty ? 0 : coefficients[start + j]
                alphaGradient[j] = isUnstable[j] && coefficient >= 0 ? coefficient * input : 0
                betaGradient[j] = splitSign[j] != 0 ? -splitSign[j] * input : 0
            }
        }
        }
        }
        }
        }
        }
        }
    }

    /// One gradient step for `rows` (from ``gradientRows()``), with their relaxed networks'
    /// inputs `relaxed` at their minimizing corners.
    mutating func step(_ result: GraphBackwardPass.Result, rows: [(position: Int, row: Int)], relaxed: [GraphRelaxationOptimizer.RelaxedValues]) {
        var slopeGradient = slopes.map { $0.map { $0.map { _ in 0.0 } } }
        var cutGradient = multipliers.map { $0.map { $0.map { _ in 0.0 } } }
        for ((k, row), relaxed) in zip(rows, relaxed) {
            if let cuts { cutGradient[row][0] = cutSlacks(cuts, multipliers: multipliers[row][0], values: relaxed.values) }
            for layer in lines.indices {
                // A layer the pass did not reach has coefficients 0 and no relaxed input.
                let kept = result.relaxedRow(optimizer.network.reluNodes[layer], k)
                writeGradients(row: row, layer: layer, coefficients: kept?.values ?? [], start: kept?.start ?? 0, inputs: relaxed.relu[layer] ?? [])
            }
            slopeGradient[row] = smooth.gradient(row: k, slopes: slopes[row], result: result, inputs: relaxed.smooth)
        }
        active = active.filter { best.lower[$0] <= stopAt && continues($0) }
        if active.isEmpty { return }
        let options = optimizer.options
        adamAlpha.ascend(&alpha, gradient: alphaGradient, learningRate: options.learningRate, lowerLimit: 0, upperLimit: 1, only: movable)
        if optimizer.useBeta { adamBeta.ascend(&beta, gradient: betaGradient, learningRate: options.betaLearningRate, lowerLimit: 0, upperLimit: .infinity, only: movable) }
        if !smooth.nodes.isEmpty { adamSlopes.ascend(&slopes, gradient: slopeGradient, learningRate: options.slopeLearningRate, lowerLimit: 0, upperLimit: 1) }
        if cuts != nil { adamCuts.ascend(&multipliers, gradient: cutGradient, learningRate: options.cutLearningRate, lowerLimit: 0, upperLimit: .infinity) }
    }

    /// The gradient of a row's bound in each cut's multiplier: the cut's slack at the row's
    /// relaxed point, with each phase `z` where the pass's removal of it put it (see
    /// ``CutTerms``): `y/u` where its coefficient `q` is positive, `1 - (y - ẑ)/|l|` where
    /// negative; at `q = 0`, the end that raising this cut's multiplier moves `q` towards.
    private func cutSlacks(_ cuts: CutSet, multipliers: [Double], values: [[Double]]) -> [Double] {
        let network = optimizer.network
        var slacks = [Double](repeating: 0, count: cuts.count)
        for (layer, indices) in cuts.byLayer {
            let relu = network.reluNodes[layer]
            guard let bounds = (state.relaxations[relu] as? ReLUOperator.Lines)?.bounds, values.count > relu + 1 else { continue }
            // Each neuron's q: the sum over this layer's cuts.
            var q = [Double](repeating: 0, count: bounds.lower.count)
            for c in indices where multipliers[c] != 0 { q[cuts.cuts[c].neuron] -= multipliers[c] * cuts.cuts[c].zCoefficient }
            let output = values[relu + 1], input = values[network.network.nodes[relu].inputs[0].valueIndex]
            for c in indices {
                let cut = cuts.cuts[c], j = cut.neuron, l = bounds.lower[j], u = bounds.upper[j], y = output[j], term = q[j]
                let z: Double
                if l >= 0 { z = 1 } else if u <= 0 { z = 0 } else if term < 0 || (term == 0 && cut.zCoefficient > 0) { z = 1 - (y - input[j]) / -l } else { z = y / u }
                slacks[c] = cut.slack(y: y, values: values, z: z)
            }
        }
        return slacks
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
            guard let kept = result.relaxedRow(node, row), let z = inputs[node] else { continue }
            let relaxation = lines[slot], steepest = relaxation.function.steepestSlope
            for j in z.indices where relaxation.isOptimizable(j) {
                let a = kept.values[kept.start + j]
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
