import ArgumentParser
import VerdictCore
import VerdictONNX

/// `verdict eval`: run the network on one input, exactly, in Double and Float32.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a network on one input (Double and Float32).",
        discussion: """
            The input file is a JSON array of numbers (nested arrays are flattened in row-major \
            order) or one number a line. Example:
              verdict eval benchmarks/examples/digits/digits.onnx --input benchmarks/examples/digits/inputs/digit_0.json
            """)

    @Argument(help: "The ONNX model.")
    var model: String

    @Option(name: .shortAndLong, help: "File with the input values.")
    var input: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let network = try ONNXImporter.load(path: model).network
        let values = try InputVectorFile.read(path: input)
        guard values.count == network.inputCount else {
            throw CommandFailure("\(input) holds \(values.count) values; \(model) takes \(network.inputCount) inputs (shape \(network.inputShape))")
        }
        let outputs = try network.evaluate(values)
        let floatOutputs = try network.evaluateFloat32(values.map { Float($0) })
        let best = outputs.indices.max { outputs[$0] < outputs[$1] } ?? 0
        if json {
            try printJSON(["outputs": outputs, "float32_outputs": floatOutputs.map(Double.init), "argmax": best])
            return
        }
        var rows = [["output", "double", "float32"]]
        for index in outputs.indices { rows.append(["Y_\(index)", "\(outputs[index])", "\(floatOutputs[index])"]) }
        print(table(rows))
        print("argmax Y_\(best)")
    }
}
