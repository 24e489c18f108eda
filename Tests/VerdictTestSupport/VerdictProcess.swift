import Foundation
import XCTest

/// Runs a built `verdict` executable as a user would.
public enum VerdictProcess {
    public struct Run: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The debug `verdict` beside the test bundle (both are products of the same build).
    public static func debugBinary() throws -> URL {
        var directory = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("verdict")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw XCTSkip("the verdict executable was not built beside the tests (run `swift build` first)")
    }

    /// `.build/release/verdict`, for tests that search in earnest (debug Swift is many times
    /// slower). `make test` builds it; without it such tests skip, or fail under CI.
    public static func releaseBinary(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let candidate = TestPaths.repositoryRoot.appendingPathComponent(".build/release/verdict")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            let message = "\(candidate.path) is missing: run `swift build -c release` (make test does)"
            if TestPaths.sharedBenchmarksRequired { XCTFail(message, file: file, line: line) }
            throw XCTSkip(message)
        }
        return candidate
    }

    /// Runs `verdict` with `arguments`; with `signal`, sends that signal `after` seconds.
    public static func run(_ arguments: [String], binary: URL? = nil, signal: (number: Int32, after: Double)? = nil) throws -> Run {
        let process = Process()
        process.executableURL = try binary ?? debugBinary()
        process.arguments = arguments
        process.currentDirectoryURL = TestPaths.repositoryRoot
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        if let signal {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + signal.after) { _ = kill(pid, signal.number) }
        }
        // Read stderr on another thread so neither pipe fills up and blocks the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: group) { errorData = stderr.fileHandleForReading.readDataToEndOfFile() }
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: errorData, as: UTF8.self))
    }
}
