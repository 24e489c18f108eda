/// `y = a + b` or `y = a - b` of two computed tensors of the same shape: the join of a
/// residual connection (ONNX `Add`/`Sub` of two tensors computed from the input).
public struct SumLayer: Layer {
    /// The sign of the second input: +1 for Add, -1 for Sub.
    public let secondSign: Double
    public let outputShape: TensorShape

    public init(outputShape: TensorShape, subtracting: Bool = false) {
        self.outputShape = outputShape
        self.secondSign = subtracting ? -1 : 1
    }

    public var operatorName: String { secondSign > 0 ? "Add" : "Sub" }

    public func problemWithInputs(_ shapes: [TensorShape]) -> String? {
        guard shapes.count == 2 else { return "\(operatorName) takes two inputs, got \(shapes.count)" }
        guard shapes.allSatisfy({ $0.elementCount == outputShape.elementCount }) else {
            return "\(operatorName) of shapes \(shapes[0]) and \(shapes[1]) into \(outputShape)"
        }
        return nil
    }

    public func evaluate(_ inputs: [[Double]]) -> [Double] {
        secondSign > 0 ? zip(inputs[0], inputs[1]).map(+) : zip(inputs[0], inputs[1]).map(-)
    }

    public func evaluate(_ inputs: [[Float]]) -> [Float] {
        secondSign > 0 ? zip(inputs[0], inputs[1]).map(+) : zip(inputs[0], inputs[1]).map(-)
    }

    public var description: String { "\(operatorName) of two \(outputShape)" }
}
