// α-CROWN and β-CROWN on the device: the optimized lower slopes α, the split multipliers β
// and their Adam moments stay resident between iterations; the host only starts the loop and
// reads the best iterate at the end.
//
// One iteration: reset_rows, then a backward pass (backward_steps.cl) that keeps each ReLU
// layer's incoming coefficients ν and writes the minimizing corners, then keep_best, then the
// relaxed network run forward from those corners (a product by Wᵀ, then relaxed_forward per
// ReLU layer), which also takes the Adam step. Any α in [0, 1] and β >= 0 gives a sound bound,
// and every bound the host reports is recomputed from a real pass's parts with its allowance,
// so nothing here needs an allowance of its own: keep_best only chooses.
//
// Layouts: α, β and their moments are `rows x parameterStride` (all ReLUs of the network, one
// layer after the other from layerOffset); per-subproblem arrays start at owner[r] * width.

// The start of a pass: each row's constant and allowance parts as the request gave them.
__kernel void reset_rows(const int rows,
                         __global const REAL *initialConstants, __global const REAL *initialMagnitudes,
                         __global REAL *constants, __global REAL *constantMagnitude, __global REAL *errors)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    constants[r] = initialConstants[r];
    constantMagnitude[r] = initialMagnitudes[r];
    errors[r] = 0;
}

// Compares this iteration's bound of each row with the best so far (an estimate: the host
// recomputes the sound bound from the parts kept here) and keeps the parts, the corner, α and β
// of the better one.
__kernel void keep_best(const int rows, const int iteration, const int inputs, const int cornerStride,
                        const int parameterStride, const int hasBeta,
                        __global const REAL *constants, __global const REAL *constantMagnitude, __global const REAL *errors,
                        __global const REAL *sums, __global const REAL *magnitudes, __global const REAL *corners,
                        __global const REAL *alpha, __global const REAL *beta,
                        const REAL concreteGamma, const REAL constantGamma,
                        __global REAL *bestEstimate, __global int *bestIteration, __global REAL *bestParts,
                        __global REAL *bestCorners, __global REAL *bestAlpha, __global REAL *bestBeta)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const REAL total = constants[r] + sums[r];
    const REAL error = errors[r] + concreteGamma * (magnitudes[r] + fabs(constants[r])) + constantGamma * constantMagnitude[r];
    const REAL estimate = total - 2 * error;
    if (!(estimate > bestEstimate[r])) return;
    bestEstimate[r] = estimate;
    bestIteration[r] = iteration;
    __global REAL *parts = bestParts + 5 * r;
    parts[0] = constants[r];
    parts[1] = constantMagnitude[r];
    parts[2] = errors[r];
    parts[3] = sums[r];
    parts[4] = magnitudes[r];
    for (int j = 0; j < inputs; j++) bestCorners[r * inputs + j] = corners[r * cornerStride + j];
    for (int p = 0; p < parameterStride; p++) bestAlpha[r * parameterStride + p] = alpha[r * parameterStride + p];
    if (hasBeta) {
        for (int p = 0; p < parameterStride; p++) bestBeta[r * parameterStride + p] = beta[r * parameterStride + p];
    }
}

// One Adam ascent step of one parameter, projected onto [lowest, highest]. A parameter whose
// gradient and first moment are both zero is left alone (as the host optimizer does).
inline void adam_step(__global REAL *value, __global REAL *first, __global REAL *second, const REAL gradient,
                      const REAL rate, const REAL correction1, const REAL correction2, const REAL lowest, const REAL highest)
{
    if (gradient == 0 && *first == 0) return;
    const REAL m = (REAL)0.9 * *first + (REAL)0.1 * gradient;
    const REAL v = (REAL)0.999 * *second + (REAL)0.001 * gradient * gradient;
    *first = m;
    *second = v;
    const REAL step = rate * (m / correction1) / (sqrt(v / correction2) + (REAL)1e-8);
    *value = fmin(fmax(*value + step, lowest), highest);
}

