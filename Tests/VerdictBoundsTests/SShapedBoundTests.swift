import Foundation
@testable import VerdictBounds
import VerdictCore
import VerdictTestSupport
import XCTest

/// Sigmoid and Tanh: their lines bound the real function (checked against 80-bit `expl` and
/// `tanhl`, more precise than the `Double` libm the rules use) on every interval shape, and
/// the graph engine's bounds of random networks mixing them with ReLUs hold on sampled points.
final class SShapedBoundTests: XCTestCase {
    private func reference(_ f: SShapedLayer.Function, _ z: Double) -> Float80 {
        let x = Float80(z)
        switch f {
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        }
    }

    func testLinesBoundTheFunctionOnEveryKindOfInterval() {
        var generator = SeededGenerator(seed: 5)
        var crossing = 0, checked = 0
        for function in SShapedLayer.Function.allCases {
            for index in 0..<3000 {
                let scale = [1e-9, 1e-4, 0.1, 1, 5, 30, 800][index % 7]
                var l = Double.random(in: -scale...scale, using: &generator), u = Double.random(in: -scale...scale, using: &generator)
                if l > u { swap(&l, &u) }
                if index % 11 == 0 { u = l }
                if l < 0 && u > 0 { crossing += 1 }
                var (lower, upper) = SShapedRelaxation.lines(function, lower: l, upper: u)
                if index % 2 == 1 && u - l < 1e6 {
                    // Any slope, as α-CROWN may choose: the intercepts follow.
                    lower = SShapedRelaxation.lowerLine(function, slope: Double.random(in: -0.5...1.5, using: &generator) * function.steepestSlope, l, u)
                    upper = SShapedRelaxation.upperLine(function, slope: Double.random(in: -0.5...1.5, using: &generator) * function.steepestSlope, l, u)
                }
                for step in 0...64 {
                    let z = step == 64 ? u : l + (u - l) * Double(step) / 64
                    let real = reference(function, z)
                    // The lines evaluated exactly (80 bits hold k·z + b for these magnitudes far more closely than the allowance).
                    let below = Float80(lower.slope) * Float80(z) + Float80(lower.intercept)
                    let above = Float80(upper.slope) * Float80(z) + Float80(upper.intercept)
                    XCTAssertLessThanOrEqual(below, real, "\(function) on [\(l), \(u)]: lower line above f at \(z)")
                    XCTAssertGreaterThanOrEqual(above, real, "\(function) on [\(l), \(u)]: upper line below f at \(z)")
                    checked += 1
                }
                // Not vacuous: on a narrow interval the lines hug the function.
                if u - l < 1e-3 && u.magnitude < 10 && index % 2 == 0 {
                    let middle = l / 2 + u / 2
                    XCTAssertLessThan(upper(middle) - lower(middle), 1e-6, "\(function) on [\(l), \(u)]: lines far apart")
                }
            }
        }
        XCTAssertGreaterThan(crossing, 1000, "intervals across the inflection point are exercised")
        XCTAssertGreaterThan(checked, 100_000)
    }

    func testLinesAcrossTheInflectionPointAreTangentsThroughTheFarEnd() {
        // On [-4, 1] the lower line touches the convex side and passes through (1, f(1)); on
        // [-1, 4] the upper one touches the concave side and passes through (-1, f(-1)). On
        // [-1, 4] the lower tangent would touch left of -1: the secant instead.
        for function in SShapedLayer.Function.allCases {
            let f = { (z: Double) -> Double in function.value(z) }
            let lower = SShapedRelaxation.lines(function, lower: -4, upper: 1).lower
            XCTAssertEqual(lower(1), f(1), accuracy: 1e-9, "\(function)")
            XCTAssertGreaterThan(lower.slope, (f(1) - f(-4)) / 5 + 1e-3, "\(function): a tangent, not the secant")
            let (secant, upper) = SShapedRelaxation.lines(function, lower: -1, upper: 4)
            XCTAssertEqual(upper(-1), f(-1), accuracy: 1e-9, "\(function)")
            XCTAssertGreaterThan(upper.slope, (f(4) - f(-1)) / 5 + 1e-3, "\(function): a tangent, not the secant")
            XCTAssertEqual(secant.slope, (f(4) - f(-1)) / 5, accuracy: 1e-12, "\(function)")
        }
    }

