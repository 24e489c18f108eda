import VerdictCore

/// Conv, AveragePool, GlobalAveragePool, MaxPool and Pad: operators that read a `[1, C, H, W]`
/// (or `[1, C, L]`) tensor through windows. Each emits its own layer, kept structured.
extension GraphImporter {
    static let windowOperatorRules: [String: Rule] = [
        "Conv": { importer, node in
            let x = try computedInput(node)
            let weight = try node.constantInput(1, role: "weight").floating("weight")
            guard weight.shape.count == x.shape.count, weight.shape.count >= 3 else {
                throw NodeProblem("Conv weight of shape \(weight.shape) for an input of shape \(x.shape)")
            }
            let groups = node.integer("group", default: 1)
            let outputChannels = weight.shape[0]
            let kernel = Array(weight.shape.dropFirst(2))
            if let declared = node.integers("kernel_shape"), declared != kernel {
                throw NodeProblem("Conv kernel_shape \(declared) does not match the weight's \(kernel)")
            }
            let geometry = try windowGeometry(node, input: x.shape, kernel: kernel)
            guard groups > 0, geometry.channels % groups == 0, outputChannels % groups == 0, weight.shape[1] * groups == geometry.channels else {
                throw NodeProblem("Conv with \(groups) groups, \(geometry.channels) input channels and weight \(weight.shape)")
            }
            var bias = [Double](repeating: 0, count: outputChannels)
            if let b = node.optionalInput(2) {
                let tensor = try constant(b, role: "bias").floating("bias")
                guard tensor.elementCount == outputChannels else { throw NodeProblem("Conv bias has \(tensor.elementCount) values for \(outputChannels) channels") }
                bias = tensor.values
            }
            // A constant added next may be the runtime's accumulator start (Conv and Add fused).
            let fanIn = weight.shape.dropFirst().reduce(1, *)
            return [importer.appendWindow(x, outputChannels: outputChannels, geometry: geometry, lastFanIn: fanIn + 1) { shape in
                ConvLayer(geometry: geometry, outputChannels: outputChannels, groups: groups, weights: weight.values, bias: bias, outputShape: shape)
            }]
        },
        "AveragePool": { importer, node in
            let x = try computedInput(node)
            guard let kernel = node.integers("kernel_shape") else { throw NodeProblem("AveragePool needs kernel_shape") }
            let geometry = try windowGeometry(node, input: x.shape, kernel: kernel)
            let padded = (geometry.padBegin + geometry.padEnd).contains { $0 > 0 }
            guard !padded || node.integer("count_include_pad", default: 0) != 0 else {
                throw NodeProblem("AveragePool with padding that is not counted (count_include_pad 0) is not supported")
            }
            return [importer.appendWindow(x, outputChannels: geometry.channels, geometry: geometry) { shape in
                averagePool(geometry, shape: shape)
            }]
        },
        "GlobalAveragePool": { importer, node in
            let x = try computedInput(node)
            guard x.shape.count >= 3 else { throw NodeProblem("GlobalAveragePool of shape \(x.shape)") }
            let geometry = try windowGeometry(node, input: x.shape, kernel: Array(x.shape.dropFirst(2)))
            return [importer.appendWindow(x, outputChannels: geometry.channels, geometry: geometry) { shape in
                averagePool(geometry, shape: shape)
            }]
        },
        "MaxPool": { importer, node in
            let x = try computedInput(node)
            guard node.proto.output.count < 2 || node.proto.output[1].isEmpty else { throw NodeProblem("MaxPool's Indices output is not supported") }
            guard let kernel = node.integers("kernel_shape") else { throw NodeProblem("MaxPool needs kernel_shape") }
            let geometry = try windowGeometry(node, input: x.shape, kernel: kernel)
            return [importer.appendWindow(x, outputChannels: geometry.channels, geometry: geometry, rounding: { _ in .exact }) { shape in
                MaxPoolLayer(geometry: geometry, outputShape: shape)
            }]
        },
        "Pad": { importer, node in
            let input = try node.input(0)
            let rank = input.shape.count
            let pads = try node.integers("pads") ?? node.optionalInput(1).map { try constant($0, role: "pads").integers() } ?? []
            guard pads.count == 2 * rank, pads.allSatisfy({ $0 >= 0 && $0 < 1 << 20 }) else {
                throw NodeProblem("Pad needs \(2 * rank) non-negative pads, got \(pads)")
            }
            let modeAttribute = node.attribute("mode").map { String(decoding: $0.s, as: UTF8.self) } ?? "constant"
            guard modeAttribute == "constant" else { throw NodeProblem("Pad mode '\(modeAttribute)' is not supported (only constant)") }
            let fill = try node.optionalInput(2).map { try constant($0, role: "constant_value").values.first ?? 0 } ?? node.float("value", default: 0)
            guard pads.contains(where: { $0 > 0 }) else { return [input] }
            let shape = (0..<rank).map { input.shape[$0] + pads[$0] + pads[rank + $0] }
            try checkComputedSize(shape)
            let sources = padSources(input.shape, begin: Array(pads[..<rank]), output: shape)
            switch input {
            case .constant(let tensor):
                return [.constant(ConstantTensor(shape: shape, values: sources.map { $0 < 0 ? fill : tensor.values[$0] }, isInteger: tensor.isInteger))]
            case .computed(let value):
                let source = importer.materialize(value)
                let layer = SelectLayer(
                    name: "Pad", inputCounts: [value.elementCount], sources: sources, fill: sources.map { $0 < 0 ? fill : 0 }, outputShape: TensorShape(shape))
                let id = importer.append(layer, inputs: [source], rounding: .exact)
                return [.computed(ComputedValue(source: id, sourceCount: shape.reduce(1, *), shape: shape, map: .identity))]
            }
        },
    ]

