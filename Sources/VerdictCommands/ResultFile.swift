import ArgumentParser
import Foundation
import VerdictSearch

/// The VNN-COMP result file of `verify --result-file`: checked before any work starts,
/// cleared of an earlier run's answer, and written whole at the end.
///
/// The path must name a regular file (or none yet) in a writable folder. Devices, folders and
/// other special files are refused: the whole-file write renames a temporary file over the
/// path, which would replace a device node by a regular file. A symbolic link is followed, and
/// the file it points to is the one replaced.
enum ResultFile {
    /// Throws unless a result can be written at `path`, which must not be one of `inputs`
    /// (clearing it would destroy the property or the network); `flag` names the option in
    /// messages (other commands check their output files here too).
    static func check(_ path: String, notOneOf inputs: [String] = [], flag: String = "--result-file") throws {
        guard !path.isEmpty else { throw ValidationError("\(flag): the path is empty") }
        let target = resolved(path)
        var status = stat()
        if lstat(target, &status) == 0 {
            for input in inputs {
                var other = stat()
                if stat(input, &other) == 0, other.st_dev == status.st_dev, other.st_ino == status.st_ino {
                    throw ValidationError("\(flag) \(path) is the input file \(input)")
                }
            }
            guard status.st_mode & S_IFMT == S_IFREG else {
                throw ValidationError("\(flag) \(path): not a regular file (a folder, device or other special file); give the path of a file")
            }
            guard access(target, W_OK) == 0 else { throw ValidationError("\(flag) \(path): the file is not writable") }
        }
        let folder = URL(fileURLWithPath: target).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw ValidationError("\(flag) \(path): the folder \(folder) does not exist")
        }
        // The whole-file write creates a temporary file in the folder: try that now, so a
        // folder that takes no new files (such as /proc) is refused before any work.
        var template = Array((folder + "/.verdict-result-XXXXXX").utf8CString)
        let probe = mkstemp(&template)
        guard probe >= 0 else {
            throw ValidationError("\(flag) \(path): cannot create files in the folder \(folder): \(String(cString: strerror(errno)))")
        }
        close(probe)
        unlink(template)
    }

    /// Empties an earlier run's result at `path`, so a run killed before its end leaves no
    /// answer to be read as its own (emptied, not removed: a link keeps pointing at it).
    static func removeStale(_ path: String) throws {
        let target = resolved(path)
        guard FileManager.default.fileExists(atPath: target) else { return }
        guard truncate(target, 0) == 0 else {
            throw CommandFailure("--result-file \(path): cannot clear the earlier result: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes the answer and, after `sat`, the witness: to a temporary file beside the target,
    /// then renamed over it, so a reader never sees half a file.
    static func write(_ result: VerificationResult, to path: String) throws {
        var text: String
        switch result.answer {
        case .sat: text = "sat\n"
        case .unsat: text = "unsat\n"
        case .unknown: text = "unknown\n"
        case .timedOut: text = "timeout\n"
        }
        if let report = result.witness {
            let entries = report.input.enumerated().map { "(X_\($0.offset) \($0.element + 0))" }
                + report.outputs.enumerated().map { "(Y_\($0.offset) \($0.element + 0))" }
            text += "(" + entries.joined(separator: "\n ") + ")\n"
        }
        do {
            try check(path)
            try Data(text.utf8).write(to: URL(fileURLWithPath: resolved(path)), options: .atomic)
        } catch let error as ValidationError {
            throw CommandFailure(error.message)
        } catch {
            throw CommandFailure("--result-file \(path): cannot write: \(error.localizedDescription)")
        }
    }

    /// `path` with symbolic links followed (itself when it is not a link).
    private static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}
