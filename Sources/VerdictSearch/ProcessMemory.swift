import Foundation

/// The process's memory as the kernel counts it, and the limits it runs under, so a search
/// stops with `unknown` before an allocation fails (which would abort the process).
public enum ProcessMemory {
    /// Resident and virtual bytes, from `/proc/self/statm` (nil where it cannot be read).
    public static func usage() -> (resident: Int, virtual: Int)? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ").compactMap { Int($0) }
        guard fields.count >= 2 else { return nil }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return (fields[1] * page, fields[0] * page)
    }

    /// The address-space limit (`ulimit -v`), nil when unlimited; read once, at first use.
    public static let addressSpaceLimit: Int? = {
        var limit = rlimit()
        guard getrlimit(RLIMIT_AS_VALUE, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }  // RLIM_INFINITY
        return Int(clamping: limit.rlim_cur)
    }()

    /// The memory this process may fill: the machine's, or less under a cgroup limit or
    /// `ulimit -v`; read once, at first use (every ``VerificationOptions`` takes its default).
    public static let available: Int = {
        let physical = Int(sysconf(Int32(_SC_PHYS_PAGES))) * Int(sysconf(Int32(_SC_PAGESIZE)))
        var ceiling = physical > 0 ? physical : 16 << 30
        for file in ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"] {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
               let bytes = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), bytes > 0 {
                ceiling = min(ceiling, bytes)
            }
        }
        if let addressSpace = addressSpaceLimit { ceiling = min(ceiling, addressSpace) }
        return ceiling
    }()

    /// The default `--max-memory`: half of what the process may fill (``available``), which
    /// leaves room for what the estimate and the check between batches do not see.
    public static var defaultLimit: Int { available / 2 }

    /// Checks between the steps of a loop (a search's batches, a refinement's rounds): the
    /// growth since the last check counts as what the next step may add.
    public struct Watch {
        private var lastResident = 0

        public init() {}

        /// Why the process is at `limit` (see ``ProcessMemory/limitReached(_:usage:growth:)``),
        /// or nil; nil too where its memory cannot be read.
        public mutating func limitReached(_ limit: Int) -> String? {
            guard let usage = ProcessMemory.usage() else { return nil }
            defer { lastResident = usage.resident }
            let growth = lastResident == 0 ? 0 : max(0, usage.resident - lastResident)
            return ProcessMemory.limitReached(limit, usage: usage, growth: growth)
        }
    }

    /// Why a process using `usage` is at its memory limit, or nil: its resident bytes, plus
    /// `growth` (what the next step may add), over `limit`; or its virtual bytes over 85 % of
    /// `ulimit -v`.
    public static func limitReached(_ limit: Int, usage: (resident: Int, virtual: Int), growth: Int = 0) -> String? {
        if usage.resident + growth > limit {
            return "the process holds \(usage.resident >> 20) MiB; with the next batch it would pass \(limit >> 20) MiB (--max-memory)"
        }
        if let addressSpace = addressSpaceLimit, usage.virtual > addressSpace / 20 * 17 {
            return "the process's address space is \(usage.virtual >> 20) MiB, near its limit of \(addressSpace >> 20) MiB (ulimit -v)"
        }
        return nil
    }
}

#if canImport(Glibc)
private let RLIMIT_AS_VALUE = __rlimit_resource_t(RLIMIT_AS.rawValue)
#else
private let RLIMIT_AS_VALUE = RLIMIT_AS
#endif
