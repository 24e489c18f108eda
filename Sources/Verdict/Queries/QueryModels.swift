import Foundation
import VerdictCore
import VerdictONNX
import VerdictVNNLIB

/// A VNN-LIB 2.0 query bound to its ONNX models: the network Verdict verifies (every
/// declared network side by side, a product network, with the declared hidden values and the
/// passthrough inputs as extra outputs), the property over it, and the way back from a
/// witness to the standard's assignment of every declared variable.
public struct LoadedQuery: Sendable {
    public let query: Query
    public let network: Network
    public let property: Property
    public let layout: QueryLayout
    /// The models by declared network, in declaration order.
    public let models: [ONNXModel]
    /// For a float32 or float64 query: the model network and the property in float semantics
    /// (``network`` and ``property`` are then the network widened by its rounding bounds and
    /// the property over it). Its ``FloatEvaluation/confirmed(_:)`` turns a result into one
    /// about float evaluation.
    public let floatEvaluation: FloatEvaluation?

    /// `options` for searching ``network``: a float query's noise inputs are not split, and a
    /// witness must hold for every float evaluation at its input.
    public func searchOptions(_ options: VerificationOptions) -> VerificationOptions {
        guard let floatEvaluation else { return options }
        var options = options
        options.noiseInputCount = floatEvaluation.radii.count
        options.witnessFilter = { floatEvaluation.isFloatWitness($0) }
        return options
    }

    /// `result` as an answer to the query: for a float query, a `sat` stands only if every
    /// float evaluation at the witness's input is unsafe (``FloatEvaluation/confirmed(_:)``).
    public func answer(_ result: VerificationResult) -> VerificationResult {
        floatEvaluation?.confirmed(result) ?? result
    }

    /// Every declared variable with its values for a witness of ``network``: inputs from the
    /// input, hidden values and outputs from the outputs, initialized inputs their defaults.
    public func assignment(input: [Double], outputs: [Double]) -> [(declaration: TensorDeclaration, values: [Double])] {
        var result: [(declaration: TensorDeclaration, values: [Double])] = []
        for (network, model) in zip(query.networks, models) {
            for (index, declaration) in network.tensors.enumerated() {
                let count = declaration.elementCount
                switch layout.places[declaration.name] {
                case .input(let elements)?: result.append((declaration, elements.map { input[$0] }))
                case .output(let offset)?: result.append((declaration, Array(outputs[offset..<(offset + count)])))
                case nil: result.append((declaration, model.inputs[index].defaultValues))
                }
            }
        }
        return result
    }
}

public enum QueryModels {
    /// Binds `query` (read from `file`) to model files by network name. A query with one
    /// network may name its model without `NAME=`: pass it under the empty name.
    public static func load(_ query: Query, file: String, networks paths: [String: String]) throws -> LoadedQuery {
        try QueryCompiler.check(query, file: file)
        let floatType = try Self.floatType(query, file: file)
        let resolved = try resolvePaths(query, file: file, paths)
        var models: [ONNXModel] = []
        for (network, path) in zip(query.networks, resolved) {
            let hidden = network.hidden.map { $0.onnxName ?? "" }
            let model = try ONNXImporter.load(path: path, exposing: hidden, multipleInputsAndOutputs: true, floatFormat: floatType?.format)
            try QueryBinding(file: file, network: network, model: model).check()
            if case .isomorphicTo(let target)? = network.equivalence, let index = query.networks.firstIndex(where: { $0.name == target }) {
                try QueryBinding.checkIsomorphic(network, model, to: models[index], file: file)
            }
            models.append(model)
        }
        let (layout, networkInputs) = Self.layout(query, models)
        let compiled = try QueryCompiler.compile(query, file: file, layout: layout, floatType: floatType)
        let network = try ProductNetwork.build(
            models.map(\.network), inputs: networkInputs, inputCount: layout.inputCount, outputCount: layout.outputCount,
            passthrough: compiled.passthroughInputs)
        guard let floatType else {
            return LoadedQuery(query: query, network: network, property: compiled.property, layout: layout, models: models, floatEvaluation: nil)
        }
        let float: FloatEvaluation
        do {
            float = try FloatEvaluation.build(network, property: compiled.property, format: floatType.format)
        } catch let problem as FloatEvaluationError {
            throw VNNLIBError(
                file: file, line: query.networks[0].line, column: query.networks[0].column,
                message: "a \(floatType.rawValue) query needs a bound on the rounding of every value the runtime computes: \(problem.description); declare the query real to ask for real-arithmetic analysis")
        }
        return LoadedQuery(
            query: query, network: float.network, property: float.widenedProperty, layout: layout, models: models, floatEvaluation: float)
    }

