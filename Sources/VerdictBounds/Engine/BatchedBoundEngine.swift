import VerdictCore

/// IBP, CROWN, α-CROWN and β-CROWN for batches of subproblems, with the weight products done
/// by a ``WeightProducts`` (the CPU's dense kernels, or an OpenCL device's).
///
/// A batch is processed layer by layer for all its subproblems together: the neuron rows of
/// every subproblem whose bounds a layer needs are stacked into one matrix, so each backward
/// step is one matrix product (``DenseKernels``). Intermediate bounds come from IBP and, for
/// the neurons IBP leaves unstable, from CROWN; a child subproblem takes its parent's bounds
/// for the layers before its newest split and intersects the rest with them. α and β are
/// optimized for the objective rows, and for the intermediate layers' rows only when
/// ``BoundOptions/intermediateIterations`` asks (otherwise CROWN's adaptive slopes).
public struct BatchedBoundEngine: BoundEngine {
    public let network: BoundNetwork
    public let layout: ActivationLayout
    public let name: String
    let products: any WeightProducts
    let allowance = RoundingAllowance.double

    public init(network: BoundNetwork, products: any WeightProducts, name: String) {
        self.network = network
        self.layout = network.layout
        self.products = products
        self.name = name
    }

    public func truncated(stageCount: Int) throws -> any BoundEngine {
        let cut = network.truncated(stageCount: stageCount)
        return BatchedBoundEngine(network: cut, products: try products.truncated(to: cut), name: name)
    }

    public func bound(_ tasks: [BoundTask], options: BoundOptions) throws -> [SubproblemBounds] {
        try validate(tasks)
        var states = tasks.map { SubproblemState($0.subproblem) }
        let pass = BackwardPass(network: network, allowance: allowance, products: products)
        let kernels = products as? any BackwardKernels
        try kernels?.beginBatch(boxLower: tasks.flatMap(\.subproblem.box.lower), boxUpper: tasks.flatMap(\.subproblem.box.upper))
        for layer in 0..<network.reluLayerCount {
            if options.isStopped { throw BoundEngineError.cancelled }
            try computeLayer(layer, states: &states, tasks: tasks, options: options, pass: pass, kernels: kernels)
            try kernels?.setRelaxation(layer: layer, relaxationArrays(layer, states: states))
        }
        let last = network.reluLayerCount
        appendMagnitudes(last, states: &states, tasks: tasks, parallel: options.parallel)
        try kernels.map { try sendStage(last, states: states, to: $0) }
        if options.objectiveLowerBoundsOnly && options.method != .ibp {
            return try refute(try objectiveLowerBounds(tasks, states: states, pass: pass), tasks: tasks, kernels: kernels)
        }
        let outputIntervals = try outputIntervals(states, kernels: kernels)
        let interval = intervalObjectives(tasks, states: states, outputs: outputIntervals)
        if options.method == .ibp { return try refute(interval, tasks: tasks, kernels: kernels) }
        if options.isStopped { throw BoundEngineError.cancelled }
        // Linear bounds are intersected with the interval ones: never looser than IBP.
        var results = try linearObjectives(tasks, states: states, options: options, pass: pass)
        for index in results.indices where !results[index].isInfeasible {
            for row in results[index].lower.indices {
                results[index].lower[row] = max(results[index].lower[row], interval[index].lower[row])
                results[index].upper[row] = min(results[index].upper[row], interval[index].upper[row])
            }
        }
        return try refute(results, tasks: tasks, kernels: kernels)
    }

