import Foundation
import SwiftProtobuf
import VerdictONNX
import VerdictVNNLIB

/// The standard's serialised assignment format: a folder with one ONNX `TensorProto` per
/// declared variable, `NAME.pb`, of the declared shape. `real` variables are written as
/// float64 (`double_data`), the type that holds Verdict's values exactly.
public enum AssignmentFiles {
    public static func write(_ assignment: [(declaration: TensorDeclaration, values: [Double])], to folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (declaration, values) in assignment {
                var tensor = Onnx_TensorProto()
                tensor.name = declaration.name
                tensor.dims = declaration.shape.map(Int64.init)
                tensor.dataType = Int32(Onnx_TensorProto.DataType.double.rawValue)
                tensor.doubleData = values.map { $0 + 0 }
                let data: Data = try tensor.serializedBytes()
                try data.write(to: URL(fileURLWithPath: folder).appendingPathComponent("\(declaration.name).pb"), options: .atomic)
            }
        } catch {
            throw FileMismatch(description: "--serialise-assignments \(folder): cannot write the assignment (\(error.localizedDescription))")
        }
    }
}
