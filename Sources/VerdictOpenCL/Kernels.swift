/// The kernel sources compiled into this binary (see `Plugins/EmbedKernels` and `kernels/`).
enum Kernels {
    /// One source file behind the shared prelude `precision.cl`; a missing name is a build
    /// problem, reported as an error.
    static func source(_ name: String) throws -> String {
        guard let prelude = EmbeddedKernels.sources["precision.cl"], let source = EmbeddedKernels.sources[name] else {
            throw OpenCLError(call: "embedded kernel \(name)", code: 0, detail: "not embedded in this build (kernels/\(name) missing?)")
        }
        return prelude + "\n" + source
    }
}
