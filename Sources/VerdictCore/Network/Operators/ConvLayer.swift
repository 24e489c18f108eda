/// A 1-D or 2-D convolution (ONNX `Conv`, with stride, padding, dilation and groups), kept as
/// a convolution: a `3x32x32 → 16x16x16` layer holds its 768 weights, never the 4096 x 3072
/// matrix they stand for. Average pooling is the same map with fixed weights `1 / taps`
/// (``Kind/averagePool``).
public struct ConvLayer: Layer {
    public enum Kind: String, Sendable {
        case convolution = "Conv"
        case averagePool = "AveragePool"
    }

    public let kind: Kind
    public let geometry: WindowGeometry
    public let outputChannels: Int
    public let groups: Int
    /// `[outputChannels, channels / groups, kernel height, kernel width]`, row-major.
    public let weights: [Double]
    public let bias: [Double]
    public let floatWeights: [Float]
    public let floatBias: [Float]
    public let outputShape: TensorShape

    /// `outputShape` is the ONNX shape (`[1, C, H, W]` or `[1, C, L]`); its element count must
    /// be `outputChannels · outputHeight · outputWidth`.
    public init(kind: Kind = .convolution, geometry: WindowGeometry, outputChannels: Int, groups: Int, weights: [Double], bias: [Double], outputShape: TensorShape) {
        precondition(groups > 0 && geometry.channels % groups == 0 && outputChannels % groups == 0, "groups must divide the channels")
        precondition(weights.count == outputChannels * (geometry.channels / groups) * geometry.taps, "convolution weights of the wrong size")
        precondition(bias.count == outputChannels, "one bias per output channel")
        precondition(outputShape.elementCount == outputChannels * geometry.outputPlane, "output shape \(outputShape) does not fit the convolution")
        self.kind = kind
        self.geometry = geometry
        self.outputChannels = outputChannels
        self.groups = groups
        self.weights = weights
        self.bias = bias
        self.floatWeights = weights.map { Float($0) }
        self.floatBias = bias.map { Float($0) }
        self.outputShape = outputShape
    }

    public var operatorName: String { kind.rawValue }
    public var inputCount: Int { geometry.channels * geometry.inputPlane }
    public var outputCount: Int { outputChannels * geometry.outputPlane }
    public var parameterCount: Int { kind == .convolution ? weights.count + bias.count : 0 }
    public var inputChannelsPerGroup: Int { geometry.channels / groups }
    public var outputChannelsPerGroup: Int { outputChannels / groups }
    /// The most products summed into one output, and into one entry of a transposed product:
    /// what the rounding allowances of the bound engines count.
    public var fanIn: Int { inputChannelsPerGroup * geometry.taps }
    public var fanOut: Int { outputChannelsPerGroup * geometry.taps }

    public func problemWithInputs(_ shapes: [TensorShape]) -> String? {
        guard shapes.count == 1 else { return "\(operatorName) takes one input, got \(shapes.count)" }
        guard shapes[0].elementCount == inputCount else {
            return "\(operatorName) expects \(inputCount) inputs (\(geometry.channels) channels of \(geometry.height)x\(geometry.width)), got shape \(shapes[0])"
        }
        return nil
    }

    public func evaluate(_ inputs: [[Double]]) -> [Double] { apply(inputs[0], weights: weights, bias: bias) }
    public func evaluate(_ inputs: [[Float]]) -> [Float] { apply(inputs[0], weights: floatWeights, bias: floatBias) }

    /// Several samples' convolutions: their im2col matrices side by side, one matrix product
    /// per group for all of them (at most about 2^20 entries of scratch at a time).
    public func evaluate(batch: [[[Double]]]) -> [[Double]] {
        guard batch.count > 1 else { return batch.map { evaluate($0) } }
        let g = geometry, outPlane = g.outputPlane, depth = inputChannelsPerGroup * g.taps
        let perChunk = max(1, (1 << 20) / max(depth * outPlane, 1))
        var outputs: [[Double]] = []
        outputs.reserveCapacity(batch.count)
        for start in stride(from: 0, to: batch.count, by: perChunk) {
            outputs += convolve(batch[start..<min(start + perChunk, batch.count)].map { $0[0] })
        }
        return outputs
    }

