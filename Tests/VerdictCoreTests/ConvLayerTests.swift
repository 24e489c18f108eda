import VerdictCore
import VerdictTestSupport
import XCTest

/// The convolution's two directions against the definition: the forward map against a
/// direct sum over taps, and the transposed map as its adjoint (`c · Wx = Wᵀc · x`), on random
/// geometries with stride, padding, dilation and groups, and on rows that are zero outside a
/// few output rows (the transposed map reads only those); stacked weight sets against each
/// set alone.
final class ConvLayerTests: XCTestCase {
    func testBothDirectionsMatchTheDefinition() throws {
        var generator = SeededGenerator(seed: 17)
        for _ in 0..<60 {
            let groups = [1, 2][Int.random(in: 0...1, using: &generator)]
            let channels = groups * Int.random(in: 1...2, using: &generator)
            let outputChannels = groups * Int.random(in: 1...3, using: &generator)
            let kernel = [Int.random(in: 1...3, using: &generator), Int.random(in: 1...3, using: &generator)]
            guard let geometry = WindowGeometry(
                channels: channels, height: Int.random(in: 3...7, using: &generator), width: Int.random(in: 3...7, using: &generator),
                kernel: kernel, stride: [Int.random(in: 1...2, using: &generator), Int.random(in: 1...3, using: &generator)],
                dilation: [Int.random(in: 1...2, using: &generator), Int.random(in: 1...2, using: &generator)],
                padBegin: [Int.random(in: 0...1, using: &generator), Int.random(in: 0...2, using: &generator)],
                padEnd: [Int.random(in: 0...1, using: &generator), Int.random(in: 0...1, using: &generator)]) else { continue }
            let weights = (0..<(outputChannels * channels / groups * geometry.taps)).map { _ in Double.random(in: -1...1, using: &generator) }
            let bias = (0..<outputChannels).map { _ in Double.random(in: -1...1, using: &generator) }
            let conv = ConvLayer(
                geometry: geometry, outputChannels: outputChannels, groups: groups, weights: weights, bias: bias,
                outputShape: TensorShape([1, outputChannels, geometry.outputHeight, geometry.outputWidth]))
            let x = (0..<conv.inputCount).map { _ in Double.random(in: -1...1, using: &generator) }
            let y = conv.evaluate([x])
            let direct = Self.directConvolution(conv, x)
            for o in y.indices { XCTAssertEqual(y[o], direct[o], accuracy: 1e-12) }
            let floatY = conv.evaluate([x.map { Float($0) }])
            for o in y.indices { XCTAssertEqual(Double(floatY[o]), direct[o], accuracy: 1e-4) }

            // Stacked weight sets (as the interval bounds use them): each set's output is
            // that set's own convolution.
            let second = weights.map { $0 * -0.5 + 0.25 }
            let stacked = conv.apply(x, stackedWeights: conv.stacked([weights, second]), sets: 2)
            for (set, setWeights) in [weights, second].enumerated() {
                let alone = conv.apply(x, weights: setWeights, bias: nil)
                XCTAssertEqual(stacked[set].count, alone.count)
                for o in alone.indices { XCTAssertEqual(stacked[set][o], alone[o], accuracy: 1e-12, "set \(set) of \(conv)") }
            }

            // A dense row and a row nonzero on one output row of one channel.
            var sparse = [Double](repeating: 0, count: conv.outputCount)
            let channel = Int.random(in: 0..<outputChannels, using: &generator), row = Int.random(in: 0..<geometry.outputHeight, using: &generator)
            for ow in 0..<geometry.outputWidth { sparse[channel * geometry.outputPlane + row * geometry.outputWidth + ow] = Double.random(in: -1...1, using: &generator) }
            let dense = (0..<conv.outputCount).map { _ in Double.random(in: -1...1, using: &generator) }
            for c in [dense, sparse] {
                var transposed = [Double](repeating: 0, count: conv.inputCount)
                c.withUnsafeBufferPointer { cp in transposed.withUnsafeMutableBufferPointer { conv.applyTransposed(cp.baseAddress!, into: $0.baseAddress!) } }
                let withoutBias = conv.apply(x, weights: weights, bias: nil)
                let left = zip(c, withoutBias).map(*).reduce(0, +), right = zip(transposed, x).map(*).reduce(0, +)
                XCTAssertEqual(left, right, accuracy: 1e-10, "adjoint of \(conv)")
            }

            // Rows transposed together (the batched backward step: each row's window side by
            // side in one product, an all-zero row among them) equal each row alone; samples
            // evaluated together equal each alone.
            let rows = [dense, sparse, [Double](repeating: 0, count: conv.outputCount), sparse.map { $0 * 2 }]
            var together = [Double](repeating: 0, count: rows.count * conv.inputCount)
            let flat = rows.flatMap { $0 }
            flat.withUnsafeBufferPointer { cp in together.withUnsafeMutableBufferPointer { conv.applyTransposed(rows: cp.baseAddress!, count: rows.count, into: $0.baseAddress!) } }
            for (r, c) in rows.enumerated() {
                var alone = [Double](repeating: 0, count: conv.inputCount)
                c.withUnsafeBufferPointer { cp in alone.withUnsafeMutableBufferPointer { conv.applyTransposed(cp.baseAddress!, into: $0.baseAddress!) } }
                for i in alone.indices { XCTAssertEqual(together[r * conv.inputCount + i], alone[i], accuracy: 1e-12, "row \(r) of \(conv)") }
            }
            let samples = [x, x.map { -$0 }, dense.prefix(conv.inputCount).map { $0 } + Array(repeating: 0.5, count: max(0, conv.inputCount - dense.count))]
            for (sample, output) in zip(samples, conv.evaluate(batch: samples.map { [$0] })) {
                let alone = conv.evaluate([sample])
                for o in alone.indices { XCTAssertEqual(output[o], alone[o], accuracy: 1e-12, "batched sample of \(conv)") }
            }
        }
    }

