import Foundation

/// Runs `Tests/Scripts/onnxruntime_outputs.py` to get onnxruntime's outputs for models and
/// inputs. onnxruntime is a test-only dependency (`make test` installs it); when it is
/// missing the error says how to install it, so the test fails loudly rather than skipping.
public enum ONNXRuntimeOracle {
    public struct Request {
        public let model: String
        public let inputName: String
        public let inputs: [[Double]]

        public init(model: String, inputName: String, inputs: [[Double]]) {
            self.model = model
            self.inputName = inputName
            self.inputs = inputs
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// For each request, the Float32 outputs of each input.
    public static func outputs(_ requests: [Request]) throws -> [[[Double]]] {
        let script = TestPaths.repositoryRoot.appendingPathComponent("Tests/Scripts/onnxruntime_outputs.py").path
        let payload = requests.map { ["model": $0.model, "input_name": $0.inputName, "inputs": $0.inputs] as [String: Any] }
        let input = try JSONSerialization.data(withJSONObject: payload)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script]
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Write on another thread: large requests would fill the pipe while we read.
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors, as: UTF8.self)
            let hint = message.contains("No module named") ? " (install the test dependencies: pip install onnxruntime numpy, or run `make test`)" : ""
            throw Failure(description: "onnxruntime oracle failed\(hint): \(message.suffix(2000))")
        }
        guard let results = try JSONSerialization.jsonObject(with: output) as? [[[Double]]] else {
            throw Failure(description: "onnxruntime oracle printed something unexpected")
        }
        return results
    }
}
