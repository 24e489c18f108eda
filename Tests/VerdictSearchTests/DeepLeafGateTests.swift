@testable import VerdictSearch
import XCTest

/// Deep ReLU-split leaves go to Z3 until it gives up on one; then only those with fewer than
/// half its unstable ReLUs (and those with none, which cannot be split) do. Input splitting's
/// deep leaves always go.
final class DeepLeafGateTests: XCTestCase {
    func testGivingUpHalvesWhatReluLeavesMayCarry() {
        var gate = DeepLeafGate(mode: .relu)
        XCTAssertTrue(gate.admits(unstable: 5_000))
        gate.gaveUp(unstable: 400)
        XCTAssertTrue(gate.admits(unstable: 199))
        XCTAssertFalse(gate.admits(unstable: 200))
        XCTAssertFalse(gate.admits(unstable: 5_000))
        gate.gaveUp(unstable: 1_000)  // a larger leaf does not loosen it
        XCTAssertFalse(gate.admits(unstable: 200))
        gate.gaveUp(unstable: 1)
        XCTAssertFalse(gate.admits(unstable: 1))
        XCTAssertTrue(gate.admits(unstable: 0))
    }

    func testInputSplittingKeepsItsDeepLeaves() {
        var gate = DeepLeafGate(mode: .input)
        gate.gaveUp(unstable: 10)
        XCTAssertTrue(gate.admits(unstable: 50))
    }
}
