import VerdictCore

/// Sound bounds `lower <= v <= upper` of every element of one value of the graph.
public struct ValueBounds: Sendable, Equatable {
    public var lower: [Double]
    public var upper: [Double]

    public init(lower: [Double], upper: [Double]) {
        self.lower = lower
        self.upper = upper
    }

    /// `max(|lower|, |upper|)`: what the rounding allowances multiply.
    public var magnitude: [Double] { zip(lower, upper).map { max($0.magnitude, $1.magnitude) } }
}

/// Linear rows `A · v` over one value, for several rows at once: `rows x width`, row-major.
public struct RowBlock: Sendable {
    public var rows: Int
    public var width: Int
    public var values: [Double]

    public init(rows: Int, width: Int, values: [Double]? = nil) {
        self.rows = rows
        self.width = width
        self.values = values ?? [Double](repeating: 0, count: rows * width)
    }

    /// The rows `indices`, in that order.
    public func selecting(_ indices: [Int]) -> RowBlock {
        if indices.count == rows && indices.elementsEqual(0..<rows) { return self }
        var values: [Double] = []
        values.reserveCapacity(indices.count * width)
        for row in indices { values += self.values[(row * width)..<((row + 1) * width)] }
        return RowBlock(rows: indices.count, width: width, values: values)
    }
}

/// What passing rows back through one operator gives: rows over each of its inputs (nil for an
/// input the rows do not reach), the constant each row gains, and a bound on the rounding
/// error of everything the step computed, per row (see ``RoundingAllowance``).
public struct BackwardStep {
    public var inputs: [RowBlock?]
    public var constants: [Double]
    /// Σ|terms| of each row's constant, for the rounding of the running sum.
    public var constantMagnitude: [Double]
    public var errors: [Double]

    public init(inputs: [RowBlock?], rows: Int) {
        self.inputs = inputs
        constants = Array(repeating: 0, count: rows)
        constantMagnitude = constants
        errors = constants
    }
}

extension BackwardStep {
    /// The steps of consecutive segments of one block as one step: an input one segment's
    /// rows do not reach has zero rows there.
    init(concatenating parts: [BackwardStep], segments: [Range<Int>], rows: Int) {
        let widths = (0..<(parts.first?.inputs.count ?? 0)).map { k in parts.lazy.compactMap { $0.inputs[k]?.width }.first }
        self.init(inputs: widths.map { $0.map { RowBlock(rows: rows, width: $0) } }, rows: rows)
        for (part, range) in zip(parts, segments) {
            for (offset, r) in range.enumerated() {
                constants[r] = part.constants[offset]
                constantMagnitude[r] = part.constantMagnitude[offset]
                errors[r] = part.errors[offset]
            }
            for k in inputs.indices {
                guard let block = part.inputs[k], let width = widths[k] else { continue }
                inputs[k]!.values.replaceSubrange((range.lowerBound * width)..<(range.upperBound * width), with: block.values)
            }
        }
    }
}

/// What an operator knows of one subproblem when rows pass back through it.
public struct OperatorContext {
    /// Bounds of the operator's inputs over the subproblem.
    public var inputBounds: [ValueBounds]
    /// The piecewise-linear operator's relaxation (its lines), nil for linear operators.
    public var relaxation: (any OperatorRelaxation)?
    /// `|W|·m` for a linear operator with weights, `m` the magnitude of its input: the factor
    /// that turns the rounding of products by `W` into an allowance.
    public var weightedMagnitude: [Double]?
    /// Per row of the block: optimized lower slopes (α) of a ReLU's unstable neurons, and
    /// multipliers (β >= 0) of its split constraints; nil for CROWN's slopes and no β.
    public var alpha: [[Double]]? = nil
    public var beta: [[Double]]? = nil
    /// Per row: optimized slopes of an S-shaped operator's lower and upper lines, as fractions
    /// of its steepest slope; nil for CROWN's lines.
    public var lineSlopes: [(lower: [Double], upper: [Double])]? = nil

    public init(
        inputBounds: [ValueBounds], relaxation: (any OperatorRelaxation)? = nil, weightedMagnitude: [Double]? = nil,
        alpha: [[Double]]? = nil, beta: [[Double]]? = nil
    ) {
        self.inputBounds = inputBounds
        self.relaxation = relaxation
        self.weightedMagnitude = weightedMagnitude
        self.alpha = alpha
        self.beta = beta
    }
}

/// The lines that bound a non-linear operator over one subproblem.
public protocol OperatorRelaxation: Sendable {}

