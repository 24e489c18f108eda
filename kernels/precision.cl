// Shared by every kernel file (the host puts it in front of each when it builds a program):
// REAL is the arithmetic of the engine, float, or double where the host passes USE_DOUBLE
// (devices with cl_khr_fp64).
#ifndef REAL
#define REAL float
#endif
#ifdef USE_DOUBLE
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#endif
