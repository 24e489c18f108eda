import Foundation
import VerdictONNX

/// Builds small ONNX models in memory through the generated protobuf types, for tests of the
/// importer's folding rules and of its error messages, and of float evaluation's rounding bounds.
public struct ModelBuilder {
    public var model = Onnx_ModelProto()

    /// `elementType` is the ONNX type of the input and output (1 float, 11 double).
    public init(inputName: String = "x", inputShape: [Int], outputName: String = "y", outputShape: [Int] = [], opset: Int64 = 13, elementType: Int32 = 1) {
        model.irVersion = 7
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.version = opset
        model.opsetImport = [opsetID]
        model.producerName = "verdict-tests"
        model.graph.name = "test"
        model.graph.input = [ModelBuilder.valueInfo(inputName, shape: inputShape, elementType: elementType)]
        model.graph.output = [ModelBuilder.valueInfo(outputName, shape: outputShape, elementType: elementType)]
    }

    public static func valueInfo(_ name: String, shape: [Int], elementType: Int32 = 1) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensorType = Onnx_TypeProto.Tensor()
        tensorType.elemType = elementType
        var shapeProto = Onnx_TensorShapeProto()
        shapeProto.dim = shape.map { size in
            var dimension = Onnx_TensorShapeProto.Dimension()
            dimension.dimValue = Int64(size)
            return dimension
        }
        tensorType.shape = shapeProto
        info.type.tensorType = tensorType
        return info
    }

    public mutating func initializer(_ name: String, shape: [Int], values: [Float]) {
        append(name, shape: shape, type: .float) { $0.floatData = values }
    }

    public mutating func doubleInitializer(_ name: String, shape: [Int], values: [Double]) {
        append(name, shape: shape, type: .double) { $0.doubleData = values }
    }

    public mutating func integerInitializer(_ name: String, values: [Int64]) {
        append(name, shape: [values.count], type: .int64) { $0.int64Data = values }
    }

    /// An initializer of `type` whose values `fill` sets.
    private mutating func append(_ name: String, shape: [Int], type: Onnx_TensorProto.DataType, fill: (inout Onnx_TensorProto) -> Void) {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dims = shape.map(Int64.init)
        tensor.dataType = Int32(type.rawValue)
        fill(&tensor)
        model.graph.initializer.append(tensor)
    }

    public mutating func node(_ opType: String, _ inputs: [String], _ outputs: [String], name: String = "", attributes: [Onnx_AttributeProto] = []) {
        var node = Onnx_NodeProto()
        node.opType = opType
        node.input = inputs
        node.output = outputs
        node.name = name
        node.attribute = attributes
        model.graph.node.append(node)
    }

    public static func integer(_ name: String, _ value: Int64) -> Onnx_AttributeProto {
        attribute(name, .int) { $0.i = value }
    }

    public static func integers(_ name: String, _ values: [Int64]) -> Onnx_AttributeProto {
        attribute(name, .ints) { $0.ints = values }
    }

    public static func float(_ name: String, _ value: Float) -> Onnx_AttributeProto {
        attribute(name, .float) { $0.f = value }
    }

    /// An attribute of `type` whose value `set` fills in.
    private static func attribute(_ name: String, _ type: Onnx_AttributeProto.AttributeType, set: (inout Onnx_AttributeProto) -> Void) -> Onnx_AttributeProto {
        var attribute = Onnx_AttributeProto()
        attribute.name = name
        attribute.type = type
        set(&attribute)
        return attribute
    }

    public func serialized() throws -> Data {
        try model.serializedData()
    }

    /// Writes the model to a temporary file (for onnxruntime) and returns its path.
    public func write(named name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-tests-\(ProcessInfo.processInfo.processIdentifier)-\(name).onnx")
        try serialized().write(to: url)
        return url.path
    }
}

/// Reproducible random Float32 values.
public func randomFloats(_ count: Int, in range: ClosedRange<Float> = -1...1, seed: inout UInt64) -> [Float] {
    (0..<count).map { _ in
        seed = seed &* 6364136223846793005 &+ 1442695040888963407
        let unit = Float(seed >> 40) / Float(1 << 24)
        return range.lowerBound + unit * (range.upperBound - range.lowerBound)
    }
}
