import VerdictCore

/// Interval arithmetic through one affine stage, with its rounding allowance.
enum IntervalPass {
    /// Bounds of `W x + b` for `x` in `[lower, upper]`; `weightedMagnitude` is `|W|·max(|lower|, |upper|)`.
    static func stage(
        _ affine: BoundNetwork.AffineStage, lower: [Double], upper: [Double], weightedMagnitude: [Double],
        allowance: RoundingAllowance
    ) -> (lower: [Double], upper: [Double]) {
        let inputs = affine.inputCount
        let gamma = allowance.gamma(inputs + 1)
        var outLower = [Double](repeating: 0, count: affine.outputCount)
        var outUpper = outLower
        affine.weights.withUnsafeBufferPointer { weights in
            for o in 0..<affine.outputCount {
                var low = affine.bias[o], high = affine.bias[o]
                let row = o * inputs
                for i in 0..<inputs {
                    let w = weights[row + i]
                    if w >= 0 {
                        low += w * lower[i]
                        high += w * upper[i]
                    } else {
                        low += w * upper[i]
                        high += w * lower[i]
                    }
                }
                let error = gamma * (affine.bias[o].magnitude + weightedMagnitude[o])
                outLower[o] = allowance.lowered(low, by: error)
                outUpper[o] = -allowance.lowered(-high, by: error)
            }
        }
        return (outLower, outUpper)
    }

    /// `|W|·m`, rounded up.
    static func weightedMagnitude(_ affine: BoundNetwork.AffineStage, magnitudes: [Double]) -> [Double] {
        let inputs = affine.inputCount
        var result = [Double](repeating: 0, count: affine.outputCount)
        affine.absoluteWeights.withUnsafeBufferPointer { weights in
            magnitudes.withUnsafeBufferPointer { m in
                for o in 0..<affine.outputCount {
                    result[o] = DenseKernels.dot(weights.baseAddress! + o * inputs, m.baseAddress!, count: inputs)
                }
            }
        }
        // All terms are non-negative: a relative γ_n covers the rounding of the sum.
        let factor = 1 + 2 * RoundingAllowance.double.gamma(inputs + 1)
        return result.map { $0 * factor }
    }
}
