import Synchronization
import VerdictBounds
import VerdictCore

/// Which matrix-product kernel to use: by default the tiled local-memory kernel on GPUs and
/// the register-blocked vector kernel elsewhere; tests force each on any device.
public enum KernelLayout: Sendable {
    case automatic
    case tiled
    case vector
}

/// The bound engine's work on an OpenCL device: weight products (`kernels/matrix_multiply*.cl`)
/// and whole backward passes with the batch's data resident on the device
/// (`kernels/backward_steps.cl`).
///
/// Weights and biases are uploaded once; the per-batch data (magnitude factors, relaxations)
/// once per layer of a batch; working buffers grow as needed and are reused. Programs are
/// built once. In float mode every value that bounds depend on is rounded in the safe
/// direction when converted (magnitudes and intercepts up, constants down), and intercepts
/// are recomputed for the slopes as rounded.
public final class OpenCLBoundKernels: BackwardKernels, @unchecked Sendable {
    public let device: OpenCLDevice
    public let usesDouble: Bool
    /// Rows per backward pass on the device: larger requests (intermediate bounds of big
    /// batches: a batch of 1024 on MNIST `256x6` asks for ~300,000 rows) run in chunks, so that
    /// the working buffers stay a size the memory system handles well (measured on PoCL: about
    /// 20 % more time per row at 300,000 rows than at 75,000). Tests make it small.
    public let rowsPerPass: Int
    let network: BoundNetwork
    let kernelLayout: KernelLayout
    let state: Mutex<DeviceState>

    enum Layout {
        /// `TILE x TILE` blocks of C per work group of `TILE x rowsPerGroup` items.
        case tiled(tile: Int, rowsPerGroup: Int)
        /// `rows x width` blocks of C per work item; B and C padded to a multiple of `width`.
        case vector(rows: Int, width: Int)

        var padding: Int {
            if case .vector(_, let width) = self { return width }
            return 1
        }
    }

    struct DeviceState: @unchecked Sendable {
        let context: OpenCLContext
        let product: OpenCLKernel
        let bias: OpenCLKernel
        let relu: OpenCLKernel
        let concretize: OpenCLKernel
        let interval: OpenCLKernel
        let unitRows: OpenCLKernel
        let resetRows: OpenCLKernel
        let keepBest: OpenCLKernel
        let relaxedForward: OpenCLKernel
        let refutedDisjuncts: OpenCLKernel
        let layout: Layout
        let weights: [OpenCLBuffer]
        let transposedWeights: [OpenCLBuffer]
        /// `|W|` transposed, for the radius products of interval arithmetic.
        let absoluteTransposedWeights: [OpenCLBuffer]
        let biases: [OpenCLBuffer]
        /// Row stride of coefficient buffers: the widest stage, padded.
        let stride: Int
        var subproblemCount = 0
        var box: (lower: OpenCLBuffer, upper: OpenCLBuffer)?
        var stageMagnitude: [Int: (weighted: OpenCLBuffer, sums: OpenCLBuffer)] = [:]
        var relaxations: [Int: [OpenCLBuffer]] = [:]
        var scratch: [String: OpenCLBuffer] = [:]
    }

