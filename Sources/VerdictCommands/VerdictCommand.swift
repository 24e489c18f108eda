import ArgumentParser

/// The `verdict` command tree. Each subcommand lives in its own file.
public struct VerdictCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "verdict",
        abstract: "A complete verifier for neural networks (ONNX networks, VNN-LIB 1.0 properties and 2.0 queries).",
        discussion: """
            Answers whether any input in a property's box drives the network into the unsafe \
            output region: `unsat` (proved safe), `sat` (with a checked counterexample), or \
            `unknown`/`timed-out`.
            """,
        version: verdictVersion,
        subcommands: [InfoCommand.self, EvalCommand.self, SpecCommand.self, BoundsCommand.self, VerifyCommand.self, SupportsCommand.self, PropertyCommand.self, RadiusCommand.self, BenchCommand.self, DevicesCommand.self]
    )

    @Flag(help: "Print the verifier's full name (the VNN-LIB 2.0 interface's --name).")
    var name = false

    public init() {}

    public func run() throws {
        guard name else { throw CleanExit.helpRequest(self) }
        print(verdictName)
    }
}

public let verdictName = "Verdict"

public let verdictVersion = "0.1.0"
