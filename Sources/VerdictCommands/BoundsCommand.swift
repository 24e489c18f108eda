import ArgumentParser
import Verdict
import VerdictBounds
import VerdictCore
import VerdictONNX
import VerdictOpenCL
import VerdictSearch
import VerdictVNNLIB

extension BoundMethod: ExpressibleByArgument {}
extension DevicePrecision: ExpressibleByArgument {}
extension DeviceChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

/// `verdict bounds`: bound the property's objectives over its input boxes, without branching.
struct BoundsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bounds",
        abstract: "Bound each objective of a property by bound propagation alone (no branching).",
        discussion: """
            Each linear constraint of each unsafe disjunct is a row c·y + d; a disjunct is refuted \
            when some row's lower bound is positive, and the property is proved when every \
            disjunct of every box is refuted. Example:
              verdict bounds benchmarks/examples/digits/properties/digit_0_eps_0.05.vnnlib --network benchmarks/examples/digits/digits.onnx --method crown
            """)

    @Argument(help: "The VNN-LIB property (1.0) or query (2.0).")
    var property: String

    @Option(help: "The ONNX model, as PATH or NAME=PATH (a 2.0 query: once per declared network).")
    var network: [String] = []

    @Option(help: "ibp, crown, alpha-crown or beta-crown.")
    var method: BoundMethod = .crown

    @Option(help: "Gradient steps for alpha-crown and beta-crown.")
    var iterations = 20

    @Option(help: "Adam step size for the α slopes.")
    var learningRate = BoundOptions().learningRate

    @Option(help: "Adam step size for the slopes of Sigmoid and Tanh lines (fractions of the steepest slope).")
    var slopeLearningRate = BoundOptions().slopeLearningRate

    @Option(help: "α steps for each intermediate layer's bounds (alpha-crown and beta-crown; 0 keeps CROWN's slopes there). Default: what verify's root takes, \(VerificationOptions.reluRootIntermediateIterations), or \(VerificationOptions.smoothRootIntermediateIterations) on networks with Sigmoid or Tanh.")
    var intermediateIterations: Int?

    @Option(help: "Rounds of cutting planes (Anderson et al.'s ReLU cuts, found at the open rows' minimizing points) after α/β optimization; networks the graph engine bounds (convolutions, residual connections), alpha-crown and beta-crown. 0: none.")
    var cutRounds = 0

    @Option(help: "Stop after this many seconds: α/β steps stop there with the bounds reached so far (sound), and a bound computation still propagating its layers ends with an error.")
    var timeout: Double?

    @OptionGroup var devices: DeviceOptions

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        try require(iterations, in: 0...maximumIterations, "--iterations")
        try require(cutRounds, in: 0...maximumIterations, "--cut-rounds")
        if let intermediateIterations { try require(intermediateIterations, in: 0...maximumIterations, "--intermediate-iterations") }
        if let timeout { guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") } }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        guard slopeLearningRate > 0, slopeLearningRate.isFinite else { throw ValidationError("--slope-learning-rate must be positive") }
    }

    func run() throws {
        let start = ContinuousClock.now
        Interruption.install()
        let (imported, parsed, _) = try ModelFiles.problem(at: property, networks: ModelFiles.namedPaths(network))
        // As the search bounds it: without the nodes that reach no output.
        let model = try imported.withoutUnusedNodes()
        let engine = try devices.engine(for: model)
        global.logger("verdict.bounds").debug("bound engine: \(engine.name)")
        let tasks = parsed.cases.map { item in
            BoundTask(subproblem: Subproblem(box: item.box, layout: engine.layout), objectives: Objectives(region: item.unsafe, outputCount: model.outputCount))
        }
        let deadline = Deadline(seconds: timeout, from: start)
        var options = BoundOptions(method: method, iterations: iterations, learningRate: learningRate, shouldStop: { deadline.isPast })
        // α-CROWN as users know it (auto_LiRPA, α,β-CROWN) optimizes every layer's bounds: on
        // eran's Sigmoid network 29 of 36 instances are proved that way, 10 with the
        // objective's α alone (README, Measured).
        options.intermediateIterations = intermediateIterations
            ?? VerificationOptions.defaults.resolvedRootIntermediateIterations(smooth: !model.smoothOperatorNames.isEmpty)
        options.slopeLearningRate = slopeLearningRate
        options.cutRounds = cutRounds
        options.intermediateShouldStop = { deadline.isPast }
        let boundStart = ContinuousClock.now
        let results: [SubproblemBounds]
        do {
            results = try engine.bound(tasks, options: options)
        } catch BoundEngineError.cancelled {
            throw CommandFailure(Interruption.isRequested ? "interrupted before the bounds were complete" : "--timeout \(timeout ?? 0) s reached before the bounds were complete")
        }
        let stopped = deadline.isPast
        let boundMilliseconds = milliseconds(since: boundStart)
        let proved = results.allSatisfy(\.isProved)
        var objectives: [[String: Any]] = []
        for (caseIndex, (task, result)) in zip(tasks, results).enumerated() {
            for row in 0..<task.objectives.rowCount {
                objectives.append([
                    "box": caseIndex, "disjunct": task.objectives.disjunctOfRow[row], "row": row,
                    "lower": result.lower[row], "upper": result.upper[row],
                    "refutes": result.refutedDisjuncts[task.objectives.disjunctOfRow[row]] && result.lower[row] > 0,
                ])
            }
        }
        let seconds = milliseconds(since: start) / 1000
        global.logger("verdict.bounds").debug("bounds computed in \(boundMilliseconds) ms")
        if json {
            try printJSON([
                "proved": proved, "method": method.rawValue, "seconds": seconds, "bound_seconds": boundMilliseconds / 1000,
                "engine": engine.name, "stopped_at_timeout": stopped,
                "objectives": objectives,
                "unstable_relus": results.map(\.layerBounds.unstableCount),
                "unstable_relus_by_layer": results.map(\.layerBounds.unstableCountByLayer),
                "refuted_disjuncts": results.map { $0.refutedDisjuncts.filter { $0 }.count },
                "disjuncts": tasks.map(\.objectives.disjunctCount),
            ])
            return
        }
        var rows = [["box", "disjunct", "row", "lower", "upper", ""]]
        for objective in objectives {
            rows.append([
                "\(objective["box"]!)", "\(objective["disjunct"]!)", "\(objective["row"]!)",
                "\(objective["lower"]!)", "\(objective["upper"]!)", (objective["refutes"] as? Bool) == true ? "refuted" : "",
            ])
        }
        print(table(rows))
        for (index, result) in results.enumerated() {
            let refuted = result.refutedDisjuncts.filter { $0 }.count
            print("box \(index): \(refuted) of \(result.refutedDisjuncts.count) disjuncts refuted, \(result.layerBounds.unstableCount) unstable ReLUs (by layer: \(result.layerBounds.unstableCountByLayer.map(String.init).joined(separator: " ")))\(result.isInfeasible ? ", empty" : "")")
        }
        let note = !stopped ? "" : Interruption.isRequested ? " (α/β steps stopped by a signal)" : " (α/β steps stopped at --timeout)"
        print("\(proved ? "proved" : "not proved") by \(method.rawValue) alone in \(String(format: "%.3f", seconds)) s on \(engine.name)\(note)")
    }
}
