import VerdictCore

/// The backward (CROWN) pass: bounds linear functions of a stage's outputs from below by
/// carrying their coefficients back through the affine stages and the ReLU relaxations to the
/// input box, accumulating a rounding allowance on the way (see ``RoundingAllowance``).
struct BackwardPass {
    let network: BoundNetwork
    /// The host's arithmetic (Double), for everything but the weight products.
    let allowance: RoundingAllowance
    let products: any WeightProducts

    /// - Parameter needCorners: whether the result's corners are used (passes for intermediate
    ///   bounds do without; a device then skips returning them).
    func run(from stage: Int, rows: RowSet, states: [SubproblemState], keepCoefficients: Bool = false, needCorners: Bool = true) throws -> BackwardResult {
        if let kernels = products as? any BackwardKernels {
            return try runOnDevice(kernels, from: stage, rows: rows, states: states, keepCoefficients: keepCoefficients, needCorners: needCorners)
        }
        let rowCount = rows.count
        let unit = allowance.unitRoundoff
        var coefficients = rows.denseCoefficients(width: network.stages[stage].outputCount)
        var constants = rows.constants
        var errors = [Double](repeating: 0, count: rowCount)
        var constantMagnitude = rows.constants.map(\.magnitude)
        var termCount = 1
        var kept: [[Double]] = Array(repeating: [], count: network.reluLayerCount)
        var currentStage = stage
        var next: [Double] = []
        while true {
            let affine = network.stages[currentStage]
            let width = affine.outputCount, inputWidth = affine.inputCount
            let gamma = allowance.gamma(width + 1)
            // Products by W in the products' arithmetic; +3 covers rounding the coefficients and
            // the weights to it (Float on devices).
            let productGamma = products.allowance.gamma(width + 3)
            termCount += 2
            // Bias into the constant; the dot products' rounding and the product by W into errors.
            for row in 0..<rowCount {
                let owner = rows.owner[row]
                let magnitudes = states[owner].weightedMagnitude[currentStage]
                var biasTerm = 0.0, biasMagnitude = 0.0, productMagnitude = 0.0, anyCoefficient = false
                let offset = row * width
                for o in 0..<width {
                    let coefficient = coefficients[offset + o]
                    if coefficient == 0 { continue }
                    anyCoefficient = true
                    biasTerm += coefficient * affine.bias[o]
                    biasMagnitude += (coefficient * affine.bias[o]).magnitude
                    productMagnitude += coefficient.magnitude * magnitudes[o]
                }
                constants[row] += biasTerm
                constantMagnitude[row] += biasTerm.magnitude
                errors[row] += gamma * biasMagnitude + productGamma * productMagnitude
                if anyCoefficient {
                    // Flushed subnormal products: at most `width` per entry, times |input| <= m.
                    errors[row] += Double(width) * products.allowance.flushSlack * states[owner].stageInputMagnitudeSum[currentStage]
                }
            }
            next = try products.multiply(coefficients, count: rowCount, stage: currentStage, transposed: false)
            if currentStage == 0 { break }
            // Through ReLU layer currentStage - 1.
            let layer = currentStage - 1
            if keepCoefficients { kept[layer] = next }
            termCount += 1
            for row in 0..<rowCount {
                let owner = rows.owner[row]
                let relaxation = states[owner].relaxations[layer]
                let alpha = rows.alpha?[row][layer]
                let beta = rows.beta?[row][layer]
                let offset = row * inputWidth
                var interceptTerm = 0.0, roundingMagnitude = 0.0
                for j in 0..<inputWidth {
                    let incoming = next[offset + j]
                    var outgoing: Double
                    if incoming >= 0 {
                        let slope = relaxation.isUnstable[j] ? (alpha?[j] ?? relaxation.lowerSlope[j]) : relaxation.lowerSlope[j]
                        outgoing = incoming * slope
                    } else {
                        outgoing = incoming * relaxation.upperSlope[j]
                        let intercept = incoming * relaxation.upperIntercept[j]
                        interceptTerm += intercept
                        roundingMagnitude += intercept.magnitude
                    }
                    var betaTerm = 0.0
                    if let beta, relaxation.splitSign[j] != 0 {
                        betaTerm = beta[j] * relaxation.splitSign[j]
                        outgoing -= betaTerm
                    }
                    // Two roundings (product, β subtraction) of a coefficient of z_j.
                    errors[row] += 2 * unit * (outgoing.magnitude + betaTerm.magnitude) * relaxation.preActivationMagnitude[j]
                    next[offset + j] = outgoing
                }
                constants[row] += interceptTerm
                constantMagnitude[row] += roundingMagnitude
                errors[row] += allowance.gamma(inputWidth + 1) * roundingMagnitude
            }
            coefficients = next
            currentStage -= 1
        }
        let constantGamma = allowance.gamma(termCount + 4 * network.reluCount + 8)
        let (lower, corners) = concretize(next, rows: rows, states: states, constants: constants, errors: errors,
                                          constantError: constantMagnitude.map { constantGamma * $0 })
        return BackwardResult(lower: lower, corner: corners, activationCoefficients: kept, inputCoefficients: keepCoefficients ? next : nil)
    }