    /// A dense layer's samples evaluated together equal each alone.
    func testAffineBatchMatchesEachSample() {
        var generator = SeededGenerator(seed: 5)
        let weights = Matrix(rows: 4, columns: 3, values: (0..<12).map { _ in Double.random(in: -1...1, using: &generator) })
        let affine = AffineLayer(weights: weights, bias: [0.5, -1, 0, 2])
        let samples = (0..<5).map { _ in (0..<3).map { _ in Double.random(in: -2...2, using: &generator) } }
        for (sample, output) in zip(samples, affine.evaluate(batch: samples.map { [$0] })) {
            let alone = affine.evaluate([sample])
            for o in alone.indices { XCTAssertEqual(output[o], alone[o], accuracy: 1e-12) }
        }
    }

    private static func directConvolution(_ conv: ConvLayer, _ x: [Double]) -> [Double] {
        let g = conv.geometry
        var y = [Double](repeating: 0, count: conv.outputCount)
        for co in 0..<conv.outputChannels {
            let group = co / conv.outputChannelsPerGroup
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    var sum = conv.bias[co]
                    for local in 0..<conv.inputChannelsPerGroup {
                        let ci = group * conv.inputChannelsPerGroup + local
                        for kh in 0..<g.kernel[0] {
                            for kw in 0..<g.kernel[1] {
                                let ih = oh * g.stride[0] - g.padBegin[0] + kh * g.dilation[0], iw = ow * g.stride[1] - g.padBegin[1] + kw * g.dilation[1]
                                guard ih >= 0, ih < g.height, iw >= 0, iw < g.width else { continue }
                                sum += conv.weights[((co * conv.inputChannelsPerGroup + local) * g.kernel[0] + kh) * g.kernel[1] + kw] * x[(ci * g.height + ih) * g.width + iw]
                            }
                        }
                    }
                    y[(co * g.outputHeight + oh) * g.outputWidth + ow] = sum
                }
            }
        }
        return y
    }
}

/// ``Network/withMaxPoolsAsReLUs()`` computes the same function: on random graphs with max
/// pools (windows of 1 to 9 entries, with padding) the rewrite agrees with the original in
/// `Double` up to the rewrite's few roundings, has no max pool left, and its ReLU count grows
/// by the pools' `entries - 1` per window.
final class MaxPoolLoweringTests: XCTestCase {
    func testRewriteComputesTheSameFunction() throws {
        var generator = SeededGenerator(seed: 5)
        var rewritten = 0
        for _ in 0..<40 {
            let network = try RandomGraphs.convolutional(generator: &generator)
            let pools = network.nodes.compactMap { $0.layer as? MaxPoolLayer }
            guard !pools.isEmpty else { continue }
            rewritten += 1
            let lowered = try network.withMaxPoolsAsReLUs()
            XCTAssertFalse(lowered.nodes.contains { $0.layer is MaxPoolLayer })
            let extra = pools.reduce(0) { sum, pool in sum + pool.windows.reduce(0) { $0 + $1.count - 1 } }
            XCTAssertEqual(lowered.activationCount, network.activationCount + extra)
            for _ in 0..<20 {
                let x = (0..<network.inputCount).map { _ in Double.random(in: -2...2, using: &generator) }
                let (y, z) = (try network.evaluate(x), try lowered.evaluate(x))
                for k in y.indices { XCTAssertEqual(y[k], z[k], accuracy: 1e-9 * max(1, y[k].magnitude)) }
            }
        }
        XCTAssertGreaterThan(rewritten, 5)
    }
}

/// ``Network/withoutUnusedNodes()`` drops exactly the nodes the output does not read, and the
/// function stays the same, bit for bit (the kept nodes compute what they computed).
final class UnusedNodeTests: XCTestCase {
    func testDroppingUnusedNodesKeepsTheFunction() throws {
        var generator = SeededGenerator(seed: 6)
        for _ in 0..<20 {
            let base = try RandomGraphs.convolutional(generator: &generator)
            XCTAssertEqual(try base.withoutUnusedNodes().nodes.count, base.nodes.count)
            let center = (0..<base.inputCount).map { _ in Double.random(in: -1...1, using: &generator) }
            let network = try RandomGraphs.withDeadBranch(base, around: center, width: 4, scale: 2, generator: &generator)
            let pruned = try network.withoutUnusedNodes()
            XCTAssertEqual(network.nodes.count, base.nodes.count + 3)
            XCTAssertEqual(pruned.nodes.count, base.nodes.count)
            XCTAssertEqual(pruned.activationCount, base.activationCount)
            for _ in 0..<10 {
                let x = (0..<network.inputCount).map { _ in Double.random(in: -2...2, using: &generator) }
                XCTAssertEqual(try pruned.evaluate(x), try network.evaluate(x))
            }
        }
    }
}
