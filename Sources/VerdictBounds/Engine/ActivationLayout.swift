/// What a search needs to know of a network an engine bounds: its input and output sizes and
/// its ReLU layers (ReLU layer `k` is the `k`-th ReLU operator in topological order, with one
/// neuron per element). Splits, phases and intermediate bounds are indexed by it, whatever
/// the network's graph looks like.
public struct ActivationLayout: Sendable, Equatable {
    public let inputCount: Int
    public let outputCount: Int
    public let reluWidths: [Int]

    public init(inputCount: Int, outputCount: Int, reluWidths: [Int]) {
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.reluWidths = reluWidths
    }

    public var reluLayerCount: Int { reluWidths.count }
    public func reluWidth(_ layer: Int) -> Int { reluWidths[layer] }
    public var reluCount: Int { reluWidths.reduce(0, +) }
}

extension BoundNetwork {
    public var layout: ActivationLayout {
        ActivationLayout(inputCount: inputCount, outputCount: outputCount, reluWidths: (0..<reluLayerCount).map(reluWidth))
    }
}
