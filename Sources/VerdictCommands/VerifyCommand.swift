import ArgumentParser
import Foundation
import Logging
import Verdict
import VerdictBounds
import VerdictCore
import VerdictONNX
import VerdictOpenCL
import VerdictSearch
import VerdictVNNLIB

#if canImport(Glibc)
import Glibc
#endif

/// Which solver answers `verify`.
enum VerifyEngine: String, ExpressibleByArgument, CaseIterable {
    /// Attacks, branch and bound on a bound engine, Z3 for hard leaves.
    case bab
    /// One exact Z3 query for the whole network per box (small networks; the tests' oracle).
    case z3
}

/// `verdict verify`: the complete answer for one property.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Decide a VNN-LIB property (1.0) or query (2.0) on ONNX networks: sat (with a checked witness), unsat, unknown or timed-out.",
        discussion: """
            The first line of stdout is the answer. For sat the witness follows: X_i and Y_j \
            values for a 1.0 property; for a 2.0 query every declared variable in the \
            standard's format (a `NAME TYPE [SHAPE]` line, then one value a line). A 2.0 query \
            names each declared network's model: --network NAME=PATH, once per network not \
            declared equal-to another. Statistics go to stderr. The exit code is 0 whenever the \
            run completed, whatever the answer. Examples:
              verdict verify benchmarks/examples/digits/properties/digit_0_eps_0.5.vnnlib --network benchmarks/examples/digits/digits.onnx --timeout 60
              verdict verify benchmarks/examples/queries/digits-relational-0.1.vnnlib --network f=benchmarks/examples/digits/digits.onnx
            """)

    @Argument(help: "The VNN-LIB property or query.")
    var property: String

    @Option(help: "An ONNX model, as PATH or NAME=PATH (a 2.0 query: once per declared network).")
    var network: [String] = []

    @Option(help: "With a 2.0 query and sat: write each variable's values to FOLDER/NAME.pb (an ONNX TensorProto) instead of printing them.")
    var serialiseAssignments: String?

    @Option(help: "Wall-clock limit in seconds, counted from the start of the command.")
    var timeout: Double?

    @Option(help: "Also write the VNN-COMP result file (sat/unsat/timeout/unknown and the witness).")
    var resultFile: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "bab (attacks, branch and bound, Z3 leaves) or z3 (the whole network in Z3; small networks).")
    var engine: VerifyEngine = .bab

    @OptionGroup(title: "Search") var search: SearchFlags

    @OptionGroup var devices: DeviceOptions

    @OptionGroup var global: GlobalOptions

    /// The models by name (`--network` is `PATH`, under the name "", or `NAME=PATH`).
    private var networkPaths: [(name: String, path: String)] { ModelFiles.namedPaths(network) }

    func validate() throws {
        if let timeout { guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") } }
        guard !network.isEmpty else { throw ValidationError("give the model with --network PATH (or NAME=PATH)") }
        if let resultFile { try ResultFile.check(resultFile, notOneOf: [property] + networkPaths.map(\.path)) }
    }

    func run() throws {
        let start = ContinuousClock.now
        Interruption.install()
        let logger = global.logger("verdict.verify")
        let deadline = Deadline(seconds: timeout, from: start)
        let watchdog = startWatchdog(deadline: deadline, start: start)
        // An earlier run's result file must not pass for this run's if this one is killed.
        if let resultFile { try ResultFile.removeStale(resultFile) }
        let options = verificationOptions(deadline: deadline, logger: logger)
        var (result, engineName, query) = try loadAndAnswer(options: options, watchdog: watchdog, logger: logger)
        // A run stopped by SIGINT or SIGTERM answers what it knows: a proof or a confirmed
        // witness found before the signal stands; anything else is unknown, interrupted.
        if Interruption.isRequested && result.answer != .sat && result.answer != .unsat {
            result.answer = .unknown
            result.reason = "interrupted"
        }
        guard watchdog.claim() else { watchdog.waitForExit() }
        try finish(result, engineName: engineName, query: query, seconds: milliseconds(since: start) / 1000)
    }

    /// Reads the inputs and decides the property; a read stopped by the deadline or the memory
    /// cap answers `timed-out` or `unknown` like a search stopped by them.
    private func loadAndAnswer(options: VerificationOptions, watchdog: AnswerWatchdog, logger: Logger) throws -> (VerificationResult, String, LoadedQuery?) {
        let stop = { () -> String? in
            if options.deadline.isPast { return "deadline reached" }
            return ProcessMemory.usage().flatMap { ProcessMemory.limitReached(options.memoryLimitBytes, usage: $0) }
        }
        do {
            let (model, parsed, query) = try loadInputs(watchdog: watchdog, stop: stop)
            watchdog.enter("searching")
            let options = query?.searchOptions(options) ?? options
            if let float = query?.floatEvaluation { logger.debug("\(float.summary)") }
            let (result, engineName) = try answer(parsed, model: model, options: options, logger: logger)
            // A float query's sat must hold for every float evaluation at the witness.
            return (query?.answer(result) ?? result, engineName, query)
        } catch let stopped as VNNLIBParser.Stopped {
            let answer: Answer = options.deadline.isPast ? .timedOut : .unknown
            return (VerificationResult(answer: answer, witness: nil, reason: "\(stopped.reason) while reading the property", statistics: SearchStatistics()), "none", nil)
        }
    }

    /// Prints the answer, writes the result file and ends the process.
    private func finish(_ result: VerificationResult, engineName: String, query: LoadedQuery? = nil, seconds elapsed: Double) throws -> Never {
        var writeError: (any Error)?
        let assignment = query.flatMap { query in result.witness.map { query.assignment(input: $0.input, outputs: $0.outputs) } }
        if let assignment, let serialiseAssignments {
            do { try AssignmentFiles.write(assignment, to: serialiseAssignments) } catch { writeError = error }
        }
        printAnswer(result, assignment: serialiseAssignments == nil ? assignment : nil)
        if let resultFile {
            do { try ResultFile.write(result, to: resultFile) } catch { writeError = writeError ?? error }
        }
        try printSummary(result, engineName: engineName, assignment: assignment, seconds: elapsed)
        if let writeError { throw writeError }
        // Freeing a search of several GiB takes seconds that --timeout does not allow for; the
        // answer is out and the result file written, so the process ends without the teardown
        // (with status 1 if the answer could not be written out).
        _exit(fflush(nil) == 0 ? 0 : 1)
    }

    /// The watchdog that answers for a run still busy ``AnswerWatchdog/grace`` seconds past
    /// its deadline or a signal: `timed-out` (`unknown`, interrupted, after a signal).
    private func startWatchdog(deadline: Deadline, start: ContinuousClock.Instant) -> AnswerWatchdog {
        let command = self
        return AnswerWatchdog(deadline: deadline) { phase in
            let interrupted = Interruption.isRequested
            let result = VerificationResult(
                answer: interrupted ? .unknown : .timedOut, witness: nil,
                reason: "\(interrupted ? "interrupted" : "deadline reached") while \(phase) (stopped by the watchdog)",
                statistics: SearchStatistics())
            try? command.finish(result, engineName: "none", query: nil, seconds: milliseconds(since: start) / 1000)
        }
    }

    /// The network and the property, checked against each other; for a 2.0 query, the
    /// product network of its declared networks and the query bound to it.
    private func loadInputs(watchdog: AnswerWatchdog, stop: @escaping () -> String?) throws -> (Network, Property, LoadedQuery?) {
        watchdog.enter("reading the property and the networks")
        let problem = try ModelFiles.problem(at: property, networks: networkPaths, stop: stop)
        if serialiseAssignments != nil && problem.query == nil {
            throw ValidationError("--serialise-assignments is for VNN-LIB 2.0 queries; \(property) is a 1.0 property")
        }
        return problem
    }

    /// The search flags' options, with the deadline and (with `-v`) progress logged.
    private func verificationOptions(deadline: Deadline, logger: Logger) -> VerificationOptions {
        var options = search.options
        options.deadline = deadline
        guard global.verbose else { return options }
        options.progress = { progress in
            let weakest = progress.weakestBound.map { String(format: "%.4g", $0) } ?? "none"
            logger.debug(
                "\(String(format: "%.1f", progress.seconds)) s: \(progress.subproblems) subproblems bounded, \(progress.open) open, weakest bound \(weakest)")
        }
        return options
    }

    /// The answer from the chosen solver, and the name of the engine that found it.
    private func answer(_ property: Property, model: Network, options: VerificationOptions, logger: Logger) throws -> (VerificationResult, String) {
        guard engine == .bab else {
            let smooth = model.smoothOperatorNames
            guard smooth.isEmpty else {
                throw EngineRefusal(description: """
                    --engine z3 states the whole network exactly in linear real arithmetic, which cannot express \
                    \(smooth.joined(separator: " or ")) (not piecewise linear); use --engine bab
                    """)
            }
            return (try Verifier(network: model, property: property, options: options).verifyWithZ3(), "z3")
        }
        let split = options.resolvedSplitMode(inputCount: model.inputCount)
        let session = try VerificationSession(
            network: model, options: options, device: devices.device, precision: devices.precision, sharedLeafWorkers: false)
        logger.debug("bound engine: \(session.engineName), split: \(split.rawValue)")
        let result = try session.verify(property)
        let statistics = result.statistics
        if let restart = statistics.refinementRestartSeconds {
            logger.debug("search restarted from a refined root after \(String(format: "%.1f", restart)) s (--refine-when-stuck)")
        }
        if !statistics.rootUnstableBeforeRefinement.isEmpty {
            logger.debug("""
                root: unstable ReLUs by layer \(statistics.rootUnstableBeforeRefinement), after refinement \(statistics.rootUnstableByLayer) \
                (\(String(format: "%.2f", statistics.refinementSeconds)) s)
                """)
            // What each layer got and what stopped it: which knob would give it more.
            let layers = statistics.refinementByLayer.map {
                "\($0.layer): \($0.unstableBefore) → \($0.unstableAfter) unstable, \($0.rounds) rounds, \(String(format: "%.1f", $0.seconds)) s, stopped by \($0.stop.rawValue)"
            }
            logger.debug("refinement by layer: \(layers.joined(separator: "; "))")
        } else if !statistics.rootUnstableByLayer.isEmpty {
            logger.debug("root: unstable ReLUs by layer \(statistics.rootUnstableByLayer)")
        }
        if statistics.rootCuts > 0 { logger.debug("root: \(statistics.rootCuts) cuts") }
        return (result, session.engineName)
    }

    /// The answer on stdout: a line and the witness, or one JSON object.
    private func printAnswer(_ result: VerificationResult, assignment: [(declaration: TensorDeclaration, values: [Double])]?) {
        // `+ 0` turns -0.0 into 0.0 for printing.
        let inputs = result.witness?.input.map { $0 + 0 } ?? [], outputs = result.witness?.outputs.map { $0 + 0 } ?? []
        guard !json else { return }
        print(result.answer.rawValue)
        if let assignment {
            // The standard's command-line assignment format, every declared variable in order.
            for (declaration, values) in assignment {
                print("\(declaration.name) \(declaration.elementType) [\(declaration.shape.map(String.init).joined(separator: ","))]")
                for value in values { print("\(value + 0)") }
            }
            return
        }
        guard !(result.answer == .sat && serialiseAssignments != nil) else { return }
        for (index, value) in inputs.enumerated() { print("X_\(index) = \(value)") }
        for (index, value) in outputs.enumerated() { print("Y_\(index) = \(value)") }
    }

    /// The statistics: the JSON object on stdout with `--json`, and a summary on stderr.
    private func printSummary(
        _ result: VerificationResult, engineName: String, assignment: [(declaration: TensorDeclaration, values: [Double])]?, seconds elapsed: Double
    ) throws {
        let statistics = result.statistics
        if json {
            let inputs = result.witness?.input.map { $0 + 0 } ?? [], outputs = result.witness?.outputs.map { $0 + 0 } ?? []
            var witness: Any = result.witness == nil ? NSNull() : ["inputs": inputs, "outputs": outputs]
            if let assignment {
                // A 2.0 query: each declared variable by name, in row-major order (initialized
                // inputs, the model's own constants, left out).
                witness = Dictionary(
                    assignment.filter { !$0.declaration.initialized }.map { ($0.declaration.name, $0.values.map { $0 + 0 }) },
                    uniquingKeysWith: { first, _ in first })
            }
            try printJSON([
                "answer": result.answer.rawValue, "witness": witness, "seconds": elapsed, "reason": result.reason, "engine": engineName,
                "phases": ["attack": statistics.attackSeconds, "bounds": statistics.boundSeconds, "z3": statistics.z3Seconds],
                "subproblems": statistics.subproblems, "z3_leaves": statistics.z3Leaves, "peak_queue": statistics.peakQueue,
                "max_depth": statistics.maxDepth, "peak_memory_bytes": peakMemoryBytes(),
                "root_unstable_by_layer": statistics.rootUnstableByLayer, "root_cuts": statistics.rootCuts, "refinement_seconds": statistics.refinementSeconds,
                "refinement_by_layer": statistics.refinementByLayer.map {
                    ["layer": $0.layer, "unstable_before": $0.unstableBefore, "unstable_after": $0.unstableAfter, "rounds": $0.rounds, "seconds": $0.seconds, "stopped_by": $0.stop.rawValue] as [String: Any]
                },
                "refinement_restart_seconds": statistics.refinementRestartSeconds.map { $0 as Any } ?? NSNull(),
                "closest_margin": statistics.closestMargin.map { $0 as Any } ?? NSNull(),
                "weakest_open_bound": statistics.weakestOpenBound.map { $0 as Any } ?? NSNull(),
            ])
        }
        let phases = String(format: "attack %.2f s, bounds %.2f s, z3 %.2f s", statistics.attackSeconds, statistics.boundSeconds, statistics.z3Seconds)
        FileHandle.standardError.write(Data("""
            \(result.answer.rawValue) in \(String(format: "%.2f", elapsed)) s (\(result.reason)) on \(engineName)
            \(phases); \(statistics.subproblems) subproblems bounded, \(statistics.z3Leaves) Z3 leaves, \
            peak queue \(statistics.peakQueue), depth \(statistics.maxDepth), peak memory \(peakMemoryBytes() >> 20) MiB

            """.utf8))
        if result.answer != .sat && result.answer != .unsat, let closest = statistics.closestMargin {
            // How far each side came: the attacks toward a counterexample (margin 0), the bounds toward a proof (0).
            let weakest = statistics.weakestOpenBound.map { String(format: ", weakest open bound %.4g", $0) } ?? ""
            FileHandle.standardError.write(Data("closest margin the attacks reached \(String(format: "%.4g", closest)) (a counterexample is at most 0)\(weakest)\n".utf8))
        }
    }

    /// The process's peak resident memory.
    private func peakMemoryBytes() -> Int {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
    }
}

/// A solver refusing a network it cannot decide (a clear message, a non-zero exit).
struct EngineRefusal: Error, CustomStringConvertible {
    let description: String
}
