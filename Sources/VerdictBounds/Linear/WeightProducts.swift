/// Products of coefficient rows with a stage's weights: the operation whose cost grows with
/// the network and the batch, and the seam where the OpenCL engine runs its kernels.
///
/// Everything else a bound pass does is linear in the number of neurons per row and stays
/// with the engine's orchestration; the rounding allowance of each implementation's products
/// is applied by the pass from ``allowance``.
public protocol WeightProducts: Sendable {
    /// The arithmetic of the products (Double on the CPU, Float on OpenCL devices).
    var allowance: RoundingAllowance { get }
    /// `rows (count x outputCount) · W` of stage `stage` (`count x inputCount`), or with
    /// `transposed`, `rows (count x inputCount) · Wᵀ` (`count x outputCount`).
    func multiply(_ rows: [Double], count: Int, stage: Int, transposed: Bool) throws -> [Double]
    /// The same kind of products for `network`, a truncation of this one's network
    /// (``BoundNetwork/truncated(stageCount:)``).
    func truncated(to network: BoundNetwork) throws -> any WeightProducts
}

/// The CPU's products: ``DenseKernels`` in Double, skipping zero coefficients.
public struct CPUWeightProducts: WeightProducts {
    let network: BoundNetwork

    public init(network: BoundNetwork) {
        self.network = network
    }

    public var allowance: RoundingAllowance { .double }

    public func truncated(to network: BoundNetwork) throws -> any WeightProducts { CPUWeightProducts(network: network) }

    public func multiply(_ rows: [Double], count: Int, stage: Int, transposed: Bool) throws -> [Double] {
        let affine = network.stages[stage]
        let (inner, columns) = transposed ? (affine.inputCount, affine.outputCount) : (affine.outputCount, affine.inputCount)
        var result = [Double](repeating: 0, count: count * columns)
        rows.withUnsafeBufferPointer { left in
            (transposed ? affine.transposedWeights : affine.weights).withUnsafeBufferPointer { right in
                result.withUnsafeMutableBufferPointer { out in
                    DenseKernels.multiply(left.baseAddress!, rows: count, inner: inner, right.baseAddress!, columns: columns, into: out.baseAddress!)
                }
            }
        }
        return result
    }
}
