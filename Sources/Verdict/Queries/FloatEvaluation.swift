import VerdictBounds
import VerdictCore
import VerdictSearch

/// A query over `float32` (or `float64`) as a question about real numbers: the network an
/// ONNX runtime evaluates in floating point is, at every node, the real node plus an error
/// bounded by the node's ``EvaluationRounding`` (any order of summation). Each such error
/// becomes an extra input, a *noise* input with the box `[-r, r]`, added to the node's value;
/// every float evaluation of the model is then one point of this wider real network, so a
/// proof about it (`unsat`) holds for float evaluation, however the runtime sums.
///
/// The radii come from magnitudes of the values over the whole query box (interval bounds of
/// the wider network itself, node by node, so each radius covers the float values the node
/// really reads). A `sat` answer of the wider network is confirmed only if, at its input,
/// every float evaluation reaches the unsafe region: interval bounds, else CROWN bounds, of
/// the wider network over that one input and all the noise (``confirmed(_:)``).
public struct FloatEvaluation: Sendable {
    /// The element type.
    public let format: FloatFormat
    /// The model's network, as the importer folded it (real arithmetic).
    public let original: Network
    /// The property in the query's float semantics, over ``original``.
    public let property: Property
    /// ``original`` with a noise input added at each rounding node: its input is the model's
    /// input, then the noise.
    public let network: Network
    /// The radius of each noise input.
    public let radii: [Double]
    /// CROWN on ``network``, for witnesses that interval bounds do not confirm (nil without
    /// noise inputs); built once, used for every candidate.
    private let witnessEngine: GraphBoundEngine?

    /// The wider network for `original` over the boxes of `property`; throws where a node's
    /// rounding is not modelled or not finite.
    public static func build(_ original: Network, property: Property, format: FloatFormat) throws -> FloatEvaluation {
        for node in original.nodes {
            guard let rounding = node.rounding else { throw FloatEvaluationError("the network was imported without rounding bounds") }
            if case .unmodelled(let what) = rounding { throw FloatEvaluationError("\(what)") }
        }
        guard let firstCase = property.cases.first else {
            // No input satisfies the query's input constraints: nothing to widen.
            return FloatEvaluation(format: format, original: original, property: property, network: original, radii: [], witnessEngine: nil)
        }
        let hull = property.cases.dropFirst().reduce(firstCase.box) { box, next in
            InputBox(lower: zip(box.lower, next.box.lower).map(min), upper: zip(box.upper, next.box.upper).map(max))
        }
        // Interval magnitudes first; then CROWN bounds of the values the rounding nodes read,
        // over the network widened by those radii (sound for every float evaluation), give
        // the final, smaller radii.
        let first = try bounds(original, box: hull, format: format).radii
        let known = try readValueBounds(original, radii: first, box: hull)
        let radii = try bounds(original, box: hull, format: format, known: known).radii
        let flat = radii.flatMap { $0 }
        guard flat.allSatisfy(\.isFinite) else {
            throw FloatEvaluationError("the rounding bound of some value is not finite over the query's box")
        }
        let network = try widened(original, radii: radii).network
        let noise = flat.filter { $0 > 0 }
        let engine = noise.isEmpty ? nil : GraphBoundEngine(graph: try GraphBoundNetwork(network))
        return FloatEvaluation(format: format, original: original, property: property, network: network, radii: noise, witnessEngine: engine)
    }

    /// One line for logs: how many noise inputs, and their radii.
    public var summary: String {
        let largest = radii.max() ?? 0, mean = radii.isEmpty ? 0 : radii.reduce(0, +) / Double(radii.count)
        return "rounding of \(format.name) evaluation: \(radii.count) noise inputs, radius up to \(largest) (mean \(mean))"
    }

