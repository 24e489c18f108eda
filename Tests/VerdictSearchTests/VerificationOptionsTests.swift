import VerdictSearch
import XCTest

/// The defaults that depend on the split mode, and that explicit choices override them.
final class VerificationOptionsTests: XCTestCase {
    func testIterationsFollowTheSplitMode() {
        var options = VerificationOptions()
        // `auto` splits inputs up to 16 inputs (ACAS Xu has 5, gcas 14) and ReLUs above (MNIST: 784).
        XCTAssertEqual(options.resolvedIterations(inputCount: 784), 20)
        XCTAssertEqual(options.resolvedIterations(inputCount: 5), 3)
        // The warm-up: the first bounds of an input-split search take 10 steps, ReLU splitting none.
        XCTAssertEqual(options.resolvedIterations(inputCount: 5, bounded: 0), 10)
        XCTAssertEqual(options.resolvedIterations(inputCount: 5, bounded: options.inputSplitWarmup - 1), 10)
        XCTAssertEqual(options.resolvedIterations(inputCount: 5, bounded: options.inputSplitWarmup), 3)
        XCTAssertEqual(options.resolvedIterations(inputCount: 784, bounded: 0), 20)
        XCTAssertEqual(options.resolvedSplitMode(inputCount: 14), .input)
        XCTAssertEqual(options.resolvedSplitMode(inputCount: 17), .relu)
        options.inputSplitDimensionLimit = 4
        XCTAssertEqual(options.resolvedSplitMode(inputCount: 5), .relu)
        options.inputSplitDimensionLimit = 16
        options.splitMode = .relu
        XCTAssertEqual(options.resolvedIterations(inputCount: 5), 20)
        options.iterations = 7
        XCTAssertEqual(options.resolvedIterations(inputCount: 784), 7)
        XCTAssertEqual(options.resolvedIterations(inputCount: 5), 7)
        options.splitMode = .auto
        XCTAssertEqual(options.resolvedIterations(inputCount: 5, bounded: 0), 7, "--iterations overrides the warm-up")
        options.iterations = nil
        // The root's intermediate steps: more where Sigmoid or Tanh lines depend on them.
        XCTAssertEqual(options.resolvedRootIntermediateIterations(smooth: false), 20)
        XCTAssertEqual(options.resolvedRootIntermediateIterations(smooth: true), 40)
        options.rootIntermediateIterations = 5
        XCTAssertEqual(options.resolvedRootIntermediateIterations(smooth: true), 5)
        options.inputSplitWarmup = 0
        XCTAssertEqual(options.resolvedIterations(inputCount: 5, bounded: 0), 3, "0 turns the warm-up off")
    }

    /// The refinement takes less of the time and stops a layer that levels off on networks of
    /// more than `largeNetworkReluCount` ReLUs; explicit choices hold on every network.
    func testRefinementDefaultsFollowTheNetworkSize() {
        var options = VerificationOptions()
        XCTAssertEqual(options.resolvedRefineTimeShare(reluCount: 1_536), 0.8)
        XCTAssertEqual(options.resolvedRefinePlateau(reluCount: 1_536), 0)
        XCTAssertEqual(options.resolvedRefineTimeShare(reluCount: 2_048), 0.8, "the limit itself is small")
        XCTAssertEqual(options.resolvedRefineTimeShare(reluCount: 11_364), 0.4)
        XCTAssertEqual(options.resolvedRefinePlateau(reluCount: 11_364), 0.1)
        options.largeNetworkReluCount = 20_000
        XCTAssertEqual(options.resolvedRefineTimeShare(reluCount: 11_364), 0.8)
        options.refineTimeShare = 0.5
        options.refinePlateau = 0.2
        for relus in [10, 100_000] {
            XCTAssertEqual(options.resolvedRefineTimeShare(reluCount: relus), 0.5)
            XCTAssertEqual(options.resolvedRefinePlateau(reluCount: relus), 0.2)
        }
    }

    /// FSB tries fewer candidates on the graph engine, where a trial costs more; `--fsb-candidates` overrides both.
    func testFSBCandidatesFollowTheEngine() {
        var options = VerificationOptions()
        XCTAssertEqual(options.resolvedFSBCandidates(graph: false), 5)
        XCTAssertEqual(options.resolvedFSBCandidates(graph: true), 3)
        options.fsbCandidates = 8
        XCTAssertEqual(options.resolvedFSBCandidates(graph: false), 8)
        XCTAssertEqual(options.resolvedFSBCandidates(graph: true), 8)
    }

    /// Children keep their parent's intermediate bounds on the graph engine, and on dense
    /// chains once the root is refined; `recompute` and `reuse` say the same everywhere.
    func testChildrenReuseOnGraphsAndBelowARefinedRoot() {
        let auto = ChildIntermediateBounds.auto
        XCTAssertFalse(auto.reusesEveryLayer(graph: false, refined: false))
        XCTAssertTrue(auto.reusesEveryLayer(graph: false, refined: true))
        XCTAssertTrue(auto.reusesEveryLayer(graph: true, refined: false))
        for graph in [false, true] {
            for refined in [false, true] {
                XCTAssertFalse(ChildIntermediateBounds.recompute.reusesEveryLayer(graph: graph, refined: refined))
                XCTAssertTrue(ChildIntermediateBounds.reuse.reusesEveryLayer(graph: graph, refined: refined))
            }
        }
    }
}
