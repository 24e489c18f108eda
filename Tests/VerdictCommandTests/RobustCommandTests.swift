import Foundation
import VerdictTestSupport
import XCTest

/// The commands under the flags and paths that once crashed, hung or misled a harness
/// (`../shared/reliability/README.md` lists them): each now answers or refuses clearly.
final class RobustCommandTests: XCTestCase {
    private let model = "benchmarks/examples/digits/digits.onnx"
    private let property = "benchmarks/examples/digits/properties/digit_0_eps_0.05.vnnlib"

    func testHugeTimeoutsAndCountsRunInsteadOfCrashing() throws {
        for timeout in ["1e308", "99999999999999999999"] {
            let run = try VerdictProcess.run(["verify", property, "--network", model, "--device", "cpu", "--timeout", timeout])
            XCTAssertEqual(run.status, 0, "--timeout \(timeout): \(run.stderr)")
            XCTAssertEqual(run.stdout, "unsat\n")
        }
        // A billion restarts: drawn one at a time, so the deadline ends them, not memory.
        let sat = "benchmarks/examples/digits/properties/digit_1_eps_2.0.vnnlib"
        let restarts = try VerdictProcess.run([
            "verify", sat, "--network", model, "--device", "cpu", "--timeout", "20", "--attack-restarts", "1000000000", "--attack-samples", "1000000000",
        ])
        XCTAssertEqual(restarts.status, 0, restarts.stderr)
        XCTAssertEqual(restarts.stdout.split(separator: "\n").first, "sat")
    }

    func testCountsBeyondReasonAreRefusedByName() throws {
        let cases: [([String], String)] = [
            (["bounds", property, "--network", model, "--iterations", "1000000000"], "--iterations must be between 0 and 1000000"),
            (["verify", property, "--network", model, "--batch", "100000000000"], "--batch must be between 1 and"),
            (["verify", property, "--network", model, "--z3-workers", "100000"], "--z3-workers must be between 1 and 1024"),
            (["bounds", property, "--network", model, "--timeout", "0"], "--timeout must be a positive"),
            (["bounds", property, "--network", model, "--slope-learning-rate", "0"], "--slope-learning-rate must be positive"),
            (["verify", property, "--network", model, "--intermediate-iterations", "1000000000"], "--intermediate-iterations must be between 0 and 1000000"),
            (["verify", property, "--network", model, "--input-split-warmup=-1"], "--input-split-warmup must be at least 0"),
        ]
        for (arguments, message) in cases {
            let result = try VerdictProcess.run(arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments)")
            XCTAssertTrue(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty, "\(arguments) printed to stdout: \(result.stdout)")
        }
    }

    func testBoundsStopsAtItsTimeout() throws {
        let start = ContinuousClock.now
        let run = try VerdictProcess.run([
            "bounds", property, "--network", model, "--device", "cpu", "--method", "alpha-crown", "--iterations", "1000000", "--timeout", "2", "--json",
        ])
        let elapsed = ContinuousClock.now - start
        XCTAssertLessThan(elapsed, .seconds(15), "bounds --timeout 2 took \(elapsed)")
        XCTAssertEqual(run.status, 0, run.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["stopped_at_timeout"] as? Bool, true)
        XCTAssertEqual(object["proved"] as? Bool, true)
    }

