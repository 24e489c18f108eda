// Z3's C API, from libz3-dev.
#include <z3.h>
