#ifndef MAPGUARD_H
#define MAPGUARD_H

#include <stddef.h>

/// Guards windows of files mapped with mmap against the file shrinking while they are read.
///
/// A page of a mapped file past the file's end raises SIGBUS when touched (logrotate's
/// `copytruncate` while `analyze` reads the file). Inside a registered window the handler maps
/// zero-filled pages over the rest of the window instead and records where: the reader hands out
/// no byte from that offset on. A SIGBUS anywhere else goes to the handler installed before, or
/// kills the process as it would have.

/// Installs the SIGBUS handler (once; later calls do nothing). 0 on success, -1 when it could not.
int hw_map_guard_install(void);

/// Registers the window `[start, start + length)`; the slot to pass to the calls below, or -1 when
/// all slots are taken (the caller then reads without mmap).
int hw_map_guard_add(const void *start, size_t length);

/// Unregisters a slot (before the window is unmapped).
void hw_map_guard_remove(int slot);

/// The offset from the window's start of the first page that faulted, or -1 when none did.
long hw_map_guard_fault(int slot);

/// Reads one byte of every page of `[start, start + length)` (so that a page past the file's end
/// faults here, before the bytes are handed out).
void hw_map_guard_touch(const void *start, size_t length);

#endif
