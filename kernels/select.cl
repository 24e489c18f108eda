// Copies and constants (Pad, Concat) for the OpenCL graph engine's Select rule
// (Sources/VerdictOpenCL/Graph/OpenCLSelectOperator.swift), as the CPU rule SelectOperator
// computes them. The inputs are laid end to end; output o copies element source[o] of them, or
// holds the constant fill[o] where source[o] is -1.

// Interval arithmetic (exact): a copy's bounds are its source's; a constant's are the fill, which
// the host uploads rounded down (fillLower) and up (fillUpper), as it does the inputs' bounds.
__kernel void select_interval(const int outputs, __global const int *source,
                              __global const REAL *fillLower, __global const REAL *fillUpper,
                              __global const REAL *inputLower, __global const REAL *inputUpper,
                              __global REAL *outputLower, __global REAL *outputUpper)
{
    const int o = get_global_id(0);
    if (o >= outputs) return;
    const int s = source[o];
    outputLower[o] = s >= 0 ? inputLower[s] : fillLower[o];
    outputUpper[o] = s >= 0 ? inputUpper[s] : fillUpper[o];
}

// The backward step: one work item per row r; each coefficient goes back to the element its
// output copies (summed where several outputs copy one element), a constant's into the row's
// constant.
//
// The allowance, added up per row and written with the constant:
//   magnitudeFactor Σ|a| (m_s, or 2|fill| for a constant) + sumGamma Σ|a| m_s + γ_constant Σ|a·fill| + rowSlack,
// m_s >= |x_s| rounded up: a rounded to the device type (and the fill, rounded to nearest); the
// sums of duplicated copies (sumGamma is 0 where no element is copied twice); the constant's
// products and sum; and rowSlack, the host's bound on values of float's subnormal range read as zero.
#pragma OPENCL FP_CONTRACT OFF
__kernel void select_backward(const int rows, const int width, const int inputWidth, __global const REAL *coefficients,
                              __global const int *source, __global const REAL *fill, __global const REAL *inputMagnitude,
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
        const int s = source[o];
        if (s >= 0) {
            out[s] += a;
            moved += fabs(a) * inputMagnitude[s];
            rounding += fabs(a) * inputMagnitude[s];
        } else {
            const REAL term = a * fill[o];
            constantSum += term;
            magnitude += fabs(term);
            rounding += 2 * fabs(a) * fabs(fill[o]);
        }
    }
    constants[r] = constantSum;
    constantMagnitude[r] = magnitude;
    errors[r] = magnitudeFactor * rounding + sumGamma * moved + gammaConstant * magnitude + rowSlack;
}
