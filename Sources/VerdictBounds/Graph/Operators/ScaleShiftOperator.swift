import VerdictCore

/// `s ⊙ x + t` (an unfolded batch normalization): elementwise intervals and rows.
struct ScaleShiftOperator: BoundOperator {
    let scaleShift: ScaleShiftLayer

    init(_ scaleShift: ScaleShiftLayer) { self.scaleShift = scaleShift }

    var layer: any Layer { scaleShift }

    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds {
        let x = inputs[0], gamma = Rounding.double.gamma(2)
        var result = x
        for j in x.lower.indices {
            let s = scaleShift.scale[j], t = scaleShift.shift[j]
            let low = (s >= 0 ? s * x.lower[j] : s * x.upper[j]) + t
            let high = (s >= 0 ? s * x.upper[j] : s * x.lower[j]) + t
            let error = gamma * (s.magnitude * max(x.lower[j].magnitude, x.upper[j].magnitude) + t.magnitude)
            (result.lower[j], result.upper[j]) = Rounding.widened(low, high, error: error)
        }
        return result
    }

    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep {
        let magnitude = context.inputBounds[0].magnitude, unit = Rounding.double.unitRoundoff
        let constantGamma = Rounding.double.gamma(rows.width + 1)
        var step = BackwardStep(inputs: [rows], rows: rows.rows)
        for r in 0..<rows.rows {
            var constant = 0.0, constantMagnitude = 0.0, error = 0.0
            for j in 0..<rows.width {
                let a = rows.values[r * rows.width + j]
                if a == 0 { continue }
                let term = a * scaleShift.shift[j]
                constant += term
                constantMagnitude += term.magnitude
                let b = a * scaleShift.scale[j]
                error += 2 * unit * b.magnitude * magnitude[j]
                step.inputs[0]!.values[r * rows.width + j] = b
            }
            step.constants[r] = constant
            step.constantMagnitude[r] = constantMagnitude
            step.errors[r] = error + constantGamma * constantMagnitude
        }
        return step
    }

    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]] {
        [zip(upstream, scaleShift.scale).map(*)]
    }
}
