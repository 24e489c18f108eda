// swift-tools-version:6.0
// Verdict: a complete verifier for ReLU neural networks.
//
// Targets follow the layers of the design; each layer imports only the ones before it:
//   VerdictCore (network IR with one file per operator, exact evaluation, properties, witnesses)
//   ← VerdictONNX (ONNX import), VerdictVNNLIB (VNN-LIB parsing and writing),
//     VerdictBounds (the bound engines' interface, the dense chain engine and the graph
//     engine on the CPU, one bound rule per operator)
//   ← VerdictOpenCL (OpenCL runtime and the OpenCL engine; Bounds),
//     VerdictZ3 (solver binding, exact encoding of the core network; Bounds for phases and bounds)
//   ← VerdictSearch (attacks, branch and bound, Z3 leaves; Bounds and Z3, never OpenCL)
//   ← Verdict (the library other Swift packages use: load, verify, robustness properties,
//     certified radii, datasets; picks the engine)
//   ← VerdictCommands (the `verdict` command tree, built on Verdict) ← verdict (the executable)
import PackageDescription

let package = Package(
    name: "Verdict",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "verdict", targets: ["verdict"]),
        .library(name: "Verdict", targets: ["Verdict"]),
        .library(name: "VerdictCore", targets: ["VerdictCore"]),
        .library(name: "VerdictONNX", targets: ["VerdictONNX"]),
        .library(name: "VerdictVNNLIB", targets: ["VerdictVNNLIB"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
    ],
    targets: [
        // System libraries: Z3 (libz3-dev) and the OpenCL ICD loader (ocl-icd-opencl-dev).
        .systemLibrary(
            name: "CZ3",
            pkgConfig: "z3",
            providers: [.apt(["libz3-dev"])]
        ),
        .systemLibrary(
            name: "COpenCL",
            pkgConfig: "OpenCL",
            providers: [.apt(["ocl-icd-opencl-dev", "pocl-opencl-icd"])]
        ),

        // zlib (zlib1g-dev, also a prerequisite of the Swift toolchain): PNG test sets.
        // OpenBLAS (libopenblas-dev): the matrix products of convolutions on the CPU.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        .target(name: "VerdictCore", dependencies: ["CBLAS"]),
        .target(
            name: "VerdictONNX",
            dependencies: [
                "VerdictCore",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Generated/README.md"]
        ),
        .target(name: "VerdictVNNLIB", dependencies: ["VerdictCore"]),
        .target(name: "VerdictBounds", dependencies: ["VerdictCore"]),
        .target(name: "VerdictZ3", dependencies: ["CZ3", "VerdictBounds", "VerdictCore"]),
        .target(
            name: "VerdictSearch",
            dependencies: [
                "VerdictBounds", "VerdictCore", "VerdictZ3",
                .product(name: "HeapModule", package: "swift-collections"),
            ]
        ),
        .target(
            name: "VerdictOpenCL",
            dependencies: ["COpenCL", "VerdictBounds", "VerdictCore"],
            plugins: ["EmbedKernels"]
        ),
        // Embeds kernels/*.cl into VerdictOpenCL at build time.
        .executableTarget(name: "kernel-embedder", path: "Sources/KernelEmbedder"),
        .plugin(name: "EmbedKernels", capability: .buildTool(), dependencies: ["kernel-embedder"]),
        .target(
            name: "Verdict",
            dependencies: [
                "CZlib", "VerdictCore", "VerdictONNX", "VerdictVNNLIB", "VerdictBounds", "VerdictOpenCL", "VerdictSearch",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "VerdictCommands",
            dependencies: [
                "Verdict", "VerdictCore", "VerdictONNX", "VerdictVNNLIB", "VerdictBounds", "VerdictZ3", "VerdictOpenCL", "VerdictSearch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "verdict", dependencies: ["VerdictCommands"]),
        // The library's runnable example (README, "Verdict as a Swift library").
        .executableTarget(name: "verdict-library-example", dependencies: ["Verdict"], path: "Examples/LibraryExample"),
        .executableTarget(
            name: "bound-throughput",
            dependencies: ["VerdictBounds", "VerdictCore", "VerdictONNX", "VerdictOpenCL", "VerdictVNNLIB"],
            path: "benchmarks/BoundThroughput"
        ),

        .target(
            name: "VerdictTestSupport",
            dependencies: ["VerdictCore", "VerdictONNX", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Tests/VerdictTestSupport"
        ),
        .testTarget(name: "VerdictCoreTests", dependencies: ["VerdictCore", "VerdictTestSupport"]),
        .testTarget(
            name: "VerdictONNXTests",
            dependencies: [
                "VerdictONNX", "VerdictCore", "VerdictTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .testTarget(name: "VerdictVNNLIBTests", dependencies: ["VerdictVNNLIB", "VerdictCore", "VerdictTestSupport"]),
        .testTarget(name: "VerdictBoundsTests", dependencies: ["VerdictBounds", "VerdictCore", "VerdictONNX", "VerdictVNNLIB", "VerdictTestSupport"]),
        .testTarget(name: "SystemLibraryTests", dependencies: ["VerdictZ3", "VerdictOpenCL"]),
        .testTarget(
            name: "VerdictOpenCLTests",
            dependencies: ["VerdictOpenCL", "VerdictBounds", "VerdictCore", "VerdictONNX", "VerdictVNNLIB", "VerdictTestSupport"]
        ),
        .testTarget(
            name: "VerdictSearchTests",
            dependencies: ["VerdictSearch", "VerdictZ3", "VerdictBounds", "VerdictCore", "VerdictONNX", "VerdictVNNLIB", "VerdictTestSupport"]
        ),
        .testTarget(name: "VerdictLibraryTests", dependencies: ["Verdict", "VerdictZ3", "VerdictTestSupport"]),
        .testTarget(
            name: "VerdictCommandTests",
            dependencies: [
                "VerdictCommands", "VerdictCore", "VerdictONNX", "VerdictSearch", "VerdictVNNLIB", "VerdictTestSupport",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
    ]
)