    /// The convolutions of `samples` with this layer's weights and bias.
    private func convolve(_ samples: [[Double]]) -> [[Double]] {
        let g = geometry, outPlane = g.outputPlane, inPlane = g.inputPlane, taps = g.taps
        let depth = inputChannelsPerGroup * taps, width = samples.count * outPlane
        // Channel-major: output channel `co` of sample `s` at `co * width + s * outPlane`.
        let product = UnsafeMutablePointer<Double>.allocate(capacity: outputChannels * width)
        let columns = UnsafeMutablePointer<Double>.allocate(capacity: depth * width)
        defer { product.deallocate(); columns.deallocate() }
        weights.withUnsafeBufferPointer { w in
            for group in 0..<groups {
                for (s, sample) in samples.enumerated() {
                    sample.withUnsafeBufferPointer { x in
                        for local in 0..<inputChannelsPerGroup {
                            let plane = x.baseAddress! + (group * inputChannelsPerGroup + local) * inPlane
                            for tap in 0..<taps { g.gather(tap: tap, input: plane, into: columns + (local * taps + tap) * width + s * outPlane) }
                        }
                    }
                }
                let first = group * outputChannelsPerGroup
                MatrixProduct.multiply(
                    m: outputChannelsPerGroup, n: width, k: depth, w.baseAddress! + first * depth, rowStride: depth,
                    columns, rowStride: width, into: product + first * width, rowStride: width, accumulate: false)
            }
        }
        return samples.indices.map { s in
            var output = [Double](repeating: 0, count: outputCount)
            for co in 0..<outputChannels {
                let source = product + co * width + s * outPlane, bias = self.bias[co]
                for p in 0..<outPlane { output[co * outPlane + p] = source[p] + bias }
            }
            return output
        }
    }

