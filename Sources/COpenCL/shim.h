// The OpenCL C API through the ICD loader (ocl-icd-opencl-dev).
// OpenCL 1.2 is the common ground of NVIDIA, AMD, Intel and PoCL.
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
