/// `verdict radius` over a test set: a ``RadiusSearch`` per sample, with the sample's label
/// (a classification spec's own label is replaced by it), into one ``RadiusRecord`` each.
public struct TestSetCertification {
    public var session: VerificationSession
    public var spec: RobustnessSpec
    public var maxRadius: Double
    public var tolerance: Double
    public var stepTimeout: Double?
    /// Seconds for each sample's whole search (nil: no limit).
    public var sampleTimeout: Double?
    /// ``RadiusSearch/z3Leaves``.
    public var z3Leaves = false

    public init(session: VerificationSession, spec: RobustnessSpec, maxRadius: Double, tolerance: Double, stepTimeout: Double? = nil, sampleTimeout: Double? = nil) {
        self.session = session
        self.spec = spec
        self.maxRadius = maxRadius
        self.tolerance = tolerance
        self.stepTimeout = stepTimeout
        self.sampleTimeout = sampleTimeout
    }

    /// The record of sample `index`.
    public func record(_ sample: Sample, index: Int) throws -> RadiusRecord {
        var spec = spec, predicted: Int?
        if case .classification = spec.kind {
            spec.kind = .classification(label: sample.label)
            let outputs = try spec.property(for: session.network, around: sample.input, radius: 0).reference
            predicted = outputs.indices.max { outputs[$0] < outputs[$1] }
        }
        var search = RadiusSearch(
            session: session, spec: spec, input: sample.input, maxRadius: maxRadius, tolerance: tolerance, stepTimeout: stepTimeout,
            deadline: Deadline(seconds: sampleTimeout))
        search.z3Leaves = z3Leaves
        let bracket = try search.run()
        return RadiusRecord(
            index: index, name: sample.name, label: sample.label, predicted: predicted, certified: bracket.certified, falsified: bracket.falsified,
            certifiedBy: bracket.certifiedBy, falsifiedBy: bracket.falsifiedBy ?? "", closed: bracket.isClosed(maxRadius: maxRadius),
            seconds: bracket.seconds)
    }
}
