import Foundation
import VerdictTestSupport
import XCTest

@testable import Verdict

/// Properties made from data: their boxes contain the real ball (outward rounding, clipping,
/// normalization), their unsafe regions say what the kind says, and bad specs are refused.
final class RobustnessSpecTests: XCTestCase {
    private func network(_ widths: [Int], seed: UInt64 = 7) throws -> Network {
        var generator = SeededGenerator(seed: seed)
        return try RandomNetworks.multilayerPerceptron(widths: widths, generator: &generator)
    }

    func testClassificationBoxIsClippedAndHoldsThePrediction() throws {
        let model = try network([3, 5, 4])
        let input = [0.2, 0.95, 0.5]
        let made = try RobustnessSpec(kind: .classification(label: nil), clip: .uniform(0...1)).property(for: model, around: input, radius: 0.1)
        let box = made.property.cases[0].box
        XCTAssertEqual(box.upper[1], 1, "clipped at the top of the valid range")
        XCTAssertLessThanOrEqual(box.lower[0], 0.1)
        XCTAssertGreaterThanOrEqual(box.upper[0], 0.3)
        let outputs = try model.evaluate(input)
        XCTAssertEqual(made.label, outputs.indices.max { outputs[$0] < outputs[$1] })
        XCTAssertEqual(made.property.cases[0].unsafe.disjuncts.count, 3, "one disjunct per other class")
        XCTAssertNil(made.property.cases[0].unsafe.firstSatisfiedDisjunct(outputs), "the input itself is safe")
    }

    func testNormalizedBoxesEncloseTheRealBall() throws {
        let model = try network([4, 3, 2])
        let input = [0.1, 0.7, 0.33, 0.9]
        let spec = RobustnessSpec(
            kind: .classification(label: 0), clip: .uniform(0...1), normalization: .init(mean: [0.13, 0.4], std: [0.3, 0.7]))
        let radius = 0.07
        let made = try spec.property(for: model, around: input, radius: radius)
        let item = made.property.cases[0]
        for index in input.indices {
            let (mean, std) = index < 2 ? (0.13, 0.3) : (0.4, 0.7)
            // Exact decimal arithmetic on the Doubles involved, as Decimal sees them.
            let low = (Decimal(max(0, input[index] - radius)) - Decimal(mean)) / Decimal(std)
            let high = (Decimal(min(1, input[index] + radius)) - Decimal(mean)) / Decimal(std)
            XCTAssertLessThanOrEqual(Decimal(item.box.lower[index]), low + Decimal(1e-15), "input \(index)")
            XCTAssertGreaterThanOrEqual(Decimal(item.box.upper[index]), high - Decimal(1e-15), "input \(index)")
            XCTAssertLessThanOrEqual(item.box.lower[index], item.innerBox.lower[index])
            XCTAssertGreaterThanOrEqual(item.box.upper[index], item.innerBox.upper[index])
            XCTAssertLessThan(item.innerBox.lower[index], item.innerBox.upper[index])
        }
        XCTAssertTrue(item.box.contains(made.networkInput))
    }

    func testCertifiedAnswersUseTheOuterBoxOfAnInexactRadius() throws {
        let model = try network([2, 4, 3])
        let made = try RobustnessSpec(kind: .classification(label: nil), featureScale: [1, 0]).property(for: model, around: [0.5, 0.25], radius: 0.1)
        let item = made.property.cases[0]
        XCTAssertLessThan(item.box.lower[0], 0.4 + 1e-12)
        XCTAssertLessThan(item.box.lower[0], item.innerBox.lower[0], "0.5 - 0.1 is inexact: the outer side is one step out")
        XCTAssertEqual(item.box.lower[1], 0.25, "a scale of 0 keeps the input fixed")
        XCTAssertEqual(item.box.upper[1], 0.25)
    }

    func testClosenessRegionIsTwoRowsPerOutput() throws {
        let model = try network([3, 4, 2])
        let input = [0.3, -0.2, 0.6]
        let made = try RobustnessSpec(kind: .closeness(threshold: 0.5)).property(for: model, around: input, radius: 0.01)
        let outputs = try model.evaluate(input)
        let unsafe = made.property.cases[0].unsafe
        XCTAssertEqual(unsafe.disjuncts.count, 4)
        XCTAssertNil(unsafe.firstSatisfiedDisjunct(outputs))
        XCTAssertEqual(unsafe.firstSatisfiedDisjunct([outputs[0] + 0.6, outputs[1]]), 0)
        XCTAssertEqual(unsafe.firstSatisfiedDisjunct([outputs[0], outputs[1] - 0.6]), 3)
        XCTAssertNil(made.label)
    }

    func testWrittenPropertyReadsBackToItsBox() throws {
        let model = try network([3, 4, 3])
        let made = try RobustnessSpec(kind: .classification(label: 1), clip: .uniform(-1...1)).property(for: model, around: [0.1, 0.2, 0.3], radius: 0.3)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("robustness-\(UUID().uuidString).vnnlib")
        defer { try? FileManager.default.removeItem(at: file) }
        try ModelFiles.vnnlib(made.written, comment: made.comment).write(to: file, atomically: true, encoding: .utf8)
        let read = try ModelFiles.property(at: file.path, for: model)
        // The shortest decimal of each bound reads back as an enclosure of it: the same box or
        // one step wider, never narrower.
        let box = made.property.cases[0].box
        for index in 0..<3 {
            XCTAssertLessThanOrEqual(read.cases[0].box.lower[index], box.lower[index])
            XCTAssertGreaterThanOrEqual(read.cases[0].box.upper[index], box.upper[index])
            XCTAssertLessThanOrEqual(box.lower[index] - read.cases[0].box.lower[index], box.lower[index].ulp.magnitude * 2 + 1e-300)
        }
        XCTAssertEqual(read.cases[0].unsafe, made.property.cases[0].unsafe)
    }

    func testBadSpecsAreRefusedWithTheReason() throws {
        let model = try network([3, 4, 2])
        let cases: [(RobustnessSpec, [Double], Double, String)] = [
            (RobustnessSpec(kind: .classification(label: nil)), [0, 0], 0.1, "takes 3"),
            (RobustnessSpec(kind: .classification(label: 5)), [0, 0, 0], 0.1, "label 5"),
            (RobustnessSpec(kind: .classification(label: nil), clip: .uniform(0...1)), [0, 2, 0], 0.1, "outside its valid range"),
            (RobustnessSpec(kind: .classification(label: nil), normalization: .init(mean: [0, 0], std: [1, 1])), [0, 0, 0], 0.1, "2 mean values"),
            (RobustnessSpec(kind: .classification(label: nil), normalization: .init(mean: [0], std: [0])), [0, 0, 0], 0.1, "std of 0"),
            (RobustnessSpec(kind: .closeness(threshold: -1)), [0, 0, 0], 0.1, "positive"),
            (RobustnessSpec(kind: .classification(label: nil), featureScale: [1, 1]), [0, 0, 0], 0.1, "per-feature scales"),
            (RobustnessSpec(kind: .classification(label: nil)), [0, 0, 0], -1, "radius"),
        ]
        for (spec, input, radius, expected) in cases {
            XCTAssertThrowsError(try spec.property(for: model, around: input, radius: radius)) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(error) should say \(expected)")
            }
        }
    }
}
