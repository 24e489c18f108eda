import Foundation

/// A tensor whose value is known at import time: an initializer, a `Constant` node, or the
/// result of an operator applied to constants. Stored in `Double`, which holds every Float32,
/// Int32 and (below 2^53) Int64 value exactly.
struct ConstantTensor {
    var shape: [Int]
    var values: [Double]

    init(shape: [Int], values: [Double]) {
        self.shape = shape
        self.values = values
    }

    var elementCount: Int { values.count }

    /// Integer values, for shape-like inputs (Reshape's shape, axes).
    func integers() throws -> [Int] {
        try values.map { value in
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
        let count = shape.reduce(1, *)
        let raw = tensor.rawData
        let type = Int(tensor.dataType)
        var values: [Double]
        switch type {
        case Onnx_TensorProto.DataType.float.rawValue:
            values = raw.isEmpty ? tensor.floatData.map(Double.init) : try Self.decode(raw, as: UInt32.self, name: name).map { Double(Float(bitPattern: $0)) }
        case Onnx_TensorProto.DataType.double.rawValue:
            values = raw.isEmpty ? tensor.doubleData : try Self.decode(raw, as: UInt64.self, name: name).map { Double(bitPattern: $0) }
        case Onnx_TensorProto.DataType.int64.rawValue:
            values = raw.isEmpty ? tensor.int64Data.map(Double.init) : try Self.decode(raw, as: UInt64.self, name: name).map { Double(Int64(bitPattern: $0)) }
        case Onnx_TensorProto.DataType.int32.rawValue:
            values = raw.isEmpty ? tensor.int32Data.map(Double.init) : try Self.decode(raw, as: UInt32.self, name: name).map { Double(Int32(bitPattern: $0)) }
        default:
            let typeName = Onnx_TensorProto.DataType(rawValue: type).map { "\($0)" } ?? "\(type)"
            throw NodeProblem("\(name) has element type \(typeName); Verdict reads float, double, int32 and int64 tensors")
        }
        guard values.count == count else {
            throw NodeProblem("\(name) has shape \(shape) (\(count) values) but holds \(values.count) values")
        }
        guard values.allSatisfy(\.isFinite) else { throw NodeProblem("\(name) contains NaN or infinite values") }
        self.init(shape: shape, values: values)
    }

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
