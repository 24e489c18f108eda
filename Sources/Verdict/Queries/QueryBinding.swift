import VerdictCore
import VerdictONNX
import VerdictVNNLIB

/// Checks one network declaration against its model, as the standard's model typing asks:
/// every graph input and output declared, in the model's order, with the model's shapes and
/// element types (`real` matches any), hidden declarations naming values of the declared
/// shape, and inputs with an initializer's default marked `initialized` (the only way Verdict
/// reads them). Types Verdict cannot treat soundly (other than real, float32, float64) are refused here.
struct QueryBinding {
    let file: String
    let network: NetworkDeclaration
    let model: ONNXModel

    private func error(_ message: String, _ declaration: TensorDeclaration? = nil) -> VNNLIBError {
        VNNLIBError(file: file, line: declaration?.line ?? network.line, column: declaration?.column ?? network.column, message: message)
    }

    func check() throws {
        try checkCounts(network.inputs.count, model.inputs.count, "input", model.inputs.map(\.name))
        try checkCounts(network.outputs.count, model.outputs.count, "output", model.outputs.map(\.name))
        for (declaration, port) in zip(network.inputs, model.inputs) {
            try checkPort(declaration, port)
            if port.hasDefault && !declaration.initialized {
                throw error(
                    "\(declaration.name) is graph input '\(port.name)' of \(model.file), which an initializer gives a default; Verdict reads it as that constant: declare it `initialized` (VNN-LIB 2.1)",
                    declaration)
            }
            if declaration.initialized && !port.hasDefault {
                throw error("\(declaration.name) is declared initialized, but graph input '\(port.name)' of \(model.file) has no initializer", declaration)
            }
        }
        for (declaration, port) in zip(network.outputs, model.outputs) { try checkPort(declaration, port) }
        for (declaration, port) in zip(network.hidden, model.hidden) { try checkPort(declaration, port) }
        if let unsound = network.tensors.first(where: { !$0.isReal && QueryCompiler.FloatType(rawValue: $0.elementType) == nil }) {
            throw error(
                """
                \(unsound.name) is \(unsound.elementType): Verdict answers soundly for real arithmetic and for float32 and float64 \
                evaluation, not for \(unsound.elementType), so it cannot answer this query; declare the variables real to ask for \
                real-arithmetic analysis
                """, unsound)
        }
    }

    private func checkCounts(_ declared: Int, _ actual: Int, _ what: String, _ names: [String]) throws {
        guard declared != actual else { return }
        throw error("""
            network \(network.name) declares \(declared) \(what)(s) but \(model.file) has \(actual) graph \(what)(s) \
            (\(names.map { "'\($0)'" }.joined(separator: ", "))); declare every one, in the model's order
            """)
    }

    private func checkPort(_ declaration: TensorDeclaration, _ port: ONNXModel.Port) throws {
        let place = declaration.kind == .hidden ? "ONNX value '\(port.name)'" : "graph \(declaration.kind.rawValue) '\(port.name)'"
        if !declaration.isReal && declaration.elementType != port.elementType {
            throw error("\(declaration.name) is declared \(declaration.elementType) but \(place) of \(model.file) is \(port.elementType)", declaration)
        }
        guard declaration.shape.count == port.shape.count,
            zip(declaration.shape, port.shape).enumerated().allSatisfy({ axis, pair in pair.0 == pair.1 || (port.symbolicAxes.contains(axis) && pair.0 == 1) })
        else {
            let symbolic = port.symbolicAxes.isEmpty ? "" : " (Verdict sets its dynamic axes \(port.symbolicAxes) to 1)"
            throw error("\(declaration.name) is declared \(declaration.shape) but \(place) of \(model.file) has shape \(port.shape)\(symbolic)", declaration)
        }
    }

    /// `isomorphic-to`: the same graph (operators, their counts, the interface's shapes),
    /// other weights.
    static func checkIsomorphic(_ network: NetworkDeclaration, _ model: ONNXModel, to other: ONNXModel, file: String) throws {
        let shapes = { (model: ONNXModel) in (model.inputs + model.outputs).map(\.shape) }
        guard model.operatorCounts == other.operatorCounts, shapes(model) == shapes(other), model.network.nodes.count == other.network.nodes.count,
            zip(model.network.nodes, other.network.nodes).allSatisfy({ $0.layer.operatorName == $1.layer.operatorName && $0.inputs == $1.inputs })
        else {
            throw VNNLIBError(
                file: file, line: network.line, column: network.column,
                message: "\(network.name) is declared isomorphic-to \(network.equivalence?.target ?? ""), but \(model.file) and \(other.file) do not have the same graph")
        }
    }
}
