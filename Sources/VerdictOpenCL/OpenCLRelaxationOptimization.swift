import VerdictBounds
import VerdictCore

/// α-CROWN and β-CROWN with everything resident on the device (`kernels/relaxation_optimization.cl`):
/// α, β and their Adam moments live in device buffers for the whole loop; each iteration is a
/// backward pass that keeps every ReLU layer's incoming coefficients, a kernel that keeps each
/// row's best iterate, and the relaxed network run forward from the minimizing corners, whose
/// last step per layer is the Adam update. The host enqueues, polls its stop flag between
/// iterations, and reads the best iterates once at the end.
extension OpenCLBoundKernels {
    public func optimize(_ request: RelaxationOptimizationRequest) throws -> RelaxationOptimizationResult {
        let rows = request.rows.rowCount, parameters = network.reluCount
        guard rows > 0, request.iterations > 0 else { return emptyOptimization(rows: rows) }
        var rowsRequest = request.rows
        rowsRequest.alpha = rowsRequest.alpha ?? Array(repeating: 0, count: rows * parameters)
        rowsRequest.beta = request.useBeta ? (rowsRequest.beta ?? Array(repeating: 0, count: rows * parameters)) : nil
        return try state.withLock { state in
            let pass = try beginPass(&state, rowsRequest)
            let buffers = try optimizerBuffers(&state, pass, request: request, constants: rowsRequest.constants)
            var correction = AdamCorrection()
            for iteration in 0..<request.iterations {
                if iteration > 0 {
                    // Waits for the iteration before, so that a stop is honoured promptly.
                    try state.context.finish()
                    if request.isStopped() { break }
                }
                try enqueueBound(&state, pass, buffers, iteration: iteration, useBeta: request.useBeta)
                if iteration == request.iterations - 1 { break }
                correction.advance()
                try enqueueAdamStep(state, pass, buffers, request: request, correction: correction)
            }
            return try readBest(state, buffers, rows: rows, useBeta: request.useBeta)
        }
    }

    /// The device buffers of one optimization: the rows' α and β (the pass's), their Adam
    /// moments, the starting constants, each ReLU layer's kept coefficients, the corners, the
    /// relaxed forward pass's activations, and each row's best iterate.
    fileprivate struct OptimizerBuffers {
        let alpha: OpenCLBuffer
        let beta: OpenCLBuffer?
        /// `alpha-first`, `alpha-second`, then with β `beta-first`, `beta-second`.
        let moments: [OpenCLBuffer]
        let initialConstants: OpenCLBuffer
        let initialMagnitudes: OpenCLBuffer
        let kept: [OpenCLBuffer]
        let corners: OpenCLBuffer
        let cornerStride: Int
        /// The relaxed forward pass: pre-activations, and two activation buffers in turn.
        let z: OpenCLBuffer
        let activations: [OpenCLBuffer]
        /// The best iterate of each row: an estimate to beat (the initial bound), its
        /// iteration, parts (5 per row), corner, α and β.
        let bestEstimate: OpenCLBuffer
        let bestIteration: OpenCLBuffer
        let bestParts: OpenCLBuffer
        let bestCorners: OpenCLBuffer
        let bestAlpha: OpenCLBuffer
        let bestBeta: OpenCLBuffer
        /// Where each ReLU layer's α and β start in a row (``OpenCLBoundKernels/layerOffsets``), computed once.
        let layerOffsets: [Int]
    }

    /// Adam's bias correction factors `1 - decayᵗ` for the first and second moments.
    fileprivate struct AdamCorrection {
        private var decay1Power = 1.0, decay2Power = 1.0
        var first: Double { 1 - decay1Power }
        var second: Double { 1 - decay2Power }
        mutating func advance() {
            decay1Power *= 0.9
            decay2Power *= 0.999
        }
    }

    private func emptyOptimization(rows: Int) -> RelaxationOptimizationResult {
        RelaxationOptimizationResult(
            bestIteration: Array(repeating: -1, count: rows),
            parts: BackwardKernelResult(
                constants: [], constantMagnitude: [], errors: [], sums: [], magnitudes: [], corners: [],
                activationCoefficients: Array(repeating: [], count: network.reluLayerCount)),
            alpha: [], beta: nil)
    }

