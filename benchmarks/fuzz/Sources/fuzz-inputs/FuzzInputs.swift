import FuzzDriver
import VerdictCore

/// One fuzz input: the bytes as an input vector file (JSON or one number a line).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzInputs(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    _ = try? InputVectorFile.parse(text, file: "fuzz.txt")
    return 0
}

/// The entry point SwiftPM links an executable with (it renames `main`): hands over to
/// libFuzzer's driver, which runs `fuzzInputs` on each input.
@_cdecl("fuzz_inputs_main")
public func fuzz_inputsMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzzInputs(UnsafeRawPointer(data!), size) }
}
