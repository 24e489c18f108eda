/// Device-resident backward passes: an implementation keeps a batch's per-subproblem data
/// (magnitude factors, ReLU relaxations) on the device and runs whole passes there, returning
/// only each row's constant, allowance terms and final coefficients over the inputs.
///
/// The engine feeds it stage by stage as the batch's layers are bounded. Everything it
/// computes follows ``BackwardPass`` step for step, with the allowance of its own arithmetic.
public protocol BackwardKernels: WeightProducts {
    /// Starts a batch of subproblems with these input boxes (`subproblemCount x inputCount`,
    /// row-major), forgetting the previous batch.
    func beginBatch(boxLower: [Double], boxUpper: [Double]) throws
    /// `|W|·m` of stage `stage` for every subproblem (`subproblemCount x outputCount`, row-major)
    /// and `Σ m` (`subproblemCount`).
    func setStage(_ stage: Int, weightedMagnitude: [Double], inputMagnitudeSum: [Double]) throws
    /// The relaxation of ReLU layer `layer` for every subproblem.
    func setRelaxation(layer: Int, _ relaxation: RelaxationArrays) throws
    /// One backward pass from stage `request.stage` down to the input.
    func backward(_ request: BackwardKernelRequest) throws -> BackwardKernelResult
    /// Interval arithmetic (IBP) through stage `stage` for every subproblem of the batch, from
    /// input intervals `subproblemCount x inputCount`; needs the stage sent by ``setStage``.
    func intervalStage(_ stage: Int, lower: [Double], upper: [Double]) throws -> (lower: [Double], upper: [Double])
    /// α-CROWN / β-CROWN iterations for rows of `request.rows.stage` (the last stage for
    /// objectives, an earlier one for intermediate bounds) with α, β and their Adam
    /// moments resident on the device; returns each row's best iterate (see
    /// ``RelaxationOptimizationResult``).
    func optimize(_ request: RelaxationOptimizationRequest) throws -> RelaxationOptimizationResult
    /// The reduction that ends a batch: which disjuncts the rows' sound lower bounds refute
    /// (``Objectives/refuted(byLowerBounds:)`` for every subproblem at once). Rows of all
    /// subproblems come one after another; `disjunctOfRow` numbers the batch's
    /// `disjunctCount` disjuncts across subproblems.
    func refutedDisjuncts(lower: [Double], disjunctOfRow: [Int32], isStrict: [Int32], disjunctCount: Int) throws -> [Bool]
}

/// What ``BackwardKernels/optimize(_:)`` needs: the rows (as for a backward pass), where α and
/// β start, and the optimizer's settings.
public struct RelaxationOptimizationRequest: Sendable {
    /// The rows, with `alpha` and `beta` (`rows x reluCount`) holding the starting values.
    public var rows: BackwardKernelRequest
    public var useBeta: Bool
    public var iterations: Int
    public var learningRate: Double
    public var betaLearningRate: Double
    /// Each row's bound before optimizing: an iterate must beat it to be kept.
    public var initialLower: [Double]
    /// Asked between iterations; true ends the loop early (time limits).
    public var isStopped: @Sendable () -> Bool

    public init(
        rows: BackwardKernelRequest, useBeta: Bool, iterations: Int, learningRate: Double, betaLearningRate: Double, initialLower: [Double],
        isStopped: @escaping @Sendable () -> Bool
    ) {
        self.rows = rows
        self.useBeta = useBeta
        self.iterations = iterations
        self.learningRate = learningRate
        self.betaLearningRate = betaLearningRate
        self.initialLower = initialLower
        self.isStopped = isStopped
    }
}

/// Each row's best iterate: the parts of its pass (as a ``BackwardKernelResult`` holds them;
/// the caller turns them into a sound bound) with its corner, α and β; rows that no iterate
/// improved have `bestIteration[row] == -1` and their other values are meaningless.
public struct RelaxationOptimizationResult: Sendable {
    public var bestIteration: [Int]
    public var parts: BackwardKernelResult
    /// `rows x reluCount`.
    public var alpha: [Double]
    public var beta: [Double]?

