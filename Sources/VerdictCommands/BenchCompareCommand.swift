import ArgumentParser
import Foundation
import Verdict

/// `verdict bench compare`: several runs side by side.
struct BenchCompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare results files per instance: answers that changed, times that moved by more than 2x; cactus and scatter plots.",
        discussion: """
            Each file is a `verdict bench` results CSV, a VNN-COMP results.csv, or a suite's \
            expected.csv whose source column lists the competition tools' answers and times \
            (one run per tool); instances are matched by their files' names, and every run is \
            held to the instances of the first file. A CONFLICT line (one run sat, another unsat) means \
            one of them is wrong. Example:
              verdict bench compare before.csv after.csv --plot cactus.svg --scatter scatter.svg
            """)

    @Argument(help: "Two or more results files.")
    var files: [String]

    @Option(help: "Write all runs on one cactus plot here (SVG).")
    var plot: String?

    @Option(help: "Write a scatter plot of the first two runs' times here (SVG).")
    var scatter: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give results files to compare") }
        for path in [plot, scatter].compactMap({ $0 }) { try ResultFile.check(path, notOneOf: files, flag: "--plot/--scatter") }
    }

    func run() throws {
        // Every run is held to the first file's instances (a run of a subset against the
        // competition's whole suite compares like with like).
        let loaded = try files.flatMap { try BenchRun.runs(contentsOf: $0) }
        let names = Set(loaded[0].records.map(BenchRun.instanceName))
        let runs = loaded.map { run in
            BenchRun(name: run.name, settings: run.settings, records: run.records.filter { names.contains(BenchRun.instanceName($0)) })
        }
        let differences = BenchRun.differences(runs)
        for run in runs {
            let summary = BenchSummary(run.records)
            print("\(run.name): \(summary.instances) instances, solved \(summary.solved) (sat \(summary.sat), unsat \(summary.unsat)), \(String(format: "%.1f", summary.seconds)) s [\(run.settings)]")
        }
        print(differences.isEmpty ? "no answer changed and no time moved by more than 2x" : differences.joined(separator: "\n"))
        if let plot {
            // Runs that solved nothing (tools that did not take part) would only crowd the legend.
            let drawn = runs.filter { $0.records.contains(where: \.isSolved) }.map { (name: $0.name, records: $0.records) }
            try Data(BenchPlots.cactus(drawn, title: "instances solved").utf8).write(to: URL(fileURLWithPath: plot), options: .atomic)
        }
        if let scatter {
            guard runs.count >= 2 else { throw CommandFailure("--scatter needs two runs, the files hold \(runs.count)") }
            let matched = matchedByName(runs[0], runs[1])
            try Data(BenchPlots.scatter((runs[0].name, matched.0), (runs[1].name, matched.1), title: "seconds per instance").utf8)
                .write(to: URL(fileURLWithPath: scatter), options: .atomic)
        }
        if differences.contains(where: { $0.hasPrefix("CONFLICT") }) { throw ExitCode(2) }
    }

    /// The two runs' records keyed by file names, so runs with other paths pair up.
    private func matchedByName(_ first: BenchRun, _ second: BenchRun) -> ([BenchRecord], [BenchRecord]) {
        func renamed(_ run: BenchRun) -> [BenchRecord] {
            run.records.map { record in
                var copy = record
                copy.network = (record.network as NSString).lastPathComponent
                copy.property = (record.property as NSString).lastPathComponent
                return copy
            }
        }
        return (renamed(first), renamed(second))
    }
}

/// `verdict bench merge`: the shards of one run joined into one results file.
struct BenchMergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the results files of a sharded run (same settings) into one.",
        discussion: "Example: verdict bench merge shard-1.csv shard-2.csv --output all.csv")

    @Argument(help: "The shards' results files.")
    var files: [String]

    @Option(name: .shortAndLong, help: "The merged results file (written whole).")
    var output: String

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give the shards' results files") }
        try ResultFile.check(output, notOneOf: files, flag: "--output")
    }

    func run() throws {
        let runs = try files.map { try BenchRun(contentsOf: $0) }
        guard let first = runs.first, runs.allSatisfy({ $0.settings == first.settings }), first.settings != "VNN-COMP results.csv" else {
            throw CommandFailure("the files must be `verdict bench` results of the same settings: \(runs.map { "\($0.name) [\($0.settings)]" }.joined(separator: "; "))")
        }
        var seen: [String: String] = [:]
        for run in runs {
            for record in run.records {
                if let other = seen[record.key] { throw CommandFailure("\(record.key) is in both \(other) and \(run.name)") }
                seen[record.key] = run.name
            }
        }
        let rows = runs.flatMap(\.records).map(\.csvLine)
        let text = (["# verdict bench: \(first.settings)", BenchRecord.header] + rows).joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        print("\(rows.count) instances from \(runs.count) files into \(output)")
    }
}
