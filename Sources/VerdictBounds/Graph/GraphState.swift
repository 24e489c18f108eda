import VerdictCore

/// What the graph engine knows about one subproblem while it bounds it: bounds of every value
/// computed so far, each piecewise-linear node's relaxation and each linear node's magnitude
/// factors (the context its backward step needs).
struct GraphState {
    var bounds: [ValueBounds?]
    var relaxations: [(any OperatorRelaxation)?]
    var weightedMagnitudes: [[Double]?]
    /// Pre-activation bounds of each ReLU layer, with the split phases applied.
    var preActivations: [ValueBounds] = []
    /// Input bounds of each S-shaped node, by node.
    var smoothInputBounds: [Int: ValueBounds] = [:]
    /// Cuts that hold on the subproblem, which passes with multipliers lift into their rows.
    var cuts: CutSet?
    /// `max(|lower|, |upper|)` of the values the cuts read, computed once for every pass
    /// (``cacheCutMagnitudes(_:)``).
    var cutMagnitudes: [Int: [Double]] = [:]

    init(network: GraphBoundNetwork, box: InputBox) {
        bounds = Array(repeating: nil, count: network.network.nodes.count + 1)
        bounds[0] = ValueBounds(lower: box.lower, upper: box.upper)
        relaxations = Array(repeating: nil, count: network.network.nodes.count)
        weightedMagnitudes = relaxations.map { _ in nil }
    }

    func context(_ node: Int, in network: GraphBoundNetwork) -> OperatorContext {
        OperatorContext(
            inputBounds: network.network.nodes[node].inputs.map { bounds[$0.valueIndex]! }, relaxation: relaxations[node],
            weightedMagnitude: weightedMagnitudes[node])
    }

    /// The magnitude of value `value`'s entries: cached where the cuts read it.
    func magnitude(of value: Int) -> [Double] { cutMagnitudes[value] ?? bounds[value]!.magnitude }

    /// Caches the magnitudes of the values the cuts read: their ReLUs' outputs and sources.
    mutating func cacheCutMagnitudes(_ network: GraphBoundNetwork) {
        guard let cuts else { return }
        for (layer, indices) in cuts.byLayer {
            for value in [network.reluNodes[layer] + 1] + cuts.cuts[indices[0]].parts.map(\.source.valueIndex) where cutMagnitudes[value] == nil {
                if let bounds = bounds[value] { cutMagnitudes[value] = bounds.magnitude }
            }
        }
    }

    var layerBounds: LayerBounds { LayerBounds(lower: preActivations.map(\.lower), upper: preActivations.map(\.upper)) }
}

/// Linear bounds carried back over the graph: rows over one value, passed through each node
/// in reverse topological order, summed where a value feeds several nodes (a residual
/// branch), and concretized over the input box. The rounding allowance of each step comes
/// from its operator; the sums at branch points and the final constant add their own.
struct GraphBackwardPass {
    let network: GraphBoundNetwork

    /// Per row, per ReLU layer: α (lower slopes) and β (split multipliers); per S-shaped node,
    /// per row: its lines' slopes (``OperatorContext/lineSlopes``).
    struct Parameters {
        var alpha: [[[Double]]]
        var beta: [[[Double]]]?
        var lineSlopes: [Int: [(lower: [Double], upper: [Double])]] = [:]
        /// Per row, the multiplier `μ >= 0` of each of the state's cuts (``CutTerms``).
        var cutMultipliers: [[Double]]? = nil
    }

    struct Result {
        var lower: [Double]
        /// Per row, the box corner minimizing its linear bound.
        var corners: [[Double]]
        /// The rows reaching each piecewise-linear node's output (when kept), by node: the
        /// whole pass's blocks, shared by the results ``rows(_:)`` splits off, whose row `r` is
        /// the block's row `r + relaxedRowOffset`. Read them through ``relaxedRow(_:_:)``.
        var relaxedRows: [Int: RowBlock] = [:]
        var relaxedRowOffset = 0
        /// Per row, the coefficients over the inputs.
        var inputCoefficients: [[Double]]

        /// Row `row` becomes row `source` of `other`: its bound, corner and input coefficients
        /// (what an optimizer keeps of a better iterate; the relaxed rows are the pass's).
        mutating func take(_ row: Int, from other: Result, row source: Int) {
            lower[row] = other.lower[source]
            corners[row] = other.corners[source]
            inputCoefficients[row] = other.inputCoefficients[source]
        }
    }

    /// Lower bounds of `rows · value + constants` over the subproblem of `state`.
    func run(
        from value: ValueID, rows: RowBlock, constants initial: [Double], state: GraphState, keepReluCoefficients: Bool, parameters: Parameters? = nil
    ) -> Result {
        run(from: value, rows: rows, constants: initial, states: [state], segments: [0..<rows.rows], keepReluCoefficients: keepReluCoefficients, parameters: parameters)
    }

