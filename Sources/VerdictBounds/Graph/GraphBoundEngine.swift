import Foundation
import VerdictCore

/// IBP and CROWN over a graph of operators, on the CPU in `Double` with the rounding
/// allowances of each operator's rule: the engine for networks that are not chains of dense
/// layers (convolutions, pooling, residual connections).
///
/// Each subproblem's forward pass (one per core), node by node in topological order: interval
/// bounds for every value; for each ReLU layer, the pre-activation bounds of its unstable free
/// neurons tightened by a CROWN pass from that value (rows in parallel chunks), then its
/// relaxation; for each S-shaped node (Sigmoid, Tanh), the same for every neuron of its input,
/// limited by the subproblem's splits of those neurons; at the end CROWN passes for the
/// objective rows (`c` and `-c`), passed back for a group of subproblems at once (one group
/// per core), so that each convolution or dense layer multiplies all their rows in one
/// product. A child takes its parent's pre-activation bounds below its split's layer as they
/// are and intersects the rest with them. `alpha-crown` and `beta-crown` optimize α (and β)
/// for the objective rows (``GraphRelaxationOptimizer``), warm-started from the parent; so do
/// the rows of every intermediate layer where ``BoundOptions/intermediateIterations`` asks
/// (the root of a search), otherwise they keep CROWN's slopes. ``BoundOptions/cutRounds`` adds
/// cutting planes to the objective rows (`Cuts/`); a subproblem whose warm start carries cuts
/// lifts them into its rows too.
public struct GraphBoundEngine: BoundEngine {
    public let graph: GraphBoundNetwork
    public let name: String
    /// Rows per CROWN pass chunk: bounds the memory of one pass (rows x widest value).
    let chunk = 32

    public init(graph: GraphBoundNetwork, name: String = "cpu-graph") {
        self.graph = graph
        self.name = name
    }

    public var layout: ActivationLayout { graph.layout }

    public func truncated(stageCount: Int) throws -> any BoundEngine {
        GraphBoundEngine(graph: graph.truncated(stageCount: stageCount), name: name)
    }

    public func bound(_ tasks: [BoundTask], options: BoundOptions) throws -> [SubproblemBounds] {
        for task in tasks {
            guard task.subproblem.box.dimension == layout.inputCount, task.objectives.outputCount == layout.outputCount,
                  task.subproblem.phases.map(\.count) == layout.reluWidths else {
                throw BoundEngineError.invalidInput("a subproblem or objectives that do not fit the network")
            }
        }
        // In slices, so that only one slice's forward states are held at once (a branching
        // step bounds hundreds of trial children in one call).
        var results: [SubproblemBounds] = []
        for start in stride(from: 0, to: tasks.count, by: Self.sliceTasks) {
            results += try bound(Array(tasks[start..<min(start + Self.sliceTasks, tasks.count)]), options: options, total: tasks.count)
        }
        return results
    }

    /// The most subproblems whose forward states are held at once.
    static let sliceTasks = 128

