import VerdictBounds
import VerdictCore
import VerdictTestSupport
import XCTest

/// Refuting a conjunction by a nonnegative combination of its rows (``RowForms``): the
/// combined bound is a lower bound of the largest row at every point, it refutes conjunctions
/// that no single row refutes, and both engines (the dense chain engine and the graph engine)
/// report it soundly on random networks.
final class RowCombinationTests: XCTestCase {
    /// `x - 0.1 <= 0` and `0.2 - x <= 0` cannot both hold: neither row alone is positive on
    /// `[-1, 1]`, their average is `0.05` everywhere.
    func testOpposedRowsAreRefutedTogether() {
        let box = InputBox(lower: [-1], upper: [1])
        let forms = RowForms(lower: [-1.1, -0.8], coefficients: [[1], [-1]], box: box)
        let bound = forms.bestBound(rows: [0, 1])
        XCTAssertGreaterThan(bound, 0.05 - 1e-12)
        XCTAssertLessThanOrEqual(bound, 0.05)
        XCTAssertEqual(forms.bestBound(rows: [0]), -.infinity, "one row is no combination")
    }

    /// On random forms, the bound never exceeds the largest row at a sampled point (for
    /// weights summing to one, the combination is at most the largest row), and is never below
    /// the best single row.
    func testCombinedBoundIsBelowTheLargestRowEverywhere() {
        var generator = SeededGenerator(seed: 41)
        var improved = 0
        for _ in 0..<300 {
            let n = Int.random(in: 1...6, using: &generator), k = Int.random(in: 2...5, using: &generator)
            let lower = (0..<n).map { _ in Double.random(in: -2...1, using: &generator) }
            let box = InputBox(lower: lower, upper: lower.map { $0 + Double.random(in: 0...2, using: &generator) })
            let coefficients = (0..<k).map { _ in (0..<n).map { _ in Double.random(in: -1...1, using: &generator) } }
            let offsets = (0..<k).map { _ in Double.random(in: -1...0.5, using: &generator) }
            // L_k(x) = A_k·x + offset_k, and its minimum over the box.
            func row(_ r: Int, _ x: [Double]) -> Double {
                var sum = offsets[r]
                for j in 0..<n { sum += coefficients[r][j] * x[j] }
                return sum
            }
            var minima: [Double] = []
            for r in 0..<k {
                var sum = offsets[r]
                for j in 0..<n {
                    let a = coefficients[r][j]
                    sum += min(a * box.lower[j], a * box.upper[j])
                }
                minima.append(sum)
            }
            let forms = RowForms(lower: minima, coefficients: coefficients, box: box)
            let bound = forms.bestBound(rows: Array(0..<k))
            XCTAssertGreaterThanOrEqual(bound, minima.max()! - 1e-9, "worse than the best row")
            if bound > minima.max()! + 1e-9 { improved += 1 }
            for _ in 0..<200 {
                let x = (0..<n).map { j in Double.random(in: box.lower[j]...box.upper[j], using: &generator) }
                let largest = (0..<k).map { row($0, x) }.max()!
                XCTAssertLessThanOrEqual(bound, largest + 1e-9, "the combination exceeds every row at \(x)")
            }
        }
        XCTAssertGreaterThan(improved, 30, "combining never gained anything")
    }

    private struct Scenario {
        let network: Network
        let box: InputBox
        let objectives: Objectives
    }

    /// A random dense network and a conjunction `m - w <= y_a - y_b <= m + w` around the
    /// difference at the centre, plus a random row: often empty for small `w`... and never
    /// refutable by one row when the difference ranges wider than the slab.
    private func scenario(_ generator: inout SeededGenerator) throws -> Scenario {
        let inputs = Int.random(in: 1...4, using: &generator)
        let hidden = (0..<Int.random(in: 1...2, using: &generator)).map { _ in Int.random(in: 2...8, using: &generator) }
        let network = try RandomNetworks.multilayerPerceptron(widths: [inputs] + hidden + [2], generator: &generator)
        let center = (0..<inputs).map { _ in Double.random(in: -1...1, using: &generator) }
        let radius = (0..<inputs).map { _ in Double.random(in: 0.01...0.3, using: &generator) }
        let box = InputBox(lower: zip(center, radius).map(-), upper: zip(center, radius).map(+))
        let y = try network.evaluate(center)
        let middle = y[0] - y[1], half = Double.random(in: -0.3...0.2, using: &generator)
        let difference = [LinearConstraint.Term(index: 0, coefficient: 1), LinearConstraint.Term(index: 1, coefficient: -1)]
        let negated = difference.map { LinearConstraint.Term(index: $0.index, coefficient: -$0.coefficient) }
        var conjunction = [
            LinearConstraint(terms: difference, bound: RealInterval(exactly: middle + half)),
            LinearConstraint(terms: negated, bound: RealInterval(exactly: -(middle - half))),
        ]
        if Bool.random(using: &generator) {
            conjunction.append(LinearConstraint(
                terms: [LinearConstraint.Term(index: Int.random(in: 0...1, using: &generator), coefficient: Double.random(in: -1...1, using: &generator))],
                bound: RealInterval(exactly: Double.random(in: -1...1, using: &generator))))
        }
        let region = OutputRegion(disjuncts: [conjunction])
        return Scenario(network: network, box: box, objectives: Objectives(region: region, outputCount: 2))
    }

    /// At every sampled point the largest row is at least the reported combined bound, for
    /// the chain engine and the graph engine, with CROWN and α-CROWN; and the combination
    /// refutes some conjunction that no single row refutes.
    func testEnginesReportSoundCombinedBounds() throws {
        var generator = SeededGenerator(seed: 7)
        var refutedByCombination = 0
        for index in 0..<80 {
            let scenario = try scenario(&generator)
            let chain = CPUBoundEngine(network: try BoundNetwork(scenario.network))
            let graph = GraphBoundEngine(graph: try GraphBoundNetwork(scenario.network))
            let points = (0..<200).map { _ in
                (0..<scenario.box.dimension).map { j in Double.random(in: scenario.box.lower[j]...scenario.box.upper[j], using: &generator) }
            }
            let largest = try points.map { point in scenario.objectives.values(at: try scenario.network.evaluate(point)).max()! }
            for engine in [chain, graph] as [any BoundEngine] {
                for method in [BoundMethod.crown, .alphaCrown] {
                    let task = BoundTask(subproblem: Subproblem(box: scenario.box, layout: engine.layout), objectives: scenario.objectives)
                    let result = try XCTUnwrap(engine.bound([task], options: BoundOptions(method: method, iterations: 5)).first)
                    let combined = try XCTUnwrap(result.conjunctionLower?.first, "\(engine.name) \(method): no combined bound")
                    for value in largest {
                        XCTAssertLessThanOrEqual(combined, value + 1e-9, "scenario \(index), \(engine.name) \(method): combined bound above a sampled point")
                    }
                    let singleRow = result.lower.contains { $0 > 0 }
                    XCTAssertEqual(result.refutedDisjuncts.first, singleRow || combined > 0)
                    if combined > 0 && !singleRow { refutedByCombination += 1 }
                }
            }
        }
        XCTAssertGreaterThan(refutedByCombination, 5, "no conjunction was refuted by a combination alone")
    }
}
