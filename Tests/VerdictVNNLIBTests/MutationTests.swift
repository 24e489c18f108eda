import Foundation
import VerdictTestSupport
import VerdictVNNLIB
import XCTest

/// A few hundred malformed variants of valid properties: each is refused with a
/// ``VNNLIBError`` naming the file, or parses. (The libFuzzer targets in `Fuzz/` run millions.)
final class VNNLIBMutationTests: XCTestCase {
    func testMutatedPropertiesAreRefusedOrParsedCleanly() throws {
        let folder = TestPaths.digitsExample.appendingPathComponent("properties")
        let seeds = try ["digit_0_eps_0.05.vnnlib", "digit_1_eps_2.0.vnnlib"].map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }
            + [Array("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n(assert (or (and (<= X_0 1) (>= X_0 -1) (>= Y_0 Y_1)) (and (<= X_0 2) (>= X_0 1.5) (<= (+ Y_0 (* 2 Y_1)) 0.5))))\n".utf8)]
        var mutator = Mutator(seed: 24, dictionary: [
            "(", ")", "(assert ", "(declare-const ", "X_0", "X_01", "Y_9", "<=", ">=", "(and ", "(or ", "(not ", "|1|", "1e308", "-0",
            "1.5e-400", "99999999999999999999999", "Real", ";", "\n",
        ])
        var refused = 0, parsed = 0
        for index in 0..<600 {
            let bytes = mutator.mutate(seeds[index % seeds.count])
            do {
                let property = try VNNLIBParser.parse(bytes: bytes, file: "mutant.vnnlib")
                XCTAssertFalse(property.cases.isEmpty)
                for item in property.cases {
                    XCTAssertEqual(item.box.lower.count, property.inputCount)
                    XCTAssertTrue(zip(item.box.lower, item.box.upper).allSatisfy { $0 <= $1 }, "an empty box was kept")
                }
                parsed += 1
            } catch let error as VNNLIBError {
                XCTAssertTrue("\(error)".hasPrefix("mutant.vnnlib"), "\(error)")
                refused += 1
            }
        }
        XCTAssertEqual(refused + parsed, 600)
        XCTAssertGreaterThan(refused, 200, "most mutants should be refused")
    }
}
