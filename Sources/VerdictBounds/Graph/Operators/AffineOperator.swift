import VerdictCore

/// `y = W x + b` (Gemm, MatMul and the linear operators folded into them): interval
/// arithmetic split by the weights' signs, rows passed back as `A·W`.
struct AffineOperator: BoundOperator {
    let affine: AffineLayer
    let absoluteWeights: [Double]

    init(_ affine: AffineLayer) {
        self.affine = affine
        absoluteWeights = affine.weights.values.map(\.magnitude)
    }

    var layer: any Layer { affine }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let x = inputs[0], n = affine.inputCount, weights = affine.weights.values
        let magnitudes = weightedMagnitude ?? self.weightedMagnitude(inputs)!
        let gamma = Rounding.double.gamma(n + 1)
        var result = ValueBounds(lower: affine.bias, upper: affine.bias)
        for o in 0..<affine.outputCount {
            var low = affine.bias[o], high = affine.bias[o]
            let row = o * n
            for i in 0..<n {
                let w = weights[row + i]
                if w >= 0 { low += w * x.lower[i]; high += w * x.upper[i] } else { low += w * x.upper[i]; high += w * x.lower[i] }
            }
            (result.lower[o], result.upper[o]) = Rounding.widened(low, high, error: gamma * (affine.bias[o].magnitude + magnitudes[o]))
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

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        let n = affine.inputCount, outputs = affine.outputCount
        var step = BackwardStep(inputs: [RowBlock(rows: rows.rows, width: n)], rows: rows.rows)
        let productGamma = Rounding.double.gamma(outputs + 2), biasGamma = Rounding.double.gamma(outputs + 1)
        let magnitudes = context.weightedMagnitude!
        affine.weights.values.withUnsafeBufferPointer { w in
            step.inputs[0]!.values.withUnsafeMutableBufferPointer { out in
                for r in 0..<rows.rows {
                    var constant = 0.0, constantMagnitude = 0.0, product = 0.0
                    for o in 0..<outputs {
                        let a = rows.values[r * outputs + o]
                        if a == 0 { continue }
                        constant += a * affine.bias[o]
                        constantMagnitude += (a * affine.bias[o]).magnitude
                        product += a.magnitude * magnitudes[o]
                        DenseKernels.axpy(a, w.baseAddress! + o * n, out.baseAddress! + r * n, count: n)
                    }
                    step.constants[r] = constant
                    step.constantMagnitude[r] = constantMagnitude
                    step.errors[r] = productGamma * product + biasGamma * constantMagnitude
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
