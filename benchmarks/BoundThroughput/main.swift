// Bound throughput: subproblem bounds per second for batch sizes 1 to 1024, per method, on
// one network and property, with the achieved floating-point rate of the dense kernels beside
// a measured peak of the machine.
//
// The CPU engine and, where an OpenCL device exists, the OpenCL engine run side by side; an
// optimized BLAS (OpenBLAS through numpy, when importable) is timed in the same run for scale.
//
// Graph networks (convolutions, residual joins) compare the CPU graph engine with the OpenCL
// graph engine.
//
//   swift run -c release bound-throughput --network N.onnx --property P.vnnlib [--methods crown,alpha-crown]
//       [--batches 1,4,16,64,256,1024] [--seconds 1] [--device opencl:0] [--precision auto|float|double]
import Dispatch
import Foundation
import Synchronization
import VerdictBounds
import VerdictCore
import VerdictONNX
import VerdictOpenCL
import VerdictVNNLIB

struct Arguments {
    var network = ""
    var property = ""
    var methods: [BoundMethod] = [.ibp, .crown, .alphaCrown, .betaCrown]
    var batches = [1, 4, 16, 64, 256, 1024]
    var seconds = 1.0
    var device = "opencl"
    var precision = DevicePrecision.auto
    var skipCPU = false
    var skipBLAS = false

