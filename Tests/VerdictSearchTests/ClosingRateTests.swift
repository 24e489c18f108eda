@testable import VerdictSearch
import XCTest

/// The projection that decides whether the refinement restart waits: taken over the last half
/// of the search, so a fast start followed by a stall reads as a stall.
final class ClosingRateTests: XCTestCase {
    func testSteadyClosingProjectsTheTimeLeft() {
        var rate = ClosingRate()
        // One unit of volume closed per second, from 4.
        for tenth in 0...20 { rate.record(seconds: Double(tenth) / 10, volume: 4 - Double(tenth) / 10) }
        XCTAssertEqual(rate.projectedSeconds(now: 2, volume: 2), 2, accuracy: 1e-9)
    }

    func testAStallAfterAFastStartProjectsNoEnd() {
        var rate = ClosingRate()
        rate.record(seconds: 0, volume: 2)
        rate.record(seconds: 1, volume: 1.1)
        rate.record(seconds: 3, volume: 1.1)
        // Since the start it closed 0.9 in 6 s (7 s to go); in its last 3 s nothing.
        XCTAssertEqual(rate.projectedSeconds(now: 6, volume: 1.1), .infinity)
        XCTAssertEqual(rate.projectedSeconds(now: 6, volume: 0), 0)
        XCTAssertEqual(ClosingRate().projectedSeconds(now: 1, volume: 1), .infinity)
    }
}
