/// Nodes whose value never reaches the output change nothing the property reads, but the
/// search would still bound them and could split their ReLUs: a split there leaves both halves
/// with the bounds of the parent, so branch and bound can run to its budget on a property that
/// a few splits elsewhere decide. Dropping them keeps the function and drops the waste.
public extension Network {
    /// Indices of the nodes the output depends on, in order.
    var usedNodeIndices: [Int] {
        var used = [Bool](repeating: false, count: nodes.count)
        if case .node(let index) = output { used[index] = true }
        for index in nodes.indices.reversed() where used[index] {
            for case .node(let source) in nodes[index].inputs { used[source] = true }
        }
        return nodes.indices.filter { used[$0] }
    }

    /// The same function without the nodes the output does not depend on (``usedNodeIndices``);
    /// the network itself when every node is used.
    func withoutUnusedNodes() throws -> Network {
        let kept = usedNodeIndices
        guard kept.count < nodes.count else { return self }
        // Every input of a kept node is kept, so each lookup finds its new place.
        var newIndex = [Int](repeating: -1, count: nodes.count)
        for (position, index) in kept.enumerated() { newIndex[index] = position }
        func remap(_ value: ValueID) -> ValueID {
            guard case .node(let index) = value else { return value }
            return .node(newIndex[index])
        }
        let remapped = kept.map { index in
            let node = nodes[index]
            return Node(layer: node.layer, inputs: node.inputs.map(remap), origin: node.origin, rounding: node.rounding)
        }
        return try Network(inputShape: inputShape, nodes: remapped, output: remap(output))
    }
}
