import Foundation
import VerdictCore
import VerdictVNNLIB
import VerdictTestSupport
import XCTest

/// Every property of the shared benchmarks parses to what the file says.
final class SharedPropertyTests: XCTestCase {
    private func folder(_ name: String) throws -> URL {
        try TestPaths.sharedFolder(name)
    }

    func testEveryInstancePropertyParses() throws {
        var parsed = 0
        for name in ["acasxu", "mnistfc", "test"] {
            for instance in try BenchmarkSuite.instances(in: folder(name)) {
                let property = try VNNLIBParser.parse(contentsOf: instance.property.path)
                XCTAssertFalse(property.cases.isEmpty, instance.property.path)
                for item in property.cases {
                    XCTAssertTrue(item.box.isNonEmpty, instance.property.path)
                    // The outer box contains the inner box.
                    for index in 0..<property.inputCount {
                        XCTAssertLessThanOrEqual(item.box.lower[index], item.innerBox.lower[index])
                        XCTAssertGreaterThanOrEqual(item.box.upper[index], item.innerBox.upper[index])
                    }
                }
                parsed += 1
            }
        }
        XCTAssertEqual(parsed, 186 + 90 + 5)
    }

    func testMNISTPropertiesAreNineWayRobustnessQueries() throws {
        let mnist = try folder("mnistfc")
        for file in try FileManager.default.contentsOfDirectory(atPath: mnist.path) where file.hasSuffix(".vnnlib") {
            let property = try VNNLIBParser.parse(contentsOf: mnist.appendingPathComponent(file).path)
            XCTAssertEqual(property.inputCount, 784)
            XCTAssertEqual(property.outputCount, 10)
            XCTAssertEqual(property.cases.count, 1)
            let disjuncts = property.cases[0].unsafe.disjuncts
            XCTAssertEqual(disjuncts.count, 9)
            // Each disjunct is "Y_other >= Y_label": one constraint Y_label - Y_other <= 0.
            let labels = Set(disjuncts.map { $0[0].terms.first { $0.coefficient == 1 }!.index })
            XCTAssertEqual(labels.count, 1, file)
            for conjunction in disjuncts {
                XCTAssertEqual(conjunction.count, 1)
                XCTAssertEqual(conjunction[0].terms.map(\.coefficient).sorted(), [-1, 1])
                XCTAssertEqual(conjunction[0].bound, RealInterval(exactly: 0))
            }
            let epsilon = file.contains("0.03") ? 0.03 : 0.05
            let widths = property.cases[0].box.widths
            XCTAssertLessThanOrEqual(widths.max()!, 2 * epsilon + 1e-6, file)
        }
    }

    func testACASXuPropertyOneMeansWhatItsFileSays() throws {
        let property = try VNNLIBParser.parse(contentsOf: folder("acasxu").appendingPathComponent("prop_1.vnnlib").path)
        XCTAssertEqual(property.inputCount, 5)
        XCTAssertEqual(property.outputCount, 5)
        let item = try XCTUnwrap(property.cases.first)
        // (assert (>= X_0 0.6)) and (assert (<= X_0 0.679857769)): neither is exact in binary.
        XCTAssertLessThan(item.box.lower[0], 0.6)
        XCTAssertGreaterThan(item.innerBox.lower[0], 0.6)
        XCTAssertEqual(item.box.lower[0], 0.6.nextDown)
        XCTAssertGreaterThan(item.box.upper[0], 0.679857769)
        // -0.5 and 0.5 are exact: outer and inner agree.
        XCTAssertEqual(item.box.lower[1], -0.5)
        XCTAssertEqual(item.innerBox.lower[1], -0.5)
        XCTAssertEqual(item.box.upper[1], 0.5)
        // (assert (>= Y_0 3.991125645861615)): -Y_0 <= -3.991125645861615.
        XCTAssertEqual(item.unsafe.disjuncts.count, 1)
        let constraint = item.unsafe.disjuncts[0][0]
        XCTAssertEqual(constraint.terms, [LinearConstraint.Term(index: 0, coefficient: -1)])
        XCTAssertEqual(constraint.bound.nearest, -3.991125645861615)
        XCTAssertTrue(constraint.isSurelySatisfied(by: [4, 0, 0, 0, 0]))
        XCTAssertFalse(constraint.isSurelySatisfied(by: [3.99, 0, 0, 0, 0]))
    }

    func testMNISTPropertyParsesQuickly() throws {
        // A smoke check only; the speed target (under 50 ms in release) is measured by
        // benchmarks/vnnlib-parse.sh. A debug build must still stay well under a second.
        let path = try folder("mnistfc").appendingPathComponent("prop_0_0.03.vnnlib").path
        let start = Date()
        _ = try VNNLIBParser.parse(contentsOf: path)
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }
}
