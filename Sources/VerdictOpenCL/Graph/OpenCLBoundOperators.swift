import VerdictBounds
import VerdictCore

/// The OpenCL registry of the graph engine: the bound rule of every layer type, on an OpenCL
/// device where there is one (one line per operator in ``all``), else the CPU rule of
/// ``BoundOperators/make(_:)``. Pass ``make(_:)`` to `GraphBoundNetwork(_:operators:)`.
///
/// On the device: convolutions and average pools (``OpenCLConvOperator``), dense layers
/// (``OpenCLAffineOperator``), the backward steps of Sigmoid and Tanh (``OpenCLSShapedOperator``)
/// and of ReLU (``OpenCLReLUOperator``), `ScaleShift` (``OpenCLScaleShiftOperator``), the
/// intervals of sums (residual joins, ``OpenCLSumOperator``), and the intervals and backward
/// steps of max pools (``OpenCLMaxPoolOperator``) and of copies (Pad, Concat:
/// ``OpenCLSelectOperator``). Each rule leaves the rest to its CPU rule (``CPUBackedRule``).
public struct OpenCLBoundOperators: Sendable {
    public let device: OpenCLDevice
    /// Whether the device computes in double (per ``DevicePrecision``).
    public let usesDouble: Bool
    let program: OpenCLGraphProgram

    /// One line per operator with an OpenCL rule.
    static let all: [@Sendable (any Layer, OpenCLGraphProgram) throws -> (any BoundOperator)?] = [
        { layer, program in try (layer as? ConvLayer).map { try OpenCLConvOperator($0, device: program) } },
        { layer, program in try (layer as? AffineLayer).flatMap { try OpenCLAffineOperator($0, device: program) } },
        { layer, program in try (layer as? SShapedLayer).map { try OpenCLSShapedOperator($0, device: program) } },
        { layer, program in try (layer as? ReLULayer).map { try OpenCLReLUOperator($0, device: program) } },
        { layer, program in try (layer as? ScaleShiftLayer).flatMap { try OpenCLScaleShiftOperator($0, device: program) } },
        { layer, program in try (layer as? SumLayer).map { try OpenCLSumOperator($0, device: program) } },
        { layer, program in try (layer as? MaxPoolLayer).map { try OpenCLMaxPoolOperator($0, device: program) } },
        { layer, program in try (layer as? SelectLayer).map { try OpenCLSelectOperator($0, device: program) } },
    ]

    /// Builds the kernels on `device` in `precision` (`auto`: double where the device has it).
    public init(device: OpenCLDevice, precision: DevicePrecision = .auto) throws {
        self.device = device
        program = OpenCLGraphProgram(try OpenCLConvolution.Program(device: device, precision: precision))
        usesDouble = program.usesDouble
    }

    /// The rule for `layer`: the OpenCL one where there is one, else the CPU's.
    public func make(_ layer: any Layer) throws -> any BoundOperator {
        for maker in Self.all { if let rule = try maker(layer, program) { return rule } }
        return try BoundOperators.make(layer)
    }

    /// Device calls made by this registry's rules so far, and those that failed (and were
    /// answered by the CPU rules instead): a test's check that the device did the work.
    public var deviceCalls: (succeeded: Int, failed: Int) {
        let counts = program.counts
        return (counts.calls, counts.failures)
    }
}
