import Foundation

/// What a test-set run shows, as robustness papers report it: clean accuracy, certified
/// accuracy at chosen radii (with the attack's upper count beside it), the median certified
/// radius and how many brackets stayed open.
public struct CertificationSummary: Sendable {
    public struct AtRadius: Sendable {
        public var radius: Double
        /// Correct and proved robust at `radius`.
        public var certified: Int
        /// Correct and not broken by any counterexample within `radius` (an upper bound on
        /// the robust count).
        public var unbroken: Int
    }

    public var inputs: Int
    /// Inputs the network classifies as labelled (all of them without labels).
    public var correct: Int
    public var atRadius: [AtRadius]
    /// The median of the certified radii (0 for a wrong or unproved input).
    public var medianCertified: Double
    /// The median bracket width, falsified minus certified, over inputs with both ends.
    public var medianWidth: Double?
    /// Inputs whose bracket did not reach the tolerance.
    public var undecided: Int

    public init(_ records: [RadiusRecord], radii: [Double]) {
        inputs = records.count
        correct = records.filter(\.isCorrect).count
        atRadius = radii.map { radius in
            AtRadius(radius: radius, certified: records.filter { $0.isCertified(at: radius) }.count, unbroken: records.filter { $0.isUnbroken(at: radius) }.count)
        }
        medianCertified = Self.median(records.map(\.certifiedRadius)) ?? 0
        medianWidth = Self.median(records.compactMap { record in
            guard record.isCorrect, let certified = record.certified, let falsified = record.falsified else { return nil }
            return falsified - certified
        })
        undecided = records.filter { !$0.closed }.count
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : sorted[middle - 1] / 2 + sorted[middle] / 2
    }

    /// Lines for a terminal.
    public var text: String {
        func share(_ count: Int) -> String { inputs == 0 ? "0" : String(format: "%d/%d (%.1f%%)", count, inputs, 100 * Double(count) / Double(inputs)) }
        var lines = ["inputs                \(inputs)", "clean accuracy        \(share(correct))"]
        for item in atRadius {
            lines.append("radius \(item.radius): certified \(share(item.certified)), unbroken by attacks \(share(item.unbroken))")
        }
        lines.append("median certified radius \(medianCertified)" + (medianWidth.map { ", median bracket width \($0)" } ?? ""))
        lines.append("undecided (bracket wider than the tolerance) \(undecided)")
        return lines.joined(separator: "\n")
    }

    public var json: [String: Any] {
        [
            "inputs": inputs, "correct": correct, "clean_accuracy": inputs == 0 ? 0 : Double(correct) / Double(inputs),
            "median_certified_radius": medianCertified, "median_bracket_width": medianWidth ?? NSNull(), "undecided": undecided,
            "at_radius": atRadius.map { ["radius": $0.radius, "certified": $0.certified, "unbroken": $0.unbroken] },
        ]
    }
}
