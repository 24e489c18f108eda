import Foundation
import XCTest
@testable import VerdictSearch

final class BackgroundReleaseTests: XCTestCase {
    /// Tells `freed` whether it was freed on the main thread.
    private final class Tracked: @unchecked Sendable {
        let freed: (Bool) -> Void
        init(freed: @escaping (Bool) -> Void) { self.freed = freed }
        deinit { freed(Thread.isMainThread) }
    }

    /// The object is freed, and not on the caller's (main) thread.
    func testFreesTheObjectOnAnotherThread() {
        XCTAssertTrue(Thread.isMainThread)
        let freed = NSCondition()
        var result: Bool?
        let object = Tracked { onMain in
            freed.lock()
            result = onMain
            freed.signal()
            freed.unlock()
        }
        BackgroundRelease.release(consume object)
        freed.lock()
        let deadline = Date(timeIntervalSinceNow: 10)
        while result == nil && freed.wait(until: deadline) {}
        let onMain = result
        freed.unlock()
        XCTAssertEqual(onMain, false, "freed on the caller's thread, or not within 10 s")
    }
}
