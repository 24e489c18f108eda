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

    /// The network and property of a VNN-LIB file with its models: a 1.0 property and its one
    /// network, or a 2.0 query bound to its networks (the product network; `query` set).
    /// `networks` are the `--network` options as (name, path); the name is "" when none was
    /// given. `stop` is polled while reading the property.
    public static func problem(
        at path: String, networks: [(name: String, path: String)], stop: @escaping () -> String? = { nil }
    ) throws -> (network: Network, property: Property, query: LoadedQuery?) {
        switch try VNNLIBParser.document(contentsOf: path, stop: stop) {
        case .query(let query):
            var paths: [String: String] = [:]
            for (name, model) in networks {
                guard paths.updateValue(model, forKey: name) == nil else {
                    throw FileMismatch(description: name.isEmpty ? "--network: two models without a NAME=; name each model" : "--network \(name) is given twice")
                }
            }
            let loaded = try QueryModels.load(query, file: path, networks: paths)
            return (loaded.network, loaded.property, loaded)
        case .property(let property):
            guard networks.count == 1, let model = networks.first?.path else {
                throw FileMismatch(description: "\(path) is a VNN-LIB 1.0 property, which is about one network; give one --network")
            }
            let network = try self.network(at: model)
            try checkSizes(property, path: path, network, networkPath: model)
            return (network, property, nil)
        }
    }

    /// `--network` options (`PATH` or `NAME=PATH`) as (name, path) pairs. Only a VNN-LIB name
    /// (a letter, then letters, digits, underscores) before the first `=` is a name, so
    /// `runs/lr=0.1/m.onnx` stays a path.
    public static func namedPaths(_ options: [String]) -> [(name: String, path: String)] {
        options.map { option in
            guard let equals = option.firstIndex(of: "="), TensorElements.isVariableName(option[..<equals]) else { return ("", option) }
            return (String(option[..<equals]), String(option[option.index(after: equals)...]))
        }
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
