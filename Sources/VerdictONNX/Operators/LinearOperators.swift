import VerdictCore

/// MatMul and Gemm with one constant operand: folded into the pending affine map.
extension GraphImporter {
    static let linearOperatorRules: [String: Rule] = [
        "MatMul": { importer, node in
            [try matrixProduct(try node.input(0), try node.input(1), opType: node.opType, importer: importer)]
        },
        "Gemm": { importer, node in
            // Y = alpha · A' · B' + beta · C, with A' = transpose(A) if transA, B' likewise.
            guard case .computed(var a) = try node.input(0) else {
                throw NodeProblem("Gemm needs its first input computed from the network input and the second constant")
            }
            var b = try node.constantInput(1, role: "second input (weights)").floating("second input (weights)")
            guard a.shape.count == 2, b.shape.count == 2 else {
                throw NodeProblem("Gemm expects 2-D inputs, got \(a.shape) and \(b.shape)")
            }
            if node.integer("transA", default: 0) != 0 { a = try transposed(a, permutation: [1, 0]) }
            if node.integer("transB", default: 0) != 0 { b = transposed(b, permutation: [1, 0]) }
            let alpha = try node.float("alpha", default: 1), beta = try node.float("beta", default: 1)
            if alpha != 1 { b.values = b.values.map { $0 * alpha } }
            guard case .computed(var product) = try matrixProduct(.computed(a), .constant(b), opType: "Gemm", importer: importer, alpha: alpha) else {
                preconditionFailure("a product with a computed operand is computed")
            }
            if case .constant(let c)? = node.optionalInput(2) {
                _ = try c.floating("third input (C)")
                guard let shift = Broadcasting.expand(c.values.map { $0 * beta }, shape: c.shape, to: product.shape) else {
                    throw NodeProblem("Gemm's C of shape \(c.shape) does not broadcast to \(product.shape)")
                }
                // The runtime adds beta · C, itself rounded when beta is not 1.
                product = importer.scaled(
                    product, scale: Array(repeating: 1, count: shift.count), shift: shift, roundings: beta == 1 ? 1 : 2,
                    shiftMagnitude: beta == 1 ? nil : shift.map(\.magnitude))
            } else if node.optionalInput(2) != nil {
                throw NodeProblem("Gemm needs a constant C")
            }
            return [.computed(product)]
        },
    ]

    /// NumPy `matmul` where at most one operand is computed.
    /// `importer` tracks the rounding of the products; `alpha` is Gemm's, already in the
    /// constant operand (the runtime multiplies by it after summing: one rounding more).
    static func matrixProduct(_ left: ImportedValue, _ right: ImportedValue, opType: String, importer: GraphImporter, alpha: Double = 1) throws -> ImportedValue {
        let extra = alpha != 1 ? 1 : 0
        switch (left, right) {
        case (.computed(let a), .constant(let b)):
            guard let n = a.shape.last, b.shape.first == n, b.shape.count <= 2 else {
                throw NodeProblem("\(opType) of shapes \(a.shape) and \(b.shape) is not supported")
            }
            _ = try b.floating("constant operand")
            let rows = a.elementCount / max(n, 1)
            let m = b.shape.count == 2 ? b.shape[1] : 1
            try checkMatrixSize(rows: rows * m, columns: rows * n)
            try checkMatrixSize(rows: rows * m, columns: a.sourceCount)
            var matrix = Matrix(rows: rows * m, columns: rows * n)
            for r in 0..<rows {
                for k in 0..<n {
                    for j in 0..<m { matrix[r * m + j, r * n + k] = b.values[k * m + j] }
                }
            }
            var shape = Array(a.shape.dropLast())
            if b.shape.count == 2 { shape.append(m) }
            var result = ComputedValue(
                source: a.source, sourceCount: a.sourceCount, shape: shape,
                map: a.map.followed(byMatrix: matrix, bias: Array(repeating: 0, count: matrix.rows)))
            (result.error, result.peak) = importer.multiplied(a, by: matrix, fanIn: n + extra, alpha: alpha)
            result.lastFanIn = importer.format == nil ? nil : n + extra
            return .computed(result)
        case (.constant(let a), .computed(let b)):
            guard a.shape.count <= 2, let n = a.shape.last, b.shape.first == n, b.shape.count <= 2 else {
                throw NodeProblem("\(opType) of shapes \(a.shape) and \(b.shape) is not supported")
            }
            _ = try a.floating("constant operand")
            let m = a.shape.count == 2 ? a.shape[0] : 1
            let p = b.shape.count == 2 ? b.shape[1] : 1
            try checkMatrixSize(rows: m * p, columns: n * p)
            try checkMatrixSize(rows: m * p, columns: b.sourceCount)
            var matrix = Matrix(rows: m * p, columns: n * p)
            for i in 0..<m {
                for k in 0..<n {
                    for j in 0..<p { matrix[i * p + j, k * p + j] = a.values[i * n + k] }
                }
            }
            var shape: [Int] = []
            if a.shape.count == 2 { shape.append(m) }
            if b.shape.count == 2 { shape.append(p) }
            var result = ComputedValue(
                source: b.source, sourceCount: b.sourceCount, shape: shape,
                map: b.map.followed(byMatrix: matrix, bias: Array(repeating: 0, count: matrix.rows)))
            (result.error, result.peak) = importer.multiplied(b, by: matrix, fanIn: n + extra, alpha: alpha)
            result.lastFanIn = importer.format == nil ? nil : n + extra
            return .computed(result)
        case (.constant(let a), .constant(let b)):
            guard a.shape.count == 2, b.shape.count == 2, a.shape[1] == b.shape[0] else {
                throw NodeProblem("\(opType) of constant shapes \(a.shape) and \(b.shape) is not supported")
            }
            guard a.isInteger == b.isInteger else { throw NodeProblem("\(opType) of an integer and a floating-point tensor") }
            if importer.format != nil && !a.isInteger {
                throw NodeProblem("\(opType) of two constants is summed by the runtime in an order Verdict cannot know, so a float query over it cannot be answered soundly")
            }
            try checkMatrixSize(rows: a.shape[0], columns: b.shape[1])
            let product = Matrix(rows: a.shape[0], columns: a.shape[1], values: a.values)
                .multiplied(by: Matrix(rows: b.shape[0], columns: b.shape[1], values: b.values))
            return .constant(ConstantTensor(shape: [a.shape[0], b.shape[1]], values: product.values, isInteger: a.isInteger))
        case (.computed, .computed):
            throw NodeProblem("\(opType) of two tensors computed from the input is not linear; not supported")
        }
    }
}
