import VerdictCore

/// Random small graphs of operators for property-based tests: convolutions (strides,
/// padding, dilation, groups), ReLUs, a residual join, pooling, padding, an elementwise
/// scaling and a dense head, on a `[1, C, H, W]` input.
public enum RandomGraphs {
    /// `sides` bounds the input's height and width; `channels` its channels.
    /// A random box (centres in [-1, 1], radii up to 0.3) and a region of one or two
    /// single-row disjuncts with small integer coefficients, for `network`.
    public static func property(for network: Network, generator: inout SeededGenerator) -> (box: InputBox, region: OutputRegion) {
        let inputs = network.inputCount
        let center = (0..<inputs).map { _ in Double.random(in: -1...1, using: &generator) }
        let radius = (0..<inputs).map { _ in Double.random(in: 0...0.3, using: &generator) }
        let box = InputBox(lower: zip(center, radius).map(-), upper: zip(center, radius).map(+))
        let region = OutputRegion(disjuncts: (0..<Int.random(in: 1...2, using: &generator)).map { _ in
            [LinearConstraint(
                terms: (0..<network.outputCount).map { LinearConstraint.Term(index: $0, coefficient: Double(Int.random(in: -2...2, using: &generator))) },
                bound: RealInterval(exactly: Double.random(in: -1...1, using: &generator)))]
        })
        return (box, region)
    }

    /// `count` points of `box`: every fifth a random vertex (where a piecewise-linear
    /// network's extremes often lie), the others uniform inside.
    public static func samples(in box: InputBox, count: Int, generator: inout SeededGenerator) -> [[Double]] {
        (0..<count).map { index in
            (0..<box.dimension).map { j in
                index % 5 == 0 ? (Bool.random(using: &generator) ? box.lower[j] : box.upper[j]) : Double.random(in: box.lower[j]...box.upper[j], using: &generator)
            }
        }
    }

    public static func convolutional(generator g: inout SeededGenerator, sides: ClosedRange<Int> = 4...6, channels: ClosedRange<Int> = 1...2) throws -> Network {
        var builder = Builder(generator: g)
        let channels = Int.random(in: channels, using: &builder.generator)
        let shape = [1, channels, Int.random(in: sides, using: &builder.generator), Int.random(in: sides, using: &builder.generator)]
        builder.shapes = [shape]
        var x = ValueID.input
        x = builder.conv(x, outputChannels: Int.random(in: 2...3, using: &builder.generator), random: true)
        x = builder.relu(x)
        if Bool.random(using: &builder.generator) {
            // A residual block with shape-keeping convolutions (Add or Sub): relu(x ± conv(relu(conv(x)))),
            // the skip second, a convolution on the skip too, or one value read by both sides.
            let channels = builder.channels(of: x), variant = Int.random(in: 0...3, using: &builder.generator)
            if variant == 3 {
                x = builder.relu(builder.add(builder.conv(x, outputChannels: channels, random: false), x))
            } else {
                let inner = builder.relu(builder.conv(x, outputChannels: channels, random: false))
                let branch = builder.conv(inner, outputChannels: channels, random: false)
                switch variant {
                case 0: x = builder.relu(builder.add(x, branch))
                case 1: x = builder.relu(builder.add(branch, x))
                default: x = builder.relu(builder.add(builder.conv(x, outputChannels: channels, random: false), branch))
                }
            }
        }
        switch Int.random(in: 0...3, using: &builder.generator) {
        case 0: x = builder.maxPool(x)
        case 1: x = builder.averagePool(x)
        case 2: x = builder.pad(x)
        default: x = builder.relu(builder.scaleShift(x))
        }
        x = builder.dense(x, outputs: Int.random(in: 3...6, using: &builder.generator))
        x = builder.relu(x)
        x = builder.dense(x, outputs: Int.random(in: 1...3, using: &builder.generator))
        g = builder.generator
        return try Network(inputShape: TensorShape(shape), nodes: builder.nodes, output: x)
    }

