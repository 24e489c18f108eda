import ArgumentParser
import Verdict

/// What "robust" means, shared by `verdict property` and `verdict radius`: the kind
/// (classification or output closeness), the valid input range, the normalization and
/// per-feature radii. Builds a ``RobustnessSpec``.
struct RobustnessFlags: ParsableArguments {
    @Option(help: "Classification: the class that must stay largest (default: the network's prediction at the input).")
    var label: Int?

    @Option(help: "Output closeness instead of classification: every output must stay within this distance of f(x).")
    var closeness: Double?

    @Option(help: "The valid range of every raw input, LOW:HIGH; the box is clipped to it.")
    var clip: String?

    @Option(help: "Per-input valid ranges: a file of lower bounds (as --input files are written); needs --clip-upper.")
    var clipLower: String?

    @Option(help: "Per-input valid ranges: a file of upper bounds; needs --clip-lower.")
    var clipUpper: String?

    @Option(help: "The normalization the network expects, (x - mean) / std: one mean, one per channel or one per input, comma-separated.")
    var mean: String?

    @Option(help: "The std of the normalization, as --mean.")
    var std: String?

    @Option(help: "A file of per-input radius multipliers: the box is x ± radius·scale (0 keeps an input fixed).")
    var featureScale: String?

    func validate() throws {
        if label != nil && closeness != nil { throw ValidationError("--label is for classification; --closeness asks for output closeness; give one") }
        if clip != nil && (clipLower != nil || clipUpper != nil) { throw ValidationError("give --clip or --clip-lower and --clip-upper, not both") }
        if (clipLower == nil) != (clipUpper == nil) { throw ValidationError("--clip-lower and --clip-upper go together") }
        if (mean == nil) != (std == nil) { throw ValidationError("--mean and --std go together") }
        if let closeness { guard closeness > 0, closeness.isFinite else { throw ValidationError("--closeness must be a positive number, got \(closeness)") } }
        if let clip { _ = try Self.range(clip) }
        if let mean { _ = try Self.numbers(mean, "--mean") }
        if let std { _ = try Self.numbers(std, "--std") }
    }

    /// The spec these flags describe (files are read here).
    func spec() throws -> RobustnessSpec {
        var spec = RobustnessSpec(kind: closeness.map { .closeness(threshold: $0) } ?? .classification(label: label))
        if let clip { spec.clip = .uniform(try Self.range(clip)) }
        if let clipLower, let clipUpper {
            spec.clip = .perFeature(lower: try InputVectorFile.read(path: clipLower), upper: try InputVectorFile.read(path: clipUpper))
        }
        if let mean, let std { spec.normalization = .init(mean: try Self.numbers(mean, "--mean"), std: try Self.numbers(std, "--std")) }
        if let featureScale { spec.featureScale = try InputVectorFile.read(path: featureScale) }
        return spec
    }

    /// The widest valid range, the default largest radius of `verdict radius`.
    static func widestRange(_ spec: RobustnessSpec) -> Double? {
        switch spec.clip {
        case .uniform(let range)?: return range.upperBound - range.lowerBound
        case .perFeature(let lower, let upper)?: return zip(lower, upper).map { $1 - $0 }.max()
        case nil: return nil
        }
    }

    static func range(_ text: String) throws -> ClosedRange<Double> {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]), low.isFinite, high.isFinite, low <= high else {
            throw ValidationError("--clip must be LOW:HIGH with finite LOW <= HIGH, got '\(text)'")
        }
        return low...high
    }

    static func numbers(_ text: String, _ flag: String) throws -> [Double] {
        try text.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let value = Double(part.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw ValidationError("\(flag) must be comma-separated finite numbers, got '\(text)'")
            }
            return value
        }
    }
}
