// Register-blocked matrix product for CPU devices (PoCL): C (M x N) = A (M x K) · B (K x N),
// row-major with row strides lda (A), N (B) and ldc (C). The host pads N and the rows of B to
// multiples of VEC (with zeros), and A's rows are zero beyond K up to the next multiple of VEC.
//
// Each work item computes ROWS rows by VEC columns of C in vector registers. It walks K in
// steps of VEC: loads a ROWS x VEC tile of A (one contiguous vector per row), skips the step
// when the whole tile is zero (rows of one subproblem share their zeros: inactive neurons,
// one-hot starts of intermediate bounds), else uses each of VEC rows of B for ROWS
// multiply-adds. Explicit vectors, no local memory, no barriers.
//
// The host chooses REAL (float, or double with USE_DOUBLE), VEC (8 or 16) and ROWS by -D
// options.

#ifndef VEC
#define VEC 8
#endif
#ifndef ROWS
#define ROWS 8
#endif
// Two levels, so that the arguments are expanded before they are pasted.
#define PASTE(a, b) a##b
#define CONCAT(a, b) PASTE(a, b)
#define REALV CONCAT(REAL, VEC)
#define LOAD(offset, pointer) CONCAT(vload, VEC)(offset, pointer)
#define STORE(value, offset, pointer) CONCAT(vstore, VEC)(value, offset, pointer)

// One k of the step: component `lane` of each row's tile times row `index` of B.
#define STEP(lane, index) { \
        const REALV b = LOAD(0, B + (k + index) * N + column); \
        for (int r = 0; r < ROWS; r++) sums[r] += tile[r].PASTE(s, lane) * b; \
    }

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
    for (int k = 0; k < K; k += VEC) {
        REALV tile[ROWS];
        REALV magnitude = (REALV)(0);
        for (int r = 0; r < ROWS; r++) {
            tile[r] = LOAD(0, a[r] + k);
            magnitude += fabs(tile[r]);
        }
        if (all(magnitude == (REALV)(0))) continue;
        STEP(0, 0) STEP(1, 1) STEP(2, 2) STEP(3, 3) STEP(4, 4) STEP(5, 5) STEP(6, 6) STEP(7, 7)
#if VEC == 16
        STEP(8, 8) STEP(9, 9) STEP(a, 10) STEP(b, 11) STEP(c, 12) STEP(d, 13) STEP(e, 14) STEP(f, 15)
#endif
    }
    for (int r = 0; r < ROWS; r++) {
        if (firstRow + r < M) STORE(sums[r], 0, C + (firstRow + r) * ldc + column);
    }
}
