/// Each output element copies one element of one input, or is a constant: ONNX `Pad`
/// (constant mode) and `Concat` of computed tensors. Exact in every arithmetic.
public struct SelectLayer: Layer {
    public let name: String
    /// Element counts of the inputs.
    public let inputCounts: [Int]
    /// Per output element: the index into the inputs laid end to end, or -1 for its `fill`.
    public let sources: [Int]
    /// Per output element: the constant it holds where its source is -1 (0 elsewhere).
    public let fill: [Double]
    public let outputShape: TensorShape

    public init(name: String, inputCounts: [Int], sources: [Int], fill: [Double], outputShape: TensorShape) {
        precondition(sources.count == outputShape.elementCount && fill.count == sources.count, "one source and fill per output")
        precondition(sources.allSatisfy { $0 >= -1 && $0 < inputCounts.reduce(0, +) }, "sources within the inputs")
        self.name = name
        self.inputCounts = inputCounts
        self.sources = sources
        self.fill = fill
        self.outputShape = outputShape
    }

    public var operatorName: String { name }

    /// The most outputs that copy one input element: how many coefficients a backward step may
    /// sum into one element (what the bound rules' rounding allowances count).
    public var duplicates: Int {
        var counts = [Int](repeating: 0, count: inputCounts.reduce(0, +))
        for source in sources where source >= 0 { counts[source] += 1 }
        return counts.max() ?? 1
    }

    /// Offset of each input in the inputs laid end to end.
    public var inputOffsets: [Int] { inputCounts.reduce(into: [0]) { $0.append($0.last! + $1) }.dropLast() }

    public func problemWithInputs(_ shapes: [TensorShape]) -> String? {
        guard shapes.map(\.elementCount) == inputCounts else { return "\(name) expects inputs of \(inputCounts) values, got \(shapes)" }
        return nil
    }

    public func evaluate(_ inputs: [[Double]]) -> [Double] {
        let all = inputs.flatMap { $0 }
        return sources.indices.map { sources[$0] < 0 ? fill[$0] : all[sources[$0]] }
    }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        let all = inputs.flatMap { $0 }
        return sources.indices.map { sources[$0] < 0 ? Float(fill[$0]) : all[sources[$0]] }
    }
}
