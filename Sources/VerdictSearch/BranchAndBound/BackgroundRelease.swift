import Foundation

/// Frees a finished search on a thread of its own, so that its answer is not kept waiting.
///
/// A search of tens of thousands of open subproblems holds GiBs in hundreds of thousands of
/// arrays, and freeing them takes a large part of a second: oval21 `cifar_deep_kw img1052`
/// at `--timeout 200` (13,000 open, 2.5 GiB) spent 0.28 s between the search returning and
/// the answer, and at 720 s (34,000 open, 6.4 GiB) more than the watchdog's half-second
/// grace, so the watchdog answered for it and the answer lost its statistics. `verify` ends the process without a
/// teardown once its answer is out; a session of many runs (`radius`, tests) frees as it goes.
enum BackgroundRelease {
    /// Drops `object` on a detached thread: pass the last reference, ended with `consume`,
    /// so that the freeing happens there.
    static func release(_ object: consuming AnyObject) {
        let box = Box(object)
        Thread.detachNewThread { box.object = nil }
    }

    private final class Box: @unchecked Sendable {
        var object: AnyObject?
        init(_ object: AnyObject) { self.object = object }
    }
}
