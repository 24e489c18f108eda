// The backward step of CROWN through Sigmoid or Tanh, for the OpenCL graph engine's S-shaped
// rule (Sources/VerdictOpenCL/Graph/OpenCLSShapedOperator.swift), as the CPU rule
// SShapedOperator computes it. One work item per row r, looping over the layer's width: each
// non-zero coefficient a of neuron j multiplies the neuron's lower line (a > 0) or upper line
// (a < 0), k·z + c: the row gets a·k over the neuron's input and a·c in its constant.
//
// The lines are per neuron (lineStride 0: CROWN's) or per row (lineStride = width: α-CROWN's
// optimized slopes, whose intercepts the host computed). The intercepts come rounded in the
// safe direction (lower lines' down, upper lines' up), the slopes to nearest.
//
// The allowance, added up per row and written with the constant:
//   Σ_j ((productFactor |a·k| + magnitudeFactor |a|) m_j + coefficientFactor |a|) + γ_intercept Σ|a·c| + rowSlack,
// m_j >= |z_j| (rounded up): the rounding of a·k and of the uploaded k and a, times |z|; a slope
// or intercept the device reads as zero; a rounded to the device type, times |y| <= 1; and
// rowSlack, the host's bound on products and coefficients that flush to zero.

// Products and sums rounded one by one (no fused multiply-add), as the CPU rule computes them:
// in double the results are the CPU's bit for bit where the order of the sums is the same.
#pragma OPENCL FP_CONTRACT OFF
__kernel void sshaped_backward(const int rows, const int width, const int lineStride,
                               __global const REAL *coefficients,
                               __global const REAL *lowerSlope, __global const REAL *lowerIntercept,
                               __global const REAL *upperSlope, __global const REAL *upperIntercept,
                               __global const REAL *inputMagnitude,
                               const REAL productFactor, const REAL magnitudeFactor, const REAL coefficientFactor,
                               const REAL gammaIntercept, const REAL rowSlack,
                               __global REAL *result, __global REAL *constants, __global REAL *constantMagnitude,
                               __global REAL *errors)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *row = coefficients + r * width;
    __global REAL *out = result + r * width;
    const int line = r * lineStride;
    REAL intercept = 0, interceptMagnitude = 0, error = 0;
    for (int j = 0; j < width; j++) {
        const REAL a = row[j];
        if (a == 0) {
            out[j] = 0;
            continue;
        }
        const REAL k = a > 0 ? lowerSlope[line + j] : upperSlope[line + j];
        const REAL c = a > 0 ? lowerIntercept[line + j] : upperIntercept[line + j];
        const REAL b = a * k, term = a * c;
        intercept += term;
        interceptMagnitude += fabs(term);
        error += (productFactor * fabs(b) + magnitudeFactor * fabs(a)) * inputMagnitude[j] + coefficientFactor * fabs(a);
        out[j] = b;
    }
    constants[r] = intercept;
    constantMagnitude[r] = interceptMagnitude;
    errors[r] = error + gammaIntercept * interceptMagnitude + rowSlack;
}
