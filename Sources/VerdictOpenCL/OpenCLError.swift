import COpenCL

/// A failed OpenCL call, named with its error code so a user can look it up.
public struct OpenCLError: Error, CustomStringConvertible {
    public let call: String
    public let code: Int32
    public var detail: String = ""

    public var description: String {
        "OpenCL \(call) failed with \(OpenCLError.name(of: code)) (\(code))" + (detail.isEmpty ? "" : ": \(detail)")
    }

    /// Throws when `code` is not `CL_SUCCESS`.
    static func check(_ code: cl_int, _ call: String) throws {
        if code != CL_SUCCESS { throw OpenCLError(call: call, code: code) }
    }

    static func name(of code: Int32) -> String {
        switch code {
        case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND"
        case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE"
        case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES"
        case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY"
        case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE"
        case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE"
        case CL_INVALID_VALUE: return "CL_INVALID_VALUE"
        case CL_INVALID_PLATFORM: return "CL_INVALID_PLATFORM"
        case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE"
        case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME"
        case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS"
        case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE"
        case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE"
        case -1001: return "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL platform is installed)"
        default: return "error"
        }
    }
}
