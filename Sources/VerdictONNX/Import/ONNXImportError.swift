import VerdictCore

/// Why an ONNX file cannot be imported, naming the file and, where there is one, the node.
public struct ONNXImportError: Error, CustomStringConvertible, Equatable {
    public let file: String
    /// For example `node 'Gemm_3' (Gemm, #3)`; nil for problems of the whole file.
    public let place: String?
    public let message: String

    public init(file: String, place: String? = nil, message: String) {
        self.file = file
        self.place = place
        self.message = message.clippedForMessage
    }

    public var description: String {
        if let place { return "\(file): \(place): \(message)" }
        return "\(file): \(message)"
    }
}

/// A problem found while folding one node; the importer adds the file and node names.
struct NodeProblem: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}
