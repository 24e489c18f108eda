import FuzzDriver
import Foundation
import VerdictCore
import VerdictONNX

/// One fuzz input: the bytes as an ONNX file. A refusal is fine; a model that imports must
/// evaluate in Double and Float32 without trapping.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard let model = try? ONNXImporter.load(data: Data(bytes: start, count: count), file: "fuzz.onnx") else { return 0 }
    let network = model.network
    guard network.inputCount <= 1 << 16 else { return 0 }
    _ = try? network.evaluate(Array(repeating: 0.5, count: network.inputCount))
    _ = try? network.evaluateFloat32(Array(repeating: 0.5, count: network.inputCount))
    return 0
}

/// The entry point SwiftPM links an executable with (it renames `main`): hands over to
/// libFuzzer's driver, which runs `fuzzONNX` on each input.
@_cdecl("fuzz_onnx_main")
public func fuzz_onnxMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzzONNX(UnsafeRawPointer(data!), size) }
}