    /// The same for the rows of several subproblems in one block: rows `segments[i]` over the
    /// subproblem of `states[i]`. Each operator takes the whole block at once (one product
    /// per linear operator, see ``BoundOperator/backward(_:segments:)``); bounds, relaxations
    /// and allowances stay each subproblem's own.
    func run(
        from value: ValueID, rows: RowBlock, constants initial: [Double], states: [GraphState], segments: [Range<Int>], keepReluCoefficients: Bool,
        parameters: Parameters? = nil
    ) -> Result {
        let count = rows.rows
        var constants = initial
        var constantMagnitude = initial.map(\.magnitude)
        var errors = [Double](repeating: 0, count: count)
        var steps = 1
        var relaxedRows: [Int: RowBlock] = [:]
        var pending: [Int: RowBlock] = [value.valueIndex: rows]
        var cutTerms = CutTerms(rows: count)
        if let top = network.producer(value), let multipliers = parameters?.cutMultipliers {
            cutTerms.seed(multipliers, network: network, states: states, segments: segments, upTo: top, pending: &pending, errors: &errors)
        }
        if let top = network.producer(value) {
            for node in stride(from: top, through: 0, by: -1) {
                guard var block = pending.removeValue(forKey: node + 1) else { continue }
                let reluLayer = network.reluLayerOfNode[node]
                let phaseInput = cutTerms.removePhases(at: node, block: &block, states: states, segments: segments, errors: &errors)
                if keepReluCoefficients && states[0].relaxations[node] != nil { relaxedRows[node] = block }
                let pieces = zip(states, segments).map { state, range in
                    var context = state.context(node, in: network)
                    if let layer = reluLayer {
                        context.alpha = parameters?.alpha[range].map { $0[layer] }
                        context.beta = parameters?.beta?[range].map { $0[layer] }
                    }
                    context.lineSlopes = parameters?.lineSlopes[node].map { Array($0[range]) }
                    return RowSegment(rows: range, context: context)
                }
                var step = network.operators[node].backward(block, segments: pieces)
                if let phaseInput {
                    // The `ẑ` terms of the cuts' phases join the ReLU's rows as a branch would.
                    if var rows = step.inputs[0] {
                        addBranch(phaseInput, into: &rows, states: states, segments: segments, value: network.network.nodes[node].inputs[0].valueIndex, errors: &errors)
                        step.inputs[0] = rows
                    } else {
                        step.inputs[0] = phaseInput
                    }
                }
                steps += 1
                for r in 0..<count {
                    constants[r] += step.constants[r]
                    constantMagnitude[r] += step.constantMagnitude[r]
                    errors[r] += step.errors[r]
                }
                for (input, part) in zip(network.network.nodes[node].inputs, step.inputs) {
                    guard let part else { continue }
                    // Taken out of the dictionary, so that adding into it does not copy it.
                    guard var existing = pending.removeValue(forKey: input.valueIndex) else {
                        pending[input.valueIndex] = part
                        continue
                    }
                    addBranch(part, into: &existing, states: states, segments: segments, value: input.valueIndex, errors: &errors)
                    pending[input.valueIndex] = existing
                }
            }
        }
        if parameters?.cutMultipliers != nil {
            // The cut constants, each row's sum of up to one term per cut and per neuron.
            let terms = (states.compactMap { $0.cuts?.count }.max() ?? 0) + network.layout.reluCount + 2
            for r in 0..<count where cutTerms.constantMagnitude[r] > 0 {
                constants[r] += cutTerms.constants[r]
                constantMagnitude[r] += cutTerms.constants[r].magnitude
                errors[r] += Rounding.double.gamma(terms) * cutTerms.constantMagnitude[r]
            }
            steps += 1
        }
        let inputs = network.network.inputCount
        let input = pending[0] ?? RowBlock(rows: count, width: inputs)
        let constantGamma = Rounding.double.gamma(steps + 2), concreteGamma = Rounding.double.gamma(inputs + 2)
        var result = Result(lower: [], corners: [], relaxedRows: relaxedRows, inputCoefficients: [])
        for (state, range) in zip(states, segments) {
            let box = state.bounds[0]!
            for r in range {
                let (sum, magnitude, corner) = BackwardPass.minimizingCorner(input.values[(r * inputs)..<((r + 1) * inputs)], lower: box.lower, upper: box.upper)
                let total = constants[r] + sum
                let error = errors[r] + concreteGamma * (magnitude + constants[r].magnitude) + constantGamma * constantMagnitude[r]
                result.lower.append(Rounding.double.lowered(total, by: error))
                result.corners.append(corner)
                result.inputCoefficients.append(Array(input.values[(r * inputs)..<((r + 1) * inputs)]))
            }
        }
        return result
    }
}

