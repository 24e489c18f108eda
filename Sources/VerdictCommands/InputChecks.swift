import Verdict

/// Throws unless the property and the network have the same numbers of inputs and outputs
/// (``ModelFiles/checkSizes(_:path:_:networkPath:)``, with both paths in the message).
func checkSizes(property: String, _ parsed: Property, network: String, _ model: Network) throws {
    try ModelFiles.checkSizes(parsed, path: property, model, networkPath: network)
}
