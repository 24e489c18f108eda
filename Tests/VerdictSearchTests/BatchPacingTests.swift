import XCTest
@testable import VerdictSearch

/// The batch shrinks as the deadline nears, so that `--timeout` holds with large `--batch`.
final class BatchPacingTests: XCTestCase {
    func testBatchFitsInHalfTheRemainingTime() {
        var pacing = BatchPacing()
        // Nothing measured yet: the requested batch.
        XCTAssertEqual(pacing.batchSize(1024, remainingSeconds: 0.5), 1024)
        pacing.record(nodes: 100, seconds: 1)  // 10 ms a node
        XCTAssertEqual(pacing.batchSize(1024, remainingSeconds: 100), 1024)
        XCTAssertEqual(pacing.batchSize(1024, remainingSeconds: 2), 100)
        XCTAssertEqual(pacing.batchSize(64, remainingSeconds: 2), 64)
        // Never empty, however little time is left; unlimited time keeps the request.
        XCTAssertEqual(pacing.batchSize(1024, remainingSeconds: 0), 1)
        XCTAssertEqual(pacing.batchSize(1024, remainingSeconds: .infinity), 1024)
        XCTAssertEqual(pacing.batchSize(0, remainingSeconds: 100), 1)
    }

    func testASlowerBatchCountsAtOnceAndAFasterOneSlowly() throws {
        var pacing = BatchPacing()
        pacing.record(nodes: 100, seconds: 1)
        pacing.record(nodes: 10, seconds: 1)  // 100 ms a node
        XCTAssertEqual(try XCTUnwrap(pacing.secondsPerNode), 0.1, accuracy: 1e-12)
        XCTAssertEqual(pacing.batchSize(1024, remainingSeconds: 2), 10)
        pacing.record(nodes: 1000, seconds: 1)  // 1 ms a node: the estimate only drifts down
        XCTAssertEqual(try XCTUnwrap(pacing.secondsPerNode), 0.8 * 0.1 + 0.2 * 0.001, accuracy: 1e-12)
        // Meaningless records change nothing.
        pacing.record(nodes: 0, seconds: 5)
        pacing.record(nodes: 5, seconds: .nan)
        XCTAssertEqual(try XCTUnwrap(pacing.secondsPerNode), 0.8 * 0.1 + 0.2 * 0.001, accuracy: 1e-12)
    }
}
