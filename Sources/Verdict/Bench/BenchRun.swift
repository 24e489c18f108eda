import Foundation

/// A finished run read back for comparison: a `verdict bench` results file, or a VNN-COMP
/// `results.csv` (`category,network,property,prepare_time,result,run_time`, results
/// `holds`/`violated`/`timeout`/..., as the competition's scoring reads them).
public struct BenchRun: Sendable {
    public var name: String
    public var settings: String
    public var records: [BenchRecord]

    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(description: "\(path): cannot be read") }
        name = (path as NSString).lastPathComponent
        let lines = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
        if let first = lines.first, first.hasPrefix("# verdict bench: ") {
            settings = String(first.dropFirst("# verdict bench: ".count))
            guard lines.count >= 2, lines[1] == BenchRecord.header else { throw Problem(description: "\(path): line 2 is not the results header") }
            records = try lines.dropFirst(2).enumerated().map { offset, line in
                guard let record = BenchRecord(csvLine: line) else { throw Problem(description: "\(path):\(offset + 3): not a results row") }
                return record
            }
        } else {
            settings = "VNN-COMP results.csv"
            records = try lines.enumerated().compactMap { offset, line in
                let fields = CSVFields.split(line).map { $0.trimmingCharacters(in: .whitespaces) }
                if fields.allSatisfy(\.isEmpty) { return nil }
                guard fields.count >= 6, let seconds = Double(fields[5]) else {
                    throw Problem(description: "\(path):\(offset + 1): neither a `verdict bench` results file nor a VNN-COMP results.csv row (category,network,property,prepare_time,result,run_time)")
                }
                return BenchRecord(network: fields[1], property: fields[2], answer: Self.answer(fields[4]), expected: "unknown", seconds: seconds)
            }
        }
    }

    /// Verdict's answer for a VNN-COMP result word.
    static func answer(_ result: String) -> String {
        let word = result.lowercased()
        if word == "holds" || word == "unsat" { return "unsat" }
        if word == "violated" || word == "sat" { return "sat" }
        if word.hasPrefix("timeout") || word.hasSuffix("timeout") { return "timed-out" }
        if word.hasPrefix("error") { return "error" }
        return "unknown"
    }

    /// What identifies an instance across runs whose paths differ: the files' names.
    public static func instanceName(_ record: BenchRecord) -> String {
        "\((record.network as NSString).lastPathComponent) \((record.property as NSString).lastPathComponent)"
    }

    /// Per instance in more than one run: the answers where solved ones disagree or one run
    /// solved what another did not, and the times where two solved runs differ by more than 2x.
    public static func differences(_ runs: [BenchRun]) -> [String] {
        var byInstance: [String: [(Int, BenchRecord)]] = [:]
        for (index, run) in runs.enumerated() {
            for record in run.records { byInstance[instanceName(record), default: []].append((index, record)) }
        }
        var lines: [String] = []
        for instance in byInstance.keys.sorted() {
            let entries = byInstance[instance]!
            guard entries.count > 1 else { continue }
            let answers = Set(entries.map(\.1.answer))
            let solvedTimes = entries.filter(\.1.isSolved).map(\.1.seconds)
            let describe = entries.map { "\(runs[$0.0].name) \($0.1.answer) \(String(format: "%.1f", $0.1.seconds)) s" }.joined(separator: ", ")
            let solvedAnswers = Set(entries.filter(\.1.isSolved).map(\.1.answer))
            if solvedAnswers.count > 1 {
                lines.append("CONFLICT \(instance): \(describe)")
            } else if answers.count > 1 {
                lines.append("answer   \(instance): \(describe)")
            } else if let fastest = solvedTimes.min(), let slowest = solvedTimes.max(), slowest > 2 * max(fastest, 0.5) {
                lines.append("time     \(instance): \(describe)")
            }
        }
        return lines
    }
}
