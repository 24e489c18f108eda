import COpenCL

/// A context and in-order command queue on one device, with program building and the
/// buffer transfers the bound engine needs. Kept small on purpose: the batched engine of a
/// later layer owns its kernels and buffers and reuses them across batches.
public final class OpenCLContext {
    public let device: OpenCLDevice
    let context: cl_context
    let queue: cl_command_queue

    public init(device: OpenCLDevice) throws {
        self.device = device
        var status: cl_int = 0
        var deviceID: cl_device_id? = device.id
        guard let context = clCreateContext(nil, 1, &deviceID, nil, nil, &status) else {
            throw OpenCLError(call: "clCreateContext", code: status)
        }
        try OpenCLError.check(status, "clCreateContext")
        guard let queue = clCreateCommandQueue(context, device.id, 0, &status) else {
            clReleaseContext(context)
            throw OpenCLError(call: "clCreateCommandQueue", code: status)
        }
        self.context = context
        self.queue = queue
    }

    deinit {
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    /// Compiles OpenCL C source; a compile error carries the build log.
    public func buildProgram(source: String, options: String = "") throws -> OpenCLProgram {
        var status: cl_int = 0
        let program: cl_program? = source.withCString { pointer in
            var sourcePointer: UnsafePointer<CChar>? = pointer
            return clCreateProgramWithSource(context, 1, &sourcePointer, nil, &status)
        }
        guard let program else { throw OpenCLError(call: "clCreateProgramWithSource", code: status) }
        var deviceID: cl_device_id? = device.id
        let buildStatus = clBuildProgram(program, 1, &deviceID, options, nil, nil)
        if buildStatus != CL_SUCCESS {
            var size = 0
            clGetProgramBuildInfo(program, device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size)
            var log = [CChar](repeating: 0, count: size + 1)
            clGetProgramBuildInfo(program, device.id, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &log, nil)
            clReleaseProgram(program)
            throw OpenCLError(call: "clBuildProgram", code: buildStatus, detail: decodeCString(log))
        }
        return OpenCLProgram(program: program, context: self)
    }

    /// A device buffer of floats filled with `values`.
    public func buffer(_ values: [Float]) throws -> OpenCLBuffer {
        try buffer(of: Float.self, count: values.count, values: values)
    }

    /// A device buffer of `count` elements of `Element`, filled with `values` when given.
    public func buffer<Element: BinaryFloatingPoint>(of: Element.Type, count: Int, values: [Element]? = nil) throws -> OpenCLBuffer {
        var status: cl_int = 0
        let size = max(count, 1) * MemoryLayout<Element>.size
        let memory: cl_mem?
        if let values {
            precondition(values.count == count)
            memory = values.withUnsafeBytes { bytes in
                clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR), size,
                    UnsafeMutableRawPointer(mutating: bytes.baseAddress), &status)
            }
        } else {
            memory = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), size, nil, &status)
        }
        guard let memory, status == CL_SUCCESS else { throw OpenCLError(call: "clCreateBuffer", code: status) }
        return OpenCLBuffer(memory: memory, count: count)
    }

    /// A device buffer of 32-bit integers.
    public func buffer(int32s values: [Int32]) throws -> OpenCLBuffer {
        var status: cl_int = 0
        let memory = values.withUnsafeBytes { bytes in
            clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR), max(bytes.count, 4),
                values.isEmpty ? nil : UnsafeMutableRawPointer(mutating: bytes.baseAddress), &status)
        }
        guard let memory, status == CL_SUCCESS else { throw OpenCLError(call: "clCreateBuffer", code: status) }
        return OpenCLBuffer(memory: memory, count: values.count)
    }

    /// Copies `values` into the start of `buffer` (which must be large enough), waiting for
    /// the copy to finish.
    public func write<Element: BinaryFloatingPoint>(_ values: [Element], to buffer: OpenCLBuffer) throws {
        precondition(values.count <= buffer.count)
        guard !values.isEmpty else { return }
        try values.withUnsafeBytes { bytes in
            try OpenCLError.check(
                clEnqueueWriteBuffer(queue, buffer.memory, cl_bool(CL_TRUE), 0, bytes.count, bytes.baseAddress, 0, nil, nil),
                "clEnqueueWriteBuffer")
        }
    }

    /// Fills the first `count` elements of a buffer with one value, without waiting.
    public func fill<Element: BitwiseCopyable>(_ buffer: OpenCLBuffer, with value: Element, count: Int) throws {
        precondition(count <= buffer.count)
        guard count > 0 else { return }
        var pattern = value
        try OpenCLError.check(
            clEnqueueFillBuffer(queue, buffer.memory, &pattern, MemoryLayout<Element>.size, 0, count * MemoryLayout<Element>.size, 0, nil, nil),
            "clEnqueueFillBuffer")
    }

    /// Reads the first `count` elements of a buffer, waiting for queued work.
    public func read<Element: BitwiseCopyable & ExpressibleByIntegerLiteral>(_ buffer: OpenCLBuffer, count: Int, as: Element.Type) throws -> [Element] {
        precondition(count <= buffer.count)
        var values = [Element](repeating: 0, count: count)
        guard count > 0 else { return values }
        try values.withUnsafeMutableBytes { bytes in
            try OpenCLError.check(
                clEnqueueReadBuffer(queue, buffer.memory, cl_bool(CL_TRUE), 0, bytes.count, bytes.baseAddress, 0, nil, nil),
                "clEnqueueReadBuffer")
        }
        return values
    }

    /// Runs a kernel over a 2-D range; `global` must be a multiple of `local` in each dimension.
    public func run(_ kernel: OpenCLKernel, global: (Int, Int), local: (Int, Int)) throws {
        var globalSize = [global.0, global.1]
        var localSize = [local.0, local.1]
        try OpenCLError.check(
            clEnqueueNDRangeKernel(queue, kernel.kernel, 2, nil, &globalSize, &localSize, 0, nil, nil),
            "clEnqueueNDRangeKernel")
    }

    /// Reads a whole buffer of floats back, waiting for queued work.
    public func read(_ buffer: OpenCLBuffer) throws -> [Float] {
        try read(buffer, count: buffer.count, as: Float.self)
    }

    /// Runs a kernel over `globalSize` work items, rounded up to whole work groups of
    /// `localSize` (by default 64, or the device's limit if lower); the kernel ignores the
    /// items past its size. The work-group size is always given: left to the implementation it
    /// changes with the global size, and PoCL compiles the kernel anew for each work-group size
    /// it meets (a tenth of a second each), which batches of varying size would keep paying.
    public func run(_ kernel: OpenCLKernel, globalSize: Int, localSize: Int? = nil) throws {
        var local = localSize ?? min(64, device.maxWorkGroupSize)
        var global = (max(globalSize, 1) + local - 1) / local * local
        try OpenCLError.check(clEnqueueNDRangeKernel(queue, kernel.kernel, 1, nil, &global, &local, 0, nil, nil), "clEnqueueNDRangeKernel")
    }

    public func finish() throws {
        try OpenCLError.check(clFinish(queue), "clFinish")
    }
}