    func testResultFilesAreNeverSpecialFilesOrStale() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-robust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // Refused before any work, with no answer printed: a device, a folder, an empty path,
        // and a folder that takes no new files.
        let refused: [(String, String)] = [
            ("/dev/null", "not a regular file"), (directory.path, "not a regular file"), ("", "the path is empty"),
            ("/proc/version", "cannot create files in the folder /proc"),
        ]
        for (path, message) in refused {
            let run = try VerdictProcess.run(["verify", property, "--network", model, "--device", "cpu", "--result-file", path])
            XCTAssertNotEqual(run.status, 0, path)
            XCTAssertTrue(run.stderr.contains(message), "\(path): \(run.stderr)")
            XCTAssertTrue(run.stdout.isEmpty, "\(path): \(run.stdout)")
        }
        // The property itself as the result file: refused, and the property left whole.
        let copy = directory.appendingPathComponent("property.vnnlib")
        try FileManager.default.copyItem(atPath: TestPaths.repositoryRoot.appendingPathComponent(property).path, toPath: copy.path)
        let size = try FileManager.default.attributesOfItem(atPath: copy.path)[.size] as? Int
        let same = try VerdictProcess.run(["verify", copy.path, "--network", model, "--device", "cpu", "--result-file", copy.path])
        XCTAssertNotEqual(same.status, 0)
        XCTAssertTrue(same.stderr.contains("is the input file"), same.stderr)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: copy.path)[.size] as? Int, size)
        var status = stat()
        XCTAssertEqual(stat("/dev/null", &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFCHR, "/dev/null is still a device")

        // Through a link, the file linked to is written and the link kept.
        let target = directory.appendingPathComponent("result.txt"), link = directory.appendingPathComponent("link.txt")
        try "sat\nstale\n".write(to: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let run = try VerdictProcess.run(["verify", property, "--network", model, "--device", "cpu", "--result-file", link.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "unsat\n")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), target.path)

        // A run stopped before its answer leaves no earlier answer behind: a bad network fails
        // after the result file was checked and cleared.
        try "sat\nstale\n".write(to: target, atomically: true, encoding: .utf8)
        let failed = try VerdictProcess.run(["verify", property, "--network", "missing.onnx", "--result-file", target.path])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "")
    }

    func testAHugePropertyStopsAtTheTimeout() throws {
        // A 30 MB line (7.5 million terms) takes longer to read than the timeout allows.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-huge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let declarations = (0..<64).map { "(declare-const X_\($0) Real)\n(assert (>= X_\($0) 0))\n(assert (<= X_\($0) 1))\n" }.joined()
            + (0..<10).map { "(declare-const Y_\($0) Real)\n" }.joined()
        let huge = directory.appendingPathComponent("huge.vnnlib"), result = directory.appendingPathComponent("result.txt")
        try Data((declarations + "(assert (>= (+ " + String(repeating: "Y_0 ", count: 7_500_000) + ") 0))\n").utf8).write(to: huge)
        let start = ContinuousClock.now
        let run = try VerdictProcess.run([
            "verify", huge.path, "--network", model, "--timeout", "1", "--result-file", result.path,
        ])
        let elapsed = ContinuousClock.now - start
        XCTAssertLessThan(elapsed, .seconds(10), "verify --timeout 1 took \(elapsed)")
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "timed-out\n", run.stderr)
        XCTAssertTrue(run.stderr.contains("while reading the property"), run.stderr)
        XCTAssertEqual(try String(contentsOf: result, encoding: .utf8), "timeout\n")
    }

    func testSignalsStopARunWithAnAnswer() throws {
        // Input splitting with interval bounds on digit 0 at radius 2 runs far past 60 s. The
        // search notices the signal between steps; in a debug build a step of 64 boxes (each
        // trying several dimensions) takes 0.3-0.5 s, as long as the watchdog's grace, so the
        // steps are kept small here: the run must answer by itself, not through the watchdog.
        let hard = ["verify", "benchmarks/examples/digits/properties/digit_0_eps_2.0.vnnlib", "--network", model, "--device", "cpu",
                    "--split", "input", "--method", "ibp", "--batch", "8", "--timeout", "60"]
        for number in [SIGINT, SIGTERM, SIGQUIT] {
            let start = ContinuousClock.now
            let run = try VerdictProcess.run(hard, signal: (number, 3))
            let elapsed = ContinuousClock.now - start
            XCTAssertLessThan(elapsed, .seconds(10), "signal \(number): the run took \(elapsed)")
            XCTAssertEqual(run.stdout, "unknown\n", "signal \(number): \(run.stderr)")
            XCTAssertTrue(run.stderr.contains("(interrupted)"), run.stderr)
        }
    }

    func testTheMemoryCapStopsTheSearch() throws {
        // 64 MiB: less than the process holds once started, so the first check stops the search.
        let run = try VerdictProcess.run([
            "verify", "benchmarks/examples/digits/properties/digit_0_eps_2.0.vnnlib", "--network", model, "--device", "cpu",
            "--split", "input", "--method", "ibp", "--timeout", "60", "--max-memory", "0.0625",
        ])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout, "unknown\n", run.stderr)
        XCTAssertTrue(run.stderr.contains("pass 64 MiB (--max-memory)"), run.stderr)
    }
}