    init() {
        var iterator = CommandLine.arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            let value = iterator.next() ?? ""
            switch argument {
            case "--network": network = value
            case "--property": property = value
            case "--methods": methods = value.split(separator: ",").compactMap { BoundMethod(rawValue: String($0)) }
            case "--batches": batches = value.split(separator: ",").compactMap { Int($0) }
            case "--seconds": seconds = Double(value) ?? 1
            case "--device": device = value
            case "--precision": precision = DevicePrecision(rawValue: value) ?? .auto
            case "--skip-cpu": skipCPU = value == "yes"
            case "--skip-blas": skipBLAS = value == "yes"
            default:
                FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
        if network.isEmpty || property.isEmpty {
            FileHandle.standardError.write(Data("usage: bound-throughput --network N.onnx --property P.vnnlib [--methods ibp,crown] [--batches 1,64] [--seconds 1]\n".utf8))
            exit(2)
        }
    }
}

/// Peak double-precision rate of the instructions this build uses: independent SIMD
/// multiply-add chains (separate multiply and add, as the kernels compile to) on every core.
func measuredPeakFlops() -> Double {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let steps = 5_000_000
    let start = Date()
    let sink = Mutex<Double>(0)
    DispatchQueue.concurrentPerform(iterations: cores) { _ in
        var chains = (0..<12).map { SIMD4<Double>(repeating: 1 + Double($0) * 1e-3) }
        let x = SIMD4<Double>(repeating: 0.9999999), y = SIMD4<Double>(repeating: 1e-9)
        for _ in 0..<steps {
            chains[0] = chains[0] * x + y; chains[1] = chains[1] * x + y; chains[2] = chains[2] * x + y
            chains[3] = chains[3] * x + y; chains[4] = chains[4] * x + y; chains[5] = chains[5] * x + y
            chains[6] = chains[6] * x + y; chains[7] = chains[7] * x + y; chains[8] = chains[8] * x + y
            chains[9] = chains[9] * x + y; chains[10] = chains[10] * x + y; chains[11] = chains[11] * x + y
        }
        let total = chains.reduce(SIMD4<Double>()) { $0 + $1 }.sum()
        sink.withLock { $0 += total }
    }
    let elapsed = Date().timeIntervalSince(start)
    _ = sink.withLock { $0 }
    // Per step: 12 chains x 4 lanes x 2 flops.
    return Double(cores) * Double(steps) * 12 * 4 * 2 / elapsed
}

let arguments = Arguments()
let model = try ONNXImporter.load(path: arguments.network).network
let property = try VNNLIBParser.parse(contentsOf: arguments.property)
// A chain of dense layers runs on the chain engines; any other network on the graph engines
// (the CPU's, and the OpenCL one with `--device opencl`), without the weight-product table.
let chain = try? BoundNetwork(model)
let engine: any BoundEngine = try chain.map { CPUBoundEngine(network: $0) } ?? GraphBoundEngine(graph: try GraphBoundNetwork(model))
let item = property.cases[0]
let objectives = Objectives(region: item.unsafe, outputCount: property.outputCount)

/// Subproblems like those of branch and bound: random sub-boxes of the property's box, with
/// a quarter of the width in every dimension.
func subproblems(_ count: Int) -> [BoundTask] {
    var generator = SystemRandomNumberGenerator()
    return (0..<count).map { _ in
        var lower: [Double] = [], upper: [Double] = []
        for j in 0..<item.box.dimension {
            let width = (item.box.upper[j] - item.box.lower[j]) / 4
            let start = item.box.lower[j] + Double.random(in: 0...(3 * width), using: &generator)
            lower.append(start)
            upper.append(start + width)
        }
        return BoundTask(subproblem: Subproblem(box: InputBox(lower: lower, upper: upper), layout: engine.layout), objectives: objectives)
    }
}

/// OpenBLAS matrix-product rates (GFLOP/s) through numpy: float32 and float64 at the shapes
/// the engine runs (rows x 256 x 256) and a large square one, or with `quick` float32 at
/// 4096x256x256 only (measured again beside every row of the table, because this machine's
/// speed drifts by up to 2x from minute to minute).
func blasRates(quick: Bool = false) -> String? {
    let script = """
        import time, numpy as np
        def rate(dtype, m, k, n, seconds):
            a = np.random.rand(m, k).astype(dtype); b = np.random.rand(k, n).astype(dtype)
            a @ b
            runs, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                a @ b; runs += 1
            return 2 * m * k * n * runs / (time.perf_counter() - start) / 1e9
        if \(quick ? "True" : "False"):
            print(f"{rate('float32', 4096, 256, 256, 0.3):.1f}")
        else:
            for dtype in ("float32", "float64"):
                print(f"{dtype} {rate(dtype, 4096, 256, 256, 0.5):.1f} {rate(dtype, 2048, 2048, 2048, 0.5):.1f}")
        """
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    guard (try? process.run()) != nil else { return nil }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { return nil }
    return String(decoding: output, as: UTF8.self)
}

let peak = measuredPeakFlops()
/// Whether OpenBLAS could be timed: the last columns then give SGEMM's rate at 4096x256x256
/// measured just before each row, and the engine's rate as a fraction of it.
var sgemm: Double?
var engines: [any BoundEngine] = arguments.skipCPU ? [] : [engine]
if let choice = DeviceChoice(arguments.device), choice != .cpu {
    do {
        let device = try EngineSelection.engine(for: model, choice: choice, precision: arguments.precision)
        if !(device is CPUBoundEngine) && device.name != engine.name { engines.append(device) }
    } catch {
        print("OpenCL engine unavailable: \(error)")
    }
}
print("network \(arguments.network) (\(engine.layout.reluCount) ReLUs), property \(arguments.property)")
print(String(format: "measured peak of this build's CPU code: %.1f GFLOP/s (double, %d cores)", peak / 1e9, ProcessInfo.processInfo.activeProcessorCount))
if arguments.skipBLAS {
    print("OpenBLAS rate: skipped")
} else if let rates = blasRates() {
    for line in rates.split(separator: "\n") {
        let fields = line.split(separator: " ")
        print("OpenBLAS (numpy) \(fields[0]): \(fields[1]) GFLOP/s at 4096x256x256, \(fields[2]) GFLOP/s at 2048^3")
        if fields[0] == "float32" { sgemm = max(Double(fields[1]) ?? 0, Double(fields[2]) ?? 0) }
    }
} else {
    print("OpenBLAS rate: numpy not importable, skipped")
}
print("engines: " + engines.map(\.name).joined(separator: "; "))
print("GFLOP/s: the CPU engine counts the multiply-adds it performs (zeros skipped); the OpenCL engine counts its products densely (zero blocks its kernel skips still count)")
// The weight product alone, on the widest hidden stage, for rows as a batch of 256 would send.
if let network = chain, let stage = network.stages.indices.dropFirst().first(where: { network.stages[$0].outputCount > 1 }) {
    let affine = network.stages[stage]
    let rows = 4096
    let values = (0..<(rows * affine.outputCount)).map { _ in Double.random(in: -1...1) }
    var products: [(String, any WeightProducts)] = [("cpu", CPUWeightProducts(network: network))]
    if engines.count > 1, let devices = try? OpenCLDiscovery.devices(), let device = devices.first(where: \.isGPU) ?? devices.first {
        products.append(("opencl double", try OpenCLBoundKernels(network: network, device: device, precision: device.supportsDouble ? .double : .float)))
        products.append(("opencl float", try OpenCLBoundKernels(network: network, device: device, precision: .float)))
    }
    // One-hot rows, as the first step of every intermediate-bound pass has: kernels that skip
    // zeros run far above their dense rate (the rate below is dense-equivalent).
    var oneHot = [Double](repeating: 0, count: rows * affine.outputCount)
    for row in 0..<rows { oneHot[row * affine.outputCount + row % affine.outputCount] = 1 }
    for (label, input) in [("dense random rows", values), ("one-hot rows", oneHot)] {
        for (name, product) in products {
            _ = try product.multiply(input, count: rows, stage: stage, transposed: false)
            var runs = 0
            let start = Date()
            repeat {
                _ = try product.multiply(input, count: rows, stage: stage, transposed: false)
                runs += 1
            } while Date().timeIntervalSince(start) < 0.5
            let rate = 2 * Double(rows * affine.outputCount * affine.inputCount * runs) / Date().timeIntervalSince(start) / 1e9
            print(String(format: "weight product %dx%dx%d, %@, %@: %.1f GFLOP/s dense-equivalent (transfers included)", rows, affine.outputCount, affine.inputCount, label, name, rate))
            if let device = product as? OpenCLBoundKernels {
                let seconds = try device.productKernelSeconds(input, count: rows, stage: stage, runs: 20)
                let kernelRate = 2 * Double(rows * affine.outputCount * affine.inputCount) / seconds / 1e9
                print(String(format: "weight product %dx%dx%d, %@, %@: %.1f GFLOP/s dense-equivalent (kernel alone, data on the device)", rows, affine.outputCount, affine.inputCount, label, name, kernelRate))
            }
        }
    }
}
var header = "method        batch"
for engine in engines { header += "  \(engine.name.split(separator: " ").first!.padding(toLength: 9, withPad: " ", startingAt: 0)) subproblems/s  GFLOP/s" }
if engines.count == 2 { header += "  ratio" }
// The last engine's rate against the best SGEMM rate above (the issue's target: at least 0.5
// from batch 256 up).
if sgemm != nil { header += "  SGEMM GFLOP/s  of SGEMM" }
print(header)
for method in arguments.methods {
    for batch in arguments.batches {
        let tasks = subproblems(batch)
        let options = BoundOptions(method: method, iterations: 20)
        var line = "\(method.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0))  \(String(format: "%5d", batch))"
        var rates: [Double] = [], lastRate = 0.0
        let rowSGEMM = sgemm == nil ? nil : blasRates(quick: true).flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        for engine in engines {
            _ = try engine.bound(Array(tasks.prefix(1)), options: options)  // warm-up
            FlopCounter.reset()
            var rounds = 0
            let start = Date()
            repeat {
                _ = try engine.bound(tasks, options: options)
                rounds += 1
            } while Date().timeIntervalSince(start) < arguments.seconds
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(rounds * batch) / elapsed
            rates.append(rate)
            lastRate = Double(FlopCounter.value) / elapsed / 1e9
            line += String(format: "  %23.1f  %7.2f", rate, lastRate)
        }
        if rates.count == 2 { line += String(format: "  %5.2f", rates[1] / rates[0]) }
        if let rowSGEMM { line += String(format: "  %13.1f  %8.2f", rowSGEMM, lastRate / rowSGEMM) }
        print(line)
    }
}