    public init(
        network: BoundNetwork, device: OpenCLDevice, precision: DevicePrecision = .auto, kernelLayout: KernelLayout = .automatic,
        rowsPerPass: Int = 1 << 16
    ) throws {
        self.device = device
        self.rowsPerPass = max(rowsPerPass, 1)
        self.network = network
        self.kernelLayout = kernelLayout
        usesDouble = try precision.usesDouble(on: device)
        let context = try OpenCLContext(device: device)
        let elementSize = usesDouble ? 8 : 4
        let precisionOptions = usesDouble ? "-D REAL=double -D USE_DOUBLE" : "-D REAL=float"
        let layout: Layout
        let product: OpenCLKernel
        if kernelLayout == .tiled || (kernelLayout == .automatic && device.isGPU) {
            // 32 x 32 tiles with 8 results per work item (128 items) where the device's limits
            // allow both tiles in local memory, else 16 x 16 with 4 per item (64 items).
            let large = device.maxWorkGroupSize >= 128 && device.localMemoryBytes >= UInt64(2 * 32 * 32 * elementSize + 1024)
            let tile = large ? 32 : 16, workPerItem = large ? 8 : 4
            let program = try context.buildProgram(
                source: try Kernels.source("matrix_multiply.cl"), options: "\(precisionOptions) -D TILE=\(tile) -D WORK_PER_ITEM=\(workPerItem)")
            product = try program.kernel("matrix_multiply")
            layout = .tiled(tile: tile, rowsPerGroup: tile / workPerItem)
        } else {
            // 8 rows by two vectors of 8 doubles or 16 floats per work item: AVX-512 registers.
            let vector = usesDouble ? 8 : 16
            let program = try context.buildProgram(
                source: try Kernels.source("matrix_multiply_vector.cl"), options: "\(precisionOptions) -D VEC=\(vector)")
            product = try program.kernel("matrix_multiply_vector")
            layout = .vector(rows: 8, width: 2 * vector)
        }
        let steps = try context.buildProgram(source: try Kernels.source("backward_steps.cl"), options: precisionOptions)
        let optimization = try context.buildProgram(source: try Kernels.source("relaxation_optimization.cl"), options: precisionOptions)
        let reductions = try context.buildProgram(source: try Kernels.source("refuted_disjuncts.cl"), options: precisionOptions)
        let double = usesDouble, padding = layout.padding
        // Weights padded with zeros to whole vectors: columns (so rows of C are whole vectors)
        // and rows (so the vector kernel may read whole tiles of K).
        let paddedWeights: ([Double], Int, Int) throws -> OpenCLBuffer = { values, rows, columns in
            let padded = OpenCLBoundKernels.restrided(
                values, rows: rows, columns: columns, from: columns, to: OpenCLBoundKernels.padded(columns, padding),
                totalRows: OpenCLBoundKernels.padded(rows, padding))
            return try OpenCLBoundKernels.upload(padded, double: double, into: context)
        }
        let weights = try network.stages.map { try paddedWeights($0.weights, $0.outputCount, $0.inputCount) }
        let transposed = try network.stages.map { try paddedWeights($0.transposedWeights, $0.inputCount, $0.outputCount) }
        let absoluteTransposed = try network.stages.map { try paddedWeights($0.transposedWeights.map(\.magnitude), $0.inputCount, $0.outputCount) }
        let biases = try network.stages.map { try OpenCLBoundKernels.upload($0.bias, double: double, into: context) }
        let widest = network.stages.flatMap { [$0.inputCount, $0.outputCount] }.max() ?? 1
        state = Mutex(DeviceState(
            context: context, product: product, bias: try steps.kernel("backward_bias"), relu: try steps.kernel("backward_relu"),
            concretize: try steps.kernel("concretize"), interval: try steps.kernel("interval_combine"), unitRows: try steps.kernel("unit_rows"),
            resetRows: try optimization.kernel("reset_rows"), keepBest: try optimization.kernel("keep_best"),
            relaxedForward: try optimization.kernel("relaxed_forward"),
            refutedDisjuncts: try reductions.kernel("refuted_disjuncts"),
            layout: layout, weights: weights, transposedWeights: transposed, absoluteTransposedWeights: absoluteTransposed, biases: biases,
            stride: OpenCLBoundKernels.padded(widest, padding)))
    }

    public var allowance: RoundingAllowance { usesDouble ? .double : .float }

    static func padded(_ columns: Int, _ multiple: Int) -> Int { (columns + multiple - 1) / multiple * multiple }

    /// The first `columns` values of each of `rows` rows of a row-major matrix with row stride
    /// `from`, laid out with row stride `to` in `totalRows` rows, zeros elsewhere: padding for
    /// the kernels when `to > from`, unpadding of their results when `to < from`.
    static func restrided(_ values: [Double], rows: Int, columns: Int, from: Int, to: Int, totalRows: Int? = nil) -> [Double] {
        let total = totalRows ?? rows
        if from == to && total == rows { return Array(values.prefix(rows * to)) }
        var result = [Double](repeating: 0, count: total * to)
        for row in 0..<rows {
            for column in 0..<columns { result[row * to + column] = values[row * from + column] }
        }
        return result
    }

    // MARK: Conversions in the safe direction

    /// The device's values of `values`: exact in double; in float, rounded to nearest.
    func deviceValues(_ values: [Double]) -> [Double] { usesDouble ? values : values.map { Double(Float($0)) } }

