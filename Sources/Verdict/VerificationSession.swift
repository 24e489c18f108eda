/// A network ready to verify many properties: the bound engine and the Z3 leaf workers are
/// made once (for `verdict radius`, dozens of properties per input) and every call runs the
/// complete search of ``Verifier``: attacks, branch and bound, Z3 leaves.
public final class VerificationSession {
    public let network: Network
    /// The options of every call that passes none of its own.
    public let options: VerificationOptions
    /// The engine bounds are computed on, built for ``Verifier/searchNetwork``.
    public let engine: any BoundEngine
    /// Z3 leaf workers shared by every call (``VerificationOptions/z3Workers`` of them), or
    /// nil: each call starts its own and leaves a running leaf behind when it returns.
    private let workers: Z3Workers?

    /// `device` and `precision` as `--device` and `--precision` take them; `.auto` precision
    /// is what `verify` picks for this network (``VerificationOptions/automaticPrecision(inputCount:)``).
    /// With `sharedLeafWorkers`, each call returns only once its Z3 leaves have stopped, so none
    /// runs on beside the next call (which libz3 can take seconds to do: see
    /// ``Z3Workers``); a process that verifies once and exits (`verdict verify`) answers
    /// sooner without.
    public init(
        network: Network, options: VerificationOptions = .defaults, device: DeviceChoice = .auto, precision: DevicePrecision = .auto,
        sharedLeafWorkers: Bool = true
    ) throws {
        self.network = network
        self.options = options
        let search = try Verifier.searchNetwork(for: network, options: options)
        let chosen = precision == .auto ? options.automaticPrecision(inputCount: network.inputCount) : precision
        engine = try EngineSelection.engine(for: search, choice: device, precision: chosen)
        workers = sharedLeafWorkers ? Z3Workers(count: options.z3Workers) : nil
    }

    public var engineName: String { engine.name }

    /// The complete answer for `property`, with `options` (the session's by default; its
    /// max-pool handling must be the session's, since the engine was built for it).
    public func verify(_ property: Property, options: VerificationOptions? = nil) throws -> VerificationResult {
        let options = options ?? self.options
        guard options.maxPoolHandling == self.options.maxPoolHandling else {
            throw FileMismatch(description: "a session built for --max-pool \(self.options.maxPoolHandling.rawValue) cannot verify with \(options.maxPoolHandling.rawValue)")
        }
        return try Verifier(network: network, property: property, options: options).verify(engine: engine, workers: workers)
    }
}
