import VerdictCore

/// Writes a ``Property`` as VNN-LIB text that ``VNNLIBParser`` reads back to the same
/// property. Numbers are printed as the shortest decimal that reads back to the same
/// `Double` (the `nearest` value of each bound).
public enum VNNLIBWriter {
    public static func write(_ property: Property, comment: String? = nil) -> String {
        var text = ""
        if let comment {
            for line in comment.split(separator: "\n", omittingEmptySubsequences: false) { text += "; \(line)\n" }
            text += "\n"
        }
        for index in 0..<property.inputCount { text += "(declare-const X_\(index) Real)\n" }
        text += "\n"
        for index in 0..<property.outputCount { text += "(declare-const Y_\(index) Real)\n" }
        text += "\n"
        if property.cases.count == 1, let only = property.cases.first {
            // The common VNN-COMP layout: one bound per assertion, then the unsafe outputs.
            for index in 0..<property.inputCount {
                text += "(assert (<= X_\(index) \(number(upperBound(only, index)))))\n"
                text += "(assert (>= X_\(index) \(number(lowerBound(only, index)))))\n"
            }
            text += "\n(assert (or\n"
            for conjunction in only.unsafe.disjuncts {
                text += "    (and" + conjunction.map { " " + constraint($0) }.joined() + ")\n"
            }
            text += "))\n"
            return text
        }
        text += "(assert (or\n"
        for item in property.cases {
            let bounds = (0..<property.inputCount).map { index in
                "(>= X_\(index) \(number(lowerBound(item, index)))) (<= X_\(index) \(number(upperBound(item, index))))"
            }.joined(separator: " ")
            for conjunction in item.unsafe.disjuncts {
                text += "    (and " + bounds + conjunction.map { " " + constraint($0) }.joined() + ")\n"
            }
        }
        text += "))\n"
        return text
    }

    /// The written bound: the nearest `Double` of the original number, recovered from the
    /// outer and inner boxes (the same for exact numbers, one step apart otherwise).
    private static func lowerBound(_ item: Property.Case, _ index: Int) -> Double {
        nearest(outer: item.box.lower[index], inner: item.innerBox.lower[index])
    }

    private static func upperBound(_ item: Property.Case, _ index: Int) -> Double {
        nearest(outer: item.box.upper[index], inner: item.innerBox.upper[index])
    }

    private static func nearest(outer: Double, inner: Double) -> Double {
        outer == inner ? outer : outer / 2 + inner / 2
    }

    private static func constraint(_ constraint: LinearConstraint) -> String {
        let left: String
        if constraint.terms.count == 1, let term = constraint.terms.first, term.coefficient == 1 {
            left = "Y_\(term.index)"
        } else {
            left = "(+" + constraint.terms.map { " (* \(number($0.coefficient)) Y_\($0.index))" }.joined() + ")"
        }
        return "(\(constraint.isStrict ? "<" : "<=") \(left) \(number(constraint.bound.nearest)))"
    }

    static func number(_ value: Double) -> String {
        // Swift prints the shortest text that reads back to the same Double: "0.1", "1e-05".
        value == value.rounded() && value.magnitude < 1e15 ? String(Int64(value)) : "\(value)"
    }
}
