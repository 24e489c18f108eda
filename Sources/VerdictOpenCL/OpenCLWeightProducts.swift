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

    private struct DeviceState: @unchecked Sendable {
        let context: OpenCLContext
        let kernel: OpenCLKernel
        let tile: Int
        let rowsPerGroup: Int
        let weights: [OpenCLBuffer]
        let transposedWeights: [OpenCLBuffer]
        var left: OpenCLBuffer?
        var result: OpenCLBuffer?
    }

    public init(network: BoundNetwork, device: OpenCLDevice, precision: DevicePrecision = .auto) throws {
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
        // 32 x 32 tiles with 8 results per work item (128 items) where the device's limits
        // allow both tiles in local memory, else 16 x 16 with 4 per item (64 items).
        let large = device.maxWorkGroupSize >= 128 && device.localMemoryBytes >= UInt64(2 * 32 * 32 * elementSize + 1024)
        let tile = large ? 32 : 16, workPerItem = large ? 8 : 4
        let precisionOptions = usesDouble ? "-D REAL=double -D USE_DOUBLE" : "-D REAL=float"
        let program = try context.buildProgram(
            source: try Kernels.source("matrix_multiply.cl"), options: "\(precisionOptions) -D TILE=\(tile) -D WORK_PER_ITEM=\(workPerItem)")
        let kernel = try program.kernel("matrix_multiply")
        let double = usesDouble
        let upload: ([Double]) throws -> OpenCLBuffer = { values in
            double
                ? try context.buffer(of: Double.self, count: values.count, values: values)
                : try context.buffer(of: Float.self, count: values.count, values: values.map { Float($0) })
        }
        let weights = try network.stages.map { try upload($0.weights) }
        let transposed = try network.stages.map { try upload($0.transposedWeights) }
        state = Mutex(DeviceState(
            context: context, kernel: kernel, tile: tile, rowsPerGroup: tile / workPerItem,
            weights: weights, transposedWeights: transposed))
    }

    public var allowance: RoundingAllowance { usesDouble ? .double : .float }

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
            state.left = try scratch(state.left, count * inner)
            state.result = try scratch(state.result, count * columns)
            let left = state.left!, result = state.result!
            if usesDouble { try context.write(rows, to: left) } else { try context.write(rows.map { Float($0) }, to: left) }
            let kernel = state.kernel
            try kernel.setArgument(0, Int32(count))
            try kernel.setArgument(1, Int32(columns))
            try kernel.setArgument(2, Int32(inner))
            try kernel.setArgument(3, left)
            try kernel.setArgument(4, transposed ? state.transposedWeights[stage] : state.weights[stage])
            try kernel.setArgument(5, result)
            let groupsX = (columns + state.tile - 1) / state.tile, groupsY = (count + state.tile - 1) / state.tile
            try context.run(kernel, global: (groupsX * state.tile, groupsY * state.rowsPerGroup), local: (state.tile, state.rowsPerGroup))
            FlopCounter.add(2 * count * inner * columns)
            return usesDouble
                ? try context.read(result, count: count * columns, as: Double.self)
                : try context.read(result, count: count * columns, as: Float.self).map(Double.init)
        }
    }
}
