import VerdictCore

/// α-CROWN and β-CROWN: projected gradient ascent (Adam) on the objective rows' lower bounds.
///
/// The lower bound of a row is `min over the box` of a linear function whose coefficients
/// depend on the lower slopes α of unstable ReLUs (any α in [0, 1] gives a valid bound) and,
/// for β-CROWN, on multipliers β >= 0 of the split constraints `sign·z >= 0` (any β >= 0 gives
/// a valid bound). With the minimizing corner `x*` held fixed, the bound's gradient is
/// `ν_j · ẑ_j` for α_j and `-sign_j · ẑ_j` for β_j, where `ν` are the coefficients the
/// backward pass reached at the ReLU and `ẑ` the pre-activations of the relaxed linear
/// network at `x*`. Every iterate is a sound bound; the best per row is kept.
struct RelaxationOptimizer {
    let network: BoundNetwork
    let pass: BackwardPass
    let options: BoundOptions

    struct Outcome {
        var result: BackwardResult
        /// Per row, per ReLU layer: the α and β of the best bound.
        var alpha: [[[Double]]]
        var beta: [[[Double]]]
    }

    /// Optimizes the lower bounds of `rows` over stage `stage`'s outputs (the network's outputs
    /// for objectives, an intermediate layer's pre-activations for its bounds), starting from
    /// `initial` (their CROWN bounds). `tasks` gives warm starts (objective rows only: pass nil
    /// for other rows); `iterations` overrides the options' count.
    func optimize(
        rows: RowSet, from stage: Int? = nil, states: [SubproblemState], tasks: [BoundTask]?, initial: BackwardResult, iterations: Int? = nil
    ) throws -> Outcome {
        // The ReLU layers below the rows' stage: the only ones whose α and β the rows use.
        let layersBelow = stage ?? network.reluLayerCount
        let iterationCount = iterations ?? options.iterations
        let useBeta = options.method == .betaCrown
        var rows = rows
        // Row index within its task, for warm starts.
        var rowInTask = [Int](repeating: 0, count: rows.count)
        for row in 1..<max(rows.count, 1) where rows.owner[row] == rows.owner[row - 1] { rowInTask[row] = rowInTask[row - 1] + 1 }
        var alpha: [[[Double]]] = []
        var beta: [[[Double]]] = []
        for row in 0..<rows.count {
            let state = states[rows.owner[row]]
            let warm = tasks?[rows.owner[row]].subproblem.warmStart
            var rowAlpha: [[Double]] = [], rowBeta: [[Double]] = []
            var offset = 0
            for layer in 0..<network.reluLayerCount {
                let width = network.reluWidth(layer)
                guard layer < layersBelow else {
                    // Above the rows' stage: unused, kept for the shape.
                    rowAlpha.append(Array(repeating: 0, count: width))
                    rowBeta.append(Array(repeating: 0, count: width))
                    offset += width
                    continue
                }
                let relaxation = state.relaxations[layer]
                var layerAlpha = relaxation.lowerSlope
                var layerBeta = [Double](repeating: 0, count: width)
                if let warm, rowInTask[row] < warm.alpha.count, warm.alpha[rowInTask[row]].count == network.reluCount {
                    for j in 0..<width where relaxation.isUnstable[j] { layerAlpha[j] = warm.alpha[rowInTask[row]][offset + j] }
                }
                if useBeta, let warm, rowInTask[row] < warm.beta.count, warm.beta[rowInTask[row]].count == network.reluCount {
                    for j in 0..<width where relaxation.splitSign[j] != 0 { layerBeta[j] = warm.beta[rowInTask[row]][offset + j] }
                }
                rowAlpha.append(layerAlpha)
                rowBeta.append(layerBeta)
                offset += width
            }
            alpha.append(rowAlpha)
            beta.append(rowBeta)
        }
        if let kernels = pass.products as? any BackwardKernels {
            return try optimizeOnDevice(
                kernels, rows: rows, stage: layersBelow, iterations: iterationCount, initial: initial, alpha: alpha, beta: beta, useBeta: useBeta)
        }
        var best = initial
        var bestAlpha = alpha, bestBeta = beta
        var adamAlpha = AdamState(shape: alpha), adamBeta = AdamState(shape: beta)
        for iteration in 0..<max(iterationCount, 0) {
            rows.alpha = alpha
            rows.beta = useBeta ? beta : nil
            let result = try pass.run(from: layersBelow, rows: rows, states: states, keepCoefficients: true)
            for row in 0..<rows.count where result.lower[row] > best.lower[row] {
                best.lower[row] = result.lower[row]
                best.corner[row] = result.corner[row]
                if let width = best.inputCoefficients.map({ $0.count / max(rows.count, 1) }), let coefficients = result.inputCoefficients {
                    best.inputCoefficients!.replaceSubrange((row * width)..<((row + 1) * width), with: coefficients[(row * width)..<((row + 1) * width)])
                }
                bestAlpha[row] = alpha[row]
                bestBeta[row] = beta[row]
            }
            if iteration == iterationCount - 1 || options.isStopped { break }
            let relaxed = try relaxedPreActivations(rows: rows, through: layersBelow, states: states, result: result)
            var alphaGradient = alpha, betaGradient = beta
            for row in 0..<rows.count {
                let state = states[rows.owner[row]]
                for layer in 0..<layersBelow {
                    let width = network.reluWidth(layer)
                    let relaxation = state.relaxations[layer]
                    for j in 0..<width {
                        let incoming = result.activationCoefficients[layer][row * width + j]
                        let z = relaxed[layer][row * width + j]
                        alphaGradient[row][layer][j] = relaxation.isUnstable[j] && incoming >= 0 ? incoming * z : 0
                        betaGradient[row][layer][j] = relaxation.splitSign[j] != 0 ? -relaxation.splitSign[j] * z : 0
                    }
                }
            }
            adamAlpha.ascend(&alpha, gradient: alphaGradient, learningRate: options.learningRate, lowerLimit: 0, upperLimit: 1)
            if useBeta {
                adamBeta.ascend(&beta, gradient: betaGradient, learningRate: options.betaLearningRate, lowerLimit: 0, upperLimit: .infinity)
            }
        }
        return Outcome(result: best, alpha: bestAlpha, beta: bestBeta)
    }

