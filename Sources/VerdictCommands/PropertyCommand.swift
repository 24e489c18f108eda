import ArgumentParser
import Foundation
import Verdict

/// `verdict property`: writes the VNN-LIB robustness property around an input.
struct PropertyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "property",
        abstract: "Write the VNN-LIB robustness property of a network around an input at a radius.",
        discussion: """
            Classification (no other class reaches the label's score) or, with --closeness, \
            output closeness (some output moves by θ or more from f(x)). The L∞ box is clipped \
            to the valid range and normalized as the network expects; its bounds are rounded \
            outward, so it contains the real ball. Example:
              verdict property --network benchmarks/examples/digits/digits.onnx --input benchmarks/examples/digits/inputs/digit_0.json --radius 0.5 --clip 0:16
            """)

    @Option(help: "The ONNX model.")
    var network: String

    @Option(name: .shortAndLong, help: "The input in raw units: a JSON array or one number a line.")
    var input: String

    @Option(help: "The L∞ radius, in raw input units.")
    var radius: Double

    @OptionGroup(title: "Robustness") var robustness: RobustnessFlags

    @Option(name: .shortAndLong, help: "Write the property here (default: stdout).")
    var output: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard radius >= 0, radius.isFinite else { throw ValidationError("--radius must be a finite number at least 0, got \(radius)") }
        if let output { try ResultFile.check(output, notOneOf: [network, input], flag: "--output") }
    }

    func run() throws {
        let model = try ModelFiles.network(at: network)
        let values = try InputVectorFile.read(path: input)
        let made: RobustnessProperty
        do {
            made = try robustness.spec().property(for: model, around: values, radius: radius)
        } catch let problem as RobustnessSpec.Problem {
            throw CommandFailure("\(input): \(problem.description)")
        }
        let comment = "Written by verdict \(verdictVersion) from \(network) and \(input), radius \(radius).\n" + made.comment
        let text = ModelFiles.vnnlib(made.written, comment: comment)
        guard let output else {
            print(text, terminator: "")
            return
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
        } catch {
            throw CommandFailure("\(output): cannot be written (\(error.localizedDescription))")
        }
    }
}
