/// An axis-aligned box of inputs: `lower[i] <= x[i] <= upper[i]`.
public struct InputBox: Hashable, Sendable {
    public var lower: [Double]
    public var upper: [Double]

    public init(lower: [Double], upper: [Double]) {
        precondition(lower.count == upper.count, "box bounds of different sizes")
        self.lower = lower
        self.upper = upper
    }

    public var dimension: Int { lower.count }

    /// True when every lower bound is at most its upper bound.
    public var isNonEmpty: Bool { zip(lower, upper).allSatisfy { $0 <= $1 } }

    public func contains(_ point: [Double]) -> Bool {
        guard point.count == dimension else { return false }
        for index in 0..<dimension where !(lower[index] <= point[index] && point[index] <= upper[index]) {
            return false
        }
        return true
    }

    public var center: [Double] { zip(lower, upper).map { $0 / 2 + $1 / 2 } }

    public var widths: [Double] { zip(lower, upper).map { $1 - $0 } }
}
