/// `y = W x + b`: the layer every linear ONNX operator (Gemm, MatMul, Add, Sub, Mul, Div by
/// constants, Flatten, Reshape, Transpose) is folded into at import.
public struct AffineLayer: Layer {
    /// `outputCount x inputCount`.
    public let weights: Matrix
    public let bias: [Double]
    public let outputShape: TensorShape
    /// The same parameters rounded to `Float`, for Float32 evaluation. When the weights come
    /// straight from an ONNX file they are exactly the file's values.
    public let floatWeights: [Float]
    public let floatBias: [Float]

    public init(weights: Matrix, bias: [Double], outputShape: TensorShape? = nil) {
        precondition(bias.count == weights.rows, "bias has \(bias.count) values for \(weights.rows) outputs")
        self.weights = weights
        self.bias = bias
        self.outputShape = outputShape ?? TensorShape([weights.rows])
        precondition(self.outputShape.elementCount == weights.rows, "output shape \(self.outputShape) for \(weights.rows) outputs")
        self.floatWeights = weights.values.map { Float($0) }
        self.floatBias = bias.map { Float($0) }
    }

    public var operatorName: String { "Affine" }
    public var inputCount: Int { weights.columns }
    public var outputCount: Int { weights.rows }
    public var parameterCount: Int { weights.values.count + bias.count }

    public func problemWithInputs(_ shapes: [TensorShape]) -> String? {
        guard shapes.count == 1 else { return "Affine takes one input, got \(shapes.count)" }
        guard shapes[0].elementCount == inputCount else {
            return "Affine expects \(inputCount) inputs, got \(shapes[0].elementCount) (shape \(shapes[0]))"
        }
        return nil
    }

    public func evaluate(_ inputs: [[Double]]) -> [Double] {
        var output = weights.multiplied(by: inputs[0])
        for index in output.indices { output[index] += bias[index] }
        return output
    }

    /// Several samples at once: `W · [x₁ … xₙ]`, one matrix product.
    public func evaluate(batch: [[[Double]]]) -> [[Double]] {
        guard batch.count > 1 else { return batch.map { evaluate($0) } }
        let n = inputCount, outputs = outputCount, samples = batch.count
        var columns = [Double](repeating: 0, count: n * samples)
        for (s, sample) in batch.enumerated() { for i in 0..<n { columns[i * samples + s] = sample[0][i] } }
        var product = [Double](repeating: 0, count: outputs * samples)
        weights.values.withUnsafeBufferPointer { w in
            columns.withUnsafeBufferPointer { x in
                product.withUnsafeMutableBufferPointer { out in
                    MatrixProduct.multiply(
                        m: outputs, n: samples, k: n, w.baseAddress!, rowStride: n, x.baseAddress!, rowStride: samples,
                        into: out.baseAddress!, rowStride: samples, accumulate: false)
                }
            }
        }
        return (0..<samples).map { s in (0..<outputs).map { o in product[o * samples + s] + bias[o] } }
    }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        let input = inputs[0]
        let columns = inputCount
        var output = floatBias
        floatWeights.withUnsafeBufferPointer { matrix in
            for row in 0..<outputCount {
                var sum: Float = 0
                let offset = row * columns
                for column in 0..<columns { sum += matrix[offset + column] * input[column] }
                output[row] += sum
            }
        }
        return output
    }

    public var description: String { "Affine \(inputCount) → \(outputCount)" }
}
