// The per-row steps of the CROWN backward pass, between the weight products: one work item
// per row (an objective or neuron row of one subproblem), looping over the layer's width.
// Each step also adds up the rounding allowance of what it computes (see the Swift type
// RoundingAllowance): the host passes the γ factors of the device's arithmetic.
//
// Layouts: row r of a coefficient matrix starts at r * stride; per-subproblem arrays (slopes,
// magnitudes) start at owner[r] * width.


// The start of a pass for intermediate bounds: row r is values[r] at columns[r] and zero
// elsewhere (the first `width` values of the row: as far as the next steps read).
__kernel void unit_rows(const int rows, const int stride, const int width, __global const int *columns, __global const REAL *values,
                        __global REAL *coefficients)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global REAL *row = coefficients + r * stride;
    int j = 0;
    for (; j + 8 <= width; j += 8) vstore8((REAL8)(0), 0, row + j);
    for (; j < width; j++) row[j] = 0;
    row[columns[r]] = values[r];
}

// Bias of an affine stage into the constant, and the allowance of this stage:
//   constant += Σ μ_o b_o,   error += γ_bias Σ|μ_o b_o| + γ_product Σ|μ_o| v_o (+ flushed products).
__kernel void backward_bias(const int rows, const int width, const int stride,
                            __global const REAL *coefficients, __global const int *owner,
                            __global const REAL *bias, __global const REAL *weightedMagnitude,
                            __global const REAL *inputMagnitudeSum,
                            const REAL gammaBias, const REAL gammaProduct, const REAL flushPerTerm,
                            __global REAL *constants, __global REAL *constantMagnitude, __global REAL *errors)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *mu = coefficients + r * stride;
    __global const REAL *v = weightedMagnitude + owner[r] * width;
    REAL8 term8 = 0, termMagnitude8 = 0, productMagnitude8 = 0, nonzero8 = 0;
    int o = 0;
    for (; o + 8 <= width; o += 8) {
        const REAL8 c = vload8(0, mu + o);
        const REAL8 t = c * vload8(0, bias + o);
        term8 += t;
        termMagnitude8 += fabs(t);
        productMagnitude8 += fabs(c) * vload8(0, v + o);
        nonzero8 += fabs(c);
    }
    REAL term = SUM8(term8), termMagnitude = SUM8(termMagnitude8), productMagnitude = SUM8(productMagnitude8);
    int hasTerms = any(nonzero8 != 0);
    for (; o < width; o++) {
        const REAL c = mu[o];
        if (c == 0) continue;
        hasTerms = 1;
        term += c * bias[o];
        termMagnitude += fabs(c * bias[o]);
        productMagnitude += fabs(c) * v[o];
    }
    constants[r] += term;
    constantMagnitude[r] += fabs(term);
    errors[r] += gammaBias * termMagnitude + gammaProduct * productMagnitude
        + (hasTerms ? flushPerTerm * width * inputMagnitudeSum[owner[r]] : 0);
}

