import VerdictCore

/// The rows `c·y + d` a property case asks bounds of: one row per linear constraint of each
/// unsafe disjunct. The constraint `c·y <= b` is impossible wherever the row `c·y - b` has a
/// positive lower bound (for a strict constraint `c·y < b`, a non-negative one); a disjunct is
/// refuted when any of its rows is.
public struct Objectives: Sendable {
    public let outputCount: Int
    /// `rowCount x outputCount`, row-major.
    public let coefficients: [Double]
    public let constants: [Double]
    public let disjunctOfRow: [Int]
    public let isStrict: [Bool]
    public let disjunctCount: Int

    public var rowCount: Int { constants.count }

    /// Some disjunct is a conjunction of two rows or more (see ``RowForms``).
    public var hasConjunction: Bool {
        var rows = [Int](repeating: 0, count: disjunctCount)
        for disjunct in disjunctOfRow { rows[disjunct] += 1 }
        return rows.contains { $0 >= 2 }
    }

    public init(region: OutputRegion, outputCount: Int) {
        var coefficients: [Double] = [], constants: [Double] = [], disjunctOfRow: [Int] = [], isStrict: [Bool] = []
        for (index, conjunction) in region.disjuncts.enumerated() {
            for constraint in conjunction {
                let (row, constant) = constraint.objective(outputCount: outputCount)
                coefficients += row
                constants.append(constant)
                disjunctOfRow.append(index)
                isStrict.append(constraint.isStrict)
            }
        }
        self.outputCount = outputCount
        self.coefficients = coefficients
        self.constants = constants
        self.disjunctOfRow = disjunctOfRow
        self.isStrict = isStrict
        self.disjunctCount = region.disjuncts.count
    }

    /// The value of every row at concrete outputs (for attacks and tests; not rounded safely).
    public func values(at outputs: [Double]) -> [Double] {
        (0..<rowCount).map { row in
            (0..<outputCount).reduce(constants[row]) { $0 + coefficients[row * outputCount + $1] * outputs[$1] }
        }
    }

    /// Which disjuncts the lower bounds of the rows refute. A disjunct with no rows (an
    /// unconditional one) is never refuted.
    public func refuted(byLowerBounds lower: [Double], conjunctionLower: [Double]? = nil) -> [Bool] {
        var refuted = [Bool](repeating: false, count: disjunctCount)
        for row in 0..<rowCount where isStrict[row] ? lower[row] >= 0 : lower[row] > 0 {
            refuted[disjunctOfRow[row]] = true
        }
        // A positive combination of a conjunction's rows: some row is positive everywhere.
        if let conjunctionLower {
            for disjunct in conjunctionLower.indices where conjunctionLower[disjunct] > 0 { refuted[disjunct] = true }
        }
        return refuted
    }

    /// Per disjunct, a sound lower bound of the best nonnegative combination of its rows'
    /// linear forms, the best over every set of `forms` (see ``RowForms``; `-infinity` for
    /// disjuncts of one row, and for those `lower` already refutes): nil where no disjunct has
    /// two rows or no forms are given.
    public func conjunctionLower(_ forms: [RowForms], lower: [Double]) -> [Double]? {
        var rowsOf = [[Int]](repeating: [], count: disjunctCount)
        for row in 0..<rowCount { rowsOf[disjunctOfRow[row]].append(row) }
        guard !forms.isEmpty, rowsOf.contains(where: { $0.count >= 2 }) else { return nil }
        let refuted = refuted(byLowerBounds: lower)
        return rowsOf.indices.map { disjunct in
            guard rowsOf[disjunct].count >= 2 && !refuted[disjunct] else { return -.infinity }
            return forms.map { $0.bestBound(rows: rowsOf[disjunct]) }.max()!
        }
    }

    /// The row whose improvement would refute the weakest disjunct: among unrefuted disjuncts,
    /// the one whose best row lower bound is lowest, and that best row. Nil when all are refuted.
    public func weakestRow(lower: [Double], refuted: [Bool]) -> Int? {
        var bestRow = [Int?](repeating: nil, count: disjunctCount)
        for row in 0..<rowCount where !refuted[disjunctOfRow[row]] {
            let disjunct = disjunctOfRow[row]
            if bestRow[disjunct].map({ lower[row] > lower[$0] }) ?? true { bestRow[disjunct] = row }
        }
        return bestRow.compactMap { $0 }.min { lower[$0] < lower[$1] }
    }
}
