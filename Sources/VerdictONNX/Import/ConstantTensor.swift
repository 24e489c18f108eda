import Foundation

/// A tensor whose value is known at import time: an initializer, a `Constant` node, or the
/// result of an operator applied to constants. Stored in `Double`, which holds every Float32,
/// Int32 and (below 2^53) Int64 value exactly.
struct ConstantTensor {
    var shape: [Int]
    var values: [Double]
    /// Whether the tensor's ONNX element type is an integer type (int32, int64). ONNX keeps
    /// the two apart: weights must be floating point, shapes and axes integers, and a file
    /// that mixes them up is refused (onnxruntime refuses it too), never reinterpreted.
    var isInteger: Bool

    init(shape: [Int], values: [Double], isInteger: Bool = false) {
        self.shape = shape
        self.values = values
        self.isInteger = isInteger
    }

    var elementCount: Int { values.count }

    /// The tensor, checked to be floating point, for a use as `role` (weights, a bias).
    func floating(_ role: String) throws -> ConstantTensor {
        guard !isInteger else { throw NodeProblem("the \(role) is an integer tensor; ONNX needs a floating-point one there") }
        return self
    }

    /// Integer values, for shape-like inputs (Reshape's shape, axes).
    func integers() throws -> [Int] {
        guard isInteger else { throw NodeProblem("expected an integer tensor (shape, axes, indices or pads), found a floating-point one") }
        return try values.map { value in
            guard value == value.rounded(), value.magnitude < 0x1p62 else { throw NodeProblem("expected integers, found \(value)") }
            return Int(value)
        }
    }

    /// Decodes an ONNX TensorProto. Floats and doubles must be finite: a network with NaN or
    /// infinite parameters has no meaning to verify.
    init(_ tensor: Onnx_TensorProto) throws {
        let name = tensor.name.isEmpty ? "tensor" : "tensor '\(tensor.name)'"
        if tensor.dataLocation == .external {
            throw NodeProblem("\(name) keeps its data in an external file, which Verdict does not read")
        }
        let shape = tensor.dims.map { Int($0) }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw NodeProblem("\(name) has a negative dimension in \(shape)") }
        guard let count = Self.elementCount(shape) else { throw NodeProblem("\(name) has dimensions \(shape), more values than any file can hold") }
        let raw = tensor.rawData
        let typed = tensor.floatData.count + tensor.doubleData.count + tensor.int32Data.count + tensor.int64Data.count
            + tensor.uint64Data.count + tensor.stringData.count
        guard raw.isEmpty || typed == 0 else { throw NodeProblem("\(name) holds both raw data and typed data; ONNX allows one") }
        let type = Int(tensor.dataType)
        var values: [Double]
        switch type {
        case Onnx_TensorProto.DataType.float.rawValue:
            values = raw.isEmpty ? tensor.floatData.map(Double.init) : try Self.decode(raw, as: UInt32.self, name: name).map { Double(Float(bitPattern: $0)) }
        case Onnx_TensorProto.DataType.double.rawValue:
            values = raw.isEmpty ? tensor.doubleData : try Self.decode(raw, as: UInt64.self, name: name).map { Double(bitPattern: $0) }
        case Onnx_TensorProto.DataType.int64.rawValue:
            values = raw.isEmpty ? tensor.int64Data.map(Double.init) : try Self.decode(raw, as: UInt64.self, name: name).map { Double(Int64(bitPattern: $0)) }
        case Onnx_TensorProto.DataType.bool.rawValue:
            // One byte each in raw data, else int32_data; read as the integers 0 and 1.
            values = raw.isEmpty ? tensor.int32Data.map { $0 != 0 ? 1 : 0 } : raw.map { $0 != 0 ? 1 : 0 }
        case Onnx_TensorProto.DataType.int32.rawValue:
            values = raw.isEmpty ? tensor.int32Data.map(Double.init) : try Self.decode(raw, as: UInt32.self, name: name).map { Double(Int32(bitPattern: $0)) }
        default:
            throw NodeProblem("\(name) has element type \(Self.typeName(tensor.dataType)); Verdict reads float, double, int32 and int64 tensors")
        }
        guard values.count == count else {
            throw NodeProblem("\(name) has shape \(shape) (\(count) values) but holds \(values.count) values")
        }
        guard values.allSatisfy(\.isFinite) else { throw NodeProblem("\(name) contains NaN or infinite values") }
        let integerTypes = [Onnx_TensorProto.DataType.int32, .int64, .bool].map(\.rawValue)
        self.init(shape: shape, values: values, isInteger: integerTypes.contains(type))
    }

    /// The number of elements of `shape`, or nil when the product overflows or passes
    /// ``maximumElements``.
    static func elementCount(_ shape: [Int]) -> Int? {
        var count = 1
        for size in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, product <= maximumElements else { return nil }
            count = product
        }
        return count
    }

    /// An ONNX element type's name for messages ("double"), or its number when unknown.
    static func typeName(_ type: Int32) -> String {
        Onnx_TensorProto.DataType(rawValue: Int(type)).map { "\($0)" } ?? "\(type)"
    }

    /// ONNX element types by their `TensorProto.DataType` number, in the names of the ONNX IR
    /// document (`float32`, not `FLOAT`): the spelling VNN-LIB 2.0 declarations use.
    public static let standardTypeNames: [Int32: String] = [
        1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 8: "string", 9: "bool",
        10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 14: "complex64", 15: "complex128", 16: "bfloat16",
        17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz", 21: "uint4", 22: "int4", 23: "float4e2m1",
    ]

    static func standardTypeName(_ type: Int32) -> String {
        standardTypeNames[type] ?? "type \(type)"
    }

    /// The most elements a tensor may have (2^31): beyond anything Verdict can bound, and far
    /// below the sizes whose allocation would abort the process.
    static let maximumElements = 1 << 31

    private static func decode<Word: FixedWidthInteger>(_ data: Data, as: Word.Type, name: String) throws -> [Word] {
        let size = MemoryLayout<Word>.size
        guard data.count % size == 0 else {
            throw NodeProblem("\(name) has \(data.count) bytes of raw data, not a multiple of \(size)")
        }
        return data.withUnsafeBytes { buffer in
            (0..<(data.count / size)).map { Word(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * size, as: Word.self)) }
        }
    }
}
