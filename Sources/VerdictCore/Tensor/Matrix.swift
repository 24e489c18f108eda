/// A dense row-major matrix of `Double`.
///
/// Deliberately minimal: the exact evaluator needs matrix-vector products, the ONNX importer
/// needs products to fold chains of linear operators. Bound engines bring their own batched
/// kernels.
public struct Matrix: Hashable, Sendable {
    public let rows: Int
    public let columns: Int
    /// `values[row * columns + column]`.
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "matrix needs \(rows * columns) values, got \(values.count)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        self.init(rows: rows, columns: columns, values: Array(repeating: value, count: rows * columns))
    }

    public static func identity(_ size: Int) -> Matrix {
        var matrix = Matrix(rows: size, columns: size)
        for index in 0..<size { matrix.values[index * size + index] = 1 }
        return matrix
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    public var transposed: Matrix {
        var result = Matrix(rows: columns, columns: rows)
        for row in 0..<rows {
            for column in 0..<columns {
                result.values[column * rows + row] = values[row * columns + column]
            }
        }
        return result
    }

    /// `self · other`.
    public func multiplied(by other: Matrix) -> Matrix {
        precondition(columns == other.rows, "matrix product of \(rows)x\(columns) and \(other.rows)x\(other.columns)")
        var result = [Double](repeating: 0, count: rows * other.columns)
        let inner = other.columns
        values.withUnsafeBufferPointer { left in
            other.values.withUnsafeBufferPointer { right in
                result.withUnsafeMutableBufferPointer { out in
                    for row in 0..<rows {
                        for k in 0..<columns {
                            let factor = left[row * columns + k]
                            if factor == 0 { continue }
                            let rightRow = k * inner
                            let outRow = row * inner
                            for column in 0..<inner {
                                out[outRow + column] += factor * right[rightRow + column]
                            }
                        }
                    }
                }
            }
        }
        return Matrix(rows: rows, columns: other.columns, values: result)
    }

    /// `self · vector`, as one OpenBLAS `dgemv` (its own order of summation, valid like any
    /// other; see ``MatrixProduct``).
    public func multiplied(by vector: [Double]) -> [Double] {
        precondition(vector.count == columns, "matrix-vector product of \(rows)x\(columns) and \(vector.count)")
        var result = [Double](repeating: 0, count: rows)
        values.withUnsafeBufferPointer { matrix in
            vector.withUnsafeBufferPointer { x in
                result.withUnsafeMutableBufferPointer { out in
                    guard let a = matrix.baseAddress, let b = x.baseAddress, let c = out.baseAddress else { return }
                    MatrixProduct.multiply(m: rows, n: 1, k: columns, a, rowStride: columns, b, rowStride: 1, into: c, rowStride: 1, accumulate: false)
                }
            }
        }
        return result
    }

    public var isIdentity: Bool {
        guard rows == columns else { return false }
        for row in 0..<rows {
            for column in 0..<columns where values[row * columns + column] != (row == column ? 1 : 0) {
                return false
            }
        }
        return true
    }
}