    func testGraphBoundsOfSmoothNetworksHoldOnSampledPoints() throws {
        var generator = SeededGenerator(seed: 23)
        var crownTighter = 0, alphaTighter = 0, everyLayerTighter = 0, rows = 0
        for index in 0..<60 {
            let network = try RandomGraphs.smooth(generator: &generator)
            var (box, region) = RandomGraphs.property(for: network, generator: &generator)
            let radius = Double.random(in: 0.05...2, using: &generator)
            box = InputBox(lower: box.center.map { $0 - radius }, upper: box.center.map { $0 + radius })
            let objectives = Objectives(region: region, outputCount: network.outputCount)
            let engine = GraphBoundEngine(graph: try GraphBoundNetwork(network))
            let task = BoundTask(subproblem: Subproblem(box: box, layout: engine.layout), objectives: objectives)
            var results = try [BoundMethod.ibp, .crown, .alphaCrown].map { method in
                try XCTUnwrap(engine.bound([task], options: BoundOptions(method: method, iterations: 10)).first)
            }
            // α-CROWN on the S-shaped nodes' input rows as well (what a search's root does).
            var everyLayer = BoundOptions(method: .alphaCrown, iterations: 10)
            everyLayer.intermediateIterations = 10
            results.append(try XCTUnwrap(engine.bound([task], options: everyLayer).first))
            for sample in 0..<300 {
                let point = (0..<box.dimension).map { j in
                    sample % 5 == 0 ? (Bool.random(using: &generator) ? box.lower[j] : box.upper[j]) : Double.random(in: box.lower[j]...box.upper[j], using: &generator)
                }
                let values = objectives.values(at: try network.evaluate(point))
                for (method, result) in zip(["ibp", "crown", "alpha-crown", "alpha-crown on every layer"], results) {
                    for (row, value) in values.enumerated() {
                        XCTAssertLessThanOrEqual(result.lower[row], value, "network \(index) \(method): row \(row) lower bound above a sampled value")
                        XCTAssertGreaterThanOrEqual(result.upper[row], value, "network \(index) \(method): row \(row) upper bound below a sampled value")
                    }
                }
            }
            for row in results[1].lower.indices {
                rows += 1
                if results[1].lower[row] > results[0].lower[row] + 1e-9 { crownTighter += 1 }
                XCTAssertGreaterThanOrEqual(results[2].lower[row], results[1].lower[row], "α-CROWN keeps its best iterate, CROWN's lines the first")
                if results[2].lower[row] > results[1].lower[row] + 1e-9 { alphaTighter += 1 }
                if results[3].lower[row] > results[2].lower[row] + 1e-9 { everyLayerTighter += 1 }
            }
        }
        XCTAssertGreaterThan(crownTighter, rows / 4, "CROWN tighter than IBP on \(crownTighter) of \(rows) rows")
        // Optimized slopes must do something, on the last layer's rows and on the inner ones.
        XCTAssertGreaterThan(alphaTighter, rows / 10, "α-CROWN tighter than CROWN on \(alphaTighter) of \(rows) rows")
        XCTAssertGreaterThan(everyLayerTighter, rows / 20, "inner α tighter on \(everyLayerTighter) of \(rows) rows")
    }

    func testGradientsThroughSShapedOperatorsMatchFiniteDifferences() throws {
        var generator = SeededGenerator(seed: 29)
        for _ in 0..<20 {
            let network = try RandomGraphs.smooth(generator: &generator)
            let graph = try GraphBoundNetwork(network)
            let point = (0..<network.inputCount).map { _ in Double.random(in: -1...1, using: &generator) }
            let coefficients = (0..<network.outputCount).map { _ in Double.random(in: -1...1, using: &generator) }
            let gradient = graph.gradient(of: coefficients, values: graph.values(at: point))
            func value(_ x: [Double]) throws -> Double { zip(coefficients, try network.evaluate(x)).map(*).reduce(0, +) }
            for i in point.indices {
                var ahead = point, behind = point
                ahead[i] += 1e-6
                behind[i] -= 1e-6
                let estimate = (try value(ahead) - value(behind)) / 2e-6
                // ReLU kinks are met with probability ~0 at random points.
                XCTAssertEqual(gradient[i], estimate, accuracy: 1e-5 * max(1, estimate.magnitude))
            }
        }
    }

