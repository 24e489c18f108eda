// An elementwise s ⊙ x + t (an unfolded batch normalization) on the device, for the OpenCL graph
// engine's ScaleShift rule (Sources/VerdictOpenCL/Graph/OpenCLScaleShiftOperator.swift), as the
// CPU rule ScaleShiftOperator computes it.

// Products and sums rounded one by one (no fused multiply-add), as the CPU rule computes them:
// in double the results are the CPU's bit for bit.
#pragma OPENCL FP_CONTRACT OFF

// Interval arithmetic (IBP), one work item per element j: low = s·(s >= 0 ? l : u) + t and
// high likewise, moved outward by 2 γ (|s| max(|l|, |u|) + |t|) + slack and one step further
// (nextafter); the host passes γ and the slack rounded up, the bounds rounded outward.
__kernel void scale_shift_interval(const int width, __global const REAL *lower, __global const REAL *upper,
                                   __global const REAL *scale, __global const REAL *shift,
                                   const REAL gamma, const REAL slack,
                                   __global REAL *outputLower, __global REAL *outputUpper)
{
    const int j = get_global_id(0);
    if (j >= width) return;
    const REAL s = scale[j], t = shift[j], l = lower[j], u = upper[j];
    REAL low = (s >= 0 ? s * l : s * u) + t;
    REAL high = (s >= 0 ? s * u : s * l) + t;
    const REAL error = 2 * gamma * (fabs(s) * fmax(fabs(l), fabs(u)) + fabs(t)) + slack;
    low = nextafter(low - error, (REAL)(-INFINITY));
    high = nextafter(high + error, (REAL)(INFINITY));
    // Infinite or undefined inputs give no bound rather than NaN.
    outputLower[j] = isnan(low) ? (REAL)(-INFINITY) : low;
    outputUpper[j] = isnan(high) ? (REAL)(INFINITY) : high;
}

// The backward step of CROWN, one work item per row r: each coefficient a of element j becomes
// a·s_j over the input and adds a·t_j to the constant, with the allowance
//   Σ_j productFactor |a·s_j| m_j + γ_shift Σ|a·t_j| + rowSlack,
// m_j >= |x_j| (rounded up): the rounding of the product and of the uploaded a and s, times |x|
// (a's rounding times |y_j| <= |s_j| m_j + |t_j| splits over both sums); rowSlack, the host's
// bound on products and coefficients that flush to zero.
__kernel void scale_shift_backward(const int rows, const int width, __global const REAL *coefficients,
                                   __global const REAL *scale, __global const REAL *shift,
                                   __global const REAL *inputMagnitude,
                                   const REAL productFactor, const REAL gammaShift, const REAL rowSlack,
                                   __global REAL *result, __global REAL *constants, __global REAL *constantMagnitude,
                                   __global REAL *errors)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *row = coefficients + r * width;
    __global REAL *out = result + r * width;
    REAL shiftSum = 0, termMagnitude = 0, error = 0;
    for (int j = 0; j < width; j++) {
        const REAL a = row[j];
        if (a == 0) {
            out[j] = 0;
            continue;
        }
        const REAL term = a * shift[j], b = a * scale[j];
        shiftSum += term;
        termMagnitude += fabs(term);
        error += productFactor * fabs(b) * inputMagnitude[j];
        out[j] = b;
    }
    constants[r] = shiftSum;
    constantMagnitude[r] = termMagnitude;
    errors[r] = error + gammaShift * termMagnitude + rowSlack;
}
