import VerdictCore

/// How the cuts of a subproblem's ``CutSet`` enter a backward pass (GCP-CROWN's general cutting
/// planes, Zhang et al. 2022). Each row `r` adds `μ_rc · (y_j - Σ w_i v_i - c·z_j - rhs)` (the
/// sum over every part of the cut), which is at most 0 wherever cut `c` holds, so the row's
/// lower bound stays a lower bound.
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
    /// up to `top`, added into `pending`; their rounding into `errors`. Layer by layer: the
    /// blocks a layer's cuts write (its output's, its phases', its sources') are taken out of
    /// the dictionaries once, so that no write copies one and no cut pays for a lookup.
    mutating func seed(
        _ multipliers: [[Double]], network: GraphBoundNetwork, states: [GraphState], segments: [Range<Int>], upTo top: Int,
        pending: inout [Int: RowBlock], errors: inout [Double]
    ) {
        let rows = constants.count, unit = Rounding.double.unitRoundoff
        for (state, range) in zip(states, segments) {
            guard let set = state.cuts else { continue }
            for (layer, indices) in set.byLayer where network.reluNodes[layer] <= top {
                let used = indices.filter { c in range.contains { multipliers[$0][c] != 0 } }
                guard !used.isEmpty else { continue }
                let relu = network.reluNodes[layer], output = relu + 1, width = network.layout.reluWidth(layer)
                var y = pending.removeValue(forKey: output) ?? RowBlock(rows: rows, width: width)
                var q = phaseTerms.removeValue(forKey: relu) ?? RowBlock(rows: rows, width: width)
                // The values the layer's cuts read (one or two), with their blocks.
                var sources: [Int] = [], blocks: [RowBlock] = [], magnitudes: [[Double]] = []
                for part in set.cuts[used[0]].parts where !sources.contains(part.source.valueIndex) {
                    let value = part.source.valueIndex
                    sources.append(value)
                    magnitudes.append(state.magnitude(of: value))
                    blocks.append(pending.removeValue(forKey: value) ?? RowBlock(rows: rows, width: magnitudes.last!.count))
                }
                var error = [Double](repeating: 0, count: range.count)
                let outputMagnitude = state.magnitude(of: output)
                for c in used {
                    let cut = set.cuts[c]
                    // Every cut of a layer reads the values of its input's linear form (``CutSeparation``).
                    let found = cut.parts.map { part in sources.firstIndex(of: part.source.valueIndex) }
                    precondition(!found.contains(nil), "a cut of ReLU layer \(layer) reads a value the layer's other cuts do not")
                    let slots = found.map { $0! }
                    for r in range {
                        let mu = multipliers[r][c]
                        guard mu != 0 else { continue }
                        var rowError = 0.0
                        let sum = y.values[r * width + cut.neuron] + mu
                        y.values[r * width + cut.neuron] = sum
                        rowError += sum.magnitude * outputMagnitude[cut.neuron]
                        for (part, slot) in zip(cut.parts, slots) {
                            rowError += Self.subtract(part, times: mu, from: &blocks[slot], row: r, magnitude: magnitudes[slot])
                        }
                        let product = mu * cut.zCoefficient, entry = q.values[r * width + cut.neuron] - product
                        q.values[r * width + cut.neuron] = entry
                        // |z| <= 1.
                        rowError += product.magnitude + entry.magnitude
                        let constant = mu * cut.rhs
                        constants[r] -= constant
                        constantMagnitude[r] += 2 * constant.magnitude
                        error[r - range.lowerBound] += rowError
                    }
                }
                for r in range { errors[r] += 2 * unit * error[r - range.lowerBound] }
                pending[output] = y
                phaseTerms[relu] = q
                for (value, block) in zip(sources, blocks) { pending[value] = block }
            }
        }
    }

    /// Row `row` of `block` minus `mu` times `part`'s weights; the terms' rounding (before the
    /// unit roundoff), each times the magnitude of the entry it multiplies.
    private static func subtract(_ part: CutPart, times mu: Double, from block: inout RowBlock, row: Int, magnitude: [Double]) -> Double {
        var error = 0.0
        let width = block.width
        block.values.withUnsafeMutableBufferPointer { v in
        part.indices.withUnsafeBufferPointer { indices in
        part.weights.withUnsafeBufferPointer { weights in
        magnitude.withUnsafeBufferPointer { m in
            let values = v.baseAddress! + row * width
            for k in indices.indices {
                let i = indices[k], product = mu * weights[k], entry = values[i] - product
                values[i] = entry
                error += (product.magnitude + entry.magnitude) * m[i]
            }
        }
        }
        }
        }
        return error
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
