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
        try self.init(lines: Self.lines(path), path: path)
    }

    /// The lines of the file at `path`.
    private static func lines(_ path: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem(description: "\(path): cannot be read") }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
    }

    /// A results file's run from its lines.
    private init(lines: [String], path: String) throws {
        name = (path as NSString).lastPathComponent
        if let first = lines.first, first.hasPrefix("# verdict bench: ") {
            settings = String(first.dropFirst("# verdict bench: ".count))
            guard lines.count >= 2, [BenchRecord.header, BenchRecord.legacyHeader].contains(lines[1]) else { throw Problem(description: "\(path): line 2 is not the results header") }
            records = try lines.dropFirst(2).enumerated().map { offset, line in
                guard let record = BenchRecord(csvLine: line) else { throw Problem(description: "\(path):\(offset + 3): not a results row") }
                return record
            }
        } else {
            settings = "VNN-COMP results.csv"
            records = try lines.enumerated().compactMap { offset, line in
                let fields = CSVFields.split(line).map { $0.trimmingCharacters(in: .whitespaces) }
                if fields.allSatisfy(\.isEmpty) { return nil }
                guard fields.count >= 6, let seconds = Double(fields[5]), seconds.isFinite, seconds >= 0 else {
                    throw Problem(description: "\(path):\(offset + 1): neither a `verdict bench` results file nor a VNN-COMP results.csv row (category,network,property,prepare_time,result,run_time)")
                }
                return BenchRecord(network: fields[1], property: fields[2], answer: Self.answer(fields[4]), expected: "unknown", seconds: seconds)
            }
        }
    }

    public init(name: String, settings: String, records: [BenchRecord]) {
        self.name = name
        self.settings = settings
        self.records = records
    }

    /// The runs in a file: one for a results file, and one per competition tool for a
    /// suite's `expected.csv` whose `source` column lists each tool's answer and seconds
    /// (`tool=12.3 (h)`, `(v)`, `timeout`, ...; `h`: holds, unsat; `v`: violated, sat).
    public static func runs(contentsOf path: String) throws -> [BenchRun] {
        let lines = try lines(path)
        guard lines.first?.hasPrefix("onnx,vnnlib,expected,source") == true else { return [try BenchRun(lines: lines, path: path)] }
        var byTool: [String: [BenchRecord]] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, let colon = fields[3].range(of: ": ") else { continue }
            for entry in fields[3][colon.upperBound...].split(separator: ";") {
                let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { continue }
                var record = BenchRecord(network: fields[0], property: fields[1], answer: "unknown", expected: fields[2], seconds: 0)
                let value = parts[1].split(separator: " ")
                if value.count == 2, let seconds = Double(value[0]), seconds.isFinite, seconds >= 0 {
                    record.seconds = seconds
                    record.answer = value[1] == "(h)" ? "unsat" : value[1] == "(v)" ? "sat" : "unknown"
                } else {
                    record.answer = answer(parts[1])
                }
                byTool[parts[0], default: []].append(record)
            }
        }
        guard !byTool.isEmpty else { throw Problem(description: "\(path): an expected.csv without tools' answers in its source column") }
        return byTool.keys.sorted().map { BenchRun(name: $0, settings: "VNN-COMP, from \((path as NSString).lastPathComponent)", records: byTool[$0]!) }
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

    /// Per instance in more than one run, among runs that solved anything: a CONFLICT where
    /// solved answers disagree (one run is wrong), the runs that solved it and those that did
    /// not where they differ, and the times where two solved runs differ by more than 2x.
    public static func differences(_ runs: [BenchRun]) -> [String] {
        var byInstance: [String: [(name: String, record: BenchRecord)]] = [:]
        for run in runs where run.records.contains(where: \.isSolved) {
            for record in run.records { byInstance[instanceName(record), default: []].append((run.name, record)) }
        }
        var lines: [String] = []
        for instance in byInstance.keys.sorted() {
            let entries = byInstance[instance]!
            guard entries.count > 1 else { continue }
            let solved = entries.filter(\.record.isSolved), unsolved = entries.filter { !$0.record.isSolved }
            let solvedList = solved.map { "\($0.name) \($0.record.answer) \(String(format: "%.1f", $0.record.seconds)) s" }.joined(separator: ", ")
            if Set(solved.map(\.record.answer)).count > 1 {
                lines.append("CONFLICT \(instance): \(solvedList)")
            } else if !solved.isEmpty && !unsolved.isEmpty {
                lines.append("answer   \(instance): solved by \(solvedList); not by \(unsolved.map { "\($0.name) (\($0.record.answer))" }.joined(separator: ", "))")
            } else if let fastest = solved.map(\.record.seconds).min(), let slowest = solved.map(\.record.seconds).max(), slowest > 2 * max(fastest, 0.5) {
                lines.append("time     \(instance): \(solvedList)")
            }
        }
        return lines
    }
}
