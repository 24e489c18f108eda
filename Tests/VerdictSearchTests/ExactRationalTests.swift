import VerdictZ3
import XCTest

@testable import VerdictZ3

final class ExactRationalTests: XCTestCase {
    func testDoublesBecomeTheirExactRationalValue() {
        XCTAssertEqual(ExactRational.numeral(0), "0")
        XCTAssertEqual(ExactRational.numeral(3), "3")
        XCTAssertEqual(ExactRational.numeral(-0.5), "-1/2")
        XCTAssertEqual(ExactRational.numeral(0.75), "3/4")
        // 0.1 is not one tenth: 3602879701896397 / 2^55.
        XCTAssertEqual(ExactRational.numeral(0.1), "3602879701896397/36028797018963968")
        XCTAssertEqual(ExactRational.numeral(0x1p60), "1152921504606846976")
        XCTAssertEqual(ExactRational.numeral(.leastNonzeroMagnitude), "1/" + ExactRational.decimal(1, timesPowerOfTwo: 1074))
        XCTAssertEqual(ExactRational.decimal(5, timesPowerOfTwo: 10), "5120")
    }
}
