/// `y = max(0, x)` elementwise: the piecewise-linear unit branch and bound splits on.
public struct ReLULayer: Layer {
    public let outputShape: TensorShape

    public init(shape: TensorShape) {
        self.outputShape = shape
    }

    public var operatorName: String { "ReLU" }
    public var activationCount: Int { outputShape.elementCount }

    public func problemWithInputs(_ shapes: [TensorShape]) -> String? {
        guard shapes.count == 1 else { return "ReLU takes one input, got \(shapes.count)" }
        guard shapes[0].elementCount == outputShape.elementCount else {
            return "ReLU of \(outputShape.elementCount) units fed \(shapes[0].elementCount) values"
        }
        return nil
    }

    public func evaluate(_ inputs: [[Double]]) -> [Double] { inputs[0].map { max(0, $0) } }
    public func evaluate(_ inputs: [[Float]]) -> [Float] { inputs[0].map { max(0, $0) } }

    public var description: String { "ReLU \(outputShape.elementCount)" }
}
