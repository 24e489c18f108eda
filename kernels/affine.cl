// A dense layer y = W x + b (Gemm, MatMul and the linear operators folded into them) on the
// device, for the OpenCL graph engine's affine rule (Sources/VerdictOpenCL/Graph/
// OpenCLAffineOperator.swift), as the CPU rule AffineOperator computes it. W is row-major,
// outputs x inputs. Dimension 0 of every launch is the element, dimension 1 the row of a batch.
//
// Rounding: affine_interval and affine_transposed_bias add their allowance themselves, from γ
// factors and slacks the host passes rounded up; affine_magnitude and affine_transposed give
// round-to-nearest sums whose error the host (or affine_transposed_bias) bounds.

// Products and sums rounded one by one (no fused multiply-add), as the CPU rule computes them:
// in double the results are the CPU's bit for bit where the order of the sums is the same.
#pragma OPENCL FP_CONTRACT OFF

// Interval arithmetic (IBP), one work item per output o, the sums split by the weights' signs:
//   low = b + Σ (w >= 0 ? w·l : w·u),   high = b + Σ (w >= 0 ? w·u : w·l),
// moved outward by 2 γ (|b| + M_o) + slack and one step further (nextafter) for the last
// operations, with M_o >= |W|·max(|l|, |u|) (the layer's weighted magnitude, rounded up).
__kernel void affine_interval(const int outputs, const int inputs,
                              __global const REAL *lower, __global const REAL *upper,
                              __global const REAL *weights, __global const REAL *bias,
                              __global const REAL *weightedMagnitude, const REAL gamma, const REAL slack,
                              __global REAL *outputLower, __global REAL *outputUpper)
{
    const int o = get_global_id(0);
    if (o >= outputs) return;
    __global const REAL *w = weights + o * inputs;
    REAL low = bias[o], high = bias[o];
    for (int i = 0; i < inputs; i++) {
        const REAL wi = w[i];
        if (wi >= 0) {
            low += wi * lower[i];
            high += wi * upper[i];
        } else {
            low += wi * upper[i];
            high += wi * lower[i];
        }
    }
    const REAL error = 2 * gamma * (fabs(bias[o]) + weightedMagnitude[o]) + slack;
    low = nextafter(low - error, (REAL)(-INFINITY));
    high = nextafter(high + error, (REAL)(INFINITY));
    // Infinite or undefined inputs give no bound rather than NaN.
    outputLower[o] = isnan(low) ? (REAL)(-INFINITY) : low;
    outputUpper[o] = isnan(high) ? (REAL)(INFINITY) : high;
}

// |W|·m, one work item per output: the round-to-nearest sum Σ|w_i|·m_i (the host scales it up).
__kernel void affine_magnitude(const int outputs, const int inputs, __global const REAL *magnitude,
                               __global const REAL *weights, __global REAL *result)
{
    const int o = get_global_id(0);
    if (o >= outputs) return;
    __global const REAL *w = weights + o * inputs;
    REAL sum = 0;
    for (int i = 0; i < inputs; i++) sum += fabs(w[i]) * magnitude[i];
    result[o] = sum;
}

// The backward step of CROWN: row λ (outputs wide) becomes λ·W (inputs wide). One work item
// per (block of 8 inputs, row r), an axpy over the row's non-zero coefficients with 8-wide vector
// steps (a scalar tail for the last inputs): each input's sum runs over o in order, as the CPU
// rule's, so in double the results are the CPU's bit for bit. The bias goes into the constant
// separately.
__kernel void affine_transposed(const int rows, const int outputs, const int inputs,
                                __global const REAL *coefficients, __global const REAL *weights, __global REAL *result)
{
    const int first = get_global_id(0) * 8, r = get_global_id(1);
    if (first >= inputs || r >= rows) return;
    __global const REAL *lambda = coefficients + r * outputs;
    __global REAL *out = result + r * inputs + first;
    if (first + 8 <= inputs) {
        REAL8 sum = 0;
        for (int o = 0; o < outputs; o++) {
            const REAL c = lambda[o];
            if (c != 0) sum += c * vload8(0, weights + o * inputs + first);
        }
        vstore8(sum, 0, out);
        return;
    }
    for (int i = 0; first + i < inputs; i++) {
        REAL sum = 0;
        for (int o = 0; o < outputs; o++) {
            const REAL c = lambda[o];
            if (c != 0) sum += c * weights[o * inputs + first + i];
        }
        out[i] = sum;
    }
}

// The rest of the backward step, one work item per row, as AffineOperator.backward counts it:
// the constant Σ λ_o b_o, its magnitude Σ|λ_o b_o|, and the allowance
//   γ_product Σ|λ_o| M_o + γ_bias Σ|λ_o b_o| + rowSlack,
// M the layer's weighted magnitude |W|·m (rounded up), rowSlack the host's bound on flushed
// products and coefficients. The three results are written, not added.
__kernel void affine_transposed_bias(const int rows, const int outputs,
                                     __global const REAL *coefficients, __global const REAL *bias,
                                     __global const REAL *weightedMagnitude,
                                     const REAL gammaBias, const REAL gammaProduct, const REAL rowSlack,
                                     __global REAL *constants, __global REAL *constantMagnitude, __global REAL *errors)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *lambda = coefficients + r * outputs;
    REAL biasSum = 0, termMagnitude = 0, product = 0;
    for (int o = 0; o < outputs; o++) {
        const REAL c = lambda[o];
        if (c == 0) continue;
        const REAL term = c * bias[o];
        biasSum += term;
        termMagnitude += fabs(term);
        product += fabs(c) * weightedMagnitude[o];
    }
    constants[r] = biasSum;
    constantMagnitude[r] = termMagnitude;
    errors[r] = gammaProduct * product + gammaBias * termMagnitude + rowSlack;
}
