import Foundation

/// One status line on stderr that rewrites itself on a terminal (carriage return and
/// clear-to-end-of-line), shared by the progress of `radius` test sets and `bench`.
struct StatusLine {
    /// Whether stderr is a terminal; elsewhere only ``log(_:)`` lines appear, one per line.
    let isLive = isatty(2) != 0

    /// Replaces the line on a terminal; nothing elsewhere.
    func update(_ text: String) {
        if isLive { write("\r\u{1B}[K" + text) }
    }

    /// Replaces the line on a terminal; a line of its own elsewhere (a log of what happened).
    func log(_ text: String) {
        write(isLive ? "\r\u{1B}[K" + text : text + "\n")
    }

    /// Clears the line, before the command prints its result.
    func finish() {
        if isLive { write("\r\u{1B}[K") }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
