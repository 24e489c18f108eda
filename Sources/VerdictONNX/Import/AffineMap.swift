import VerdictCore

/// A linear-plus-constant function of flat vectors, accumulated while folding a chain of
/// linear ONNX operators; it becomes one ``AffineLayer`` when a non-linear operator (or the
/// graph output) needs its value. Cheap forms are kept apart so that, for example, input
/// normalisation followed by a dense layer never builds an `n x n` matrix.
enum AffineMap {
    case identity
    /// `y = scale ⊙ x + shift`.
    case elementwise(scale: [Double], shift: [Double])
    /// `y = W x + b`.
    case dense(Matrix, bias: [Double])

    var isIdentity: Bool {
        if case .identity = self { return true }
        return false
    }

    /// Whether `value` is finite in Float32 (NaN is not).
    static func fitsFloat32(_ value: Double) -> Bool { value.magnitude <= Double(Float.greatestFiniteMagnitude) }

    /// Whether every coefficient is within Float32's range: an ONNX runtime computes each
    /// folded step in Float32, where a larger one is infinite.
    var isWithinFloatRange: Bool {
        let fits = AffineMap.fitsFloat32
        switch self {
        case .identity: return true
        case .elementwise(let scale, let shift): return scale.allSatisfy(fits) && shift.allSatisfy(fits)
        case .dense(let matrix, let bias): return matrix.values.allSatisfy(fits) && bias.allSatisfy(fits)
        }
    }

    /// `scale ⊙ self(x) + shift`.
    func followed(byScale scale: [Double], shift: [Double]) -> AffineMap {
        switch self {
        case .identity:
            return .elementwise(scale: scale, shift: shift)
        case .elementwise(let oldScale, let oldShift):
            return .elementwise(
                scale: zip(scale, oldScale).map(*),
                shift: (0..<scale.count).map { scale[$0] * oldShift[$0] + shift[$0] })
        case .dense(var matrix, let bias):
            for row in 0..<matrix.rows {
                for column in 0..<matrix.columns { matrix[row, column] *= scale[row] }
            }
            return .dense(matrix, bias: (0..<scale.count).map { scale[$0] * bias[$0] + shift[$0] })
        }
    }

    /// `matrix · self(x) + bias`.
    func followed(byMatrix matrix: Matrix, bias: [Double]) -> AffineMap {
        switch self {
        case .identity:
            return .dense(matrix, bias: bias)
        case .elementwise(let scale, let shift):
            var scaled = matrix
            for row in 0..<matrix.rows {
                for column in 0..<matrix.columns { scaled[row, column] *= scale[column] }
            }
            let shifted = matrix.multiplied(by: shift)
            return .dense(scaled, bias: (0..<bias.count).map { shifted[$0] + bias[$0] })
        case .dense(let inner, let innerBias):
            let product = matrix.multiplied(by: inner)
            let shifted = matrix.multiplied(by: innerBias)
            return .dense(product, bias: (0..<bias.count).map { shifted[$0] + bias[$0] })
        }
    }

    /// `y[i] = self(x)[source[i]]`: a reordering or selection of the outputs.
    func gathered(_ source: [Int], inputCount: Int) -> AffineMap {
        switch self {
        case .identity:
            var matrix = Matrix(rows: source.count, columns: inputCount)
            for (row, column) in source.enumerated() { matrix[row, column] = 1 }
            return .dense(matrix, bias: Array(repeating: 0, count: source.count))
        case .elementwise(let scale, let shift):
            var matrix = Matrix(rows: source.count, columns: inputCount)
            for (row, column) in source.enumerated() { matrix[row, column] = scale[column] }
            return .dense(matrix, bias: source.map { shift[$0] })
        case .dense(let matrix, let bias):
            var values: [Double] = []
            values.reserveCapacity(source.count * matrix.columns)
            for row in source { values.append(contentsOf: matrix.values[(row * matrix.columns)..<((row + 1) * matrix.columns)]) }
            return .dense(Matrix(rows: source.count, columns: matrix.columns, values: values), bias: source.map { bias[$0] })
        }
    }

    /// The map as a dense matrix and bias, for `inputCount` inputs.
    func denseForm(inputCount: Int) -> (Matrix, [Double]) {
        switch self {
        case .identity:
            return (Matrix.identity(inputCount), Array(repeating: 0, count: inputCount))
        case .elementwise(let scale, let shift):
            var matrix = Matrix(rows: scale.count, columns: inputCount)
            for index in 0..<scale.count { matrix[index, index] = scale[index] }
            return (matrix, shift)
        case .dense(let matrix, let bias):
            return (matrix, bias)
        }
    }
}

/// A tensor computed from the network input: an affine function of one value of the network
/// built so far.
struct ComputedValue {
    /// The value of the network under construction this tensor is a function of.
    var source: ValueID
    var sourceCount: Int
    /// ONNX shape of this tensor.
    var shape: [Int]
    var map: AffineMap
    /// The ONNX nodes folded into `map`, for messages and `verdict info`.
    var origins: [String] = []
    /// Bound of the float evaluation's rounding so far, when the importer tracks it (see
    /// `RoundingTracking.swift`); nil: none.
    var error: AffineMap? = nil
    /// Bound on every magnitude the chain computes (tracked with `error`).
    var peak = Peak()
    /// The terms of the product that last produced this value, when a constant added next
    /// could be the runtime's accumulator start (tracked with `error`).
    var lastFanIn: Int? = nil

    var elementCount: Int { shape.reduce(1, *) }
}
