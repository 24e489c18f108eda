// Verdict as a Swift library: what the `verdict` commands are built on.
//
//     import Verdict
//     let network = try ModelFiles.network(at: "digits.onnx")
//     let session = VerificationSession(network: network)
//     let spec = RobustnessSpec(kind: .classification(label: nil), clip: .uniform(0...16))
//     let bracket = try RadiusSearch(session: session, spec: spec, input: pixels).run()
//
// `Examples/LibraryExample` is a runnable program (`swift run verdict-library-example`).
// The types these functions take and return (``Network``, ``Property``,
// ``VerificationOptions``, ``VerificationResult``, ``DeviceChoice``) come from the layers
// below and are re-exported, so a package needs `import Verdict` alone.
@_exported import VerdictBounds
@_exported import VerdictCore
@_exported import VerdictOpenCL
@_exported import VerdictSearch
