import VerdictCore

/// Random small ReLU networks for property-based tests.
public enum RandomNetworks {
    /// A chain of affine layers of the given widths with ReLUs between them; weights are
    /// Float32 values (like a real ONNX file) drawn from a scaled uniform distribution.
    public static func multilayerPerceptron(widths: [Int], generator: inout SeededGenerator) throws -> Network {
        var layers: [any Layer] = []
        for index in 0..<(widths.count - 1) {
            let rows = widths[index + 1], columns = widths[index]
            let scale = 1.5 / Double(columns).squareRoot()
            let weights = (0..<(rows * columns)).map { _ in Double(Float(Double.random(in: -scale...scale, using: &generator))) }
            let bias = (0..<rows).map { _ in Double(Float(Double.random(in: -0.5...0.5, using: &generator))) }
            layers.append(AffineLayer(weights: Matrix(rows: rows, columns: columns, values: weights), bias: bias))
            if index < widths.count - 2 { layers.append(ReLULayer(shape: TensorShape([rows]))) }
        }
        return try Network(inputShape: TensorShape([widths[0]]), sequence: layers)
    }
}
