import Synchronization
import VerdictBounds

/// The arithmetic of the device products.
public enum DevicePrecision: String, Sendable, CaseIterable {
    /// Double where the device has `cl_khr_fp64` (bounds as tight as the CPU engine's), else float.
    case auto
    /// Float: fastest, but its rounding allowance (γ_n with u = 2^-24) loosens bounds of
    /// ill-conditioned layers noticeably (up to about 20 % on ACAS Xu sub-boxes).
    case float
    case double
}

/// Which matrix-product kernel to use: by default the tiled local-memory kernel on GPUs and
/// the register-blocked vector kernel elsewhere; tests force each on any device.
public enum KernelLayout: Sendable {
    case automatic
    case tiled
    case vector
}

/// The weight products of the bound engine on an OpenCL device: the tiled matrix product of
/// `kernels/matrix_multiply.cl`.
///
/// The weights of every stage are uploaded once, in both orientations; coefficient and result
/// buffers grow as batches need and are reused. The program is built once per engine.
public final class OpenCLWeightProducts: WeightProducts, @unchecked Sendable {
    public let device: OpenCLDevice
    public let usesDouble: Bool
    private let network: BoundNetwork
    private let state: Mutex<DeviceState>

    /// How work is laid out: local-memory tiles for GPUs, register blocks for CPUs.
    enum Layout {
        /// `TILE x TILE` blocks of C per work group of `TILE x rowsPerGroup` items.
        case tiled(tile: Int, rowsPerGroup: Int)
        /// `rows x width` blocks of C per work item, with the columns of B and C padded to a
        /// multiple of `width`.
        case vector(rows: Int, width: Int)
    }

    private struct DeviceState: @unchecked Sendable {
        let context: OpenCLContext
        let kernel: OpenCLKernel
        let layout: Layout
        let weights: [OpenCLBuffer]
        let transposedWeights: [OpenCLBuffer]
        var left: OpenCLBuffer?
        var result: OpenCLBuffer?
    }

    public init(network: BoundNetwork, device: OpenCLDevice, precision: DevicePrecision = .auto, kernelLayout: KernelLayout = .automatic) throws {
        self.device = device
        self.network = network
        switch precision {
        case .auto: usesDouble = device.supportsDouble
        case .float: usesDouble = false
        case .double:
            guard device.supportsDouble else {
                throw OpenCLError(call: "device selection", code: -33, detail: "\(device.name) has no double precision (cl_khr_fp64)")
            }
            usesDouble = true
        }
        let context = try OpenCLContext(device: device)
        let elementSize = usesDouble ? 8 : 4
        let precisionOptions = usesDouble ? "-D REAL=double -D USE_DOUBLE" : "-D REAL=float"
        let layout: Layout
        let kernel: OpenCLKernel
        if kernelLayout == .tiled || (kernelLayout == .automatic && device.isGPU) {
            // 32 x 32 tiles with 8 results per work item (128 items) where the device's limits
            // allow both tiles in local memory, else 16 x 16 with 4 per item (64 items).
            let large = device.maxWorkGroupSize >= 128 && device.localMemoryBytes >= UInt64(2 * 32 * 32 * elementSize + 1024)
            let tile = large ? 32 : 16, workPerItem = large ? 8 : 4
            let program = try context.buildProgram(
                source: try Kernels.source("matrix_multiply.cl"), options: "\(precisionOptions) -D TILE=\(tile) -D WORK_PER_ITEM=\(workPerItem)")
            kernel = try program.kernel("matrix_multiply")
            layout = .tiled(tile: tile, rowsPerGroup: tile / workPerItem)
        } else {
            // Measured on PoCL with AVX-512: 8 rows of 8 doubles or 16 floats per work item.
            let rows = 8, width = usesDouble ? 8 : 16
            let program = try context.buildProgram(
                source: try Kernels.source("matrix_multiply_vector.cl"), options: "\(precisionOptions) -D ROWS=\(rows) -D VEC=\(width)")
            kernel = try program.kernel("matrix_multiply_vector")
            layout = .vector(rows: rows, width: width)
        }
        let double = usesDouble
        let upload: ([Double]) throws -> OpenCLBuffer = { values in
            double
                ? try context.buffer(of: Double.self, count: values.count, values: values)
                : try context.buffer(of: Float.self, count: values.count, values: values.map { Float($0) })
        }
        // Row strides of B padded for the vector layout.
        let pad: ([Double], Int, Int) -> [Double] = { values, rows, columns in
            guard case .vector(_, let width) = layout else { return values }
            let padded = OpenCLWeightProducts.paddedWidth(columns, width)
            var result = [Double](repeating: 0, count: rows * padded)
            for row in 0..<rows {
                for column in 0..<columns { result[row * padded + column] = values[row * columns + column] }
            }
            return result
        }
        let weights = try network.stages.map { try upload(pad($0.weights, $0.outputCount, $0.inputCount)) }
        let transposed = try network.stages.map { try upload(pad($0.transposedWeights, $0.inputCount, $0.outputCount)) }
        state = Mutex(DeviceState(context: context, kernel: kernel, layout: layout, weights: weights, transposedWeights: transposed))
    }