    private func optimizerBuffers(
        _ state: inout DeviceState, _ pass: PassBuffers, request: RelaxationOptimizationRequest, constants: [Double]
    ) throws -> OptimizerBuffers {
        let rows = pass.rows, inputs = network.inputCount, parameters = network.reluCount, layers = network.reluLayerCount
        let context = state.context, padding = state.layout.padding
        guard let alpha = pass.alpha else { throw OpenCLError(call: "optimize", code: 0, detail: "no α buffer") }
        // Adam moments, zero at the start.
        var moments: [OpenCLBuffer] = []
        for name in request.useBeta ? ["alpha-first", "alpha-second", "beta-first", "beta-second"] : ["alpha-first", "alpha-second"] {
            let buffer = try scratchBuffer(&state, name, rows * parameters)
            try fillZeros(buffer, count: rows * parameters, context: context)
            moments.append(buffer)
        }
        let kept = try (0..<layers).map { layer in
            try scratchBuffer(&state, "kept-\(layer)", rows * OpenCLBoundKernels.padded(network.reluWidth(layer), padding))
        }
        let cornerStride = OpenCLBoundKernels.padded(inputs, padding)
        let widest = (0..<layers).map { OpenCLBoundKernels.padded(network.reluWidth($0), padding) }.max() ?? 1
        let bestAlpha = try scratchBuffer(&state, "best-alpha", rows * parameters)
        return OptimizerBuffers(
            alpha: alpha, beta: pass.beta, moments: moments,
            initialConstants: try uploadRounded(constants, towardsPositive: false, into: context),
            initialMagnitudes: try upload(constants.map(\.magnitude), into: context),
            kept: kept, corners: try scratchBuffer(&state, "optimizer-corners", rows * cornerStride), cornerStride: cornerStride,
            z: try scratchBuffer(&state, "relaxed-z", rows * widest),
            activations: [try scratchBuffer(&state, "relaxed-a", rows * widest), try scratchBuffer(&state, "relaxed-b", rows * widest)],
            bestEstimate: try upload(request.initialLower.map { $0.isNaN ? -.infinity : $0 }, into: context),
            bestIteration: try context.buffer(int32s: Array(repeating: -1, count: rows)),
            bestParts: try scratchBuffer(&state, "best-parts", rows * 5),
            bestCorners: try scratchBuffer(&state, "best-corners", rows * inputs),
            bestAlpha: bestAlpha,
            bestBeta: request.useBeta ? try scratchBuffer(&state, "best-beta", rows * parameters) : bestAlpha,
            layerOffsets: layerOffsets)
    }

    /// Enqueues one bound of every row at the current α and β: the constants reset, the
    /// backward pass (keeping each ReLU layer's incoming coefficients and the minimizing
    /// corners), and each row's best iterate kept.
    private func enqueueBound(_ state: inout DeviceState, _ pass: PassBuffers, _ b: OptimizerBuffers, iteration: Int, useBeta: Bool) throws {
        let rows = pass.rows, inputs = network.inputCount, device = allowance
        try state.resetRows.setArguments([
            .int(rows), .buffer(b.initialConstants), .buffer(b.initialMagnitudes),
            .buffer(pass.constants), .buffer(pass.constantMagnitude), .buffer(pass.errors),
        ])
        try state.context.run(state.resetRows, globalSize: rows)
        try enqueueBackward(&state, pass, keptBuffers: b.kept, observeKept: nil, corners: (b.corners, b.cornerStride))
        try state.keepBest.setArguments([
            .int(rows), .int(iteration), .int(inputs), .int(b.cornerStride), .int(network.reluCount), .int(useBeta ? 1 : 0),
            .buffer(pass.constants), .buffer(pass.constantMagnitude), .buffer(pass.errors), .buffer(pass.sums),
            .buffer(pass.magnitudes), .buffer(b.corners), .buffer(b.alpha), .buffer(b.beta ?? b.alpha),
            factor(device.gamma(inputs + 2)), factor(device.gamma(4 * network.stages.count + 8)),
            .buffer(b.bestEstimate), .buffer(b.bestIteration), .buffer(b.bestParts), .buffer(b.bestCorners), .buffer(b.bestAlpha),
            .buffer(b.bestBeta),
        ])
        try state.context.run(state.keepBest, globalSize: rows)
    }

