import VerdictCore

/// `y = W x + b` (Gemm, MatMul and the linear operators folded into them): interval
/// arithmetic split by the weights' signs, rows passed back as `A·W`.
struct AffineOperator: BoundOperator {
    let affine: AffineLayer
    let absoluteWeights: [Double]
    let positiveWeights: [Double]
    let negativeWeights: [Double]

    init(_ affine: AffineLayer) {
        self.affine = affine
        absoluteWeights = affine.weights.values.map(\.magnitude)
        positiveWeights = affine.weights.values.map { max($0, 0) }
        negativeWeights = affine.weights.values.map { min($0, 0) }
    }

    var layer: any Layer { affine }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let x = inputs[0], n = affine.inputCount, outputs = affine.outputCount
        let magnitudes = weightedMagnitude ?? self.weightedMagnitude(inputs)!
        // low = W⁺·l + W⁻·u + b and high = W⁺·u + W⁻·l + b, four matrix-vector products.
        var low = affine.bias, high = affine.bias
        func add(_ weights: [Double], _ vector: [Double], into result: inout [Double]) {
            weights.withUnsafeBufferPointer { w in
                vector.withUnsafeBufferPointer { v in
                    result.withUnsafeMutableBufferPointer { r in
                        MatrixProduct.multiply(
                            m: outputs, n: 1, k: n, w.baseAddress!, rowStride: n, v.baseAddress!, rowStride: 1,
                            into: r.baseAddress!, rowStride: 1, accumulate: true)
                    }
                }
            }
        }
        add(positiveWeights, x.lower, into: &low)
        add(negativeWeights, x.upper, into: &low)
        add(positiveWeights, x.upper, into: &high)
        add(negativeWeights, x.lower, into: &high)
        // Each output sums n products, the bias and the two partial sums.
        let gamma = Rounding.double.gamma(n + 3)
        var result = ValueBounds(lower: low, upper: high)
        for o in 0..<outputs {
            (result.lower[o], result.upper[o]) = Rounding.widened(low[o], high[o], error: gamma * (affine.bias[o].magnitude + magnitudes[o]))
        }
        return result
    }

    func weightedMagnitude(_ inputs: [ValueBounds]) -> [Double]? {
        let m = inputs[0].magnitude, n = affine.inputCount
        let factor = 1 + 2 * Rounding.double.gamma(n + 1)
        return absoluteWeights.withUnsafeBufferPointer { w in
            m.withUnsafeBufferPointer { m in
                (0..<affine.outputCount).map { DenseKernels.dot(w.baseAddress! + $0 * n, m.baseAddress!, count: n) * factor }
            }
        }
    }

    /// Rows pass back as `A·W`: one matrix product for the whole block when a quarter or more
    /// of its coefficients are nonzero, otherwise a scaled row of `W` per nonzero coefficient
    /// (unit rows, rows of a few neurons).
    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        backward(rows, segments: [RowSegment(rows: 0..<rows.rows, context: context)])
    }

    /// The same for several subproblems' rows: one product for all, each row's allowance
    /// from its own subproblem's magnitudes.
    func backward(_ rows: RowBlock, segments: [RowSegment]) -> BackwardStep {
        let n = affine.inputCount, outputs = affine.outputCount
        var step = BackwardStep(inputs: [RowBlock(rows: rows.rows, width: n)], rows: rows.rows)
        let productGamma = Rounding.double.gamma(outputs + 2), biasGamma = Rounding.double.gamma(outputs + 1)
        var nonzero = 0
        for segment in segments {
            let magnitudes = segment.context.weightedMagnitude!
            for r in segment.rows {
                var constant = 0.0, constantMagnitude = 0.0, product = 0.0
                for o in 0..<outputs {
                    let a = rows.values[r * outputs + o]
                    if a == 0 { continue }
                    nonzero += 1
                    constant += a * affine.bias[o]
                    constantMagnitude += (a * affine.bias[o]).magnitude
                    product += a.magnitude * magnitudes[o]
                }
                step.constants[r] = constant
                step.constantMagnitude[r] = constantMagnitude
                step.errors[r] = productGamma * product + biasGamma * constantMagnitude
            }
        }
        affine.weights.values.withUnsafeBufferPointer { w in
            rows.values.withUnsafeBufferPointer { a in
                step.inputs[0]!.values.withUnsafeMutableBufferPointer { out in
                    if 4 * nonzero >= rows.rows * outputs {
                        MatrixProduct.multiply(
                            m: rows.rows, n: n, k: outputs, a.baseAddress!, rowStride: outputs, w.baseAddress!, rowStride: n,
                            into: out.baseAddress!, rowStride: n, accumulate: false)
                        return
                    }
                    for r in 0..<rows.rows {
                        for o in 0..<outputs where a[r * outputs + o] != 0 {
                            DenseKernels.axpy(a[r * outputs + o], w.baseAddress! + o * n, out.baseAddress! + r * n, count: n)
                        }
                    }
                }
            }
        }
        return step
    }

    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]] {
        let n = affine.inputCount
        var result = [Double](repeating: 0, count: n)
        for o in 0..<affine.outputCount where upstream[o] != 0 {
            for i in 0..<n { result[i] += upstream[o] * affine.weights.values[o * n + i] }
        }
        return [result]
    }
}
