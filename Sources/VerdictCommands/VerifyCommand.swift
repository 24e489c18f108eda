import ArgumentParser
import Foundation
import VerdictBounds
import VerdictCore
import VerdictONNX
import VerdictOpenCL
import VerdictSearch
import VerdictVNNLIB

#if canImport(Glibc)
import Glibc
#endif

extension SplitMode: ExpressibleByArgument {}
extension BranchingHeuristic: ExpressibleByArgument {}
extension ChildIntermediateBounds: ExpressibleByArgument {}

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
        abstract: "Decide a VNN-LIB property on an ONNX network: sat (with a checked witness), unsat, unknown or timed-out.",
        discussion: """
            The first line of stdout is the answer; for sat the witness follows (X_i and Y_j \
            values). Statistics go to stderr. The exit code is 0 whenever the run completed, \
            whatever the answer. Example:
              verdict verify benchmarks/examples/digits/properties/digit_0_eps_0.5.vnnlib --network benchmarks/examples/digits/digits.onnx --timeout 60
            """)

    @Argument(help: "The VNN-LIB property.")
    var property: String

    @Option(help: "The ONNX model, as PATH or NAME=PATH.")
    var network: String

    @Option(help: "Wall-clock limit in seconds, counted from the start of the command.")
    var timeout: Double?

    @Option(help: "Also write the VNN-COMP result file (sat/unsat/timeout/unknown and the witness).")
    var resultFile: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @Option(help: "bab (attacks, branch and bound, Z3 leaves) or z3 (the whole network in Z3; small networks).")
    var engine: VerifyEngine = .bab

    @Option(help: "What branch and bound splits: relu, input (bisect the box) or auto (input for at most 10 inputs).")
    var split: SplitMode = .auto

    @Option(help: "How the ReLU to split is chosen: babsr, fsb, widest or random.")
    var branching: BranchingHeuristic = .babsr

    @Option(help: "With --branching fsb: the best BaBSR candidates whose children are tried before each split.")
    var fsbCandidates = 4

    @Option(help: "Subproblems split per step; their children are bounded together.")
    var batch = 64

    @Option(help: "Bound method for the root and the children: ibp, crown, alpha-crown or beta-crown (default: beta-crown when splitting ReLUs, alpha-crown when splitting inputs).")
    var method: BoundMethod?

    @Option(help: "α/β gradient steps per bound computation (default: 20 when splitting ReLUs, 10 when splitting inputs).")
    var iterations: Int?

    @Option(help: "α steps for each intermediate layer's bounds at the root (every subproblem inherits them; 0 keeps CROWN's slopes).")
    var intermediateIterations = 20

    @Option(help: "What ReLU-split children do with their parent's intermediate bounds: recompute the layers after the split (tighter, slower) or reuse them all (only the property's rows are bounded, with β).")
    var childIntermediate: ChildIntermediateBounds = .recompute

    @Option(help: "ReLU splitting: tighten the bounds of ReLU layers 1 to N before the search, each unstable neuron's bound by a branch and bound of its own (0: off).")
    var refineLayers = 0

    @Option(help: "Splits spent on each bound of each neuron --refine-layers tightens, at most.")
    var refineSplits = 8

    @Option(help: "The share of the time left (with --timeout) that --refine-layers may spend, between 0 and 1.")
    var refineTimeShare = 0.25

    @OptionGroup var devices: DeviceOptions

    @Option(help: "Stop with unknown when more subproblems than this are open.")
    var maxSubproblems = 500_000

    @Option(help: "Send a subproblem with at most K unstable ReLUs to Z3 (negative: no Z3 leaves).")
    var z3LeafUnstable = 10

    @Option(help: "Send a subproblem split more than D times to Z3.")
    var z3LeafDepth = 60

    @Option(help: "Seconds Z3 may spend on one leaf before the leaf is split further.")
    var z3LeafTimeout = 10.0

    @Option(help: "Threads solving Z3 leaves beside the bound computation.")
    var z3Workers = 1

    @Option(help: "Seed of sampling, attack restarts and random branching.")
    var seed: UInt64 = 0

    @Option(help: "Random samples before PGD (0 with --attack-restarts 0 skips the attack).")
    var attackSamples = 2048

    @Option(help: "PGD restarts.")
    var attackRestarts = 20

    @Option(help: "PGD steps per restart.")
    var attackSteps = 100

    @Option(help: "The share of the time left (with --timeout) the first attack may spend, above 0 and at most 1.")
    var attackTimeShare = 0.2

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if let timeout { guard timeout > 0, timeout.isFinite else { throw ValidationError("--timeout must be a positive number of seconds") } }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1") }
        guard fsbCandidates >= 1 else { throw ValidationError("--fsb-candidates must be at least 1") }
        guard refineLayers >= 0 else { throw ValidationError("--refine-layers must be at least 0") }
        guard refineSplits >= 0 else { throw ValidationError("--refine-splits must be at least 0") }
        guard refineTimeShare > 0, refineTimeShare <= 1 else { throw ValidationError("--refine-time-share must be above 0 and at most 1") }
        if let iterations { guard iterations >= 0 else { throw ValidationError("--iterations must be at least 0") } }
        guard intermediateIterations >= 0 else { throw ValidationError("--intermediate-iterations must be at least 0") }
        guard maxSubproblems >= 1 else { throw ValidationError("--max-subproblems must be at least 1") }
        guard z3LeafDepth >= 0 else { throw ValidationError("--z3-leaf-depth must be at least 0") }
        guard z3LeafTimeout > 0, z3LeafTimeout.isFinite else { throw ValidationError("--z3-leaf-timeout must be positive") }
        guard z3Workers >= 1 else { throw ValidationError("--z3-workers must be at least 1") }
        guard attackSamples >= 0, attackRestarts >= 0, attackSteps >= 0 else { throw ValidationError("attack counts must be at least 0") }
        guard attackTimeShare > 0, attackTimeShare <= 1 else { throw ValidationError("--attack-time-share must be above 0 and at most 1") }
        if let resultFile {
            let folder = URL(fileURLWithPath: resultFile).deletingLastPathComponent().path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--result-file \(resultFile): the folder \(folder) does not exist")
            }
        }
    }

    func run() throws {
        let start = ContinuousClock.now
        let deadline = Deadline(seconds: timeout, from: start)
        let logger = global.logger("verdict.verify")
        let path = network.firstIndex(of: "=").map { String(network[network.index(after: $0)...]) } ?? network
        let model = try ONNXImporter.load(path: path).network
        let parsed = try VNNLIBParser.parse(contentsOf: property)
        guard model.inputCount == parsed.inputCount, model.outputCount == parsed.outputCount else {
            throw ValidationError(
                "\(property) has \(parsed.inputCount) inputs and \(parsed.outputCount) outputs; \(path) has \(model.inputCount) and \(model.outputCount)")
        }
        var options = VerificationOptions()
        options.splitMode = split
        options.branching = branching
        options.fsbCandidates = fsbCandidates
        options.batchSize = batch
        options.method = method
        options.iterations = iterations
        options.rootIntermediateIterations = intermediateIterations
        options.childIntermediateBounds = childIntermediate
        options.maxSubproblems = maxSubproblems
        options.z3LeafUnstable = z3LeafUnstable
        options.z3LeafDepth = z3LeafDepth
        options.z3LeafTimeout = z3LeafTimeout
        options.z3Workers = z3Workers
        options.seed = seed
        options.attackSamples = attackSamples
        options.attackRestarts = attackRestarts
        options.attackSteps = attackSteps
        options.attackTimeShare = attackTimeShare
        options.deadline = deadline
        options.refineLayers = refineLayers
        options.refineSplits = refineSplits
        options.refineTimeShare = refineTimeShare
        if global.verbose {
            let progressLogger = logger
            options.progress = { progress in
                let weakest = progress.weakestBound.map { String(format: "%.4g", $0) } ?? "none"
                progressLogger.debug(
                    "\(String(format: "%.1f", progress.seconds)) s: \(progress.subproblems) subproblems bounded, \(progress.open) open, weakest bound \(weakest)")
            }
        }
        let verifier = try Verifier(network: model, property: parsed, options: options)
        let result: VerificationResult
        var engineName = "z3"
        switch engine {
        case .z3:
            result = verifier.verifyWithZ3()
        case .bab:
            // ReLU splitting bounds many small children: float's throughput (1.3-1.5x on
            // MNIST-FC) outweighs its slightly looser bounds there; input splitting's narrow
            // boxes lose more to float's rounding allowance (up to 20 % on ACAS Xu), so it
            // keeps double.
            let split = options.resolvedSplitMode(inputCount: model.inputCount)
            let boundEngine = try devices.engine(for: model, automatic: split == .relu ? .float : .auto)
            engineName = boundEngine.name
            logger.debug("bound engine: \(boundEngine.name), split: \(split.rawValue)")
            result = verifier.verify(engine: boundEngine)
            let statistics = result.statistics
            if !statistics.rootUnstableBeforeRefinement.isEmpty {
                logger.debug("""
                    root: unstable ReLUs by layer \(statistics.rootUnstableBeforeRefinement), after refinement \(statistics.rootUnstableByLayer) \
                    (\(String(format: "%.2f", statistics.refinementSeconds)) s)
                    """)
            } else if !statistics.rootUnstableByLayer.isEmpty {
                logger.debug("root: unstable ReLUs by layer \(statistics.rootUnstableByLayer)")
            }
        }
        let elapsed = milliseconds(since: start) / 1000
        if let resultFile { try writeResultFile(result, to: resultFile) }
        let statistics = result.statistics
        // `+ 0` turns -0.0 into 0.0 for printing.
        let inputs = result.witness?.input.map { $0 + 0 } ?? [], outputs = result.witness?.outputs.map { $0 + 0 } ?? []
        let witness: Any = result.witness == nil ? NSNull() : ["inputs": inputs, "outputs": outputs]
        if json {
            try printJSON([
                "answer": result.answer.rawValue, "witness": witness, "seconds": elapsed, "reason": result.reason, "engine": engineName,
                "phases": ["attack": statistics.attackSeconds, "bounds": statistics.boundSeconds, "z3": statistics.z3Seconds],
                "subproblems": statistics.subproblems, "z3_leaves": statistics.z3Leaves, "peak_queue": statistics.peakQueue,
                "max_depth": statistics.maxDepth, "peak_memory_bytes": peakMemoryBytes(),
                "root_unstable_by_layer": statistics.rootUnstableByLayer, "refinement_seconds": statistics.refinementSeconds,
            ])
        } else {
            print(result.answer.rawValue)
            for (index, value) in inputs.enumerated() { print("X_\(index) = \(value)") }
            for (index, value) in outputs.enumerated() { print("Y_\(index) = \(value)") }
        }
        let phases = String(format: "attack %.2f s, bounds %.2f s, z3 %.2f s", statistics.attackSeconds, statistics.boundSeconds, statistics.z3Seconds)
        FileHandle.standardError.write(Data("""
            \(result.answer.rawValue) in \(String(format: "%.2f", elapsed)) s (\(result.reason)) on \(engineName)
            \(phases); \(statistics.subproblems) subproblems bounded, \(statistics.z3Leaves) Z3 leaves, \
            peak queue \(statistics.peakQueue), depth \(statistics.maxDepth), peak memory \(peakMemoryBytes() >> 20) MiB

            """.utf8))
    }

    /// The VNN-COMP result file, written whole (to a temporary file, then renamed).
    private func writeResultFile(_ result: VerificationResult, to path: String) throws {
        var text: String
        switch result.answer {
        case .sat: text = "sat\n"
        case .unsat: text = "unsat\n"
        case .unknown: text = "unknown\n"
        case .timedOut: text = "timeout\n"
        }
        if let report = result.witness {
            let entries = report.input.enumerated().map { "(X_\($0.offset) \($0.element + 0))" }
                + report.outputs.enumerated().map { "(Y_\($0.offset) \($0.element + 0))" }
            text += "(" + entries.joined(separator: "\n ") + ")\n"
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw ValidationError("--result-file \(path): cannot write: \(error.localizedDescription)")
        }
    }

    /// The process's peak resident memory.
    private func peakMemoryBytes() -> Int {
        var usage = rusage()
        guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) * 1024  // kilobytes on Linux
    }
}
