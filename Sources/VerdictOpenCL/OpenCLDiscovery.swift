import VerdictBounds
import COpenCL

/// One OpenCL device and the limits that matter for choosing work-group sizes.
/// Device ids are opaque handles owned by the driver for the life of the process, safe to share.
public struct OpenCLDevice: @unchecked Sendable, CustomStringConvertible {
    public let id: cl_device_id
    public let platformName: String
    public let name: String
    public let vendor: String
    public let version: String
    public let isGPU: Bool
    public let computeUnits: Int
    public let maxWorkGroupSize: Int
    public let globalMemoryBytes: UInt64
    public let localMemoryBytes: UInt64
    /// Whether the device computes in double precision (`cl_khr_fp64`).
    public let supportsDouble: Bool

    public var description: String {
        "\(name) (\(vendor); \(isGPU ? "GPU" : "CPU/other"); \(computeUnits) compute units; work groups up to \(maxWorkGroupSize); "
            + "\(globalMemoryBytes >> 20) MiB global, \(localMemoryBytes >> 10) KiB local; double \(supportsDouble ? "yes" : "no"); \(version))"
    }
}

/// A platform (a vendor's driver: PoCL, NVIDIA, ...) and its devices.
public struct OpenCLPlatform: Sendable {
    public let name: String
    public let vendor: String
    public let version: String
    public let devices: [OpenCLDevice]
}

public enum OpenCLDiscovery {
    /// Every platform the ICD loader knows. No platform at all is not an error: the result
    /// is empty and callers fall back to the CPU engine.
    public static func platforms() throws -> [OpenCLPlatform] {
        var count: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &count)
        if status == -1001 || count == 0 { return [] }  // CL_PLATFORM_NOT_FOUND_KHR
        try OpenCLError.check(status, "clGetPlatformIDs")
        var ids = [cl_platform_id?](repeating: nil, count: Int(count))
        try OpenCLError.check(clGetPlatformIDs(count, &ids, nil), "clGetPlatformIDs")
        return try ids.compactMap { $0 }.map { platform in
            let name = try platformString(platform, cl_platform_info(CL_PLATFORM_NAME))
            var deviceCount: cl_uint = 0
            let deviceStatus = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount)
            var devices: [OpenCLDevice] = []
            if deviceStatus != CL_DEVICE_NOT_FOUND {
                try OpenCLError.check(deviceStatus, "clGetDeviceIDs")
                var deviceIDs = [cl_device_id?](repeating: nil, count: Int(deviceCount))
                try OpenCLError.check(clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &deviceIDs, nil), "clGetDeviceIDs")
                devices = try deviceIDs.compactMap { $0 }.map { try device($0, platformName: name) }
            }
            return OpenCLPlatform(
                name: name, vendor: try platformString(platform, cl_platform_info(CL_PLATFORM_VENDOR)),
                version: try platformString(platform, cl_platform_info(CL_PLATFORM_VERSION)), devices: devices)
        }
    }

    /// Every device of every platform, in discovery order.
    public static func devices() throws -> [OpenCLDevice] {
        try platforms().flatMap(\.devices)
    }

    private static func device(_ id: cl_device_id, platformName: String) throws -> OpenCLDevice {
        let type: cl_device_type = try deviceValue(id, cl_device_info(CL_DEVICE_TYPE))
        let units: cl_uint = try deviceValue(id, cl_device_info(CL_DEVICE_MAX_COMPUTE_UNITS))
        let workGroup: Int = try deviceValue(id, cl_device_info(CL_DEVICE_MAX_WORK_GROUP_SIZE))
        let global: cl_ulong = try deviceValue(id, cl_device_info(CL_DEVICE_GLOBAL_MEM_SIZE))
        let local: cl_ulong = try deviceValue(id, cl_device_info(CL_DEVICE_LOCAL_MEM_SIZE))
        let extensions = try deviceString(id, cl_device_info(CL_DEVICE_EXTENSIONS))
        return OpenCLDevice(
            id: id, platformName: platformName,
            name: try deviceString(id, cl_device_info(CL_DEVICE_NAME)),
            vendor: try deviceString(id, cl_device_info(CL_DEVICE_VENDOR)),
            version: try deviceString(id, cl_device_info(CL_DEVICE_VERSION)),
            isGPU: type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0, computeUnits: Int(units),
            maxWorkGroupSize: workGroup, globalMemoryBytes: global, localMemoryBytes: local,
            supportsDouble: extensions.split(separator: " ").contains("cl_khr_fp64"))
    }

    private static func platformString(_ platform: cl_platform_id, _ parameter: cl_platform_info) throws -> String {
        var size = 0
        try OpenCLError.check(clGetPlatformInfo(platform, parameter, 0, nil, &size), "clGetPlatformInfo")
        var buffer = [CChar](repeating: 0, count: size + 1)
        try OpenCLError.check(clGetPlatformInfo(platform, parameter, size, &buffer, nil), "clGetPlatformInfo")
        return decodeCString(buffer).trimmingTrailingSpaces
    }

    private static func deviceString(_ device: cl_device_id, _ parameter: cl_device_info) throws -> String {
        var size = 0
        try OpenCLError.check(clGetDeviceInfo(device, parameter, 0, nil, &size), "clGetDeviceInfo")
        var buffer = [CChar](repeating: 0, count: size + 1)
        try OpenCLError.check(clGetDeviceInfo(device, parameter, size, &buffer, nil), "clGetDeviceInfo")
        return decodeCString(buffer).trimmingTrailingSpaces
    }

    private static func deviceValue<Value: FixedWidthInteger>(_ device: cl_device_id, _ parameter: cl_device_info) throws -> Value {
        var value: Value = 0
        try OpenCLError.check(clGetDeviceInfo(device, parameter, MemoryLayout<Value>.size, &value, nil), "clGetDeviceInfo")
        return value
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var result = self
        while let last = result.last, last == " " || last == "\0" { result.removeLast() }
        return result
    }
}

/// A NUL-terminated C string buffer as a Swift string.
func decodeCString(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

extension DevicePrecision {
    /// Whether kernels compute in double on `device`: `auto` where it has `cl_khr_fp64`; an
    /// explicit `double` it lacks is an error.
    func usesDouble(on device: OpenCLDevice) throws -> Bool {
        switch self {
        case .auto: return device.supportsDouble
        case .float: return false
        case .double:
            guard device.supportsDouble else {
                throw OpenCLError(call: "device selection", code: -33, detail: "\(device.name) has no double precision (cl_khr_fp64)")
            }
            return true
        }
    }
}
