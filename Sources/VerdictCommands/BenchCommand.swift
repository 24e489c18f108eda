import ArgumentParser
import Foundation
import Verdict

/// `verdict bench`: benchmark suites as a job (`run`, the default), compared (`compare`) and
/// joined from shards (`merge`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a VNN-COMP suite instance by instance, compare runs, merge shards.",
        subcommands: [BenchRunCommand.self, BenchCompareCommand.self, BenchMergeCommand.self],
        defaultSubcommand: BenchRunCommand.self)
}

/// `verdict bench [run] SUITE`: every instance in a process of its own, into a results CSV.
struct BenchRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run every instance of a VNN-COMP suite with `verdict verify`, one process each, into a results CSV.",
        discussion: """
            SUITE is an instances CSV (onnx,vnnlib,timeout), a folder holding one, or a suite's \
            name under --root (or $VERDICT_BENCHMARKS). An expected.csv beside the instances file \
            judges each answer. One row per instance is appended as it finishes; --resume skips \
            those already there. Flags after -- go to `verify` unchanged. Example:
              verdict bench benchmarks/examples/digits --results digits.csv --plot digits.svg -- --batch 32
              verdict bench acasxu --root DIR --timeout-cap 60
            """)

    @Argument(help: "An instances CSV, a suite folder, or a suite name under --root.")
    var suite: String

    @Option(help: "Where suites are found by name (default: $VERDICT_BENCHMARKS).")
    var root: String?

    @Option(help: "The results CSV (default: SUITE-results.csv in the current folder).")
    var results: String?

    @Flag(help: "Continue the run recorded in --results, skipping its instances.")
    var resume = false

    @Flag(help: "With --resume: continue even though the recorded run used other settings (the settings line stays the first run's).")
    var allowOtherSettings = false

    @Option(help: "Instances run at once.")
    var jobs = 1

    @Option(help: "Cap every instance's timeout at this many seconds.")
    var timeoutCap: Double?

    @Option(help: "Only instances whose network or property path contains this text.")
    var match: String?

    @Flag(help: "Only instances that expected.csv labels sat or unsat.")
    var knownOnly = false

    @Option(help: "Only every K-th instance (after --match and --known-only).")
    var every = 1

    @Option(help: "Only shard K of N (K/N, 1-based, round robin), for a job array; `bench merge` joins the shards' results.")
    var shard: String?

    @Option(help: "Write a cactus plot (instances solved against time) of the results here (SVG).")
    var plot: String?

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Argument(parsing: .postTerminator, help: "Flags for `verdict verify`, after --.")
    var verifyFlags: [String] = []

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        try require(jobs, in: 1...256, "--jobs")
        try require(every, in: 1...Int.max, "--every")
        if let timeoutCap { guard timeoutCap > 0, timeoutCap.isFinite else { throw ValidationError("--timeout-cap must be a positive number, got \(timeoutCap)") } }
        if let shard { _ = try Self.shard(shard) }
        if allowOtherSettings && !resume { throw ValidationError("--allow-other-settings goes with --resume") }
        if let plot { try ResultFile.check(plot, flag: "--plot") }
        if let results { try ResultFile.check(results, flag: "--results") }
    }

    static func shard(_ text: String) throws -> (Int, Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(k) else {
            throw ValidationError("--shard must be K/N with 1 <= K <= N, got '\(text)'")
        }
        return (k, n)
    }

    func run() throws {
        Interruption.install()
        let loaded = try BenchSuite(at: try suitePath())
        let (k, n) = try shard.map(Self.shard) ?? (1, 1)
        let instances = loaded.selected(match: match, knownOnly: knownOnly, every: every, shard: k, of: n)
        let path = results ?? "\(((loaded.instancesFile as NSString).deletingLastPathComponent as NSString).lastPathComponent)-results.csv"
        if FileManager.default.fileExists(atPath: path) && !resume {
            throw CommandFailure("\(path) exists: --resume continues it, or give another --results")
        }
        let settings = "suite=\(loaded.instancesFile) timeout-cap=\(timeoutCap.map { "\($0)" } ?? "none") flags=\(verifyFlags.joined(separator: " "))"
        let log = try openLog(path, settings: settings)
        let runner = BenchRunner(executable: try Self.executable(), verifyFlags: verifyFlags, timeoutCap: timeoutCap)
        let waiting = instances.filter { !log.keys.contains($0.key) }
        let progress = BenchProgress(
            total: instances.count, done: instances.count - waiting.count, records: log.rows,
            budget: waiting.map(runner.timeout).reduce(0, +), jobs: jobs)
        defer { try? FileManager.default.removeItem(at: BenchRunner.unpacked) }
        try runAll(waiting, runner: runner, log: log, progress: progress)
        progress.finish()
        let keys = Set(instances.map(\.key))
        let records = log.rows.filter { keys.contains($0.key) }
        let summary = BenchSummary(records)
        if let plot {
            try Data(BenchPlots.cactus([(name: (path as NSString).lastPathComponent, records: records)], title: ((loaded.instancesFile as NSString).deletingLastPathComponent as NSString).lastPathComponent).utf8)
                .write(to: URL(fileURLWithPath: plot), options: .atomic)
        }
        if json {
            var object = summary.json
            object["results"] = path
            object["interrupted"] = Interruption.isRequested
            try printJSON(object)
        } else {
            print(summary.text)
            print("results: \(path)\(Interruption.isRequested ? " (interrupted: --resume continues)" : "")")
        }
        if summary.wrong > 0 { throw ExitCode(2) }
    }

    /// The suite's path: as given, or found by name under the root.
    private func suitePath() throws -> String {
        if FileManager.default.fileExists(atPath: suite) { return suite }
        guard let root = root ?? ProcessInfo.processInfo.environment["VERDICT_BENCHMARKS"] else {
            throw CommandFailure("\(suite): no such file or folder (a suite name needs --root or $VERDICT_BENCHMARKS)")
        }
        let candidates = [root] + ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted().map { (root as NSString).appendingPathComponent($0) }
        for folder in candidates {
            let path = (folder as NSString).appendingPathComponent(suite)
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw CommandFailure("no suite \(suite) in \(root) or its folders")
    }

    private func openLog(_ path: String, settings: String) throws -> ResultsLog<BenchRecord> {
        do {
            return try ResultsLog<BenchRecord>(path: path, command: "bench", settings: settings)
        } catch let problem as ResultsLog<BenchRecord>.Problem where allowOtherSettings && problem.description.contains("other settings") {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let first = text.prefix { $0 != "\n" }.dropFirst("# verdict bench: ".count)
            return try ResultsLog<BenchRecord>(path: path, command: "bench", settings: String(first))
        }
    }

    /// Runs `instances` on `jobs` worker threads (threads, not a dispatch queue: each waits on
    /// a child process, and more jobs than cores is a choice); a signal stops new starts, and
    /// the instances it cut short are not recorded (`--resume` runs them again).
    private func runAll(_ instances: [BenchInstance], runner: BenchRunner, log: ResultsLog<BenchRecord>, progress: BenchProgress) throws {
        let lock = NSLock(), group = DispatchGroup()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var failure: (any Error)?
        for _ in 0..<min(jobs, instances.count) {
            group.enter()
            Thread {
                defer { group.leave() }
                while true {
                    lock.lock()
                    let index = next, failed = failure != nil
                    next += 1
                    lock.unlock()
                    guard index < instances.count, !Interruption.isRequested, !failed else { return }
                    progress.started(instances[index])
                    let record = runner.run(instances[index])
                    guard !Interruption.isRequested else { return }
                    lock.lock()
                    do { try log.append(record) } catch { failure = failure ?? error }
                    lock.unlock()
                    progress.finished(record, timeout: runner.timeout(of: instances[index]))
                }
            }.start()
        }
        group.wait()
        if let failure { throw CommandFailure("\(log.path): a result could not be written (\(failure))") }
    }

    /// This `verdict`, which runs `verify` for each instance.
    static func executable() throws -> URL {
        let own = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if FileManager.default.isExecutableFile(atPath: own.path) { return own }
        guard let url = Bundle.main.executableURL else { throw CommandFailure("cannot find the verdict executable to run instances with") }
        return url
    }
}

