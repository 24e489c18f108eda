// Shared by every kernel file (the host puts it in front of each when it builds a program):
// REAL is the arithmetic of the engine, float, or double where the host passes USE_DOUBLE
// (devices with cl_khr_fp64).
#ifndef REAL
#define REAL float
#endif
#ifdef USE_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
// REAL8: eight REALs, for per-row loops written as vector steps plus a scalar tail (the
// compiler does not vectorize floating-point sums by itself; the rounding allowances hold for
// sums taken in any order). SUM8 adds the lanes of one.
#define REAL_PASTE(a, b) a##b
#define REAL_CONCAT(a, b) REAL_PASTE(a, b)
#define REAL8 REAL_CONCAT(REAL, 8)
#define SUM8(v) (((v).s0 + (v).s1) + ((v).s2 + (v).s3) + ((v).s4 + (v).s5) + ((v).s6 + (v).s7))
// MASK8: the result type of comparing two REAL8s (what select takes as its condition).
#ifdef USE_DOUBLE
#define MASK8 long8
#else
#define MASK8 int8
#endif
