#ifndef HARBORWATCH_CZLIB_SHIM_H
#define HARBORWATCH_CZLIB_SHIM_H
#include <zlib.h>
#endif