    /// A dense network on a `[1, n]` input whose hidden layers end in Sigmoid, Tanh or ReLU
    /// (at least one S-shaped), sometimes with a residual join.
    public static func smooth(generator g: inout SeededGenerator) throws -> Network {
        var builder = Builder(generator: g)
        let shape = [1, Int.random(in: 2...4, using: &builder.generator)]
        builder.shapes = [shape]
        var x = ValueID.input
        let depth = Int.random(in: 2...3, using: &builder.generator)
        for layer in 0..<depth {
            x = builder.dense(x, outputs: Int.random(in: 3...6, using: &builder.generator))
            switch layer == 0 ? Int.random(in: 0...1, using: &builder.generator) : Int.random(in: 0...2, using: &builder.generator) {
            case 0: x = builder.sShaped(x, .sigmoid)
            case 1: x = builder.sShaped(x, .tanh)
            default: x = builder.relu(x)
            }
        }
        if Bool.random(using: &builder.generator) {
            let width = builder.shapes[x.valueIndex].reduce(1, *)
            x = builder.add(x, builder.sShaped(builder.dense(x, outputs: width), .tanh))
        }
        x = builder.dense(x, outputs: Int.random(in: 1...3, using: &builder.generator))
        g = builder.generator
        return try Network(inputShape: TensorShape(shape), nodes: builder.nodes, output: x)
    }

    /// A dense ReLU network on a `[1, n]` input, sometimes with a residual join and an
    /// elementwise scaling: the dense operators of the graph engine (a plain chain of them
    /// normally goes to the chain engines, but the graph engine takes any network).
    public static func dense(generator g: inout SeededGenerator) throws -> Network {
        var builder = Builder(generator: g)
        let shape = [1, Int.random(in: 2...5, using: &builder.generator)]
        builder.shapes = [shape]
        var x = builder.relu(builder.dense(.input, outputs: Int.random(in: 3...8, using: &builder.generator)))
        if Bool.random(using: &builder.generator) {
            let width = builder.shapes[x.valueIndex].reduce(1, *)
            x = builder.relu(builder.add(x, builder.dense(builder.relu(builder.dense(x, outputs: width)), outputs: width)))
        }
        if Bool.random(using: &builder.generator) { x = builder.relu(builder.scaleShift(x)) }
        x = builder.relu(builder.dense(x, outputs: Int.random(in: 3...6, using: &builder.generator)))
        x = builder.dense(x, outputs: Int.random(in: 1...3, using: &builder.generator))
        g = builder.generator
        return try Network(inputShape: TensorShape(shape), nodes: builder.nodes, output: x)
    }

    /// `network` with a dense ReLU branch of `width` units on its input that reaches nothing:
    /// the function is the same, but a search that bounded the branch could split its ReLUs
    /// forever without deciding anything. Its units are zero at `center` and have weights of
    /// size `scale`, so they are unstable, and wide, on a box around it.
    public static func withDeadBranch(_ network: Network, around center: [Double], width: Int, scale: Double, generator g: inout SeededGenerator) throws -> Network {
        var builder = Builder(generator: g)
        builder.nodes = network.nodes
        builder.shapes = [network.inputShape.dimensions] + network.nodes.map(\.layer.outputShape.dimensions)
        let inputs = network.inputCount
        let values = (0..<(width * inputs)).map { _ in builder.weight(scale) }
        let bias = (0..<width).map { row in -(0..<inputs).reduce(0) { $0 + values[row * inputs + $1] * center[$1] } }
        let hidden = builder.append(AffineLayer(weights: Matrix(rows: width, columns: inputs, values: values), bias: bias), [.input])
        _ = builder.dense(builder.relu(hidden), outputs: 2)
        g = builder.generator
        return try Network(inputShape: network.inputShape, nodes: builder.nodes, output: network.output)
    }

    struct Builder {
        var generator: SeededGenerator
        var nodes: [Network.Node] = []
        /// Shape of each value, the input first.
        var shapes: [[Int]] = []

        init(generator: SeededGenerator) { self.generator = generator }

        func channels(of value: ValueID) -> Int { shapes[value.valueIndex][1] }

        mutating func weight(_ scale: Double) -> Double { Double(Float(Double.random(in: -scale...scale, using: &generator))) }

        mutating func append(_ layer: any Layer, _ inputs: [ValueID]) -> ValueID {
            nodes.append(Network.Node(layer: layer, inputs: inputs))
            shapes.append(layer.outputShape.dimensions)
            return .node(nodes.count - 1)
        }

