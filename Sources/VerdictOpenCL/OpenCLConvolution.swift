import VerdictBounds
import VerdictCore

/// One convolution (or average pool) of the network on an OpenCL device, kept structured as
/// the CPU graph engine keeps it (`kernels/conv.cl`): the layer's weights and bias live on the
/// device, and batches of rows go through it forward (`W x + b`, or `|W| x` for radii), as
/// sound intervals (IBP), or backward (`λ W`, the transposed convolution of a CROWN step, and
/// the bias's share of each row's constant with the step's rounding allowance).
///
/// The device side of the OpenCL graph engine's conv rule (``OpenCLConvOperator``): each call
/// uploads its batch and reads its results back; a pass that keeps rows resident would call the
/// kernels on its own buffers. Calls take and give batches of `Double` or `Float` in rows, whatever the device's
/// arithmetic (`usesDouble`): values are converted at the boundary. Not thread-safe.
public final class OpenCLConvolution {
    /// The four kernels of `conv.cl`, built once per context and precision and shared by the
    /// layers of a network.
    public final class Program {
        let context: OpenCLContext
        public let usesDouble: Bool
        let forward: OpenCLKernel
        let interval: OpenCLKernel
        let transposed: OpenCLKernel
        let transposedBias: OpenCLKernel

        public init(device: OpenCLDevice, precision: DevicePrecision = .auto) throws {
            usesDouble = try precision.usesDouble(on: device)
            context = try OpenCLContext(device: device)
            let options = usesDouble ? "-D REAL=double -D USE_DOUBLE" : "-D REAL=float"
            let program = try context.buildProgram(source: try Kernels.source("conv.cl"), options: options)
            forward = try program.kernel("conv_forward")
            interval = try program.kernel("conv_interval")
            transposed = try program.kernel("conv_transposed")
            transposedBias = try program.kernel("conv_transposed_bias")
        }

        /// The rounding of the device's arithmetic.
        public var allowance: RoundingAllowance { usesDouble ? .double : .float }
    }

    /// Round-to-nearest sums of a batch and, per element, the sum of the magnitudes of their
    /// terms (`Σ|w·x|`, plus `|b|` where a bias was added): a sum is off by at most `γ_n` times
    /// its magnitude (`n` the terms, see ``RoundingAllowance``).
    public struct Sums<Element: BinaryFloatingPoint> {
        public var values: [Element]
        public var magnitudes: [Element]
    }

    /// What the backward step adds to each row besides `λ W`: the bias's share of the constant
    /// `Σ λ_o b_o`, its magnitude `Σ|λ_o b_o|` and the step's rounding allowance.
    public struct BiasStep {
        public var constants: [Double]
        public var constantMagnitudes: [Double]
        public var errors: [Double]
    }

    public let conv: ConvLayer
    public let program: Program
    let weights: OpenCLBuffer
    let bias: OpenCLBuffer
    /// Stands for the magnitudes buffer when a kernel is told not to write it.
    let placeholder: OpenCLBuffer

    /// Uploads the layer's weights and bias to the program's device (rounded to nearest in
    /// float: the allowances count that rounding).
    public init(_ conv: ConvLayer, program: Program) throws {
        self.conv = conv
        self.program = program
        weights = try OpenCLBoundKernels.upload(conv.weights, double: program.usesDouble, into: program.context)
        bias = try OpenCLBoundKernels.upload(conv.bias, double: program.usesDouble, into: program.context)
        placeholder = try OpenCLBoundKernels.upload([0], double: program.usesDouble, into: program.context)
    }

    /// A layer with a program of its own.
    public convenience init(_ conv: ConvLayer, device: OpenCLDevice, precision: DevicePrecision = .auto) throws {
        try self.init(conv, program: try Program(device: device, precision: precision))
    }

    public var usesDouble: Bool { program.usesDouble }
    var context: OpenCLContext { program.context }

    // MARK: Forward

    /// `W x + b` (or `W x` without `includeBias`; `|W| x` with `absoluteWeights`) for each of
    /// the `rows` rows of `batch` (`conv.inputCount` values each), with the magnitudes of the
    /// sums.
    /// Without `withMagnitudes` the magnitudes are neither computed nor read back (empty).
    public func forward<T: BinaryFloatingPoint>(
        _ batch: [T], rows: Int, includeBias: Bool = true, absoluteWeights: Bool = false, withMagnitudes: Bool = true
    ) throws -> Sums<T> {
        precondition(rows > 0 && batch.count == rows * conv.inputCount, "a batch of \(rows) rows of \(conv.inputCount) inputs")
        let outputs = rows * conv.outputCount
        let input = try upload(batch), output = try scratch(outputs), magnitudes = withMagnitudes ? try scratch(outputs) : placeholder
        try launch(program.forward, geometryArguments + [
            .int(rows), .int(conv.inputCount), .int(conv.outputCount), .buffer(input), .buffer(weights), .buffer(bias),
            .int(includeBias ? 1 : 0), .int(absoluteWeights ? 1 : 0), .int(withMagnitudes ? 1 : 0), .buffer(output), .buffer(magnitudes),
        ], elements: conv.outputCount, rows: rows)
        return Sums(values: try read(output, count: outputs), magnitudes: withMagnitudes ? try read(magnitudes, count: outputs) : [])
    }

