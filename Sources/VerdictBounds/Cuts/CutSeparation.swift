import VerdictCore

/// Finds the ``ReluCut``s that a point of the relaxed network violates: for each unstable
/// neuron above its ReLU there (on the triangle's upper line), the most violated subset `I`,
/// which Anderson et al. show is `{i : w_i (v_i - L̆_i (1 - z)) < w_i Ŭ_i z}`, in linear time.
/// The point is the one a bound pass minimizes at (its corner, carried through the lines the
/// pass used), with the phase `z = y / u` that makes both big-M constraints tight there.
struct CutSeparation {
    let network: GraphBoundNetwork

    /// One linear map in a ReLU's input: `sign ·` node `node` (a Conv or Affine of one
    /// input) applied to `source`, or, where `node` is nil, `sign ·` `source` itself.
    struct LinearTerm {
        var node: Int?
        var source: ValueID
        var sign: Double
    }

    /// A ReLU layer's input as a sum of linear maps, which the cuts need (`ẑ = w·v + b`): one
    /// Conv or Affine node of one input, or the Add or Sub of a residual join of two values,
    /// each such a node or a value taken as it is. Nil for any other input.
    func linearForm(ofLayer layer: Int) -> [LinearTerm]? {
        let input = network.network.nodes[network.reluNodes[layer]].inputs[0]
        if let term = linearMap(input, sign: 1) { return [term] }
        guard let producer = network.producer(input), let sum = network.network.nodes[producer].layer as? SumLayer else { return nil }
        let inputs = network.network.nodes[producer].inputs
        return [linearMap(inputs[0], sign: 1) ?? LinearTerm(node: nil, source: inputs[0], sign: 1),
                linearMap(inputs[1], sign: sum.secondSign) ?? LinearTerm(node: nil, source: inputs[1], sign: sum.secondSign)]
    }

    private func linearMap(_ value: ValueID, sign: Double) -> LinearTerm? {
        guard let producer = network.producer(value) else { return nil }
        let node = network.network.nodes[producer]
        guard node.inputs.count == 1, node.layer is AffineLayer || node.layer is ConvLayer else { return nil }
        return LinearTerm(node: producer, source: node.inputs[0], sign: sign)
    }

    /// Row `neuron` of `term` over its source (`width` entries), and its bias.
    func row(_ neuron: Int, of term: LinearTerm, width: Int) -> (weights: [Double], bias: Double) {
        guard let node = term.node else {
            var unit = [Double](repeating: 0, count: width)
            unit[neuron] = term.sign
            return (unit, 0)
        }
        let layer = network.network.nodes[node].layer
        if let affine = layer as? AffineLayer {
            let columns = affine.weights.columns
            return (affine.weights.values[(neuron * columns)..<((neuron + 1) * columns)].map { term.sign * $0 }, term.sign * affine.bias[neuron])
        }
        let conv = layer as! ConvLayer
        var unit = [Double](repeating: 0, count: conv.outputCount)
        unit[neuron] = term.sign
        var row = [Double](repeating: 0, count: conv.inputCount)
        unit.withUnsafeBufferPointer { u in row.withUnsafeMutableBufferPointer { conv.applyTransposed(u.baseAddress!, into: $0.baseAddress!) } }
        return (row, term.sign * conv.bias[neuron / conv.geometry.outputPlane])
    }

    /// Row `neuron` of a ReLU layer's input over each term's value, with that value's box in
    /// `state`, and the bias; nil where a box is missing. Two terms on one value stay two
    /// rows: their weights summed would round, and the cut holds for two copies of a value as
    /// it does for one.
    func rows(_ neuron: Int, of terms: [LinearTerm], state: GraphState) -> (rows: [CutRow], bias: Double)? {
        var rows: [CutRow] = [], bias = 0.0
        for term in terms {
            guard let box = state.bounds[term.source.valueIndex] else { return nil }
            let (weights, b) = row(neuron, of: term, width: box.lower.count)
            // Rounded like every other term of the cut's `z` coefficient (``ReluCut``).
            bias += b
            rows.append(CutRow(source: term.source, weights: weights, lower: box.lower, upper: box.upper))
        }
        return (rows, bias)
    }

    /// The violated cuts at the point whose value `k` is `values[k]` (index 0 the input), over
    /// the bounds of `state` (which must hold wherever the cuts are used: a root's), leaving
    /// out any whose layer, neuron and subset are in `known`. At most `limit` per layer, the
    /// most violated first.
    func violatedCuts(at values: [[Double]], state: GraphState, known: Set<CutKey>, tolerance: Double = 1e-6, limit: Int = 1000) -> [ReluCut] {
        var found: [ReluCut] = []
        for (layer, relu) in network.reluNodes.enumerated() {
            guard let terms = linearForm(ofLayer: layer), let lines = (state.relaxations[relu] as? ReLUOperator.Lines) else { continue }
            let preActivation = values[network.network.nodes[relu].inputs[0].valueIndex], output = values[relu + 1]
            var candidates: [(cut: ReluCut, violation: Double)] = []
            for j in lines.isUnstable.indices where lines.isUnstable[j] {
                let y = output[j], u = lines.bounds.upper[j]
                guard y > max(0, preActivation[j]) + tolerance, u > 0, let (rows, bias) = rows(j, of: terms, state: state) else { continue }
                let z = min(max(y / u, 0), 1)
                let cut = ReluCut(layer: layer, neuron: j, rows: rows, bias: bias) { p, i in
                    let row = rows[p], v = values[row.source.valueIndex], w = row.weights[i]
                    let low = w >= 0 ? row.lower[i] : row.upper[i], high = w >= 0 ? row.upper[i] : row.lower[i]
                    return w * (v[i] - low * (1 - z)) < w * high * z
                }
                let violation = cut.slack(y: y, values: values, z: z)
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
    var indices: [[Int]]

    init(_ cut: ReluCut) {
        layer = cut.layer
        neuron = cut.neuron
        indices = cut.parts.map(\.indices)
    }
}
