// Max pooling for the OpenCL graph engine's MaxPool rule
// (Sources/VerdictOpenCL/Graph/OpenCLMaxPoolOperator.swift), as the CPU rule MaxPoolOperator
// computes it. Windows come as lists laid end to end: window o holds the flat input indices
// windowIndex[windowStart[o] .. windowStart[o + 1]).

// Interval arithmetic (exact): each output's bounds are the largest lower and the largest upper
// bound in its window. The host uploads lower bounds rounded down and upper bounds rounded up.
__kernel void max_pool_interval(const int outputs, __global const int *windowStart, __global const int *windowIndex,
                                __global const REAL *inputLower, __global const REAL *inputUpper,
                                __global REAL *outputLower, __global REAL *outputUpper)
{
    const int o = get_global_id(0);
    if (o >= outputs) return;
    REAL low = -INFINITY, high = -INFINITY;
    for (int k = windowStart[o]; k < windowStart[o + 1]; k++) {
        low = fmax(low, inputLower[windowIndex[k]]);
        high = fmax(high, inputUpper[windowIndex[k]]);
    }
    outputLower[o] = low;
    outputUpper[o] = high;
}

// The backward step of CROWN through the pool's relaxation. One work item per row r, looping
// over the outputs: a coefficient a > 0 (or any a where the window's winner is decided) goes to
// the input lowerInput[o] (y >= x_i, or y = x_i); a < 0 elsewhere multiplies the window's
// largest upper bound (y <= U_o) into the constant. The host uploads U_o rounded up.
//
// The allowance, added up per row and written with the constant:
//   magnitudeFactor Σ|a| M_o + sumGamma Σ|a| m_i + γ_constant Σ|a·U| + rowSlack,
// M_o >= |y_o| (the window's largest input magnitude) and m_i >= |x_i|, rounded up: a rounded to
// the device type; the sums of coefficients that several windows send to one input (sumGamma is
// 0 where windows do not overlap); the constant's products and sum; and rowSlack, the host's
// bound on coefficients, sums and products of float's subnormal range read as zero.
#pragma OPENCL FP_CONTRACT OFF
__kernel void max_pool_backward(const int rows, const int width, const int inputWidth, __global const REAL *coefficients,
                                __global const int *lowerInput, __global const int *decided, __global const REAL *upperBound,
                                __global const REAL *windowMagnitude, __global const REAL *inputMagnitude,
                                const REAL magnitudeFactor, const REAL sumGamma, const REAL gammaConstant, const REAL rowSlack,
                                __global REAL *result, __global REAL *constants, __global REAL *constantMagnitude,
                                __global REAL *errors)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *row = coefficients + r * width;
    __global REAL *out = result + r * inputWidth;
    for (int i = 0; i < inputWidth; i++) out[i] = 0;
    REAL constantSum = 0, magnitude = 0, moved = 0, rounding = 0;
    for (int o = 0; o < width; o++) {
        const REAL a = row[o];
        if (a == 0) continue;
        rounding += fabs(a) * windowMagnitude[o];
        if (a > 0 || decided[o]) {
            const int i = lowerInput[o];
            out[i] += a;
            moved += fabs(a) * inputMagnitude[i];
        } else {
            const REAL term = a * upperBound[o];
            constantSum += term;
            magnitude += fabs(term);
        }
    }
    constants[r] = constantSum;
    constantMagnitude[r] = magnitude;
    errors[r] = magnitudeFactor * rounding + sumGamma * moved + gammaConstant * magnitude + rowSlack;
}
