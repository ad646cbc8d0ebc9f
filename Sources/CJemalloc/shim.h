#ifndef HARBORWATCH_CJEMALLOC_SHIM_H
#define HARBORWATCH_CJEMALLOC_SHIM_H
// harborwatch links jemalloc as its allocator (as Vector does): the pipeline frees events in
// a different order than it makes them, which glibc's malloc pays for in chunk consolidation.
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <jemalloc/jemalloc.h>

/// jemalloc's version, asked of the allocator in use ("" when the process runs another malloc).
static inline const char *harborwatch_jemalloc_version(void) {
    const char *v = NULL;
    size_t n = sizeof(v);
    if (mallctl("version", &v, &n, NULL, 0) != 0 || v == NULL) return "";
    return v;
}
/// Hands freed pages back to the kernel after 0.2 s (jemalloc's default keeps them 10 s). The
/// largest frees are the old tables of a growing Dictionary (the artifact book's is 6 MiB), which
/// otherwise stay resident next to the new ones: 2-4 MiB of the peak. 0 s would save 1-2 MiB more
/// but costs 10-20 % of the time in page faults (buffers freed and made again at once).
static inline void harborwatch_jemalloc_tune(void) {
    ssize_t dirty = 200, muzzy = 0;
    // Arenas made from now on, then each one there is (not yet used ones refuse; that is fine).
    mallctl("arenas.dirty_decay_ms", NULL, NULL, &dirty, sizeof(dirty));
    mallctl("arenas.muzzy_decay_ms", NULL, NULL, &muzzy, sizeof(muzzy));
    unsigned n = 0;
    size_t size = sizeof(n);
    if (mallctl("arenas.narenas", &n, &size, NULL, 0) != 0) return;
    for (unsigned i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof(name), "arena.%u.dirty_decay_ms", i);
        mallctl(name, NULL, NULL, &dirty, sizeof(dirty));
        snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", i);
        mallctl(name, NULL, NULL, &muzzy, sizeof(muzzy));
    }
}
/// Hands every freed page of every arena back to the kernel now. Called before a table is about
/// to double (the old and the new one are then resident together): what earlier frees left
/// dirty is not added to that peak, however fast the run got there.
static inline void harborwatch_jemalloc_purge(void) {
    mallctl("arena.4096.purge", NULL, NULL, NULL, 0);  // 4096: MALLCTL_ARENAS_ALL
}
#endif
