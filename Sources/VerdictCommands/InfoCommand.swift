import ArgumentParser
import VerdictCore
import VerdictONNX

/// `verdict info`: what a network is made of, as Verdict sees it after import.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Show a network's layers, shapes, parameters and ReLU count.",
        discussion: "Example: verdict info benchmarks/examples/digits/digits.onnx")

    @Argument(help: "The ONNX model.")
    var model: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let start = ContinuousClock.now
        let imported = try ONNXImporter.load(path: model, multipleInputsAndOutputs: true)
        global.logger("verdict.info").debug("imported \(model) in \(milliseconds(since: start)) ms")
        let network = imported.network
        // Layers the output does not read: the search leaves them out (``Verifier/searchNetwork(for:options:)``).
        let used = Set(network.usedNodeIndices)
        let unused = network.nodes.indices.filter { !used.contains($0) }
        if json {
            try printJSON([
                "model": model,
                "producer": imported.producer,
                "opset": imported.opsetVersion,
                "input": ["name": imported.inputName, "shape": network.inputShape.dimensions, "count": network.inputCount],
                "output": ["name": imported.outputName, "shape": network.outputShape.dimensions, "count": network.outputCount],
                "graph_inputs": imported.inputs.map { ["name": $0.name, "shape": $0.shape, "type": $0.elementType, "initialized": $0.hasDefault] as [String: Any] },
                "graph_outputs": imported.outputs.map { ["name": $0.name, "shape": $0.shape, "type": $0.elementType] as [String: Any] },
                "layers": network.nodes.enumerated().map { index, node in
                    [
                        "index": index, "operator": node.layer.operatorName, "shape": node.layer.outputShape.dimensions,
                        "parameters": node.layer.parameterCount, "inputs": node.inputs.map(\.valueIndex), "origin": node.origin,
                    ] as [String: Any]
                },
                "parameters": network.parameterCount,
                "relus": network.activationCount,
                "sequential": network.isSequential,
                "unused_layers": unused,
                "onnx_operators": imported.operatorCounts,
            ])
            return
        }
        var rows = [["#", "layer", "output shape", "parameters", "reads", "from"]]
        for (index, node) in network.nodes.enumerated() {
            rows.append([
                "\(index)", node.layer.description, "\(node.layer.outputShape)", "\(node.layer.parameterCount)",
                node.inputs.map(\.description).joined(separator: ", "), node.origin,
            ])
        }
        let free = imported.inputs.filter { !$0.hasDefault }
        let inputs = free.count == 1
            ? "'\(imported.inputName)' \(network.inputShape), \(network.inputCount) values"
            : free.map { "'\($0.name)' \($0.shape)" }.joined(separator: ", ") + ", \(network.inputCount) values laid end to end"
        let outputs = imported.outputs.count == 1
            ? "'\(imported.outputName)' \(network.outputShape), \(network.outputCount) values"
            : imported.outputs.map { "'\($0.name)' \($0.shape)" }.joined(separator: ", ") + ", \(network.outputCount) values laid end to end"
        let operators = imported.operatorCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("""
            model       \(model)
            producer    \(imported.producer.isEmpty ? "unknown" : imported.producer), opset \(imported.opsetVersion)
            input       \(inputs)
            output      \(outputs)
            parameters  \(network.parameterCount)
            ReLUs       \(network.activationCount)
            ONNX nodes  \(operators)\(unused.isEmpty ? "" : "\nunused      layers \(unused.map(String.init).joined(separator: ", ")) do not reach the output (verification leaves them out)")
            layers (\(network.isSequential ? "a chain" : "a graph")):
            \(table(rows, indent: "  "))
            """)
    }
}
