// A convolution (or average pool) kept structured on the device, as the CPU graph engine keeps
// it (Sources/VerdictCore/Network/Operators/ConvLayer.swift): the kernels read the layer's
// weights `[outputChannels, channels / groups, kernel height, kernel width]` and never build
// the dense matrix. A 1-D convolution is the 2-D one with height 1 (as WindowGeometry takes it).
//
// Every kernel runs over a batch of rows: row b of an input-shaped array (C x H x W values) starts
// at b * inputStride, row b of an output-shaped one (OC x OH x OW) at b * outputStride. One work
// item per (element, row): dimension 0 the element, dimension 1 the row.
//
// Rounding: conv_forward and conv_transposed give round-to-nearest sums and, when asked, the sum
// of the magnitudes of their terms, Σ|w·x|, from which the host bounds their error (a dot product
// of n terms is off by at most γ_n Σ|w·x|; see RoundingAllowance). conv_interval and
// conv_transposed_bias, the steps a bound pass uses, add their allowance themselves, from γ
// factors the host passes rounded up.

// The layer's geometry, the same arguments in the same order for every kernel: channels and
// size of the input, of the output, the kernel, stride, dilation, padding before each axis,
// and the number of groups.
#define GEOMETRY_ARGS const int C, const int H, const int W, const int OC, const int OH, const int OW, \
    const int KH, const int KW, const int strideH, const int strideW, const int dilationH, const int dilationW, \
    const int padH, const int padW, const int groups

// Σ w·x and Σ |w·x| over the window of output `o` in input row `x` (with |w| for w where
// `absolute`): what the forward kernels need, in one pass over the window (taps in the padding
// read nothing). `filter` is one kernel of the weights (`kernel` is a keyword of OpenCL C).
typedef struct { REAL sum; REAL magnitude; } WindowSums;

WindowSums window_sums(GEOMETRY_ARGS, const int o, __global const REAL *x, __global const REAL *weights, const int absolute)
{
    const int plane = OH * OW, co = o / plane, oh = (o % plane) / OW, ow = o % OW;
    const int channelsPerGroup = C / groups, firstChannel = (co / (OC / groups)) * channelsPerGroup;
    WindowSums result = { 0, 0 };
    for (int member = 0; member < channelsPerGroup; member++) {
        __global const REAL *filter = weights + (co * channelsPerGroup + member) * KH * KW;
        __global const REAL *channel = x + (firstChannel + member) * H * W;
        for (int kh = 0; kh < KH; kh++) {
            const int ih = oh * strideH - padH + kh * dilationH;
            if (ih < 0 || ih >= H) continue;
            for (int kw = 0; kw < KW; kw++) {
                const int iw = ow * strideW - padW + kw * dilationW;
                if (iw < 0 || iw >= W) continue;
                const REAL w = absolute ? fabs(filter[kh * KW + kw]) : filter[kh * KW + kw];
                const REAL term = w * channel[ih * W + iw];
                result.sum += term;
                result.magnitude += fabs(term);
            }
        }
    }
    return result;
}

// y = W x (+ b where hasBias), or |W| x where `absolute` (the radius product of interval
// arithmetic), for each row of the batch; where writeMagnitude, also Σ|w·x| (+ |b|) per output,
// for the host's rounding allowance (otherwise `magnitudes` is not touched).
__kernel void conv_forward(GEOMETRY_ARGS, const int rows, const int inputStride, const int outputStride,
                           __global const REAL *input, __global const REAL *weights, __global const REAL *bias,
                           const int hasBias, const int absolute, const int writeMagnitude,
                           __global REAL *output, __global REAL *magnitudes)
{
    const int o = get_global_id(0), b = get_global_id(1);
    if (o >= OC * OH * OW || b >= rows) return;
    const WindowSums sums = window_sums(C, H, W, OC, OH, OW, KH, KW, strideH, strideW, dilationH, dilationW, padH, padW, groups,
                                        o, input + b * inputStride, weights, absolute);
    const REAL biasTerm = hasBias ? bias[o / (OH * OW)] : 0;
    output[b * outputStride + o] = sums.sum + biasTerm;
    if (writeMagnitude) magnitudes[b * outputStride + o] = sums.magnitude + fabs(biasTerm);
}

// Interval arithmetic through the layer (IBP) in center-radius form, as interval_combine does it
// for dense stages: each input interval comes as a center c and a radius r (rounded up, so that
// [c - r, c + r] contains it), and the output is [W c + b - |W| r, W c + b + |W| r] moved
// outward by 2 γ (|b| + Σ|w·c| + |W| r) + slack and one step further (nextafter) for the last
// operations. The host passes γ = γ_{fanIn + 4} (the sums, the bias, and the rounding of weights,
// centers and radii to the device type) and the slack of flushed products.
__kernel void conv_interval(GEOMETRY_ARGS, const int rows, const int inputStride, const int outputStride,
                            __global const REAL *centers, __global const REAL *radii,
                            __global const REAL *weights, __global const REAL *bias,
                            const REAL gamma, const REAL slack,
                            __global REAL *outputLower, __global REAL *outputUpper)
{
    const int o = get_global_id(0), b = get_global_id(1);
    if (o >= OC * OH * OW || b >= rows) return;
    const WindowSums c = window_sums(C, H, W, OC, OH, OW, KH, KW, strideH, strideW, dilationH, dilationW, padH, padW, groups,
                                     o, centers + b * inputStride, weights, 0);
    const WindowSums r = window_sums(C, H, W, OC, OH, OW, KH, KW, strideH, strideW, dilationH, dilationW, padH, padW, groups,
                                     o, radii + b * inputStride, weights, 1);
    const REAL biasTerm = bias[o / (OH * OW)];
    const REAL center = c.sum + biasTerm;
    const REAL error = 2 * gamma * (fabs(biasTerm) + c.magnitude + r.sum) + slack;
    const REAL low = nextafter(center - r.sum - error, (REAL)(-INFINITY));
    const REAL high = nextafter(center + r.sum + error, (REAL)(INFINITY));
    // Infinite or undefined inputs give no bound rather than NaN.
    outputLower[b * outputStride + o] = isnan(low) ? (REAL)(-INFINITY) : low;
    outputUpper[b * outputStride + o] = isnan(high) ? (REAL)(INFINITY) : high;
}