    /// The disjuncts the final lower bounds refute, for every feasible subproblem: reduced on
    /// the device where there is one, else on the host.
    private func refute(_ results: [SubproblemBounds], tasks: [BoundTask], kernels: (any BackwardKernels)?) throws -> [SubproblemBounds] {
        var results = results
        guard let kernels else {
            for index in results.indices where !results[index].isInfeasible {
                results[index].refutedDisjuncts = tasks[index].objectives.refuted(
                    byLowerBounds: results[index].lower, conjunctionLower: results[index].conjunctionLower)
            }
            return results
        }
        var lower: [Double] = [], disjunctOfRow: [Int32] = [], isStrict: [Int32] = [], firstDisjunct: [Int32] = [0]
        for (index, task) in tasks.enumerated() {
            let first = firstDisjunct[index]
            if !results[index].isInfeasible {
                let objectives = task.objectives
                lower += results[index].lower
                disjunctOfRow += objectives.disjunctOfRow.map { first + Int32($0) }
                isStrict += objectives.isStrict.map { $0 ? 1 : 0 }
                firstDisjunct.append(first + Int32(objectives.disjunctCount))
            } else {
                firstDisjunct.append(first)
            }
        }
        let refuted = try kernels.refutedDisjuncts(
            lower: lower, disjunctOfRow: disjunctOfRow, isStrict: isStrict, disjunctCount: Int(firstDisjunct.last ?? 0))
        for index in results.indices where !results[index].isInfeasible {
            results[index].refutedDisjuncts = Array(refuted[Int(firstDisjunct[index])..<Int(firstDisjunct[index + 1])])
            // What the device's reduction does not see: conjunctions refuted by combined rows.
            for (disjunct, bound) in (results[index].conjunctionLower ?? []).enumerated() where bound > 0 {
                results[index].refutedDisjuncts[disjunct] = true
            }
        }
        return results
    }

    private func validate(_ tasks: [BoundTask]) throws {
        for task in tasks {
            guard task.subproblem.box.dimension == network.inputCount else {
                throw BoundEngineError.invalidInput("a box of \(task.subproblem.box.dimension) inputs for a network of \(network.inputCount)")
            }
            guard task.objectives.outputCount == network.outputCount else {
                throw BoundEngineError.invalidInput("objectives over \(task.objectives.outputCount) outputs for a network of \(network.outputCount)")
            }
            guard task.subproblem.phases.map(\.count) == (0..<network.reluLayerCount).map(network.reluWidth) else {
                throw BoundEngineError.invalidInput("ReLU phases do not match the network's layers")
            }
        }
    }

    // MARK: Intermediate layers

    private func computeLayer(
        _ layer: Int, states: inout [SubproblemState], tasks: [BoundTask], options: BoundOptions, pass: BackwardPass,
        kernels: (any BackwardKernels)?
    ) throws {
        let method = options.method, parallel = options.parallel
        let stage = network.stages[layer]
        // Interval bounds from the previous layer (or the box), intersected with the parent's.
        appendMagnitudes(layer, states: &states, tasks: tasks, parallel: parallel)
        try kernels.map { try sendStage(layer, states: states, to: $0) }
        if isInherited(layer, states: states, tasks: tasks) {
            // Every subproblem takes this layer from its parent as it is: interval arithmetic
            // from the same inputs would give the parent's bounds again (they are the parent's
            // interval bounds intersected with tighter ones).
            for (index, task) in tasks.enumerated() where !states[index].isInfeasible {
                guard let inherited = task.subproblem.inheritedBounds(layer) else { continue }
                states[index].lower.append(inherited.lower)
                states[index].upper.append(inherited.upper)
            }
        } else if let kernels {
            try intervalOnDevice(layer, states: &states, kernels: kernels)
        } else {
            parallelUpdate(&states, parallel: parallel) { state in
                guard !state.isInfeasible else { return }
                let (inLower, inUpper) = state.stageInputInterval(layer)
                let (lower, upper) = IntervalPass.stage(
                    stage, lower: inLower, upper: inUpper, weightedMagnitude: state.weightedMagnitude[layer], allowance: RoundingAllowance.double)
                state.lower.append(lower)
                state.upper.append(upper)
            }
        }
        for (index, task) in tasks.enumerated() where !states[index].isInfeasible {
            if let parent = task.subproblem.parentBounds, layer < parent.lower.count {
                for j in 0..<stage.outputCount {
                    states[index].lower[layer][j] = max(states[index].lower[layer][j], parent.lower[layer][j])
                    states[index].upper[layer][j] = min(states[index].upper[layer][j], parent.upper[layer][j])
                }
            }
        }
        // CROWN for the free neurons still unstable, two rows each (lower, and upper as -lower of -z).
        if method != .ibp {
            var rows = RowSet(owner: [], coefficients: [], constants: [], unitRows: UnitRows(columns: [], values: []))
            var targets: [(subproblem: Int, neuron: Int, isUpper: Bool)] = []
            for (index, task) in tasks.enumerated() where !states[index].isInfeasible && layer >= task.subproblem.reusableLayers {
                for j in 0..<stage.outputCount
                where task.subproblem.phases[layer][j] == .free && states[index].lower[layer][j] < 0 && states[index].upper[layer][j] > 0 {
                    for isUpper in [false, true] {
                        // One-hot row ±e_j, kept sparse.
                        rows.unitRows?.columns.append(Int32(j))
                        rows.unitRows?.values.append(isUpper ? -1 : 1)
                        rows.owner.append(index)
                        rows.constants.append(0)
                        targets.append((index, j, isUpper))
                    }
                }
            }
            if rows.count > 0 {
                var result = try pass.run(from: layer, rows: rows, states: states, needCorners: false)
                if layer > 0 && options.intermediateIterations > 0 && (options.method == .alphaCrown || options.method == .betaCrown) {
                    let optimizer = RelaxationOptimizer(network: network, pass: pass, options: options.forIntermediateLayers)
                    result = try optimizer.optimize(
                        rows: rows, from: layer, states: states, tasks: nil, initial: result, iterations: options.intermediateIterations
                    ).result
                }
                for (row, target) in targets.enumerated() {
                    if target.isUpper {
                        states[target.subproblem].upper[layer][target.neuron] = min(states[target.subproblem].upper[layer][target.neuron], -result.lower[row])
                    } else {
                        states[target.subproblem].lower[layer][target.neuron] = max(states[target.subproblem].lower[layer][target.neuron], result.lower[row])
                    }
                }
            }
        }
        for index in states.indices where !states[index].isInfeasible {
            var lower = states[index].lower[layer], upper = states[index].upper[layer]
            if let relaxation = ReluRelaxation(lower: &lower, upper: &upper, phases: states[index].phases[layer]) {
                states[index].relaxations.append(relaxation)
                states[index].lower[layer] = lower
                states[index].upper[layer] = upper
            } else {
                states[index].isInfeasible = true
            }
        }
    }

