import VerdictCore

/// A linear term over the declared variables, `Σ a_i·X_i + Σ b_j·Y_j + c`, with exact
/// coefficients and the constant kept as an enclosing ``RealInterval``.
struct LinearExpression {
    var inputCoefficients: [Int: Double] = [:]
    var outputCoefficients: [Int: Double] = [:]
    var constant = RealInterval(exactly: 0)

    static func constant(_ value: RealInterval) -> LinearExpression {
        LinearExpression(constant: value)
    }

    var isConstant: Bool { inputCoefficients.isEmpty && outputCoefficients.isEmpty }

    /// Nil when a coefficient sum has no exact `Double` value.
    func adding(_ other: LinearExpression) -> LinearExpression? {
        var result = self
        for (index, value) in other.inputCoefficients {
            guard let sum = exactSum(result.inputCoefficients[index] ?? 0, value) else { return nil }
            result.inputCoefficients[index] = sum == 0 ? nil : sum
        }
        for (index, value) in other.outputCoefficients {
            guard let sum = exactSum(result.outputCoefficients[index] ?? 0, value) else { return nil }
            result.outputCoefficients[index] = sum == 0 ? nil : sum
        }
        result.constant = result.constant + other.constant
        return result
    }

    var negated: LinearExpression {
        LinearExpression(
            inputCoefficients: inputCoefficients.mapValues { -$0 },
            outputCoefficients: outputCoefficients.mapValues { -$0 },
            constant: -constant)
    }

    /// Multiplication by an exactly known factor; nil when a coefficient product is inexact.
    func scaled(by factor: Double) -> LinearExpression? {
        var result = LinearExpression(constant: constant.scaled(by: factor))
        for (index, value) in inputCoefficients {
            guard let product = exactProduct(value, factor) else { return nil }
            if product != 0 { result.inputCoefficients[index] = product }
        }
        for (index, value) in outputCoefficients {
            guard let product = exactProduct(value, factor) else { return nil }
            if product != 0 { result.outputCoefficients[index] = product }
        }
        return result
    }
}

private func exactSum(_ a: Double, _ b: Double) -> Double? {
    let sum = a + b
    let bVirtual = sum - a
    let error = (a - (sum - bVirtual)) + (b - bVirtual)
    return error == 0 && sum.isFinite ? sum : nil
}

private func exactProduct(_ a: Double, _ b: Double) -> Double? {
    let product = a * b
    guard product.isFinite, product == 0 || product.magnitude >= 0x1p-969 else { return nil }
    return (-product).addingProduct(a, b) == 0 ? product : nil
}