    public var allowance: RoundingAllowance { usesDouble ? .double : .float }

    static func paddedWidth(_ columns: Int, _ multiple: Int) -> Int { (columns + multiple - 1) / multiple * multiple }

    public func multiply(_ rows: [Double], count: Int, stage: Int, transposed: Bool) throws -> [Double] {
        let affine = network.stages[stage]
        let (inner, columns) = transposed ? (affine.inputCount, affine.outputCount) : (affine.outputCount, affine.inputCount)
        guard count > 0 else { return [] }
        let usesDouble = self.usesDouble
        return try state.withLock { state in
            let context = state.context
            func scratch(_ existing: OpenCLBuffer?, _ needed: Int) throws -> OpenCLBuffer {
                if let existing, existing.count >= needed { return existing }
                let size = max(needed, 2 * (existing?.count ?? 0))
                return usesDouble ? try context.buffer(of: Double.self, count: size) : try context.buffer(of: Float.self, count: size)
            }
            var stride = columns
            if case .vector(_, let width) = state.layout { stride = OpenCLWeightProducts.paddedWidth(columns, width) }
            state.left = try scratch(state.left, count * inner)
            state.result = try scratch(state.result, count * stride)
            let left = state.left!, result = state.result!
            if usesDouble { try context.write(rows, to: left) } else { try context.write(rows.map { Float($0) }, to: left) }
            let kernel = state.kernel
            try kernel.setArgument(0, Int32(count))
            try kernel.setArgument(1, Int32(stride))
            try kernel.setArgument(2, Int32(inner))
            try kernel.setArgument(3, left)
            try kernel.setArgument(4, transposed ? state.transposedWeights[stage] : state.weights[stage])
            try kernel.setArgument(5, result)
            switch state.layout {
            case .tiled(let tile, let rowsPerGroup):
                let groupsX = (columns + tile - 1) / tile, groupsY = (count + tile - 1) / tile
                try context.run(kernel, global: (groupsX * tile, groupsY * rowsPerGroup), local: (tile, rowsPerGroup))
            case .vector(let rows, let width):
                try context.run(kernel, global: (stride / width, (count + rows - 1) / rows), local: (1, 1))
            }
            FlopCounter.add(2 * count * inner * columns)
            let values = usesDouble
                ? try context.read(result, count: count * stride, as: Double.self)
                : try context.read(result, count: count * stride, as: Float.self).map(Double.init)
            guard stride != columns else { return values }
            var packed = [Double](repeating: 0, count: count * columns)
            for row in 0..<count {
                for column in 0..<columns { packed[row * columns + column] = values[row * stride + column] }
            }
            return packed
        }
    }
}
