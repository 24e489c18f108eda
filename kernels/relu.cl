// The backward step of CROWN through a ReLU, for the OpenCL graph engine's ReLU rule
// (Sources/VerdictOpenCL/Graph/OpenCLReLUOperator.swift), as the CPU rule ReLUOperator computes
// it. One work item per row r, looping over the layer's width: a coefficient a > 0 of neuron j
// multiplies its lower slope (α of the row where given and the neuron is unstable), a < 0 its
// upper line s·z + t (t into the constant); β-CROWN subtracts β·sign for split neurons.
// The host uploads t rounded up, α and β to nearest (any α in [0, 1] and β >= 0 stays valid).
//
// The allowance, added up per row and written with the constant:
//   Σ_j ((productFactor (|b| + |β·sign|) + magnitudeFactor |a|) m_j + coefficientFactor |a|)
//     + γ_intercept Σ|a·t| + rowSlack,
// m_j >= |z_j| (rounded up): the rounding of the product, the subtraction and the uploaded
// slope, times |z|; a rounded to the device type (|y| <= m_j) and a slope read as zero; an
// intercept read as zero; and rowSlack, the host's bound on flushed products and coefficients.

// Products and sums rounded one by one (no fused multiply-add), as the CPU rule computes them:
// in double the results are the CPU's bit for bit where the order of the sums is the same.
#pragma OPENCL FP_CONTRACT OFF
__kernel void relu_backward(const int rows, const int width, __global const REAL *coefficients,
                            __global const REAL *lowerSlope, __global const REAL *upperSlope,
                            __global const REAL *upperIntercept, __global const int *isUnstable,
                            __global const REAL *splitSign, __global const REAL *preActivationMagnitude,
                            const int hasAlpha, __global const REAL *alpha, const int hasBeta, __global const REAL *beta,
                            const REAL productFactor, const REAL magnitudeFactor, const REAL coefficientFactor,
                            const REAL gammaIntercept, const REAL rowSlack,
                            __global REAL *result, __global REAL *constants, __global REAL *constantMagnitude,
                            __global REAL *errors)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *row = coefficients + r * width;
    __global REAL *out = result + r * width;
    REAL intercept = 0, interceptMagnitude = 0, error = 0;
    for (int j = 0; j < width; j++) {
        const REAL a = row[j];
        REAL b = 0;
        if (a > 0) {
            b = a * (hasAlpha && isUnstable[j] ? alpha[r * width + j] : lowerSlope[j]);
        } else if (a < 0) {
            b = a * upperSlope[j];
            const REAL term = a * upperIntercept[j];
            intercept += term;
            interceptMagnitude += fabs(term);
        }
        // β-CROWN: the split constraint sign·z >= 0 times β >= 0, subtracted.
        REAL betaTerm = 0;
        if (hasBeta && splitSign[j] != 0 && beta[r * width + j] != 0) {
            betaTerm = beta[r * width + j] * splitSign[j];
            b -= betaTerm;
        }
        out[j] = b;
        if (b == 0 && a == 0) continue;
        error += (productFactor * (fabs(b) + fabs(betaTerm)) + magnitudeFactor * fabs(a)) * preActivationMagnitude[j]
            + coefficientFactor * fabs(a);
    }
    constants[r] = intercept;
    constantMagnitude[r] = interceptMagnitude;
    errors[r] = error + gammaIntercept * interceptMagnitude + rowSlack;
}