// Through a ReLU layer: ν (coefficients over the activations, rows of `incomingCoefficients`
// with stride incomingStride) becomes μ (over the pre-activations, rows of `coefficients` with
// stride `stride`); the two may be the same buffer. ν_j >= 0 takes the lower slope (α where
// optimized), ν_j < 0 the upper line, whose intercept goes into the constant; split neurons
// subtract β·sign. α and β are `rows x parameterStride`, this layer's from layerOffset.
//
// The bias step of the affine stage below (whose outputs are this layer's pre-activations)
// follows in the same loop, as backward_bias does it, while μ is at hand: its bias and
// magnitude factors are the `stage*` arguments.
__kernel void backward_relu(const int rows, const int width, const int stride, const int incomingStride,
                            __global const REAL *incomingCoefficients, __global REAL *coefficients, __global const int *owner,
                            __global const REAL *lowerSlope, __global const REAL *upperSlope,
                            __global const REAL *upperIntercept, __global const REAL *isUnstable,
                            __global const REAL *splitSign, __global const REAL *preActivationMagnitude,
                            const int parameterStride, const int layerOffset,
                            const int hasAlpha, __global const REAL *alpha,
                            const int hasBeta, __global const REAL *beta,
                            const REAL unit, const REAL gammaIntercept,
                            __global const REAL *stageBias, __global const REAL *stageWeightedMagnitude,
                            __global const REAL *stageInputMagnitudeSum,
                            const REAL gammaBias, const REAL gammaProduct, const REAL flushPerTerm,
                            __global REAL *constants, __global REAL *constantMagnitude, __global REAL *errors)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *nu = incomingCoefficients + r * incomingStride;
    __global REAL *mu = coefficients + r * stride;
    const int base = owner[r] * width;
    __global const REAL *v = stageWeightedMagnitude + base;
    const int parameters = r * parameterStride + layerOffset;
    REAL8 intercepts8 = 0, interceptMagnitude8 = 0, error8 = 0;
    REAL8 term8 = 0, termMagnitude8 = 0, productMagnitude8 = 0, nonzero8 = 0;
    int j = 0;
    for (; j + 8 <= width; j += 8) {
        const REAL8 incoming = vload8(0, nu + j);
        const REAL8 lower = vload8(0, lowerSlope + base + j);
        const REAL8 slope = hasAlpha ? select(lower, vload8(0, alpha + parameters + j), vload8(0, isUnstable + base + j) != 0) : lower;
        const REAL8 intercept = select(incoming * vload8(0, upperIntercept + base + j), (REAL8)(0), incoming >= 0);
        REAL8 outgoing = select(incoming * vload8(0, upperSlope + base + j), incoming * slope, incoming >= 0);
        intercepts8 += intercept;
        interceptMagnitude8 += fabs(intercept);
        REAL8 betaTerm = 0;
        if (hasBeta) {
            const REAL8 sign = vload8(0, splitSign + base + j);
            betaTerm = select((REAL8)(0), vload8(0, beta + parameters + j) * sign, sign != 0);
            outgoing -= betaTerm;
        }
        error8 += 2 * unit * (fabs(outgoing) + fabs(betaTerm)) * vload8(0, preActivationMagnitude + base + j);
        vstore8(outgoing, 0, mu + j);
        const REAL8 t = outgoing * vload8(0, stageBias + j);
        term8 += t;
        termMagnitude8 += fabs(t);
        productMagnitude8 += fabs(outgoing) * vload8(0, v + j);
        nonzero8 += fabs(outgoing);
    }
    REAL intercepts = SUM8(intercepts8), interceptMagnitude = SUM8(interceptMagnitude8), error = SUM8(error8);
    REAL term = SUM8(term8), termMagnitude = SUM8(termMagnitude8), productMagnitude = SUM8(productMagnitude8);
    int hasTerms = any(nonzero8 != 0);
    for (; j < width; j++) {
        const REAL incoming = nu[j];
        REAL outgoing;
        if (incoming >= 0) {
            const REAL slope = (isUnstable[base + j] != 0 && hasAlpha) ? alpha[parameters + j] : lowerSlope[base + j];
            outgoing = incoming * slope;
        } else {
            outgoing = incoming * upperSlope[base + j];
            const REAL intercept = incoming * upperIntercept[base + j];
            intercepts += intercept;
            interceptMagnitude += fabs(intercept);
        }
        REAL betaTerm = 0;
        if (hasBeta && splitSign[base + j] != 0) {
            betaTerm = beta[parameters + j] * splitSign[base + j];
            outgoing -= betaTerm;
        }
        error += 2 * unit * (fabs(outgoing) + fabs(betaTerm)) * preActivationMagnitude[base + j];
        mu[j] = outgoing;
        if (outgoing != 0) {
            hasTerms = 1;
            term += outgoing * stageBias[j];
            termMagnitude += fabs(outgoing * stageBias[j]);
            productMagnitude += fabs(outgoing) * v[j];
        }
    }
    // Added in the order of the two separate steps (the ReLU's intercepts, then the bias).
    constants[r] += intercepts;
    constants[r] += term;
    constantMagnitude[r] += interceptMagnitude;
    constantMagnitude[r] += fabs(term);
    errors[r] += error + gammaIntercept * interceptMagnitude
        + gammaBias * termMagnitude + gammaProduct * productMagnitude
        + (hasTerms ? flushPerTerm * width * stageInputMagnitudeSum[owner[r]] : 0);
}

