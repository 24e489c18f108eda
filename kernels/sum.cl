// The sum a ± b of two computed tensors (a residual join) on the device, for the OpenCL graph
// engine's Sum rule (Sources/VerdictOpenCL/Graph/OpenCLSumOperator.swift), as the CPU rule
// SumOperator computes its intervals. (Its backward step is exact, rows passed to both inputs
// as they are or negated: the host does it.)

// Interval arithmetic (IBP), one work item per element j: [la + lb, ua + ub] for a sum,
// [la - ub, ua - lb] for a difference (sign < 0), each moved outward by 2 γ max(|low|, |high|)
// + slack and one step further (nextafter); the host passes γ and the slack rounded up, the
// bounds rounded outward.
__kernel void sum_interval(const int width, const int sign,
                           __global const REAL *lowerA, __global const REAL *upperA,
                           __global const REAL *lowerB, __global const REAL *upperB,
                           const REAL gamma, const REAL slack,
                           __global REAL *outputLower, __global REAL *outputUpper)
{
    const int j = get_global_id(0);
    if (j >= width) return;
    REAL low = lowerA[j] + (sign > 0 ? lowerB[j] : -upperB[j]);
    REAL high = upperA[j] + (sign > 0 ? upperB[j] : -lowerB[j]);
    const REAL error = 2 * gamma * fmax(fabs(low), fabs(high)) + slack;
    low = nextafter(low - error, (REAL)(-INFINITY));
    high = nextafter(high + error, (REAL)(INFINITY));
    // Infinite or undefined inputs give no bound rather than NaN.
    outputLower[j] = isnan(low) ? (REAL)(-INFINITY) : low;
    outputUpper[j] = isnan(high) ? (REAL)(INFINITY) : high;
}