    /// Sound output intervals of each row's input box (IBP): contain `W x + b` for every `x`
    /// with `lower <= x <= upper`, in real arithmetic. Each box is sent as a center and a
    /// radius rounded up so that `[c - r, c + r]` contains it; the kernel adds the allowance.
    public func interval(lower: [Double], upper: [Double], rows: Int) throws -> (lower: [Double], upper: [Double]) {
        precondition(rows > 0 && lower.count == rows * conv.inputCount && upper.count == lower.count, "boxes of \(conv.inputCount) inputs")
        var center = [Double](repeating: 0, count: lower.count), radius = center
        for i in lower.indices {
            let l = lower[i], u = upper[i]
            let c = usesDouble ? l / 2 + u / 2 : Double(Float(l / 2 + u / 2))
            center[i] = c
            // One step up from the rounded distance: at least the exact one (zero stays zero).
            let distance = max(u - c, c - l)
            radius[i] = distance == 0 ? 0 : distance.nextUp
        }
        let radii = usesDouble ? radius : OpenCLBoundKernels.floats(radius, towardsPositive: true).map(Double.init)
        let outputs = rows * conv.outputCount, device = program.allowance
        let outputLower = try scratch(outputs), outputUpper = try scratch(outputs)
        try launch(program.interval, geometryArguments + [
            .int(rows), .int(conv.inputCount), .int(conv.outputCount), .buffer(try upload(center)), .buffer(try upload(radii)),
            .buffer(weights), .buffer(bias),
            // +4: the bias, and the rounding of weights, centers and radii to the device type.
            factor(device.gamma(conv.fanIn + 4)),
            // Every product of both sums may flush to zero.
            factor(Double(2 * conv.fanIn + 4) * device.flushSlack + device.underflowSlack),
            .buffer(outputLower), .buffer(outputUpper),
        ], elements: conv.outputCount, rows: rows)
        return (try read(outputLower, count: outputs), try read(outputUpper, count: outputs))
    }

    // MARK: Backward

    /// `λ W` for each of the `rows` rows of `coefficients` (`conv.outputCount` values each):
    /// the transposed convolution, `conv.inputCount` values per row, with the magnitudes
    /// `Σ|λ_o w|` of each sum. Without the bias (``transposedBias(_:rows:owner:weightedMagnitude:inputMagnitudeSum:)``).
    public func transposed<T: BinaryFloatingPoint>(_ coefficients: [T], rows: Int) throws -> Sums<T> {
        precondition(rows > 0 && coefficients.count == rows * conv.outputCount, "a batch of \(rows) rows of \(conv.outputCount) coefficients")
        return try transposed(uploaded: try upload(coefficients), rows: rows, withMagnitudes: true)
    }

    /// The whole backward step of CROWN through the layer for `rows` rows of `coefficients`:
    /// `λ W` (``transposed(_:rows:)`` without its magnitudes, which the step does not need)
    /// and the bias step (``transposedBias(_:rows:owner:weightedMagnitude:inputMagnitudeSum:)``),
    /// the rows uploaded once for both.
    public func backwardStep(
        _ coefficients: [Double], rows: Int, owner: [Int32], weightedMagnitude: [Double], inputMagnitudeSum: [Double]
    ) throws -> (values: [Double], bias: BiasStep) {
        precondition(rows > 0 && coefficients.count == rows * conv.outputCount && owner.count == rows, "a batch of \(rows) rows of \(conv.outputCount) coefficients")
        let uploaded = try upload(coefficients)
        let values: [Double] = try transposed(uploaded: uploaded, rows: rows, withMagnitudes: false).values
        let bias = try transposedBias(uploaded: uploaded, rows: rows, owner: owner, weightedMagnitude: weightedMagnitude, inputMagnitudeSum: inputMagnitudeSum)
        return (values, bias)
    }

    private func transposed<T: BinaryFloatingPoint>(uploaded coefficients: OpenCLBuffer, rows: Int, withMagnitudes: Bool) throws -> Sums<T> {
        let inputs = rows * conv.inputCount
        let result = try scratch(inputs), magnitudes = withMagnitudes ? try scratch(inputs) : placeholder
        try launch(program.transposed, geometryArguments + [
            .int(rows), .int(conv.outputCount), .int(conv.inputCount), .buffer(coefficients), .buffer(weights),
            .int(withMagnitudes ? 1 : 0), .buffer(result), .buffer(magnitudes),
        ], elements: conv.inputCount, rows: rows)
        return Sums(values: try read(result, count: inputs), magnitudes: withMagnitudes ? try read(magnitudes, count: inputs) : [])
    }

