import ArgumentParser
import VerdictBounds
import VerdictOpenCL

/// `--device` and `--precision`: where bounds are computed, shared by every command that
/// bounds (one definition, so the choices and their help read the same everywhere).
struct DeviceOptions: ParsableArguments {
    @Option(help: "Where bounds are computed: auto (a GPU, else any OpenCL device, else the CPU), cpu, opencl or opencl:INDEX.")
    var device: DeviceChoice = .auto

    @Option(help: "Arithmetic of OpenCL devices: auto (double where supported), float or double.")
    var precision: DevicePrecision = .auto

    /// The engine these options pick for `network`.
    func engine(for network: BoundNetwork) throws -> any BoundEngine {
        try EngineSelection.engine(for: network, choice: device, precision: precision)
    }
}
