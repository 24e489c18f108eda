import VerdictCore

/// Turns a candidate point into a confirmed witness, or nothing: the point is moved to the
/// nearest `Float` inside the case's inner box (attacks and Z3 work in `Double` or over the
/// reals), then the ``WitnessChecker`` runs the network on it.
struct WitnessConfirmation: Sendable {
    let checker: WitnessChecker

    func confirm(_ candidate: [Double], caseIndex: Int) -> WitnessChecker.Report? {
        let box = checker.property.cases[caseIndex].innerBox
        guard candidate.count == box.dimension else { return nil }
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
}
