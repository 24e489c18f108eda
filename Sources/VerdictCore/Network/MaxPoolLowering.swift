/// Max pooling rewritten as ReLUs, so that branch and bound splits a pool's open winners the
/// way it splits ReLUs: `max(a, b) = a + relu(b - a)`, applied as a knockout tournament over
/// each window (15 ReLUs for a 4x4 window, in 4 levels).
///
/// Each level is five nodes: two ``SelectLayer``s pick the pairs' first and second entries,
/// a ``SumLayer`` subtracts them, a ``ReLULayer`` and an adding ``SumLayer`` give the pairs'
/// maxima, and a last ``SelectLayer`` lays the maxima and the unpaired entries out for the
/// next level. Over the reals the rewritten network is the original one exactly, so bounds
/// and Z3 leaves of the rewrite hold for the original; in floating point `a + (b - a)` may
/// differ from `b` by a rounding, so witnesses are still checked on the original network.
public extension Network {
    /// The network with every max pool rewritten (``MaxPoolLowering``); the same network when
    /// it has none.
    func withMaxPoolsAsReLUs() throws -> Network {
        guard nodes.contains(where: { $0.layer is MaxPoolLayer }) else { return self }
        var builder = MaxPoolLowering(inputShape: inputShape)
        var valueMap: [ValueID] = [.input]
        for node in nodes {
            let inputs = node.inputs.map { valueMap[$0.valueIndex] }
            if let pool = node.layer as? MaxPoolLayer, pool.windows.allSatisfy({ !$0.isEmpty }) {
                valueMap.append(builder.tournament(pool, input: inputs[0], origin: node.origin))
            } else {
                valueMap.append(builder.append(node.layer, inputs, origin: node.origin))
            }
        }
        return try Network(inputShape: inputShape, nodes: builder.nodes, output: valueMap[output.valueIndex])
    }
}

/// The node list a ``Network/withMaxPoolsAsReLUs()`` rewrite builds.
struct MaxPoolLowering {
    let inputShape: TensorShape
    var nodes: [Network.Node] = []

    init(inputShape: TensorShape) { self.inputShape = inputShape }

    mutating func append(_ layer: any Layer, _ inputs: [ValueID], origin: String) -> ValueID {
        nodes.append(Network.Node(layer: layer, inputs: inputs, origin: origin))
        return .node(nodes.count - 1)
    }

    /// The pool's output: each window's entries paired off level by level until one is left.
    mutating func tournament(_ pool: MaxPoolLayer, input: ValueID, origin: String) -> ValueID {
        let name = "\(origin) (max pool as ReLUs)"
        var current = input, currentCount = pool.inputCount
        // Per window, the positions of its remaining entries in `current`.
        var entries = pool.windows
        while entries.contains(where: { $0.count > 1 }) {
            var first: [Int] = [], second: [Int] = [], carried: [Int] = []
            var next = [[Int]](repeating: [], count: entries.count)
            for (window, list) in entries.enumerated() {
                for pair in stride(from: 0, to: list.count - 1, by: 2) {
                    next[window].append(first.count)
                    first.append(list[pair])
                    second.append(list[pair + 1])
                }
                if list.count % 2 == 1 {
                    next[window].append(-1 - carried.count)
                    carried.append(list[list.count - 1])
                }
            }
            let pairs = first.count, flat = TensorShape([pairs])
            let a = append(select(first, from: [currentCount]), [current], origin: name)
            let b = append(select(second, from: [currentCount]), [current], origin: name)
            let difference = append(SumLayer(outputShape: flat, subtracting: true), [b, a], origin: name)
            let relu = append(ReLULayer(shape: flat), [difference], origin: name)
            let maxima = append(SumLayer(outputShape: flat), [a, relu], origin: name)
            // The next level reads the maxima, then the carried entries of `current`.
            var sources: [Int] = []
            for window in next.indices {
                next[window] = next[window].map { position in
                    defer { sources.append(position >= 0 ? position : pairs + carried[-1 - position]) }
                    return sources.count
                }
            }
            current = append(
                SelectLayer(name: "Concat", inputCounts: [pairs, currentCount], sources: sources, fill: Array(repeating: 0, count: sources.count), outputShape: TensorShape([sources.count])),
                [maxima, current], origin: name)
            currentCount = sources.count
            entries = next
        }
        let winners = entries.map { $0[0] }
        return append(
            SelectLayer(name: "Identity", inputCounts: [currentCount], sources: winners, fill: Array(repeating: 0, count: winners.count), outputShape: pool.outputShape),
            [current], origin: name)
    }

    private func select(_ sources: [Int], from counts: [Int]) -> SelectLayer {
        SelectLayer(name: "Gather", inputCounts: counts, sources: sources, fill: Array(repeating: 0, count: sources.count), outputShape: TensorShape([sources.count]))
    }
}
