import VerdictCore
import VerdictTestSupport
import XCTest

/// The OpenBLAS product against the definition, on sub-matrices (row strides wider than the
/// columns used), with the left factor read transposed, and accumulating into the result.
final class MatrixProductTests: XCTestCase {
    func testProductsOfSubMatricesMatchTheDefinition() {
        var generator = SeededGenerator(seed: 5)
        for trial in 0..<80 {
            // Half the trials a single row, a single column or both (trials 2, 3, 6, 7 and
            // 4, 5 of every 8; odd ones transposed): those go through `dgemv`, with k >= 1.
            let phase = trial % 8
            let m = [2, 3, 4, 5].contains(phase) ? 1 : Int.random(in: 1...7, using: &generator)
            let n = [4, 5, 6, 7].contains(phase) ? 1 : Int.random(in: 1...9, using: &generator)
            let k = phase >= 2 ? Int.random(in: 1...6, using: &generator) : Int.random(in: 0...6, using: &generator)
            let transposeA = trial % 2 == 1, accumulate = trial % 3 == 0
            // Stored with one spare column each, so every stride exceeds the width used.
            let lda = (transposeA ? m : k) + 1, ldb = n + 1, ldc = n + 2
            let aRows = transposeA ? k : m
            let a = (0..<(max(aRows, 1) * lda)).map { _ in Double.random(in: -1...1, using: &generator) }
            let b = (0..<(max(k, 1) * ldb)).map { _ in Double.random(in: -1...1, using: &generator) }
            let start = (0..<(m * ldc)).map { _ in Double.random(in: -1...1, using: &generator) }
            var c = start
            // A product that overwrites must not carry what was there, not even a NaN.
            if !accumulate { for i in 0..<m { c[i * ldc] = .nan } }
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { c in
                        MatrixProduct.multiply(
                            m: m, n: n, k: k, a.baseAddress!, rowStride: lda, transposeA: transposeA,
                            b.baseAddress!, rowStride: ldb, into: c.baseAddress!, rowStride: ldc, accumulate: accumulate)
                    }
                }
            }
            for i in 0..<m {
                for j in 0..<ldc {
                    guard j < n else {
                        XCTAssertEqual(c[i * ldc + j], start[i * ldc + j], "entries past n untouched")
                        continue
                    }
                    var expected = accumulate ? start[i * ldc + j] : 0
                    for p in 0..<k { expected += (transposeA ? a[p * lda + i] : a[i * lda + p]) * b[p * ldb + j] }
                    XCTAssertEqual(c[i * ldc + j], expected, accuracy: 1e-12, "m \(m) n \(n) k \(k) transposed \(transposeA) accumulate \(accumulate)")
                }
            }
        }
    }
}
