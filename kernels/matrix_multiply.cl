// Tiled matrix product for the bound engine: C (M x N) = A (M x K) · B (K x N), row-major
// with row strides lda (A), N (B) and ldc (C).
// Each work group computes a TILE x TILE block of C, staging TILE x TILE blocks of A and B
// through local memory; each work item accumulates WORK_PER_ITEM results of one column, so
// every value of B loaded from local memory is used WORK_PER_ITEM times.
//
// The host chooses, by -D options: REAL (float, or double on devices with cl_khr_fp64, which
// keeps the rounding allowance of sound bounds as small as on the CPU), TILE and
// WORK_PER_ITEM from the device's work-group and local-memory limits.

#ifndef TILE
#define TILE 32
#endif
#ifndef WORK_PER_ITEM
#define WORK_PER_ITEM 8
#endif
#define ROWS_PER_GROUP (TILE / WORK_PER_ITEM)

__kernel __attribute__((reqd_work_group_size(TILE, ROWS_PER_GROUP, 1)))
void matrix_multiply(const int M, const int N, const int K, const int lda, const int ldc,
                     __global const REAL *A, __global const REAL *B, __global REAL *C)
{
    const int localColumn = get_local_id(0);          // 0 ..< TILE
    const int localRow = get_local_id(1);             // 0 ..< ROWS_PER_GROUP
    const int column = get_group_id(0) * TILE + localColumn;
    const int firstRow = get_group_id(1) * TILE;

    __local REAL tileA[TILE][TILE];
    __local REAL tileB[TILE][TILE];

    REAL sums[WORK_PER_ITEM];
    for (int w = 0; w < WORK_PER_ITEM; w++) sums[w] = 0;

    for (int start = 0; start < K; start += TILE) {
        for (int w = 0; w < WORK_PER_ITEM; w++) {
            const int r = localRow + w * ROWS_PER_GROUP;
            const int row = firstRow + r;
            const int k = start + localColumn;
            tileA[r][localColumn] = (row < M && k < K) ? A[row * lda + k] : 0;
            const int kB = start + r;
            tileB[r][localColumn] = (kB < K && column < N) ? B[kB * N + column] : 0;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TILE; k++) {
            const REAL b = tileB[k][localColumn];
            for (int w = 0; w < WORK_PER_ITEM; w++) {
                sums[w] += tileA[localRow + w * ROWS_PER_GROUP][k] * b;
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int w = 0; w < WORK_PER_ITEM; w++) {
        const int row = firstRow + localRow + w * ROWS_PER_GROUP;
        if (row < M && column < N) C[row * ldc + column] = sums[w];
    }
}
