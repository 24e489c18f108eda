// OpenBLAS's CBLAS interface, from libopenblas-dev.
#include <cblas.h>
