import VerdictCore

/// Add, Sub, Mul, Div with a constant, and BatchNormalization: elementwise affine maps.
extension GraphImporter {
    static let elementwiseOperatorRules: [String: Rule] = [
        "Add": { importer, node in [try elementwise(node, .add, importer: &importer)] },
        "Sub": { importer, node in [try elementwise(node, .subtract, importer: &importer)] },
        "Mul": { importer, node in [try elementwise(node, .multiply, importer: &importer)] },
        "Div": { importer, node in [try elementwise(node, .divide, importer: &importer)] },
        "BatchNormalization": { importer, node in
            // y = scale · (x - mean) / sqrt(variance + epsilon) + bias, per channel (axis 1).
            guard case .computed(let x) = try node.input(0) else { throw NodeProblem("BatchNormalization of a constant is not supported") }
            let gamma = try node.constantInput(1, role: "scale").floating("scale")
            let beta = try node.constantInput(2, role: "bias").floating("bias")
            let mean = try node.constantInput(3, role: "mean").floating("mean")
            let variance = try node.constantInput(4, role: "variance").floating("variance")
            let epsilon = try node.float("epsilon", default: 1e-5)
            // Training mode normalizes by the batch's statistics; spatial 0 (opsets before 9)
            // keeps statistics per element: neither is the per-channel map below.
            guard node.integer("training_mode", default: 0) == 0 else { throw NodeProblem("BatchNormalization in training mode is not supported") }
            guard node.integer("spatial", default: 1) == 1 else { throw NodeProblem("BatchNormalization with spatial 0 is not supported") }
            guard x.shape.count >= 2 else { throw NodeProblem("BatchNormalization needs an input with a channel axis, got \(x.shape)") }
            let channels = x.shape[1]
            guard [gamma, beta, mean, variance].allSatisfy({ $0.elementCount == channels }) else {
                throw NodeProblem("BatchNormalization parameters must have \(channels) values")
            }
            let channelScale = (0..<channels).map { gamma.values[$0] / (variance.values[$0] + epsilon).squareRoot() }
            let channelShift = (0..<channels).map { beta.values[$0] - mean.values[$0] * channelScale[$0] }
            let perChannel = [channels] + Array(repeating: 1, count: x.shape.count - 2)
            let scale = Broadcasting.expand(channelScale, shape: perChannel, to: x.shape)!
            let shift = Broadcasting.expand(channelShift, shape: perChannel, to: x.shape)!
            // The runtime's (x - mean) / sqrt(variance + epsilon) · scale + bias: a few roundings
            // on operands up to |x|, |mean| and |bias|; its intermediate (x - mean) / sqrt(...)
            // raises the peak, and the underflow of that quotient is multiplied by |scale|.
            guard let format = importer.format else { return [.computed(importer.scaled(x, scale: scale, shift: shift))] }
            let inverse = (0..<channels).map { 1 / (variance.values[$0] + epsilon).squareRoot() }
            guard (gamma.values + beta.values + mean.values + variance.values + channelScale + inverse).allSatisfy({ $0.magnitude <= format.largest / 4 }) else {
                throw NodeProblem("BatchNormalization parameters near the largest \(format.name) could overflow; a float query over this model is not supported")
            }
            let expand = { (values: [Double]) in Broadcasting.expand(values, shape: perChannel, to: x.shape)! }
            let meanTerm = expand((0..<channels).map { (mean.values[$0] * channelScale[$0]).magnitude + beta.values[$0].magnitude })
            var result = importer.scaled(
                x, scale: scale, shift: shift, roundings: 8, shiftMagnitude: meanTerm,
                underflowScale: max(1, gamma.values.map(\.magnitude).max() ?? 1))
            let quotient = x.map.absolute.followed(byScale: expand(inverse), shift: expand((0..<channels).map { mean.values[$0].magnitude * inverse[$0] }))
            result.peak = result.peak.raised(by: quotient, inputCount: x.sourceCount)
            return [.computed(result)]
        },
    ]

    enum ElementwiseOperation {
        case add, subtract, multiply, divide

        func apply(_ a: Double, _ b: Double) -> Double {
            switch self {
            case .add: return a + b
            case .subtract: return a - b
            case .multiply: return a * b
            case .divide: return a / b
            }
        }
    }