/// The live line of a suite run on a terminal (stderr): done/total, the current instance,
/// solved and wrong so far, the time spent and the most that can be left (the timeouts of the
/// instances not done, shared by the jobs); plain lines when stderr is not a terminal.
final class BenchProgress: @unchecked Sendable {
    private let total: Int
    private var done: Int
    private var solved: Int
    private var wrong: Int
    private let status = StatusLine()
    private let start = ContinuousClock.now
    private let lock = NSLock()
    /// Seconds of timeouts of the instances not finished.
    private var budget: Double
    private let jobs: Int

    init(total: Int, done: Int, records: [BenchRecord], budget: Double, jobs: Int) {
        self.total = total
        self.done = done
        self.budget = budget
        self.jobs = max(jobs, 1)
        solved = records.filter(\.isSolved).count
        wrong = records.filter { $0.verdict == "wrong" }.count
    }

    func started(_ instance: BenchInstance) {
        lock.lock()
        defer { lock.unlock() }
        status.update(line("running \(instance.key)"))
    }

    func finished(_ record: BenchRecord, timeout: Double) {
        lock.lock()
        defer { lock.unlock() }
        done += 1
        budget = max(0, budget - timeout)
        if record.isSolved { solved += 1 }
        if record.verdict == "wrong" { wrong += 1 }
        let outcome = "\(record.key): \(record.answer) in \(String(format: "%.1f", record.seconds)) s\(record.verdict == "wrong" ? " WRONG (expected \(record.expected))" : "")"
        status.log(line(outcome))
    }

    func finish() {
        status.finish()
    }

    private func line(_ detail: String) -> String {
        let left = String(format: "%.0f", budget / Double(jobs))
        return "[\(done)/\(total)] solved \(solved)\(wrong > 0 ? ", WRONG \(wrong)" : ""), \(String(format: "%.0f", seconds(since: start))) s, at most \(left) s left  \(detail)"
    }
}