    /// Splitting an S-shaped neuron's interval where the engine suggests: each half's bounds
    /// hold on the sampled points whose value of that neuron falls in the half, and the halves
    /// improve on their parent.
    func testSplitHalvesHoldOnTheirRegionAndTighten() throws {
        var generator = SeededGenerator(seed: 31)
        var splits = 0, tighter = 0
        for index in 0..<60 {
            let network = try RandomGraphs.smooth(generator: &generator)
            var (box, region) = RandomGraphs.property(for: network, generator: &generator)
            let radius = Double.random(in: 0.3...2, using: &generator)
            box = InputBox(lower: box.center.map { $0 - radius }, upper: box.center.map { $0 + radius })
            let objectives = Objectives(region: region, outputCount: network.outputCount)
            let engine = GraphBoundEngine(graph: try GraphBoundNetwork(network))
            let options = BoundOptions(method: .alphaCrown, iterations: 5)
            let root = Subproblem(box: box, layout: engine.layout)
            let parent = try XCTUnwrap(engine.bound([BoundTask(subproblem: root, objectives: objectives)], options: options).first)
            guard let branch = parent.smoothBranch else { continue }
            splits += 1
            XCTAssertTrue(network.nodes[branch.node].layer is SShapedLayer)
            let halves = root.splitting(branch, parent: parent)
            let results = try engine.bound(halves.map { BoundTask(subproblem: $0, objectives: objectives) }, options: options)
            for row in parent.lower.indices where results.allSatisfy({ $0.isInfeasible || $0.lower[row] > parent.lower[row] + 1e-9 }) { tighter += 1 }
            for _ in 0..<300 {
                let point = (0..<box.dimension).map { j in Double.random(in: box.lower[j]...box.upper[j], using: &generator) }
                let values = try network.evaluateAll(point)
                let z = values[network.nodes[branch.node].inputs[0].valueIndex][branch.neuron]
                let outputs = objectives.values(at: values[network.output.valueIndex])
                for (half, result) in zip(halves, results) {
                    let limit = half.smoothLimits.last!
                    guard limit.isUpper ? z <= limit.point : z >= limit.point else { continue }
                    XCTAssertFalse(result.isInfeasible, "network \(index): a half holding a sampled point called empty")
                    for (row, value) in outputs.enumerated() {
                        XCTAssertLessThanOrEqual(result.lower[row], value, "network \(index): half \(limit.isUpper ? "below" : "above") \(limit.point), row \(row)")
                    }
                }
            }
        }
        XCTAssertGreaterThan(splits, 30, "the engine suggests splits")
        XCTAssertGreaterThan(tighter, splits / 4, "both halves beat their parent on \(tighter) rows of \(splits) splits")
    }

    /// An input unbounded below gets a flat lower line (slope 0): passing a row back through
    /// it must give a finite or infinite allowance, never NaN (0·∞).
    func testFlatLinesOverAnUnboundedInputGiveNoNaN() throws {
        for function in [SShapedLayer.Function.sigmoid, .tanh] {
            let rule = SShapedOperator(SShapedLayer(function, shape: TensorShape([2])))
            let bounds = ValueBounds(lower: [-.infinity, -1], upper: [-2, 1])
            guard case .relaxed(let lines) = rule.relax([bounds], phases: nil) else { return XCTFail("no lines") }
            let step = rule.backward(RowBlock(rows: 1, width: 2, values: [1, 0.5]), context: OperatorContext(inputBounds: [bounds], relaxation: lines))
            XCTAssertFalse(step.errors[0].isNaN, "\(function): allowance \(step.errors[0])")
            XCTAssertFalse(step.constants[0].isNaN)
            XCTAssertFalse(step.inputs[0]!.values.contains { $0.isNaN })
        }
    }
}
