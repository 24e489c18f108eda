/// One operator of the network IR.
///
/// Each operator is its own type conforming to `Layer`; every engine (exact evaluation here,
/// bound propagation and the solver encoding in later layers) gives each operator its own
/// rule in one file, so adding an operator touches one file per engine.
/// Values are flat arrays in row-major order; see ``TensorShape``.
public protocol Layer: Sendable, CustomStringConvertible {
    /// Operator name shown to users, for example `Affine` or `ReLU`.
    var operatorName: String { get }
    /// Shape of the value this layer produces.
    var outputShape: TensorShape { get }
    /// Number of trainable parameters (weights and biases).
    var parameterCount: Int { get }
    /// Number of piecewise-linear activation units: the neurons branch and bound may split.
    var activationCount: Int { get }
    /// Whether the operator is piecewise linear, so that Z3 can state it exactly (false for
    /// Sigmoid and Tanh).
    var isPiecewiseLinear: Bool { get }
    /// Why these input shapes cannot feed this layer, or nil when they can.
    func problemWithInputs(_ shapes: [TensorShape]) -> String?
    /// Exact evaluation in `Double`, the closest we get to the network's real-number meaning.
    func evaluate(_ inputs: [[Double]]) -> [Double]
    /// Exact evaluation in `Float`, what an ONNX runtime computes.
    func evaluate(_ inputs: [[Float]]) -> [Float]
    /// ``evaluate(_:)-([[Double]])`` of several samples (each the layer's inputs): layers with
    /// weights multiply them once for all samples. The default evaluates each in turn.
    func evaluate(batch: [[[Double]]]) -> [[Double]]
}

extension Layer {
    public func evaluate(batch: [[[Double]]]) -> [[Double]] { batch.map { evaluate($0) } }
    public var parameterCount: Int { 0 }
    public var activationCount: Int { 0 }
    public var isPiecewiseLinear: Bool { true }
    public var description: String { "\(operatorName) → \(outputShape)" }
}

/// Names a value in a ``Network``: the network input, or the output of one node.
public enum ValueID: Hashable, Sendable, CustomStringConvertible {
    case input
    case node(Int)

    /// Position in the list of values: the input is 0, node `k` is `k + 1`.
    public var valueIndex: Int {
        switch self {
        case .input: return 0
        case .node(let index): return index + 1
        }
    }

    public var description: String {
        switch self {
        case .input: return "input"
        case .node(let index): return "node \(index)"
        }
    }
}
