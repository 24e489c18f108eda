import ArgumentParser
import VerdictOpenCL

/// `verdict devices`: the OpenCL platforms and devices the bound engine can use.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List OpenCL platforms and devices with their limits.",
        discussion: "Example: verdict devices")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let platforms = try OpenCLDiscovery.platforms()
        if platforms.isEmpty {
            print("no OpenCL platform found (install pocl-opencl-icd for the CPU, or a GPU vendor's ICD); the CPU engine is used")
            return
        }
        var index = 0
        for platform in platforms {
            print("platform \(platform.name) (\(platform.vendor), \(platform.version))")
            for device in platform.devices {
                print("  opencl:\(index)  \(device)")
                index += 1
            }
        }
    }
}
