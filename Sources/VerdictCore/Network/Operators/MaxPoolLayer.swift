/// ONNX `MaxPool`: the largest input in each window of each channel (padding never wins).
/// Piecewise linear like the ReLU: bounds relax it, and a window whose winner is open is
/// where an exact answer has to branch.
public struct MaxPoolLayer: Layer {
    public let geometry: WindowGeometry
    public let outputShape: TensorShape

    public init(geometry: WindowGeometry, outputShape: TensorShape) {
        precondition(outputShape.elementCount == geometry.channels * geometry.outputPlane, "output shape \(outputShape) does not fit the pooling")
        self.geometry = geometry
        self.outputShape = outputShape
    }

    public var operatorName: String { "MaxPool" }
    public var inputCount: Int { geometry.channels * geometry.inputPlane }
    public var outputCount: Int { outputShape.elementCount }

    public func problemWithInputs(_ shapes: [TensorShape]) -> String? {
        guard shapes.count == 1 else { return "MaxPool takes one input, got \(shapes.count)" }
        guard shapes[0].elementCount == inputCount else { return "MaxPool expects \(inputCount) inputs, got shape \(shapes[0])" }
        return nil
    }

    /// For each output, the flat input indices of its window (padding left out).
    public var windows: [[Int]] {
        let g = geometry
        var result = [[Int]](repeating: [], count: outputCount)
        for c in 0..<g.channels {
            g.forEachTap { op, ip, _ in result[c * g.outputPlane + op].append(c * g.inputPlane + ip) }
        }
        return result
    }

    /// The most windows one input belongs to: how many coefficients a backward step may sum
    /// into one input (what the bound rules' rounding allowances count).
    public var overlap: Int {
        var counts = [Int](repeating: 0, count: inputCount)
        for window in windows { for i in window { counts[i] += 1 } }
        return counts.max() ?? 1
    }

    public func evaluate(_ inputs: [[Double]]) -> [Double] { pool(inputs[0]) }
    public func evaluate(_ inputs: [[Float]]) -> [Float] { pool(inputs[0]) }

    private func pool<T: BinaryFloatingPoint>(_ input: [T]) -> [T] {
        let g = geometry
        var output = [T](repeating: -.infinity, count: outputCount)
        for c in 0..<g.channels {
            let out = c * g.outputPlane, plane = c * g.inputPlane
            g.forEachTap { op, ip, _ in
                let value = input[plane + ip]
                // NaN propagates, as in onnxruntime.
                if value.isNaN || value > output[out + op] { output[out + op] = value }
            }
        }
        return output
    }

    public var description: String {
        let g = geometry
        return "MaxPool \(g.channels)x\(g.height)x\(g.width) → \(g.channels)x\(g.outputHeight)x\(g.outputWidth) (window \(g.kernel[0])x\(g.kernel[1]), stride \(g.stride[0])x\(g.stride[1]))"
    }
}