    /// Records stage `stage`'s magnitude factors (`|W|·m`, see ``SubproblemState``) of every
    /// feasible subproblem, computing each distinct product once:
    /// - stage 0's depend on the box alone, which ReLU splitting shares across the whole batch
    ///   (on MNIST-FC a 256 x 784 product per subproblem, half of all the factors' cost);
    /// - a later stage's input is the ReLU layer before it, and where a subproblem takes that
    ///   layer from its parent, the parent's upper bounds bound the activations' magnitudes
    ///   (its own split can only lower them), so its siblings, which share those bounds, share
    ///   one product (filtered smart branching bounds 2k trial children of every parent).
    private func appendMagnitudes(_ stage: Int, states: inout [SubproblemState], tasks: [BoundTask], parallel: Bool) {
        let affine = network.stages[stage]
        // One product per run of equal magnitudes (siblings are consecutive; under ReLU
        // splitting the whole batch shares one box). What decides the magnitudes is compared
        // first, the box or the inherited upper bounds, which siblings hold as the same array.
        var groupOf = [Int](repeating: -1, count: states.count)
        var groups: [[Double]] = []
        var previous: Int?
        for index in states.indices where !states[index].isInfeasible {
            let magnitudes: [Double]
            if stage == 0 {
                if let previous, states[previous].box == states[index].box {
                    groupOf[index] = groupOf[previous]
                    continue
                }
                magnitudes = states[index].inputMagnitude
            } else if let inherited = tasks[index].subproblem.inheritedBounds(stage - 1) {
                if let previous, let before = tasks[previous].subproblem.inheritedBounds(stage - 1), before.upper == inherited.upper {
                    groupOf[index] = groupOf[previous]
                    continue
                }
                magnitudes = inherited.upper.map { max(0, $0) }
            } else {
                continue
            }
            if groups.last != magnitudes { groups.append(magnitudes) }
            groupOf[index] = groups.count - 1
            previous = index
        }
        var products = [(weighted: [Double], sum: Double)](repeating: ([], 0), count: groups.count)
        products.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            DenseKernels.parallelFor(groups.count, parallel: parallel && groups.count > 1) { [groups] group in
                base[group] = SubproblemState.magnitudeFactors(of: affine, magnitudes: groups[group])
            }
        }
        for index in states.indices where !states[index].isInfeasible && groupOf[index] >= 0 {
            states[index].weightedMagnitude.append(products[groupOf[index]].weighted)
            states[index].stageInputMagnitudeSum.append(products[groupOf[index]].sum)
        }
        let own = states.indices.filter { !states[$0].isInfeasible && groupOf[$0] < 0 }
        states.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            DenseKernels.parallelFor(own.count, parallel: parallel && own.count > 1) { position in
                base[own[position]].appendMagnitudes(of: affine, stage: stage)
            }
        }
    }

    /// Whether every feasible subproblem of the batch reuses layer `layer` of its parent's
    /// bounds (ReLU splitting's children below their split; every layer for
    /// ``BoundOptions/objectiveLowerBoundsOnly`` trials).
    private func isInherited(_ layer: Int, states: [SubproblemState], tasks: [BoundTask]) -> Bool {
        tasks.indices.allSatisfy { index in states[index].isInfeasible || tasks[index].subproblem.inheritedBounds(layer) != nil }
    }

    // MARK: Objectives

    /// IBP bounds of the network's outputs for every feasible subproblem (nil for the others):
    /// on the device where there is one.
    private func outputIntervals(_ states: [SubproblemState], kernels: (any BackwardKernels)?) throws -> [(lower: [Double], upper: [Double])?] {
        let last = network.reluLayerCount
        guard let kernels else {
            return states.map { state in
                guard !state.isInfeasible else { return nil }
                let (inLower, inUpper) = state.stageInputInterval(last)
                return IntervalPass.stage(
                    network.stages[last], lower: inLower, upper: inUpper, weightedMagnitude: state.weightedMagnitude[last], allowance: allowance)
            }
        }
        let outputs = network.outputCount
        let (lower, upper) = try interval(last, states: states, kernels: kernels)
        return states.indices.map { index in
            guard !states[index].isInfeasible else { return nil }
            let range = (index * outputs)..<((index + 1) * outputs)
            return (Array(lower[range]), Array(upper[range]))
        }
    }

    private func intervalObjectives(
        _ tasks: [BoundTask], states: [SubproblemState], outputs: [(lower: [Double], upper: [Double])?]
    ) -> [SubproblemBounds] {
        return tasks.indices.map { index in
            let state = states[index], objectives = tasks[index].objectives
            guard !state.isInfeasible, let (yLower, yUpper) = outputs[index] else { return infeasibleResult(objectives, state: state) }
            var lower: [Double] = [], upper: [Double] = []
            let gamma = allowance.gamma(network.outputCount + 2)
            for row in 0..<objectives.rowCount {
                var low = objectives.constants[row], high = objectives.constants[row], magnitude = low.magnitude
                for o in 0..<network.outputCount {
                    let c = objectives.coefficients[row * network.outputCount + o]
                    low += c * (c >= 0 ? yLower[o] : yUpper[o])
                    high += c * (c >= 0 ? yUpper[o] : yLower[o])
                    magnitude += c.magnitude * max(yLower[o].magnitude, yUpper[o].magnitude)
                }
                lower.append(allowance.lowered(low, by: gamma * magnitude))
                upper.append(-allowance.lowered(-high, by: gamma * magnitude))
            }
            return SubproblemBounds(
                lower: lower, upper: upper, refutedDisjuncts: objectives.refuted(byLowerBounds: lower), isInfeasible: false,
                layerBounds: state.layerBounds, relaxation: nil, witnessCandidate: state.box.center)
        }
    }

    private func linearObjectives(_ tasks: [BoundTask], states: [SubproblemState], options: BoundOptions, pass: BackwardPass) throws -> [SubproblemBounds] {
        let last = network.reluLayerCount
        // Rows c (for lower bounds) of every feasible subproblem; -c gives the upper bounds.
        var lowerRows = RowSet(owner: [], coefficients: [], constants: [])
        var firstRow: [Int] = []
        for (index, task) in tasks.enumerated() {
            firstRow.append(lowerRows.count)
            guard !states[index].isInfeasible else { continue }
            let objectives = task.objectives
            for row in 0..<objectives.rowCount {
                let coefficients = Array(objectives.coefficients[(row * objectives.outputCount)..<((row + 1) * objectives.outputCount)])
                lowerRows.owner.append(index)
                lowerRows.coefficients += coefficients
                lowerRows.constants.append(objectives.constants[row])
            }
        }
        // Coefficients kept for branching heuristics (see SubproblemBounds.branchingCoefficients).
        var lowerResult = try pass.run(from: last, rows: lowerRows, states: states, keepCoefficients: true)
        let crownCoefficients = lowerResult.activationCoefficients, crownInputCoefficients = lowerResult.inputCoefficients
        var upperResult: BackwardResult?
        if options.linearUpperBounds {
            let upperRows = RowSet(owner: lowerRows.owner, coefficients: lowerRows.coefficients.map { -$0 }, constants: lowerRows.constants.map { -$0 })
            upperResult = try pass.run(from: last, rows: upperRows, states: states, needCorners: false)
        }
        var relaxations: [OptimizedRelaxation?] = Array(repeating: nil, count: tasks.count)
        // Linear forms over the inputs whose nonnegative combinations may refute conjunctions.
        var forms: [(lower: [Double], coefficients: [Double])] = crownInputCoefficients.map { [(lowerResult.lower, $0)] } ?? []
        if options.method == .alphaCrown || options.method == .betaCrown, lowerRows.count > 0 {
            let optimizer = RelaxationOptimizer(network: network, pass: pass, options: options)
            let optimized = try optimizer.optimize(rows: lowerRows, states: states, tasks: tasks, initial: lowerResult)
            lowerResult = optimized.result
            if let coefficients = lowerResult.inputCoefficients {
                forms.append((lowerResult.lower, coefficients))
            } else if tasks.contains(where: { $0.objectives.hasConjunction }) {
                // The optimized forms again, with their input coefficients.
                var again = lowerRows
                again.alpha = optimized.alpha
                again.beta = options.method == .betaCrown ? optimized.beta : nil
                let result = try pass.run(from: last, rows: again, states: states, keepCoefficients: true, needCorners: false)
                if let coefficients = result.inputCoefficients { forms.append((result.lower, coefficients)) }
            }
            for (index, _) in tasks.enumerated() where !states[index].isInfeasible {
                let rowRange = firstRow[index]..<(firstRow[index] + tasks[index].objectives.rowCount)
                relaxations[index] = OptimizedRelaxation(
                    alpha: rowRange.map { optimized.alpha[$0].flatMap { $0 } },
                    beta: rowRange.map { optimized.beta[$0].flatMap { $0 } })
            }
        }
        return tasks.indices.map { index in
            let state = states[index], objectives = tasks[index].objectives
            guard !state.isInfeasible else { return infeasibleResult(objectives, state: state) }
            let range = firstRow[index]..<(firstRow[index] + objectives.rowCount)
            let lower = Array(lowerResult.lower[range])
            let upper = upperResult.map { $0.lower[range].map { -$0 } } ?? Array(repeating: .infinity, count: range.count)
            // The witness candidate: the minimizing corner of the row closest to being satisfied.
            let weakest = range.min { lowerResult.lower[$0] < lowerResult.lower[$1] }
            let conjunctionLower = objectives.conjunctionLower(rowForms(forms, rows: range, box: state.box), lower: lower)
            let refuted = objectives.refuted(byLowerBounds: lower, conjunctionLower: conjunctionLower)
            var result = SubproblemBounds(
                lower: lower, upper: upper, refutedDisjuncts: refuted, isInfeasible: false,
                layerBounds: state.layerBounds, relaxation: relaxations[index],
                witnessCandidate: weakest.map { lowerResult.corner[$0] } ?? state.box.center)
            result.conjunctionLower = conjunctionLower
            if let row = objectives.weakestRow(lower: lower, refuted: refuted) {
                result.branchingCoefficients = (0..<network.reluLayerCount).map { layer in
                    let width = network.reluWidth(layer), global = range.lowerBound + row
                    return Array(crownCoefficients[layer][(global * width)..<((global + 1) * width)])
                }
                let global = range.lowerBound + row, width = network.inputCount
                result.inputCoefficients = crownInputCoefficients.map { Array($0[(global * width)..<((global + 1) * width)]) }
            }
            return result
        }
    }

    /// Rows `range` of each set of `forms` (a lower bound per row and the matching
    /// `rows x inputs` coefficients) as one subproblem's ``RowForms``.
    private func rowForms(_ forms: [(lower: [Double], coefficients: [Double])], rows range: Range<Int>, box: InputBox) -> [RowForms] {
        let width = network.inputCount
        return forms.map { set in
            RowForms(lower: Array(set.lower[range]), coefficients: range.map { Array(set.coefficients[($0 * width)..<(($0 + 1) * width)]) }, box: box)
        }
    }

    /// The objective rows' lower bounds alone, by one pass at each task's warm-start α and β
    /// (see ``BoundOptions/objectiveLowerBoundsOnly``); upper bounds are left infinite.
    private func objectiveLowerBounds(_ tasks: [BoundTask], states: [SubproblemState], pass: BackwardPass) throws -> [SubproblemBounds] {
        let parameters = network.reluCount
        var rows = RowSet(owner: [], coefficients: [], constants: [])
        var alpha: [[[Double]]] = [], beta: [[[Double]]] = []
        var anyWarm = false
        var firstRow: [Int] = []
        for (index, task) in tasks.enumerated() {
            firstRow.append(rows.count)
            guard !states[index].isInfeasible else { continue }
            let objectives = task.objectives, warm = task.subproblem.warmStart
            // CROWN's slopes and no β where the warm start has nothing for a row.
            lazy var slopes = states[index].relaxations.map(\.lowerSlope)
            lazy var noBeta = slopes.map { [Double](repeating: 0, count: $0.count) }
            for row in 0..<objectives.rowCount {
                rows.owner.append(index)
                rows.coefficients += objectives.coefficients[(row * objectives.outputCount)..<((row + 1) * objectives.outputCount)]
                rows.constants.append(objectives.constants[row])
                if let warm, row < warm.alpha.count, warm.alpha[row].count == parameters {
                    anyWarm = true
                    alpha.append(perLayer(warm.alpha[row]))
                    beta.append(row < warm.beta.count && warm.beta[row].count == parameters ? perLayer(warm.beta[row]) : noBeta)
                } else {
                    alpha.append(slopes)
                    beta.append(noBeta)
                }
            }
        }
        if anyWarm {
            rows.alpha = alpha
            rows.beta = beta
        }
        let result = try pass.run(from: network.reluLayerCount, rows: rows, states: states, needCorners: false)
        return tasks.indices.map { index in
            let state = states[index], objectives = tasks[index].objectives
            guard !state.isInfeasible else { return infeasibleResult(objectives, state: state) }
            let lower = Array(result.lower[firstRow[index]..<(firstRow[index] + objectives.rowCount)])
            return SubproblemBounds(
                lower: lower, upper: Array(repeating: .infinity, count: objectives.rowCount),
                refutedDisjuncts: objectives.refuted(byLowerBounds: lower), isInfeasible: false, layerBounds: state.layerBounds,
                relaxation: nil, witnessCandidate: state.box.center)
        }
    }

    /// A flat array over every ReLU of the network, one array per ReLU layer.
    private func perLayer(_ values: [Double]) -> [[Double]] {
        var offset = 0
        return (0..<network.reluLayerCount).map { layer in
            defer { offset += network.reluWidth(layer) }
            return Array(values[offset..<(offset + network.reluWidth(layer))])
        }
    }

    /// Stage `stage`'s magnitude factors of the whole batch, for a device (zeros for empty
    /// subproblems, which have no rows).
    private func sendStage(_ stage: Int, states: [SubproblemState], to kernels: any BackwardKernels) throws {
        let width = network.stages[stage].outputCount
        var weighted = [Double](repeating: 0, count: states.count * width)
        var sums = [Double](repeating: 0, count: states.count)
        for (index, state) in states.enumerated() where stage < state.weightedMagnitude.count {
            weighted.replaceSubrange((index * width)..<((index + 1) * width), with: state.weightedMagnitude[stage])
            sums[index] = state.stageInputMagnitudeSum[stage]
        }
        try kernels.setStage(stage, weightedMagnitude: weighted, inputMagnitudeSum: sums)
    }

    /// IBP through stage `layer` on the device, for every feasible subproblem.
    private func intervalOnDevice(_ layer: Int, states: inout [SubproblemState], kernels: any BackwardKernels) throws {
        let result = try interval(layer, states: states, kernels: kernels)
        let outputs = network.stages[layer].outputCount
        for index in states.indices where !states[index].isInfeasible {
            let range = (index * outputs)..<((index + 1) * outputs)
            states[index].lower.append(Array(result.lower[range]))
            states[index].upper.append(Array(result.upper[range]))
        }
    }

    /// Stage `layer`'s output intervals of the whole batch from the device (`subproblems x
    /// outputs`; zeros in, meaningless values out, for empty subproblems).
    private func interval(_ layer: Int, states: [SubproblemState], kernels: any BackwardKernels) throws -> (lower: [Double], upper: [Double]) {
        let width = network.stages[layer].inputCount
        var lower: [Double] = [], upper: [Double] = []
        lower.reserveCapacity(states.count * width)
        upper.reserveCapacity(states.count * width)
        for state in states {
            guard !state.isInfeasible else {
                lower.append(contentsOf: repeatElement(0, count: width))
                upper.append(contentsOf: repeatElement(0, count: width))
                continue
            }
            let (inLower, inUpper) = state.stageInputInterval(layer)
            lower += inLower
            upper += inUpper
        }
        return try kernels.intervalStage(layer, lower: lower, upper: upper)
    }

    /// ReLU layer `layer`'s relaxation of the whole batch (zeros for empty subproblems).
    private func relaxationArrays(_ layer: Int, states: [SubproblemState]) -> RelaxationArrays {
        let width = network.reluWidth(layer)
        var arrays = RelaxationArrays(
            lowerSlope: [], upperSlope: [], upperIntercept: [], isUnstable: [], splitSign: [], preActivationMagnitude: [],
            lower: [], upper: [])
        let fields = [\RelaxationArrays.lowerSlope, \.upperSlope, \.upperIntercept, \.isUnstable, \.splitSign, \.preActivationMagnitude, \.lower, \.upper]
        for keyPath in fields { arrays[keyPath: keyPath].reserveCapacity(states.count * width) }
        let zeros = [Double](repeating: 0, count: width)
        for state in states {
            guard layer < state.relaxations.count else {
                for keyPath in fields { arrays[keyPath: keyPath].append(contentsOf: zeros) }
                continue
            }
            let relaxation = state.relaxations[layer]
            arrays.lowerSlope += relaxation.lowerSlope
            arrays.upperSlope += relaxation.upperSlope
            arrays.upperIntercept += relaxation.upperIntercept
            arrays.isUnstable += relaxation.isUnstable.map { $0 ? 1 : 0 }
            arrays.splitSign += relaxation.splitSign
            arrays.preActivationMagnitude += relaxation.preActivationMagnitude
            arrays.lower += state.lower[layer]
            arrays.upper += state.upper[layer]
        }
        return arrays
    }

    private func infeasibleResult(_ objectives: Objectives, state: SubproblemState) -> SubproblemBounds {
        SubproblemBounds(
            lower: Array(repeating: .infinity, count: objectives.rowCount), upper: Array(repeating: -.infinity, count: objectives.rowCount),
            refutedDisjuncts: Array(repeating: true, count: objectives.disjunctCount), isInfeasible: true,
            layerBounds: state.layerBounds, relaxation: nil, witnessCandidate: state.box.center)
    }

    /// Applies `body` to every state, on all cores.
    private func parallelUpdate(_ states: inout [SubproblemState], parallel: Bool, _ body: @escaping @Sendable (inout SubproblemState) -> Void) {
        states.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            DenseKernels.parallelFor(buffer.count, parallel: parallel && buffer.count > 1) { index in body(&base[index]) }
        }
    }
}
