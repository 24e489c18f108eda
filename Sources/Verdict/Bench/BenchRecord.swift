import Foundation

/// One instance's row of a `verdict bench` run: what `verify` answered against what was
/// expected, with its statistics.
public struct BenchRecord: ResultsRow, Equatable {
    public var network: String
    public var property: String
    /// `sat`, `unsat`, `unknown`, `timed-out` or `error`.
    public var answer: String
    public var expected: String
    public var seconds: Double
    public var subproblems: Int
    public var z3Leaves: Int
    public var peakMemoryBytes: Int
    /// For `error`: why (the message, the signal, or the kill at the hard limit).
    public var error: String
    /// The `verify` flags the instance ran with.
    public var flags: String
    /// How far an undecided instance came, as `verify --json` reports it: the least unsafe
    /// margin the attacks reached (a counterexample is at most 0) and the lowest bound still
    /// open (a proof needs it above 0); nil where `verify` gave none, and in files written
    /// before these columns.
    public var closestMargin: Double?
    public var weakestOpenBound: Double?

    public init(
        network: String, property: String, answer: String, expected: String, seconds: Double, subproblems: Int = 0, z3Leaves: Int = 0,
        peakMemoryBytes: Int = 0, error: String = "", flags: String = "", closestMargin: Double? = nil, weakestOpenBound: Double? = nil
    ) {
        self.network = network
        self.property = property
        self.answer = answer
        self.expected = expected
        self.seconds = seconds
        self.subproblems = subproblems
        self.z3Leaves = z3Leaves
        self.peakMemoryBytes = peakMemoryBytes
        self.error = error
        self.flags = flags
        self.closestMargin = closestMargin
        self.weakestOpenBound = weakestOpenBound
    }

    public var key: String { "\(network),\(property)" }

    public var isSolved: Bool { answer == "sat" || answer == "unsat" }

    /// `correct`, `wrong` (a solved answer against the other label), or `` (not solved, or
    /// no label to judge by).
    public var verdict: String {
        guard isSolved, expected == "sat" || expected == "unsat" else { return "" }
        return answer == expected ? "correct" : "wrong"
    }

    public static let header = legacyHeader + ",closest_margin,weakest_open_bound"
    /// The header of files written before the last two columns; they are still read.
    public static let legacyHeader = "network,property,answer,expected,verdict,seconds,subproblems,z3_leaves,peak_memory_bytes,error,flags"

    public var csvLine: String {
        [
            CSVFields.quoted(network), CSVFields.quoted(property), answer, expected, verdict, String(format: "%.3f", seconds),
            "\(subproblems)", "\(z3Leaves)", "\(peakMemoryBytes)", CSVFields.quoted(error), CSVFields.quoted(flags),
            closestMargin.map { "\($0)" } ?? "", weakestOpenBound.map { "\($0)" } ?? "",
        ].joined(separator: ",")
    }

    /// A row of either header's file (11 or 13 fields).
    public init?(csvLine line: String) {
        let fields = CSVFields.split(line)
        guard fields.count == 11 || fields.count == 13, let seconds = Double(fields[5]), seconds.isFinite, seconds >= 0,
              let subproblems = Int(fields[6]), let leaves = Int(fields[7]), let memory = Int(fields[8]) else { return nil }
        // An empty field is no value; anything else must be a number.
        func optional(_ index: Int) -> Double?? {
            guard index < fields.count, !fields[index].isEmpty else { return .some(nil) }
            return Double(fields[index]).map { .some($0) }
        }
        guard let margin = optional(11), let weakest = optional(12) else { return nil }
        self.init(
            network: fields[0], property: fields[1], answer: fields[2], expected: fields[3], seconds: seconds, subproblems: subproblems,
            z3Leaves: leaves, peakMemoryBytes: memory, error: fields[9], flags: fields[10], closestMargin: margin, weakestOpenBound: weakest)
    }
}

/// The totals of a run, and its VNN-COMP score.
///
/// The score follows the VNN-COMP 2022 rules (`SCORING/process_results.py`, `get_score`, in
/// github.com/ChristopherBrix/vnncomp2022_results): +10 for a correct `sat` or `unsat`,
/// -100 for a wrong one, 0 otherwise. The competition's time bonus (+2 for the fastest tool
/// on an instance, +1 for the second, within 0.2 s) needs other tools' times and is left out.
public struct BenchSummary: Sendable {
    public var instances = 0
    public var sat = 0
    public var unsat = 0
    public var timedOut = 0
    public var unknown = 0
    public var errors = 0
    public var correct = 0
    public var wrong = 0
    public var seconds = 0.0

    public init(_ records: [BenchRecord]) {
        instances = records.count
        for record in records {
            switch record.answer {
            case "sat": sat += 1
            case "unsat": unsat += 1
            case "timed-out": timedOut += 1
            case "error": errors += 1
            default: unknown += 1
            }
            if record.verdict == "correct" { correct += 1 }
            if record.verdict == "wrong" { wrong += 1 }
            seconds += record.seconds
        }
    }

    public var solved: Int { sat + unsat }
    public var score: Int { 10 * correct - 100 * wrong }

    public var text: String {
        """
        instances \(instances): solved \(solved) (sat \(sat), unsat \(unsat)), timed out \(timedOut), unknown \(unknown), errors \(errors)
        against expected.csv: correct \(correct), wrong \(wrong)\(wrong > 0 ? "  <-- WRONG ANSWERS" : "")
        VNN-COMP 2022 score \(score) (+10 correct, -100 wrong); \(String(format: "%.1f", seconds)) s in all
        """
    }

    public var json: [String: Any] {
        [
            "instances": instances, "solved": solved, "sat": sat, "unsat": unsat, "timed_out": timedOut, "unknown": unknown,
            "errors": errors, "correct": correct, "wrong": wrong, "score": score, "seconds": seconds,
        ]
    }
}
