import VerdictCore
import VerdictBounds

/// Where bounds are computed: `auto` (a GPU, else any OpenCL device, else the CPU engine),
/// `cpu`, `opencl` (the first OpenCL device) or `opencl:INDEX` (as `verdict devices` lists).
public enum DeviceChoice: Equatable, Sendable, CustomStringConvertible {
    case auto
    case cpu
    /// The graph engine on the CPU for every network, dense chains included: what cutting
    /// planes (``BoundOptions/cutRounds``) need, which the chain engines do not take.
    case cpuGraph
    case opencl(index: Int?)

    public init?(_ text: String) {
        switch text {
        case "auto": self = .auto
        case "cpu": self = .cpu
        case "cpu-graph": self = .cpuGraph
        case "opencl": self = .opencl(index: nil)
        default:
            guard text.hasPrefix("opencl:"), let index = Int(text.dropFirst(7)), index >= 0 else { return nil }
            self = .opencl(index: index)
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .cpu: return "cpu"
        case .cpuGraph: return "cpu-graph"
        case .opencl(let index): return index.map { "opencl:\($0)" } ?? "opencl"
        }
    }
}

public enum EngineSelection {
    /// The engine for an imported network: a chain of dense layers goes to the engines below
    /// (OpenCL or the CPU); any other graph (convolutions, pooling, residual joins) to the graph
    /// engine, with the OpenCL rules of ``OpenCLBoundOperators`` (every operator's backward
    /// step or intervals on the device) for `opencl[:INDEX]`, with the CPU rules for `cpu` and
    /// `auto`: through PoCL the OpenCL rules are about 7x slower on CROWN (each call uploads
    /// its rows; oval21 `cifar_base_kw`), and they have not been measured on a GPU yet.
    /// Precision as for chains: `auto` is double where the device has it.
    public static func engine(for network: Network, choice: DeviceChoice, precision: DevicePrecision = .auto) throws -> any BoundEngine {
        if choice != .cpuGraph, let chain = try? BoundNetwork(network) { return try engine(for: chain, choice: choice, precision: precision) }
        switch choice {
        case .cpu, .cpuGraph, .auto:
            return GraphBoundEngine(graph: try GraphBoundNetwork(network))
        case .opencl(let index):
            let (device, chosen) = try explicitDevice(index)
            return try openCLGraphEngine(network, device, index: chosen, precision: precision)
        }
    }

    /// The graph engine with the OpenCL rules on `device`, named e.g. `opencl:0 graph (…, double)`.
    public static func openCLGraphEngine(_ network: Network, _ device: OpenCLDevice, index: Int, precision: DevicePrecision = .auto) throws -> GraphBoundEngine {
        let operators = try OpenCLBoundOperators(device: device, precision: precision)
        let graph = try GraphBoundNetwork(network, operators: operators.make)
        return GraphBoundEngine(graph: graph, name: "opencl:\(index) graph (\(device.name), \(operators.usesDouble ? "double" : "float"))")
    }

    /// The device `opencl[:index]` names, or an error saying why there is none.
    private static func explicitDevice(_ index: Int?) throws -> (OpenCLDevice, Int) {
        let devices = try OpenCLDiscovery.devices()
        guard !devices.isEmpty else {
            throw OpenCLError(call: "device selection", code: -1001, detail: "no OpenCL device found; use --device cpu")
        }
        let chosen = index ?? 0
        guard chosen < devices.count else {
            throw OpenCLError(call: "device selection", code: -33, detail: "there is no opencl:\(chosen); `verdict devices` lists \(devices.count)")
        }
        return (devices[chosen], chosen)
    }

    /// The engine for `choice`. An explicit OpenCL choice that cannot be met is an error;
    /// `auto` falls back to the CPU engine when no OpenCL device works.
    public static func engine(for network: BoundNetwork, choice: DeviceChoice, precision: DevicePrecision = .auto) throws -> any BoundEngine {
        switch choice {
        case .cpu, .cpuGraph:
            return CPUBoundEngine(network: network)
        case .opencl(let index):
            let (device, chosen) = try explicitDevice(index)
            return try openCLEngine(network, device, index: chosen, precision: precision)
        case .auto:
            guard let devices = try? OpenCLDiscovery.devices(), !devices.isEmpty else { return CPUBoundEngine(network: network) }
            let index = devices.firstIndex(where: \.isGPU) ?? 0
            return (try? openCLEngine(network, devices[index], index: index, precision: precision)) ?? CPUBoundEngine(network: network)
        }
    }

    private static func openCLEngine(_ network: BoundNetwork, _ device: OpenCLDevice, index: Int, precision: DevicePrecision) throws -> any BoundEngine {
        let products = try OpenCLBoundKernels(network: network, device: device, precision: precision)
        return BatchedBoundEngine(network: network, products: products, name: "opencl:\(index) (\(device.name), \(products.usesDouble ? "double" : "float"))")
    }
}
