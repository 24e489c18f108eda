import VerdictCore

/// The rounding of a float evaluation, tracked while linear operators fold (see
/// ``EvaluationRounding``). A ``ComputedValue`` `A(s)` carries `error`, a nonnegative map
/// `P·m + q`: how far the runtime's value of the chain folded so far can be from `A(s)`, for
/// float source values of magnitude `m`. Each step adds its own rounding, computed on the
/// magnitude of the step's operand (`|A|·m + |a|` plus the error so far), and scales the error
/// carried from earlier steps by its coefficients. Each step counts one rounding more than the
/// runtime makes: the slack covers folding in Double (`x / c` folded as `x · (1/c)`).
extension GraphImporter {
    /// `scale ⊙ value + shift` as one rounding of its result, or, with `shiftMagnitude`, as a
    /// step of `roundings` roundings on operands up to `|scale ⊙ value|` and `shiftMagnitude`.
    func scaled(_ value: ComputedValue, scale: [Double], shift: [Double], roundings: Int = 1, shiftMagnitude: [Double]? = nil) -> ComputedValue {
        var result = value
        result.map = value.map.followed(byScale: scale, shift: shift)
        guard let u = unitRoundoff else { return result }
        let g = EvaluationRounding.gamma(roundings + 1, unitRoundoff: u)
        // A step that adds zero and multiplies by ±1 computes its operand exactly.
        let gains = scale.indices.map { i -> Double in
            roundings == 1 && shift[i] == 0 && scale[i].magnitude == 1 && (shiftMagnitude?[i] ?? 0) == 0 ? 0 : g
        }
        guard gains.contains(where: { $0 > 0 }) || value.error != nil else { return result }
        var fresh: AffineMap
        if let shiftMagnitude {
            // Several roundings inside the step: each on operands up to |d·t| and the constant's.
            fresh = value.map.absolute.followed(
                byScale: scale.indices.map { gains[$0] * scale[$0].magnitude },
                shift: shiftMagnitude.indices.map { gains[$0] * shiftMagnitude[$0] })
        } else {
            // One rounding of the result d·t̂ + c, whose magnitude is at most |A'|·m + |a'| (the
            // map after the step) plus |d|·e: `x + 1e8 - 1e8` costs a rounding of 1e8, then of x.
            fresh = result.map.absolute.followed(byScale: gains, shift: gains.map { _ in 0 })
        }
        if let carried = value.error {
            fresh = fresh.plus(carried.followed(byScale: scale.indices.map { scale[$0].magnitude * (1 + gains[$0]) }, shift: shift.map { _ in 0 }), inputCount: value.sourceCount)
        }
        result.error = fresh
        return result
    }

    /// `matrix · value` as dot products of `fanIn` terms.
    func multiplied(_ value: ComputedValue, by matrix: Matrix, fanIn: Int) -> AffineMap? {
        guard let u = unitRoundoff else { return nil }
        let g = EvaluationRounding.gamma(fanIn + 1, unitRoundoff: u)
        let absolute = Matrix(rows: matrix.rows, columns: matrix.columns, values: matrix.values.map(\.magnitude))
        let zeros = [Double](repeating: 0, count: matrix.rows)
        var fresh = value.map.absolute.followed(byMatrix: absolute.scaled(by: g), bias: zeros)
        if let carried = value.error {
            fresh = fresh.plus(carried.followed(byMatrix: absolute.scaled(by: 1 + g), bias: zeros), inputCount: value.sourceCount)
        }
        return fresh
    }

    /// `a ± b` of two values of one source, one rounding per element.
    func combinedError(_ a: ComputedValue, _ b: ComputedValue) -> AffineMap? {
        guard let u = unitRoundoff else { return nil }
        let g = EvaluationRounding.gamma(2, unitRoundoff: u)
        let ones = [Double](repeating: 1, count: a.elementCount)
        var total = a.map.absolute.plus(b.map.absolute, inputCount: a.sourceCount).followed(byScale: ones.map { $0 * g }, shift: ones.map { _ in 0 })
        for carried in [a.error, b.error].compactMap({ $0 }) {
            total = total.plus(carried.followed(byScale: ones.map { $0 * (1 + g) }, shift: ones.map { _ in 0 }), inputCount: a.sourceCount)
        }
        return total
    }

    /// What a node built from `error` records: nothing when not tracking.
    func rounding(_ error: AffineMap?) -> EvaluationRounding? {
        guard unitRoundoff != nil else { return nil }
        switch error {
        case nil: return .exact
        case .identity?: return .unmodelled("an identity error map")
        case .elementwise(let p, let q)?: return .linear(diagonal: p, matrix: nil, offset: q)
        case .dense(let p, let q)?: return .linear(diagonal: nil, matrix: p, offset: q)
        }
    }

    /// `rule` when tracking, else nil.
    func rounding(_ rule: (Double) -> EvaluationRounding) -> EvaluationRounding? {
        unitRoundoff.map(rule)
    }
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
