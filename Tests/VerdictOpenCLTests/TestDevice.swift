import Foundation
import VerdictOpenCL
import XCTest

/// The OpenCL device the tests run on: a GPU, else the first device. Without one the test
/// says so and skips, unless VERDICT_REQUIRE_OPENCL=1 (CI, with PoCL) makes it a failure;
/// `double` also skips on a device without double precision, where parity is not checked.
func openCLTestDevice(double: Bool = false) throws -> OpenCLDevice {
    let devices = try OpenCLDiscovery.devices()
    guard let device = devices.first(where: \.isGPU) ?? devices.first else {
        let message = "no OpenCL platform or device found (install pocl-opencl-icd for the CPU)"
        if ProcessInfo.processInfo.environment["VERDICT_REQUIRE_OPENCL"] == "1" { XCTFail(message) }
        throw XCTSkip(message)
    }
    if double && !device.supportsDouble { throw XCTSkip("\(device.name) has no double precision: parity is checked in double") }
    return device
}
