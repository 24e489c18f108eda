// Register-blocked matrix product for CPU devices (PoCL): C (M x N) = A (M x K) · B (K x N),
// row-major with row strides lda (A), N (B) and ldc (C). The host pads N and the rows of B to
// multiples of 2·VEC (with zeros), and A's rows are zero beyond K up to the next multiple of
// VEC.
//
// Each work item computes 8 rows by 2·VEC columns of C in 16 vector accumulators, all named
// (no arrays, so the compiler keeps them in registers: 16 accumulators, 8 A vectors and 2 B
// vectors fit AVX-512's 32). It walks K in steps of VEC: loads an 8 x VEC tile of A (one
// vector per row), skips the step when the whole tile is zero (rows of one subproblem share
// their zeros: inactive neurons, one-hot starts of intermediate bounds), else for each of the
// VEC values of k that is not zero in all 8 rows loads two vectors of B's row k and does 16
// vector multiply-adds.
//
// The host chooses REAL (float, or double with USE_DOUBLE) and VEC (8 or 16) by -D options.

#ifndef VEC
#define VEC 8
#endif
// Two levels, so that the arguments are expanded before they are pasted.
#define PASTE(a, b) a##b
#define CONCAT(a, b) PASTE(a, b)
#define REALV CONCAT(REAL, VEC)
#define LOAD(offset, pointer) CONCAT(vload, VEC)(offset, pointer)
#define STORE(value, offset, pointer) CONCAT(vstore, VEC)(value, offset, pointer)

// One k of the step: lane `lane` of each row's tile times the two vectors of B's row k + index,
// skipped when that lane is zero in all 8 rows (a neuron inactive in the block's subproblems).
#define STEP(lane, index) if (magnitude.PASTE(s, lane) != 0) { \
        __global const REAL *b = B + (k + index) * N + column; \
        const REALV b0 = LOAD(0, b), b1 = LOAD(0, b + VEC); \
        REAL x; \
        x = a0[k + index]; sum00 += x * b0; sum01 += x * b1; \
        x = a1[k + index]; sum10 += x * b0; sum11 += x * b1; \
        x = a2[k + index]; sum20 += x * b0; sum21 += x * b1; \
        x = a3[k + index]; sum30 += x * b0; sum31 += x * b1; \
        x = a4[k + index]; sum40 += x * b0; sum41 += x * b1; \
        x = a5[k + index]; sum50 += x * b0; sum51 += x * b1; \
        x = a6[k + index]; sum60 += x * b0; sum61 += x * b1; \
        x = a7[k + index]; sum70 += x * b0; sum71 += x * b1; \
    }

// Row r of the block: its start in A (the last row repeated past M, never stored), and its
// two accumulators.
#define ROW(r) \
    __global const REAL *a##r = A + min(firstRow + r, M - 1) * lda; \
    REALV sum##r##0 = (REALV)(0), sum##r##1 = (REALV)(0);
#define SAVE(r) \
    if (firstRow + r < M) { \
        STORE(sum##r##0, 0, C + (firstRow + r) * ldc + column); \
        STORE(sum##r##1, 0, C + (firstRow + r) * ldc + column + VEC); \
    }

__kernel void matrix_multiply_vector(const int M, const int N, const int K, const int lda, const int ldc,
                                     __global const REAL *A, __global const REAL *B, __global REAL *C)
{
    const int column = get_global_id(0) * 2 * VEC;
    const int firstRow = get_global_id(1) * 8;
    if (column >= N || firstRow >= M) return;
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
    for (int k = 0; k < K; k += VEC) {
        const REALV tile0 = LOAD(0, a0 + k), tile1 = LOAD(0, a1 + k), tile2 = LOAD(0, a2 + k), tile3 = LOAD(0, a3 + k);
        const REALV tile4 = LOAD(0, a4 + k), tile5 = LOAD(0, a5 + k), tile6 = LOAD(0, a6 + k), tile7 = LOAD(0, a7 + k);
        const REALV magnitude = fabs(tile0) + fabs(tile1) + fabs(tile2) + fabs(tile3)
            + fabs(tile4) + fabs(tile5) + fabs(tile6) + fabs(tile7);
        if (all(magnitude == (REALV)(0))) continue;
        STEP(0, 0) STEP(1, 1) STEP(2, 2) STEP(3, 3) STEP(4, 4) STEP(5, 5) STEP(6, 6) STEP(7, 7)
#if VEC == 16
        STEP(8, 8) STEP(9, 9) STEP(a, 10) STEP(b, 11) STEP(c, 12) STEP(d, 13) STEP(e, 14) STEP(f, 15)
#endif
    }
    SAVE(0) SAVE(1) SAVE(2) SAVE(3) SAVE(4) SAVE(5) SAVE(6) SAVE(7)
}