    /// The forward pass of each task, then their objective rows in groups.
    private func bound(_ tasks: [BoundTask], options: BoundOptions, total: Int) throws -> [SubproblemBounds] {
        // The forward passes: one family of siblings (or one subproblem) per core, or one
        // subproblem's rows' chunks spread over the cores.
        let families = self.families(tasks, options: options)
        let acrossTasks = options.parallel && families.count > 1
        var forwards = [Result<[Forward], Error>?](repeating: nil, count: families.count)
        forwards.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            DenseKernels.parallelFor(families.count, parallel: acrossTasks) { index in
                base[index] = Result { try forward(tasks[families[index]], options: options, parallelRows: options.parallel && total == 1) }
            }
        }
        var results = [SubproblemBounds?](repeating: nil, count: tasks.count)
        var open: [ObjectiveItem] = [], openIndices: [Int] = []
        for (index, forward) in zip(families.joined(), try forwards.flatMap { try $0!.get() }) {
            switch forward {
            case .infeasible(let bounds): results[index] = bounds
            case .bounded(let state):
                open.append(ObjectiveItem(objectives: tasks[index].objectives, state: state, warmStart: tasks[index].subproblem.warmStart))
                openIndices.append(index)
            }
        }
        // The objective rows: one group of subproblems per core, each group's rows passed back
        // together.
        let groups = Self.groups(open.map(\.objectives.rowCount), parallel: options.parallel), items = open
        var grouped = [[SubproblemBounds]](repeating: [], count: groups.count)
        grouped.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            DenseKernels.parallelFor(groups.count, parallel: options.parallel && groups.count > 1) { index in
                base[index] = objectiveBounds(Array(items[groups[index]]), options: options)
            }
        }
        for (group, bounds) in zip(groups, grouped) {
            for (offset, bound) in zip(group, bounds) { results[openIndices[offset]] = bound }
        }
        return results.map { $0! }
    }

    /// Consecutive groups of items with `rows` objective rows each: one per core when
    /// `parallel`, each of at most about ``groupRows`` rows (the memory of a batched pass).
    static func groups(_ rows: [Int], parallel: Bool) -> [Range<Int>] {
        let cores = parallel ? max(ProcessInfo.processInfo.activeProcessorCount, 1) : 1
        let total = rows.reduce(0, +)
        let count = min(rows.count, max(cores, (total + groupRows - 1) / groupRows))
        guard count > 0 else { return [] }
        return (0..<count).map { g in (g * rows.count / count)..<((g + 1) * rows.count / count) }
    }

    /// The most objective rows a group passes back at once.
    static let groupRows = 256

    /// Consecutive branching trials (``BoundOptions/objectiveLowerBoundsOnly``) that share one
    /// forward pass: siblings that take every ReLU layer's bounds as they are from the same
    /// parent bounds over the same box. Their parent's forward pass, with only the phases they
    /// all share, holds on each of them; each then needs only its own ReLU layers relaxed
    /// again. A sibling's interval bounds past its split are then its parent's, not the
    /// tighter ones its own pass would find: that costs a trial's score little (CROWN's rows
    /// decide it) but could cost a real child its proof, so real children are bounded alone.
    /// On sri_resnet_a `idx_3667` (`--child-intermediate reuse`) 60 s bound 2,235 subproblems
    /// instead of about 1,500. Graphs with S-shaped nodes (whose input bounds are recomputed
    /// per child) bound each task alone.
    private func families(_ tasks: [BoundTask], options: BoundOptions) -> [Range<Int>] {
        func shares(_ subproblem: Subproblem) -> Bool {
            guard let bounds = subproblem.parentBounds else { return false }
            return bounds.lower.count >= subproblem.phases.count && subproblem.reusableLayers >= subproblem.phases.count && subproblem.smoothLimits.isEmpty
        }
        let canShare = options.objectiveLowerBoundsOnly && !graph.operators.contains { $0.needsTightInputBounds }
        var families: [Range<Int>] = [], start = 0
        for index in tasks.indices.dropFirst() {
            let first = tasks[start].subproblem, next = tasks[index].subproblem
            if canShare && shares(first) && shares(next) && next.box == first.box && next.parentBounds == first.parentBounds { continue }
            families.append(start..<index)
            start = index
        }
        if !tasks.isEmpty { families.append(start..<tasks.count) }
        return families
    }

    /// The forward passes of one family (see ``families(_:)``): of its one task, or of the
    /// siblings' parent (the phases all of them share) with each sibling's own ReLU layers
    /// relaxed again. The parent's intervals hold on every sibling's region, which adds
    /// constraints to the parent's; a sibling's relaxation of a layer is the one its own pass
    /// would build (its phases over the inherited bounds).
    private func forward(_ family: ArraySlice<BoundTask>, options: BoundOptions, parallelRows: Bool) throws -> [Forward] {
        guard family.count > 1, let first = family.first else { return try family.map { try forward($0, options: options, parallelRows: parallelRows) } }
        var parent = first.subproblem
        for task in family.dropFirst() {
            for layer in parent.phases.indices where parent.phases[layer] != task.subproblem.phases[layer] {
                for j in parent.phases[layer].indices where parent.phases[layer][j] != task.subproblem.phases[layer][j] { parent.phases[layer][j] = .free }
            }
        }
        guard case .bounded(let base) = try forward(BoundTask(subproblem: parent, objectives: first.objectives), options: options, parallelRows: parallelRows) else {
            return try family.map { try forward($0, options: options, parallelRows: parallelRows) }
        }
        return family.map { sibling(of: base, phases: parent.phases, task: $0) }
    }

    /// `task`'s forward state from its parent's `base` (built with `phases`).
    private func sibling(of base: GraphState, phases: [[ReluPhase]], task: BoundTask) -> Forward {
        var state = base
        for (layer, node) in graph.reluNodes.enumerated() where task.subproblem.phases[layer] != phases[layer] {
            let inherited = task.subproblem.inheritedBounds(layer)!
            switch graph.operators[node].relax([ValueBounds(lower: inherited.lower, upper: inherited.upper)], phases: task.subproblem.phases[layer]) {
            case .infeasible:
                return .infeasible(infeasible(task.objectives, state: state, box: task.subproblem.box))
            case .relaxed(let relaxation):
                state.relaxations[node] = relaxation
                if let lines = relaxation as? ReLUOperator.Lines {
                    state.bounds[graph.network.nodes[node].inputs[0].valueIndex] = lines.bounds
                    state.preActivations[layer] = lines.bounds
                }
            case .linear:
                break
            }
        }
        return .bounded(state)
    }

    private enum Forward {
        case infeasible(SubproblemBounds)
        case bounded(GraphState)
    }

    /// Bounds of every value of `task`'s subproblem, node by node, and each piecewise-linear
    /// node's relaxation.
    private func forward(_ task: BoundTask, options: BoundOptions, parallelRows: Bool) throws -> Forward {
        let subproblem = task.subproblem, objectives = task.objectives
        var state = GraphState(network: graph, box: subproblem.box)
        state.cuts = subproblem.warmStart?.cuts
        let pass = GraphBackwardPass(network: graph)
        for index in 0..<graph.nodeLimit {
            if options.isStopped { throw BoundEngineError.cancelled }
            let node = graph.network.nodes[index], rule = graph.operators[index]
            if let layer = graph.reluLayerOfNode[index] {
                let value = node.inputs[0]
                state.bounds[value.valueIndex] = preActivationBounds(
                    layer, value: value, subproblem: subproblem, state: state, options: options, pass: pass, parallel: parallelRows)
            } else if rule.needsTightInputBounds {
                let value = node.inputs[0]
                var bounds = inheritedOrTightInputBounds(index, value: value, subproblem: subproblem, state: state, options: options, pass: pass, parallel: parallelRows)
                // The subproblem's splits of this node's neurons; crossing limits leave no input.
                for limit in subproblem.smoothLimits where limit.node == index {
                    if limit.isUpper { bounds.upper[limit.neuron] = min(bounds.upper[limit.neuron], limit.point) }
                    else { bounds.lower[limit.neuron] = max(bounds.lower[limit.neuron], limit.point) }
                    if bounds.lower[limit.neuron] > bounds.upper[limit.neuron] { return .infeasible(infeasible(objectives, state: state, box: subproblem.box)) }
                }
                state.bounds[value.valueIndex] = bounds
                state.smoothInputBounds[index] = bounds
            }
            let inputs = node.inputs.map { state.bounds[$0.valueIndex]! }
            switch rule.relax(inputs, phases: graph.reluLayerOfNode[index].map { subproblem.phases[$0] }) {
            case .infeasible:
                return .infeasible(infeasible(objectives, state: state, box: subproblem.box))
            case .relaxed(let relaxation):
                state.relaxations[index] = relaxation
                if let lines = relaxation as? ReLUOperator.Lines {
                    state.bounds[node.inputs[0].valueIndex] = lines.bounds
                    state.preActivations.append(lines.bounds)
                }
            case .linear:
                state.weightedMagnitudes[index] = rule.weightedMagnitude(inputs)
            }
            // A linear node's inputs are as its magnitude factors saw them: they are reused.
            state.bounds[index + 1] = rule.interval(node.inputs.map { state.bounds[$0.valueIndex]! }, weightedMagnitude: state.weightedMagnitudes[index])
        }
        state.cacheCutMagnitudes(graph)
        return .bounded(state)
    }

    /// Bounds of ReLU layer `layer`'s input: the parent's where the child inherits them, else
    /// interval bounds intersected with the parent's and tightened by CROWN.
    private func preActivationBounds(
        _ layer: Int, value: ValueID, subproblem: Subproblem, state: GraphState, options: BoundOptions, pass: GraphBackwardPass, parallel: Bool
    ) -> ValueBounds {
        if let inherited = subproblem.inheritedBounds(layer) { return ValueBounds(lower: inherited.lower, upper: inherited.upper) }
        var bounds = state.bounds[value.valueIndex]!
        if let parent = subproblem.parentBounds, layer < parent.lower.count {
            for j in bounds.lower.indices {
                bounds.lower[j] = max(bounds.lower[j], parent.lower[layer][j])
                bounds.upper[j] = min(bounds.upper[j], parent.upper[layer][j])
            }
        }
        // The first linear layer after the input: interval bounds are CROWN's already.
        guard options.method != .ibp, !isAffineOfInput(value) else { return bounds }
        let targets = bounds.lower.indices.filter { subproblem.phases[layer][$0] == .free && bounds.lower[$0] < 0 && bounds.upper[$0] > 0 }
        guard !targets.isEmpty else { return bounds }
        bounds = tightened(bounds, neurons: targets, value: value, state: state, options: options, pass: pass, parallel: parallel, optimizing: false, relu: true)
        // α-CROWN where asked (the root: every subproblem inherits its bounds), for the
        // neurons CROWN left unstable only: on `collins_rul_cnn` optimizing every row IBP left
        // unstable took 17 s for a root CROWN bounds in 1.4 s, and changed nothing.
        guard options.intermediateIterations > 0 && (options.method == .alphaCrown || options.method == .betaCrown) else { return bounds }
        let unstable = targets.filter { bounds.lower[$0] < 0 && bounds.upper[$0] > 0 }
        guard !unstable.isEmpty else { return bounds }
        return tightened(bounds, neurons: unstable, value: value, state: state, options: options, pass: pass, parallel: parallel, optimizing: true, relu: true)
    }

    /// A parent's bounds of S-shaped node `node`'s input where the child may take them as they
    /// are, else ``tightInputBounds`` intersected with them.
    private func inheritedOrTightInputBounds(
        _ node: Int, value: ValueID, subproblem: Subproblem, state: GraphState, options: BoundOptions, pass: GraphBackwardPass, parallel: Bool
    ) -> ValueBounds {
        let parent = subproblem.smoothParentBounds[node]
        if let parent, node <= subproblem.smoothReusableThrough { return parent }
        var bounds = tightInputBounds(value, state: state, options: options, pass: pass, parallel: parallel)
        if let parent, parent.lower.count == bounds.lower.count {
            for j in bounds.lower.indices {
                bounds.lower[j] = max(bounds.lower[j], parent.lower[j])
                bounds.upper[j] = min(bounds.upper[j], parent.upper[j])
            }
        }
        return bounds
    }

    /// Bounds of the input of an operator whose every line depends on them (Sigmoid, Tanh):
    /// interval bounds tightened by CROWN for every neuron not already pinned down.
    private func tightInputBounds(_ value: ValueID, state: GraphState, options: BoundOptions, pass: GraphBackwardPass, parallel: Bool) -> ValueBounds {
        let bounds = state.bounds[value.valueIndex]!
        guard options.method != .ibp, !isAffineOfInput(value) else { return bounds }
        let targets = bounds.lower.indices.filter { bounds.upper[$0] - bounds.lower[$0] > 1e-9 }
        guard !targets.isEmpty else { return bounds }
        let crown = tightened(bounds, neurons: targets, value: value, state: state, options: options, pass: pass, parallel: parallel, optimizing: false, relu: false)
        // α-CROWN on these rows too where asked (the root), as for ReLU layers.
        guard options.intermediateIterations > 0 && (options.method == .alphaCrown || options.method == .betaCrown) else { return crown }
        return tightened(crown, neurons: targets, value: value, state: state, options: options, pass: pass, parallel: parallel, optimizing: true, relu: false)
    }

    /// `bounds` intersected with CROWN's (α-CROWN's when `optimizing`) for `neurons`: rows
    /// `e_j` (lower bounds) and `-e_j` (upper bounds, negated) passed back from `value`. For a
    /// ReLU's input (`relu`) only the signs matter, so a row stops optimizing once positive.
    private func tightened(
        _ bounds: ValueBounds, neurons: [Int], value: ValueID, state: GraphState, options: BoundOptions, pass: GraphBackwardPass, parallel: Bool,
        optimizing: Bool, relu: Bool
    ) -> ValueBounds {
        let rows = neurons.flatMap { [($0, 1.0), ($0, -1.0)] }
        let width = bounds.lower.count
        let lower = chunkedPass(rows.count, parallel: parallel) { range in
            // Past the deadline the remaining chunks bound nothing (a sound -∞); the caller
            // stops at the next node.
            if options.isStopped { return Array(repeating: -.infinity, count: range.count) }
            var block = RowBlock(rows: range.count, width: width)
            for (offset, row) in range.enumerated() { block.values[offset * block.width + rows[row].0] = rows[row].1 }
            let constants = [Double](repeating: 0, count: range.count)
            let crown = pass.run(from: value, rows: block, constants: constants, state: state, keepReluCoefficients: optimizing)
            guard optimizing else { return crown.lower }
            let optimizer = GraphRelaxationOptimizer(network: graph, pass: pass, options: options.forIntermediateLayers)
            return optimizer.optimize(
                block, constants: constants, from: value, state: state, initial: crown, warmStart: nil, iterations: options.intermediateIterations,
                stopWhenPositive: relu
            ).result.lower
        }
        var result = bounds
        for (row, (j, sign)) in rows.enumerated() {
            if sign > 0 { result.lower[j] = max(result.lower[j], lower[row]) } else { result.upper[j] = min(result.upper[j], -lower[row]) }
        }
        return result
    }

    /// Whether `value` is a linear function of the input with no ReLU in between (its interval
    /// bounds are as tight as CROWN's).
    private func isAffineOfInput(_ value: ValueID) -> Bool {
        guard let node = graph.producer(value) else { return true }
        let layer = graph.network.nodes[node].layer
        guard layer is AffineLayer || layer is ConvLayer else { return false }
        return graph.network.nodes[node].inputs == [.input]
    }

    /// `body` on chunks of `count` rows (in parallel when asked), results in order.
    private func chunkedPass(_ count: Int, parallel: Bool, _ body: @Sendable (Range<Int>) -> [Double]) -> [Double] {
        let chunks = stride(from: 0, to: count, by: chunk).map { $0..<min($0 + chunk, count) }
        var parts = [[Double]](repeating: [], count: chunks.count)
        parts.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let base = buffer.baseAddress!
            DenseKernels.parallelFor(chunks.count, parallel: parallel) { base[$0] = body(chunks[$0]) }
        }
        return parts.flatMap { $0 }
    }

    /// One subproblem's objective rows, bounded over its forward state.
    private struct ObjectiveItem {
        var objectives: Objectives
        var state: GraphState
        var warmStart: OptimizedRelaxation?
        var block: RowBlock { RowBlock(rows: objectives.rowCount, width: objectives.outputCount, values: objectives.coefficients) }
    }

    /// The rows of several items (negated: their upper bounds) passed back from the output in
    /// one pass, with each item's parameters where given; each item's part of the result.
    private func batchedPass(
        _ items: [ObjectiveItem], negated: Bool = false, keepReluCoefficients: Bool, parameters: [GraphBackwardPass.Parameters]? = nil
    ) -> [GraphBackwardPass.Result] {
        let parts = items.indices.map { k in
            let item = items[k], sign = negated ? -1.0 : 1.0
            return GraphBackwardPass.Part(
                rows: RowBlock(rows: item.objectives.rowCount, width: item.objectives.outputCount, values: item.objectives.coefficients.map { sign * $0 }),
                constants: item.objectives.constants.map { sign * $0 }, state: item.state, parameters: parameters?[k])
        }
        return GraphBackwardPass(network: graph).run(from: graph.outputValue, parts: parts, keepReluCoefficients: keepReluCoefficients)
    }

    /// CROWN bounds of the objective rows (lower from `c`, upper from `-c`), intersected with
    /// the interval ones, with the witness candidate and branching coefficients of the row
    /// closest to refuting the weakest disjunct. Each pass (CROWN, every α/β step, the upper
    /// bounds) takes the rows of all items at once.
    private func objectiveBounds(_ items: [ObjectiveItem], options: BoundOptions) -> [SubproblemBounds] {
        var results = items.map { intervalObjectiveBounds($0) }
        let bounded = options.method == .ibp ? [] : items.indices.filter { items[$0].objectives.rowCount > 0 }
        if !bounded.isEmpty { linearObjectiveBounds(items, bounded, options: options, into: &results) }
        for index in results.indices {
            if options.objectiveLowerBoundsOnly { results[index].upper = Array(repeating: .infinity, count: results[index].lower.count) }
            results[index].refutedDisjuncts = items[index].objectives.refuted(byLowerBounds: results[index].lower, conjunctionLower: results[index].conjunctionLower)
        }
        return results
    }

    /// The CROWN (and α/β) part of ``objectiveBounds(_:options:)`` for the items `bounded`.
    private func linearObjectiveBounds(_ items: [ObjectiveItem], _ bounded: [Int], options: BoundOptions, into results: inout [SubproblemBounds]) {
        let subset = bounded.map { items[$0] }
        let crown = batchedPass(subset, keepReluCoefficients: true)
        var best = crown
        // Linear forms over the inputs whose nonnegative combinations may refute conjunctions.
        var forms = crown.map { [$0] }
        if (options.method == .alphaCrown || options.method == .betaCrown) && !options.objectiveLowerBoundsOnly && options.iterations > 0 {
            let optimizer = GraphRelaxationOptimizer(network: graph, pass: GraphBackwardPass(network: graph), options: options)
            let problems = zip(subset, crown).map { item, crown in
                GraphRelaxationOptimizer.Problem(rows: item.block, constants: item.objectives.constants, state: item.state, initial: crown, warmStart: item.warmStart)
            }
            for (k, first) in optimizer.optimize(problems, from: graph.outputValue).enumerated() {
                let optimized = options.cutRounds > 0 ? optimizer.optimizeWithCuts(problems[k], first: first, rounds: options.cutRounds) : first
                best[k] = optimized.result
                forms[k].append(optimized.result)
                results[bounded[k]].relaxation = optimized.parameters.warmStart(cuts: optimized.cuts)
            }
        } else if options.objectiveLowerBoundsOnly {
            // Branching trials: one pass at the parent's α and β.
            let warm = subset.indices.compactMap { k in trialParameters(subset[k]).map { (k, $0) } }
            if !warm.isEmpty {
                let trials = batchedPass(warm.map { subset[$0.0] }, keepReluCoefficients: false, parameters: warm.map(\.1))
                for ((k, _), trial) in zip(warm, trials) {
                    for row in 0..<trial.lower.count where trial.lower[row] > best[k].lower[row] { best[k].lower[row] = trial.lower[row] }
                }
            }
        }
        let upper = options.linearUpperBounds ? batchedPass(subset, negated: true, keepReluCoefficients: false) : nil
        for (k, index) in bounded.enumerated() {
            finish(&results[index], item: subset[k], crown: crown[k], best: best[k], forms: forms[k], upper: upper?[k])
        }
    }

    /// The objective rows' bounds from the output's interval bounds alone.
    private func intervalObjectiveBounds(_ item: ObjectiveItem) -> SubproblemBounds {
        let objectives = item.objectives, state = item.state
        let output = state.bounds[graph.outputValue.valueIndex]!
        let width = objectives.outputCount
        var lower: [Double] = [], upper: [Double] = []
        let gamma = Rounding.double.gamma(width + 2)
        for row in 0..<objectives.rowCount {
            var low = objectives.constants[row], high = low, magnitude = low.magnitude
            for o in 0..<width {
                let c = objectives.coefficients[row * width + o]
                low += c * (c >= 0 ? output.lower[o] : output.upper[o])
                high += c * (c >= 0 ? output.upper[o] : output.lower[o])
                magnitude += c.magnitude * max(output.lower[o].magnitude, output.upper[o].magnitude)
            }
            lower.append(Rounding.double.lowered(low, by: gamma * magnitude))
            upper.append(-Rounding.double.lowered(-high, by: gamma * magnitude))
        }
        let inputBox = state.bounds[0]!
        var result = SubproblemBounds(
            lower: lower, upper: upper, refutedDisjuncts: [], isInfeasible: false, layerBounds: state.layerBounds, relaxation: nil,
            witnessCandidate: zip(inputBox.lower, inputBox.upper).map { $0 / 2 + $1 / 2 })
        result.smoothInputBounds = state.smoothInputBounds
        return result
    }

    /// A branching trial's parameters: its parent's α and β per row and layer, nil when the
    /// warm start does not fit.
    private func trialParameters(_ item: ObjectiveItem) -> GraphBackwardPass.Parameters? {
        let layout = graph.layout, count = item.objectives.rowCount
        guard let warmStart = item.warmStart, warmStart.alpha.count == count, warmStart.alpha.allSatisfy({ $0.count == layout.reluCount }) else { return nil }
        func perLayer(_ flat: [Double]) -> [[Double]] {
            var offset = 0
            return layout.reluWidths.map { width in defer { offset += width }; return Array(flat[offset..<(offset + width)]) }
        }
        return GraphBackwardPass.Parameters(
            alpha: warmStart.alpha.map(perLayer),
            beta: warmStart.beta.count == count && warmStart.beta.allSatisfy({ $0.count == layout.reluCount }) ? warmStart.beta.map(perLayer) : nil,
            cutMultipliers: item.state.cuts.map { cuts in (0..<count).map { cuts.multipliers(warmStart.cutMultipliers, row: $0) } })
    }

    /// One item's lower bounds from its best pass, upper bounds from the negated pass, and
    /// what the search reads of the weakest row.
    private func finish(
        _ result: inout SubproblemBounds, item: ObjectiveItem, crown: GraphBackwardPass.Result, best: GraphBackwardPass.Result,
        forms: [GraphBackwardPass.Result], upper: GraphBackwardPass.Result?
    ) {
        let objectives = item.objectives, count = objectives.rowCount
        for row in 0..<count { result.lower[row] = max(result.lower[row], best.lower[row]) }
        if let upper { for row in 0..<count { result.upper[row] = min(result.upper[row], -upper.lower[row]) } }
        if let weakest = (0..<count).min(by: { best.lower[$0] < best.lower[$1] }) { result.witnessCandidate = best.corners[weakest] }
        let inputBox = item.state.bounds[0]!
        let box = InputBox(lower: inputBox.lower, upper: inputBox.upper)
        result.conjunctionLower = objectives.conjunctionLower(
            forms.map { RowForms(lower: $0.lower, coefficients: $0.inputCoefficients, box: box) }, lower: result.lower)
        let refuted = objectives.refuted(byLowerBounds: result.lower, conjunctionLower: result.conjunctionLower)
        if let row = objectives.weakestRow(lower: result.lower, refuted: refuted) {
            result.branchingCoefficients = crown.reluCoefficients(row: row, network: graph)
            result.inputCoefficients = crown.inputCoefficients[row]
            result.smoothBranch = smoothBranch(row: row, crown: crown, state: item.state)
        }
    }

    /// The S-shaped neuron where row `row`'s CROWN bound loses most to the lines: `|a_j|`
    /// times the gap between the line it used and the function at the interval's middle.
    /// Split at 0 when the interval crosses it (each half then has one curvature), else at the
    /// middle; intervals narrower than 1e-6 are left alone.
    private func smoothBranch(row: Int, crown: GraphBackwardPass.Result, state: GraphState) -> SmoothBranch? {
        var best: SmoothBranch?
        for node in crown.relaxedRows.keys {
            guard let lines = state.relaxations[node] as? SShapedOperator.Lines, let kept = crown.relaxedRow(node, row) else { continue }
            for j in 0..<kept.width {
                let a = kept.values[kept.start + j], l = lines.inputBounds.lower[j], u = lines.inputBounds.upper[j]
                guard a != 0, u - l > 1e-6, l.isFinite, u.isFinite else { continue }
                let middle = l / 2 + u / 2, value = lines.function.value(middle)
                let gap = a > 0 ? value - lines.lower[j](middle) : lines.upper[j](middle) - value
                let score = a.magnitude * gap
                if score > (best?.score ?? 0) {
                    best = SmoothBranch(node: node, neuron: j, point: l < 0 && u > 0 ? 0 : middle, score: score)
                }
            }
        }
        return best
    }

    private func infeasible(_ objectives: Objectives, state: GraphState, box: InputBox) -> SubproblemBounds {
        var bounds = state.layerBounds
        // Layers not reached keep empty bounds of the right width.
        for layer in bounds.lower.count..<layout.reluLayerCount {
            bounds.lower.append(Array(repeating: 0, count: layout.reluWidth(layer)))
            bounds.upper.append(Array(repeating: 0, count: layout.reluWidth(layer)))
        }
        return SubproblemBounds(
            lower: Array(repeating: .infinity, count: objectives.rowCount), upper: Array(repeating: -.infinity, count: objectives.rowCount),
            refutedDisjuncts: Array(repeating: true, count: objectives.disjunctCount), isInfeasible: true, layerBounds: bounds,
            relaxation: nil, witnessCandidate: box.center)
    }
}
