// zlib's C API, from zlib1g-dev: inflating PNG image data.
#include <zlib.h>
