import FuzzDriver
import VerdictVNNLIB

/// One fuzz input: the bytes as a VNN-LIB property. A refusal is fine; a crash is not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVNNLIB(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    _ = try? VNNLIBParser.parse(bytes: bytes, file: "fuzz.vnnlib")
    return 0
}

/// The entry point SwiftPM links an executable with (it renames `main`): hands over to
/// libFuzzer's driver, which runs `fuzzVNNLIB` on each input.
@_cdecl("fuzz_vnnlib_main")
public func fuzz_vnnlibMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzzVNNLIB(UnsafeRawPointer(data!), size) }
}