// The backward step of CROWN through the layer: each row λ (output-shaped) becomes λ·W
// (input-shaped), the transposed convolution. Input element (ci, ih, iw) gathers
// λ[co, oh, ow] · w[co, ci, kh, kw] over the output channels of its group and the taps with
// oh·strideH - padH + kh·dilationH = ih (and the same across), so no two work items write one
// value. Where writeMagnitude, also Σ|λ·w| per input element (otherwise `magnitudes` is not
// touched). The bias goes into the row's constant separately (conv_transposed_bias).
__kernel void conv_transposed(GEOMETRY_ARGS, const int rows, const int coefficientStride, const int resultStride,
                              __global const REAL *coefficients, __global const REAL *weights,
                              const int writeMagnitude, __global REAL *result, __global REAL *magnitudes)
{
    const int i = get_global_id(0), b = get_global_id(1);
    if (i >= C * H * W || b >= rows) return;
    const int ci = i / (H * W), ih = (i % (H * W)) / W, iw = i % W;
    const int channelsPerGroup = C / groups, outputsPerGroup = OC / groups;
    const int group = ci / channelsPerGroup, member = ci % channelsPerGroup;
    __global const REAL *lambda = coefficients + b * coefficientStride;
    REAL sum = 0, magnitude = 0;
    for (int co = group * outputsPerGroup; co < (group + 1) * outputsPerGroup; co++) {
        __global const REAL *filter = weights + (co * channelsPerGroup + member) * KH * KW;
        __global const REAL *plane = lambda + co * OH * OW;
        for (int kh = 0; kh < KH; kh++) {
            const int rowOffset = ih + padH - kh * dilationH;
            if (rowOffset < 0 || rowOffset % strideH != 0 || rowOffset / strideH >= OH) continue;
            const int oh = rowOffset / strideH;
            for (int kw = 0; kw < KW; kw++) {
                const int columnOffset = iw + padW - kw * dilationW;
                if (columnOffset < 0 || columnOffset % strideW != 0 || columnOffset / strideW >= OW) continue;
                const REAL term = plane[oh * OW + columnOffset / strideW] * filter[kh * KW + kw];
                sum += term;
                magnitude += fabs(term);
            }
        }
    }
    result[b * resultStride + i] = sum;
    if (writeMagnitude) magnitudes[b * resultStride + i] = magnitude;
}

// The rest of the backward step, one work item per row, as ConvOperator.backward does it on the
// CPU: the bias's share of the row's constant, Σ_o λ_o b_{channel(o)}, its magnitude
// Σ|λ_o b_{channel(o)}|, and the step's allowance
//   γ_product Σ_o |λ_o| m_o + γ_bias Σ|λ_o b_{channel(o)}| + flushPerTerm Σ_j m'_j,
// with m = |W|·m' and m' the magnitude of the layer's input, per subproblem: row r reads those
// of subproblem owner[r] (m as `weightedMagnitude`, Σ m' as `inputMagnitudeSum`). The last term
// covers the products of conv_transposed that flush to zero (the host passes fanOut times the
// slack of one; rows of zeros have none). The host passes γ_product for the transposed sums and
// γ_bias for the bias sum, rounded up; the three results are written, not added.
__kernel void conv_transposed_bias(const int rows, const int outputs, const int plane, const int coefficientStride,
                                   __global const REAL *coefficients, __global const int *owner,
                                   __global const REAL *bias, __global const REAL *weightedMagnitude,
                                   __global const REAL *inputMagnitudeSum,
                                   const REAL gammaBias, const REAL gammaProduct, const REAL flushPerTerm,
                                   __global REAL *constants, __global REAL *constantMagnitude, __global REAL *errors)
{
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const REAL *lambda = coefficients + r * coefficientStride;
    __global const REAL *m = weightedMagnitude + owner[r] * outputs;
    REAL biasSum = 0, termMagnitude = 0, product = 0;
    int hasTerms = 0;
    for (int o = 0; o < outputs; o++) {
        const REAL c = lambda[o];
        if (c == 0) continue;
        hasTerms = 1;
        const REAL term = c * bias[o / plane];
        biasSum += term;
        termMagnitude += fabs(term);
        product += fabs(c) * m[o];
    }
    constants[r] = biasSum;
    constantMagnitude[r] = termMagnitude;
    errors[r] = gammaProduct * product + gammaBias * termMagnitude
        + (hasTerms ? flushPerTerm * inputMagnitudeSum[owner[r]] : 0);
}
