/// The shape of a tensor, without any batch convention: `[1, 784]`, `[1, 1, 1, 5]`, `[10]`.
///
/// Values flow through a ``Network`` as flat arrays in row-major (C) order, the order ONNX
/// and VNN-LIB use, so `X_i` of a property is element `i` of the flat input. The shape is
/// kept so that shape-sensitive operators (convolution, pooling) can be added later.
public struct TensorShape: Hashable, Sendable, CustomStringConvertible {
    public var dimensions: [Int]

    public init(_ dimensions: [Int]) {
        self.dimensions = dimensions
    }

    /// Number of elements: the product of the dimensions (1 for a scalar).
    public var elementCount: Int { dimensions.reduce(1, *) }

    public var rank: Int { dimensions.count }

    public var description: String { "[" + dimensions.map(String.init).joined(separator: ", ") + "]" }
}
