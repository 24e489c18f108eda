import VerdictCore

/// A tensor while the graph is folded: known constant, or computed from the network input.
enum ImportedValue {
    case constant(ConstantTensor)
    case computed(ComputedValue)

    var shape: [Int] {
        switch self {
        case .constant(let tensor): return tensor.shape
        case .computed(let value): return value.shape
        }
    }
}

/// Walks the ONNX graph in order, folding linear operators into pending ``AffineMap``s and
/// emitting layers of the network IR where a non-linear operator needs them. Each operator's
/// folding rule lives in `Operators/`, one family per file.
struct GraphImporter {
    private(set) var nodes: [Network.Node] = []
    /// Values in the network input (all graph inputs laid end to end).
    private var inputCount = 0
    private var values: [String: ImportedValue] = [:]
    /// The ONNX node being folded, for the origin of emitted layers.
    var currentOrigin = ""
    /// The float type whose evaluation's rounding each node records, or nil.
    var format: FloatFormat?

    init(initializers: [String: ConstantTensor]) {
        for (name, tensor) in initializers { values[name] = .constant(tensor) }
    }

    /// The graph inputs, laid end to end in the network input. One input is the network input
    /// itself; with several, each is a slice of it (a ``SelectLayer`` copy).
    mutating func defineInputs(_ inputs: [(name: String, shape: [Int])]) {
        let counts = inputs.map { $0.shape.reduce(1, *) }
        inputCount = counts.reduce(0, +)
        guard inputs.count > 1 else {
            values[inputs[0].name] = .computed(ComputedValue(source: .input, sourceCount: counts[0], shape: inputs[0].shape, map: .identity))
            return
        }
        let total = counts.reduce(0, +)
        var offset = 0
        for (input, count) in zip(inputs, counts) {
            let slice = SelectLayer(
                name: "Slice", inputCounts: [total], sources: Array(offset..<(offset + count)),
                fill: [Double](repeating: 0, count: count), outputShape: TensorShape(input.shape))
            currentOrigin = "input '\(input.name)'"
            let source = append(slice, inputs: [.input], rounding: .exact)
            values[input.name] = .computed(ComputedValue(source: source, sourceCount: count, shape: input.shape, map: .identity))
            offset += count
        }
    }

    /// One value holding `parts` flattened and laid end to end (the part itself when alone).
    mutating func concatenated(_ parts: [ValueID]) -> ValueID {
        guard parts.count > 1 else { return parts[0] }
        let counts = parts.map { part -> Int in
            switch part {
            case .input: return inputCount
            case .node(let index): return nodes[index].layer.outputShape.elementCount
            }
        }
        let total = counts.reduce(0, +)
        currentOrigin = "outputs"
        let join = SelectLayer(
            name: "Concat", inputCounts: counts, sources: Array(0..<total), fill: [Double](repeating: 0, count: total),
            outputShape: TensorShape([total]))
        return append(join, inputs: parts, rounding: .exact)
    }

    func value(named name: String) throws -> ImportedValue {
        guard let value = values[name] else {
            throw NodeProblem("input '\(name)' is not an initializer, a graph input or the output of an earlier node")
        }
        return value
    }

    mutating func define(_ name: String, _ value: ImportedValue) {
        values[name] = value
    }

    /// Emits the pending affine map of `value` as a layer (nothing when it is the identity)
    /// and returns the network value holding the tensor.
    mutating func materialize(_ value: ComputedValue) -> ValueID {
        if value.map.isIdentity { return value.source }
        let layer: any Layer
        if case .elementwise(let scale, let shift) = value.map, scale.count == value.sourceCount {
            // Kept elementwise: a dense diagonal matrix would cost n² for n values.
            layer = ScaleShiftLayer(scale: scale, shift: shift, outputShape: TensorShape(value.shape))
        } else {
            let (matrix, bias) = value.map.denseForm(inputCount: value.sourceCount)
            layer = AffineLayer(weights: matrix, bias: bias, outputShape: TensorShape(value.shape))
        }
        nodes.append(Network.Node(
            layer: layer, inputs: [value.source],
            origin: value.origins.isEmpty ? currentOrigin : value.origins.joined(separator: ", "), rounding: rounding(value)))
        return .node(nodes.count - 1)
    }

    /// Appends `layer`; `rounding` is what it records when the importer tracks rounding (a
    /// layer without one is not modelled, and a float query over it is refused).
    mutating func append(_ layer: any Layer, inputs: [ValueID], rounding: EvaluationRounding? = nil) -> ValueID {
        let recorded = format == nil ? nil : rounding ?? .unmodelled("\(layer.operatorName) ('\(currentOrigin)')")
        nodes.append(Network.Node(layer: layer, inputs: inputs, origin: currentOrigin, rounding: recorded))
        return .node(nodes.count - 1)
    }