// The end of a pass: the row's linear function over the input box, minimized at the corner
// each coefficient picks. Gives Σ ν_j x*_j and Σ |ν_j x*_j| (for the allowance), and the
// corner itself when asked (witness candidates, α gradients), in rows of cornerStride values
// whose padding beyond `width` is zero (a product may read it).
__kernel void concretize(const int rows, const int width, const int stride,
                         __global const REAL *coefficients, __global const int *owner,
                         __global const REAL *boxLower, __global const REAL *boxUpper,
                         __global REAL *sums, __global REAL *magnitudes,
                         const int writeCorners, const int cornerStride, __global REAL *corners)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *nu = coefficients + r * stride;
    __global const REAL *lower = boxLower + owner[r] * width;
    __global const REAL *upper = boxUpper + owner[r] * width;
    REAL8 sum8 = 0, magnitude8 = 0;
    int j = 0;
    for (; j + 8 <= width; j += 8) {
        const REAL8 c = vload8(0, nu + j), low = vload8(0, lower + j), high = vload8(0, upper + j);
        const REAL8 x = select(high, low, c >= 0);
        sum8 += c * x;
        magnitude8 += fabs(c * x);
        if (writeCorners) vstore8(select(x, low / 2 + high / 2, c == 0), 0, corners + r * cornerStride + j);
    }
    REAL sum = SUM8(sum8), magnitude = SUM8(magnitude8);
    for (; j < width; j++) {
        const REAL c = nu[j];
        const REAL x = c >= 0 ? lower[j] : upper[j];
        sum += c * x;
        magnitude += fabs(c * x);
        if (writeCorners) corners[r * cornerStride + j] = c == 0 ? lower[j] / 2 + upper[j] / 2 : x;
    }
    if (writeCorners) {
        for (int j = width; j < cornerStride; j++) corners[r * cornerStride + j] = 0;
    }
    sums[r] = sum;
    magnitudes[r] = magnitude;
}

// Interval arithmetic through one affine stage (IBP) in center-radius form: the host sends
// each input interval as a center c and a radius r with [c - r, c + r] ⊇ [l, u] (r rounded
// up), the product kernel computes W c and |W| r, and this step, one work item per (output,
// subproblem), gives [W c + b - |W| r, W c + b + |W| r] moved outward by the allowance
// γ·(|b_o| + (|W|·m)_o + (|W| r)_o), doubled, plus the absolute slack of flushed products,
// and one step further for the final operations. Products and radii come in rows of
// `productStride` values.
__kernel void interval_combine(const int subproblems, const int outputs, const int productStride,
                               __global const REAL *centerProducts, __global const REAL *radiusProducts,
                               __global const REAL *bias, __global const REAL *weightedMagnitude,
                               const REAL gamma, const REAL slack,
                               __global REAL *outputLower, __global REAL *outputUpper)
{
    const int o = get_global_id(0);
    const int p = get_global_id(1);
    if (o >= outputs || p >= subproblems) return;
    const REAL center = centerProducts[p * productStride + o] + bias[o];
    const REAL radius = radiusProducts[p * productStride + o];
    const REAL error = 2 * gamma * (fabs(bias[o]) + weightedMagnitude[p * outputs + o] + radius) + slack;
    const REAL low = nextafter(center - radius - error, (REAL)(-INFINITY));
    const REAL high = nextafter(center + radius + error, (REAL)(INFINITY));
    // Infinite or undefined inputs give no bound rather than NaN.
    outputLower[p * outputs + o] = isnan(low) ? (REAL)(-INFINITY) : low;
    outputUpper[p * outputs + o] = isnan(high) ? (REAL)(INFINITY) : high;
}
