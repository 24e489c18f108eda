import VerdictCore

/// The reference bound engine: IBP, CROWN, α-CROWN and β-CROWN on the CPU in `Double`, with
/// the rounding allowance of ``RoundingAllowance`` applied to every bound it returns. It is
/// the oracle the OpenCL engine is tested against.
public struct CPUBoundEngine: BoundEngine {
    private let engine: BatchedBoundEngine

    public init(network: BoundNetwork) {
        engine = BatchedBoundEngine(network: network, products: CPUWeightProducts(network: network), name: "cpu")
    }

    public var name: String { engine.name }
    public var network: BoundNetwork { engine.network }
    public var layout: ActivationLayout { engine.layout }

    public func bound(_ tasks: [BoundTask], options: BoundOptions) throws -> [SubproblemBounds] {
        try engine.bound(tasks, options: options)
    }

    public func truncated(stageCount: Int) throws -> any BoundEngine { CPUBoundEngine(network: network.truncated(stageCount: stageCount)) }
}
