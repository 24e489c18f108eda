import ArgumentParser
import Logging

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "Print diagnostics (timings, details) to stderr.")
    var verbose = false

    /// A logger writing to stderr; stdout stays for answers.
    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }
}