    static func computedInput(_ node: OperatorNode) throws -> ComputedValue {
        guard case .computed(let x) = try node.input(0) else { throw NodeProblem("\(node.opType) of a constant is not supported") }
        guard x.shape.count == 3 || x.shape.count == 4, x.shape[0] == 1 else {
            throw NodeProblem("\(node.opType) needs an input of shape [1, C, L] or [1, C, H, W], got \(x.shape)")
        }
        return x
    }

    static func averagePool(_ geometry: WindowGeometry, shape: TensorShape) -> ConvLayer {
        let weight = 1 / Double(geometry.taps)
        return ConvLayer(
            kind: .averagePool, geometry: geometry, outputChannels: geometry.channels, groups: geometry.channels,
            weights: Array(repeating: weight, count: geometry.channels * geometry.taps), bias: Array(repeating: 0, count: geometry.channels),
            outputShape: shape)
    }

    /// Materializes `x` and appends the layer `make` builds for the window's output shape.
    /// `rounding` makes what the layer records from the unit roundoff (default: dot products).
    mutating func appendWindow(
        _ x: ComputedValue, outputChannels: Int, geometry: WindowGeometry,
        rounding: (FloatFormat) -> EvaluationRounding = { .windowDotProducts($0) }, lastFanIn: Int? = nil, make: (TensorShape) -> any Layer
    ) -> ImportedValue {
        let shape = x.shape.count == 3
            ? [1, outputChannels, geometry.outputWidth]
            : [1, outputChannels, geometry.outputHeight, geometry.outputWidth]
        let source = materialize(x)
        let id = append(make(TensorShape(shape)), inputs: [source], rounding: self.rounding(rounding))
        var value = ComputedValue(source: id, sourceCount: shape.reduce(1, *), shape: shape, map: .identity)
        value.lastFanIn = format == nil ? nil : lastFanIn
        return .computed(value)
    }

    /// The window of a node over an input `[1, C, L]` or `[1, C, H, W]`: strides, dilations,
    /// pads (or `auto_pad`), with 1-D taken as height 1. `ceil_mode` is refused.
    static func windowGeometry(_ node: OperatorNode, input shape: [Int], kernel: [Int]) throws -> WindowGeometry {
        let spatial = shape.count - 2
        guard kernel.count == spatial else { throw NodeProblem("\(node.opType) kernel \(kernel) for an input of shape \(shape)") }
        guard node.integer("ceil_mode", default: 0) == 0 else { throw NodeProblem("\(node.opType) with ceil_mode 1 is not supported") }
        let stride = node.integers("strides") ?? Array(repeating: 1, count: spatial)
        let dilation = node.integers("dilations") ?? Array(repeating: 1, count: spatial)
        var pads = node.integers("pads") ?? Array(repeating: 0, count: 2 * spatial)
        guard stride.count == spatial, dilation.count == spatial, pads.count == 2 * spatial else {
            throw NodeProblem("\(node.opType) strides \(stride), dilations \(dilation) or pads \(pads) do not fit \(spatial) spatial axes")
        }
        let sizes = Array(shape.dropFirst(2))
        guard (kernel + stride + dilation).allSatisfy({ $0 > 0 && $0 < 1 << 20 }) else {
            throw NodeProblem("\(node.opType) kernel \(kernel), strides \(stride) or dilations \(dilation) out of range (1 to 2^20)")
        }
        let autoPad = node.attribute("auto_pad").map { String(decoding: $0.s, as: UTF8.self) } ?? "NOTSET"
        switch autoPad {
        case "NOTSET", "": break
        case "VALID": pads = Array(repeating: 0, count: 2 * spatial)
        case "SAME_UPPER", "SAME_LOWER":
            for axis in 0..<spatial where stride[axis] > 0 {
                let span = dilation[axis] * (kernel[axis] - 1) + 1
                let total = max(((sizes[axis] + stride[axis] - 1) / stride[axis] - 1) * stride[axis] + span - sizes[axis], 0)
                let small = total / 2
                pads[axis] = autoPad == "SAME_UPPER" ? small : total - small
                pads[spatial + axis] = total - pads[axis]
            }
        default: throw NodeProblem("\(node.opType) auto_pad '\(autoPad)' is not supported")
        }
        func twoD(_ values: [Int], _ fill: Int) -> [Int] { spatial == 1 ? [fill] + values : values }
        guard let geometry = WindowGeometry(
            channels: shape[1], height: spatial == 1 ? 1 : sizes[0], width: sizes[spatial - 1], kernel: twoD(kernel, 1),
            stride: twoD(stride, 1), dilation: twoD(dilation, 1), padBegin: twoD(Array(pads[..<spatial]), 0),
            padEnd: twoD(Array(pads[spatial...]), 0))
        else {
            throw NodeProblem("\(node.opType) window (kernel \(kernel), strides \(stride), dilations \(dilation), pads \(pads)) does not fit an input of shape \(shape)")
        }
        try checkComputedSize([geometry.channels, geometry.outputHeight, geometry.outputWidth])
        return geometry
    }

    /// For each element of the padded tensor, the flat index it copies (-1 in the padding).
    static func padSources(_ shape: [Int], begin: [Int], output: [Int]) -> [Int] {
        let rank = shape.count
        var strides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        return multiIndices(output).map { index in
            var source = 0
            for axis in 0..<rank {
                let at = index[axis] - begin[axis]
                if at < 0 || at >= shape[axis] { return -1 }
                source += at * strides[axis]
            }
            return source
        }
    }
}
