import Foundation
import Verdict

#if canImport(Glibc)
import Glibc
#endif

/// Runs one instance as `verdict verify` in a process of its own, so a crash, a stuck run or
/// running out of memory costs that instance alone. The child gets the instance's timeout
/// (capped); past it by ``grace`` seconds it is killed and recorded as an error.
struct BenchRunner {
    /// This executable (`verdict`), which runs `verify`.
    let executable: URL
    let verifyFlags: [String]
    let timeoutCap: Double?
    /// Seconds past the timeout before the child is killed.
    static let grace = 30.0

    /// The `verify` flags as a row records them.
    var flagText: String { verifyFlags.joined(separator: " ") }

    func timeout(of instance: BenchInstance) -> Double {
        min(instance.timeout, timeoutCap ?? .infinity)
    }

    func run(_ instance: BenchInstance) -> BenchRecord {
        let limit = timeout(of: instance)
        let network: String, property: String
        do {
            (network, property) = (try Self.decompressed(instance.networkPath), try Self.decompressed(instance.propertyPath))
        } catch {
            return BenchRecord(
                network: instance.network, property: instance.property, answer: "error", expected: instance.expected, seconds: 0, error: "\(error)",
                flags: flagText)
        }
        let start = ContinuousClock.now
        let process = Process()
        process.executableURL = executable
        process.arguments = ["verify", property, "--network", network, "--timeout", "\(limit)", "--json"] + verifyFlags
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        func record(_ answer: String, error: String) -> BenchRecord {
            BenchRecord(
                network: instance.network, property: instance.property, answer: answer, expected: instance.expected, seconds: seconds(since: start),
                error: error, flags: flagText)
        }
        do { try process.run() } catch { return record("error", error: "cannot start \(executable.path): \(error)") }
        let killer = DispatchWorkItem { [pid = process.processIdentifier] in kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + limit + Self.grace, execute: killer)
        let group = DispatchGroup()
        nonisolated(unsafe) var errorData = Data()
        DispatchQueue.global().async(group: group) { errorData = stderr.fileHandleForReading.readDataToEndOfFile() }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        killer.cancel()
        let elapsed = seconds(since: start)
        if process.terminationReason == .uncaughtSignal {
            let killed = process.terminationStatus == SIGKILL && elapsed >= limit + Self.grace - 1
            return record("error", error: killed ? "killed \(Int(Self.grace)) s after the timeout" : "ended by signal \(process.terminationStatus)")
        }
        guard process.terminationStatus == 0,
              let object = (try? JSONSerialization.jsonObject(with: output)) as? [String: Any], let answer = object["answer"] as? String else {
            let message = String(decoding: errorData, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "no output"
            return record("error", error: "exit \(process.terminationStatus): \(message)")
        }
        return BenchRecord(
            network: instance.network, property: instance.property, answer: answer, expected: instance.expected, seconds: elapsed,
            subproblems: object["subproblems"] as? Int ?? 0, z3Leaves: object["z3_leaves"] as? Int ?? 0,
            peakMemoryBytes: object["peak_memory_bytes"] as? Int ?? 0, flags: flagText,
            closestMargin: object["closest_margin"] as? Double, weakestOpenBound: object["weakest_open_bound"] as? Double)
    }

    /// `path`, or for a `.gz` file (as the VNN-COMP 2022 repositories ship them) its contents
    /// unpacked once by `gzip -dc` into a temporary folder; the time is not the instance's.
    static func decompressed(_ path: String) throws -> String {
        guard path.hasSuffix(".gz") else { return path }
        try FileManager.default.createDirectory(at: unpacked, withIntermediateDirectories: true)
        let target = unpacked.appendingPathComponent(String(path.dropLast(3)).replacingOccurrences(of: "/", with: "_"))
        if FileManager.default.fileExists(atPath: target.path) { return target.path }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", path]
        let partial = target.appendingPathExtension(UUID().uuidString)
        guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
            throw CommandFailure("\(path): cannot create \(partial.path) to unpack it into")
        }
        let output = try FileHandle(forWritingTo: partial)
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try output.close()
        guard process.terminationStatus == 0 else {
            try? FileManager.default.removeItem(at: partial)
            throw CommandFailure("\(path): gzip -dc failed (status \(process.terminationStatus))")
        }
        // Another job may have unpacked the same file meanwhile: either copy will do.
        if (try? FileManager.default.moveItem(at: partial, to: target)) == nil { try? FileManager.default.removeItem(at: partial) }
        return target.path
    }

    /// Where this run unpacks `.gz` files (removed at its end).
    static let unpacked = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-bench-\(getpid())")
}
