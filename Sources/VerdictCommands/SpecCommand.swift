import ArgumentParser
import Foundation
import Verdict
import VerdictCore
import VerdictONNX
import VerdictVNNLIB

/// The VNN-LIB versions `spec --to` writes.
enum SpecVersion: String, ExpressibleByArgument, CaseIterable {
    case v1 = "1.0"
    case v2 = "2.0"
}

/// `verdict spec`: parse a VNN-LIB property or query, summarise it, or convert it.
struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spec",
        abstract: "Parse a VNN-LIB property (1.0) or query (2.0); summarise its input boxes and unsafe region, or convert it.",
        discussion: """
            A 2.0 query is summarised as the property Verdict verifies once its networks are \
            given (--network NAME=PATH each). --to 2.0 writes a 1.0 property as a 2.0 query \
            (the model gives the shapes; variables are real); --to 1.0 writes a query over \
            one network with one input and one output as a 1.0 property. Examples:
              verdict spec benchmarks/examples/digits/properties/digit_0_eps_0.05.vnnlib --network benchmarks/examples/digits/digits.onnx
              verdict spec benchmarks/examples/digits/properties/digit_0_eps_0.05.vnnlib --network benchmarks/examples/digits/digits.onnx --to 2.0
            """)

    @Argument(help: "The VNN-LIB property or query.")
    var property: String

    @Option(help: "An ONNX model to check the property against, as PATH or NAME=PATH (a 2.0 query: once per network).")
    var network: [String] = []

    @Option(help: "Write the property in this VNN-LIB version to stdout instead of summarising it: \(SpecVersion.allCases.map(\.rawValue).joined(separator: ", ")).")
    var to: SpecVersion?

    @Option(help: "With --to 2.0: the element type to declare (real, float32 or float64; default real, the 1.0 property's meaning).")
    var elementType: String = "real"

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    private var networkPaths: [(name: String, path: String)] { ModelFiles.namedPaths(network) }

    func validate() throws {
        guard elementType == "real" || QueryCompiler.FloatType(rawValue: elementType) != nil else {
            throw ValidationError("--element-type \(elementType): real, float32 or float64")
        }
        if elementType != "real" && to != .v2 { throw ValidationError("--element-type is for --to 2.0") }
    }

    func run() throws {
        let start = ContinuousClock.now
        let document = try VNNLIBParser.document(contentsOf: property)
        let parseMilliseconds = milliseconds(since: start)
        if let to {
            try convert(document, to: to)
            return
        }
        let parsed: Property
        var rounding: String?
        switch document {
        case .query(let query):
            guard !network.isEmpty else {
                try QueryCompiler.check(query, file: property)
                print("query       \(property) (VNN-LIB \(query.version))")
                for declaration in query.networks {
                    print("network     \(declaration.name)" + (declaration.equivalence.map { " (\($0))" } ?? ""))
                    for tensor in declaration.tensors {
                        print("  \(tensor.kind.rawValue) \(tensor.name) \(tensor.elementType) \(tensor.shape)" + (tensor.onnxName.map { " \"\($0)\"" } ?? ""))
                    }
                }
                print("assertions  \(query.assertions.count) (give --network NAME=PATH for the property Verdict verifies)")
                return
            }
            let problem = try ModelFiles.problem(at: property, networks: networkPaths)
            // A float query: the property in float semantics, over the model's own inputs.
            parsed = problem.query?.floatEvaluation?.property ?? problem.property
            rounding = problem.query?.floatEvaluation?.summary
        case .property(let property1):
            parsed = property1
            guard networkPaths.count <= 1 else {
                throw ValidationError("\(property) is a VNN-LIB 1.0 property, which is about one network; give one --network")
            }
            if let path = networkPaths.first?.path {
                try ModelFiles.checkSizes(parsed, path: property, try ModelFiles.network(at: path), networkPath: path)
            }
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
            var object: [String: Any] = [
                "property": property, "inputs": parsed.inputCount, "outputs": parsed.outputCount,
                "cases": cases, "parse_milliseconds": parseMilliseconds,
            ]
            if let rounding { object["rounding"] = rounding }
            try printJSON(object)
            return
        }
        print("property    \(property)")
        print("inputs      \(parsed.inputCount) (X_0 ... X_\(parsed.inputCount - 1)\(document.isQuery ? ", all declared inputs laid end to end" : ""))")
        print("outputs     \(parsed.outputCount) (Y_0 ... Y_\(parsed.outputCount - 1)\(document.isQuery ? ", the declared outputs and hidden values, then inputs the assertions relate" : ""))")
        print("cases       \(parsed.cases.count) input box(es), \(parsed.disjunctCount) unsafe disjunct(s), \(parsed.constraintCount) output constraint(s)")
        print("parsed in   \(String(format: "%.2f", parseMilliseconds)) ms")
        if let rounding { print("rounding    \(rounding)") }
        for (index, item) in parsed.cases.enumerated() {
            let widths = item.box.widths
            print("case \(index): box widths \(widths.min() ?? 0) ... \(widths.max() ?? 0); unsafe when any of:")
            for conjunction in item.unsafe.disjuncts {
                print("  " + (conjunction.isEmpty ? "true" : conjunction.map(\.description).joined(separator: " and ")))
            }
        }
    }

    /// Writes the property or query in the other version.
    private func convert(_ document: VNNLIBParser.Document, to version: SpecVersion) throws {
        switch (document, version) {
        case (.query(let query), .v1):
            print(try QueryConversion.version1(of: query, file: property), terminator: "")
        case (.property, .v2):
            guard networkPaths.count == 1, let path = networkPaths.first?.path else {
                throw ValidationError("--to 2.0 needs the model (--network PATH): the query declares the model's shapes")
            }
            let model = try ONNXImporter.load(path: path)
            guard let text = String(data: try Data(contentsOf: URL(fileURLWithPath: property)), encoding: .utf8) else {
                throw ValidationError("\(property) is not UTF-8 text")
            }
            print(try QueryConversion.version2(
                of: text, file: property, inputs: model.inputs.map { .init(shape: $0.shape, hasDefault: $0.hasDefault) },
                outputShape: model.outputs[0].shape, elementType: elementType), terminator: "")
        case (.query, .v2), (.property, .v1):
            throw ValidationError("\(property) is already VNN-LIB \(version.rawValue)")
        }
    }
}

extension VNNLIBParser.Document {
    var isQuery: Bool { if case .query = self { return true } else { return false } }
}
