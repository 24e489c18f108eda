import Synchronization
import VerdictBounds
import VerdictCore
import VerdictSearch
import VerdictTestSupport
import XCTest

/// The progress reports of branch and bound (what `verdict verify -v` prints): they come while
/// the search runs, count what the final statistics count, and the weakest bound they show is
/// one no proof has closed yet.
final class ProgressTests: XCTestCase {
    func testReportsTrackTheSearch() throws {
        var generator = SeededGenerator(seed: 20261126)
        var searchesWithReports = 0
        for _ in 0..<8 {
            // A little above every sampled value: mostly unsat, rarely easy.
            let (network, property, _) = try Self.problem(above: 0.2, &generator)

            let reports = Mutex<[SearchProgress]>([])
            var options = VerificationOptions()
            options.splitMode = .relu
            options.method = .betaCrown
            options.batchSize = 2
            options.z3LeafUnstable = 4
            options.attackSamples = 0
            options.attackRestarts = 0
            options.deadline = Deadline(seconds: 5)
            options.progressInterval = 0
            options.progress = { progress in reports.withLock { $0.append(progress) } }
            let result = try Verifier(network: network, property: property, options: options)
                .verify(engine: CPUBoundEngine(network: try BoundNetwork(network)))
            let seen = reports.withLock { $0 }
            print("progress: \(result.answer), \(result.statistics.subproblems) subproblems, \(seen.count) reports")
            guard !seen.isEmpty else { continue }
            searchesWithReports += 1
            for (earlier, later) in zip(seen, seen.dropFirst()) {
                XCTAssertLessThanOrEqual(earlier.subproblems, later.subproblems)
                XCTAssertLessThanOrEqual(earlier.seconds, later.seconds)
            }
            for report in seen {
                XCTAssertLessThanOrEqual(report.subproblems, result.statistics.subproblems)
                XCTAssertLessThanOrEqual(report.open, result.statistics.peakQueue)
                // An open subproblem is one whose bound has not refuted the unsafe region.
                if let weakest = report.weakestBound { XCTAssertLessThanOrEqual(weakest, 0) }
                XCTAssertEqual(report.weakestBound == nil, report.open == 0, "open \(report.open), weakest \(String(describing: report.weakestBound))")
            }
        }
        // Searches that branch report; those proved at the root do not.
        XCTAssertGreaterThan(searchesWithReports, 0)
    }

    /// The final statistics say how far each side came: the closest margin the attacks reached
    /// is at most the margin at the box's center (their first sample), above 0 without a
    /// counterexample (at most 0 with one), and an undecided search's weakest open bound is at
    /// most 0 and below it; a proved one has no open bound.
    func testFinalStatisticsSayHowFarEachSideCame() throws {
        var generator = SeededGenerator(seed: 20261205)
        var open = 0, proved = 0
        for index in 0..<12 {
            // By a little (open or sat) or by half the range (mostly proved).
            let (network, property, threshold) = try Self.problem(above: index % 2 == 0 ? 0.1 : 0.5, &generator)
            var options = VerificationOptions()
            options.splitMode = .relu
            options.method = .crown
            options.batchSize = 2
            options.z3LeafUnstable = -1
            options.attackSamples = 16
            options.attackRestarts = 2
            options.subproblemBudget = 12
            options.deadline = Deadline(seconds: 10)
            let result = try Verifier(network: network, property: property, options: options)
                .verify(engine: CPUBoundEngine(network: try BoundNetwork(network)))
            let center = try network.evaluate([0, 0, 0])
            let closest = try XCTUnwrap(result.statistics.closestMargin, "\(result.answer): no margin recorded")
            XCTAssertLessThanOrEqual(closest, center[0] - center[1] + threshold + 1e-9)
            switch result.answer {
            case .sat:
                // The witness's margin was recorded on the way.
                XCTAssertLessThanOrEqual(closest, 0)
            case .unsat:
                XCTAssertGreaterThan(closest, 0)
                XCTAssertNil(result.statistics.weakestOpenBound)
                proved += 1
            default:
                XCTAssertGreaterThan(closest, 0)
                let weakest = try XCTUnwrap(result.statistics.weakestOpenBound, "\(result.answer) (\(result.reason)) without an open bound")
                XCTAssertLessThanOrEqual(weakest, 0)
                XCTAssertLessThan(weakest, closest)
                open += 1
            }
        }
        print("final statistics: \(open) open, \(proved) proved")
        XCTAssertGreaterThan(open, 0)
        XCTAssertGreaterThan(proved, 0)
    }

    /// A random 3-10-10-2 network on `[-1, 1]^3` and the unsafe region `y_1 - y_0 >= t`
    /// (`y_0 - y_1 + t <= 0`), with `t` above the highest of 256 sampled values by `share` of
    /// their range.
    private static func problem(above share: Double, _ generator: inout SeededGenerator) throws -> (Network, Property, threshold: Double) {
        let network = try RandomNetworks.multilayerPerceptron(widths: [3, 10, 10, 2], generator: &generator)
        let box = InputBox(lower: [-1, -1, -1], upper: [1, 1, 1])
        var highest = -Double.infinity, lowest = Double.infinity
        for _ in 0..<256 {
            let y = try network.evaluate((0..<3).map { _ in Double.random(in: -1...1, using: &generator) })
            highest = max(highest, y[1] - y[0])
            lowest = min(lowest, y[1] - y[0])
        }
        let threshold = Double(Float(highest + share * (highest - lowest)))
        let unsafe = OutputRegion(disjuncts: [[
            LinearConstraint(terms: [.init(index: 0, coefficient: 1), .init(index: 1, coefficient: -1)], bound: RealInterval(exactly: -threshold))
        ]])
        return (network, Property(inputCount: 3, outputCount: 2, cases: [.init(box: box, unsafe: unsafe)]), threshold)
    }
}
