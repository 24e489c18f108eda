import VerdictBounds
import VerdictCore

/// A device rule that leaves to its CPU rule whatever it does not compute on the device: every
/// method here forwards to `cpu` unless the rule implements it (the CPU rule also answers where
/// a device call fails). The lines of ReLU and S-shaped layers, their intervals and every
/// pullback stay on the CPU this way.
protocol CPUBackedRule: BoundOperator {
    /// The same operator's rule of `VerdictBounds`.
    var cpu: any BoundOperator { get }
}

extension CPUBackedRule {
    var needsTightInputBounds: Bool { cpu.needsTightInputBounds }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        cpu.interval(inputs, weightedMagnitude: weightedMagnitude)
    }

    func weightedMagnitude(_ inputs: [ValueBounds]) -> [Double]? { cpu.weightedMagnitude(inputs) }

    func relax(_ inputs: [ValueBounds], phases: [ReluPhase]?) -> RelaxationResult { cpu.relax(inputs, phases: phases) }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep { cpu.backward(rows, context: context) }

    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]] { cpu.pullback(upstream, inputs: inputs) }
}
