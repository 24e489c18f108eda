// Verdict as a library: load a network, verify a property, and find the certified radius
// around an input. Run from the repository root:
//   swift run verdict-library-example [MODEL.onnx PROPERTY.vnnlib INPUT.json]
import Foundation
import Verdict

let arguments = CommandLine.arguments.dropFirst()
let digits = "benchmarks/examples/digits"
let (modelPath, propertyPath, inputPath) = arguments.count == 3
    ? (arguments[arguments.startIndex], arguments[arguments.startIndex + 1], arguments[arguments.startIndex + 2])
    : ("\(digits)/digits.onnx", "\(digits)/properties/digit_0_eps_0.5.vnnlib", "\(digits)/inputs/digit_0.json")

do {
    // 1. Load a network and a property; one session holds the bound engine for both uses.
    let network = try ModelFiles.network(at: modelPath)
    let property = try ModelFiles.property(at: propertyPath, for: network)
    var options = VerificationOptions.defaults
    options.deadline = Deadline(seconds: 60)
    let session = try VerificationSession(network: network, options: options)

    // 2. Verify: `unsat` is a proof, `sat` carries a witness the exact checker confirmed.
    let result = try session.verify(property)
    print("\(propertyPath): \(result.answer.rawValue) (\(result.reason))")

    // 3. The largest L∞ radius around the input at which the predicted class holds.
    let input = try InputVectorFile.read(path: inputPath)
    let spec = RobustnessSpec(kind: .classification(label: nil), clip: .uniform(0...16))
    let bracket = try RadiusSearch(session: session, spec: spec, input: input, maxRadius: 16, tolerance: 0.05, stepTimeout: 10).run()
    print("radius around \(inputPath): certified \(bracket.certified ?? 0) (\(bracket.certifiedBy)), falsified \(bracket.falsified.map { "\($0)" } ?? "none")")
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
