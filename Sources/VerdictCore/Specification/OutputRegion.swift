/// The unsafe set of outputs: a disjunction of conjunctions of ``LinearConstraint``s.
/// An output vector is unsafe when it satisfies every constraint of some disjunct.
public struct OutputRegion: Hashable, Sendable {
    public var disjuncts: [[LinearConstraint]]

    public init(disjuncts: [[LinearConstraint]]) {
        self.disjuncts = disjuncts
    }

    /// Index of the first disjunct the outputs surely satisfy (see ``LinearConstraint/isSurelySatisfied(by:)``).
    public func firstSatisfiedDisjunct(_ outputs: [Double]) -> Int? {
        disjuncts.firstIndex { conjunction in conjunction.allSatisfy { $0.isSurelySatisfied(by: outputs) } }
    }
}
