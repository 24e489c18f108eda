import ArgumentParser
import Foundation
import Verdict

/// `verdict radius`: the largest perturbation a network tolerates around an input, as a
/// bracket, or over a whole test set with a summary, a results file and a plot.
struct RadiusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "radius",
        abstract: "The largest L∞ radius at which robustness holds around an input (or every input of a test set), as a certified/falsified bracket.",
        discussion: """
            The certified radius is proved (unsat there); the falsified one comes with a \
            counterexample the exact checker confirmed. Bounds and attacks narrow the bracket \
            first, then complete verification to --tolerance. Test sets: CSV (label, values), \
            JSON lines ({"input": [...], "label": n}), IDX (with --labels) or a folder of PGM \
            images; --results keeps one row per input and resumes. Examples:
              verdict radius --network benchmarks/examples/digits/digits.onnx --input benchmarks/examples/digits/inputs/digit_0.json --clip 0:16
              verdict radius --network benchmarks/examples/digits/digits.onnx --dataset benchmarks/examples/digits/test_set.csv --clip 0:16 --at 0.5,1 --results digits.csv --plot digits.svg
            """)

    @Option(help: "The ONNX model.")
    var network: String

    @Option(name: .shortAndLong, help: "One input in raw units: a JSON array or one number a line.")
    var input: String?

    @Option(help: "A test set: a .csv, .jsonl, IDX file or folder of .pgm images.")
    var dataset: String?

    @Option(help: "The IDX label file of an IDX --dataset.")
    var labels: String?

    @OptionGroup(title: "Robustness") var robustness: RobustnessFlags

    @Flag(help: "Test sets: the valid range is the smallest and largest value in the set (instead of --clip).")
    var clipToData = false

    @Option(help: "The largest radius tried (default: the width of the valid range).")
    var maxRadius: Double?

    @Option(help: "Stop when the bracket is this narrow (default: the largest radius / 100).")
    var tolerance: Double?

    @Option(help: "Seconds for each complete verification step.")
    var stepTimeout = 30.0

    @Option(help: "Seconds for each input's whole search; the bracket reached then is reported.")
    var timeout: Double?

    @Flag(help: "Send hard leaves of complete steps to Z3 (--z3-leaf-unstable) from the start; without it, Z3 leaves only for a step branch and bound alone leaves unknown.")
    var z3Leaves = false

    @Option(help: "Test sets: the radii at which certified accuracy is summarised, comma-separated (default: a tenth, a quarter and half of the largest radius).")
    var at: String?

    @Option(help: "Test sets: the results CSV, one row per input, appended as each finishes; an existing file of the same settings is resumed.")
    var results: String?

    @Option(help: "Test sets: write the certified-accuracy curve here (SVG).")
    var plot: String?

    @Option(help: "Test sets: only the first N inputs.")
    var limit: Int?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup(title: "Search") var search: SearchFlags

    @OptionGroup var devices: DeviceOptions

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard (input == nil) != (dataset == nil) else { throw ValidationError("give --input (one input) or --dataset (a test set)") }
        if labels != nil && dataset == nil { throw ValidationError("--labels goes with an IDX --dataset") }
        if input != nil, results != nil || plot != nil || at != nil || limit != nil {
            throw ValidationError("--results, --plot, --at and --limit are for --dataset")
        }
        if clipToData && (dataset == nil || robustness.clip != nil || robustness.clipLower != nil) {
            throw ValidationError("--clip-to-data takes the valid range from a --dataset, instead of --clip")
        }
        if dataset != nil && robustness.label != nil { throw ValidationError("--label is for one --input; a test set's labels come from the set") }
        for (value, flag) in [(maxRadius, "--max-radius"), (tolerance, "--tolerance"), (timeout, "--timeout"), (Optional(stepTimeout), "--step-timeout")] {
            if let value { guard value > 0, value.isFinite else { throw ValidationError("\(flag) must be a positive number, got \(value)") } }
        }
        if let at { _ = try RobustnessFlags.numbers(at, "--at") }
        if let limit { try require(limit, in: 1...Int.max, "--limit") }
        if let results { try ResultFile.check(results, notOneOf: [network, dataset ?? ""], flag: "--results") }
        if let plot { try ResultFile.check(plot, notOneOf: [network, dataset ?? ""], flag: "--plot") }
    }

    func run() throws {
        Interruption.install()
        let model = try ModelFiles.network(at: network)
        var spec = try robustness.spec()
        var samples: [Sample] = []
        if let dataset {
            samples = try Dataset.read(dataset, labels: labels)
            if let limit { samples = Array(samples.prefix(limit)) }
            let values = samples.flatMap(\.input)
            if clipToData, let low = values.min(), let high = values.max() { spec.clip = .uniform(low...high) }
        }
        guard let largest = maxRadius ?? RobustnessFlags.widestRange(spec) else {
            throw CommandFailure("give --max-radius: without a valid range (--clip) there is no largest radius to start from")
        }
        let session = try VerificationSession(network: model, options: search.options, device: devices.device, precision: devices.precision)
        global.logger("verdict.radius").debug("bound engine: \(session.engineName)")
        if let input {
            try single(input, session: session, spec: spec, largest: largest)
        } else if let dataset {
            try testSet(dataset, samples, session: session, spec: spec, largest: largest)
        }
    }

    private func single(_ path: String, session: VerificationSession, spec: RobustnessSpec, largest: Double) throws {
        let values = try InputVectorFile.read(path: path)
        let bracket: RadiusBracket
        do {
            var search = RadiusSearch(
                session: session, spec: spec, input: values, maxRadius: largest, tolerance: tolerance ?? largest / 100, stepTimeout: stepTimeout,
                deadline: Deadline(seconds: timeout))
            search.z3Leaves = z3Leaves
            bracket = try search.run()
        } catch let problem as RobustnessSpec.Problem {
            throw CommandFailure("\(path): \(problem.description)")
        }
        let closed = bracket.isClosed(maxRadius: largest)
        if json {
            let witness: Any = bracket.witness.map { ["inputs": $0.input.map { $0 + 0 }, "outputs": $0.outputs.map { $0 + 0 }] } ?? NSNull()
            try printJSON([
                "certified": bracket.certified ?? NSNull(), "falsified": bracket.falsified ?? NSNull(), "witness": witness,
                "seconds": bracket.seconds, "label": bracket.label ?? NSNull(), "certified_by": bracket.certifiedBy,
                "falsified_by": bracket.falsifiedBy ?? NSNull(), "closed": closed, "max_radius": largest, "tolerance": bracket.tolerance,
                "steps": bracket.steps.map { ["radius": $0.radius, "stage": $0.stage.rawValue, "answer": $0.answer.rawValue, "seconds": $0.seconds] },
            ])
            return
        }
        print("certified \(bracket.certified.map { "\($0)" } ?? "none") (\(bracket.certifiedBy))")
        print("falsified \(bracket.falsified.map { "\($0)" } ?? "none up to \(largest)")\(bracket.falsifiedBy.map { " (\($0))" } ?? "")")
        if let label = bracket.label { print("label \(label)") }
        print("\(closed ? "closed to" : "not closed to") the tolerance \(bracket.tolerance) in \(String(format: "%.2f", bracket.seconds)) s, \(bracket.steps.count) verifications")
    }

    private func testSet(_ path: String, _ samples: [Sample], session: VerificationSession, spec: RobustnessSpec, largest: Double) throws {
        let tolerance = tolerance ?? largest / 100
        let settings = "\(deciding) (max-radius \(largest), tolerance \(tolerance))"
        let log = try results.map { try ResultsLog<RadiusRecord>(path: $0, command: "radius", settings: settings) }
        var records = Dictionary((log?.rows ?? []).map { ($0.index, $0) }, uniquingKeysWith: { $1 })
        var runner = TestSetCertification(session: session, spec: spec, maxRadius: largest, tolerance: tolerance, stepTimeout: stepTimeout, sampleTimeout: timeout)
        runner.z3Leaves = z3Leaves
        let progress = ProgressLine(total: samples.count, records: Array(records.values))
        for (index, sample) in samples.enumerated() where records[index] == nil {
            progress.started(sample.name)
            let record: RadiusRecord
            do {
                record = try runner.record(sample, index: index)
            } catch let problem as RobustnessSpec.Problem {
                throw CommandFailure("\(path), \(sample.name): \(problem.description)")
            }
            // An interrupted search is not a result: the input is done again on resuming.
            if Interruption.isRequested { break }
            try log?.append(record)
            records[index] = record
            progress.finished(record)
        }
        progress.finish()
        let ordered = records.values.sorted { $0.index < $1.index }
        let radii = try at.map { try RobustnessFlags.numbers($0, "--at") } ?? [largest / 10, largest / 4, largest / 2]
        let summary = CertificationSummary(ordered, radii: radii)
        if let plot {
            let title = "\((network as NSString).lastPathComponent) on \(ordered.count) inputs of \((path as NSString).lastPathComponent)"
            try Data(CertifiedAccuracyPlot.svg(ordered, maxRadius: largest, title: title).utf8).write(to: URL(fileURLWithPath: plot), options: .atomic)
        }
        if json {
            var object = summary.json
            object["interrupted"] = Interruption.isRequested
            object["inputs_total"] = samples.count
            try printJSON(object)
        } else {
            print(summary.text)
            if Interruption.isRequested { print("interrupted after \(ordered.count) of \(samples.count) inputs; run again with the same --results to resume") }
        }
    }

    /// The arguments that decide the results, in order, without those that only say where
    /// results go or how many inputs to take (`--results`, `--plot`, `--at`, `--limit`,
    /// `--json`, `-v`): the settings line of `--results`, so a resumed run is the same run.
    private var deciding: String {
        let valued: Set<String> = ["--results", "--plot", "--at", "--limit"], flags: Set<String> = ["--json", "-v", "--verbose"]
        var kept: [String] = [], skipNext = false
        for argument in CommandLine.arguments.dropFirst(2) {
            if skipNext { skipNext = false; continue }
            let name = String(argument.prefix { $0 != "=" })
            if flags.contains(argument) || valued.contains(name) && argument.contains("=") { continue }
            if valued.contains(argument) { skipNext = true; continue }
            kept.append(argument)
        }
        return kept.joined(separator: " ")
    }
}

/// The live line of a test-set run on a terminal: inputs done, the current one, how many
/// have a certified radius above 0, the time spent. Counts are kept, not recomputed.
final class ProgressLine {
    private let total: Int
    private var done: Int
    private var certified: Int
    private let line = StatusLine()
    private let start = ContinuousClock.now

    init(total: Int, records: [RadiusRecord]) {
        self.total = total
        done = records.count
        certified = records.filter { $0.certifiedRadius > 0 }.count
    }

    func started(_ name: String) {
        line.update("[\(done)/\(total)] \(name)  certified > 0: \(certified)  \(String(format: "%.0f", seconds(since: start))) s")
    }

    func finished(_ record: RadiusRecord) {
        done += 1
        if record.certifiedRadius > 0 { certified += 1 }
    }

    func finish() {
        line.finish()
    }
}