    static func elementwise(_ node: OperatorNode, _ operation: ElementwiseOperation, importer: inout GraphImporter) throws -> ImportedValue {
        let left = try node.input(0), right = try node.input(1)
        guard let shape = Broadcasting.shape(left.shape, right.shape) else {
            throw NodeProblem("\(node.opType) of shapes \(left.shape) and \(right.shape) does not broadcast")
        }
        switch (left, right) {
        case (.constant(let a), .constant(let b)):
            try checkComputedSize(shape)
            let x = Broadcasting.expand(a.values, shape: a.shape, to: shape)!
            let y = Broadcasting.expand(b.values, shape: b.shape, to: shape)!
            guard a.isInteger == b.isInteger else { throw NodeProblem("\(node.opType) of an integer and a floating-point tensor") }
            if a.isInteger && operation == .divide {
                // ONNX integer division truncates toward zero.
                guard y.allSatisfy({ $0 != 0 }) else { throw NodeProblem("integer Div by zero") }
                return .constant(ConstantTensor(shape: shape, values: zip(x, y).map { ($0 / $1).rounded(.towardZero) }, isInteger: true))
            }
            // A float runtime computes this once, rounded to its type (one correctly rounded
            // operation: the Double result rounded to Float is the float result).
            let exact = zip(x, y).map(operation.apply)
            let values = importer.format?.roundsToFloat == true && !a.isInteger ? exact.map { Double(Float($0)) } : exact
            return .constant(ConstantTensor(shape: shape, values: values, isInteger: a.isInteger))
        case (.computed(let value), .constant(let constant)), (.constant(let constant), .computed(let value)):
            let computedFirst: Bool
            if case .computed = left { computedFirst = true } else { computedFirst = false }
            _ = try constant.floating("constant operand")
            guard shape == value.shape else {
                throw NodeProblem("\(node.opType) would broadcast a computed tensor of shape \(value.shape) to \(shape); not supported")
            }
            let c = Broadcasting.expand(constant.values, shape: constant.shape, to: shape)!
            let ones = [Double](repeating: 1, count: c.count), zeros = [Double](repeating: 0, count: c.count)
            switch (operation, computedFirst) {
            case (.add, _): return .computed(importer.scaled(value, scale: ones, shift: c))
            case (.subtract, true): return .computed(importer.scaled(value, scale: ones, shift: c.map { -$0 }))
            case (.subtract, false): return .computed(importer.scaled(value, scale: ones.map { -$0 }, shift: c))
            case (.multiply, _): return .computed(importer.scaled(value, scale: c, shift: zeros))
            case (.divide, true):
                guard c.allSatisfy({ $0 != 0 }) else { throw NodeProblem("Div by a constant that contains zero") }
                return .computed(importer.scaled(value, scale: c.map { 1 / $0 }, shift: zeros))
            case (.divide, false):
                throw NodeProblem("Div of a constant by a computed tensor is not linear; not supported")
            }
        case (.computed(let a), .computed(let b)):
            guard operation == .add || operation == .subtract else {
                throw NodeProblem("\(node.opType) of two tensors computed from the input is not linear; not supported")
            }
            guard a.shape == b.shape else {
                throw NodeProblem("\(node.opType) of computed tensors of shapes \(a.shape) and \(b.shape) would broadcast; not supported")
            }
            guard a.source == b.source else {
                // A residual connection: both branches become values of the graph, joined here.
                let inputs = [importer.materialize(a), importer.materialize(b)]
                let sum = importer.append(
                    SumLayer(outputShape: TensorShape(a.shape), subtracting: operation == .subtract), inputs: inputs,
                    rounding: importer.rounding { .sum($0, terms: max(a.lastFanIn ?? 0, b.lastFanIn ?? 0) + 1) })
                return .computed(ComputedValue(source: sum, sourceCount: a.elementCount, shape: a.shape, map: .identity))
            }
            try checkMatrixSize(rows: a.elementCount, columns: a.sourceCount)
            let (ma, ba) = a.map.denseForm(inputCount: a.sourceCount)
            let (mb, bb) = b.map.denseForm(inputCount: b.sourceCount)
            let sign: Double = operation == .add ? 1 : -1
            let sum = Matrix(rows: ma.rows, columns: ma.columns, values: zip(ma.values, mb.values).map { $0 + sign * $1 })
            var result = a
            result.map = .dense(sum, bias: zip(ba, bb).map { $0 + sign * $1 })
            (result.error, result.peak) = importer.combinedError(a, b)
            return .computed(result)
        }
    }
}
