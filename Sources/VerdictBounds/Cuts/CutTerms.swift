import VerdictCore

/// How the cuts of a subproblem's ``CutSet`` enter a backward pass (GCP-CROWN's general cutting
/// planes, Zhang et al. 2022). Each row `r` adds `μ_rc · (y_j - Σ w_i v_i - c·z_j - rhs)`,
/// which is at most 0 wherever cut `c` holds, so the row's lower bound stays a lower bound.
/// The `y` and `v` terms join the coefficients the pass carries at those values; the phase
/// `z_j`, which is no value of the network, is removed at its ReLU: with `q` the sum of its
/// terms' coefficients, `q·z >= (q/u)·y` for `q > 0` (from `y <= u·z`), and
/// `q·z >= q + (q/l)·y - (q/l)·ẑ` for `q < 0` (from `y <= ẑ - l·(1 - z)`); on a neuron whose
/// phase the bounds decide, `z` is that phase. Every sum and product adds its rounding error,
/// times a bound on the variable it multiplies, to the row's allowance.
struct CutTerms {
    /// Per ReLU node reached, the `z` coefficients `q` of each row.
    var phaseTerms: [Int: RowBlock] = [:]
    /// Per row, `-Σ μ·rhs` (and later the `q` of decided phases), with `Σ|terms|`.
    var constants: [Double]
    var constantMagnitude: [Double]

    init(rows: Int) {
        constants = Array(repeating: 0, count: rows)
        constantMagnitude = constants
    }

    /// The cut terms of every row of each segment (with its state's cuts), for the ReLU nodes
    /// up to `top`, added into `pending`; their rounding into `errors`. The blocks are taken
    /// out of the dictionaries while they are written, so that no write copies one.
    mutating func seed(
        _ multipliers: [[Double]], network: GraphBoundNetwork, states: [GraphState], segments: [Range<Int>], upTo top: Int,
        pending: inout [Int: RowBlock], errors: inout [Double]
    ) {
        let rows = constants.count, unit = Rounding.double.unitRoundoff
        var blocks: [Int: RowBlock] = [:]
        func block(_ value: Int, width: Int) -> RowBlock {
            blocks.removeValue(forKey: value) ?? pending.removeValue(forKey: value) ?? RowBlock(rows: rows, width: width)
        }
        for (state, range) in zip(states, segments) {
            guard let set = state.cuts else { continue }
            var magnitudes: [Int: [Double]] = [:]
            for (c, cut) in set.cuts.enumerated() {
                let relu = network.reluNodes[cut.layer]
                guard relu <= top, range.contains(where: { multipliers[$0][c] != 0 }) else { continue }
                let output = relu + 1, outputWidth = network.layout.reluWidth(cut.layer)
                for value in [output] + cut.parts.map(\.source.valueIndex) where magnitudes[value] == nil { magnitudes[value] = state.bounds[value]!.magnitude }
                let outputMagnitude = magnitudes[output]![cut.neuron]
                var y = block(output, width: outputWidth)
                var q = phaseTerms.removeValue(forKey: relu) ?? RowBlock(rows: rows, width: outputWidth)
                var error = [Double](repeating: 0, count: range.count)
                for r in range where multipliers[r][c] != 0 {
                    let sum = y.values[r * outputWidth + cut.neuron] + multipliers[r][c]
                    y.values[r * outputWidth + cut.neuron] = sum
                    error[r - range.lowerBound] += sum.magnitude * outputMagnitude
                }
                blocks[output] = y
                for part in cut.parts {
                    let source = part.source.valueIndex, sourceMagnitude = magnitudes[source]!
                    var v = block(source, width: sourceMagnitude.count)
                    let sourceWidth = v.width
                    for r in range where multipliers[r][c] != 0 {
                        let mu = multipliers[r][c]
                        v.values.withUnsafeMutableBufferPointer { v in
                        part.indices.withUnsafeBufferPointer { indices in
                        part.weights.withUnsafeBufferPointer { weights in
                        sourceMagnitude.withUnsafeBufferPointer { m in
                            let row = v.baseAddress! + r * sourceWidth
                            for k in indices.indices {
                                let i = indices[k], product = mu * weights[k], entry = row[i] - product
                                row[i] = entry
                                error[r - range.lowerBound] += (product.magnitude + entry.magnitude) * m[i]
                            }
                        }
                        }
                        }
                        }
                    }
                    blocks[source] = v
                }
                for r in range {
                    let mu = multipliers[r][c]
                    guard mu != 0 else { continue }
                    let product = mu * cut.zCoefficient, entry = q.values[r * outputWidth + cut.neuron] - product
                    q.values[r * outputWidth + cut.neuron] = entry
                    // |z| <= 1.
                    error[r - range.lowerBound] += product.magnitude + entry.magnitude
                    let constant = mu * cut.rhs
                    constants[r] -= constant
                    constantMagnitude[r] += 2 * constant.magnitude
                    errors[r] += 2 * unit * error[r - range.lowerBound]
                }
                phaseTerms[relu] = q
            }
        }
        for (value, block) in blocks { pending[value] = block }
    }

    /// Before ReLU node `node` passes `block` back: each row's `q·z` replaced as the type's
    /// comment says. Returns the `ẑ` coefficients to add to what the node passes back.
    mutating func removePhases(at node: Int, block: inout RowBlock, states: [GraphState], segments: [Range<Int>], errors: inout [Double]) -> RowBlock? {
        guard let q = phaseTerms.removeValue(forKey: node) else { return nil }
        let width = block.width, unit = Rounding.double.unitRoundoff
        var input = RowBlock(rows: block.rows, width: width)
        for (state, range) in zip(states, segments) {
            guard let lines = state.relaxations[node] as? ReLUOperator.Lines else {
                // No bounds to remove `z` with: `0 <= z <= 1` alone, `q·z >= min(q, 0)`.
                for r in range { for j in 0..<width where q.values[r * width + j] < 0 { addConstant(q.values[r * width + j], row: r) } }
                continue
            }
            for r in range {
                var error = 0.0
                for j in 0..<width {
                    let term = q.values[r * width + j]
                    guard term != 0 else { continue }
                    let l = lines.bounds.lower[j], u = lines.bounds.upper[j], m = lines.preActivationMagnitude[j]
                    if l >= 0 {
                        addConstant(term, row: r)
                    } else if u <= 0 {
                        continue
                    } else if term > 0 {
                        let slope = term / u, sum = block.values[r * width + j] + slope
                        block.values[r * width + j] = sum
                        error += (slope.magnitude + sum.magnitude) * m
                    } else {
                        let slope = term / l, sum = block.values[r * width + j] + slope
                        block.values[r * width + j] = sum
                        input.values[r * width + j] = -slope
                        addConstant(term, row: r)
                        error += (slope.magnitude + sum.magnitude) * m
                    }
                }
                errors[r] += 2 * unit * error
            }
        }
        return input
    }

    private mutating func addConstant(_ term: Double, row: Int) {
        constants[row] += term
        constantMagnitude[row] += 2 * term.magnitude
    }
}
