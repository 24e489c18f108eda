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
            let network = try RandomNetworks.multilayerPerceptron(widths: [3, 10, 10, 2], generator: &generator)
            let box = InputBox(lower: [-1, -1, -1], upper: [1, 1, 1])
            // y_1 - y_0 >= t with t a little above every sampled value: mostly unsat, rarely easy.
            var highest = -Double.infinity, lowest = Double.infinity
            for _ in 0..<256 {
                let y = try network.evaluate((0..<3).map { _ in Double.random(in: -1...1, using: &generator) })
                highest = max(highest, y[1] - y[0])
                lowest = min(lowest, y[1] - y[0])
            }
            let threshold = Double(Float(highest + 0.2 * (highest - lowest)))
            let unsafe = OutputRegion(disjuncts: [[
                LinearConstraint(terms: [.init(index: 0, coefficient: 1), .init(index: 1, coefficient: -1)], bound: RealInterval(exactly: -threshold))
            ]])
            let property = Property(inputCount: 3, outputCount: 2, cases: [.init(box: box, unsafe: unsafe)])

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
}
