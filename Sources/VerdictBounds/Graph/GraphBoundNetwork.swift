import VerdictCore

/// A network in the form the graph engine walks: the IR's nodes in topological order, each
/// with the bound rule of its operator (``BoundOperators``), and the ReLU nodes numbered as
/// the ReLU layers a search splits.
public struct GraphBoundNetwork: Sendable {
    public let network: Network
    let operators: [any BoundOperator]
    /// The node index of each ReLU layer.
    let reluNodes: [Int]
    /// The ReLU layer of each node (nil for other operators).
    let reluLayerOfNode: [Int?]
    /// The value the objectives read: the network's output, or a cut's.
    public let outputValue: ValueID
    /// Nodes `0..<nodeLimit` are evaluated (those after a cut are not).
    let nodeLimit: Int
    public let layout: ActivationLayout

    /// The network with the bound rule `make` gives each node's layer: ``BoundOperators/make(_:)``
    /// (the CPU rules) unless another registry is passed, such as the OpenCL one, whose rules
    /// run some operators on a device. `truncated(stageCount:)` keeps the same rules.
    public init(_ network: Network, operators make: (any Layer) throws -> any BoundOperator = BoundOperators.make) throws {
        try self.init(network: network, operators: network.nodes.map { try make($0.layer) }, output: network.output, nodeLimit: network.nodes.count)
    }

    /// The rule of each node, in topological order (for tests and registries that wrap them).
    public var boundOperators: [any BoundOperator] { operators }

    private init(network: Network, operators: [any BoundOperator], output: ValueID, nodeLimit: Int) throws {
        self.network = network
        self.operators = operators
        self.outputValue = output
        self.nodeLimit = nodeLimit
        var relus: [Int] = [], layerOf = [Int?](repeating: nil, count: network.nodes.count)
        for index in 0..<nodeLimit where network.nodes[index].layer is ReLULayer {
            layerOf[index] = relus.count
            relus.append(index)
        }
        reluNodes = relus
        reluLayerOfNode = layerOf
        layout = ActivationLayout(
            inputCount: network.inputCount, outputCount: network.shape(of: output).elementCount,
            reluWidths: relus.map { network.nodes[$0].layer.outputShape.elementCount })
    }

    /// The network cut at the input of ReLU layer `stageCount - 1`: its outputs are that
    /// layer's pre-activations, its ReLU layers the ones before.
    public func truncated(stageCount: Int) -> GraphBoundNetwork {
        precondition(stageCount >= 1 && stageCount <= reluNodes.count + 1, "a cut keeps between 0 and \(reluNodes.count) ReLU layers")
        guard stageCount <= reluNodes.count else { return self }
        let node = reluNodes[stageCount - 1]
        return try! GraphBoundNetwork(network: network, operators: operators, output: network.nodes[node].inputs[0], nodeLimit: node)
    }

    /// The node that produces `value` (nil for the input).
    func producer(_ value: ValueID) -> Int? {
        if case .node(let index) = value { return index }
        return nil
    }

    /// All values at a point, index 0 the input (for attacks and gradients).
    public func values(at input: [Double]) -> [[Double]] {
        var values: [[Double]] = [input]
        for index in 0..<nodeLimit {
            values.append(network.nodes[index].layer.evaluate(network.nodes[index].inputs.map { values[$0.valueIndex] }))
        }
        return values
    }

    /// The gradient of `coefficients · output` with respect to the input, at the point whose
    /// ``values(at:)`` are given.
    public func gradient(of coefficients: [Double], values: [[Double]]) -> [Double] {
        var pending: [Int: [Double]] = [outputValue.valueIndex: coefficients]
        for index in stride(from: nodeLimit - 1, through: 0, by: -1) {
            guard let upstream = pending.removeValue(forKey: index + 1) else { continue }
            let node = network.nodes[index]
            let parts = operators[index].pullback(upstream, inputs: node.inputs.map { values[$0.valueIndex] })
            for (input, part) in zip(node.inputs, parts) {
                if let existing = pending[input.valueIndex] {
                    pending[input.valueIndex] = zip(existing, part).map(+)
                } else {
                    pending[input.valueIndex] = part
                }
            }
        }
        return pending[0] ?? Array(repeating: 0, count: network.inputCount)
    }
}
