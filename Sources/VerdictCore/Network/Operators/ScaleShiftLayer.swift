/// `y = s ⊙ x + t` elementwise: a batch normalization (or a constant `Mul`/`Add`/`Sub`/`Div`)
/// that could not be folded into a neighbouring linear layer.
public struct ScaleShiftLayer: Layer {
    public let scale: [Double]
    public let shift: [Double]
    public let floatScale: [Float]
    public let floatShift: [Float]
    public let outputShape: TensorShape

    public init(scale: [Double], shift: [Double], outputShape: TensorShape) {
        precondition(scale.count == shift.count && scale.count == outputShape.elementCount, "one scale and shift per element")
        self.scale = scale
        self.shift = shift
        self.floatScale = scale.map { Float($0) }
        self.floatShift = shift.map { Float($0) }
        self.outputShape = outputShape
    }

    public var operatorName: String { "ScaleShift" }
    public var parameterCount: Int { scale.count + shift.count }

    public func problemWithInputs(_ shapes: [TensorShape]) -> String? {
        guard shapes.count == 1, shapes[0].elementCount == scale.count else {
            return "ScaleShift of \(scale.count) values fed \(shapes.map(\.description))"
        }
        return nil
    }

    public func evaluate(_ inputs: [[Double]]) -> [Double] { (0..<scale.count).map { scale[$0] * inputs[0][$0] + shift[$0] } }
    public func evaluate(_ inputs: [[Float]]) -> [Float] { (0..<scale.count).map { floatScale[$0] * inputs[0][$0] + floatShift[$0] } }
}
