import VerdictCore

/// Finds the ``ReluCut``s that a point of the relaxed network violates: for each unstable
/// neuron above its ReLU there (on the triangle's upper line), the most violated subset `I`,
/// which Anderson et al. show is `{i : w_i (v_i - L̆_i (1 - z)) < w_i Ŭ_i z}`, in linear time.
/// The point is the one a bound pass minimizes at (its corner, carried through the lines the
/// pass used), with the phase `z = y / u` that makes both big-M constraints tight there.
struct CutSeparation {
    let network: GraphBoundNetwork

    /// A ReLU layer whose input is one Conv or Affine node of one input: that node and its
    /// input `v` (the cuts need `ẑ = w·v + b`).
    func linearInput(ofLayer layer: Int) -> (node: Int, source: ValueID)? {
        let relu = network.reluNodes[layer]
        guard let producer = network.producer(network.network.nodes[relu].inputs[0]) else { return nil }
        let node = network.network.nodes[producer]
        guard node.inputs.count == 1, node.layer is AffineLayer || node.layer is ConvLayer else { return nil }
        return (producer, node.inputs[0])
    }

    /// Row `neuron` of the linear node `node` over its input, and its bias.
    func row(_ neuron: Int, of node: Int) -> (weights: [Double], bias: Double) {
        let layer = network.network.nodes[node].layer
        if let affine = layer as? AffineLayer {
            let columns = affine.weights.columns
            return (Array(affine.weights.values[(neuron * columns)..<((neuron + 1) * columns)]), affine.bias[neuron])
        }
        let conv = layer as! ConvLayer
        var unit = [Double](repeating: 0, count: conv.outputCount)
        unit[neuron] = 1
        var row = [Double](repeating: 0, count: conv.inputCount)
        unit.withUnsafeBufferPointer { u in row.withUnsafeMutableBufferPointer { conv.applyTransposed(u.baseAddress!, into: $0.baseAddress!) } }
        return (row, conv.bias[neuron / conv.geometry.outputPlane])
    }

    /// The violated cuts at the point whose value `k` is `values[k]` (index 0 the input), over
    /// the bounds of `state` (which must hold wherever the cuts are used: a root's), leaving
    /// out any whose layer, neuron and subset are in `known`. At most `limit` per layer, the
    /// most violated first.
    func violatedCuts(at values: [[Double]], state: GraphState, known: Set<CutKey>, tolerance: Double = 1e-6, limit: Int = 1000) -> [ReluCut] {
        var found: [ReluCut] = []
        for (layer, relu) in network.reluNodes.enumerated() {
            guard let (node, source) = linearInput(ofLayer: layer), let lines = (state.relaxations[relu] as? ReLUOperator.Lines),
                  let box = state.bounds[source.valueIndex] else { continue }
            let preActivation = values[network.network.nodes[relu].inputs[0].valueIndex], output = values[relu + 1], v = values[source.valueIndex]
            var candidates: [(cut: ReluCut, violation: Double)] = []
            for j in lines.isUnstable.indices where lines.isUnstable[j] {
                let y = output[j], u = lines.bounds.upper[j]
                guard y > max(0, preActivation[j]) + tolerance, u > 0 else { continue }
                let z = min(max(y / u, 0), 1)
                let (weights, bias) = row(j, of: node)
                let cut = ReluCut(layer: layer, neuron: j, source: source, weights: weights, bias: bias, lower: box.lower, upper: box.upper) { i in
                    let w = weights[i], low = w >= 0 ? box.lower[i] : box.upper[i], high = w >= 0 ? box.upper[i] : box.lower[i]
                    return w * (v[i] - low * (1 - z)) < w * high * z
                }
                let violation = cut.slack(y: y, source: v, z: z)
                if violation > tolerance && !known.contains(CutKey(cut)) { candidates.append((cut, violation)) }
            }
            found += candidates.sorted { $0.violation > $1.violation }.prefix(limit).map(\.cut)
        }
        return found
    }
}

/// What tells two cuts apart: their neuron and subset.
struct CutKey: Hashable {
    var layer: Int
    var neuron: Int
    var indices: [Int]

    init(_ cut: ReluCut) {
        layer = cut.layer
        neuron = cut.neuron
        indices = cut.indices
    }
}
