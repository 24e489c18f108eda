import VerdictCore

/// Everything a bound pass knows about one subproblem while a batch is processed.
struct SubproblemState {
    let box: InputBox
    let phases: [[ReluPhase]]
    var lower: [[Double]] = []
    var upper: [[Double]] = []
    var relaxations: [ReluRelaxation] = []
    /// `|W_k|·m` for each stage `k`, where `m` bounds the magnitude of the stage's input:
    /// the factor that turns rounding of products by `W_k` into an allowance.
    var weightedMagnitude: [[Double]] = []
    /// `Σ m` for each stage, with `m` as above.
    var stageInputMagnitudeSum: [Double] = []
    var isInfeasible = false

    init(_ subproblem: Subproblem) {
        box = subproblem.box
        phases = subproblem.phases
    }

    var inputMagnitude: [Double] { zip(box.lower, box.upper).map { max($0.magnitude, $1.magnitude) } }

    /// Magnitude bound of the input of stage `k`: the box for stage 0, ReLU outputs after.
    func stageInputMagnitude(_ stage: Int) -> [Double] {
        stage == 0 ? inputMagnitude : relaxations[stage - 1].activationMagnitude
    }

    var layerBounds: LayerBounds { LayerBounds(lower: lower, upper: upper) }

    /// The interval of stage `stage`'s input: the box, or the previous ReLU layer's outputs.
    func stageInputInterval(_ stage: Int) -> (lower: [Double], upper: [Double]) {
        stage == 0 ? (box.lower, box.upper) : (lower[stage - 1].map { max(0, $0) }, upper[stage - 1].map { max(0, $0) })
    }

    /// Records the magnitude factors of stage `stage` (called in stage order).
    mutating func appendMagnitudes(of affine: BoundNetwork.AffineStage, stage: Int) {
        let factors = Self.magnitudeFactors(of: affine, magnitudes: stageInputMagnitude(stage))
        weightedMagnitude.append(factors.weighted)
        stageInputMagnitudeSum.append(factors.sum)
    }

    /// `|W|·m` and `Σ m` (rounded up) for input magnitudes `m` of a stage.
    static func magnitudeFactors(of affine: BoundNetwork.AffineStage, magnitudes: [Double]) -> (weighted: [Double], sum: Double) {
        (IntervalPass.weightedMagnitude(affine, magnitudes: magnitudes), magnitudes.reduce(0, +) * (1 + RoundingAllowance.double.gamma(magnitudes.count + 1)))
    }
}

/// Rows of linear functions of one stage's outputs, for many subproblems at once.
struct RowSet {
    /// Subproblem index of each row.
    var owner: [Int]
    /// `rows x width`, row-major; empty when ``unitRows`` gives the rows.
    var coefficients: [Double]
    var constants: [Double]
    /// Rows that are signed unit vectors (intermediate bounds), kept sparse for devices.
    var unitRows: UnitRows?
    /// Per row, per ReLU layer: optimized lower slopes (α), and β multipliers of split
    /// neurons, or nil for the defaults (adaptive slopes, no β).
    var alpha: [[[Double]]]?
    var beta: [[[Double]]]?

    var count: Int { owner.count }

    init(owner: [Int], coefficients: [Double], constants: [Double], unitRows: UnitRows? = nil) {
        self.owner = owner
        self.coefficients = coefficients
        self.constants = constants
        self.unitRows = unitRows
    }

    /// The coefficients as a dense `rows x width` matrix.
    func denseCoefficients(width: Int) -> [Double] {
        guard let unitRows else { return coefficients }
        var dense = [Double](repeating: 0, count: count * width)
        for row in 0..<count { dense[row * width + Int(unitRows.columns[row])] = unitRows.values[row] }
        return dense
    }
}

/// What a backward pass learned about its rows.
struct BackwardResult {
    /// Sound lower bounds of each row over its subproblem.
    var lower: [Double]
    /// Per row, the box corner that minimizes the row's linear bound.
    var corner: [[Double]]
    /// Per ReLU layer, the coefficients over that layer's activations reached by the pass
    /// (`rows x width`), kept when gradients are needed.
    var activationCoefficients: [[Double]]
    /// The coefficients over the inputs (`rows x inputs`) where the pass kept coefficients;
    /// nil otherwise. Each row's coefficients belong to the form whose minimum is `lower`.
    var inputCoefficients: [Double]?
}
