import ArgumentParser

/// The `verdict` command tree. Each subcommand lives in its own file.
public struct VerdictCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract: "A complete verifier for ReLU neural networks (ONNX networks, VNN-LIB properties).",
        discussion: """
            Answers whether any input in a property's box drives the network into the unsafe \
            output region: `unsat` (proved safe), `sat` (with a checked counterexample), or \
            `unknown`/`timed-out`.
            """,
        version: verdictVersion,
        subcommands: [InfoCommand.self, EvalCommand.self, SpecCommand.self, BoundsCommand.self, VerifyCommand.self, PropertyCommand.self, RadiusCommand.self, BenchCommand.self, DevicesCommand.self]
    )

    public init() {}
}

public let verdictVersion = "0.1.0"
