import Foundation

/// One instance of a VNN-COMP suite: a network, a property and its timeout, as the suite's
/// instances CSV writes them (paths relative to the CSV's folder, or absolute).
public struct BenchInstance: Sendable, Hashable {
    public var network: String
    public var property: String
    public var timeout: Double
    /// The label of `expected.csv` beside the instances file (`sat`, `unsat`, `unknown`).
    public var expected: String
    /// The folder the paths are relative to.
    public var folder: String

    public var networkPath: String { network.hasPrefix("/") ? network : (folder as NSString).appendingPathComponent(network) }
    public var propertyPath: String { property.hasPrefix("/") ? property : (folder as NSString).appendingPathComponent(property) }
    /// What identifies the instance in results files.
    public var key: String { "\(network),\(property)" }
}

/// A VNN-COMP suite: the instances file (`onnx,vnnlib,timeout` rows) of a folder or a path,
/// with the `expected.csv` beside it (`onnx,vnnlib,expected,...`, optional).
public struct BenchSuite: Sendable {
    public var instancesFile: String
    public var instances: [BenchInstance]

    public struct Problem: Error, CustomStringConvertible {
        public let description: String

        init(_ description: String) {
            self.description = description
        }
    }

    /// The suite at `path`: an instances CSV, or a folder holding exactly one `*instances*.csv`.
    public init(at path: String) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw Problem("\(path): no such file or folder") }
        if isFolder.boolValue {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".csv") && $0.contains("instances") }
            guard names.count == 1 else {
                throw Problem("\(path): \(names.isEmpty ? "no *instances*.csv file" : "several instances files (\(names.sorted().joined(separator: ", "))); name one")")
            }
            instancesFile = (path as NSString).appendingPathComponent(names[0])
        } else {
            instancesFile = path
        }
        let folder = (instancesFile as NSString).deletingLastPathComponent
        let expected = try Self.expected((folder as NSString).appendingPathComponent("expected.csv"))
        instances = try Self.rows(instancesFile).map { network, property, timeout in
            BenchInstance(network: network, property: property, timeout: timeout, expected: expected["\(network),\(property)"] ?? "unknown", folder: folder)
        }
        guard !instances.isEmpty else { throw Problem("\(instancesFile): no instances") }
    }

    /// The rows of an instances file.
    private static func rows(_ path: String) throws -> [(String, String, Double)] {
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem("\(path): cannot be read") }
        var rows: [(String, String, Double)] = []
        for (offset, line) in String(decoding: data, as: UTF8.self).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            if fields.allSatisfy(\.isEmpty) { continue }
            guard fields.count >= 3, !fields[0].isEmpty, !fields[1].isEmpty, let timeout = Double(fields[2]), timeout > 0, timeout.isFinite else {
                throw Problem("\(path):\(offset + 1): expected onnx,vnnlib,timeout with a positive timeout, got '\(line.prefix(200))'")
            }
            rows.append((fields[0], fields[1], timeout))
        }
        return rows
    }

    /// `expected.csv`'s labels by instance key; empty when there is no such file.
    private static func expected(_ path: String) throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        guard let data = FileManager.default.contents(atPath: path) else { throw Problem("\(path): cannot be read") }
        var labels: [String: String] = [:]
        for (offset, line) in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated() where offset > 0 {
            let fields = line.split(separator: ",", maxSplits: 3, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            guard fields.count >= 3, ["sat", "unsat", "unknown"].contains(fields[2]) else {
                throw Problem("\(path):\(offset + 1): expected onnx,vnnlib,expected[,source] with sat, unsat or unknown")
            }
            labels["\(fields[0]),\(fields[1])"] = fields[2]
        }
        return labels
    }

    /// The instances a run takes: those whose network or property contains `match` (and, with
    /// `knownOnly`, whose label is `sat` or `unsat`), every `every`-th of them, and of those
    /// shard `shard` (1-based) of `shards`, round robin, so each shard gets a similar mix.
    public func selected(match: String? = nil, knownOnly: Bool = false, every: Int = 1, shard: Int = 1, of shards: Int = 1) -> [BenchInstance] {
        let matching = instances.filter { (match == nil || $0.key.contains(match!)) && (!knownOnly || $0.expected != "unknown") }
        let sampled = matching.enumerated().filter { $0.offset % max(every, 1) == 0 }.map(\.element)
        return sampled.enumerated().filter { $0.offset % max(shards, 1) == shard - 1 }.map(\.element)
    }
}
