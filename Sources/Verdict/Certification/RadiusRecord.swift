import Foundation

/// One input's row of a test-set run: its bracket and whether the network classified it
/// right. What the results file holds and the summary is computed from.
public struct RadiusRecord: ResultsRow, Equatable {
    public var index: Int
    public var name: String
    /// The dataset's label (nil: none given).
    public var label: Int?
    /// The network's class at the input (nil for output closeness).
    public var predicted: Int?
    public var certified: Double?
    public var falsified: Double?
    public var certifiedBy: String
    public var falsifiedBy: String
    /// Whether the bracket reached the tolerance.
    public var closed: Bool
    public var seconds: Double

    public init(index: Int, name: String, label: Int?, predicted: Int?, certified: Double?, falsified: Double?, certifiedBy: String, falsifiedBy: String, closed: Bool, seconds: Double) {
        self.index = index
        self.name = name
        self.label = label
        self.predicted = predicted
        self.certified = certified
        self.falsified = falsified
        self.certifiedBy = certifiedBy
        self.falsifiedBy = falsifiedBy
        self.closed = closed
        self.seconds = seconds
    }

    /// Correctly classified (always true without a label, or for closeness).
    public var isCorrect: Bool { label == nil || predicted == nil || label == predicted }

    /// Robust at `radius`: correct and certified at least that far.
    public func isCertified(at radius: Double) -> Bool { isCorrect && (certified.map { $0 >= radius } ?? false) }

    /// Not yet broken at `radius`: correct and no counterexample within it (the attack's
    /// upper curve).
    public func isUnbroken(at radius: Double) -> Bool { isCorrect && (falsified.map { $0 > radius } ?? true) }

    /// The certified radius counted for summaries: 0 for a wrong or unproved input.
    public var certifiedRadius: Double { isCorrect ? certified ?? 0 : 0 }

    public static let header = "index,name,label,predicted,certified,falsified,certified_by,falsified_by,closed,seconds"

    public var key: String { "\(index)" }

    public var csvLine: String {
        let fields: [String] = [
            "\(index)", CSVFields.quoted(name), label.map(String.init) ?? "", predicted.map(String.init) ?? "",
            certified.map { "\($0)" } ?? "", falsified.map { "\($0)" } ?? "", CSVFields.quoted(certifiedBy), CSVFields.quoted(falsifiedBy),
            closed ? "1" : "0", String(format: "%.3f", seconds),
        ]
        return fields.joined(separator: ",")
    }

    /// A row read back; nil when it is not a whole row (a run killed while writing it).
    public init?(csvLine line: String) {
        let fields = CSVFields.split(line)
        guard fields.count == 10, let index = Int(fields[0]), let seconds = Double(fields[9]), fields[8] == "0" || fields[8] == "1" else { return nil }
        func optionalDouble(_ text: String) -> Double?? { text.isEmpty ? .some(nil) : Double(text).map { .some($0) } }
        func optionalInt(_ text: String) -> Int?? { text.isEmpty ? .some(nil) : Int(text).map { .some($0) } }
        guard let label = optionalInt(fields[2]), let predicted = optionalInt(fields[3]),
              let certified = optionalDouble(fields[4]), let falsified = optionalDouble(fields[5]) else { return nil }
        self.init(
            index: index, name: fields[1], label: label, predicted: predicted, certified: certified, falsified: falsified,
            certifiedBy: fields[6], falsifiedBy: fields[7], closed: fields[8] == "1", seconds: seconds)
    }
}
