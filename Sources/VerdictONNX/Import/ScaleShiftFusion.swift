import VerdictCore

/// Folds batch normalizations (``ScaleShiftLayer``s constant per channel) into the
/// convolution or dense layer next to them, so that bounds pass one linear layer instead of
/// two. The importer already folds every elementwise map that meets a dense layer while the
/// graph is read; what is left are the maps beside a convolution, folded here:
/// - after it, `s ⊙ (W x + b) + t` is the layer with rows `s_c W_c` and bias `s_c b_c + t_c`
///   (also after a dense layer);
/// - before it, `W (s ⊙ x + t) + b` is the convolution with weights `W[c,i] s_i` and bias
///   `b_c + Σ W[c,i] t_i`, only without padding (padding adds zeros, not `t`).
///
/// Either way the layer folded into must have no other reader. A map that fits neither stays
/// a standalone ScaleShift, which every engine bounds.
enum ScaleShiftFusion {
    static func fused(_ nodes: [Network.Node], output: ValueID) -> (nodes: [Network.Node], output: ValueID) {
        var nodes = nodes
        var readers = [Int](repeating: 0, count: nodes.count + 1)
        for node in nodes { for input in node.inputs { readers[input.valueIndex] += 1 } }
        readers[output.valueIndex] += 1
        // Node index → the node that now computes its value.
        var replacement: [Int: Int] = [:]
        for index in nodes.indices {
            guard let map = nodes[index].layer as? ScaleShiftLayer, case .node(let source) = nodes[index].inputs[0],
                  readers[source + 1] == 1, let folded = foldAfter(nodes[source].layer, map)
            else { continue }
            nodes[source] = Network.Node(layer: folded, inputs: nodes[source].inputs, origin: nodes[source].origin + ", " + nodes[index].origin)
            replacement[index] = source
        }
        for index in nodes.indices {
            guard let conv = nodes[index].layer as? ConvLayer, case .node(let source) = nodes[index].inputs[0], replacement[source] == nil,
                  readers[source + 1] == 1, let map = nodes[source].layer as? ScaleShiftLayer, let folded = foldBefore(conv, map)
            else { continue }
            nodes[index] = Network.Node(layer: folded, inputs: nodes[source].inputs, origin: nodes[source].origin + ", " + nodes[index].origin)
            replacement[source] = -1
        }
        return renumbered(nodes, removing: replacement, output: output)
    }

    /// `map ∘ layer` as one layer, when `map` is constant per channel of `layer`'s output.
    private static func foldAfter(_ layer: any Layer, _ map: ScaleShiftLayer) -> (any Layer)? {
        if let affine = layer as? AffineLayer {
            var weights = affine.weights
            for row in 0..<weights.rows {
                for column in 0..<weights.columns { weights.values[row * weights.columns + column] *= map.scale[row] }
            }
            let bias = affine.bias.indices.map { map.scale[$0] * affine.bias[$0] + map.shift[$0] }
            return AffineLayer(weights: weights, bias: bias, outputShape: map.outputShape)
        }
        guard let conv = layer as? ConvLayer,
              let (scale, shift) = perChannel(map, channels: conv.outputChannels, plane: conv.geometry.outputPlane)
        else { return nil }
        let perFilter = conv.inputChannelsPerGroup * conv.geometry.taps
        let weights = conv.weights.indices.map { conv.weights[$0] * scale[$0 / perFilter] }
        let bias = conv.bias.indices.map { scale[$0] * conv.bias[$0] + shift[$0] }
        return ConvLayer(geometry: conv.geometry, outputChannels: conv.outputChannels, groups: conv.groups, weights: weights, bias: bias, outputShape: map.outputShape)
    }

    /// `conv ∘ map` as one convolution, when `map` is constant per input channel and the
    /// convolution has no padding.
    private static func foldBefore(_ conv: ConvLayer, _ map: ScaleShiftLayer) -> ConvLayer? {
        let g = conv.geometry
        guard (g.padBegin + g.padEnd).allSatisfy({ $0 == 0 }),
              let (scale, shift) = perChannel(map, channels: g.channels, plane: g.inputPlane)
        else { return nil }
        let perGroup = conv.inputChannelsPerGroup, taps = g.taps
        var weights = conv.weights, bias = conv.bias
        for index in weights.indices {
            let filter = index / (perGroup * taps)
            let channel = (filter / conv.outputChannelsPerGroup) * perGroup + (index / taps) % perGroup
            bias[filter] += conv.weights[index] * shift[channel]
            weights[index] = conv.weights[index] * scale[channel]
        }
        return ConvLayer(geometry: g, outputChannels: conv.outputChannels, groups: conv.groups, weights: weights, bias: bias, outputShape: conv.outputShape)
    }

    /// The map's scale and shift per channel, when they are constant over each channel's plane.
    private static func perChannel(_ map: ScaleShiftLayer, channels: Int, plane: Int) -> ([Double], [Double])? {
        guard map.scale.count == channels * plane else { return nil }
        for c in 0..<channels {
            for p in 0..<plane where map.scale[c * plane + p] != map.scale[c * plane] || map.shift[c * plane + p] != map.shift[c * plane] {
                return nil
            }
        }
        return ((0..<channels).map { map.scale[$0 * plane] }, (0..<channels).map { map.shift[$0 * plane] })
    }

    /// The nodes without those `replacement` names (their readers read the replacement; -1:
    /// the node was folded into its only reader, which reads its input instead).
    private static func renumbered(_ nodes: [Network.Node], removing replacement: [Int: Int], output: ValueID) -> ([Network.Node], ValueID) {
        guard !replacement.isEmpty else { return (nodes, output) }
        var newIndex = [Int?](repeating: nil, count: nodes.count)
        var kept: [Network.Node] = []
        func mapped(_ value: ValueID) -> ValueID {
            guard case .node(var index) = value else { return value }
            while let target = replacement[index], target >= 0 { index = target }
            return .node(newIndex[index]!)
        }
        for (index, node) in nodes.enumerated() where replacement[index] == nil {
            kept.append(Network.Node(layer: node.layer, inputs: node.inputs.map(mapped), origin: node.origin))
            newIndex[index] = kept.count - 1
        }
        return (kept, mapped(output))
    }
}