extension GraphBackwardPass {
    /// Two branches meet at value `value` (a residual join): `part` added into `existing`,
    /// each sum rounded once per entry, times `|v| <= m` into the row's error.
    func addBranch(_ part: RowBlock, into existing: inout RowBlock, states: [GraphState], segments: [Range<Int>], value: Int, errors: inout [Double]) {
        precondition(part.rows == existing.rows && part.width == existing.width, "branches of different shapes")
        let width = existing.width, unit = Rounding.double.unitRoundoff
        part.values.withUnsafeBufferPointer { part in
        existing.values.withUnsafeMutableBufferPointer { existing in
            for (state, range) in zip(states, segments) {
                state.bounds[value]!.magnitude.withUnsafeBufferPointer { magnitude in
                    for r in range {
                        var error = 0.0
                        for j in 0..<width {
                            let sum = existing[r * width + j] + part[r * width + j]
                            existing[r * width + j] = sum
                            error += sum.magnitude * magnitude[j]
                        }
                        errors[r] += 2 * unit * error
                    }
                }
            }
        }
        }
    }

    /// One subproblem's part of a batched pass: its rows, their constants, its state, and the
    /// α/β and line slopes of its rows (nil: CROWN's).
    struct Part {
        var rows: RowBlock
        var constants: [Double]
        var state: GraphState
        var parameters: Parameters? = nil
    }

    /// Each part's rows lower-bounded over its own subproblem, all in one pass: the rows
    /// stacked, the parameters joined (every part must give them, or none), the result split.
    func run(from value: ValueID, parts: [Part], keepReluCoefficients: Bool) -> [Result] {
        guard let width = parts.first?.rows.width else { return [] }
        var values: [Double] = [], constants: [Double] = [], segments: [Range<Int>] = []
        for part in parts {
            segments.append(constants.count..<(constants.count + part.rows.rows))
            values += part.rows.values
            constants += part.constants
        }
        let given = parts.compactMap(\.parameters)
        let parameters = given.count == parts.count ? Parameters(joining: given) : nil
        let result = run(
            from: value, rows: RowBlock(rows: constants.count, width: width, values: values), constants: constants, states: parts.map(\.state),
            segments: segments, keepReluCoefficients: keepReluCoefficients, parameters: parameters)
        return segments.map { result.rows($0) }
    }
}

extension GraphBackwardPass.Parameters {
    /// Several parts' per-row parameters, in order; β only when every part has it.
    init(joining parts: [GraphBackwardPass.Parameters]) {
        self.init(alpha: parts.flatMap(\.alpha), beta: parts.allSatisfy { $0.beta != nil } ? parts.flatMap { $0.beta! } : nil)
        if parts.allSatisfy({ $0.cutMultipliers != nil }) { cutMultipliers = parts.flatMap { $0.cutMultipliers! } }
        for part in parts {
            for (node, perRow) in part.lineSlopes { lineSlopes[node, default: []] += perRow }
        }
    }
}

extension GraphBackwardPass.Result {
    /// The rows `range` of a batched pass, renumbered from 0 (the relaxed rows stay shared).
    func rows(_ range: Range<Int>) -> GraphBackwardPass.Result {
        GraphBackwardPass.Result(
            lower: Array(lower[range]), corners: Array(corners[range]), relaxedRows: relaxedRows, relaxedRowOffset: relaxedRowOffset + range.lowerBound,
            inputCoefficients: Array(inputCoefficients[range]))
    }

    /// Where row `row`'s coefficients at node `node`'s output lie: `values[start + j]` for
    /// `j < width`; nil when the pass did not reach the node or did not keep its rows.
    func relaxedRow(_ node: Int, _ row: Int) -> (values: [Double], start: Int, width: Int)? {
        guard let block = relaxedRows[node] else { return nil }
        return (block.values, (row + relaxedRowOffset) * block.width, block.width)
    }

    /// Row `row`'s coefficients over each ReLU layer's activations (zeros where the pass did
    /// not reach the layer): what BaBSR and FSB score neurons by.
    func reluCoefficients(row: Int, network: GraphBoundNetwork) -> [[Double]] {
        network.reluNodes.enumerated().map { layer, node in
            guard let kept = relaxedRow(node, row) else { return [Double](repeating: 0, count: network.layout.reluWidth(layer)) }
            return Array(kept.values[kept.start..<(kept.start + kept.width)])
        }
    }
}
