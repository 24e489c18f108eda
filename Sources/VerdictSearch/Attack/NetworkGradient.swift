import VerdictBounds

/// Forward evaluation and input gradients of the bound network in `Double`, for attacks and
/// the input-split heuristic. Nothing here decides an answer: candidates it finds go through
/// the ``WitnessChecker`` on the imported network.
struct NetworkGradient: Sendable {
    let network: BoundNetwork

    /// Pre-activations of every stage (the last one: the outputs).
    func forward(_ input: [Double]) -> [[Double]] {
        var values = input
        var stages: [[Double]] = []
        for (index, stage) in network.stages.enumerated() {
            var z = stage.bias
            // Vector dot products: this runs for every child branch and bound files and every
            // attack step, so it is worth the SIMD.
            stage.weights.withUnsafeBufferPointer { weights in
                values.withUnsafeBufferPointer { input in
                    for o in 0..<stage.outputCount {
                        z[o] += DenseKernels.dot(weights.baseAddress! + o * stage.inputCount, input.baseAddress!, count: stage.inputCount)
                    }
                }
            }
            stages.append(z)
            if index < network.reluLayerCount { values = z.map { max(0, $0) } }
        }
        return stages
    }

    /// The outputs at `input`.
    func outputs(_ input: [Double]) -> [Double] { forward(input).last! }

    /// Gradient of `coefficients · y` with respect to the input, given the forward pass.
    func gradient(of coefficients: [Double], forward stages: [[Double]]) -> [Double] {
        var upstream = coefficients
        for index in stride(from: network.stages.count - 1, through: 0, by: -1) {
            let stage = network.stages[index]
            var downstream = [Double](repeating: 0, count: stage.inputCount)
            stage.weights.withUnsafeBufferPointer { weights in
                for o in 0..<stage.outputCount where upstream[o] != 0 {
                    let row = o * stage.inputCount, factor = upstream[o]
                    for i in 0..<stage.inputCount { downstream[i] += factor * weights[row + i] }
                }
            }
            if index > 0 {
                let previous = stages[index - 1]
                for i in 0..<stage.inputCount where previous[i] <= 0 { downstream[i] = 0 }
            }
            upstream = downstream
        }
        return upstream
    }
}