    /// Applies one ONNX node; `label` names it in the origins of the layers it ends up in.
    mutating func apply(_ node: Onnx_NodeProto, label: String) throws {
        guard let rule = GraphImporter.rules[node.opType], let schema = GraphImporter.schemas[node.opType],
            node.domain.isEmpty || node.domain == "ai.onnx"
        else {
            let domain = node.domain.isEmpty ? "" : " (domain \(node.domain))"
            throw NodeProblem("unsupported operator \(node.opType)\(domain)")
        }
        if let problem = schema.problem(with: node) { throw NodeProblem(problem) }
        for name in node.output where !name.isEmpty && values[name] != nil {
            throw NodeProblem("the output '\(name)' is already defined (by an initializer, the graph input or an earlier node); each tensor must have one producer")
        }
        let inputs = try node.input.map { name -> ImportedValue? in name.isEmpty ? nil : try value(named: name) }
        let outputs = try rule(&self, OperatorNode(proto: node, inputs: inputs))
        for (name, output) in zip(node.output, outputs) where !name.isEmpty {
            guard case .computed(var value) = output else {
                if case .constant(let tensor) = output, !tensor.values.allSatisfy(AffineMap.fitsFloat32) {
                    throw NodeProblem("folding this node's constants gives values beyond Float32's range (or NaN)")
                }
                define(name, output)
                continue
            }
            guard value.map.isWithinFloatRange else {
                throw NodeProblem("folding this node into the layers before it gives weights beyond Float32's range (or NaN), where an ONNX runtime overflows")
            }
            try Self.checkComputedSize(value.shape)
            // A value still folded onto an input's source carries that input's origins.
            let folded = inputs.compactMap { input -> ComputedValue? in
                if case .computed(let computed)? = input, computed.source == value.source { return computed }
                return nil
            }
            if !folded.isEmpty { value.origins = Self.mergedOrigins(folded.map(\.origins), label) }
            define(name, .computed(value))
        }
    }

    /// The origins of a value folded from `lists`, then `label`: each once, in order, and at
    /// most ``originLimit`` of them (the first ones, an ellipsis, the last ones), so that a long
    /// chain of folded nodes costs linear time and a readable line.
    static func mergedOrigins(_ lists: [[String]], _ label: String) -> [String] {
        var seen: Set<String> = []
        var merged: [String] = []
        for origin in lists.joined() + [label] where seen.insert(origin).inserted { merged.append(origin) }
        guard merged.count > originLimit else { return merged }
        let head = originLimit / 2
        return Array(merged.prefix(head)) + ["…"] + Array(merged.suffix(originLimit - head - 1))
    }

    static let originLimit = 12

    /// The most values a tensor computed from the input may have (2^24, about 16.8 million:
    /// far beyond the networks people verify, and far below what would exhaust memory).
    static let maximumComputedElements = 1 << 24

    /// Throws unless a computed tensor of `shape` stays within ``maximumComputedElements``.
    static func checkComputedSize(_ shape: [Int]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), let count = ConstantTensor.elementCount(shape), count <= maximumComputedElements else {
            throw NodeProblem("a tensor of shape \(shape) is larger than Verdict handles (at most \(maximumComputedElements) values)")
        }
    }

    /// The most entries of a dense matrix folded from linear operators (2^28, 2 GiB).
    static let maximumMatrixEntries = 1 << 28

    /// Throws unless a `rows x columns` dense matrix stays within ``maximumMatrixEntries``.
    static func checkMatrixSize(rows: Int, columns: Int) throws {
        let (entries, overflow) = rows.multipliedReportingOverflow(by: columns)
        guard !overflow, entries <= maximumMatrixEntries else {
            throw NodeProblem("folding this node would build a \(rows) x \(columns) dense matrix, larger than Verdict handles (\(maximumMatrixEntries) entries)")
        }
    }

    typealias Rule = @Sendable (inout GraphImporter, OperatorNode) throws -> [ImportedValue]

    /// Operator name → folding rule.
    static let rules: [String: Rule] = {
        var rules: [String: Rule] = [:]
        for (name, rule) in linearOperatorRules { rules[name] = rule }
        for (name, rule) in elementwiseOperatorRules { rules[name] = rule }
        for (name, rule) in shapeOperatorRules { rules[name] = rule }
        for (name, rule) in activationOperatorRules { rules[name] = rule }
        for (name, rule) in windowOperatorRules { rules[name] = rule }
        return rules
    }()
}

/// One ONNX node with its inputs looked up; `nil` stands for an omitted optional input.
struct OperatorNode {
    let proto: Onnx_NodeProto
    let inputs: [ImportedValue?]

    var opType: String { proto.opType }

    func input(_ index: Int) throws -> ImportedValue {
        guard index < inputs.count, let value = inputs[index] else {
            throw NodeProblem("\(opType) needs input \(index + 1), which is missing")
        }
        return value
    }

    func optionalInput(_ index: Int) -> ImportedValue? {
        index < inputs.count ? inputs[index] : nil
    }

    func constantInput(_ index: Int, role: String) throws -> ConstantTensor {
        guard case .constant(let tensor) = try input(index) else {
            throw NodeProblem("\(opType) needs a constant \(role); a tensor computed from the network input is not supported there")
        }
        return tensor
    }

    func attribute(_ name: String) -> Onnx_AttributeProto? {
        proto.attribute.first { $0.name == name }
    }

    func integer(_ name: String, default value: Int) -> Int {
        attribute(name).map { Int($0.i) } ?? value
    }

    /// A float attribute, which must be finite: a NaN `alpha` would make every output NaN.
    func float(_ name: String, default value: Double) throws -> Double {
        guard let attribute = attribute(name) else { return value }
        guard attribute.f.isFinite else { throw NodeProblem("\(opType) attribute '\(name)' is \(attribute.f), not a finite number") }
        return Double(attribute.f)
    }

    func integers(_ name: String) -> [Int]? {
        attribute(name).map { $0.ints.map { Int($0) } }
    }
}
