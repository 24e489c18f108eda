import ArgumentParser
import VerdictONNX

/// `verdict supports CAPABILITY`: the standard interface's capability report (VNN-LIB 2.0,
/// chapter "Command-line Interface"). Each answer is in the README's account of what Verdict
/// supports of each theory; a test keeps the two in step.
struct SupportsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supports",
        abstract: "Report a capability, as the VNN-LIB 2.0 verifier interface defines them.",
        discussion: """
            Capabilities: \(Capability.allCases.map(\.rawValue).joined(separator: ", ")). Example:
              verdict supports --multiple-network-theories
            """)

    /// The eleven capabilities of the standard, with Verdict's answers.
    enum Capability: String, CaseIterable {
        case onnxOpsetVersions = "--onnx-opset-versions"
        case onnxElementTypes = "--onnx-element-types"
        case onnxOperators = "--onnx-operators"
        case vnnlibVersions = "--vnnlib-versions"
        case hiddenNodeTheories = "--hidden-node-theories"
        case multipleInputOutputTheories = "--multiple-input-output-theories"
        case multipleNetworkTheories = "--multiple-network-theories"
        case multipleNodeComparisonTheories = "--multiple-node-comparison-theories"
        case arithmeticComplexityTheories = "--arithmetic-complexity-theories"
        case optimisedDisjunctiveReasoning = "--optimised-disjunctive-reasoning"
        case serialiseAssignments = "--serialise-assignments"

        /// The standard's own example spells one of them so.
        static let aliases = ["--multiple-inputs-output-theories": Capability.multipleInputOutputTheories]

        var answer: [String] {
            switch self {
            case .onnxOpsetVersions: return ["\(ONNXImporter.supportedOpsets.lowerBound)", "\(ONNXImporter.supportedOpsets.upperBound)"]
            // Real arithmetic, and float32/float64 evaluation with each node's rounding bounded
            // (`FloatEvaluation`).
            case .onnxElementTypes: return ["real", "float32", "float64"]
            case .onnxOperators: return ONNXImporter.supportedOperators
            case .vnnlibVersions: return ["1.0", "2.1"]
            case .hiddenNodeTheories: return ["NH", "H"]
            case .multipleInputOutputTheories: return ["SIO", "MIO"]
            case .multipleNetworkTheories: return ["SNET", "MENET", "MINET", "MNET"]
            case .multipleNodeComparisonTheories: return ["SNC", "MNC"]
            case .arithmeticComplexityTheories: return ["BND", "OUTC", "LIN"]
            // Disjunctions are brought to disjunctive normal form (disjuncts over one input box
            // share one search).
            case .optimisedDisjunctiveReasoning: return ["false"]
            case .serialiseAssignments: return ["true"]
            }
        }
    }

    @Argument(parsing: .allUnrecognized, help: "One capability, such as --vnnlib-versions.")
    var capability: [String] = []

    func validate() throws {
        guard capability.count == 1 else {
            throw ValidationError("give exactly one capability: \(Capability.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard Capability(rawValue: capability[0]) ?? Capability.aliases[capability[0]] != nil else {
            throw ValidationError("unknown capability '\(capability[0])'; known: \(Capability.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let known = Capability(rawValue: capability[0]) ?? Capability.aliases[capability[0]]!
        for line in known.answer { print(line) }
    }
}
