/// Exact evaluation: running the network on one concrete input, in `Double` (our reading of
/// the network's real-number meaning, to about 1e-16 relative) or in `Float` (what an ONNX
/// runtime computes). Every `sat` answer is confirmed by this code, never by a bound engine.
extension Network {
    /// Outputs in `Double`.
    public func evaluate(_ input: [Double]) throws -> [Double] {
        try evaluateAll(input)[output.valueIndex]
    }

    /// Outputs in `Float`.
    public func evaluateFloat32(_ input: [Float]) throws -> [Float] {
        try evaluateAllFloat32(input)[output.valueIndex]
    }

    /// Every value of the graph in `Float`: index 0 is the input, index `k + 1` node `k`'s output.
    public func evaluateAllFloat32(_ input: [Float]) throws -> [[Float]] {
        try checkInputSize(input.count)
        var values: [[Float]] = [input]
        values.reserveCapacity(nodes.count + 1)
        for node in nodes {
            values.append(node.layer.evaluate(node.inputs.map { values[$0.valueIndex] }))
        }
        return values
    }

    /// Every value of the graph in `Double`: index 0 is the input, index `k + 1` node `k`'s output.
    public func evaluateAll(_ input: [Double]) throws -> [[Double]] {
        try checkInputSize(input.count)
        return valuesDouble(input)
    }

    private func valuesDouble(_ input: [Double]) -> [[Double]] {
        var values: [[Double]] = [input]
        values.reserveCapacity(nodes.count + 1)
        for node in nodes {
            values.append(node.layer.evaluate(node.inputs.map { values[$0.valueIndex] }))
        }
        return values
    }

    private func checkInputSize(_ count: Int) throws {
        guard count == inputCount else { throw NetworkError.inputSize(expected: inputCount, got: count) }
    }
}
