import VerdictBounds
import VerdictCore

/// Turns a candidate point into a confirmed witness, or nothing: the point is moved to the
/// nearest `Float` inside the case's inner box (attacks and Z3 work in `Double` or over the
/// reals), then the ``WitnessChecker`` runs the network on it.
///
/// An input the property fixes to a decimal with no `Double` value (VNN-COMP 2022's
/// `collins_rul_cnn` fixes 398 of 400 inputs so) leaves no binary point in the box. There the
/// witness is the exact decimal, which no `Double` holds, so it is confirmed by bounding the
/// network soundly over the narrow box between the two `Double`s around each such decimal (the
/// other inputs at the candidate's `Float`s): every point of that box, the decimal included,
/// must reach the unsafe disjunct, and so must the `Float32` evaluation of the `Float`s nearest
/// to it (what a runtime fed this witness computes). The report lists the `Double`s below the
/// decimals.
struct WitnessConfirmation: Sendable {
    let checker: WitnessChecker
    /// Sound bounds over boxes, for inputs with no binary value; nil turns such witnesses off.
    var intervals: (any BoundEngine)?
    /// ``VerificationOptions/witnessFilter``.
    var filter: (@Sendable ([Double]) -> Bool)?

    init(checker: WitnessChecker, intervals: (any BoundEngine)? = nil, filter: (@Sendable ([Double]) -> Bool)? = nil) {
        self.checker = checker
        self.intervals = intervals
        self.filter = filter
    }

    func confirm(_ candidate: [Double], caseIndex: Int) -> WitnessChecker.Report? {
        guard let report = checked(candidate, caseIndex: caseIndex), filter?(report.input) ?? true else { return nil }
        return report
    }

    private func checked(_ candidate: [Double], caseIndex: Int) -> WitnessChecker.Report? {
        let item = checker.property.cases[caseIndex]
        let box = item.innerBox
        guard candidate.count == box.dimension else { return nil }
        if !box.isNonEmpty { return confirmDecimal(candidate, item: item, caseIndex: caseIndex) }
        var input: [Double] = []
        input.reserveCapacity(candidate.count)
        for i in 0..<candidate.count {
            guard let value = Self.floatInside(candidate[i].isFinite ? candidate[i] : box.center[i], lower: box.lower[i], upper: box.upper[i]) else {
                return nil
            }
            input.append(value)
        }
        guard let report = try? checker.check(input), report.isConfirmed else { return nil }
        return report
    }

    /// The `Float` nearest to `value` within `[lower, upper]`, or nil when the interval holds none.
    static func floatInside(_ value: Double, lower: Double, upper: Double) -> Double? {
        var single = Float(min(max(value, lower), upper))
        if Double(single) < lower { single = single.nextUp }
        if Double(single) > upper { single = single.nextDown }
        let result = Double(single)
        return lower <= result && result <= upper ? result : nil
    }

    /// The witness at the exact decimals of inputs with no binary value (see the type's doc).
    private func confirmDecimal(_ candidate: [Double], item: Property.Case, caseIndex: Int) -> WitnessChecker.Report? {
        guard let intervals else { return nil }
        var lower: [Double] = [], upper: [Double] = [], listed: [Double] = []
        for i in candidate.indices {
            let inner = (item.innerBox.lower[i], item.innerBox.upper[i])
            if inner.0 <= inner.1 {
                let start = candidate[i].isFinite ? candidate[i] : inner.0 / 2 + inner.1 / 2
                guard let value = Self.floatInside(start, lower: inner.0, upper: inner.1) else { return nil }
                lower.append(value)
                upper.append(value)
                listed.append(value)
            } else {
                // The outer box's two Doubles enclose the decimal.
                lower.append(item.box.lower[i])
                upper.append(item.box.upper[i])
                listed.append(item.box.lower[i])
            }
        }
        let network = checker.network
        guard let outputs = try? network.evaluate(listed), let floatOutputs = try? network.evaluateFloat32(listed.map { Float($0) }) else { return nil }
        let floats = floatOutputs.map(Double.init)
        for (index, conjunction) in item.unsafe.disjuncts.enumerated() where conjunction.allSatisfy({ $0.isSurelySatisfied(by: floats) }) {
            // Rows `c·y - b` with `b` the inner side of each right-hand side: all must stay at
            // or below zero (below for strict constraints) over the whole narrow box.
            let inner = conjunction.map { LinearConstraint(terms: $0.terms, bound: RealInterval(exactly: $0.bound.lower), isStrict: $0.isStrict) }
            let objectives = Objectives(region: OutputRegion(disjuncts: [inner]), outputCount: network.outputCount)
            let task = BoundTask(subproblem: Subproblem(box: InputBox(lower: lower, upper: upper), layout: intervals.layout), objectives: objectives)
            guard let result = try? intervals.bound([task], options: BoundOptions(method: .crown, parallel: false)).first else { return nil }
            let holds = inner.indices.allSatisfy { row in inner[row].isStrict ? result.upper[row] < 0 : result.upper[row] <= 0 }
            if holds {
                return WitnessChecker.Report(
                    input: listed, outputs: outputs, floatOutputs: floatOutputs, caseIndex: caseIndex, disjunctIndex: index, problem: nil)
            }
        }
        return nil
    }
}
