import VerdictCore

/// Non-linear operators: each ends the pending affine map and emits its own layer.
extension GraphImporter {
    static let activationOperatorRules: [String: Rule] = [
        "Relu": { importer, node in
            guard case .computed(let value) = try node.input(0) else {
                let tensor = try node.constantInput(0, role: "input")
                return [.constant(ConstantTensor(shape: tensor.shape, values: tensor.values.map { max(0, $0) }, isInteger: tensor.isInteger))]
            }
            let source = importer.materialize(value)
            let relu = importer.append(ReLULayer(shape: TensorShape(value.shape)), inputs: [source], rounding: .exact)
            return [.computed(ComputedValue(source: relu, sourceCount: value.elementCount, shape: value.shape, map: .identity))]
        },
        "Sigmoid": sShaped(.sigmoid),
        "Tanh": sShaped(.tanh),
    ]

    /// Sigmoid or Tanh: a constant input is folded, a computed one gets an ``SShapedLayer``.
    private static func sShaped(_ function: SShapedLayer.Function) -> Rule {
        { importer, node in
            guard case .computed(let value) = try node.input(0) else {
                let tensor = try node.constantInput(0, role: "input").floating("input")
                guard importer.format == nil else {
                    throw NodeProblem("\(function) of a constant is the runtime's own exp or tanh, which no standard bounds; a float query over this model is not supported (declare the query real)")
                }
                return [.constant(ConstantTensor(shape: tensor.shape, values: tensor.values.map(function.value)))]
            }
            let source = importer.materialize(value)
            // Its float value is the runtime's exp or tanh, which no standard bounds.
            let layer = importer.append(
                SShapedLayer(function, shape: TensorShape(value.shape)), inputs: [source],
                rounding: .unmodelled("\(function) evaluates the runtime's own exp or tanh, whose rounding no standard bounds"))
            return [.computed(ComputedValue(source: layer, sourceCount: value.elementCount, shape: value.shape, map: .identity))]
        }
    }
}
