import VerdictCore

/// A network in the form the bound engines work on: affine layers with a ReLU after each but
/// the last, `z_1 = W_1 x + b_1, a_1 = relu(z_1), ..., y = W_L a_{L-1} + b_L`.
///
/// Built once per run from the IR. Adjacent affine layers are merged. Each affine layer keeps
/// its weights in both orientations (backward passes multiply by `W`, forward passes by
/// `Wᵀ`), and `|W|`, used for rounding allowances.
public struct BoundNetwork: Sendable {
    public struct AffineStage: Sendable {
        public let inputCount: Int
        public let outputCount: Int
        /// `outputCount x inputCount`, row-major.
        public let weights: [Double]
        /// `inputCount x outputCount`, row-major.
        public let transposedWeights: [Double]
        public let absoluteWeights: [Double]
        public let bias: [Double]

        init(weights: Matrix, bias: [Double]) {
            inputCount = weights.columns
            outputCount = weights.rows
            self.weights = weights.values
            transposedWeights = weights.transposed.values
            absoluteWeights = weights.values.map(\.magnitude)
            self.bias = bias
        }
    }

    public let inputCount: Int
    public let outputCount: Int
    /// `stages[k]` computes the pre-activation of ReLU layer `k` (the last one: the outputs).
    public let stages: [AffineStage]

    /// Number of ReLU layers: one fewer than the affine stages.
    public var reluLayerCount: Int { stages.count - 1 }

    /// Width of ReLU layer `k`.
    public func reluWidth(_ layer: Int) -> Int { stages[layer].outputCount }

    public var reluCount: Int { (0..<reluLayerCount).reduce(0) { $0 + reluWidth($1) } }

    private init(inputCount: Int, stages: [AffineStage]) {
        self.inputCount = inputCount
        self.outputCount = stages.last?.outputCount ?? inputCount
        self.stages = stages
    }

    /// The network cut after stage `stageCount - 1`: its outputs are the pre-activations of
    /// ReLU layer `stageCount - 1`, and its ReLU layers the first `stageCount - 1` of this one.
    /// Bounding its outputs bounds that layer of this network.
    public func truncated(stageCount: Int) -> BoundNetwork {
        precondition(stageCount >= 1 && stageCount <= stages.count, "a truncated network keeps between 1 and \(stages.count) stages")
        return BoundNetwork(inputCount: inputCount, stages: Array(stages.prefix(stageCount)))
    }

    public init(_ network: Network) throws {
        guard let layers = network.sequentialLayers else {
            throw BoundEngineError.unsupported("the bound engines handle chains of layers; this network is a general graph")
        }
        var stages: [AffineStage] = []
        var pending: (Matrix, [Double])?
        var width = network.inputCount
        for layer in layers {
            switch layer {
            case let affine as AffineLayer:
                if let (matrix, bias) = pending {
                    // Two affine layers in a row compose into one.
                    let weights = affine.weights.multiplied(by: matrix)
                    let shifted = affine.weights.multiplied(by: bias)
                    pending = (weights, zip(shifted, affine.bias).map(+))
                } else {
                    pending = (affine.weights, affine.bias)
                }
                width = affine.outputCount
            case let scaling as ScaleShiftLayer:
                var diagonal = Matrix(rows: scaling.scale.count, columns: scaling.scale.count)
                for j in scaling.scale.indices { diagonal[j, j] = scaling.scale[j] }
                let affine = AffineLayer(weights: diagonal, bias: scaling.shift)
                if let (matrix, bias) = pending {
                    pending = (affine.weights.multiplied(by: matrix), zip(affine.weights.multiplied(by: bias), affine.bias).map(+))
                } else {
                    pending = (affine.weights, affine.bias)
                }
                width = affine.outputCount
            case is ReLULayer:
                let (matrix, bias) = pending ?? (Matrix.identity(width), Array(repeating: 0, count: width))
                stages.append(AffineStage(weights: matrix, bias: bias))
                pending = nil
            default:
                throw BoundEngineError.unsupported("the bound engines do not support \(layer.operatorName) layers yet")
            }
        }
        let (matrix, bias) = pending ?? (Matrix.identity(width), Array(repeating: 0, count: width))
        stages.append(AffineStage(weights: matrix, bias: bias))
        self.inputCount = network.inputCount
        self.outputCount = network.outputCount
        self.stages = stages
    }
}

public enum BoundEngineError: Error, CustomStringConvertible {
    case unsupported(String)
    case invalidInput(String)
    /// The caller's ``BoundOptions/shouldStop`` asked to stop.
    case cancelled

    public var description: String {
        switch self {
        case .cancelled: return "bound computation cancelled"

        case .unsupported(let reason): return "unsupported network: \(reason)"
        case .invalidInput(let reason): return "invalid bound query: \(reason)"
        }
    }
}
