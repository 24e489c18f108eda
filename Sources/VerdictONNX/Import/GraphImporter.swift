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
    private var values: [String: ImportedValue] = [:]
    /// The ONNX node being folded, for the origin of emitted layers.
    var currentOrigin = ""

    init(initializers: [String: ConstantTensor]) {
        for (name, tensor) in initializers { values[name] = .constant(tensor) }
    }

    mutating func defineInput(name: String, shape: [Int]) {
        let count = shape.reduce(1, *)
        values[name] = .computed(ComputedValue(source: .input, sourceCount: count, shape: shape, map: .identity))
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
            origin: value.origins.isEmpty ? currentOrigin : value.origins.joined(separator: ", ")))
        return .node(nodes.count - 1)
    }

    mutating func append(_ layer: any Layer, inputs: [ValueID]) -> ValueID {
        nodes.append(Network.Node(layer: layer, inputs: inputs, origin: currentOrigin))
        return .node(nodes.count - 1)
    }

    /// Applies one ONNX node; `label` names it in the origins of the layers it ends up in.
    mutating func apply(_ node: Onnx_NodeProto, label: String) throws {
        guard let rule = GraphImporter.rules[node.opType], node.domain.isEmpty || node.domain == "ai.onnx" else {
            let domain = node.domain.isEmpty ? "" : " (domain \(node.domain))"
            throw NodeProblem("unsupported operator \(node.opType)\(domain)")
        }
        let inputs = try node.input.map { name -> ImportedValue? in name.isEmpty ? nil : try value(named: name) }
        let outputs = try rule(&self, OperatorNode(proto: node, inputs: inputs))
        for (name, output) in zip(node.output, outputs) where !name.isEmpty {
            guard case .computed(var value) = output else {
                define(name, output)
                continue
            }
            // A value still folded onto an input's source carries that input's origins.
            let folded = inputs.compactMap { input -> ComputedValue? in
                if case .computed(let computed)? = input, computed.source == value.source { return computed }
                return nil
            }
            if !folded.isEmpty {
                value.origins = folded.flatMap(\.origins).reduce(into: []) { if !$0.contains($1) { $0.append($1) } } + [label]
            }
            define(name, .computed(value))
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

    func float(_ name: String, default value: Double) -> Double {
        attribute(name).map { Double($0.f) } ?? value
    }

    func integers(_ name: String) -> [Int]? {
        attribute(name).map { $0.ints.map { Int($0) } }
    }
}
