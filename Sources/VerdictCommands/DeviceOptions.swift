import ArgumentParser
import VerdictBounds
import VerdictCore
import VerdictOpenCL

/// `--device` and `--precision`: where bounds are computed, shared by every command that
/// bounds (one definition, so the choices and their help read the same everywhere).
struct DeviceOptions: ParsableArguments {
    @Option(help: "Where bounds are computed: auto (dense chains: a GPU, else any OpenCL device, else the CPU; other graphs: the CPU), cpu, cpu-graph (the graph engine for every network, as --cut-rounds needs), opencl or opencl:INDEX.")
    var device: DeviceChoice = .auto

    @Option(help: "Arithmetic of OpenCL devices: auto (double where supported; verify: float when splitting ReLUs), float or double.")
    var precision: DevicePrecision = .auto

    /// The engine these options pick for `network`; `automatic` is what `--precision auto`
    /// stands for in the calling command.
    func engine(for network: Network, automatic: DevicePrecision = .auto) throws -> any BoundEngine {
        try EngineSelection.engine(for: network, choice: device, precision: precision == .auto ? automatic : precision)
    }
}
