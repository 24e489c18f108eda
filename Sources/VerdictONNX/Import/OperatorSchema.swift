/// What a node of one ONNX operator may carry, after the ONNX operator specification (opsets
/// 1 to 21): how many inputs and outputs, and which attributes of which type. The importer
/// checks every node against its schema before folding it, so a file Verdict cannot read
/// exactly is refused instead of guessed at: an attribute it does not know (or of the wrong
/// type, or with an empty or repeated name) would otherwise be silently ignored, and the
/// network verified would not be the file's.
struct OperatorSchema {
    typealias Kind = Onnx_AttributeProto.AttributeType

    let inputs: ClosedRange<Int>
    let outputs: ClosedRange<Int>
    /// Attribute name → its type. Attributes the specification allows but Verdict does not
    /// read are listed only where ignoring them is exact (such as Dropout's `seed`).
    let attributes: [String: Kind]
    /// Attributes without a default: a node must give them.
    let required: Set<String>

    init(inputs: ClosedRange<Int>, outputs: ClosedRange<Int> = 1...1, attributes: [String: Kind] = [:], required: Set<String> = []) {
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
        self.required = required
    }

    /// Why `node` does not fit this schema, or nil when it does.
    func problem(with node: Onnx_NodeProto) -> String? {
        // Trailing empty names are omitted optional inputs and outputs.
        let inputCount = (node.input.lastIndex { !$0.isEmpty } ?? -1) + 1
        let outputCount = (node.output.lastIndex { !$0.isEmpty } ?? -1) + 1
        if !inputs.contains(inputCount) { return "\(node.opType) takes \(describe(inputs)) inputs, this node has \(inputCount)" }
        if !outputs.contains(outputCount) { return "\(node.opType) has \(describe(outputs)) outputs, this node names \(outputCount)" }
        var seen: Set<String> = []
        for attribute in node.attribute {
            guard !attribute.name.isEmpty else { return "\(node.opType) has an attribute with an empty name" }
            guard seen.insert(attribute.name).inserted else { return "\(node.opType) has the attribute '\(attribute.name)' twice" }
            guard attribute.refAttrName.isEmpty else { return "attribute '\(attribute.name)' refers to a function attribute, which Verdict does not read" }
            guard let kind = attributes[attribute.name] else {
                return "\(node.opType) has the attribute '\(attribute.name)', which Verdict does not know for this operator"
            }
            // Files from before IR version 2 may leave the type out: then no value field other
            // than the expected one may be set, or the value would be misread.
            guard attribute.type == kind || (attribute.type == .undefined && Self.onlyField(kind, of: attribute)) else {
                return "\(node.opType) attribute '\(attribute.name)' has type \(attribute.type), expected \(kind)"
            }
        }
        if let missing = required.subtracting(seen).sorted().first { return "\(node.opType) needs the attribute '\(missing)'" }
        return nil
    }

    /// Whether an untyped attribute holds nothing but the field of `kind`.
    static func onlyField(_ kind: Kind, of attribute: Onnx_AttributeProto) -> Bool {
        let set: [Kind: Bool] = [
            .float: attribute.f != 0, .int: attribute.i != 0, .string: !attribute.s.isEmpty, .tensor: attribute.hasT,
            .floats: !attribute.floats.isEmpty, .ints: !attribute.ints.isEmpty,
            .strings: !attribute.strings.isEmpty, .graph: attribute.hasG, .tensors: !attribute.tensors.isEmpty,
        ]
        return !set.contains { $0.key != kind && $0.value }
    }

    private func describe(_ range: ClosedRange<Int>) -> String {
        if range.lowerBound == range.upperBound { return "\(range.lowerBound)" }
        return range.upperBound == Int.max ? "at least \(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
    }
}

extension GraphImporter {
    /// The schema of every operator with a folding rule (``rules``); a test checks that the two
    /// tables name the same operators.
    static let schemas: [String: OperatorSchema] = {
        let window: [String: OperatorSchema.Kind] = [
            "auto_pad": .string, "kernel_shape": .ints, "pads": .ints, "strides": .ints, "dilations": .ints, "ceil_mode": .int,
        ]
        let unary = OperatorSchema(inputs: 1...1)
        let binary = OperatorSchema(inputs: 2...2)
        return [
            "Relu": unary, "Sigmoid": unary, "Tanh": unary, "Identity": unary, "GlobalAveragePool": unary,
            "Add": binary, "Sub": binary, "Mul": binary, "Div": binary, "MatMul": binary,
            "Gemm": OperatorSchema(inputs: 2...3, attributes: ["alpha": .float, "beta": .float, "transA": .int, "transB": .int]),
            "BatchNormalization": OperatorSchema(
                inputs: 5...5, outputs: 1...1, attributes: ["epsilon": .float, "momentum": .float, "training_mode": .int, "spatial": .int, "is_test": .int]),
            "Dropout": OperatorSchema(inputs: 1...3, outputs: 1...2, attributes: ["ratio": .float, "seed": .int, "is_test": .int]),
            "Flatten": OperatorSchema(inputs: 1...1, attributes: ["axis": .int]),
            "Reshape": OperatorSchema(inputs: 2...2, attributes: ["allowzero": .int]),
            "Squeeze": OperatorSchema(inputs: 1...2, attributes: ["axes": .ints]),
            "Unsqueeze": OperatorSchema(inputs: 1...2, attributes: ["axes": .ints]),
            "Transpose": OperatorSchema(inputs: 1...1, attributes: ["perm": .ints]),
            "Constant": OperatorSchema(
                inputs: 0...0, attributes: ["value": .tensor, "value_float": .float, "value_floats": .floats, "value_int": .int, "value_ints": .ints]),
            "Shape": OperatorSchema(inputs: 1...1, attributes: ["start": .int, "end": .int]),
            "Cast": OperatorSchema(inputs: 1...1, attributes: ["to": .int, "saturate": .int], required: ["to"]),
            "Gather": OperatorSchema(inputs: 2...2, attributes: ["axis": .int]),
            "Concat": OperatorSchema(inputs: 1...Int.max, attributes: ["axis": .int], required: ["axis"]),
            "Conv": OperatorSchema(inputs: 2...3, attributes: window.merging(["group": .int]) { $1 }.filter { $0.key != "ceil_mode" }),
            "AveragePool": OperatorSchema(inputs: 1...1, attributes: window.merging(["count_include_pad": .int]) { $1 }, required: ["kernel_shape"]),
            "MaxPool": OperatorSchema(inputs: 1...1, outputs: 1...2, attributes: window.merging(["storage_order": .int]) { $1 }, required: ["kernel_shape"]),
            "Pad": OperatorSchema(inputs: 1...3, attributes: ["mode": .string, "pads": .ints, "value": .float]),
        ]
    }()
}
