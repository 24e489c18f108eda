import Foundation
import VerdictBounds
import VerdictCore

/// One device's programs for the OpenCL graph engine, shared by every rule of a network: the
/// convolution program (`kernels/conv.cl`), and one program per other kernel file, built on
/// first use in the same context and precision. Holds the lock that serializes calls: the graph
/// engine calls operators from several threads at once, and clSetKernelArg is not thread-safe
/// on a kernel object, which the layers of one program share: every call that sets arguments
/// and enqueues holds this lock until its results are read back.
final class OpenCLGraphProgram: @unchecked Sendable {
    let convolution: OpenCLConvolution.Program
    private let lock = NSLock()
    /// Calls answered by the device, and calls the device failed (answered by the CPU rule).
    private var calls = 0, failures = 0
    /// The programs built so far, by kernel file, under `buildLock`.
    private var programs: [String: OpenCLProgram] = [:]
    private let buildLock = NSLock()

    init(_ convolution: OpenCLConvolution.Program) { self.convolution = convolution }

    var usesDouble: Bool { convolution.usesDouble }
    var context: OpenCLContext { convolution.context }
    /// The rounding of the device's arithmetic.
    var allowance: RoundingAllowance { convolution.allowance }

    /// `body` under the lock, counted; nil where it throws.
    func serialized<R>(_ body: () throws -> R) -> R? {
        lock.lock()
        defer { lock.unlock() }
        do {
            let result = try body()
            calls += 1
            return result
        } catch {
            failures += 1
            return nil
        }
    }

    var counts: (calls: Int, failures: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (calls, failures)
    }

    /// A new kernel object `name` of `kernels/<file>` (the file built once): each rule has its
    /// own kernel objects, set and launched under the lock.
    func kernel(_ name: String, in file: String) throws -> OpenCLKernel {
        buildLock.lock()
        defer { buildLock.unlock() }
        if let program = programs[file] { return try program.kernel(name) }
        let options = usesDouble ? "-D REAL=double -D USE_DOUBLE" : "-D REAL=float"
        let program = try context.buildProgram(source: try Kernels.source(file), options: options)
        programs[file] = program
        return try program.kernel(name)
    }
}

/// Transfers and launches the operator rules share (the conv rule has its own in
/// ``OpenCLConvolution``). Values cross the boundary as `Double`; a float device gets them
/// rounded to nearest, or in the direction the caller asks for where soundness needs it.
extension OpenCLGraphProgram {
    /// Values in the device type, rounded to nearest.
    func upload(_ values: [Double]) throws -> OpenCLBuffer {
        try OpenCLBoundKernels.upload(values.isEmpty ? [0] : values, double: usesDouble, into: context)
    }

    /// Values in the device type, rounded up (`up`) or down.
    func upload(_ values: [Double], roundedUp up: Bool) throws -> OpenCLBuffer {
        let values = values.isEmpty ? [0] : values
        if usesDouble { return try context.buffer(of: Double.self, count: values.count, values: values) }
        let floats = OpenCLBoundKernels.floats(values, towardsPositive: up)
        return try context.buffer(of: Float.self, count: floats.count, values: floats)
    }

    func upload(int32s values: [Int32]) throws -> OpenCLBuffer {
        try context.buffer(int32s: values.isEmpty ? [0] : values)
    }

    func scratch(_ count: Int) throws -> OpenCLBuffer {
        usesDouble ? try context.buffer(of: Double.self, count: max(count, 1)) : try context.buffer(of: Float.self, count: max(count, 1))
    }

    func read(_ buffer: OpenCLBuffer, count: Int) throws -> [Double] {
        usesDouble ? try context.read(buffer, count: count, as: Double.self) : try context.read(buffer, count: count, as: Float.self).map(Double.init)
    }

    /// A factor of an allowance in the device type, rounded up.
    func factor(_ value: Double) -> KernelArgument {
        usesDouble ? .double(value) : .float(Float(value).nextUp)
    }

    /// Sets the arguments and enqueues one work item per (element, row), in work groups of a
    /// fixed 64 (or the device's limit) elements of one row: PoCL compiles a kernel anew for
    /// each work-group size. The caller keeps `arguments` (the only references to the buffers
    /// of the call: clSetKernelArg does not retain them) alive until it has read the results.
    func launch(_ kernel: OpenCLKernel, _ arguments: [KernelArgument], elements: Int, rows: Int = 1) throws {
        let local = min(64, context.device.maxWorkGroupSize)
        try kernel.setArguments(arguments)
        try context.run(kernel, global: ((max(elements, 1) + local - 1) / local * local, max(rows, 1)), local: (local, 1))
    }

    /// An interval kernel's bounds: launches `kernel`, one work item per output, with
    /// `arguments` followed by the outputs' lower and upper bound buffers, and reads them back.
    func intervalStep(_ kernel: OpenCLKernel, _ arguments: [KernelArgument], outputs: Int) throws -> ValueBounds {
        let lower = try scratch(outputs), upper = try scratch(outputs)
        let all = arguments + [.buffer(lower), .buffer(upper)]
        return try withExtendedLifetime(all) {
            try launch(kernel, all, elements: outputs)
            return ValueBounds(lower: try read(lower, count: outputs), upper: try read(upper, count: outputs))
        }
    }

    /// A per-row backward step of an elementwise operator (`relu.cl`, `sshaped.cl`): launches
    /// `kernel`, one work item per row, with `arguments` followed by the four results (the rows
    /// over the input, `width` wide, then per row the constant, its magnitude and the error)
    /// and reads them back. The kernel adds up `terms` error terms per row: their sum's own
    /// rounding scales it by `1 + 2γ_{terms}`.
    func rowStep(_ kernel: OpenCLKernel, _ arguments: [KernelArgument], rows: Int, width: Int, terms: Int) throws -> BackwardStep {
        let result = try scratch(rows * width), constants = try scratch(rows), magnitudes = try scratch(rows), errors = try scratch(rows)
        let all = arguments + [.buffer(result), .buffer(constants), .buffer(magnitudes), .buffer(errors)]
        return try withExtendedLifetime(all) {
            try launch(kernel, all, elements: rows)
            var step = BackwardStep(inputs: [RowBlock(rows: rows, width: width, values: try read(result, count: rows * width))], rows: rows)
            step.constants = try read(constants, count: rows)
            step.constantMagnitude = try read(magnitudes, count: rows)
            let scale = 1 + 2 * allowance.gamma(terms)
            step.errors = try read(errors, count: rows).map { $0 * scale }
            return step
        }
    }
}
