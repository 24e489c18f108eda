import VerdictSearch
import XCTest

/// The defaults that depend on the split mode, and that explicit choices override them.
final class VerificationOptionsTests: XCTestCase {
    func testIterationsFollowTheSplitMode() {
        var options = VerificationOptions()
        // `auto` splits inputs up to 16 inputs (ACAS Xu has 5, gcas 14) and ReLUs above (MNIST: 784).
        XCTAssertEqual(options.resolvedIterations(inputCount: 784), 20)
        XCTAssertEqual(options.resolvedIterations(inputCount: 5), 3)
        XCTAssertEqual(options.resolvedSplitMode(inputCount: 14), .input)
        XCTAssertEqual(options.resolvedSplitMode(inputCount: 17), .relu)
        options.inputSplitDimensionLimit = 4
        XCTAssertEqual(options.resolvedSplitMode(inputCount: 5), .relu)
        options.inputSplitDimensionLimit = 16
        options.splitMode = .relu
        XCTAssertEqual(options.resolvedIterations(inputCount: 5), 20)
        options.iterations = 7
        XCTAssertEqual(options.resolvedIterations(inputCount: 784), 7)
        XCTAssertEqual(options.resolvedIterations(inputCount: 5), 7)
    }
}