    /// The convolution of `input` with other weights of this layer's shape (for example
    /// `|W|`, for rounding allowances); `bias` nil adds none. For each input channel and
    /// kernel tap, the inputs the tap reads are gathered into one contiguous plane (a row of
    /// the im2col matrix), which every output channel of the group then adds in scaled: the
    /// inner loop is a contiguous `axpy` over a whole output plane.
    @_specialize(where T == Double)
    @_specialize(where T == Float)
    public func apply<T: BinaryFloatingPoint>(_ input: [T], weights: [T], bias: [T]?) -> [T] {
        let g = geometry, outPlane = g.outputPlane, inPlane = g.inputPlane, taps = g.taps
        var output = [T](repeating: 0, count: outputCount)
        var column = [T](repeating: 0, count: outPlane)
        output.withUnsafeMutableBufferPointer { out in
            if let bias { for co in 0..<outputChannels { (out.baseAddress! + co * outPlane).update(repeating: bias[co], count: outPlane) } }
            input.withUnsafeBufferPointer { x in
                weights.withUnsafeBufferPointer { w in
                    column.withUnsafeMutableBufferPointer { col in
                        let c = col.baseAddress!
                        for ci in 0..<geometry.channels {
                            let group = ci / inputChannelsPerGroup, local = ci % inputChannelsPerGroup
                            for tap in 0..<taps {
                                g.gather(tap: tap, input: x.baseAddress! + ci * inPlane, into: c)
                                for co in (group * outputChannelsPerGroup)..<((group + 1) * outputChannelsPerGroup) {
                                    let weight = w[(co * inputChannelsPerGroup + local) * taps + tap]
                                    if weight == 0 { continue }
                                    let o = out.baseAddress! + co * outPlane
                                    for p in 0..<outPlane { o[p] += weight * c[p] }
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// The Double convolution as one matrix product per group (OpenBLAS): the im2col matrix
    /// (one row per input channel and kernel tap, holding the inputs that tap reads at each
    /// output position) multiplied by the weights, added to the bias. The Float32 one (the
    /// generic `apply`) stays a loop: it is the exact evaluator's, and not on a hot path.
    public func apply(_ input: [Double], weights: [Double], bias: [Double]?) -> [Double] {
        var output = [Double](repeating: 0, count: outputCount)
        input.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { out in
                    convolve(x.baseAddress!, weights: w.baseAddress!, bias: bias, into: out.baseAddress!)
                }
            }
        }
        return output
    }

    /// Several convolutions of one input at once, with `sets` weight sets of this layer's
    /// shape stacked by ``stacked(_:)``: the input's im2col matrix is gathered, and packed by
    /// BLAS, once for all of them. Returns one output per set, without bias.
    public func apply(_ input: [Double], stackedWeights: [Double], sets: Int) -> [[Double]] {
        precondition(stackedWeights.count == sets * weights.count, "stacked weights of the wrong size")
        var stackedOutput = [Double](repeating: 0, count: sets * outputCount)
        input.withUnsafeBufferPointer { x in
            stackedWeights.withUnsafeBufferPointer { w in
                stackedOutput.withUnsafeMutableBufferPointer { out in
                    convolve(x.baseAddress!, weights: w.baseAddress!, rowsPerGroup: sets * outputChannelsPerGroup, bias: nil, into: out.baseAddress!)
                }
            }
        }
        // Per group the output holds each set's channels in turn: unstack them.
        let block = outputChannelsPerGroup * geometry.outputPlane
        var outputs = [[Double]](repeating: [], count: sets)
        for set in 0..<sets {
            outputs[set].reserveCapacity(outputCount)
            for group in 0..<groups {
                let start = (group * sets + set) * block
                outputs[set].append(contentsOf: stackedOutput[start..<(start + block)])
            }
        }
        return outputs
    }

    /// Weight sets of this layer's shape stacked for ``apply(_:stackedWeights:sets:)``: per
    /// group, each set's rows (output channels) in turn.
    public func stacked(_ weightSets: [[Double]]) -> [Double] {
        let block = outputChannelsPerGroup * inputChannelsPerGroup * geometry.taps
        var result: [Double] = []
        result.reserveCapacity(weightSets.count * weights.count)
        for group in 0..<groups {
            for set in weightSets { result.append(contentsOf: set[(group * block)..<((group + 1) * block)]) }
        }
        return result
    }

    /// Writes the convolution of `x` (with `weights` of this layer's shape) into `output`.
    /// `rowsPerGroup` more than the group's output channels convolves stacked weight sets.
    private func convolve(
        _ x: UnsafePointer<Double>, weights w: UnsafePointer<Double>, rowsPerGroup: Int? = nil, bias: [Double]?, into output: UnsafeMutablePointer<Double>
    ) {
        let g = geometry, outPlane = g.outputPlane, inPlane = g.inputPlane, taps = g.taps
        let depth = inputChannelsPerGroup * taps, rowsPerGroup = rowsPerGroup ?? outputChannelsPerGroup
        if let bias {
            for co in 0..<outputChannels { (output + co * outPlane).update(repeating: bias[co], count: outPlane) }
        } else {
            output.update(repeating: 0, count: groups * rowsPerGroup * outPlane)
        }
        let columns = UnsafeMutablePointer<Double>.allocate(capacity: depth * outPlane)
        defer { columns.deallocate() }
        for group in 0..<groups {
            for local in 0..<inputChannelsPerGroup {
                let plane = x + (group * inputChannelsPerGroup + local) * inPlane
                for tap in 0..<taps { g.gather(tap: tap, input: plane, into: columns + (local * taps + tap) * outPlane) }
            }
            let first = group * rowsPerGroup
            MatrixProduct.multiply(
                m: rowsPerGroup, n: outPlane, k: depth, w + first * depth, rowStride: depth,
                columns, rowStride: outPlane, into: output + first * outPlane, rowStride: outPlane, accumulate: true)
        }
    }

    /// `Wᵀ c`: how a linear function `c · y` of the outputs reads the inputs (a transposed
    /// convolution), added into `result`. See ``applyTransposed(rows:count:into:)``.
    public func applyTransposed(_ coefficients: UnsafePointer<Double>, into result: UnsafeMutablePointer<Double>) {
        applyTransposed(rows: coefficients, count: 1, into: result)
    }

    /// `Wᵀ cᵣ` for `count` rows of coefficients (`outputCount` apart), added into `count` rows
    /// of `result` (`inputCount` apart). Per group, one matrix product over all the rows gives
    /// each input channel and kernel tap the sum of the output channels' coefficient planes,
    /// which is then scattered to the inputs the tap reads. Rows passed back from a few
    /// neurons are zero outside a small window, so each row brings only its output rows
    /// between the first and the last nonzero coefficient, and a row whose coefficients in a
    /// group are all zero brings none. Batching the rows matters on small planes: one row of a
    /// `128x2x2` layer is a product 4 columns wide, which BLAS spends on packing the weights.
    public func applyTransposed(rows coefficients: UnsafePointer<Double>, count: Int, into result: UnsafeMutablePointer<Double>) {
        let g = geometry, outPlane = g.outputPlane, depth = inputChannelsPerGroup * g.taps
        // Columns of the products: at most this many entries of scratch at a time.
        let columnLimit = max(outPlane, (1 << 20) / max(depth, 1))
        var windows: [TransposeWindow] = []
        for group in 0..<groups {
            windows.removeAll(keepingCapacity: true)
            var columns = 0
            for r in 0..<count {
                guard let window = transposeWindow(coefficients + r * outputCount, group: group) else { continue }
                if columns + window.width > columnLimit && !windows.isEmpty {
                    transposedProduct(group: group, windows: windows, columns: columns, coefficients, into: result)
                    windows.removeAll(keepingCapacity: true)
                    columns = 0
                }
                windows.append(TransposeWindow(row: r, rows: window.rows, start: window.start, width: window.width, offset: columns))
                columns += window.width
            }
            if !windows.isEmpty { transposedProduct(group: group, windows: windows, columns: columns, coefficients, into: result) }
        }
    }

    /// Where one row's coefficients of one group are nonzero: whole output rows of the plane,
    /// and their place among the columns of a batched product.
    private struct TransposeWindow {
        var row: Int
        var rows: Range<Int>
        var start: Int
        var width: Int
        var offset: Int
    }

    /// The output rows of `group`'s planes holding row `c`'s nonzero coefficients, nil if none.
    private func transposeWindow(_ c: UnsafePointer<Double>, group: Int) -> (rows: Range<Int>, start: Int, width: Int)? {
        let g = geometry, outPlane = g.outputPlane
        var first = outPlane, last = -1
        for co in (group * outputChannelsPerGroup)..<((group + 1) * outputChannelsPerGroup) {
            let plane = c + co * outPlane
            var low = 0
            while low < outPlane && plane[low] == 0 { low += 1 }
            if low == outPlane { continue }
            var high = outPlane - 1
            while plane[high] == 0 { high -= 1 }
            first = min(first, low)
            last = max(last, high)
        }
        if last < 0 { return nil }
        let rows = (first / g.outputWidth)..<(last / g.outputWidth + 1)
        let start = rows.lowerBound * g.outputWidth
        return (rows, start, rows.upperBound * g.outputWidth - start)
    }

    /// One group's product for the rows `windows`: their windows packed side by side
    /// (`columns` wide), multiplied by the group's weights read transposed, scattered back.
    private func transposedProduct(
        group: Int, windows: [TransposeWindow], columns: Int, _ coefficients: UnsafePointer<Double>, into result: UnsafeMutablePointer<Double>
    ) {
        let g = geometry, outPlane = g.outputPlane, inPlane = g.inputPlane, taps = g.taps
        let depth = inputChannelsPerGroup * taps, channels = outputChannelsPerGroup, firstOut = group * channels
        let packed = UnsafeMutablePointer<Double>.allocate(capacity: channels * columns)
        let products = UnsafeMutablePointer<Double>.allocate(capacity: depth * columns)
        defer { packed.deallocate(); products.deallocate() }
        for window in windows {
            let row = coefficients + window.row * outputCount + firstOut * outPlane + window.start
            for co in 0..<channels { (packed + co * columns + window.offset).update(from: row + co * outPlane, count: window.width) }
        }
        weights.withUnsafeBufferPointer { w in
            MatrixProduct.multiply(
                m: depth, n: columns, k: channels, w.baseAddress! + firstOut * depth, rowStride: depth, transposeA: true,
                packed, rowStride: columns, into: products, rowStride: columns, accumulate: false)
        }
        for window in windows {
            let target = result + window.row * inputCount
            for local in 0..<inputChannelsPerGroup {
                let plane = target + (group * inputChannelsPerGroup + local) * inPlane
                for tap in 0..<taps {
                    // `scatterAdd` reads entries `start..<start + width` of a whole plane.
                    let column = products + (local * taps + tap) * columns + window.offset - window.start
                    g.scatterAdd(tap: tap, column: column, outputRows: window.rows, into: plane)
                }
            }
        }
    }

    public var description: String {
        let g = geometry
        return "\(operatorName) \(g.channels)x\(g.height)x\(g.width) → \(outputChannels)x\(g.outputHeight)x\(g.outputWidth) (kernel \(g.kernel[0])x\(g.kernel[1]), stride \(g.stride[0])x\(g.stride[1]))"
    }
}
