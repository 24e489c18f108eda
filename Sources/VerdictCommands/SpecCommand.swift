import ArgumentParser
import Verdict
import VerdictCore
import VerdictONNX
import VerdictVNNLIB

/// `verdict spec`: parse a VNN-LIB property and summarise it.
struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spec",
        abstract: "Parse a VNN-LIB property and summarise its input boxes and unsafe region.",
        discussion: "Example: verdict spec benchmarks/examples/digits/properties/digit_0_eps_0.05.vnnlib --network benchmarks/examples/digits/digits.onnx")

    @Argument(help: "The VNN-LIB property.")
    var property: String

    @Option(help: "An ONNX model to check the property against (input and output counts).")
    var network: String?

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let start = ContinuousClock.now
        let parsed = try VNNLIBParser.parse(contentsOf: property)
        let parseMilliseconds = milliseconds(since: start)
        if let network {
            let model = try ONNXImporter.load(path: network).network
            try ModelFiles.checkSizes(parsed, path: property, model, networkPath: network)
        }
        let cases = parsed.cases.map { item -> [String: Any] in
            let widths = item.box.widths
            return [
                "disjuncts": item.unsafe.disjuncts.map { $0.map(\.description) },
                "box_lower": item.box.lower, "box_upper": item.box.upper,
                "min_width": widths.min() ?? 0, "max_width": widths.max() ?? 0,
            ]
        }
        if json {
            try printJSON([
                "property": property, "inputs": parsed.inputCount, "outputs": parsed.outputCount,
                "cases": cases, "parse_milliseconds": parseMilliseconds,
            ])
            return
        }
        print("property    \(property)")
        print("inputs      \(parsed.inputCount) (X_0 ... X_\(parsed.inputCount - 1))")
        print("outputs     \(parsed.outputCount) (Y_0 ... Y_\(parsed.outputCount - 1))")
        print("cases       \(parsed.cases.count) input box(es), \(parsed.disjunctCount) unsafe disjunct(s), \(parsed.constraintCount) output constraint(s)")
        print("parsed in   \(String(format: "%.2f", parseMilliseconds)) ms")
        for (index, item) in parsed.cases.enumerated() {
            let widths = item.box.widths
            print("case \(index): box widths \(widths.min() ?? 0) ... \(widths.max() ?? 0); unsafe when any of:")
            for conjunction in item.unsafe.disjuncts {
                print("  " + (conjunction.isEmpty ? "true" : conjunction.map(\.description).joined(separator: " and ")))
            }
        }
    }
}
