/// What "robust around an input" means, as researchers ask it: for every `x'` within radius
/// `δ` of `x` (L∞, optionally scaled per feature and clipped to the valid range), the
/// predicted class stays the label (``Kind/classification(label:)``) or every output stays
/// within `θ` of `f(x)` (``Kind/closeness(threshold:)``). ``property(for:around:radius:)``
/// turns it into the ``Property`` Verdict verifies: `sat` breaks robustness at `δ`, `unsat`
/// proves it.
///
/// Inputs are given in raw units (pixels 0..255, say); with a ``Normalization`` the network
/// sees `(x - mean) / std`. Every bound is rounded outward, so the box the search covers
/// contains the real ball, and the inner box witnesses must lie in is inside it.
public struct RobustnessSpec: Sendable {
    public enum Kind: Sendable, Equatable {
        /// No other class reaches the label's score (ties count as broken). A nil label is the
        /// network's own prediction at `x`.
        case classification(label: Int?)
        /// Some output moves by `threshold` or more from `f(x)`, which is computed in Double.
        case closeness(threshold: Double)
    }

    /// The valid range of raw inputs.
    public enum Range: Sendable, Equatable {
        case uniform(ClosedRange<Double>)
        case perFeature(lower: [Double], upper: [Double])

        func bounds(_ index: Int) -> (Double, Double) {
            switch self {
            case .uniform(let range): return (range.lowerBound, range.upperBound)
            case .perFeature(let lower, let upper): return (lower[index], upper[index])
            }
        }
    }

    /// `(x - mean) / std`, with one value for all features, one per channel (channel-major:
    /// the count divides the input size) or one per feature.
    public struct Normalization: Sendable, Equatable {
        public var mean: [Double]
        public var std: [Double]

        public init(mean: [Double], std: [Double]) {
            self.mean = mean
            self.std = std
        }

        /// The mean and std of feature `index` of `count`.
        func parameters(_ index: Int, count: Int) -> (mean: Double, std: Double) {
            (mean[index / (count / mean.count)], std[index / (count / std.count)])
        }

        func check(count: Int) throws {
            for (name, values) in [("mean", mean), ("std", std)] {
                guard !values.isEmpty, count % values.count == 0 else {
                    throw Problem(description: "\(values.count) \(name) values for \(count) inputs: give 1, one per channel (a divisor of \(count)) or \(count)")
                }
            }
            if let bad = mean.first(where: { !$0.isFinite }) { throw Problem(description: "a mean of \(bad)") }
            if let bad = std.first(where: { !($0 > 0 && $0.isFinite) }) { throw Problem(description: "a std of \(bad); it must be positive and finite") }
        }
    }

    public var kind: Kind
    public var clip: Range?
    public var normalization: Normalization?
    /// Per-feature multipliers of the radius: the box is `x ± δ·scale` (0 keeps a feature fixed).
    public var featureScale: [Double]?

    public init(kind: Kind, clip: Range? = nil, normalization: Normalization? = nil, featureScale: [Double]? = nil) {
        self.kind = kind
        self.clip = clip
        self.normalization = normalization
        self.featureScale = featureScale
    }

    /// A spec or an input that cannot make a property, with the reason.
    public struct Problem: Error, CustomStringConvertible {
        public let description: String
    }

    /// The property at radius `radius` around the raw input `input`.
    public func property(for network: Network, around input: [Double], radius: Double) throws -> RobustnessProperty {
        try check(network, input, radius)
        let center = (0..<input.count).map { normalized(input[$0], $0, of: input.count, .toNearestOrEven) }
        let reference = try network.evaluate(center)
        var outer = InputBox(lower: [], upper: []), inner = outer
        for index in input.indices {
            let (low, high) = rawBounds(input, index, radius)
            outer.lower.append(normalized(low.outer, index, of: input.count, .down))
            outer.upper.append(normalized(high.outer, index, of: input.count, .up))
            inner.lower.append(normalized(low.inner, index, of: input.count, .up))
            inner.upper.append(normalized(high.inner, index, of: input.count, .down))
        }
        let label: Int? = switch kind {
        case .classification(let given): given ?? reference.indices.max { reference[$0] < reference[$1] } ?? 0
        case .closeness: nil
        }
        let unsafe = unsafeRegion(label: label, reference: reference)
        let property = Property(inputCount: input.count, outputCount: network.outputCount, cases: [.init(box: outer, innerBox: inner, unsafe: unsafe)])
        let written = Property(inputCount: input.count, outputCount: network.outputCount, cases: [.init(box: outer, innerBox: outer, unsafe: unsafe)])
        return RobustnessProperty(property: property, written: written, label: label, reference: reference, networkInput: center, comment: comment(radius, label))
    }

    /// The raw interval of one feature, outer (rounded outward) and inner (rounded inward).
    private func rawBounds(_ input: [Double], _ index: Int, _ radius: Double) -> (low: (outer: Double, inner: Double), high: (outer: Double, inner: Double)) {
        let scale = featureScale?[index] ?? 1, x = input[index]
        let (wide, narrow) = (productRoundedUp(radius, scale), productRoundedDown(radius, scale))
        let (floor, ceiling) = clip?.bounds(index) ?? (-.infinity, .infinity)
        return ((max(floor, sumRoundedDown(x, -wide)), max(floor, sumRoundedUp(x, -narrow))),
                (min(ceiling, sumRoundedUp(x, wide)), min(ceiling, sumRoundedDown(x, narrow))))
    }

