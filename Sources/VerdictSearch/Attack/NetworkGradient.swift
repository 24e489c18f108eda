import VerdictBounds
import VerdictCore

/// Forward evaluation and input gradients in `Double`, for attacks and the input-split
/// heuristic: on the merged dense chain where the network is one (the fast path), else over
/// the graph with each operator's pullback. Nothing here decides an answer: candidates it
/// finds go through the ``WitnessChecker`` on the imported network.
struct NetworkGradient: Sendable {
    enum Form: Sendable {
        case chain(BoundNetwork)
        case graph(GraphBoundNetwork)
    }

    let form: Form

    init(network: BoundNetwork) { form = .chain(network) }
    init(graph: GraphBoundNetwork) { form = .graph(graph) }

    /// The chain form where the network has one, else the graph form.
    init(_ network: Network) throws {
        if let chain = try? BoundNetwork(network) { form = .chain(chain) } else { form = .graph(try GraphBoundNetwork(network)) }
    }

    var outputCount: Int {
        switch form {
        case .chain(let network): return network.outputCount
        case .graph(let graph): return graph.layout.outputCount
        }
    }

    /// The values a gradient needs (the chain's pre-activations, or every value of the
    /// graph); the last one is the outputs.
    func forward(_ input: [Double]) -> [[Double]] {
        switch form {
        case .chain(let network): return Self.chainForward(network, input)
        case .graph(let graph):
            // Indexed by value; the outputs repeated at the end.
            var values = graph.values(at: input)
            values.append(values[graph.outputValue.valueIndex])
            return values
        }
    }

    /// The outputs at `input`.
    func outputs(_ input: [Double]) -> [Double] { forward(input).last! }

    /// Gradient of `coefficients · y` with respect to the input, given the forward pass.
    func gradient(of coefficients: [Double], forward values: [[Double]]) -> [Double] {
        switch form {
        case .chain(let network): return Self.chainGradient(network, coefficients, values)
        case .graph(let graph): return graph.gradient(of: coefficients, values: values)
        }
    }

    private static func chainForward(_ network: BoundNetwork, _ input: [Double]) -> [[Double]] {
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

    private static func chainGradient(_ network: BoundNetwork, _ coefficients: [Double], _ stages: [[Double]]) -> [Double] {
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