    /// The same pass on a device that keeps the batch resident (see ``BackwardKernels``).
    private func runOnDevice(
        _ kernels: any BackwardKernels, from stage: Int, rows: RowSet, states: [SubproblemState], keepCoefficients: Bool, needCorners: Bool
    ) throws -> BackwardResult {
        let request = BackwardKernelRequest(
            stage: stage, owner: rows.owner.map { Int32($0) }, coefficients: rows.coefficients, constants: rows.constants,
            alpha: rows.alpha.map { perRow in perRow.flatMap { $0.flatMap { $0 } } },
            beta: rows.beta.map { perRow in perRow.flatMap { $0.flatMap { $0 } } },
            keepCoefficients: keepCoefficients, wantCorners: needCorners, unitRows: rows.unitRows)
        let result = try kernels.backward(request)
        return deviceResult(result, rows: rows.count, activationCoefficients: result.activationCoefficients)
    }

    /// Sound lower bounds from the parts a device summed (see ``BackwardKernelResult``), with
    /// the allowance of the device's own arithmetic.
    func deviceLowerBounds(_ result: BackwardKernelResult, device: RoundingAllowance) -> [Double] {
        // Everything was summed on the device, in its arithmetic: the constants with at most 2
        // additions per stage and layer, the corner terms as an n-term dot product.
        let constantGamma = device.gamma(4 * network.stages.count + 8)
        let concreteGamma = device.gamma(network.inputCount + 2)
        return result.constants.indices.map { row in
            let total = result.constants[row] + result.sums[row]
            let error = result.errors[row] + concreteGamma * (result.magnitudes[row] + result.constants[row].magnitude)
                + constantGamma * result.constantMagnitude[row]
            return device.lowered(total, by: error)
        }
    }

    /// A device pass's result as the host's passes give it.
    func deviceResult(_ result: BackwardKernelResult, rows: Int, activationCoefficients: [[Double]]) -> BackwardResult {
        let lower = deviceLowerBounds(result, device: products.allowance)
        let width = network.inputCount
        let corners = result.corners.map { flat in (0..<rows).map { Array(flat[($0 * width)..<(($0 + 1) * width)]) } }
            ?? Array(repeating: [], count: rows)
        return BackwardResult(lower: lower, corner: corners, activationCoefficients: activationCoefficients, inputCoefficients: result.inputCoefficients)
    }

    /// Concretizes rows of coefficients over the input box: each coefficient picks the corner
    /// that minimizes it. Returns the sound lower bounds and the corners.
    private func concretize(
        _ next: [Double], rows: RowSet, states: [SubproblemState], constants: [Double], errors: [Double], constantError: [Double]
    ) -> ([Double], [[Double]]) {
        let rowCount = rows.count
        let inputWidth = network.inputCount
        let concreteGamma = allowance.gamma(inputWidth + 2)
        var lower = [Double](repeating: 0, count: rowCount)
        var corners: [[Double]] = []
        corners.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            let box = states[rows.owner[row]].box
            let (sum, magnitude, corner) = Self.minimizingCorner(next[(row * inputWidth)..<((row + 1) * inputWidth)], lower: box.lower, upper: box.upper)
            let total = constants[row] + sum
            let error = errors[row] + concreteGamma * (magnitude + constants[row].magnitude) + constantError[row]
            lower[row] = allowance.lowered(total, by: error)
            corners.append(corner)
        }
        return (lower, corners)
    }

    /// `min over the box of c·x`, computed at the minimizing corner (the box's center where a
    /// coefficient is zero): the sum, `Σ|c_j·x_j|` for its rounding allowance, and the corner.
    static func minimizingCorner(_ coefficients: ArraySlice<Double>, lower: [Double], upper: [Double]) -> (sum: Double, magnitude: Double, corner: [Double]) {
        precondition(coefficients.count == lower.count && upper.count == lower.count, "coefficients and box of different widths")
        var sum = 0.0, magnitude = 0.0
        // Buffers: this runs over every input of every row of every pass.
        let corner = [Double](unsafeUninitializedCapacity: lower.count) { corner, count in
            coefficients.withUnsafeBufferPointer { c in
            lower.withUnsafeBufferPointer { lower in
            upper.withUnsafeBufferPointer { upper in
                for j in 0..<lower.count {
                    let coefficient = c[j], value = coefficient >= 0 ? lower[j] : upper[j]
                    corner[j] = coefficient == 0 ? lower[j] / 2 + upper[j] / 2 : value
                    let term = coefficient * value
                    sum += term
                    magnitude += term.magnitude
                }
            }
            }
            }
            count = lower.count
        }
        return (sum, magnitude, corner)
    }
}
