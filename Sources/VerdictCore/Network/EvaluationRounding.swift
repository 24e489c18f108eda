/// How far one node's value, computed in floating point by an ONNX runtime (unit roundoff
/// `u`, sums in any order, with or without FMA), can be from the node's real value, given
/// the same floating-point inputs: a bound in terms of the magnitudes of those inputs. The
/// importer records it per node when asked (``Network/Node/rounding``); a float32 query turns
/// it into bounded noise at each node (`FloatEvaluation` in the `Verdict` library), so that
/// bounds of the real network with that noise hold for every float evaluation.
///
/// The bounds are Higham's (*Accuracy and Stability of Numerical Algorithms*, §3.1): a dot
/// product of `n` terms is off by at most `γ_n·Σ|a_i·b_i|`; one addition or product by at
/// most `u·|result|`.
public enum EvaluationRounding: Sendable {
    /// No rounding: ReLU, max pooling, copies (slices, concatenation, padding).
    case exact
    /// At most `P·m + q` (`P`, `q` nonnegative) for input magnitudes `m`: a chain of linear
    /// ONNX operators folded into one layer, each step's rounding carried through the rest.
    /// `P` is per element (`diagonal`) or a matrix.
    case linear(diagonal: [Double]?, matrix: Matrix?, offset: [Double])
    /// Dot products over windows (a convolution or an average pool, bias added after):
    /// `γ_{n+1}·(|K| ⋆ m + |b|)`, `n` the taps summed into each output.
    case windowDotProducts(unitRoundoff: Double)
    /// One addition or subtraction of the two inputs: `u·(m_a + m_b)`.
    case sum(unitRoundoff: Double)
    /// Not modelled (the reason): a float query over such a network is refused.
    case unmodelled(String)

    /// `γ_n = n·u / (1 - n·u)`.
    public static func gamma(_ n: Int, unitRoundoff u: Double) -> Double {
        let nu = Double(n) * u
        precondition(nu < 0.5, "too many terms for an a-priori error bound")
        return nu / (1 - nu)
    }

    /// The bound for each output element of `layer` given its inputs' magnitudes, rounded
    /// up; nil when not modelled.
    public func radius(of layer: any Layer, inputMagnitudes m: [[Double]]) -> [Double]? {
        let up = { (x: Double) in x.isFinite ? (x * (1 + 0x1p-40)).nextUp : Double.infinity }
        switch self {
        case .exact:
            return [Double](repeating: 0, count: layer.outputShape.elementCount)
        case .linear(let diagonal, let matrix, let offset):
            if let diagonal { return (0..<offset.count).map { up(diagonal[$0] * m[0][$0] + offset[$0]) } }
            guard let matrix else { return offset.map(up) }
            return (0..<matrix.rows).map { row in
                var sum = offset[row]
                for column in 0..<matrix.columns { sum += matrix.values[row * matrix.columns + column] * m[0][column] }
                return up(sum)
            }
        case .windowDotProducts(let u):
            guard let conv = layer as? ConvLayer else { return nil }
            let absolute = ConvLayer(
                kind: conv.kind, geometry: conv.geometry, outputChannels: conv.outputChannels, groups: conv.groups,
                weights: conv.weights.map(\.magnitude), bias: conv.bias.map(\.magnitude), outputShape: conv.outputShape)
            let gamma = Self.gamma(conv.inputChannelsPerGroup * conv.geometry.taps + 2, unitRoundoff: u)
            return absolute.evaluate(m).map { up(gamma * $0) }
        case .sum(let u):
            return zip(m[0], m[1]).map { up(u * ($0 + $1)) }
        case .unmodelled:
            return nil
        }
    }
}
