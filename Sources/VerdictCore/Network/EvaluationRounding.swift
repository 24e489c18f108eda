/// The floating-point type an ONNX runtime evaluates a model in, as rounding bounds see it:
/// IEEE 754 arithmetic with gradual underflow (a runtime that flushes subnormals to zero is
/// outside it), sums in any order, with or without FMA.
public struct FloatFormat: Sendable, Equatable {
    public let name: String
    /// The unit roundoff the bounds use.
    public let unitRoundoff: Double
    /// The smallest subnormal: each product may lose up to this much absolutely to underflow.
    public let smallestSubnormal: Double
    /// The largest finite value: values beyond it are infinite, which the bounds do not cover.
    public let largest: Double
    /// Whether a constant the runtime computes from constants is rounded to Float.
    public let roundsToFloat: Bool

    /// IEEE binary32.
    public static let float32 = FloatFormat(
        name: "float32", unitRoundoff: 0x1p-24, smallestSubnormal: 0x1p-149, largest: Double(Float.greatestFiniteMagnitude), roundsToFloat: true)
    /// IEEE binary64. The unit roundoff is 2^-40, not 2^-53: the folded network's constants
    /// are themselves computed in Double (a folded bias `W·(-μ/σ)` is a dot product), and
    /// 2^-40 covers those sums as well as the runtime's, up to 8,192 terms a sum.
    public static let float64 = FloatFormat(
        name: "float64", unitRoundoff: 0x1p-40, smallestSubnormal: 0x1p-1074, largest: Double.greatestFiniteMagnitude, roundsToFloat: false)

    /// `γ_n = n·u / (1 - n·u)`; infinite when `n·u` reaches 1/2 (no a-priori bound).
    public func gamma(_ n: Int) -> Double {
        let nu = Double(n) * unitRoundoff
        return nu < 0.5 ? nu / (1 - nu) : .infinity
    }
}

/// How far one node's value, computed in floating point by an ONNX runtime (a
/// ``FloatFormat``), can be from the node's real value, given the same floating-point inputs:
/// a bound in terms of the magnitudes of those inputs. The importer records it per node when
/// asked (``Network/Node/rounding``); a float query turns it into bounded noise at each node
/// (`FloatEvaluation` in the `Verdict` library), so that bounds of the real network with that
/// noise hold for every float evaluation.
///
/// The bounds are Higham's (*Accuracy and Stability of Numerical Algorithms*, §3.1): a dot
/// product of `n` terms is off by at most `γ_n·Σ|a_i·b_i|`; one addition or product by at
/// most `u·|result|`; each product also by the smallest subnormal, for underflow. Each also
/// gives a *peak*: a bound on every magnitude the runtime computes on the way (operands,
/// partial sums), which must stay finite for the bound to hold.
public enum EvaluationRounding: Sendable {
    /// No rounding: ReLU, max pooling, copies (slices, concatenation, padding).
    case exact
    /// At most `P·m + q` (`P`, `q` nonnegative) for input magnitudes `m`: a chain of linear
    /// ONNX operators folded into one layer, each step's rounding carried through the rest.
    /// `P` is per element (`diagonal`) or a matrix. Every magnitude on the way is at most
    /// `peakScale·max(m) + peakShift`.
    case linear(diagonal: [Double]?, matrix: Matrix?, offset: [Double], peakScale: Double, peakShift: Double)
    /// Dot products over windows (a convolution or an average pool, bias added after):
    /// `γ_{n+2}·(|K| ⋆ m + |b|)`, `n` the taps summed into each output.
    case windowDotProducts(FloatFormat)
    /// An addition or subtraction of the two inputs, `γ_{terms+1}·(m_a + m_b)` (one rounding
    /// more than the runtime makes, as every step counts): `terms` is 1, or one more than the
    /// terms of a product either input comes straight from (a runtime may add the other input
    /// into that product's sum, as a fused Conv does).
    case sum(FloatFormat, terms: Int)
    /// Not modelled (the reason): a float query over such a network is refused.
    case unmodelled(String)

    /// For `layer` with inputs of magnitudes `m`: the bound on each output element (rounded
    /// up), and the peak, a bound on every magnitude the runtime computes on the way (0 for
    /// exact nodes, which compute nothing new); nil when not modelled.
    public func bound(of layer: any Layer, inputMagnitudes m: [[Double]]) -> (radius: [Double], peak: Double)? {
        switch self {
        case .exact:
            return ([Double](repeating: 0, count: layer.outputShape.elementCount), 0)
        case .linear(let diagonal, let matrix, let offset, let peakScale, let peakShift):
            let peak = Self.up(peakScale * (m[0].max() ?? 0) + peakShift)
            if let diagonal { return ((0..<offset.count).map { Self.up(diagonal[$0] * m[0][$0] + offset[$0]) }, peak) }
            guard let matrix else { return (offset.map(Self.up), peak) }
            let radius = (0..<matrix.rows).map { row in
                var sum = offset[row]
                for column in 0..<matrix.columns { sum += matrix.values[row * matrix.columns + column] * m[0][column] }
                return Self.up(sum)
            }
            return (radius, peak)
        case .windowDotProducts(let format):
            guard let (sums, taps) = Self.absoluteWindowSums(layer, m) else { return nil }
            let gamma = format.gamma(taps + 2)
            // An average pool sums its window before dividing: sums up to taps times larger.
            let peakFactor = (layer as? ConvLayer)?.kind == .averagePool ? Double(taps) : 1
            return (sums.map { Self.up(gamma * $0 + Double(taps + 2) * format.smallestSubnormal) }, Self.up(peakFactor * (sums.max() ?? 0)))
        case .sum(let format, let terms):
            let sums = zip(m[0], m[1]).map { $0 + $1 }
            return (sums.map { Self.up(format.gamma(terms + 1) * $0 + Double(terms) * format.smallestSubnormal) }, Self.up(sums.max() ?? 0))
        case .unmodelled:
            return nil
        }
    }

    /// `|K| ⋆ m + |b|` of a convolution or pool, and the taps each output sums.
    private static func absoluteWindowSums(_ layer: any Layer, _ m: [[Double]]) -> (sums: [Double], taps: Int)? {
        guard let conv = layer as? ConvLayer else { return nil }
        let absolute = ConvLayer(
            kind: conv.kind, geometry: conv.geometry, outputChannels: conv.outputChannels, groups: conv.groups,
            weights: conv.weights.map(\.magnitude), bias: conv.bias.map(\.magnitude), outputShape: conv.outputShape)
        return (absolute.evaluate(m), conv.inputChannelsPerGroup * conv.geometry.taps)
    }

    /// `x` rounded up with room for the Double arithmetic that computed it.
    static func up(_ x: Double) -> Double { x.isFinite ? (x * (1 + 0x1p-40)).nextUp : .infinity }
}
