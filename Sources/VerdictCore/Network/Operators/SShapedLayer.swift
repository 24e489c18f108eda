import Foundation

/// `y = σ(x) = 1 / (1 + e^(-x))` (ONNX `Sigmoid`) or `y = tanh(x)` (`Tanh`), elementwise: the
/// S-shaped activations. Both increase, are convex below 0 and concave above it, which is all
/// their bound rules use. Not piecewise linear: Z3 cannot state them exactly, and branch and
/// bound does not split them.
public struct SShapedLayer: Layer {
    public enum Function: String, Sendable, CaseIterable {
        case sigmoid = "Sigmoid"
        case tanh = "Tanh"
    }

    public let function: Function
    public let outputShape: TensorShape

    public init(_ function: Function, shape: TensorShape) {
        self.function = function
        self.outputShape = shape
    }

    public var operatorName: String { function.rawValue }
    public var isPiecewiseLinear: Bool { false }

    public func problemWithInputs(_ shapes: [TensorShape]) -> String? {
        guard shapes.count == 1 else { return "\(operatorName) takes one input, got \(shapes.count)" }
        guard shapes[0].elementCount == outputShape.elementCount else {
            return "\(operatorName) of \(outputShape.elementCount) units fed \(shapes[0].elementCount) values"
        }
        return nil
    }

    public func evaluate(_ inputs: [[Double]]) -> [Double] { inputs[0].map(function.value) }
    public func evaluate(_ inputs: [[Float]]) -> [Float] { inputs[0].map(function.value) }

    public var description: String { "\(operatorName) \(outputShape.elementCount)" }
}

extension SShapedLayer.Function {
    /// The function in `Double` (libm's `exp` and `tanh`, within a few units in the last place).
    public func value(_ x: Double) -> Double {
        switch self {
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        }
    }

    /// The function in `Float`, as ONNX runtimes compute it (to their own last-place errors).
    public func value(_ x: Float) -> Float {
        switch self {
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        }
    }

    /// `f'(x)`: `σ(1 - σ)` or `1 - tanh²`.
    public func derivative(_ x: Double) -> Double {
        let y = value(x)
        switch self {
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        }
    }

    /// The slope at the inflection point 0, the largest `f'` takes.
    public var steepestSlope: Double { self == .sigmoid ? 0.25 : 1 }

    /// The range of the function.
    public var range: ClosedRange<Double> { self == .sigmoid ? 0...1 : -1...1 }

    /// The points where `f'` equals `slope` (`0 < slope <= steepestSlope`): one at or below 0
    /// and its mirror image above. Approximate; callers use them only where any point is sound.
    public func points(withSlope slope: Double) -> (convex: Double, concave: Double) {
        let root = max(0, 1 - slope / steepestSlope).squareRoot()
        switch self {
        case .sigmoid:
            // σ(1 - σ) = k at σ = (1 ± √(1 - 4k)) / 2; x = log(σ / (1 - σ)).
            let high = (1 + root) / 2, low = (1 - root) / 2
            let x = low > 0 ? Foundation.log(high / low) : 40
            return (-x, x)
        case .tanh:
            // 1 - t² = k at t = ±√(1 - k).
            let x = root < 1 ? Foundation.atanh(root) : 20
            return (-x, x)
        }
    }
}
