import Foundation
import SwiftProtobuf
import VerdictCore

/// A network read from an ONNX file, with what `verdict info` shows about its origin.
public struct ONNXModel: Sendable {
    public let network: Network
    public let file: String
    public let inputName: String
    public let outputName: String
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
    public static func load(path: String) throws -> ONNXModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ONNXImportError(file: path, message: "the file \(reason)")
        }
        return try load(data: data, file: path)
    }

    public static func load(data: Data, file: String = "<data>") throws -> ONNXModel {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ONNXImportError(file: file, message: "not a valid ONNX model: the protobuf cannot be decoded (\(error)); is the file truncated or not ONNX?")
        }
        return try load(model: model, file: file)
    }

    public static func load(model: Onnx_ModelProto, file: String = "<model>") throws -> ONNXModel {
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
        guard inputs.count == 1, let input = inputs.first else {
            throw ONNXImportError(file: file, message: "expected exactly one graph input that is not an initializer, found \(inputs.count): \(inputs.map(\.name))")
        }
        guard graph.output.count == 1, let output = graph.output.first else {
            throw ONNXImportError(file: file, message: "expected exactly one graph output, found \(graph.output.count)")
        }
        let inputShape = try shape(of: input, file: file)
        try checkFloatingTypes(graph.initializer, input: input, file: file)

        var importer = GraphImporter(initializers: initializers)
        importer.defineInput(name: input.name, shape: inputShape)
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
        importer.currentOrigin = "output '\(output.name)'"
        let result: ImportedValue
        do {
            result = try importer.value(named: output.name)
        } catch let problem as NodeProblem {
            throw ONNXImportError(file: file, place: "graph output '\(output.name)'", message: problem.message)
        }
        guard case .computed(let outputValue) = result else {
            throw ONNXImportError(file: file, place: "graph output '\(output.name)'", message: "the output does not depend on the input")
        }
        let materialized = importer.materialize(outputValue)
        let (nodes, outputID) = ScaleShiftFusion.fused(importer.nodes, output: materialized)
        let network: Network
        do {
            network = try Network(inputShape: TensorShape(inputShape), nodes: nodes, output: outputID)
        } catch {
            throw ONNXImportError(file: file, message: "\(error)")
        }
        let opset = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }.map { Int($0.version) } ?? 0
        return ONNXModel(
            network: network, file: file, inputName: input.name, outputName: output.name,
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

    /// The input's shape; symbolic or unknown dimensions (a batch axis) count as 1.
    private static func shape(of input: Onnx_ValueInfoProto, file: String) throws -> [Int] {
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
        let shape = try tensorType.shape.dim.enumerated().map { axis, dimension in
            guard case .dimValue(let value)? = dimension.value else { return 1 }
            // Old exporters write 0 or -1 for a free batch axis: read as symbolic.
            if axis == 0 && (value == 0 || value == -1) { return 1 }
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
        return shape
    }
}