    public init(bestIteration: [Int], parts: BackwardKernelResult, alpha: [Double], beta: [Double]?) {
        self.bestIteration = bestIteration
        self.parts = parts
        self.alpha = alpha
        self.beta = beta
    }
}

/// A layer's relaxation for a whole batch, each array `subproblemCount x width`, row-major.
public struct RelaxationArrays: Sendable {
    public var lowerSlope: [Double]
    public var upperSlope: [Double]
    public var upperIntercept: [Double]
    /// 1 where α may be optimized, else 0.
    public var isUnstable: [Double]
    public var splitSign: [Double]
    public var preActivationMagnitude: [Double]
    /// The pre-activation bounds the relaxation was built from, so that a device computing in
    /// a narrower type can round the slopes to it and recompute valid intercepts.
    public var lower: [Double]
    public var upper: [Double]
}

public struct BackwardKernelRequest: Sendable {
    public var stage: Int
    public var owner: [Int32]
    /// `rows x width of the stage's output`; empty when ``unitRows`` gives the rows.
    public var coefficients: [Double]
    public var constants: [Double]
    /// `rows x reluCount` (every ReLU layer of the network in order; those at or above the
    /// stage are ignored), or nil for the default slopes and no β.
    public var alpha: [Double]?
    public var beta: [Double]?
    public var keepCoefficients: Bool
    /// Whether the minimizing corners are wanted (witness candidates, α gradients); passes for
    /// intermediate bounds do without.
    public var wantCorners: Bool
    /// Rows that are each one signed unit vector (`values[r]` at `columns[r]`), as
    /// intermediate bounds start: the device writes them itself instead of receiving
    /// `rows x width` mostly zero coefficients.
    public var unitRows: UnitRows? = nil

    public var rowCount: Int { owner.count }

    /// The request for the rows in `range` only (rows of
    /// ``coefficients`` are as wide as the stage's output).
    public func rows(_ range: Range<Int>) -> BackwardKernelRequest {
        var part = self
        let count = rowCount
        part.owner = Array(owner[range])
        part.constants = Array(constants[range])
        if !coefficients.isEmpty {
            let width = coefficients.count / max(count, 1)
            part.coefficients = Array(coefficients[(range.lowerBound * width)..<(range.upperBound * width)])
        }
        let parameters: ([Double]?) -> [Double]? = { values in
            values.map { values in
                let width = values.count / max(count, 1)
                return Array(values[(range.lowerBound * width)..<(range.upperBound * width)])
            }
        }
        part.alpha = parameters(alpha)
        part.beta = parameters(beta)
        part.unitRows = unitRows.map { UnitRows(columns: Array($0.columns[range]), values: Array($0.values[range])) }
        return part
    }
}

/// Rows of the form `value · e_column`.
public struct UnitRows: Sendable {
    public var columns: [Int32]
    public var values: [Double]
}

public struct BackwardKernelResult: Sendable {
    public var constants: [Double]
    public var constantMagnitude: [Double]
    public var errors: [Double]
    /// `Σ ν_j·x*_j` over the inputs at the minimizing corner, and `Σ |ν_j·x*_j|`.
    public var sums: [Double]
    public var magnitudes: [Double]
    /// `rows x inputCount`: the minimizing corners, when wanted.
    public var corners: [Double]?
    /// Per ReLU layer, the coefficients over its activations (when kept).
    public var activationCoefficients: [[Double]]
    /// `rows x inputCount`: the coefficients over the inputs that the concretization used
    /// (when coefficients are kept).
    public var inputCoefficients: [Double]?

    public init(
        constants: [Double], constantMagnitude: [Double], errors: [Double], sums: [Double], magnitudes: [Double], corners: [Double]?,
        activationCoefficients: [[Double]], inputCoefficients: [Double]? = nil
    ) {
        self.inputCoefficients = inputCoefficients
        self.constants = constants
        self.constantMagnitude = constantMagnitude
        self.errors = errors
        self.sums = sums
        self.magnitudes = magnitudes
        self.corners = corners
        self.activationCoefficients = activationCoefficients
    }
}
