// Register-blocked matrix product for CPU devices (PoCL): C (M x N) = A (M x K) · B (K x N),
// row-major with row strides lda (A), N (B) and ldc (C), where N is a multiple of VEC (the
// host pads B and C). Each work item computes a
// block of ROWS rows by VEC columns of C in vector registers: per step of k it loads VEC
// values of B once and uses them for ROWS multiply-adds, with explicit vectors so the code
// vectorizes whatever the compiler does across work items. No local memory, no barriers.
//
// The host chooses REAL (float, or double with USE_DOUBLE), VEC (8 or 16) and ROWS by -D
// options.

#ifndef VEC
#define VEC 8
#endif
// Two levels, so that the arguments are expanded before they are pasted.
#define PASTE(a, b) a##b
#define CONCAT(a, b) PASTE(a, b)
#define VECTOR_TYPE(type, width) CONCAT(type, width)
#define REALV VECTOR_TYPE(REAL, VEC)
#define LOAD(offset, pointer) CONCAT(vload, VEC)(offset, pointer)
#define STORE(value, offset, pointer) CONCAT(vstore, VEC)(value, offset, pointer)
#ifndef ROWS
#define ROWS 6
#endif

__kernel void matrix_multiply_vector(const int M, const int N, const int K, const int lda, const int ldc,
                                     __global const REAL *A, __global const REAL *B, __global REAL *C)
{
    const int column = get_global_id(0) * VEC;
    const int firstRow = get_global_id(1) * ROWS;
    if (column >= N || firstRow >= M) return;
    __global const REAL *a[ROWS];
    for (int r = 0; r < ROWS; r++) a[r] = A + min(firstRow + r, M - 1) * lda;
    REALV sums[ROWS];
    for (int r = 0; r < ROWS; r++) sums[r] = (REALV)(0);
    for (int k = 0; k < K; k++) {
        // Rows of one subproblem share their zeros (inactive neurons, one-hot starts): skip
        // a k where the whole block of A is zero, as the CPU engine skips zero coefficients.
        REAL any = 0;
        for (int r = 0; r < ROWS; r++) any += fabs(a[r][k]);
        if (any == 0) continue;
        const REALV b = LOAD(0, B + k * N + column);
        for (int r = 0; r < ROWS; r++) sums[r] += a[r][k] * b;
    }
    for (int r = 0; r < ROWS; r++) {
        if (firstRow + r < M) STORE(sums[r], 0, C + (firstRow + r) * ldc + column);
    }
}
