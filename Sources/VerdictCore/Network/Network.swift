/// A feed-forward network as a graph of ``Layer``s in topological order.
///
/// Each node names the values it reads, so operators with several inputs (a residual `Add`,
/// concatenation) fit without changing this type. The networks of today's importer are
/// chains (`isSequential`), which is what the bound engines exploit.
public struct Network: Sendable {
    public struct Node: Sendable {
        public let layer: any Layer
        public let inputs: [ValueID]
        /// Where the node came from (ONNX node names), for messages.
        public let origin: String
        /// How far a floating-point evaluation of this node can be from its real value; nil
        /// where the importer was not asked to track it.
        public var rounding: EvaluationRounding?

        public init(layer: any Layer, inputs: [ValueID], origin: String = "", rounding: EvaluationRounding? = nil) {
            self.layer = layer
            self.inputs = inputs
            self.origin = origin
            self.rounding = rounding
        }
    }

    public let inputShape: TensorShape
    public let nodes: [Node]
    public let output: ValueID

    /// Checks that every node reads earlier values of fitting shapes.
    public init(inputShape: TensorShape, nodes: [Node], output: ValueID) throws {
        self.inputShape = inputShape
        self.nodes = nodes
        self.output = output
        var shapes = [inputShape]
        for (index, node) in nodes.enumerated() {
            for input in node.inputs where input.valueIndex > index {
                throw NetworkError.invalidGraph("node \(index) (\(node.layer.operatorName)) reads \(input), which comes later")
            }
            if let problem = node.layer.problemWithInputs(node.inputs.map { shapes[$0.valueIndex] }) {
                throw NetworkError.invalidGraph("node \(index): \(problem)")
            }
            shapes.append(node.layer.outputShape)
        }
        guard output.valueIndex < shapes.count else {
            throw NetworkError.invalidGraph("the output names \(output), which does not exist")
        }
    }

    /// Builds a chain: each layer reads the previous one's value.
    public init(inputShape: TensorShape, sequence layers: [any Layer]) throws {
        var nodes: [Node] = []
        for (index, layer) in layers.enumerated() {
            nodes.append(Node(layer: layer, inputs: [index == 0 ? .input : .node(index - 1)]))
        }
        try self.init(inputShape: inputShape, nodes: nodes, output: layers.isEmpty ? .input : .node(layers.count - 1))
    }

    public var inputCount: Int { inputShape.elementCount }

    public var outputShape: TensorShape { shape(of: output) }

    public var outputCount: Int { outputShape.elementCount }

    public func shape(of value: ValueID) -> TensorShape {
        switch value {
        case .input: return inputShape
        case .node(let index): return nodes[index].layer.outputShape
        }
    }

    public var parameterCount: Int { nodes.reduce(0) { $0 + $1.layer.parameterCount } }

    /// Number of ReLU units: the size of the activation pattern branch and bound explores.
    public var activationCount: Int { nodes.reduce(0) { $0 + $1.layer.activationCount } }
    /// The operators that are not piecewise linear (Sigmoid, Tanh), by name, once each: what
    /// keeps Z3 from stating the network exactly. Empty for ReLU networks.
    public var smoothOperatorNames: [String] {
        var names: [String] = []
        for node in nodes where !node.layer.isPiecewiseLinear && !names.contains(node.layer.operatorName) { names.append(node.layer.operatorName) }
        return names
    }

    /// True when every node reads exactly the value before it and the last node is the output.
    public var isSequential: Bool {
        for (index, node) in nodes.enumerated() where node.inputs != [index == 0 ? .input : .node(index - 1)] {
            return false
        }
        return output == (nodes.isEmpty ? .input : .node(nodes.count - 1))
    }

    /// The layers in order, when the network is a chain.
    public var sequentialLayers: [any Layer]? { isSequential ? nodes.map(\.layer) : nil }
}

public enum NetworkError: Error, CustomStringConvertible, Equatable {
    case invalidGraph(String)
    case inputSize(expected: Int, got: Int)

    public var description: String {
        switch self {
        case .invalidGraph(let reason): return "invalid network: \(reason)"
        case .inputSize(let expected, let got): return "the network takes \(expected) inputs, got \(got)"
        }
    }
}
