import Foundation
import VerdictCore
import VerdictTestSupport
import XCTest

/// Malformed variants of valid input vectors (JSON and one number a line): each is refused
/// with a message naming the file, or read as finite numbers.
final class InputFileMutationTests: XCTestCase {
    func testMutatedInputsAreRefusedOrReadCleanly() throws {
        let seeds = [Array("[[0.5, 1, -2.25], [3e-3, 4, 5]]".utf8), Array("# pixels\n0\n0.5\n\n16\n-1e-3\n".utf8)]
        var mutator = Mutator(seed: 24, dictionary: ["[", "]", ",", "NaN", "Infinity", "1e309", "true", "null", "\"1\"", "{}", "\n", "#"])
        var refused = 0, read = 0
        for index in 0..<600 {
            let text = String(decoding: mutator.mutate(seeds[index % seeds.count]), as: UTF8.self)
            do {
                let values = try InputVectorFile.parse(text, file: "mutant.txt")
                XCTAssertTrue(values.allSatisfy(\.isFinite), "\(text) gave \(values)")
                read += 1
            } catch let problem as InputVectorFile.Problem {
                XCTAssertTrue(problem.description.hasPrefix("mutant.txt"), problem.description)
                refused += 1
            }
        }
        XCTAssertEqual(refused + read, 600)
        XCTAssertGreaterThan(refused, 100)
    }
}
