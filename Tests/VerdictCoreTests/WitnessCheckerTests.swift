import VerdictCore
import XCTest

final class WitnessCheckerTests: XCTestCase {
    /// y0 = x0 + x1, y1 = x0 - x1 (no ReLU needed for the checker's logic).
    private func network() throws -> Network {
        try Network(inputShape: TensorShape([2]), sequence: [
            AffineLayer(weights: Matrix(rows: 2, columns: 2, values: [1, 1, 1, -1]), bias: [0, 0])
        ])
    }

    /// Inputs in [0, 1]²; unsafe when y0 >= 1.5 (written -y0 <= -1.5) or when y1 >= 0.9 and y0 <= 1.
    private func property(innerUpper: Double = 1) -> Property {
        let first = [LinearConstraint(terms: [.init(index: 0, coefficient: -1)], bound: RealInterval(exactly: -1.5))]
        let second = [
            LinearConstraint(terms: [.init(index: 1, coefficient: -1)], bound: RealInterval(exactly: -0.9)),
            LinearConstraint(terms: [.init(index: 0, coefficient: 1)], bound: RealInterval(exactly: 1)),
        ]
        return Property(inputCount: 2, outputCount: 2, cases: [
            Property.Case(
                box: InputBox(lower: [0, 0], upper: [1, 1]), innerBox: InputBox(lower: [0, 0], upper: [innerUpper, 1]),
                unsafe: OutputRegion(disjuncts: [first, second]))
        ])
    }

    func testConfirmsAWitnessAndNamesTheDisjunct() throws {
        let checker = try WitnessChecker(network: network(), property: property())
        let report = try checker.check([1, 0.75])
        XCTAssertTrue(report.isConfirmed, report.problem ?? "")
        XCTAssertEqual(report.disjunctIndex, 0)
        XCTAssertEqual(report.outputs, [1.75, 0.25])
        let second = try checker.check([0.9375, 0.03125])
        XCTAssertTrue(second.isConfirmed, second.problem ?? "")
        XCTAssertEqual(second.disjunctIndex, 1)
    }

    func testFloat32OverflowIsNotConfirmed() throws {
        // y = 1e31·x: in the box and in the unsafe region, but near Float32's top an ONNX
        // runtime computing the file's operators one by one may reach infinity or NaN.
        let huge = try Network(inputShape: TensorShape([1]), sequence: [
            AffineLayer(weights: Matrix(rows: 1, columns: 1, values: [1e31]), bias: [0])
        ])
        let unsafe = [LinearConstraint(terms: [.init(index: 0, coefficient: -1)], bound: RealInterval(exactly: -1))]
        let box = InputBox(lower: [0], upper: [1])
        let property = Property(inputCount: 1, outputCount: 1, cases: [Property.Case(box: box, innerBox: box, unsafe: OutputRegion(disjuncts: [unsafe]))])
        let report = try WitnessChecker(network: huge, property: property).check([1])
        XCTAssertFalse(report.isConfirmed)
        XCTAssertTrue(report.problem?.contains("beyond ±1e+30") == true, report.problem ?? "")
        let scaled = try Network(inputShape: TensorShape([1]), sequence: [AffineLayer(weights: Matrix(rows: 1, columns: 1, values: [1e29]), bias: [0])])
        XCTAssertTrue(try WitnessChecker(network: scaled, property: property).check([1]).isConfirmed)
    }

    func testRejectsSafePointsAndPointsOutsideTheBox() throws {
        let checker = try WitnessChecker(network: network(), property: property())
        XCTAssertFalse(try checker.check([0.5, 0.5]).isConfirmed)
        let outside = try checker.check([1.5, 1])
        XCTAssertFalse(outside.isConfirmed)
        XCTAssertEqual(outside.problem, "the input lies outside every input box of the property")
    }

    func testRejectsNonFloatInputs() throws {
        let checker = try WitnessChecker(network: network(), property: property())
        let report = try checker.check([1, 0.7])  // 0.7 is no Float32 value
        XCTAssertFalse(report.isConfirmed)
        XCTAssertTrue(report.problem?.contains("Float32") == true)
    }

    func testBorderlinePointsAreNotConfirmed() throws {
        let checker = try WitnessChecker(network: network(), property: property())
        // y0 = 1.5 exactly sits on the boundary: the rounding allowance refuses it.
        XCTAssertFalse(try checker.check([1, 0.5]).isConfirmed)
    }

    func testUsesTheInnerBox() throws {
        // The real box ends a hair below 1: x0 = 1 lies in the outer box only, so the
        // witness confirmed above is refused here.
        let checker = try WitnessChecker(network: network(), property: property(innerUpper: Double(1).nextDown))
        let report = try checker.check([1, 0.75])
        XCTAssertFalse(report.isConfirmed)
        XCTAssertEqual(report.problem, "the input lies outside every input box of the property")
    }

    func testMismatchedPropertyIsAnError() throws {
        let wide = Property(inputCount: 3, outputCount: 2, cases: [])
        XCTAssertThrowsError(try WitnessChecker(network: network(), property: wide))
    }
}