    /// ``property`` over ``network``: each box extended by the noise boxes.
    public var widenedProperty: Property {
        let cases = property.cases.map { item in
            Property.Case(box: Self.widened(item.box, noise: radii), innerBox: Self.widened(item.innerBox, noise: radii), unsafe: item.unsafe)
        }
        return Property(inputCount: property.inputCount + radii.count, outputCount: property.outputCount, cases: cases)
    }

    /// `result` of verifying ``widenedProperty`` on ``network``, as an answer about float
    /// evaluation: `unsat` stands; `sat` only when every float evaluation at the witness's
    /// input reaches the unsafe region (the witness then reports ``original``'s values, in
    /// Float32 for a float32 query), else `unknown` with the reason.
    public func confirmed(_ result: VerificationResult) -> VerificationResult {
        guard result.answer == .sat, let witness = result.witness else { return result }
        var answer = result
        let input = Array(witness.input.prefix(original.inputCount))
        guard let (caseIndex, disjunct) = try? reachedDisjunct(at: input),
              let outputs = try? original.evaluate(input), let floatOutputs = try? original.evaluateFloat32(input.map { Float($0) })
        else {
            answer.answer = .unknown
            answer.witness = nil
            answer.reason = """
                a counterexample of the network widened by rounding bounds was found, but not every float evaluation at its input \
                reaches the unsafe region (\(result.reason))
                """
            return answer
        }
        let shown = format.roundsToFloat ? floatOutputs.map(Double.init) : outputs
        answer.witness = WitnessChecker.Report(input: input, outputs: shown, floatOutputs: floatOutputs, caseIndex: caseIndex, disjunctIndex: disjunct)
        return answer
    }

    /// Whether every float evaluation at the model's input `input` (noise inputs after it are
    /// ignored) reaches the unsafe region: ``VerificationOptions/witnessFilter`` for a search
    /// of ``network``.
    public func isFloatWitness(_ input: [Double]) -> Bool {
        (try? reachedDisjunct(at: Array(input.prefix(original.inputCount)))) != nil
    }

    /// The case and disjunct that every float evaluation at `input` satisfies, if any: by
    /// interval bounds at that input (with the radii of its own magnitudes), else by CROWN
    /// bounds of the wider network over that input and all its noise.
    func reachedDisjunct(at input: [Double]) throws -> (Int, Int)? {
        guard let caseIndex = property.cases.firstIndex(where: { $0.innerBox.contains(input) }) else { return nil }
        let bounds = try Self.bounds(original, box: InputBox(lower: input, upper: input), format: format).outputs
        let region = property.cases[caseIndex].unsafe
        if let disjunct = region.disjuncts.firstIndex(where: { $0.allSatisfy { Self.surelyHolds($0, over: bounds) } }) {
            return (caseIndex, disjunct)
        }
        guard let engine = witnessEngine else { return nil }
        let box = Self.widened(InputBox(lower: input, upper: input), noise: radii)
        for (index, conjunction) in region.disjuncts.enumerated() {
            let objectives = Objectives(region: OutputRegion(disjuncts: [conjunction]), outputCount: network.outputCount)
            let task = BoundTask(subproblem: Subproblem(box: box, layout: engine.layout), objectives: objectives)
            guard let result = try engine.bound([task], options: BoundOptions(method: .crown, parallel: false)).first else { continue }
            // Rows `c·y - b`, `b` the constraint's exact float constant: all below zero.
            if conjunction.indices.allSatisfy({ result.upper[$0] < 0 }) { return (caseIndex, index) }
        }
        return nil
    }

    /// Whether `constraint` holds (strictly, to be safe) for every output in `bounds`: at the
    /// corner of `bounds` where its left side is largest.
    static func surelyHolds(_ constraint: LinearConstraint, over bounds: ValueBounds) -> Bool {
        var corner = bounds.lower
        for term in constraint.terms where term.coefficient > 0 { corner[term.index] = bounds.upper[term.index] }
        return LinearConstraint(terms: constraint.terms, bound: constraint.bound, isStrict: true).isSurelySatisfied(by: corner)
    }

