import VerdictCore

/// One job for an engine: a subproblem and the objective rows to bound on it.
public struct BoundTask: Sendable {
    public var subproblem: Subproblem
    public var objectives: Objectives

    public init(subproblem: Subproblem, objectives: Objectives) {
        self.subproblem = subproblem
        self.objectives = objectives
    }
}

/// Computes sound bounds for a batch of subproblems. The CPU engine is the reference; the
/// OpenCL engine implements the same protocol, and the search uses whichever it is given.
public protocol BoundEngine: Sendable {
    /// A short name for messages, for example `cpu` or `opencl:0`.
    var name: String { get }
    /// The inputs, outputs and ReLU layers of the network it bounds.
    var layout: ActivationLayout { get }
    func bound(_ tasks: [BoundTask], options: BoundOptions) throws -> [SubproblemBounds]
    /// The same engine (device, arithmetic) for the network cut at the pre-activations of ReLU
    /// layer `stageCount - 1` (its outputs; its ReLU layers the `stageCount - 1` before): how
    /// intermediate bounds are refined.
    func truncated(stageCount: Int) throws -> any BoundEngine
}
