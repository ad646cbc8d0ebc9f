#ifndef HARBORWATCH_CJEMALLOC_SHIM_H
#define HARBORWATCH_CJEMALLOC_SHIM_H
// harborwatch links jemalloc as its allocator (as Vector does): the pipeline frees events in
// a different order than it makes them, which glibc's malloc pays for in chunk consolidation.
#include <stddef.h>
#include <jemalloc/jemalloc.h>

/// jemalloc's version, asked of the allocator in use ("" when the process runs another malloc).
static inline const char *harborwatch_jemalloc_version(void) {
    const char *v = NULL;
    size_t n = sizeof(v);
    if (mallctl("version", &v, &n, NULL, 0) != 0 || v == NULL) return "";
    return v;
}
#endif
