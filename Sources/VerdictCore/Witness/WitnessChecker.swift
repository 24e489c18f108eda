/// Confirms a counterexample by running the network: the only way a `sat` answer is made.
///
/// A witness is confirmed when
/// 1. every input value is a `Float` (the ONNX input tensor is Float32),
/// 2. the input lies in the inner box of some case of the property (inside the real box
///    even where the file's decimals have no exact binary value), and
/// 3. one unsafe disjunct of that case holds, surely, both for the `Double` evaluation (the
///    network's real-number meaning) and the `Float` evaluation (what an ONNX runtime
///    computes).
public struct WitnessChecker: Sendable {
    public let network: Network
    public let property: Property

    public init(network: Network, property: Property) throws {
        guard network.inputCount == property.inputCount else {
            throw WitnessError.mismatch("the property has \(property.inputCount) inputs, the network \(network.inputCount)")
        }
        guard network.outputCount == property.outputCount else {
            throw WitnessError.mismatch("the property has \(property.outputCount) outputs, the network \(network.outputCount)")
        }
        self.network = network
        self.property = property
    }

    public struct Report: Sendable {
        public var input: [Double]
        public var outputs: [Double]
        public var floatOutputs: [Float]
        /// The case whose inner box holds the input, if any.
        public var caseIndex: Int?
        /// The unsafe disjunct both evaluations reach, if any.
        public var disjunctIndex: Int?
        /// Why the witness is not confirmed; nil when it is.
        public var problem: String?

        public var isConfirmed: Bool { problem == nil }

        public init(input: [Double], outputs: [Double], floatOutputs: [Float], caseIndex: Int? = nil, disjunctIndex: Int? = nil, problem: String? = nil) {
            self.input = input
            self.outputs = outputs
            self.floatOutputs = floatOutputs
            self.caseIndex = caseIndex
            self.disjunctIndex = disjunctIndex
            self.problem = problem
        }
    }

    public func check(_ input: [Double]) throws -> Report {
        let outputs = try network.evaluate(input)
        let floatInput = input.map { Float($0) }
        let floatValues = try network.evaluateAllFloat32(floatInput)
        let floatOutputs = floatValues[network.output.valueIndex]
        var report = Report(input: input, outputs: outputs, floatOutputs: floatOutputs)

        if let index = input.indices.first(where: { Double(floatInput[$0]) != input[$0] }) {
            report.problem = "X_\(index) = \(input[index]) is not a Float32 value"
            return report
        }
        if let (value, entry) = Self.overflow(floatValues) {
            let place = value == 0 ? "the input" : "node \(value - 1)"
            report.problem = """
                the Float32 evaluation reaches \(entry) at \(place), beyond ±\(Self.largestTrusted): an ONNX runtime, \
                which computes the file's operators one by one, may overflow to infinity or NaN there
                """
            return report
        }
        let floatOutputsAsDouble = floatOutputs.map(Double.init)
        var inAnyBox = false
        for (caseIndex, item) in property.cases.enumerated() where item.innerBox.contains(input) {
            inAnyBox = true
            report.caseIndex = report.caseIndex ?? caseIndex
            for (disjunctIndex, conjunction) in item.unsafe.disjuncts.enumerated()
            where conjunction.allSatisfy({ $0.isSurelySatisfied(by: outputs) && $0.isSurelySatisfied(by: floatOutputsAsDouble) }) {
                report.caseIndex = caseIndex
                report.disjunctIndex = disjunctIndex
                return report
            }
        }
        report.problem = inAnyBox
            ? "the outputs do not reach the unsafe region (in Double and in Float32 evaluation alike)"
            : "the input lies outside every input box of the property"
        return report
    }
}

extension WitnessChecker {
    /// The largest magnitude a Float32 value of a witness's evaluation may reach (1e30, a
    /// factor 3e8 below Float32's largest): Verdict evaluates folded layers, an ONNX runtime
    /// the file's operators one by one, and near the top of the range the two can differ
    /// between a finite number and infinity or NaN.
    public static let largestTrusted: Float = 1e30

    /// The first value (and entry) of `values` that is not finite or passes ``largestTrusted``.
    static func overflow(_ values: [[Float]]) -> (value: Int, entry: Float)? {
        for (index, value) in values.enumerated() {
            if let entry = value.first(where: { !($0.magnitude <= largestTrusted) }) { return (index, entry) }
        }
        return nil
    }
}

public enum WitnessError: Error, CustomStringConvertible {
    case mismatch(String)

    public var description: String {
        switch self {
        case .mismatch(let reason): return "property and network do not fit: \(reason)"
        }
    }
}
