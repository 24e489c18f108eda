import VerdictCore

/// The rounding of a float evaluation, tracked while linear operators fold (see
/// ``EvaluationRounding``). A ``ComputedValue`` `A(s)` carries `error`, a nonnegative map
/// `P·m + q`: how far the runtime's value of the chain folded so far can be from `A(s)`, for
/// float source values of magnitude `m`. Each step adds its own rounding, computed on the
/// magnitude of what it computes (`|A|·m + |a|`, with the error so far), and scales the error
/// carried from earlier steps by its coefficients. Each step counts one rounding more than the
/// runtime makes: the slack covers folding in Double (`x / c` folded as `x · (1/c)`). Each step
/// also raises the chain's `peak`, the bound on every magnitude computed on the way, and adds
/// the underflow of its products.
extension GraphImporter {
    /// `scale ⊙ value + shift` as one rounding of its result, or, with `shiftMagnitude`, as a
    /// step of `roundings` roundings on operands up to `|scale ⊙ value|` and `shiftMagnitude`.
    /// A constant added right after a product may be the runtime's accumulator start (Gemm's
    /// C, or MatMul and Add fused): it then also costs `γ_{n+1}·|c|`, `n` the product's terms.
    /// `underflowScale` multiplies the underflow term (a product scaled after it underflows).
    func scaled(
        _ value: ComputedValue, scale: [Double], shift: [Double], roundings: Int = 1, shiftMagnitude: [Double]? = nil, underflowScale: Double = 1
    ) -> ComputedValue {
        var result = value
        result.map = value.map.followed(byScale: scale, shift: shift)
        guard let format else { return result }
        let g = format.gamma(roundings + 1)
        // A step that adds zero and multiplies by ±1 computes its operand exactly.
        let gains = scale.indices.map { i -> Double in
            roundings == 1 && shift[i] == 0 && scale[i].magnitude == 1 && (shiftMagnitude?[i] ?? 0) == 0 ? 0 : g
        }
        guard gains.contains(where: { $0 > 0 }) || value.error != nil else { return result }
        let underflow = gains.map { $0 > 0 ? Double(roundings + 1) * format.smallestSubnormal * underflowScale : 0 }
        var computed: AffineMap  // the magnitudes the step computes
        if let shiftMagnitude {
            // Several roundings inside the step: each on operands up to |d·t| and the constant's.
            computed = value.map.absolute.followed(byScale: scale.map(\.magnitude), shift: shiftMagnitude)
        } else {
            // One rounding of the result d·t̂ + c, whose magnitude is at most |A'|·m + |a'| (the
            // map after the step) plus |d|·e: `x + 1e8 - 1e8` costs a rounding of 1e8, then of x.
            computed = result.map.absolute
        }
        let accumulatorStart = value.lastFanIn.map { format.gamma($0 + 1) } ?? 0
        var fresh = computed.followed(
            byScale: gains, shift: shift.indices.map { underflow[$0] + accumulatorStart * shift[$0].magnitude })
        result.peak = value.peak.raised(by: computed, inputCount: value.sourceCount)
        if let carried = value.error {
            fresh = fresh.plus(carried.followed(byScale: scale.indices.map { scale[$0].magnitude * (1 + gains[$0]) }, shift: shift.map { _ in 0 }), inputCount: value.sourceCount)
        }
        result.error = fresh
        return result
    }

    /// `matrix · value` as dot products of `fanIn` terms: the error, and the peak (every
    /// partial sum is at most `|W|·(|A|·m + |a|)`). `alpha` is a factor already in `matrix`
    /// that the runtime applies after summing (Gemm's): its sums reach `|W|/|alpha|`, and its
    /// products' underflow is multiplied by `|alpha|`.
    func multiplied(_ value: ComputedValue, by matrix: Matrix, fanIn: Int, alpha: Double = 1) -> (error: AffineMap?, peak: Peak) {
        guard let format else { return (nil, value.peak) }
        let g = format.gamma(fanIn + 1)
        let absolute = Matrix(rows: matrix.rows, columns: matrix.columns, values: matrix.values.map(\.magnitude))
        let zeros = [Double](repeating: 0, count: matrix.rows)
        let computed = value.map.absolute.followed(byMatrix: absolute, bias: zeros)
        let underflow = [Double](repeating: Double(fanIn + 1) * format.smallestSubnormal * max(alpha.magnitude, 1), count: matrix.rows)
        let unscaled = alpha.magnitude < 1 ? computed.followed(byScale: [Double](repeating: 1 / alpha.magnitude, count: matrix.rows), shift: [Double](repeating: 0, count: matrix.rows)) : computed
        var fresh = computed.followed(byScale: [Double](repeating: g, count: matrix.rows), shift: underflow)
        if let carried = value.error {
            fresh = fresh.plus(carried.followed(byMatrix: absolute.scaled(by: 1 + g), bias: zeros), inputCount: value.sourceCount)
        }
        return (fresh, value.peak.raised(by: unscaled, inputCount: value.sourceCount))
    }

