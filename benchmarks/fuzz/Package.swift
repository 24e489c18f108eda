// swift-tools-version:6.0
// libFuzzer targets for Verdict's readers: the ONNX importer, the VNN-LIB parser and the
// input-vector reader. Built only with the fuzzer instrumentation, by `run.sh` beside this
// file (`swift build -c release -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library`); each
// target is a `LLVMFuzzerTestOneInput` that must never crash, whatever the bytes.
import PackageDescription

let package = Package(
    name: "VerdictFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Verdict", path: "../..")],
    targets: [
        .target(name: "FuzzDriver"),
        .executableTarget(name: "fuzz-onnx", dependencies: ["FuzzDriver", .product(name: "VerdictONNX", package: "Verdict"), .product(name: "VerdictCore", package: "Verdict")]),
        .executableTarget(name: "fuzz-vnnlib", dependencies: ["FuzzDriver", .product(name: "VerdictVNNLIB", package: "Verdict")]),
        .executableTarget(name: "fuzz-inputs", dependencies: ["FuzzDriver", .product(name: "VerdictCore", package: "Verdict")]),
    ]
)
