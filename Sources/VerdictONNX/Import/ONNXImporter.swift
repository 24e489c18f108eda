import Foundation
import SwiftProtobuf
import VerdictCore

/// A network read from an ONNX file, with what `verdict info` shows about its origin.
public struct ONNXModel: Sendable {
    /// One named tensor at the edge of the network: a graph input or output, or an exposed
    /// hidden node output.
    public struct Port: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        /// The ONNX element type in the standard's spelling (`float32`, `float64`).
        public let elementType: String
        /// Axes the file leaves symbolic (a free batch axis); read as 1.
        public let symbolicAxes: [Int]
        /// A graph input that an initializer gives a default value: Verdict reads it as that
        /// constant, and it is not part of the network input.
        public var hasDefault = false
        /// The default's values, row-major (inputs with a default only).
        public var defaultValues: [Double] = []
    }

    /// Takes the graph inputs laid end to end (in file order) and gives the graph outputs,
    /// then the exposed hidden values, laid end to end.
    public let network: Network
    public let file: String
    /// Every graph input in file order, those with an initializer's default included.
    public let inputs: [Port]
    public let outputs: [Port]
    public let hidden: [Port]
    public var inputName: String { (inputs.first { !$0.hasDefault } ?? inputs[0]).name }
    public var outputName: String { outputs[0].name }
    public let producer: String
    public let opsetVersion: Int
    /// How many nodes of each ONNX operator the file has.
    public let operatorCounts: [String: Int]
}

/// Imports ONNX models into the network IR.
///
/// Linear operators with constant operands (Gemm, MatMul, Add, Sub, Mul, Div,
/// BatchNormalization, Flatten, Reshape, Squeeze, Unsqueeze, Transpose, Identity, Dropout)
/// are folded into ``AffineLayer``s; `Relu` becomes a ``ReLULayer``. Folding is done in
/// `Double`: the imported network computes the same real function as the file (up to one
/// rounding of each folded parameter, which only matters when pre-processing is folded).
/// An unsupported operator is an error naming the operator, the node and the file.
public enum ONNXImporter {
    /// The ONNX operators the importer reads, by name.
    public static var supportedOperators: [String] { GraphImporter.rules.keys.sorted() }
    /// The opsets the operator schemas follow.
    public static let supportedOpsets = 1...21

