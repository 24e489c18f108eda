/// The arithmetic of an OpenCL device's bound kernels (the CPU engines compute in double).
public enum DevicePrecision: String, Sendable, CaseIterable {
    /// Double where the device has `cl_khr_fp64` (bounds as tight as the CPU engine's), else float.
    case auto
    /// Float: fastest, but its rounding allowance (γ_n with u = 2^-24) loosens bounds of
    /// ill-conditioned layers noticeably (up to about 20 % on ACAS Xu sub-boxes).
    case float
    case double
}