    /// The rest of the backward step for each row λ: `Σ λ_o b_o` and its magnitude, and the
    /// allowance `γ_product Σ|λ_o| m_o + γ_bias Σ|λ_o b_o| + flushed products`, as
    /// `ConvOperator.backward` counts it on the CPU. `weightedMagnitude` is `|W|·m` (`m` the
    /// magnitude of the layer's input) per subproblem and `inputMagnitudeSum` `Σ m` per
    /// subproblem; row `r` belongs to subproblem `owner[r]`.
    public func transposedBias(_ coefficients: [Double], rows: Int, owner: [Int32], weightedMagnitude: [Double], inputMagnitudeSum: [Double]) throws -> BiasStep {
        precondition(rows > 0 && coefficients.count == rows * conv.outputCount && owner.count == rows, "a batch of \(rows) rows of \(conv.outputCount) coefficients")
        return try transposedBias(
            uploaded: try upload(coefficients), rows: rows, owner: owner, weightedMagnitude: weightedMagnitude, inputMagnitudeSum: inputMagnitudeSum)
    }

    private func transposedBias(
        uploaded coefficients: OpenCLBuffer, rows: Int, owner: [Int32], weightedMagnitude: [Double], inputMagnitudeSum: [Double]
    ) throws -> BiasStep {
        let device = program.allowance
        let constants = try scratch(rows), magnitudes = try scratch(rows), errors = try scratch(rows)
        try launch(program.transposedBias, [
            .int(rows), .int(conv.outputCount), .int(conv.geometry.outputPlane), .int(conv.outputCount),
            .buffer(coefficients), .buffer(try context.buffer(int32s: owner)), .buffer(bias),
            .buffer(try uploadRoundedUp(weightedMagnitude)), .buffer(try uploadRoundedUp(inputMagnitudeSum)),
            // +1 for the rounding of the bias and of the weights to the device type.
            factor(device.gamma(conv.outputCount + 2)), factor(device.gamma(conv.fanOut + 3)),
            // Each of the (up to fanOut) products of an input's coefficient may flush to zero.
            factor(Double(conv.fanOut) * device.flushSlack),
            .buffer(constants), .buffer(magnitudes), .buffer(errors),
        ], elements: rows, rows: 1)
        // The errors' own sums are rounded: scaled up as the dense engine does.
        let scale = 1 + 64 * device.unitRoundoff
        return BiasStep(
            constants: try read(constants, count: rows), constantMagnitudes: try read(magnitudes, count: rows),
            errors: try read(errors, count: rows).map { $0 * scale })
    }

    // MARK: Launches and transfers

    /// The `GEOMETRY_ARGS` of `conv.cl`, in order.
    var geometryArguments: [KernelArgument] {
        let g = conv.geometry
        return [
            g.channels, g.height, g.width, conv.outputChannels, g.outputHeight, g.outputWidth, g.kernel[0], g.kernel[1],
            g.stride[0], g.stride[1], g.dilation[0], g.dilation[1], g.padBegin[0], g.padBegin[1], conv.groups,
        ].map { .int($0) }
    }

    /// Sets the arguments and enqueues one work item per (element, row), in work groups of a
    /// fixed 64 (or the device's limit) elements of one row: PoCL compiles a kernel anew for
    /// each work-group size. `arguments` hold the only references to the buffers uploaded for
    /// the call, and clSetKernelArg does not retain them: they must live until the launch is
    /// enqueued (which does), or the kernel reads released memory.
    func launch(_ kernel: OpenCLKernel, _ arguments: [KernelArgument], elements: Int, rows: Int) throws {
        let local = min(64, context.device.maxWorkGroupSize)
        try withExtendedLifetime(arguments) {
            try kernel.setArguments(arguments)
            try context.run(kernel, global: ((elements + local - 1) / local * local, max(rows, 1)), local: (local, 1))
        }
    }

    func scratch(_ count: Int) throws -> OpenCLBuffer {
        usesDouble ? try context.buffer(of: Double.self, count: count) : try context.buffer(of: Float.self, count: count)
    }

    /// Values in the device type, rounded to nearest.
    func upload<T: BinaryFloatingPoint>(_ values: [T]) throws -> OpenCLBuffer {
        try OpenCLBoundKernels.upload(values.map { Double($0) }, double: usesDouble, into: context)
    }

    /// Magnitudes in the device type, rounded up.
    func uploadRoundedUp(_ values: [Double]) throws -> OpenCLBuffer {
        if usesDouble { return try context.buffer(of: Double.self, count: values.count, values: values) }
        let floats = OpenCLBoundKernels.floats(values, towardsPositive: true)
        return try context.buffer(of: Float.self, count: floats.count, values: floats)
    }

    func read<T: BinaryFloatingPoint>(_ buffer: OpenCLBuffer, count: Int) throws -> [T] {
        usesDouble
            ? try context.read(buffer, count: count, as: Double.self).map { T($0) }
            : try context.read(buffer, count: count, as: Float.self).map { T($0) }
    }

    /// An allowance factor in the device type, rounded up.
    func factor(_ value: Double) -> KernelArgument {
        usesDouble ? .double(value) : .float(Float(value).nextUp)
    }
}
