import VerdictCore

/// A convolution (or average pool) kept structured: intervals by convolving the bounds with
/// the weights' positive and negative parts, rows passed back by the transposed convolution,
/// which touches only the receptive field of each non-zero coefficient.
struct ConvOperator: BoundOperator {
    let conv: ConvLayer
    let absoluteWeights: [Double]
    /// `W⁺` and `W⁻` stacked: one product per bound gives both halves.
    let signedWeights: [Double]

    init(_ conv: ConvLayer) {
        self.conv = conv
        absoluteWeights = conv.weights.map(\.magnitude)
        signedWeights = conv.stacked([conv.weights.map { max($0, 0) }, conv.weights.map { min($0, 0) }])
    }

    var layer: any Layer { conv }

    /// `low = W⁺l + W⁻u + b` and `high = W⁺u + W⁻l + b`, from two stacked convolutions (one
    /// of `l`, one of `u`). Each output sums at most fanIn nonzero products (`W⁺` and `W⁻` do
    /// not overlap), then the two partial sums and the bias: `γ(fanIn + 3)` covers it.
    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let x = inputs[0]
        let fromLower = conv.apply(x.lower, stackedWeights: signedWeights, sets: 2)
        let fromUpper = conv.apply(x.upper, stackedWeights: signedWeights, sets: 2)
        let magnitudes = weightedMagnitude ?? self.weightedMagnitude(inputs)!
        let gamma = Rounding.double.gamma(conv.fanIn + 3)
        let plane = conv.geometry.outputPlane
        var result = ValueBounds(lower: fromLower[0], upper: fromUpper[0])
        for o in 0..<conv.outputCount {
            let bias = conv.bias[o / plane]
            let low = (fromLower[0][o] + fromUpper[1][o]) + bias, high = (fromUpper[0][o] + fromLower[1][o]) + bias
            (result.lower[o], result.upper[o]) = Rounding.widened(low, high, error: gamma * (bias.magnitude + magnitudes[o]))
        }
        return result
    }

    func weightedMagnitude(_ inputs: [ValueBounds]) -> [Double]? {
        let factor = 1 + 2 * Rounding.double.gamma(conv.fanIn + 1)
        return conv.apply(inputs[0].magnitude, weights: absoluteWeights, bias: nil).map { $0 * factor }
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        backward(rows, segments: [RowSegment(rows: 0..<rows.rows, context: context)])
    }

    /// Rows through `Wᵀ` in one batched transposed convolution for every segment; each row
    /// gains `c · b` and the rounding allowance of its own subproblem's magnitudes.
    func backward(_ rows: RowBlock, segments: [RowSegment]) -> BackwardStep {
        let inputs = conv.inputCount, outputs = conv.outputCount, plane = conv.geometry.outputPlane
        var step = BackwardStep(inputs: [RowBlock(rows: rows.rows, width: inputs)], rows: rows.rows)
        // The constant sums each channel's plane, multiplies by the bias and sums the channels.
        let productGamma = Rounding.double.gamma(conv.fanOut + 2), biasGamma = Rounding.double.gamma(plane + conv.outputChannels + 2)
        rows.values.withUnsafeBufferPointer { a in
            for segment in segments {
                segment.context.weightedMagnitude!.withUnsafeBufferPointer { m in
                    for r in segment.rows {
                        let row = a.baseAddress! + r * outputs
                        var constant = 0.0, constantMagnitude = 0.0, product = 0.0
                        for co in 0..<conv.outputChannels {
                            let bias = conv.bias[co], base = co * plane
                            var sum = 0.0, magnitude = 0.0
                            for p in 0..<plane {
                                let c = row[base + p]
                                sum += c
                                magnitude += c.magnitude
                                product += c.magnitude * m[base + p]
                            }
                            // Σ_p c_p·b computed as (Σ_p c_p)·b: the same real number, rounded
                            // within γ(plane + channels + 2)·Σ|c_p·b| in all.
                            constant += sum * bias
                            constantMagnitude += magnitude * bias.magnitude
                        }
                        step.constants[r] = constant
                        step.constantMagnitude[r] = constantMagnitude
                        step.errors[r] = productGamma * product + biasGamma * constantMagnitude
                    }
                }
            }
            step.inputs[0]!.values.withUnsafeMutableBufferPointer { out in
                conv.applyTransposed(rows: a.baseAddress!, count: rows.rows, into: out.baseAddress!)
            }
        }
        return step
    }

    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]] {
        var result = [Double](repeating: 0, count: conv.inputCount)
        upstream.withUnsafeBufferPointer { u in
            result.withUnsafeMutableBufferPointer { out in conv.applyTransposed(u.baseAddress!, into: out.baseAddress!) }
        }
        return [result]
    }
}