    /// `box` followed by the noise inputs' boxes `[-r, r]`.
    static func widened(_ box: InputBox, noise: [Double]) -> InputBox {
        InputBox(lower: box.lower + noise.map { -$0 }, upper: box.upper + noise)
    }

    /// Interval bounds of every node of the widened network over `box` (noise over its whole
    /// radius), the output's, and the radii (from the magnitudes of each node's inputs).
    /// `known` bounds of some nodes (by node index, sound for the widened network) tighten
    /// the intervals there. Throws where a value, or one the runtime computes on the way,
    /// may pass a quarter of the type's largest value: an infinity breaks every bound.
    static func bounds(_ network: Network, box: InputBox, format: FloatFormat, known: [Int: ValueBounds] = [:]) throws -> (outputs: ValueBounds, radii: [[Double]]) {
        let limit = format.largest / 4
        var values = [ValueBounds(lower: box.lower, upper: box.upper)]
        var radii: [[Double]] = []
        for (index, node) in network.nodes.enumerated() {
            let rule = try BoundOperators.make(node.layer)
            let inputs = node.inputs.map { values[$0.valueIndex] }
            var bounds = rule.interval(inputs, weightedMagnitude: rule.weightedMagnitude(inputs))
            let magnitudes = inputs.map(\.magnitude)
            guard let (radius, peak) = node.rounding?.bound(of: node.layer, inputMagnitudes: magnitudes) else {
                throw FloatEvaluationError("\(node.layer.operatorName) has no rounding bound")
            }
            let overflow = FloatEvaluationError("\(node.origin.isEmpty ? node.layer.operatorName : node.origin) may overflow \(format.name) over the query's box")
            guard peak <= limit, radius.allSatisfy({ $0 <= limit }) else { throw overflow }
            if radius.contains(where: { $0 > 0 }) {
                bounds.lower = zip(bounds.lower, radius).map { ($0 - $1).nextDown }
                bounds.upper = zip(bounds.upper, radius).map { ($0 + $1).nextUp }
            }
            if let tighter = known[index] {
                bounds.lower = zip(bounds.lower, tighter.lower).map { max($0, $1) }
                bounds.upper = zip(bounds.upper, tighter.upper).map { min($0, $1) }
            }
            guard bounds.magnitude.allSatisfy({ $0 <= limit }) else { throw overflow }
            radii.append(radius.contains { $0 > 0 } ? radius : [])
            values.append(bounds)
        }
        return (values[network.output.valueIndex], radii)
    }

    /// CROWN bounds of each node that a rounding node reads, over `box` and the noise of
    /// `radii` (so they hold for every float evaluation), by node index.
    static func readValueBounds(_ network: Network, radii: [[Double]], box: InputBox) throws -> [Int: ValueBounds] {
        let (wide, places) = try widened(network, radii: radii)
        let wideBox = widened(box, noise: radii.flatMap { $0 }.filter { $0 > 0 })
        var read: Set<Int> = []
        for (node, radius) in zip(network.nodes, radii) where !radius.isEmpty {
            for case .node(let index) in node.inputs { read.insert(index) }
        }
        var result: [Int: ValueBounds] = [:]
        // A value whose rows would cost more than ``crownBudget`` (rows times the values they
        // pass through) keeps its interval bounds: a convolution's 23,328 ReLUs as CROWN rows
        // would take gigabytes.
        for index in read.sorted() {
            guard case .node(let place) = places[index] else { continue }
            let width = wide.nodes.prefix(place + 1).reduce(wide.inputCount) { $0 + $1.layer.outputShape.elementCount }
            guard 2 * network.nodes[index].layer.outputShape.elementCount * width <= crownBudget else { continue }
            guard let bounds = try crownBounds(wide, of: places[index], box: wideBox) else { continue }
            result[index] = bounds
        }
        return result
    }

    /// The most row-values (rows times the widths of the values they pass) CROWN refinement
    /// of one value may cost: MNIST-FC 256x6's last hidden layer is about 5 million.
    static let crownBudget = 20_000_000