public final class OpenCLProgram {
    let program: cl_program
    let context: OpenCLContext

    init(program: cl_program, context: OpenCLContext) {
        self.program = program
        self.context = context
    }

    deinit { clReleaseProgram(program) }

    public func kernel(_ name: String) throws -> OpenCLKernel {
        var status: cl_int = 0
        guard let kernel = clCreateKernel(program, name, &status) else { throw OpenCLError(call: "clCreateKernel(\(name))", code: status) }
        return OpenCLKernel(kernel: kernel, program: self)
    }
}

/// One kernel argument, for ``OpenCLKernel/setArguments(_:)``.
public enum KernelArgument {
    case buffer(OpenCLBuffer)
    case int(Int)
    case float(Float)
    case double(Double)
}

public final class OpenCLKernel {
    let kernel: cl_kernel
    let program: OpenCLProgram

    init(kernel: cl_kernel, program: OpenCLProgram) {
        self.kernel = kernel
        self.program = program
    }

    deinit { clReleaseKernel(kernel) }

    public func setArgument(_ index: Int, _ buffer: OpenCLBuffer) throws {
        var memory: cl_mem? = buffer.memory
        try OpenCLError.check(clSetKernelArg(kernel, cl_uint(index), MemoryLayout<cl_mem>.size, &memory), "clSetKernelArg")
    }

    /// Sets arguments 0, 1, ... in order: one call per kernel launch instead of one per argument.
    public func setArguments(_ arguments: [KernelArgument]) throws {
        for (index, argument) in arguments.enumerated() {
            switch argument {
            case .buffer(let buffer): try setArgument(index, buffer)
            case .int(let value): try setArgument(index, Int32(value))
            case .float(let value): try setScalar(index, value)
            case .double(let value): try setScalar(index, value)
            }
        }
    }

    /// A scalar argument of a plain type (`float`, `double`, `int`).
    public func setScalar<Value: BitwiseCopyable>(_ index: Int, _ value: Value) throws {
        var value = value
        try OpenCLError.check(clSetKernelArg(kernel, cl_uint(index), MemoryLayout<Value>.size, &value), "clSetKernelArg")
    }

    public func setArgument(_ index: Int, _ value: Int32) throws {
        var value = value
        try OpenCLError.check(clSetKernelArg(kernel, cl_uint(index), MemoryLayout<Int32>.size, &value), "clSetKernelArg")
    }
}

public final class OpenCLBuffer {
    let memory: cl_mem
    public let count: Int

    init(memory: cl_mem, count: Int) {
        self.memory = memory
        self.count = count
    }

    deinit { clReleaseMemObject(memory) }
}