    /// Enqueues the relaxed network run forward from the minimizing corners through the ReLU
    /// layers below the rows' stage (the ones that carry their α and β); each layer's kernel
    /// ends with that layer's Adam update.
    private func enqueueAdamStep(
        _ state: DeviceState, _ pass: PassBuffers, _ b: OptimizerBuffers, request: RelaxationOptimizationRequest, correction: AdamCorrection
    ) throws {
        let rows = pass.rows, padding = state.layout.padding, useBeta = request.useBeta
        var input = b.corners, inputStride = b.cornerStride
        for layer in 0..<min(network.reluLayerCount, request.rows.stage) {
            let width = network.reluWidth(layer), paddedWidth = OpenCLBoundKernels.padded(width, padding)
            try runProduct(state, left: input, leftStride: inputStride, rows: rows, stage: layer, transposed: true, into: b.z, resultStride: paddedWidth)
            guard let relaxation = state.relaxations[layer] else {
                throw OpenCLError(call: "optimize", code: 0, detail: "layer \(layer) relaxation was not sent to the device")
            }
            let output = b.activations[layer % 2]
            try state.relaxedForward.setArguments(
                [
                    .int(rows), .int(width), .int(paddedWidth), .int(paddedWidth), .int(paddedWidth),
                    .buffer(b.z), .buffer(state.biases[layer]), .buffer(pass.owner),
                ]
                    + relaxation.prefix(5).map { .buffer($0) }
                    + [
                        .buffer(b.kept[layer]), .int(network.reluCount), .int(b.layerOffsets[layer]),
                        .buffer(b.alpha), .buffer(b.moments[0]), .buffer(b.moments[1]),
                        .int(useBeta ? 1 : 0), .buffer(b.beta ?? b.alpha),
                        .buffer(useBeta ? b.moments[2] : b.moments[0]), .buffer(useBeta ? b.moments[3] : b.moments[1]),
                        factor(request.learningRate), factor(request.betaLearningRate),
                        real(correction.first), real(correction.second),
                        .buffer(output),
                    ])
            try state.context.run(state.relaxedForward, globalSize: rows)
            input = output
            inputStride = paddedWidth
        }
    }

    /// Each row's best iterate, read back once: its parts, corner, α and β. The error and
    /// magnitude sums were themselves rounded on the device, so they are scaled up by 64 unit
    /// roundoffs of its arithmetic, as after every device pass.
    private func readBest(_ state: DeviceState, _ b: OptimizerBuffers, rows: Int, useBeta: Bool) throws -> RelaxationOptimizationResult {
        let context = state.context, parameters = network.reluCount
        let best = try context.read(b.bestIteration, count: rows, as: Int32.self).map(Int.init)
        let parts = try read(b.bestParts, count: rows * 5, context: context)
        let part: (Int) -> [Double] = { index in (0..<rows).map { parts[5 * $0 + index] } }
        let scale = 1 + 64 * allowance.unitRoundoff
        return RelaxationOptimizationResult(
            bestIteration: best,
            parts: BackwardKernelResult(
                constants: part(0), constantMagnitude: part(1), errors: part(2).map { $0 * scale }, sums: part(3),
                magnitudes: part(4).map { $0 * scale }, corners: try read(b.bestCorners, count: rows * network.inputCount, context: context),
                activationCoefficients: Array(repeating: [], count: network.reluLayerCount)),
            alpha: try read(b.bestAlpha, count: rows * parameters, context: context),
            beta: useBeta ? try read(b.bestBeta, count: rows * parameters, context: context) : nil)
    }
}
