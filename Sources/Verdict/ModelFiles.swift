import VerdictONNX
import VerdictVNNLIB

/// Reading the files Verdict works on: ONNX networks and VNN-LIB properties. Every failure
/// is an error whose description names the file, the place and the reason.
public enum ModelFiles {
    /// The network of an ONNX file (`.onnx` or `.onnx.gz`).
    public static func network(at path: String) throws -> Network {
        try ONNXImporter.load(path: path).network
    }

    /// The property of a VNN-LIB file, checked against `network`'s input and output counts.
    /// `stop` is polled while reading (a reason ends the read with ``VNNLIBParser/Stopped``).
    public static func property(at path: String, for network: Network? = nil, stop: (() -> String?)? = nil) throws -> Property {
        let property = try stop.map { try VNNLIBParser.parse(contentsOf: path, stop: $0) } ?? VNNLIBParser.parse(contentsOf: path)
        if let network { try checkSizes(property, path: path, network) }
        return property
    }

    /// VNN-LIB text for `property` that reads back to it; `comment` lines lead the file.
    public static func vnnlib(_ property: Property, comment: String? = nil) -> String {
        VNNLIBWriter.write(property, comment: comment)
    }

    /// Throws unless the property and the network have the same numbers of inputs and outputs.
    public static func checkSizes(_ property: Property, path: String, _ network: Network, networkPath: String = "the network") throws {
        guard network.inputCount == property.inputCount, network.outputCount == property.outputCount else {
            throw FileMismatch(description: """
                \(path) has \(property.inputCount) inputs and \(property.outputCount) outputs; \
                \(networkPath) has \(network.inputCount) and \(network.outputCount)
                """)
        }
    }
}

/// Two inputs that do not fit each other (a property and a network of other sizes, an input
/// vector of the wrong length), with a message naming both.
public struct FileMismatch: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