    /// `exposing` names hidden values (ONNX node outputs) to add after the graph outputs.
    /// `multipleInputsAndOutputs` allows graphs with several of either (the VNN-LIB 2.0 path);
    /// without it a graph must have exactly one of each, as a 1.0 property assumes.
    /// `floatFormat` makes every node record how far a runtime's evaluation of it in that
    /// type can be from its real value (``Network/Node/rounding``); constants computed from
    /// constants are then rounded as the runtime computes them, and the pass that merges
    /// standalone scale-shift layers into their neighbours is skipped.
    public static func load(path: String, exposing hidden: [String] = [], multipleInputsAndOutputs: Bool = false, floatFormat: FloatFormat? = nil) throws -> ONNXModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ONNXImportError(file: path, message: "the file \(reason)")
        }
        return try load(data: data, file: path, exposing: hidden, multipleInputsAndOutputs: multipleInputsAndOutputs, floatFormat: floatFormat)
    }

    public static func load(
        data: Data, file: String = "<data>", exposing hidden: [String] = [], multipleInputsAndOutputs: Bool = false, floatFormat: FloatFormat? = nil
    ) throws -> ONNXModel {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ONNXImportError(file: file, message: "not a valid ONNX model: the protobuf cannot be decoded (\(error)); is the file truncated or not ONNX?")
        }
        return try load(model: model, file: file, exposing: hidden, multipleInputsAndOutputs: multipleInputsAndOutputs, floatFormat: floatFormat)
    }

    public static func load(
        model: Onnx_ModelProto, file: String = "<model>", exposing hidden: [String] = [], multipleInputsAndOutputs: Bool = false,
        floatFormat: FloatFormat? = nil
    ) throws -> ONNXModel {
        guard model.hasGraph, !model.graph.node.isEmpty || !model.graph.output.isEmpty else {
            throw ONNXImportError(file: file, message: "not a valid ONNX model: it has no graph")
        }
        let graph = model.graph
        var initializers: [String: ConstantTensor] = [:]
        for tensor in graph.initializer {
            guard initializers[tensor.name] == nil else {
                throw ONNXImportError(file: file, place: "initializer '\(tensor.name)'", message: "two initializers have this name; each tensor must have one definition")
            }
            do {
                initializers[tensor.name] = try ConstantTensor(tensor)
            } catch let problem as NodeProblem {
                throw ONNXImportError(file: file, place: "initializer '\(tensor.name)'", message: problem.message)
            }
        }
        // Old exporters list initializers among the graph inputs; the real input is the rest.
        let inputs = graph.input.filter { initializers[$0.name] == nil }
        if multipleInputsAndOutputs {
            guard !inputs.isEmpty else { throw ONNXImportError(file: file, message: "the graph has no input that is not an initializer") }
            guard !graph.output.isEmpty else { throw ONNXImportError(file: file, message: "the graph has no output") }
        } else {
            guard inputs.count == 1 else {
                throw ONNXImportError(file: file, message: "expected exactly one graph input that is not an initializer, found \(inputs.count): \(inputs.map(\.name))")
            }
            guard graph.output.count == 1 else {
                throw ONNXImportError(file: file, message: "expected exactly one graph output, found \(graph.output.count)")
            }
        }
        let inputPorts = try inputs.map { try port(of: $0, file: file) }
        for input in inputs { try checkFloatingTypes(graph.initializer, input: input, file: file) }

        var importer = GraphImporter(initializers: initializers)
        importer.format = floatFormat
        importer.defineInputs(inputPorts.map { ($0.name, $0.shape) })
        var operatorCounts: [String: Int] = [:]
        for (index, node) in graph.node.enumerated() {
            operatorCounts[node.opType, default: 0] += 1
            let place = node.name.isEmpty ? "node #\(index) (\(node.opType))" : "node '\(node.name)' (\(node.opType), #\(index))"
            let label = node.name.isEmpty ? "\(node.opType) #\(index)" : "\(node.opType) '\(node.name)'"
            importer.currentOrigin = label
            do {
                try importer.apply(node, label: label)
            } catch let problem as NodeProblem {
                throw ONNXImportError(file: file, place: place, message: problem.message)
            }
        }
        let elementType = inputPorts[0].elementType
        if let other = inputPorts.first(where: { $0.elementType != elementType }) {
            throw ONNXImportError(file: file, place: "graph input '\(other.name)'", message: "element type \(other.elementType) beside \(elementType) inputs; Verdict needs one floating-point type")
        }
        let declaredOutputTypes = Dictionary(graph.output.map { ($0.name, declaredElementType($0)) }, uniquingKeysWith: { first, _ in first })
        var outputValues: [ValueID] = [], outputPorts: [ONNXModel.Port] = [], hiddenPorts: [ONNXModel.Port] = []
        for (name, isHidden) in graph.output.map({ ($0.name, false) }) + hidden.map({ ($0, true) }) {
            let place = isHidden ? "hidden value '\(name)'" : "graph output '\(name)'"
            importer.currentOrigin = isHidden ? "hidden '\(name)'" : "output '\(name)'"
            let result: ImportedValue
            do {
                result = try importer.value(named: name)
            } catch is NodeProblem {
                let message = isHidden ? "the model has no node output of this name" : "no node, input or initializer produces the output"
                throw ONNXImportError(file: file, place: place, message: message)
            }
            guard case .computed(let value) = result else {
                throw ONNXImportError(file: file, place: place, message: "the value does not depend on the input")
            }
            outputValues.append(importer.materialize(value))
            let port = ONNXModel.Port(name: name, shape: value.shape, elementType: (declaredOutputTypes[name] ?? nil) ?? elementType, symbolicAxes: [])
            if isHidden { hiddenPorts.append(port) } else { outputPorts.append(port) }
        }
        let materialized = importer.concatenated(outputValues)
        // Fusion would merge two nodes' roundings; a tracked network keeps them apart.
        let (nodes, outputID) = floatFormat == nil ? ScaleShiftFusion.fused(importer.nodes, output: materialized) : (importer.nodes, materialized)
        let network: Network
        do {
            let inputCount = inputPorts.reduce(0) { $0 + $1.shape.reduce(1, *) }
            let inputShape = inputPorts.count == 1 ? TensorShape(inputPorts[0].shape) : TensorShape([inputCount])
            network = try Network(inputShape: inputShape, nodes: nodes, output: outputID)
        } catch {
            throw ONNXImportError(file: file, message: "\(error)")
        }
        let opset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) } ?? 0
        return ONNXModel(
            network: network, file: file, inputs: graph.input.map { input in
                inputPorts.first { $0.name == input.name } ?? defaultPort(input, initializers[input.name], elementType: elementType)
            }, outputs: outputPorts, hidden: hiddenPorts,
            producer: [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " "),
            opsetVersion: opset, operatorCounts: operatorCounts)
    }

    /// Floating-point initializers must have the input's element type: ONNX operators take
    /// operands of one type, so a double weight in a float network is an invalid model (which
    /// onnxruntime refuses), not one to read in some precision of Verdict's choosing.
    private static func checkFloatingTypes(_ tensors: [Onnx_TensorProto], input: Onnx_ValueInfoProto, file: String) throws {
        guard case .tensorType(let inputType)? = input.type.value else { return }
        let floating = [Onnx_TensorProto.DataType.float, .double, .float16, .bfloat16].map { Int32($0.rawValue) }
        for tensor in tensors where floating.contains(tensor.dataType) && tensor.dataType != inputType.elemType {
            let (own, input) = (ConstantTensor.typeName(tensor.dataType), ConstantTensor.typeName(inputType.elemType))
            throw ONNXImportError(
                file: file, place: "initializer '\(tensor.name)'",
                message: "element type \(own) in a network whose input is \(input); floating-point tensors must share one type")
        }
    }

    /// A graph input backed by an initializer: its shape is the initializer's.
    private static func defaultPort(_ input: Onnx_ValueInfoProto, _ tensor: ConstantTensor?, elementType: String) -> ONNXModel.Port {
        var port = ONNXModel.Port(
            name: input.name, shape: tensor?.shape ?? [], elementType: declaredElementType(input) ?? elementType, symbolicAxes: [])
        port.hasDefault = true
        port.defaultValues = tensor?.values ?? []
        return port
    }

    /// The element type a value info declares, in the standard's spelling; nil when it has none.
    private static func declaredElementType(_ value: Onnx_ValueInfoProto) -> String? {
        guard case .tensorType(let tensorType)? = value.type.value, tensorType.elemType != 0 else { return nil }
        return ConstantTensor.standardTypeName(tensorType.elemType)
    }

    /// The input's name, shape and element type; symbolic or unknown dimensions (a batch axis)
    /// count as 1.
    private static func port(of input: Onnx_ValueInfoProto, file: String) throws -> ONNXModel.Port {
        guard case .tensorType(let tensorType)? = input.type.value else {
            throw ONNXImportError(file: file, place: "graph input '\(input.name)'", message: "the input is not a tensor")
        }
        let floatTypes = [Onnx_TensorProto.DataType.float.rawValue, Onnx_TensorProto.DataType.double.rawValue].map { Int32($0) }
        guard floatTypes.contains(tensorType.elemType) else {
            throw ONNXImportError(file: file, place: "graph input '\(input.name)'", message: "the input has element type \(tensorType.elemType); Verdict needs float or double inputs")
        }
        guard tensorType.hasShape else {
            throw ONNXImportError(file: file, place: "graph input '\(input.name)'", message: "the input has no shape")
        }
        var symbolic: [Int] = []
        let shape = try tensorType.shape.dim.enumerated().map { axis, dimension in
            guard case .dimValue(let value)? = dimension.value else {
                symbolic.append(axis)
                return 1
            }
            // Old exporters write 0 or -1 for a free batch axis: read as symbolic.
            if axis == 0 && (value == 0 || value == -1) {
                symbolic.append(axis)
                return 1
            }
            guard value > 0 else {
                throw ONNXImportError(file: file, place: "graph input '\(input.name)'", message: "the input has dimension \(value); dimensions must be positive")
            }
            return Int(value)
        }
        do {
            try GraphImporter.checkComputedSize(shape)
        } catch let problem as NodeProblem {
            throw ONNXImportError(file: file, place: "graph input '\(input.name)'", message: problem.message)
        }
        let typeName = tensorType.elemType == Int32(Onnx_TensorProto.DataType.double.rawValue) ? "float64" : "float32"
        return ONNXModel.Port(name: input.name, shape: shape, elementType: typeName, symbolicAxes: symbolic)
    }
}