    /// CROWN bounds of `value` of `network` over `box`: each element's lower and upper bound
    /// as objective rows of the network cut at `value`, 256 elements a pass.
    static func crownBounds(_ network: Network, of value: ValueID, box: InputBox) throws -> ValueBounds? {
        guard case .node(let index) = value else { return nil }
        let cut = try Network(inputShape: network.inputShape, nodes: Array(network.nodes.prefix(index + 1)), output: value)
        let engine = GraphBoundEngine(graph: try GraphBoundNetwork(cut))
        let count = cut.outputCount
        let zero = RealInterval(exactly: 0)
        var rows: [Double] = []
        for start in stride(from: 0, to: count, by: 256) {
            var disjuncts: [[LinearConstraint]] = []
            for element in start..<min(start + 256, count) {
                for sign in [1.0, -1.0] {
                    disjuncts.append([LinearConstraint(terms: [LinearConstraint.Term(index: element, coefficient: sign)], bound: zero)])
                }
            }
            let task = BoundTask(
                subproblem: Subproblem(box: box, layout: engine.layout),
                objectives: Objectives(region: OutputRegion(disjuncts: disjuncts), outputCount: count))
            rows += try engine.bound([task], options: BoundOptions(method: .crown, parallel: false))[0].lower
        }
        let lower = (0..<count).map { rows[2 * $0] }, upper = (0..<count).map { -rows[2 * $0 + 1] }
        guard zip(lower, upper).allSatisfy({ !$0.isNaN && !$1.isNaN && $0 <= $1 }) else { return nil }
        return ValueBounds(lower: lower, upper: upper)
    }

    /// `network` with `radii[k]`'s nonzero entries added to node `k` through noise inputs,
    /// and for each node of `network` the value holding it (its noise added) there.
    static func widened(_ network: Network, radii: [[Double]]) throws -> (network: Network, places: [ValueID]) {
        let noiseCount = radii.reduce(0) { $0 + $1.filter { $0 > 0 }.count }
        guard noiseCount > 0 else { return (network, network.nodes.indices.map { .node($0) }) }
        let total = network.inputCount + noiseCount
        let read = SelectLayer(
            name: "Select", inputCounts: [total], sources: Array(0..<network.inputCount),
            fill: [Double](repeating: 0, count: network.inputCount), outputShape: network.inputShape)
        var nodes = [Network.Node(layer: read, inputs: [.input], origin: "the model's input")]
        var mapped: [ValueID] = []
        var offset = network.inputCount
        let remap = { (value: ValueID) -> ValueID in
            switch value {
            case .input: return .node(0)
            case .node(let index): return mapped[index]
            }
        }
        for (node, radius) in zip(network.nodes, radii) {
            nodes.append(Network.Node(layer: node.layer, inputs: node.inputs.map(remap), origin: node.origin))
            guard !radius.isEmpty else {
                mapped.append(.node(nodes.count - 1))
                continue
            }
            var sources: [Int] = []
            for r in radius {
                sources.append(r > 0 ? offset : -1)
                if r > 0 { offset += 1 }
            }
            let shape = node.layer.outputShape
            let noise = SelectLayer(name: "Select", inputCounts: [total], sources: sources, fill: [Double](repeating: 0, count: sources.count), outputShape: shape)
            nodes.append(Network.Node(layer: noise, inputs: [.input], origin: "rounding of \(node.origin)"))
            nodes.append(Network.Node(layer: SumLayer(outputShape: shape), inputs: [.node(nodes.count - 2), .node(nodes.count - 1)], origin: "rounding of \(node.origin)"))
            mapped.append(.node(nodes.count - 1))
        }
        return (try Network(inputShape: TensorShape([total]), nodes: nodes, output: remap(network.output)), mapped)
    }
}

/// Why a float query cannot be answered soundly.
public struct FloatEvaluationError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