/// One operator of the network as the bound engines see it: interval propagation, the
/// backward step of linear bounds, and the local derivative for attacks. Linear operators
/// pass rows back exactly (up to rounding); piecewise-linear ones through the relaxation
/// their ``relax(_:phases:)`` builds. Every rule bounds its own floating-point error, so a
/// bound assembled from them holds for the real-valued network.
///
/// Adding an operator: a layer type in `VerdictCore`, a file here conforming to this
/// protocol, and one line in ``BoundOperators/all``. Other modules may implement the protocol
/// too (the OpenCL rules of `VerdictOpenCL`) and build a ``GraphBoundNetwork`` with their own
/// registry; ``RoundingAllowance`` gives them the same error bounds. The graph engine calls
/// one rule from several threads at once (rows in parallel chunks, subproblems on each core):
/// a rule with state, such as a device queue, serializes its calls itself.
public protocol BoundOperator: Sendable {
    var layer: any Layer { get }
    /// Sound bounds of the output from bounds of the inputs; `weightedMagnitude` is this
    /// operator's ``weightedMagnitude(_:)`` of the same inputs where the caller has it.
    func interval(_ inputs: [ValueBounds], weightedMagnitude: [Double]?) -> ValueBounds
    /// `|W|·m` for the input magnitudes `m` (rounded up), where the backward step needs it.
    func weightedMagnitude(_ inputs: [ValueBounds]) -> [Double]?
    /// Whether the engine must tighten the input's bounds (CROWN) before ``relax(_:phases:)``:
    /// true for operators whose every line depends on them (Sigmoid, Tanh). ReLUs have their
    /// own path (only unstable neurons, split phases, inherited bounds).
    var needsTightInputBounds: Bool { get }
    /// The relaxation over input bounds (`phases` for split ReLUs); nil for linear operators.
    /// Returns `.infeasible` when the phases contradict the bounds.
    func relax(_ inputs: [ValueBounds], phases: [ReluPhase]?) -> RelaxationResult
    /// `A · output >= Σ_k A_k · input_k + constant - error` over the subproblem.
    func backward(_ rows: RowBlock, context: OperatorContext) -> BackwardStep
    /// The same for the rows of several subproblems in one block, each segment's rows bounded
    /// in its own context: the engine passes a batch of subproblems back together, so that an
    /// operator with weights multiplies them once for all rows. The default bounds each
    /// segment on its own.
    func backward(_ rows: RowBlock, segments: [RowSegment]) -> BackwardStep
    /// The vector-Jacobian product at a point: how `upstream · output` changes with each input.
    func pullback(_ upstream: [Double], inputs: [[Double]]) -> [[Double]]
}

public enum RelaxationResult {
    case linear
    case relaxed(any OperatorRelaxation)
    case infeasible
}

/// One subproblem's rows `rows` within a block passed back over several subproblems, and the
/// context of that subproblem (its `alpha`, `beta` and `lineSlopes` indexed from the
/// segment's first row).
public struct RowSegment {
    public var rows: Range<Int>
    public var context: OperatorContext

    public init(rows: Range<Int>, context: OperatorContext) {
        self.rows = rows
        self.context = context
    }
}

extension BoundOperator {
    public func backward(_ rows: RowBlock, segments: [RowSegment]) -> BackwardStep {
        if segments.count == 1 && segments[0].rows == 0..<rows.rows { return backward(rows, context: segments[0].context) }
        let parts = segments.map { backward(rows.selecting(Array($0.rows)), context: $0.context) }
        return BackwardStep(concatenating: parts, segments: segments.map(\.rows), rows: rows.rows)
    }

    public func weightedMagnitude(_ inputs: [ValueBounds]) -> [Double]? { nil }
    public var needsTightInputBounds: Bool { false }
    public func relax(_ inputs: [ValueBounds], phases: [ReluPhase]?) -> RelaxationResult { .linear }
}

/// The registry: the bound rule of every layer type.
public enum BoundOperators {
    /// One line per operator.
    static let all: [@Sendable (any Layer) -> (any BoundOperator)?] = [
        { ($0 as? AffineLayer).map(AffineOperator.init) },
        { ($0 as? ConvLayer).map(ConvOperator.init) },
        { ($0 as? ReLULayer).map(ReLUOperator.init) },
        { ($0 as? MaxPoolLayer).map(MaxPoolOperator.init) },
        { ($0 as? SumLayer).map(SumOperator.init) },
        { ($0 as? ScaleShiftLayer).map(ScaleShiftOperator.init) },
        { ($0 as? SelectLayer).map(SelectOperator.init) },
        { ($0 as? SShapedLayer).map(SShapedOperator.init) },
    ]

    /// The rule for `layer`, or an error naming the operator.
    public static func make(_ layer: any Layer) throws -> any BoundOperator {
        for maker in all { if let rule = maker(layer) { return rule } }
        throw BoundEngineError.unsupported("the bound engines have no rule for \(layer.operatorName) yet")
    }
}

/// Helpers the rules share.
enum Rounding {
    static let double = RoundingAllowance.double

    /// `[low - error, high + error]`, rounded outward.
    static func widened(_ low: Double, _ high: Double, error: Double) -> (Double, Double) {
        (double.lowered(low, by: error), -double.lowered(-high, by: error))
    }

    /// `Σ_j |rows[r, j]| · factor[j]` for each row.
    static func weightedRowSums(_ rows: RowBlock, _ factor: [Double]) -> [Double] {
        (0..<rows.rows).map { r in
            var sum = 0.0
            let base = r * rows.width
            for j in 0..<rows.width where rows.values[base + j] != 0 { sum += rows.values[base + j].magnitude * factor[j] }
            return sum
        }
    }
}
