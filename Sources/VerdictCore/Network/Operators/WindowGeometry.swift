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
              (padBegin + padEnd).allSatisfy({ $0 >= 0 && $0 < 1 << 20 }), kernel.allSatisfy({ $0 < 1 << 20 }) else { return nil }
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

    /// Calls `body(tap, columns, step, outputRow, inputRow)` for every kernel tap and output
    /// row it reads inside the input: output `outputRow + ow` reads input `inputRow + ow·step`
    /// for each `ow` in `columns`. The convolution loops of both directions run over this.
    @inline(__always) func forEachTapRow(_ body: (Int, Range<Int>, Int, Int, Int) -> Void) {
        for kh in 0..<kernel[0] {
            for kw in 0..<kernel[1] {
                let columns = columnRange(kw), offset = columnOffset(kw)
                if columns.isEmpty { continue }
                for oh in 0..<outputHeight {
                    guard let ih = inputRow(oh, kh) else { continue }
                    body(kh * kernel[1] + kw, columns, stride[1], oh * outputWidth, ih * width + offset)
                }
            }
        }
    }

    /// `output[op] += kernel[tap] · input[ip]` over every (output, tap) pair of one channel
    /// plane: the convolution of one input plane into one output plane.
    @_specialize(where T == Double)
    @_specialize(where T == Float)
    @inline(__always) public func accumulate<T: BinaryFloatingPoint>(kernel: UnsafePointer<T>, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>) {
        forEachTapRow { tap, columns, step, outputRow, inputRow in
            let w = kernel[tap]
            if w == 0 { return }
            let out = output + outputRow, row = input + inputRow
            for ow in columns { out[ow] += w * row[ow * step] }
        }
    }

    /// The transpose of ``accumulate(kernel:input:output:)``: `input[ip] += kernel[tap] ·
    /// coefficients[op]`.
    @inline(__always) public func scatter(kernel: UnsafePointer<Double>, coefficients: UnsafePointer<Double>, into input: UnsafeMutablePointer<Double>) {
        forEachTapRow { tap, columns, step, outputRow, inputRow in
            let w = kernel[tap]
            if w == 0 { return }
            let c = coefficients + outputRow, row = input + inputRow
            for ow in columns { row[ow * step] += w * c[ow] }
        }
    }
}