    /// The same iterations on a device that keeps α, β and the Adam moments resident (see
    /// ``BackwardKernels/optimize(_:)``); each kept iterate's bound is recomputed here from its
    /// parts with the device's allowance, and replaces the initial bound only where higher.
    private func optimizeOnDevice(
        _ kernels: any BackwardKernels, rows: RowSet, stage: Int, iterations: Int, initial: BackwardResult, alpha: [[[Double]]],
        beta: [[[Double]]], useBeta: Bool
    ) throws -> Outcome {
        let options = self.options
        let request = RelaxationOptimizationRequest(
            rows: BackwardKernelRequest(
                stage: stage, owner: rows.owner.map { Int32($0) }, coefficients: rows.coefficients, constants: rows.constants,
                alpha: alpha.flatMap { $0.flatMap { $0 } }, beta: useBeta ? beta.flatMap { $0.flatMap { $0 } } : nil,
                keepCoefficients: false, wantCorners: true, unitRows: rows.unitRows),
            useBeta: useBeta, iterations: iterations, learningRate: options.learningRate, betaLearningRate: options.betaLearningRate,
            initialLower: initial.lower, isStopped: { options.isStopped })
        let optimized = try kernels.optimize(request)
        let lower = pass.deviceLowerBounds(optimized.parts, device: kernels.allowance)
        let inputs = network.inputCount, parameters = network.reluCount
        var best = initial
        var bestAlpha = alpha, bestBeta = beta
        for row in 0..<rows.count where optimized.bestIteration[row] >= 0 && lower[row] > best.lower[row] {
            best.lower[row] = lower[row]
            best.corner[row] = optimized.parts.corners.map { Array($0[(row * inputs)..<((row + 1) * inputs)]) } ?? best.corner[row]
            bestAlpha[row] = unflattened(optimized.alpha, row: row, count: parameters)
            if let betaValues = optimized.beta { bestBeta[row] = unflattened(betaValues, row: row, count: parameters) }
            // The device does not return the best iterates' input coefficients.
            best.inputCoefficients = nil
        }
        return Outcome(result: best, alpha: bestAlpha, beta: bestBeta)
    }

    /// Row `row` of a `rows x reluCount` array, as one array per ReLU layer.
    private func unflattened(_ values: [Double], row: Int, count: Int) -> [[Double]] {
        var offset = row * count
        return (0..<network.reluLayerCount).map { layer in
            let width = network.reluWidth(layer)
            defer { offset += width }
            return Array(values[offset..<(offset + width)])
        }
    }