// Through ReLU layer `layer` of the relaxed network at each row's corner: z holds x·Wᵀ of the
// stage before it (the bias is added here). With ν the coefficients the backward pass reached
// at this layer, the row's bound has gradient ν_j·z_j in α_j (unstable neurons with ν_j >= 0)
// and -sign_j·z_j in β_j (split neurons). Writes the relaxed activations (zeros in the
// padding, which the next product reads), then steps α and β.
__kernel void relaxed_forward(const int rows, const int width, const int paddedWidth, const int zStride, const int keptStride,
                              __global const REAL *z, __global const REAL *bias, __global const int *owner,
                              __global const REAL *lowerSlope, __global const REAL *upperSlope,
                              __global const REAL *upperIntercept, __global const REAL *isUnstable,
                              __global const REAL *splitSign, __global const REAL *kept,
                              const int parameterStride, const int layerOffset,
                              __global REAL *alpha, __global REAL *alphaFirst, __global REAL *alphaSecond,
                              const int useBeta, __global REAL *beta, __global REAL *betaFirst, __global REAL *betaSecond,
                              const REAL alphaRate, const REAL betaRate, const REAL correction1, const REAL correction2,
                              __global REAL *activations)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    const int base = owner[r] * width;
    const int parameters = r * parameterStride + layerOffset;
    int j = 0;
    // Eight neurons at a time, each lane exactly as the scalar loop below computes it.
    for (; j + 8 <= width; j += 8) {
        const REAL8 value = vload8(0, z + r * zStride + j) + vload8(0, bias + j);
        const REAL8 incoming = vload8(0, kept + r * keptStride + j);
        const REAL8 unstable = vload8(0, isUnstable + base + j);
        __global REAL *a = alpha + parameters + j;
        const REAL8 currentAlpha = vload8(0, a);
        const REAL8 slope = select(vload8(0, lowerSlope + base + j), currentAlpha, unstable != 0);
        const REAL8 activation = select(vload8(0, upperSlope + base + j) * value + vload8(0, upperIntercept + base + j),
                                        slope * value, incoming >= 0);
        vstore8(activation, 0, activations + r * paddedWidth + j);
        {
            const REAL8 gradient = select((REAL8)(0), incoming * value, incoming >= 0);
            __global REAL *first = alphaFirst + parameters + j, *second = alphaSecond + parameters + j;
            const REAL8 m0 = vload8(0, first), v0 = vload8(0, second);
            const REAL8 m = (REAL)0.9 * m0 + (REAL)0.1 * gradient;
            const REAL8 v = (REAL)0.999 * v0 + (REAL)0.001 * gradient * gradient;
            const REAL8 stepped = fmin(fmax(currentAlpha + alphaRate * (m / correction1) / (sqrt(v / correction2) + (REAL)1e-8), (REAL8)(0)), (REAL8)(1));
            const MASK8 update = (unstable != 0) & ((gradient != 0) | (m0 != 0));
            vstore8(select(m0, m, update), 0, first);
            vstore8(select(v0, v, update), 0, second);
            vstore8(select(currentAlpha, stepped, update), 0, a);
        }
        if (useBeta) {
            const REAL8 sign = vload8(0, splitSign + base + j);
            const REAL8 gradient = -sign * value;
            __global REAL *b = beta + parameters + j, *first = betaFirst + parameters + j, *second = betaSecond + parameters + j;
            const REAL8 b0 = vload8(0, b), m0 = vload8(0, first), v0 = vload8(0, second);
            const REAL8 m = (REAL)0.9 * m0 + (REAL)0.1 * gradient;
            const REAL8 v = (REAL)0.999 * v0 + (REAL)0.001 * gradient * gradient;
            const REAL8 stepped = fmax(b0 + betaRate * (m / correction1) / (sqrt(v / correction2) + (REAL)1e-8), (REAL8)(0));
            const MASK8 update = (sign != 0) & ((gradient != 0) | (m0 != 0));
            vstore8(select(m0, m, update), 0, first);
            vstore8(select(v0, v, update), 0, second);
            vstore8(select(b0, stepped, update), 0, b);
        }
    }
    for (; j < width; j++) {
        const REAL value = z[r * zStride + j] + bias[j];
        const REAL incoming = kept[r * keptStride + j];
        const int unstable = isUnstable[base + j] != 0;
        REAL activation;
        if (incoming >= 0) {
            activation = (unstable ? alpha[parameters + j] : lowerSlope[base + j]) * value;
        } else {
            activation = upperSlope[base + j] * value + upperIntercept[base + j];
        }
        activations[r * paddedWidth + j] = activation;
        if (unstable) {
            const REAL gradient = incoming >= 0 ? incoming * value : 0;
            adam_step(alpha + parameters + j, alphaFirst + parameters + j, alphaSecond + parameters + j, gradient,
                      alphaRate, correction1, correction2, 0, 1);
        }
        const REAL sign = splitSign[base + j];
        if (useBeta && sign != 0) {
            adam_step(beta + parameters + j, betaFirst + parameters + j, betaSecond + parameters + j, -sign * value,
                      betaRate, correction1, correction2, 0, INFINITY);
        }
    }
    for (int j = width; j < paddedWidth; j++) activations[r * paddedWidth + j] = 0;
}