    /// Each value as a float on its safe side: the nearest float at or above it
    /// (`towardsPositive`, for magnitudes and intercepts) or at or below it (for constants and
    /// bounds of lower bounds, box corners).
    static func floats(_ values: [Double], towardsPositive: Bool) -> [Float] {
        values.map { value -> Float in
            let float = Float(value)
            if towardsPositive { return Double(float) < value ? float.nextUp : float }
            return Double(float) > value ? float.nextDown : float
        }
    }

    /// Rounded up to the device type.
    func roundedUp(_ values: [Double]) -> [Double] {
        usesDouble ? values : OpenCLBoundKernels.floats(values, towardsPositive: true).map(Double.init)
    }

    /// Uploads `values` rounded up (`towardsPositive`) or down to the device type, converted once.
    func uploadRounded(_ values: [Double], towardsPositive: Bool, into context: OpenCLContext) throws -> OpenCLBuffer {
        if usesDouble { return try context.buffer(of: Double.self, count: values.count, values: values) }
        let floats = OpenCLBoundKernels.floats(values, towardsPositive: towardsPositive)
        return try context.buffer(of: Float.self, count: floats.count, values: floats)
    }

    static func upload(_ values: [Double], double: Bool, into context: OpenCLContext) throws -> OpenCLBuffer {
        double
            ? try context.buffer(of: Double.self, count: values.count, values: values)
            : try context.buffer(of: Float.self, count: values.count, values: values.map { Float($0) })
    }

    func upload(_ values: [Double], into context: OpenCLContext) throws -> OpenCLBuffer {
        try OpenCLBoundKernels.upload(values, double: usesDouble, into: context)
    }

    func write(_ values: [Double], to buffer: OpenCLBuffer, context: OpenCLContext) throws {
        if usesDouble { try context.write(values, to: buffer) } else { try context.write(values.map { Float($0) }, to: buffer) }
    }

    func read(_ buffer: OpenCLBuffer, count: Int, context: OpenCLContext) throws -> [Double] {
        usesDouble ? try context.read(buffer, count: count, as: Double.self) : try context.read(buffer, count: count, as: Float.self).map(Double.init)
    }

    // MARK: WeightProducts

    /// The same device, arithmetic and layout for a truncated network (its own buffers).
    public func truncated(to network: BoundNetwork) throws -> any WeightProducts {
        try OpenCLBoundKernels(
            network: network, device: device, precision: usesDouble ? .double : .float, kernelLayout: kernelLayout, rowsPerPass: rowsPerPass)
    }

    public func multiply(_ rows: [Double], count: Int, stage: Int, transposed: Bool) throws -> [Double] {
        let affine = network.stages[stage]
        let (inner, columns) = transposed ? (affine.inputCount, affine.outputCount) : (affine.outputCount, affine.inputCount)
        guard count > 0 else { return [] }
        return try state.withLock { state in
            let context = state.context
            let stride = OpenCLBoundKernels.padded(columns, state.layout.padding)
            // Rows of A padded with zeros to whole vectors, as the vector kernel reads them.
            let leftStride = OpenCLBoundKernels.padded(inner, state.layout.padding)
            let left = try upload(OpenCLBoundKernels.restrided(rows, rows: count, columns: inner, from: inner, to: leftStride), into: context)
            let result = try scratchBuffer(&state, "product", count * stride)
            try runProduct(state, left: left, leftStride: leftStride, rows: count, stage: stage, transposed: transposed, into: result, resultStride: stride)
            let values = try read(result, count: count * stride, context: context)
            return OpenCLBoundKernels.restrided(values, rows: count, columns: columns, from: stride, to: columns)
        }
    }

