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
        let rows = request.rows.rowCount
        let inputs = network.inputCount, parameters = network.reluCount, layers = network.reluLayerCount
        let device = allowance
        guard rows > 0, request.iterations > 0 else {
            return RelaxationOptimizationResult(
                bestIteration: Array(repeating: -1, count: rows),
                parts: BackwardKernelResult(
                    constants: [], constantMagnitude: [], errors: [], sums: [], magnitudes: [], corners: [],
                    activationCoefficients: Array(repeating: [], count: layers)),
                alpha: [], beta: nil)
        }
        var rowsRequest = request.rows
        rowsRequest.alpha = rowsRequest.alpha ?? Array(repeating: 0, count: rows * parameters)
        rowsRequest.beta = request.useBeta ? (rowsRequest.beta ?? Array(repeating: 0, count: rows * parameters)) : nil
        return try state.withLock { state in
            let context = state.context
            let padding = state.layout.padding
            let pass = try beginPass(&state, rowsRequest)
            guard let alpha = pass.alpha else { throw OpenCLError(call: "optimize", code: 0, detail: "no α buffer") }
            let beta = pass.beta
            let initialConstants = try uploadRounded(rowsRequest.constants, towardsPositive: false, into: context)
            let initialMagnitudes = try upload(rowsRequest.constants.map(\.magnitude), into: context)
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
            let corners = try scratchBuffer(&state, "optimizer-corners", rows * cornerStride)
            let widest = (0..<layers).map { OpenCLBoundKernels.padded(network.reluWidth($0), padding) }.max() ?? 1
            let z = try scratchBuffer(&state, "relaxed-z", rows * widest)
            let activations = [try scratchBuffer(&state, "relaxed-a", rows * widest), try scratchBuffer(&state, "relaxed-b", rows * widest)]
            // The best iterate of each row: an estimate to beat (the initial bound), its parts,
            // corner, α and β.
            let bestEstimate = try upload(request.initialLower.map { $0.isNaN ? -.infinity : $0 }, into: context)
            let bestIteration = try context.buffer(int32s: Array(repeating: -1, count: rows))
            let bestParts = try scratchBuffer(&state, "best-parts", rows * 5)
            let bestCorners = try scratchBuffer(&state, "best-corners", rows * inputs)
            let bestAlpha = try scratchBuffer(&state, "best-alpha", rows * parameters)
            let bestBeta = request.useBeta ? try scratchBuffer(&state, "best-beta", rows * parameters) : bestAlpha
            let offsets = layerOffsets
            var decay1Power = 1.0, decay2Power = 1.0
            for iteration in 0..<request.iterations {
                if iteration > 0 {
                    // Waits for the iteration before, so that a stop is honoured promptly.
                    try context.finish()
                    if request.isStopped() { break }
                }
                try state.resetRows.setArguments([
                    .int(rows), .buffer(initialConstants), .buffer(initialMagnitudes),
                    .buffer(pass.constants), .buffer(pass.constantMagnitude), .buffer(pass.errors),
                ])
                try context.run(state.resetRows, globalSize: rows)
                try enqueueBackward(&state, pass, keptBuffers: kept, observeKept: nil, corners: (corners, cornerStride))
                try state.keepBest.setArguments([
                    .int(rows), .int(iteration), .int(inputs), .int(cornerStride), .int(parameters), .int(request.useBeta ? 1 : 0),
                    .buffer(pass.constants), .buffer(pass.constantMagnitude), .buffer(pass.errors), .buffer(pass.sums),
                    .buffer(pass.magnitudes), .buffer(corners), .buffer(alpha), .buffer(beta ?? alpha),
                    factor(device.gamma(inputs + 2)), factor(device.gamma(4 * network.stages.count + 8)),
                    .buffer(bestEstimate), .buffer(bestIteration), .buffer(bestParts), .buffer(bestCorners), .buffer(bestAlpha),
                    .buffer(bestBeta),
                ])
                try context.run(state.keepBest, globalSize: rows)
                if iteration == request.iterations - 1 { break }
                decay1Power *= 0.9
                decay2Power *= 0.999
                var input = corners, inputStride = cornerStride
                // Only the ReLU layers below the rows' stage carry their α and β.
                for layer in 0..<min(layers, request.rows.stage) {
                    let width = network.reluWidth(layer), paddedWidth = OpenCLBoundKernels.padded(width, padding)
                    try runProduct(state, left: input, leftStride: inputStride, rows: rows, stage: layer, transposed: true, into: z, resultStride: paddedWidth)
                    guard let relaxation = state.relaxations[layer] else {
                        throw OpenCLError(call: "optimize", code: 0, detail: "layer \(layer) relaxation was not sent to the device")
                    }
                    let output = activations[layer % 2]
                    try state.relaxedForward.setArguments(
                        [
                            .int(rows), .int(width), .int(paddedWidth), .int(paddedWidth), .int(paddedWidth),
                            .buffer(z), .buffer(state.biases[layer]), .buffer(pass.owner),
                        ]
                            + relaxation.prefix(5).map { .buffer($0) }
                            + [
                                .buffer(kept[layer]), .int(parameters), .int(offsets[layer]),
                                .buffer(alpha), .buffer(moments[0]), .buffer(moments[1]),
                                .int(request.useBeta ? 1 : 0), .buffer(beta ?? alpha),
                                .buffer(request.useBeta ? moments[2] : moments[0]), .buffer(request.useBeta ? moments[3] : moments[1]),
                                factor(request.learningRate), factor(request.betaLearningRate),
                                real(1 - decay1Power), real(1 - decay2Power),
                                .buffer(output),
                            ])
                    try context.run(state.relaxedForward, globalSize: rows)
                    input = output
                    inputStride = paddedWidth
                }
            }
            let best = try context.read(bestIteration, count: rows, as: Int32.self).map(Int.init)
            let parts = try read(bestParts, count: rows * 5, context: context)
            let part: (Int) -> [Double] = { index in (0..<rows).map { parts[5 * $0 + index] } }
            let scale = 1 + 64 * device.unitRoundoff
            return RelaxationOptimizationResult(
                bestIteration: best,
                parts: BackwardKernelResult(
                    constants: part(0), constantMagnitude: part(1), errors: part(2).map { $0 * scale }, sums: part(3),
                    magnitudes: part(4).map { $0 * scale }, corners: try read(bestCorners, count: rows * inputs, context: context),
                    activationCoefficients: Array(repeating: [], count: layers)),
                alpha: try read(bestAlpha, count: rows * parameters, context: context),
                beta: request.useBeta ? try read(bestBeta, count: rows * parameters, context: context) : nil)
        }
    }
}
