import Dispatch
import Synchronization

/// Floating-point operations done by the dense kernels since the last reset (multiply-adds
/// actually performed count two; skipped zeros count nothing), for benchmarks.
public enum FlopCounter {
    static let count = Atomic<Int>(0)

    public static func reset() { count.store(0, ordering: .relaxed) }
    public static var value: Int { count.load(ordering: .relaxed) }
    public static func add(_ flops: Int) { count.add(flops, ordering: .relaxed) }
}

/// The dense kernels of the CPU engine: row-major matrix products split across cores.
///
/// A whole batch of subproblems is laid out as one matrix of rows (objective or neuron rows
/// of every subproblem stacked), so each layer of a bound pass is one call here rather than
/// one per subproblem. Rows that are zero (inactive neurons, stable rows) are skipped.
public enum DenseKernels {
    /// Rows handled by one task; small enough to share work between 2 cores on small batches.
    static let rowsPerTask = 16

    /// `c (rows × columns) = a (rows × inner) · b (inner × columns)`, overwriting `c`.
    static func multiply(
        _ a: UnsafePointer<Double>, rows: Int, inner: Int,
        _ b: UnsafePointer<Double>, columns: Int,
        into c: UnsafeMutablePointer<Double>
    ) {
        nonisolated(unsafe) let a = a, b = b, c = c
        let tasks = (rows + rowsPerTask - 1) / rowsPerTask
        let body: @Sendable (Int) -> Void = { task in
            let start = task * rowsPerTask, end = min(rows, start + rowsPerTask)
            var performed = 0
            defer { FlopCounter.add(2 * performed * columns) }
            for row in start..<end {
                let output = c + row * columns
                output.initialize(repeating: 0, count: columns)
                let left = a + row * inner
                for k in 0..<inner {
                    let factor = left[k]
                    if factor == 0 { continue }
                    performed += 1
                    axpy(factor, b + k * columns, output, count: columns)
                }
            }
        }
        if tasks > 1 && rows * inner * columns > 50_000 {
            DispatchQueue.concurrentPerform(iterations: tasks, execute: body)
        } else {
            for task in 0..<tasks { body(task) }
        }
    }

    /// `y += factor · x` over `count` values, four at a time.
    @inline(__always)
    static func axpy(_ factor: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, count: Int) {
        var index = 0
        let scale = SIMD4<Double>(repeating: factor)
        let rawX = UnsafeRawPointer(x), rawY = UnsafeMutableRawPointer(y)
        while index + 4 <= count {
            let offset = index * 8
            let sum = rawY.loadUnaligned(fromByteOffset: offset, as: SIMD4<Double>.self)
                + scale * rawX.loadUnaligned(fromByteOffset: offset, as: SIMD4<Double>.self)
            rawY.storeBytes(of: sum, toByteOffset: offset, as: SIMD4<Double>.self)
            index += 4
        }
        while index < count {
            y[index] += factor * x[index]
            index += 1
        }
    }

    /// `Σ x[i]·y[i]`.
    @inline(__always)
    public static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, count: Int) -> Double {
        var sum = SIMD4<Double>()
        var index = 0
        let rawX = UnsafeRawPointer(x), rawY = UnsafeRawPointer(y)
        while index + 4 <= count {
            sum += rawX.loadUnaligned(fromByteOffset: index * 8, as: SIMD4<Double>.self)
                * rawY.loadUnaligned(fromByteOffset: index * 8, as: SIMD4<Double>.self)
            index += 4
        }
        var total = sum.sum()
        while index < count {
            total += x[index] * y[index]
            index += 1
        }
        return total
    }

    /// Runs `body` for each index, on all cores when there is enough work.
    public static func parallelFor(_ count: Int, parallel: Bool = true, _ body: @Sendable (Int) -> Void) {
        if parallel && count > 1 {
            DispatchQueue.concurrentPerform(iterations: count, execute: body)
        } else {
            for index in 0..<count { body(index) }
        }
    }
}
