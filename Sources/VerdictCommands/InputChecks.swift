import VerdictCore

/// Throws unless the property and the network have the same numbers of inputs and outputs.
func checkSizes(property: String, _ parsed: Property, network: String, _ model: Network) throws {
    guard model.inputCount == parsed.inputCount, model.outputCount == parsed.outputCount else {
        throw CommandFailure(
            "\(property) has \(parsed.inputCount) inputs and \(parsed.outputCount) outputs; \(network) has \(model.inputCount) and \(model.outputCount)")
    }
}
