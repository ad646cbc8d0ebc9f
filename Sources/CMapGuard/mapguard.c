#define _GNU_SOURCE
#include "mapguard.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// Windows guarded at a time. Each is at most 256 KiB of resident page cache while it is read; a
// file opened beyond them is read with read(2) (hw_map_guard_add returns -1).
#define SLOTS 64

typedef struct {
    _Atomic int used;
    _Atomic uintptr_t start;
    _Atomic uintptr_t end;
    _Atomic long fault;
} slot_t;

static slot_t slots[SLOTS];
static struct sigaction previous;
static uintptr_t page_size = 4096;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int installed = -1;

static void on_sigbus(int sig, siginfo_t *info, void *context) {
    uintptr_t a = (uintptr_t)info->si_addr;
    for (int i = 0; i < SLOTS; i++) {
        uintptr_t s = atomic_load(&slots[i].start), e = atomic_load(&slots[i].end);
        if (s == 0 || a < s || a >= e) continue;
        uintptr_t page = a & ~(page_size - 1);
        if (page < s) page = s;
        // Zero pages over the rest of the window: the access that faulted reads 0 when the
        // handler returns, and the reader, told where, hands out nothing from there on.
        void *r = mmap((void *)page, e - page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        if (r == MAP_FAILED) break;
        long expected = -1;
        atomic_compare_exchange_strong(&slots[i].fault, &expected, (long)(page - s));
        return;
    }
    // Not a guarded window: what would have happened without this handler.
    if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction != NULL) {
        previous.sa_sigaction(sig, info, context);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN && previous.sa_handler != NULL) {
        previous.sa_handler(sig);
        return;
    }
    // The default action: the access faults again on return, and SIGBUS now ends the process.
    signal(SIGBUS, SIG_DFL);
}

static void install(void) {
    long p = sysconf(_SC_PAGESIZE);
    if (p > 0) page_size = (uintptr_t)p;
    for (int i = 0; i < SLOTS; i++) atomic_store(&slots[i].fault, -1);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    installed = sigaction(SIGBUS, &sa, &previous) == 0 ? 0 : -1;
}

int hw_map_guard_install(void) {
    pthread_once(&once, install);
    return installed;
}

int hw_map_guard_add(const void *start, size_t length) {
    if (installed != 0 || start == NULL || length == 0) return -1;
    for (int i = 0; i < SLOTS; i++) {
        int free_slot = 0;
        if (!atomic_compare_exchange_strong(&slots[i].used, &free_slot, 1)) continue;
        atomic_store(&slots[i].fault, -1);
        atomic_store(&slots[i].end, (uintptr_t)start + length);
        atomic_store(&slots[i].start, (uintptr_t)start);
        return i;
    }
    return -1;
}

void hw_map_guard_remove(int slot) {
    if (slot < 0 || slot >= SLOTS) return;
    atomic_store(&slots[slot].start, 0);
    atomic_store(&slots[slot].end, 0);
    atomic_store(&slots[slot].fault, -1);
    atomic_store(&slots[slot].used, 0);
}

long hw_map_guard_fault(int slot) {
    if (slot < 0 || slot >= SLOTS) return -1;
    return atomic_load(&slots[slot].fault);
}

void hw_map_guard_touch(const void *start, size_t length) {
    const volatile unsigned char *p = (const volatile unsigned char *)start;
    uintptr_t a = (uintptr_t)start, end = a + length;
    if (length == 0) return;
    // One byte of each page: the first, then each page boundary after it, then the last.
    (void)p[0];
    for (uintptr_t q = (a & ~(page_size - 1)) + page_size; q < end; q += page_size) (void)*(const volatile unsigned char *)q;
    (void)p[length - 1];
}
