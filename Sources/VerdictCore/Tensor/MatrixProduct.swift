import CBLAS

/// Double-precision matrix products through OpenBLAS, on the calling thread only: the bound
/// engines already spread subproblems over the cores, so BLAS threads would only contend.
///
/// Rounding: OpenBLAS sums each entry's products in a blocked order (with fused multiply-adds
/// where the CPU has them) and never uses a fast (Strassen-like) product, so the classical
/// bound `|fl(Σ aᵢbᵢ) − Σ aᵢbᵢ| ≤ γₙ Σ |aᵢbᵢ|`, which holds for every order of summation,
/// covers it. The allowances of the bound engines count the terms of a sum, not their order.
public enum MatrixProduct {
    private static let oneThread: Void = { openblas_set_num_threads(1) }()

    /// `c = a · b`, or `c += a · b` with `accumulate`, all row-major with the given row
    /// strides: `c` is `m × n`, `b` is `k × n`, and `a` is `m × k`, or with `transposeA` a
    /// `k × m` matrix read transposed.
    public static func multiply(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Double>, rowStride lda: Int, transposeA: Bool = false,
        _ b: UnsafePointer<Double>, rowStride ldb: Int,
        into c: UnsafeMutablePointer<Double>, rowStride ldc: Int, accumulate: Bool
    ) {
        guard m > 0 && n > 0 else { return }
        guard k > 0 else {
            if !accumulate { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
            return
        }
        _ = oneThread
        if n == 1 || m == 1 {
            vectorProduct(m: m, n: n, k: k, a, rowStride: lda, transposeA: transposeA, b, rowStride: ldb, into: c, rowStride: ldc, accumulate: accumulate)
            return
        }
        cblas_dgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, CblasNoTrans,
            Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb),
            accumulate ? 1 : 0, c, Int32(ldc))
    }

    /// A product with one column or one row as a matrix-vector product (`dgemv`), which reads
    /// the matrix in place: `dgemm` would first copy (pack) the whole matrix, which for one
    /// vector costs as much as the product. The sums are the same, so is the rounding bound.
    /// The result is zeroed here rather than through `beta = 0`, which does not clear a NaN in
    /// some OpenBLAS versions.
    private static func vectorProduct(
        m: Int, n: Int, k: Int,
        _ a: UnsafePointer<Double>, rowStride lda: Int, transposeA: Bool,
        _ b: UnsafePointer<Double>, rowStride ldb: Int,
        into c: UnsafeMutablePointer<Double>, rowStride ldc: Int, accumulate: Bool
    ) {
        if n == 1 {
            // c (m entries, stride ldc) = A · b (k entries, stride ldb); A is m × k, or k × m read transposed.
            if !accumulate { for i in 0..<m { c[i * ldc] = 0 } }
            cblas_dgemv(
                CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, Int32(transposeA ? k : m), Int32(transposeA ? m : k),
                1, a, Int32(lda), b, Int32(ldb), 1, c, Int32(ldc))
        } else {
            // One row: c (n entries) = Bᵀ · a, a's k entries at stride 1, or at lda when read transposed.
            if !accumulate { c.update(repeating: 0, count: n) }
            cblas_dgemv(
                CblasRowMajor, CblasTrans, Int32(k), Int32(n),
                1, b, Int32(ldb), a, Int32(transposeA ? lda : 1), 1, c, 1)
        }
    }
}
