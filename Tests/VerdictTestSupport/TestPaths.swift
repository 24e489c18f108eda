import Foundation

/// Where tests find the repository and the shared benchmarks.
///
/// The shared VNN-COMP benchmarks live beside the checkout (`../shared/benchmarks/vnncomp2021`)
/// or wherever `VERDICT_BENCHMARKS` points. Tests that need them skip with a plain message
/// when they are absent, unless `VERDICT_REQUIRE_SHARED=1` (set by CI) makes absence a failure.
public enum TestPaths {
    /// The repository root, found from this file's path.
    public static let repositoryRoot: URL = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    public static var examples: URL { repositoryRoot.appendingPathComponent("benchmarks/examples") }

    public static var digitsExample: URL { examples.appendingPathComponent("digits") }

    /// The `vnncomp2021` folder, or nil when it cannot be found.
    public static var sharedBenchmarks: URL? {
        if let path = ProcessInfo.processInfo.environment["VERDICT_BENCHMARKS"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let candidate = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/benchmarks/vnncomp2021")
        return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
    }

    public static var sharedBenchmarksRequired: Bool {
        ProcessInfo.processInfo.environment["VERDICT_REQUIRE_SHARED"] == "1"
    }

    /// Why the shared benchmarks are missing, for skip and failure messages.
    public static let sharedBenchmarksMissing =
        "the shared VNN-COMP 2021 benchmarks were not found (looked for ../shared/benchmarks/vnncomp2021 beside the checkout and $VERDICT_BENCHMARKS)"
}

/// One line of a VNN-COMP instances CSV (`onnx,vnnlib,timeout`), paths made absolute.
public struct BenchmarkInstance: Sendable {
    public let network: URL
    public let property: URL
    public let timeout: Double
    /// From `expected.csv`: `sat`, `unsat` or `unknown`; nil when not listed.
    public let expected: String?
}

public enum BenchmarkSuite {
    /// The instances of one benchmark folder (`acasxu`, `mnistfc`, `test`).
    public static func instances(in folder: URL) throws -> [BenchmarkInstance] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        guard let csv = files.first(where: { $0.hasSuffix("_instances.csv") }) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: folder.path + "/*_instances.csv"])
        }
        var expected: [String: String] = [:]
        if let text = try? String(contentsOf: folder.appendingPathComponent("expected.csv"), encoding: .utf8) {
            // Lines may end in \r\n, a single Character in Swift: split on any newline.
            for line in text.split(whereSeparator: \.isNewline).dropFirst() {
                let fields = line.split(separator: ",", maxSplits: 3).map { $0.trimmingCharacters(in: .whitespaces) }
                if fields.count >= 3 { expected[fields[0] + "," + fields[1]] = fields[2] }
            }
        }
        let text = try String(contentsOf: folder.appendingPathComponent(csv), encoding: .utf8)
        return text.split(whereSeparator: \.isNewline).compactMap { line in
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard fields.count >= 3, let timeout = Double(fields[2]) else { return nil }
            return BenchmarkInstance(
                network: folder.appendingPathComponent(fields[0]), property: folder.appendingPathComponent(fields[1]),
                timeout: timeout, expected: expected[fields[0] + "," + fields[1]])
        }
    }
}

import XCTest

extension TestPaths {
    /// The benchmark folder `name` (`acasxu`, `mnistfc`, `test`) of the shared benchmarks; when
    /// they are absent the calling test skips with a plain message, or fails where CI requires them.
    public static func sharedFolder(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        guard let root = sharedBenchmarks else {
            if sharedBenchmarksRequired { XCTFail(sharedBenchmarksMissing, file: file, line: line) }
            throw XCTSkip(sharedBenchmarksMissing)
        }
        return root.appendingPathComponent(name)
    }
}

extension TestPaths {
    /// `../shared/reliability` beside the checkout (or `$VERDICT_RELIABILITY`): inputs that once
    /// crashed or fooled Verdict. Absent, the calling test skips, or fails where CI requires the
    /// shared data.
    public static func sharedReliability(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let folder: URL
        if let path = ProcessInfo.processInfo.environment["VERDICT_RELIABILITY"], !path.isEmpty {
            folder = URL(fileURLWithPath: path)
        } else {
            folder = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/reliability")
        }
        guard FileManager.default.fileExists(atPath: folder.path) else {
            let missing = "the shared reliability reproducers were not found (looked for \(folder.path) and $VERDICT_RELIABILITY)"
            if sharedBenchmarksRequired { XCTFail(missing, file: file, line: line) }
            throw XCTSkip(missing)
        }
        return folder
    }
}