    /// Pre-activations `ẑ` of the relaxed network (each ReLU replaced by the line the backward
    /// pass used for that row) at the row's minimizing corner, per ReLU layer (`rows x width`).
    private func relaxedPreActivations(rows: RowSet, through layers: Int, states: [SubproblemState], result: BackwardResult) throws -> [[Double]] {
        var values: [Double] = result.corner.flatMap { $0 }
        var output: [[Double]] = []
        for layer in 0..<layers {
            let stage = network.stages[layer]
            var z = try pass.products.multiply(values, count: rows.count, stage: layer, transposed: true)
            let width = stage.outputCount
            var next = [Double](repeating: 0, count: rows.count * width)
            for row in 0..<rows.count {
                let relaxation = states[rows.owner[row]].relaxations[layer]
                for j in 0..<width {
                    z[row * width + j] += stage.bias[j]
                    let incoming = result.activationCoefficients[layer][row * width + j]
                    let value = z[row * width + j]
                    if incoming >= 0 {
                        let slope = relaxation.isUnstable[j] ? (rows.alpha?[row][layer][j] ?? relaxation.lowerSlope[j]) : relaxation.lowerSlope[j]
                        next[row * width + j] = slope * value
                    } else {
                        next[row * width + j] = relaxation.upperSlope[j] * value + relaxation.upperIntercept[j]
                    }
                }
            }
            output.append(z)
            values = next
        }
        return output
    }
}

/// Adam moments for parameters shaped row → layer → neuron.
struct AdamState {
    private var first: [[[Double]]]
    private var second: [[[Double]]]
    /// `decay1^step` and `decay2^step`, for the bias corrections.
    private var decay1Power = 1.0, decay2Power = 1.0
    private let decay1 = 0.9, decay2 = 0.999, epsilon = 1e-8

    init(shape: [[[Double]]]) {
        first = shape.map { $0.map { Array(repeating: 0, count: $0.count) } }
        second = first
    }

    /// One ascent step, then projection onto `[lowerLimit, upperLimit]`. With `only`, each
    /// layer's step visits just those neurons: the same result when every other entry has a
    /// zero gradient and a zero moment (which the full loop skips too), without a pass over
    /// every ReLU of a large network per row and step.
    mutating func ascend(
        _ parameters: inout [[[Double]]], gradient: [[[Double]]], learningRate: Double, lowerLimit: Double, upperLimit: Double, only: [[Int]]? = nil
    ) {
        decay1Power *= decay1
        decay2Power *= decay2
        let step = Step(
            learningRate: learningRate, lowerLimit: lowerLimit, upperLimit: upperLimit, decay1: decay1, decay2: decay2,
            correction1: 1 - decay1Power, correction2: 1 - decay2Power, epsilon: epsilon)
        for row in parameters.indices {
            for layer in parameters[row].indices {
                // Read first: taking a mutable buffer would copy a layer shared with a kept best.
                // (Through buffers: a local copy of the moments would make their write copy them.)
                let moves = gradient[row][layer].withUnsafeBufferPointer { g in
                    first[row][layer].withUnsafeBufferPointer { m in
                        only.map { $0[layer].contains { g[$0] != 0 || m[$0] != 0 } } ?? g.indices.contains { g[$0] != 0 || m[$0] != 0 }
                    }
                }
                guard moves else { continue }
                parameters[row][layer].withUnsafeMutableBufferPointer { p in
                    first[row][layer].withUnsafeMutableBufferPointer { m in
                        second[row][layer].withUnsafeMutableBufferPointer { v in
                            gradient[row][layer].withUnsafeBufferPointer { g in
                                if let indices = only?[layer] {
                                    for j in indices { step.apply(j, p, m, v, g) }
                                } else {
                                    for j in 0..<p.count { step.apply(j, p, m, v, g) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One entry's Adam update and projection.
    private struct Step {
        let learningRate, lowerLimit, upperLimit, decay1, decay2, correction1, correction2, epsilon: Double

        @inline(__always)
        func apply(
            _ j: Int, _ p: UnsafeMutableBufferPointer<Double>, _ m: UnsafeMutableBufferPointer<Double>, _ v: UnsafeMutableBufferPointer<Double>,
            _ g: UnsafeBufferPointer<Double>
        ) {
            let gradient = g[j]
            if gradient == 0 && m[j] == 0 { return }
            m[j] = decay1 * m[j] + (1 - decay1) * gradient
            v[j] = decay2 * v[j] + (1 - decay2) * gradient * gradient
            let update = learningRate * (m[j] / correction1) / ((v[j] / correction2).squareRoot() + epsilon)
            p[j] = min(max(p[j] + update, lowerLimit), upperLimit)
        }
    }
}
