import Foundation
import Verdict
import VerdictTestSupport
import XCTest

@testable import VerdictCommands

/// A child that crashes, fails or prints nonsense is recorded as an error naming what
/// happened, and the runner goes on: stand-in `verdict` scripts play each child.
final class BenchRunnerTests: FolderTestCase {
    private func record(child script: String) throws -> BenchRecord {
        let executable = folder.appendingPathComponent("child-\(UUID().uuidString).sh")
        try ("#!/bin/sh\n" + script + "\n").write(to: executable, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: executable.path)
        let suiteFile = folder.appendingPathComponent("instances.csv")
        try "a.onnx,a.vnnlib,20\n".write(to: suiteFile, atomically: true, encoding: .utf8)
        let instance = try XCTUnwrap(try BenchSuite(at: suiteFile.path).instances.first)
        return BenchRunner(executable: executable, verifyFlags: ["--batch", "8"], timeoutCap: 5).run(instance)
    }

    func testACrashingChildIsAnError() throws {
        let crashed = try record(child: "kill -SEGV $$")
        XCTAssertEqual(crashed.answer, "error")
        XCTAssertTrue(crashed.error.contains("ended by signal 11"), crashed.error)
        XCTAssertEqual(crashed.flags, "--batch 8")
    }

    func testAFailingOrGarbledChildIsAnError() throws {
        let failed = try record(child: "echo 'out of memory' >&2; exit 3")
        XCTAssertEqual(failed.answer, "error")
        XCTAssertTrue(failed.error.contains("exit 3: out of memory"), failed.error)
        let garbled = try record(child: "echo '{\"answer\": '")
        XCTAssertEqual(garbled.answer, "error")
        XCTAssertTrue(garbled.error.contains("exit 0"), garbled.error)
        // A well-behaved child gets `verify`, the capped timeout and the flags, and its answer counts.
        let log = folder.appendingPathComponent("arguments.txt").path
        let answered = try record(child: "echo \"$*\" > \(log); echo '{\"answer\": \"unsat\", \"subproblems\": 7}'")
        XCTAssertEqual(answered.answer, "unsat", answered.error)
        XCTAssertEqual(answered.subproblems, 7)
        let arguments = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(arguments.hasPrefix("verify ") && arguments.contains("--timeout 5.0") && arguments.contains("--json --batch 8"), arguments)
        XCTAssertNil(answered.closestMargin)
        // How far an undecided child came is kept (JSON null: no value).
        let open = try record(child: "echo '{\"answer\": \"timed-out\", \"closest_margin\": 0.5, \"weakest_open_bound\": null}'")
        XCTAssertEqual(open.answer, "timed-out", open.error)
        XCTAssertEqual(open.closestMargin, 0.5)
        XCTAssertNil(open.weakestOpenBound)
        let both = try record(child: "echo '{\"answer\": \"timed-out\", \"closest_margin\": 3, \"weakest_open_bound\": -0.25}'")
        XCTAssertEqual(both.closestMargin, 3)
        XCTAssertEqual(both.weakestOpenBound, -0.25)
    }
}