        /// A random convolution, or (`random` false) a 3x3 one with padding 1 that keeps the shape.
        mutating func conv(_ x: ValueID, outputChannels: Int, random: Bool) -> ValueID {
            let shape = shapes[x.valueIndex]
            var geometry: WindowGeometry?
            var groups = 1
            while geometry == nil {
                let kernel = random ? [Int.random(in: 1...3, using: &generator), Int.random(in: 1...3, using: &generator)] : [3, 3]
                let stride = random ? [Int.random(in: 1...2, using: &generator), Int.random(in: 1...2, using: &generator)] : [1, 1]
                let dilation = random ? [1, Int.random(in: 1...2, using: &generator)] : [1, 1]
                let pad = random ? (0..<4).map { _ in Int.random(in: 0...1, using: &generator) } : [1, 1, 1, 1]
                geometry = WindowGeometry(
                    channels: shape[1], height: shape[2], width: shape[3], kernel: kernel, stride: stride, dilation: dilation,
                    padBegin: Array(pad[..<2]), padEnd: Array(pad[2...]))
            }
            if random && shape[1] == 2 && outputChannels % 2 == 0 && Bool.random(using: &generator) { groups = 2 }
            let g = geometry!
            let fanIn = shape[1] / groups * g.taps
            let weights = (0..<(outputChannels * fanIn)).map { _ in weight(1.5 / Double(fanIn).squareRoot()) }
            let bias = (0..<outputChannels).map { _ in weight(0.3) }
            return append(ConvLayer(
                geometry: g, outputChannels: outputChannels, groups: groups, weights: weights, bias: bias,
                outputShape: TensorShape([1, outputChannels, g.outputHeight, g.outputWidth])), [x])
        }

        mutating func relu(_ x: ValueID) -> ValueID { append(ReLULayer(shape: TensorShape(shapes[x.valueIndex])), [x]) }

        mutating func sShaped(_ x: ValueID, _ function: SShapedLayer.Function) -> ValueID {
            append(SShapedLayer(function, shape: TensorShape(shapes[x.valueIndex])), [x])
        }

        mutating func add(_ a: ValueID, _ b: ValueID) -> ValueID {
            append(SumLayer(outputShape: TensorShape(shapes[a.valueIndex]), subtracting: Bool.random(using: &generator)), [a, b])
        }

        mutating func window(_ x: ValueID) -> WindowGeometry {
            let shape = shapes[x.valueIndex]
            let kernel = [min(2, shape[2]), min(2, shape[3])]
            return WindowGeometry(channels: shape[1], height: shape[2], width: shape[3], kernel: kernel, stride: [1, Int.random(in: 1...2, using: &generator)], dilation: [1, 1], padBegin: [0, 0], padEnd: [0, 0])!
        }

        mutating func maxPool(_ x: ValueID) -> ValueID {
            let g = window(x)
            return append(MaxPoolLayer(geometry: g, outputShape: TensorShape([1, g.channels, g.outputHeight, g.outputWidth])), [x])
        }

        mutating func averagePool(_ x: ValueID) -> ValueID {
            let g = window(x)
            return append(ConvLayer(
                kind: .averagePool, geometry: g, outputChannels: g.channels, groups: g.channels,
                weights: Array(repeating: 1 / Double(g.taps), count: g.channels * g.taps), bias: Array(repeating: 0, count: g.channels),
                outputShape: TensorShape([1, g.channels, g.outputHeight, g.outputWidth])), [x])
        }

        /// One row of zeros (or another constant) on top of each channel.
        mutating func pad(_ x: ValueID) -> ValueID {
            let shape = shapes[x.valueIndex]
            let fill = weight(1)
            var sources: [Int] = []
            for c in 0..<shape[1] {
                for h in 0...shape[2] { for w in 0..<shape[3] { sources.append(h == 0 ? -1 : (c * shape[2] + h - 1) * shape[3] + w) } }
            }
            return append(SelectLayer(
                name: "Pad", inputCounts: [shape.reduce(1, *)], sources: sources, fill: sources.map { $0 < 0 ? fill : 0 },
                outputShape: TensorShape([1, shape[1], shape[2] + 1, shape[3]])), [x])
        }

        mutating func scaleShift(_ x: ValueID) -> ValueID {
            let count = shapes[x.valueIndex].reduce(1, *)
            return append(ScaleShiftLayer(
                scale: (0..<count).map { _ in weight(2) }, shift: (0..<count).map { _ in weight(0.5) },
                outputShape: TensorShape(shapes[x.valueIndex])), [x])
        }

        mutating func dense(_ x: ValueID, outputs: Int) -> ValueID {
            let inputs = shapes[x.valueIndex].reduce(1, *)
            let values = (0..<(outputs * inputs)).map { _ in weight(1.5 / Double(inputs).squareRoot()) }
            let bias = (0..<outputs).map { _ in weight(0.5) }
            return append(AffineLayer(weights: Matrix(rows: outputs, columns: inputs, values: values), bias: bias), [x])
        }
    }
}