    private enum Direction { case down, up, toNearestOrEven }

    /// `(value - mean) / std` for feature `index`, rounded as asked (identity without a normalization).
    private func normalized(_ value: Double, _ index: Int, of count: Int, _ direction: Direction) -> Double {
        guard let normalization else { return value }
        let (mean, std) = normalization.parameters(index, count: count)
        switch direction {
        case .down: return quotientRoundedDown(sumRoundedDown(value, -mean), std)
        case .up: return quotientRoundedUp(sumRoundedUp(value, -mean), std)
        case .toNearestOrEven: return (value - mean) / std
        }
    }

    /// Throws unless the spec, the input and the radius fit the network.
    private func check(_ network: Network, _ input: [Double], _ radius: Double) throws {
        let count = input.count
        guard count == network.inputCount else {
            throw Problem(description: "the input has \(count) values; the network takes \(network.inputCount) (shape \(network.inputShape))")
        }
        guard radius >= 0, radius.isFinite else { throw Problem(description: "the radius must be a finite number at least 0, got \(radius)") }
        if let index = input.firstIndex(where: { !$0.isFinite }) { throw Problem(description: "input value \(index) is \(input[index])") }
        switch kind {
        case .classification(let label?):
            guard (0..<network.outputCount).contains(label) else {
                throw Problem(description: "label \(label) is not a class of the network (it has \(network.outputCount) outputs)")
            }
        case .classification(nil): break
        case .closeness(let threshold):
            guard threshold > 0, threshold.isFinite else { throw Problem(description: "the output threshold must be a positive finite number, got \(threshold)") }
        }
        if let featureScale {
            guard featureScale.count == count else { throw Problem(description: "\(featureScale.count) per-feature scales for \(count) inputs") }
            if let bad = featureScale.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
                throw Problem(description: "per-feature scale \(bad) is \(featureScale[bad]); scales must be finite and at least 0")
            }
        }
        if let clip {
            if case .perFeature(let lower, let upper) = clip, lower.count != count || upper.count != count {
                throw Problem(description: "the valid range has \(lower.count) lower and \(upper.count) upper bounds for \(count) inputs")
            }
            for index in 0..<count {
                let (floor, ceiling) = clip.bounds(index)
                guard floor <= ceiling else { throw Problem(description: "the valid range of input \(index) is empty: [\(floor), \(ceiling)]") }
                guard floor <= input[index], input[index] <= ceiling else {
                    throw Problem(description: "input value \(index) = \(input[index]) lies outside its valid range [\(floor), \(ceiling)]")
                }
            }
        }
        if let normalization { try normalization.check(count: count) }
    }

    private func unsafeRegion(label: Int?, reference: [Double]) -> OutputRegion {
        switch kind {
        case .classification:
            let label = label ?? 0
            // Y_label - Y_j <= 0: class j reaches the label's score.
            return OutputRegion(disjuncts: reference.indices.filter { $0 != label }.map { other in
                [LinearConstraint(terms: [.init(index: label, coefficient: 1), .init(index: other, coefficient: -1)], bound: RealInterval(exactly: 0))]
            })
        case .closeness(let threshold):
            let theta = RealInterval(exactly: threshold)
            return OutputRegion(disjuncts: reference.indices.flatMap { index -> [[LinearConstraint]] in
                let c = RealInterval(exactly: reference[index])
                return [
                    // Y_j >= c + θ, as -Y_j <= -(c + θ); Y_j <= c - θ.
                    [LinearConstraint(terms: [.init(index: index, coefficient: -1)], bound: -(c + theta))],
                    [LinearConstraint(terms: [.init(index: index, coefficient: 1)], bound: c - theta)],
                ]
            })
        }
    }

    private func comment(_ radius: Double, _ label: Int?) -> String {
        var lines: [String] = []
        switch kind {
        case .classification: lines.append("Classification robustness: every input within \(radius) (L∞) keeps class \(label ?? 0) strictly the largest.")
        case .closeness(let threshold): lines.append("Output closeness: every input within \(radius) (L∞) keeps every output within \(threshold) of f(x) (evaluated in Double).")
        }
        if featureScale != nil { lines.append("The radius is scaled per feature.") }
        if clip != nil { lines.append("The box is clipped to the valid input range.") }
        if normalization != nil { lines.append("Bounds are normalized, (x - mean) / std, as the network expects.") }
        lines.append("Bounds are rounded outward: the box contains the real one.")
        return lines.joined(separator: "\n")
    }
}

/// A robustness property and what it was made from.
public struct RobustnessProperty: Sendable {
    /// The property the search decides: its box contains the real ball (bounds rounded
    /// outward), its inner box lies inside it (witnesses must lie there).
    public var property: Property
    /// The property as a file states it: the outer box. `VNNLIBWriter` prints each bound as the
    /// shortest decimal that reads back to it, which Verdict's reader encloses (a box at most
    /// one step wider); a reader taking the decimals as exact reals may see a box half a step
    /// narrower.
    public var written: Property
    /// The class that must stay largest (classification).
    public var label: Int?
    /// `f(x)`, the network's outputs at the input, in Double.
    public var reference: [Double]
    /// The input as the network sees it (normalized).
    public var networkInput: [Double]
    /// What the property says, for the file's comment lines.
    public var comment: String
}
