import VerdictCore

/// Turns assertions over numbered inputs and outputs into a ``Property``: the conjunction is
/// brought to disjunctive normal form, each disjunct split into an input box (from the
/// comparisons of one input with constants) and linear output constraints, and disjuncts with
/// the same box grouped into one case. Shared by the 1.0 reader and the 2.0 query compiler.
struct PropertyAssembler {
    let file: String
    let poll: StopPoll
    let inputCount: Int
    let outputCount: Int
    /// An input's name in messages (`X_3`, `A[0,3]`).
    let inputName: (Int) -> String

    private func error(_ message: String, at position: SourcePosition) -> VNNLIBError {
        VNNLIBError(file: file, line: position.line, column: position.column, message: message)
    }

    private func fileError(_ message: String) -> VNNLIBError {
        VNNLIBError(file: file, line: 0, column: 0, message: message)
    }

    func property(_ assertions: [Formula]) throws -> Property {
        guard let disjuncts = Formula.and(assertions).disjunctiveNormalForm(limit: VNNLIBParser.comparisonLimit) else {
            throw fileError("the assertions expand to more than \(VNNLIBParser.comparisonLimit) comparisons in disjunctive normal form")
        }
        var cases: [Property.Case] = []
        var caseIndexByBox: [[InputBox]: Int] = [:]
        for (disjunctNumber, conjunction) in disjuncts.enumerated() {
            try poll.step()
            guard let (box, innerBox, constraints) = try split(conjunction, inputCount: inputCount, disjunct: disjunctNumber) else {
                continue  // An empty box or a constant falsehood: this disjunct can never hold.
            }
            if let index = caseIndexByBox[[box, innerBox]] {
                cases[index].unsafe.disjuncts.append(constraints)
            } else {
                caseIndexByBox[[box, innerBox]] = cases.count
                cases.append(Property.Case(box: box, innerBox: innerBox, unsafe: OutputRegion(disjuncts: [constraints])))
            }
        }
        return Property(inputCount: inputCount, outputCount: outputCount, cases: cases)
    }

    /// One disjunct as (outer box, inner box, output constraints); nil when it can never hold.
    private func split(_ conjunction: [Comparison], inputCount: Int, disjunct: Int) throws
        -> (InputBox, InputBox, [LinearConstraint])?
    {
        var outerLower = [Double](repeating: -.infinity, count: inputCount)
        var innerLower = outerLower
        var outerUpper = [Double](repeating: .infinity, count: inputCount)
        var innerUpper = outerUpper
        var constraints: [LinearConstraint] = []
        for comparison in conjunction {
            let expression = comparison.expression
            if expression.isConstant {
                // c <= 0 (or < 0) with no variables: true, false, or too close to call.
                let constant = expression.constant
                if comparison.isStrict ? constant.upper < 0 : constant.upper <= 0 { continue }
                if comparison.isStrict ? constant.lower >= 0 : constant.lower > 0 { return nil }
                throw error("cannot decide this comparison of constants in floating point", at: comparison.position)
            }
            if !expression.inputCoefficients.isEmpty {
                guard expression.outputCoefficients.isEmpty else {
                    throw error("a comparison mixes inputs and outputs; inputs must be bounded by constants", at: comparison.position)
                }
                guard expression.inputCoefficients.count == 1, let (index, coefficient) = expression.inputCoefficients.first else {
                    throw error("a comparison relates several inputs; inputs must be bounded by constants one at a time", at: comparison.position)
                }
                // coefficient·X + c <= 0  ⇔  X <= -c / coefficient (coefficient > 0), X >= ... (< 0).
                let bound = (-expression.constant).divided(by: coefficient)
                if coefficient > 0 {
                    outerUpper[index] = min(outerUpper[index], bound.upper)
                    innerUpper[index] = min(innerUpper[index], comparison.isStrict ? bound.lower.nextDown : bound.lower)
                } else {
                    outerLower[index] = max(outerLower[index], bound.lower)
                    innerLower[index] = max(innerLower[index], comparison.isStrict ? bound.upper.nextUp : bound.upper)
                }
                continue
            }
            let terms = expression.outputCoefficients.map { LinearConstraint.Term(index: $0.key, coefficient: $0.value) }
            constraints.append(LinearConstraint(terms: terms, bound: -expression.constant, isStrict: comparison.isStrict))
        }
        for index in 0..<inputCount {
            let side = outerLower[index] == -.infinity ? "lower" : outerUpper[index] == .infinity ? "upper" : nil
            if let side {
                let place = disjunct == 0 ? "" : " in disjunct \(disjunct + 1) of the assertions"
                throw fileError("\(inputName(index)) has no \(side) bound\(place): every input needs a bounded range")
            }
            if outerLower[index] > outerUpper[index] { return nil }
        }
        return (
            InputBox(lower: outerLower, upper: outerUpper), InputBox(lower: innerLower, upper: innerUpper), constraints
        )
    }
}
