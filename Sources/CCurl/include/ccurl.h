#ifndef CCURL_H
#define CCURL_H

#include <stddef.h>

/// POSTs `len` bytes of `body` to `url` with `nheaders` header lines ("Name: value") through
/// libcurl, loaded with dlopen on the first call. Waits at most `timeout_ms` in all.
/// Returns 0 on a response (any status): `*status`, the raw header lines and the body (at most
/// 64 KiB each, NUL-terminated, free both with hw_http_free). Returns -1 when there was none,
/// with the reason in `err` (and NULL in the out pointers).
int hw_http_post(const char *url, const char *const *headers, int nheaders,
                 const void *body, size_t len, long timeout_ms,
                 long *status, char **resp_headers, size_t *resp_headers_len,
                 char **resp_body, size_t *resp_body_len, char *err, size_t errlen);

/// Frees a buffer hw_http_post returned.
void hw_http_free(char *p);

#endif