    /// Seconds per run of the product kernel alone on `rows` resident rows by stage `stage`'s
    /// weights (no transfers), over `runs` runs: for the throughput benchmark.
    public func productKernelSeconds(_ rows: [Double], count: Int, stage: Int, runs: Int) throws -> Double {
        let affine = network.stages[stage]
        return try state.withLock { state in
            let context = state.context
            let leftStride = OpenCLBoundKernels.padded(affine.outputCount, state.layout.padding)
            let stride = OpenCLBoundKernels.padded(affine.inputCount, state.layout.padding)
            let left = try upload(
                OpenCLBoundKernels.restrided(rows, rows: count, columns: affine.outputCount, from: affine.outputCount, to: leftStride), into: context)
            let result = try scratchBuffer(&state, "benchmark-product", count * stride)
            try runProduct(state, left: left, leftStride: leftStride, rows: count, stage: stage, transposed: false, into: result, resultStride: stride)
            try context.finish()
            let start = ContinuousClock.now
            for _ in 0..<runs {
                try runProduct(state, left: left, leftStride: leftStride, rows: count, stage: stage, transposed: false, into: result, resultStride: stride)
            }
            try context.finish()
            let elapsed = ContinuousClock.now - start
            return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18) / Double(runs)
        }
    }

    func scratchBuffer(_ state: inout DeviceState, _ name: String, _ count: Int) throws -> OpenCLBuffer {
        if let existing = state.scratch[name], existing.count >= count { return existing }
        let size = max(count, 2 * (state.scratch[name]?.count ?? 0), 1)
        let buffer = usesDouble ? try state.context.buffer(of: Double.self, count: size) : try state.context.buffer(of: Float.self, count: size)
        state.scratch[name] = buffer
        return buffer
    }

    /// `result (rows x columns, stride resultStride) = left (rows x inner, stride leftStride) · W`
    /// (`Wᵀ` when `transposed`; `|W|ᵀ` when `absolute` too).
    func runProduct(
        _ state: DeviceState, left: OpenCLBuffer, leftStride: Int, rows: Int, stage: Int, transposed: Bool,
        absolute: Bool = false, into result: OpenCLBuffer, resultStride: Int
    ) throws {
        let affine = network.stages[stage]
        let (inner, columns) = transposed ? (affine.inputCount, affine.outputCount) : (affine.outputCount, affine.inputCount)
        let paddedColumns = OpenCLBoundKernels.padded(columns, state.layout.padding)
        let kernel = state.product
        try kernel.setArguments([
            .int(rows), .int(paddedColumns), .int(inner), .int(leftStride), .int(resultStride),
            .buffer(left),
            .buffer(transposed ? (absolute ? state.absoluteTransposedWeights[stage] : state.transposedWeights[stage]) : state.weights[stage]),
            .buffer(result),
        ])
        switch state.layout {
        case .tiled(let tile, let rowsPerGroup):
            let groupsX = (columns + tile - 1) / tile, groupsY = (rows + tile - 1) / tile
            try state.context.run(kernel, global: (groupsX * tile, groupsY * rowsPerGroup), local: (tile, rowsPerGroup))
        case .vector(let blockRows, let width):
            try state.context.run(kernel, global: (paddedColumns / width, (rows + blockRows - 1) / blockRows), local: (1, 1))
        }
        FlopCounter.add(2 * rows * inner * columns)
    }

    // MARK: BackwardKernels

    public func beginBatch(boxLower: [Double], boxUpper: [Double]) throws {
        // The box rounded outward to the device type: it still contains every input.
        try state.withLock { state in
            state.subproblemCount = boxLower.count / max(network.inputCount, 1)
            state.box = (
                try uploadRounded(boxLower, towardsPositive: false, into: state.context),
                try uploadRounded(boxUpper, towardsPositive: true, into: state.context)
            )
            state.stageMagnitude = [:]
            state.relaxations = [:]
        }
    }

    public func setStage(_ stage: Int, weightedMagnitude: [Double], inputMagnitudeSum: [Double]) throws {
        try state.withLock { state in
            state.stageMagnitude[stage] = (
                try uploadRounded(weightedMagnitude, towardsPositive: true, into: state.context),
                try uploadRounded(inputMagnitudeSum, towardsPositive: true, into: state.context)
            )
        }
    }

    public func setRelaxation(layer: Int, _ relaxation: RelaxationArrays) throws {
        var upperSlope = relaxation.upperSlope, intercept = relaxation.upperIntercept
        if !usesDouble {
            // Round each slope to float, then recompute an intercept valid for that slope:
            // t >= -s·l and t >= u - s·u, rounded up, then up again to float.
            upperSlope = deviceValues(upperSlope)
            for index in upperSlope.indices where relaxation.isUnstable[index] != 0 {
                let s = upperSlope[index], l = relaxation.lower[index], u = relaxation.upper[index]
                intercept[index] = max(productRoundedUp(-s, l), sumRoundedUp(u, productRoundedUp(-s, u)), 0)
            }
        }
        try state.withLock { state in
            let context = state.context
            state.relaxations[layer] = [
                // Nearest float: the same as the host's rounding of these values to float.
                try upload(relaxation.lowerSlope, into: context),
                try upload(upperSlope, into: context),
                try uploadRounded(intercept, towardsPositive: true, into: context),
                try upload(relaxation.isUnstable, into: context),
                try upload(relaxation.splitSign, into: context),
                try uploadRounded(relaxation.preActivationMagnitude, towardsPositive: true, into: context),
            ]
        }
    }

    public func backward(_ request: BackwardKernelRequest) throws -> BackwardKernelResult {
        let rows = request.rowCount
        if rows > rowsPerPass && !request.keepCoefficients {
            var parts: [BackwardKernelResult] = []
            for start in stride(from: 0, to: rows, by: rowsPerPass) {
                parts.append(try backward(request.rows(start..<min(rows, start + rowsPerPass))))
            }
            return BackwardKernelResult(
                constants: parts.flatMap(\.constants), constantMagnitude: parts.flatMap(\.constantMagnitude), errors: parts.flatMap(\.errors),
                sums: parts.flatMap(\.sums), magnitudes: parts.flatMap(\.magnitudes),
                corners: request.wantCorners ? parts.flatMap { $0.corners ?? [] } : nil,
                activationCoefficients: Array(repeating: [], count: network.reluLayerCount))
        }
        let inputCount = network.inputCount
        guard rows > 0 else {
            return BackwardKernelResult(
                constants: [], constantMagnitude: [], errors: [], sums: [], magnitudes: [], corners: request.wantCorners ? [] : nil,
                activationCoefficients: Array(repeating: [], count: network.reluLayerCount))
        }
        let device = allowance
        return try state.withLock { state in
            let context = state.context
            let pass = try beginPass(&state, request)
            try fillZeros(pass.errors, count: rows, context: context)
            var kept: [[Double]] = Array(repeating: [], count: network.reluLayerCount)
            let observer: ((Int, OpenCLBuffer, Int) throws -> Void)? = request.keepCoefficients
                ? { layer, buffer, stride in
                    let width = self.network.reluWidth(layer)
                    kept[layer] = OpenCLBoundKernels.restrided(
                        try self.read(buffer, count: rows * stride, context: context), rows: rows, columns: width, from: stride, to: width)
                } : nil
            let corners = try scratchBuffer(&state, "corners", request.wantCorners ? rows * inputCount : 1)
            let inputs = try enqueueBackward(
                &state, pass, keptBuffers: nil, observeKept: observer, corners: request.wantCorners ? (corners, inputCount) : nil)
            // The input coefficients the concretization used (for combining rows, RowForms).
            let inputCoefficients = request.keepCoefficients
                ? OpenCLBoundKernels.restrided(try read(inputs, count: rows * state.stride, context: context), rows: rows, columns: inputCount, from: state.stride, to: inputCount)
                : nil
            return BackwardKernelResult(
                constants: try read(pass.constants, count: rows, context: context),
                constantMagnitude: try read(pass.constantMagnitude, count: rows, context: context),
                errors: try read(pass.errors, count: rows, context: context).map { $0 * (1 + 64 * device.unitRoundoff) },
                sums: try read(pass.sums, count: rows, context: context),
                magnitudes: try read(pass.magnitudes, count: rows, context: context).map { $0 * (1 + 64 * device.unitRoundoff) },
                corners: request.wantCorners ? try read(corners, count: rows * inputCount, context: context) : nil,
                activationCoefficients: kept, inputCoefficients: inputCoefficients)
        }
    }

    /// Sets the first `count` values of a buffer of the device type to zero, without waiting.
    func fillZeros(_ buffer: OpenCLBuffer, count: Int, context: OpenCLContext) throws {
        if usesDouble { try context.fill(buffer, with: Double(0), count: count) } else { try context.fill(buffer, with: Float(0), count: count) }
    }

    /// The device buffers of one backward pass's rows.
    struct PassBuffers {
        let rows: Int
        let stage: Int
        /// The rows' starting coefficients (`rows x stride`); never written by the pass.
        let coefficients: OpenCLBuffer
        let owner: OpenCLBuffer
        let constants: OpenCLBuffer
        let constantMagnitude: OpenCLBuffer
        let errors: OpenCLBuffer
        let sums: OpenCLBuffer
        let magnitudes: OpenCLBuffer
        /// `rows x reluCount`, or nil.
        let alpha: OpenCLBuffer?
        let beta: OpenCLBuffer?
        /// Other buffers the pass's queued work reads.
        let inputs: [OpenCLBuffer]
    }

    /// Uploads a request's rows (constants rounded down to the device type, α and β as given).
    func beginPass(_ state: inout DeviceState, _ request: BackwardKernelRequest) throws -> PassBuffers {
        let rows = request.rowCount, context = state.context
        let coefficients = try scratchBuffer(&state, "coefficients-start", rows * state.stride)
        // Buffers the queued work reads, held until the pass is over.
        var inputs: [OpenCLBuffer] = []
        if let unitRows = request.unitRows {
            inputs = [try context.buffer(int32s: unitRows.columns), try upload(unitRows.values, into: context)]
            // Zeros as far as the product kernel reads: the stage's width, padded.
            let width = OpenCLBoundKernels.padded(network.stages[request.stage].outputCount, state.layout.padding)
            try state.unitRows.setArguments([
                .int(rows), .int(state.stride), .int(width), .buffer(inputs[0]), .buffer(inputs[1]), .buffer(coefficients),
            ])
            try context.run(state.unitRows, globalSize: rows)
        } else {
            let firstWidth = network.stages[request.stage].outputCount
            let padded = OpenCLBoundKernels.restrided(request.coefficients, rows: rows, columns: firstWidth, from: firstWidth, to: state.stride)
            try write(padded, to: coefficients, context: context)
        }
        return PassBuffers(
            rows: rows, stage: request.stage, coefficients: coefficients, owner: try context.buffer(int32s: request.owner),
            constants: try uploadRounded(request.constants, towardsPositive: false, into: context),
            constantMagnitude: try upload(request.constants.map(\.magnitude), into: context),
            errors: try scratchBuffer(&state, "errors", rows), sums: try scratchBuffer(&state, "sums", rows),
            magnitudes: try scratchBuffer(&state, "magnitudes", rows),
            alpha: try request.alpha.map { try upload($0, into: context) },
            beta: try request.beta.map { try upload($0, into: context) }, inputs: inputs)
    }

    /// Where each ReLU layer's α and β start within a row of `reluCount` parameters.
    var layerOffsets: [Int] {
        (0..<network.reluLayerCount).reduce(into: [Int]()) { offsets, layer in
            offsets.append(layer == 0 ? 0 : offsets[layer - 1] + network.reluWidth(layer - 1))
        }
    }

    /// Enqueues one backward pass over `pass`'s rows down to the inputs, then the
    /// concretization. Each ReLU layer's incoming coefficients go to `keptBuffers[layer]`
    /// (`rows x padded width`) when given, and are shown to `observeKept` (layer, buffer, stride)
    /// when given. The corners are written when `corners` names a buffer and its row stride.
    /// Returns the buffer holding the rows' input coefficients (`rows x stride`).
    @discardableResult
    func enqueueBackward(
        _ state: inout DeviceState, _ pass: PassBuffers, keptBuffers: [OpenCLBuffer]?,
        observeKept: ((Int, OpenCLBuffer, Int) throws -> Void)?, corners: (buffer: OpenCLBuffer, stride: Int)?
    ) throws -> OpenCLBuffer {
        let context = state.context, device = allowance, stride = state.stride, rows = pass.rows
        let working = [try scratchBuffer(&state, "coefficients-a", rows * stride), try scratchBuffer(&state, "coefficients-b", rows * stride)]
        let offsets = layerOffsets
        var current = pass.coefficients
        var stage = pass.stage
        let sent = state.stageMagnitude
        let magnitudes: (Int) throws -> (weighted: OpenCLBuffer, sums: OpenCLBuffer) = { stage in
            guard let magnitude = sent[stage] else {
                throw OpenCLError(call: "backward pass", code: 0, detail: "stage \(stage) was not sent to the device")
            }
            return magnitude
        }
        // The bias factors of stage `stage`: gammas of the bias sum and of the product's
        // allowance, and the slack per flushed product.
        let biasFactors: (Int) -> [KernelArgument] = { stage in
            let width = self.network.stages[stage].outputCount
            return [self.factor(device.gamma(width + 2)), self.factor(device.gamma(width + 3)), self.factor(device.flushSlack)]
        }
        // The starting stage's bias; those of the stages below come with each ReLU step.
        let first = try magnitudes(stage)
        try state.bias.setArguments(
            [
                .int(rows), .int(network.stages[stage].outputCount), .int(stride), .buffer(current), .buffer(pass.owner),
                .buffer(state.biases[stage]), .buffer(first.weighted), .buffer(first.sums),
            ] + biasFactors(stage) + [.buffer(pass.constants), .buffer(pass.constantMagnitude), .buffer(pass.errors)])
        try context.run(state.bias, globalSize: rows)
        while true {
            // A working buffer other than the one being read (never the request's own rows).
            let free = current === working[0] ? working[1] : working[0]
            if stage == 0 {
                try runProduct(state, left: current, leftStride: stride, rows: rows, stage: 0, transposed: false, into: free, resultStride: stride)
                current = free
                break
            }
            let layer = stage - 1, width = network.stages[stage].inputCount
            let (incoming, incomingStride) = keptBuffers.map { ($0[layer], OpenCLBoundKernels.padded(width, state.layout.padding)) } ?? (free, stride)
            try runProduct(state, left: current, leftStride: stride, rows: rows, stage: stage, transposed: false, into: incoming, resultStride: incomingStride)
            try observeKept?(layer, incoming, incomingStride)
            guard let relaxation = state.relaxations[layer] else {
                throw OpenCLError(call: "backward pass", code: 0, detail: "layer \(layer) relaxation was not sent to the device")
            }
            // Stage `layer` is the affine stage whose outputs are this ReLU layer's inputs.
            let below = try magnitudes(layer)
            try state.relu.setArguments(
                [.int(rows), .int(width), .int(stride), .int(incomingStride), .buffer(incoming), .buffer(free), .buffer(pass.owner)]
                    + relaxation.map { .buffer($0) }
                    + [
                        .int(network.reluCount), .int(offsets[layer]),
                        .int(pass.alpha == nil ? 0 : 1), .buffer(pass.alpha ?? pass.constants),
                        .int(pass.beta == nil ? 0 : 1), .buffer(pass.beta ?? pass.constants),
                        factor(device.unitRoundoff), factor(device.gamma(width + 1)),
                        .buffer(state.biases[layer]), .buffer(below.weighted), .buffer(below.sums),
                    ]
                    + biasFactors(layer)
                    + [.buffer(pass.constants), .buffer(pass.constantMagnitude), .buffer(pass.errors)])
            try context.run(state.relu, globalSize: rows)
            current = free
            stage -= 1
        }
        guard let box = state.box else { throw OpenCLError(call: "backward pass", code: 0, detail: "no batch was begun") }
        let inputCount = network.inputCount
        try state.concretize.setArguments([
            .int(rows), .int(inputCount), .int(stride), .buffer(current), .buffer(pass.owner), .buffer(box.lower), .buffer(box.upper),
            .buffer(pass.sums), .buffer(pass.magnitudes), .int(corners == nil ? 0 : 1), .int(corners?.stride ?? inputCount),
            .buffer(corners?.buffer ?? pass.sums),
        ])
        try context.run(state.concretize, globalSize: rows)
        return current
    }

    public func intervalStage(_ stage: Int, lower: [Double], upper: [Double]) throws -> (lower: [Double], upper: [Double]) {
        let affine = network.stages[stage]
        let inputs = affine.inputCount, outputs = affine.outputCount
        let subproblems = lower.count / max(inputs, 1)
        guard subproblems > 0 else { return ([], []) }
        let device = allowance
        return try state.withLock { state in
            let context = state.context
            guard let magnitude = state.stageMagnitude[stage] else {
                throw OpenCLError(call: "interval stage", code: 0, detail: "stage \(stage) was not sent to the device")
            }
            // Each interval as a center (any device value) and a radius rounded up to the
            // device type, so that [c - r, c + r] contains [l, u]; rows padded with zeros for
            // the product kernel.
            let inputStride = OpenCLBoundKernels.padded(inputs, state.layout.padding)
            let productStride = OpenCLBoundKernels.padded(outputs, state.layout.padding)
            var center = [Double](repeating: 0, count: subproblems * inputStride), radius = center
            for p in 0..<subproblems {
                for i in 0..<inputs {
                    let l = lower[p * inputs + i], u = upper[p * inputs + i]
                    let c = usesDouble ? l / 2 + u / 2 : Double(Float(l / 2 + u / 2))
                    center[p * inputStride + i] = c
                    // The distance rounded to nearest, then one step up: at least the exact one.
                    // A difference rounds to zero only when it is zero, so a zero distance (a
                    // point interval, like an inactive ReLU's [0, 0]) is exact and stays 0: one
                    // step up would be a subnormal number, and products with subnormals run
                    // about a hundred times slower on x86 (on PoCL the radius products took 100x
                    // the time of the center products, and IBP was 30 % of a MNIST verify run).
                    let distance = max(u - c, c - l)
                    radius[p * inputStride + i] = distance == 0 ? 0 : distance.nextUp
                }
            }
            let centers = try scratchBuffer(&state, "interval-center", center.count)
            let radii = try scratchBuffer(&state, "interval-radius", radius.count)
            try write(center, to: centers, context: context)
            try write(roundedUp(radius), to: radii, context: context)
            let centerProducts = try scratchBuffer(&state, "interval-center-product", subproblems * productStride)
            let radiusProducts = try scratchBuffer(&state, "interval-radius-product", subproblems * productStride)
            try runProduct(
                state, left: centers, leftStride: inputStride, rows: subproblems, stage: stage, transposed: true,
                into: centerProducts, resultStride: productStride)
            try runProduct(
                state, left: radii, leftStride: inputStride, rows: subproblems, stage: stage, transposed: true, absolute: true,
                into: radiusProducts, resultStride: productStride)
            let outputLower = try scratchBuffer(&state, "interval-lower", subproblems * outputs)
            let outputUpper = try scratchBuffer(&state, "interval-upper", subproblems * outputs)
            let kernel = state.interval
            try kernel.setArguments([
                .int(subproblems), .int(outputs), .int(productStride), .buffer(centerProducts), .buffer(radiusProducts),
                .buffer(state.biases[stage]), .buffer(magnitude.weighted),
                // +4: the weights', centers' and radii's rounding to the device type, and the
                // bias, besides the sums.
                factor(device.gamma(inputs + 4)),
                // Every product of both sums may flush to zero.
                factor(Double(2 * inputs + 4) * device.flushSlack + device.underflowSlack),
                .buffer(outputLower), .buffer(outputUpper),
            ])
            let columns = min(outputs, 64, self.device.maxWorkGroupSize)
            try context.run(kernel, global: ((outputs + columns - 1) / columns * columns, subproblems), local: (columns, 1))
            let count = subproblems * outputs
            return (try read(outputLower, count: count, context: context), try read(outputUpper, count: count, context: context))
        }
    }

    public func refutedDisjuncts(lower: [Double], disjunctOfRow: [Int32], isStrict: [Int32], disjunctCount: Int) throws -> [Bool] {
        let rows = lower.count
        guard disjunctCount > 0 else { return [] }
        return try state.withLock { state in
            let context = state.context
            let refuted = try context.buffer(int32s: [Int32](repeating: 0, count: disjunctCount))
            if rows > 0 {
                // Rounded down to the device type: a bound that refutes there refutes exactly.
                let bounds = try uploadRounded(lower, towardsPositive: false, into: context)
                let rowDisjuncts = try context.buffer(int32s: disjunctOfRow), strict = try context.buffer(int32s: isStrict)
                // clSetKernelArg does not retain buffers: they must outlive the launch.
                try withExtendedLifetime((bounds, rowDisjuncts, strict)) {
                    try state.refutedDisjuncts.setArguments([.int(rows), .buffer(bounds), .buffer(rowDisjuncts), .buffer(strict), .buffer(refuted)])
                    try context.run(state.refutedDisjuncts, globalSize: rows)
                }
            }
            return try context.read(refuted, count: disjunctCount, as: Int32.self).map { $0 != 0 }
        }
    }

    /// An allowance factor as a kernel argument of the device type, rounded up so it stays an
    /// allowance.
    func factor(_ value: Double) -> KernelArgument {
        usesDouble ? .double(value) : .float(Float(value).nextUp)
    }

    /// A real argument in the device type, rounded to nearest: for values that steer the
    /// optimizer and do not bear on soundness.
    func real(_ value: Double) -> KernelArgument {
        usesDouble ? .double(value) : .float(Float(value))
    }
}
