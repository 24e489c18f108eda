import VerdictCore

/// Copies and constants (Pad, Concat): exact intervals; each row's coefficient goes back to
/// the element it copies, a constant's into the row's constant.
struct SelectOperator: BoundOperator {
    let select: SelectLayer
    /// Per output: the input and the index within it (nil for a constant).
    let origin: [(input: Int, index: Int)?]
    /// The most outputs that copy one input element.
    let duplicates: Int

    init(_ select: SelectLayer) {
        self.select = select
        let offsets = select.inputOffsets
        origin = select.sources.map { source in
            guard source >= 0 else { return nil }
            let input = offsets.lastIndex { $0 <= source }!
            return (input, source - offsets[input])
        }
        duplicates = select.duplicates
    }

    var layer: any Layer { select }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        var result = ValueBounds(lower: select.fill, upper: select.fill)
        for (o, origin) in origin.enumerated() {
            guard let origin else { continue }
            result.lower[o] = inputs[origin.input].lower[origin.index]
            result.upper[o] = inputs[origin.input].upper[origin.index]
        }
        return result
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        var step = BackwardStep(inputs: select.inputCounts.map { RowBlock(rows: rows.rows, width: $0) }, rows: rows.rows)
        let magnitudes = context.inputBounds.map(\.magnitude)
        let sumGamma = Rounding.double.gamma(duplicates + 1), constantGamma = Rounding.double.gamma(rows.width + 1)
        for r in 0..<rows.rows {
            var constant = 0.0, constantMagnitude = 0.0, moved = 0.0
            for o in 0..<rows.width {
                let a = rows.values[r * rows.width + o]
                if a == 0 { continue }
                if let origin = origin[o] {
                    step.inputs[origin.input]!.values[r * select.inputCounts[origin.input] + origin.index] += a
                    moved += a.magnitude * magnitudes[origin.input][origin.index]
                } else {
                    constant += a * select.fill[o]
                    constantMagnitude += (a * select.fill[o]).magnitude
                }
            }
            step.constants[r] = constant
            step.constantMagnitude[r] = constantMagnitude
            step.errors[r] = (duplicates > 1 ? sumGamma * moved : 0) + constantGamma * constantMagnitude
        }
        return step
    }

    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]] {
        var result = select.inputCounts.map { [Double](repeating: 0, count: $0) }
        for (o, origin) in origin.enumerated() {
            if let origin { result[origin.input][origin.index] += upstream[o] }
        }
        return result
    }
}