    /// The query's floating-point type (nil for `real`); one type for every variable.
    private static func floatType(_ query: Query, file: String) throws -> QueryCompiler.FloatType? {
        let declarations = query.declarations
        guard let first = declarations.first, !first.isReal else { return nil }
        let type = QueryCompiler.FloatType(rawValue: first.elementType)
        if let other = declarations.first(where: { $0.isReal || QueryCompiler.FloatType(rawValue: $0.elementType) != type }) {
            throw VNNLIBError(
                file: file, line: other.line, column: other.column,
                message: "\(other.name) is \(other.isReal ? "real" : other.elementType) beside \(first.name) of \(first.elementType); Verdict answers queries whose variables are all real, all float32 or all float64")
        }
        return type
    }

    /// The model path of each declared network: its own, or its equal-to target's.
    private static func resolvePaths(_ query: Query, file: String, _ paths: [String: String]) throws -> [String] {
        let needing = query.networks.filter { if case .equalTo? = $0.equivalence { return false } else { return true } }.map(\.name)
        var paths = paths
        if let unnamed = paths.removeValue(forKey: "") {
            guard query.networks.count == 1, paths.isEmpty else {
                throw FileMismatch(description: "\(file) declares networks \(needing.joined(separator: ", ")); name each model: --network NAME=PATH")
            }
            paths[query.networks[0].name] = unnamed
        }
        if let missing = needing.first(where: { paths[$0] == nil }) {
            throw FileMismatch(description: "\(file) declares network \(missing) but no model is given for it: pass --network \(missing)=PATH")
        }
        if let extra = paths.keys.sorted().first(where: { !needing.contains($0) }) {
            let declared = query.networks.contains { $0.name == extra }
            throw FileMismatch(description: declared
                ? "--network \(extra): \(file) declares \(extra) equal-to another network, which supplies its model; give none for it"
                : "--network \(extra): \(file) declares no network of that name (it declares \(query.networks.map(\.name).joined(separator: ", ")))")
        }
        return query.networks.map { network in
            if case .equalTo(let target)? = network.equivalence { return paths[target]! }
            return paths[network.name]!
        }
    }

    /// Inputs laid end to end network by network (initialized inputs are constants and take
    /// no place; input elements a top-level assertion sets equal share one); outputs network
    /// by network, each network's outputs then its hidden values. Also the input elements each
    /// network reads, in its own order.
    private static func layout(_ query: Query, _ models: [ONNXModel]) -> (QueryLayout, [[Int]]) {
        var free: [String: TensorDeclaration] = [:]
        for (network, model) in zip(query.networks, models) {
            for (declaration, port) in zip(network.inputs, model.inputs) where !port.hasDefault { free[declaration.name] = declaration }
        }
        var sharing = ElementSharing()
        for (a, b) in QueryCompiler.topLevelEqualities(query) where free[a.0] != nil && free[b.0] != nil { sharing.join(a, b) }
        var places: [String: QueryLayout.Place] = [:]
        var inputIndex: [String: Int] = [:]  // an element's representative → its input
        var outputOffset = 0
        var networkInputs: [[Int]] = []
        for network in query.networks {
            var reads: [Int] = []
            for declaration in network.inputs where free[declaration.name] != nil {
                let elements = (0..<declaration.elementCount).map { flat -> Int in
                    let key = sharing.representative((declaration.name, flat))
                    if let known = inputIndex[key] { return known }
                    inputIndex[key] = inputIndex.count
                    return inputIndex.count - 1
                }
                places[declaration.name] = .input(elements)
                reads += elements
            }
            for declaration in network.outputs + network.hidden {
                places[declaration.name] = .output(outputOffset)
                outputOffset += declaration.elementCount
            }
            networkInputs.append(reads)
        }
        return (QueryLayout(places: places, inputCount: inputIndex.count, outputCount: outputOffset), networkInputs)
    }
}

/// Union-find over input elements `(variable, flat index)`.
private struct ElementSharing {
    private var parent: [String: String] = [:]

    private static func key(_ element: (String, Int)) -> String { "\(element.0)#\(element.1)" }

    mutating func representative(_ element: (String, Int)) -> String { find(Self.key(element)) }

    private mutating func find(_ key: String) -> String {
        guard let up = parent[key], up != key else { return key }
        let root = find(up)
        parent[key] = root
        return root
    }

    mutating func join(_ a: (String, Int), _ b: (String, Int)) {
        let (rootA, rootB) = (find(Self.key(a)), find(Self.key(b)))
        if rootA != rootB { parent[rootB] = rootA }
    }
}
