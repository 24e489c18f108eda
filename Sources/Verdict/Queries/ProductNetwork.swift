import VerdictCore

/// Several networks side by side as one: the input holds every network's input elements
/// (shared where the query sets them equal), the output their outputs laid end to end, then
/// copies of chosen inputs (the passthrough outputs of ``CompiledQuery``). Each network reads
/// its elements through a ``SelectLayer``; one network that reads the input as it is, with no
/// passthrough, is returned unchanged.
enum ProductNetwork {
    static func build(_ networks: [Network], inputs: [[Int]], inputCount: Int, outputCount: Int, passthrough: [Int]) throws -> Network {
        let direct = networks.count == 1 && inputs[0] == Array(0..<inputCount)
        if direct && passthrough.isEmpty { return networks[0] }
        // The copies are exact; recorded where the networks record their rounding.
        let exact: EvaluationRounding? = networks.allSatisfy { $0.nodes.allSatisfy { $0.rounding != nil } } ? .exact : nil
        var nodes: [Network.Node] = []
        var outputs: [ValueID] = []
        for (network, reads) in zip(networks, inputs) {
            var source = ValueID.input
            if !direct {
                nodes.append(Network.Node(
                    layer: select(from: [inputCount], reads, shape: network.inputShape), inputs: [.input], origin: "input elements", rounding: exact))
                source = .node(nodes.count - 1)
            }
            let base = nodes.count
            let remap = { (value: ValueID) -> ValueID in
                switch value {
                case .input: return source
                case .node(let index): return .node(base + index)
                }
            }
            for node in network.nodes {
                nodes.append(Network.Node(layer: node.layer, inputs: node.inputs.map(remap), origin: node.origin, rounding: node.rounding))
            }
            outputs.append(remap(network.output))
        }
        var counts = zip(networks, outputs).map { $0.0.outputCount }
        if !passthrough.isEmpty {
            outputs.append(.input)
            counts.append(inputCount)
        }
        let offsets = counts.reduce(into: [0]) { $0.append($0.last! + $1) }
        // The networks' outputs in order, then the passthrough inputs (the input is the last part).
        let sources = Array(0..<outputCount) + passthrough.map { offsets[offsets.count - 2] + $0 }
        nodes.append(Network.Node(
            layer: select(from: counts, sources, shape: TensorShape([sources.count])), inputs: outputs, origin: "query outputs", rounding: exact))
        let inputShape = direct ? networks[0].inputShape : TensorShape([inputCount])
        return try Network(inputShape: inputShape, nodes: nodes, output: .node(nodes.count - 1))
    }

    private static func select(from counts: [Int], _ sources: [Int], shape: TensorShape) -> SelectLayer {
        SelectLayer(name: "Select", inputCounts: counts, sources: sources, fill: [Double](repeating: 0, count: sources.count), outputShape: shape)
    }
}