    /// `a ± b` of two values of one source, one rounding per element; where either is a
    /// product's output, the runtime may add the other into that product's sum (a fused
    /// Gemm or Conv), a sum of its terms and one more.
    func combinedError(_ a: ComputedValue, _ b: ComputedValue) -> (error: AffineMap?, peak: Peak) {
        guard let format else { return (nil, a.peak) }
        let g = format.gamma(max(a.lastFanIn ?? 0, b.lastFanIn ?? 0) + 2)
        let ones = [Double](repeating: 1, count: a.elementCount)
        let computed = a.map.absolute.plus(b.map.absolute, inputCount: a.sourceCount)
        var total = computed.followed(byScale: ones.map { $0 * g }, shift: ones.map { _ in format.smallestSubnormal })
        for carried in [a.error, b.error].compactMap({ $0 }) {
            total = total.plus(carried.followed(byScale: ones.map { $0 * (1 + g) }, shift: ones.map { _ in 0 }), inputCount: a.sourceCount)
        }
        return (total, a.peak.raised(by: b.peak).raised(by: computed, inputCount: a.sourceCount))
    }

    /// What a node built from `value` records: nothing when not tracking.
    func rounding(_ value: ComputedValue) -> EvaluationRounding? {
        guard format != nil else { return nil }
        let (scale, shift) = (value.peak.scale, value.peak.shift)
        switch value.error {
        case nil: return .exact
        case .identity?: return .unmodelled("an identity error map")
        case .elementwise(let p, let q)?: return .linear(diagonal: p, matrix: nil, offset: q, peakScale: scale, peakShift: shift)
        case .dense(let p, let q)?: return .linear(diagonal: nil, matrix: p, offset: q, peakScale: scale, peakShift: shift)
        }
    }

    /// `rule` when tracking, else nil.
    func rounding(_ rule: (FloatFormat) -> EvaluationRounding) -> EvaluationRounding? {
        format.map(rule)
    }
}

/// A bound `scale·M + shift` on every magnitude a folded chain computes, `M` the largest
/// magnitude of its source.
struct Peak {
    var scale = 0.0
    var shift = 0.0

    /// Raised to cover `map`'s magnitudes (its largest row sum and constant).
    func raised(by map: AffineMap, inputCount: Int) -> Peak {
        var rowSum = 0.0, constant = 0.0
        switch map {
        case .identity: rowSum = 1
        case .elementwise(let scale, let shift):
            rowSum = scale.map(\.magnitude).max() ?? 0
            constant = shift.map(\.magnitude).max() ?? 0
        case .dense(let matrix, let bias):
            for row in 0..<matrix.rows {
                var sum = 0.0
                for column in 0..<matrix.columns { sum += matrix.values[row * matrix.columns + column].magnitude }
                rowSum = max(rowSum, sum)
            }
            constant = bias.map(\.magnitude).max() ?? 0
        }
        return Peak(scale: max(scale, rowSum), shift: max(shift, constant))
    }

    func raised(by other: Peak) -> Peak { Peak(scale: max(scale, other.scale), shift: max(shift, other.shift)) }
}

extension AffineMap {
    /// The map with every coefficient and constant replaced by its magnitude.
    var absolute: AffineMap {
        switch self {
        case .identity: return .identity
        case .elementwise(let scale, let shift): return .elementwise(scale: scale.map(\.magnitude), shift: shift.map(\.magnitude))
        case .dense(let matrix, let bias):
            return .dense(Matrix(rows: matrix.rows, columns: matrix.columns, values: matrix.values.map(\.magnitude)), bias: bias.map(\.magnitude))
        }
    }

    /// The sum of two maps over the same `inputCount` inputs.
    func plus(_ other: AffineMap, inputCount: Int) -> AffineMap {
        switch (self, other) {
        case (.dense, _), (_, .dense):
            let (a, ba) = denseForm(inputCount: inputCount), (b, bb) = other.denseForm(inputCount: inputCount)
            return .dense(Matrix(rows: a.rows, columns: a.columns, values: zip(a.values, b.values).map(+)), bias: zip(ba, bb).map(+))
        default:
            let (sa, ha) = elementwiseForm(inputCount), (sb, hb) = other.elementwiseForm(inputCount)
            return .elementwise(scale: zip(sa, sb).map(+), shift: zip(ha, hb).map(+))
        }
    }

    private func elementwiseForm(_ count: Int) -> ([Double], [Double]) {
        switch self {
        case .identity: return ([Double](repeating: 1, count: count), [Double](repeating: 0, count: count))
        case .elementwise(let scale, let shift): return (scale, shift)
        case .dense: preconditionFailure("a dense map has no elementwise form")
        }
    }
}

extension Matrix {
    func scaled(by factor: Double) -> Matrix {
        Matrix(rows: rows, columns: columns, values: values.map { $0 * factor })
    }
}
