/// Where a sliding window (a convolution's kernel, a pooling window) reads a `[1, C, H, W]`
/// tensor: kernel, stride, dilation and padding on the two spatial axes. A 1-D tensor
/// `[1, C, L]` is taken as `H = 1`, so one geometry serves 1-D and 2-D operators.
public struct WindowGeometry: Hashable, Sendable {
    public let channels: Int
    /// Input height and width.
    public let height: Int
    public let width: Int
    public let kernel: [Int]
    public let stride: [Int]
    public let dilation: [Int]
    /// Padding before and after each spatial axis.
    public let padBegin: [Int]
    public let padEnd: [Int]
    public let outputHeight: Int
    public let outputWidth: Int

    /// Fails (nil) when the window does not fit: a kernel wider than the padded input, or a
    /// non-positive stride or dilation.
    public init?(channels: Int, height: Int, width: Int, kernel: [Int], stride: [Int], dilation: [Int], padBegin: [Int], padEnd: [Int]) {
        let lists = [kernel, stride, dilation, padBegin, padEnd]
        guard channels > 0, height > 0, width > 0, lists.allSatisfy({ $0.count == 2 }) else { return nil }
        guard kernel.allSatisfy({ $0 > 0 }), stride.allSatisfy({ $0 > 0 }), dilation.allSatisfy({ $0 > 0 }),
              (padBegin + padEnd).allSatisfy({ $0 >= 0 && $0 < 1 << 20 }), (kernel + stride + dilation).allSatisfy({ $0 < 1 << 20 }) else { return nil }
        let spanH = dilation[0] * (kernel[0] - 1) + 1, spanW = dilation[1] * (kernel[1] - 1) + 1
        let paddedH = height + padBegin[0] + padEnd[0], paddedW = width + padBegin[1] + padEnd[1]
        guard paddedH >= spanH, paddedW >= spanW else { return nil }
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.dilation = dilation
        self.padBegin = padBegin
        self.padEnd = padEnd
        outputHeight = (paddedH - spanH) / stride[0] + 1
        outputWidth = (paddedW - spanW) / stride[1] + 1
    }

    public var inputPlane: Int { height * width }
    public var outputPlane: Int { outputHeight * outputWidth }
    public var taps: Int { kernel[0] * kernel[1] }

    /// The input row read by kernel row `kh` at output row `oh`, or nil in the padding.
    @inline(__always) public func inputRow(_ oh: Int, _ kh: Int) -> Int? {
        let row = oh * stride[0] - padBegin[0] + kh * dilation[0]
        return row >= 0 && row < height ? row : nil
    }

    /// The input column read by kernel column `kw` at output column `ow`, or nil in the padding.
    @inline(__always) public func inputColumn(_ ow: Int, _ kw: Int) -> Int? {
        let column = ow * stride[1] - padBegin[1] + kw * dilation[1]
        return column >= 0 && column < width ? column : nil
    }

    /// The output columns whose kernel column `kw` reads inside the input: input column
    /// `ow · stride + columnOffset(kw)` for each of them.
    public func columnRange(_ kw: Int) -> Range<Int> {
        let offset = columnOffset(kw)
        // ow · s + offset >= 0 and <= width - 1.
        let first = offset >= 0 ? 0 : (-offset + stride[1] - 1) / stride[1]
        let last = width - 1 - offset < 0 ? -1 : min((width - 1 - offset) / stride[1], outputWidth - 1)
        return first <= last ? first..<(last + 1) : 0..<0
    }

    public func columnOffset(_ kw: Int) -> Int { kw * dilation[1] - padBegin[1] }

    /// Calls `body(outputOffset, inputOffset, tap)` for every (output position, kernel tap)
    /// pair that reads inside the input, within one channel plane (offsets are in-plane).
    @inline(__always) public func forEachTap(_ body: (Int, Int, Int) -> Void) {
        for oh in 0..<outputHeight {
            for kh in 0..<kernel[0] {
                guard let ih = inputRow(oh, kh) else { continue }
                for ow in 0..<outputWidth {
                    for kw in 0..<kernel[1] {
                        guard let iw = inputColumn(ow, kw) else { continue }
                        body(oh * outputWidth + ow, ih * width + iw, kh * kernel[1] + kw)
                    }
                }
            }
        }
    }

    /// Calls `body(columns, step, outputRow, inputRow)` for every output row that kernel tap
    /// `(kh, kw)` reads inside the input: output `outputRow + ow` reads input `inputRow +
    /// ow·step` for each `ow` in `columns`. The convolution loops of both directions run over this.
    @inline(__always) func forEachRow(ofTap kh: Int, _ kw: Int, outputRows: Range<Int>? = nil, _ body: (Range<Int>, Int, Int, Int) -> Void) {
        let columns = columnRange(kw), offset = columnOffset(kw)
        if columns.isEmpty { return }
        for oh in outputRows ?? 0..<outputHeight {
            guard let ih = inputRow(oh, kh) else { continue }
            body(columns, stride[1], oh * outputWidth, ih * width + offset)
        }
    }

    /// `column[op] = input[ip]` for every output position `op` whose tap `tap` reads input
    /// `ip` of one channel plane, 0 where it reads the padding: one row of the im2col matrix,
    /// so the convolution's multiply-adds run over whole contiguous output planes.
    @_specialize(where T == Double)
    @_specialize(where T == Float)
    @inline(__always) public func gather<T: BinaryFloatingPoint>(tap: Int, input: UnsafePointer<T>, into column: UnsafeMutablePointer<T>) {
        column.update(repeating: 0, count: outputPlane)
        forEachRow(ofTap: tap / kernel[1], tap % kernel[1]) { columns, step, outputRow, inputRow in
            let out = column + outputRow, row = input + inputRow
            for ow in columns { out[ow] = row[ow * step] }
        }
    }

    /// The transpose of ``gather(tap:input:into:)``: `input[ip] += column[op]`, over the
    /// output rows `outputRows` only (the others' entries of `column` are taken as 0).
    @inline(__always) public func scatterAdd(tap: Int, column: UnsafePointer<Double>, outputRows: Range<Int>, into input: UnsafeMutablePointer<Double>) {
        forEachRow(ofTap: tap / kernel[1], tap % kernel[1], outputRows: outputRows) { columns, step, outputRow, inputRow in
            let c = column + outputRow, row = input + inputRow
            for ow in columns { row[ow * step] += c[ow] }
        }
    }
}
