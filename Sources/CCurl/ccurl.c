// libcurl through dlopen: the binary does not link it, so it (and its TLS, SSH, HTTP/2 ...
// libraries) is only loaded by the first request.
#include "ccurl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The few constants used, as in curl 7.88's curl.h.
enum {
    CURLOPT_WRITEDATA = 10001,
    CURLOPT_URL = 10002,
    CURLOPT_ERRORBUFFER = 10010,
    CURLOPT_POSTFIELDS = 10015,
    CURLOPT_HTTPHEADER = 10023,
    CURLOPT_HEADERDATA = 10029,
    CURLOPT_WRITEFUNCTION = 20011,
    CURLOPT_HEADERFUNCTION = 20079,
    CURLOPT_POSTFIELDSIZE_LARGE = 30120,
    CURLOPT_POST = 47,
    CURLOPT_NOSIGNAL = 99,
    CURLOPT_TIMEOUT_MS = 155,
    CURLOPT_CONNECTTIMEOUT_MS = 156,
};
#define CURLINFO_RESPONSE_CODE 0x200002
#define CURL_GLOBAL_DEFAULT 3L
#define CURL_ERROR_SIZE 256
#define HW_MAX_KEEP (64 * 1024)

struct curl_slist;
typedef int (*global_init_fn)(long);
typedef void *(*easy_init_fn)(void);
typedef int (*easy_setopt_fn)(void *, int, ...);
typedef int (*easy_perform_fn)(void *);
typedef int (*easy_getinfo_fn)(void *, int, ...);
typedef void (*easy_cleanup_fn)(void *);
typedef const char *(*easy_strerror_fn)(int);
typedef struct curl_slist *(*slist_append_fn)(struct curl_slist *, const char *);
typedef void (*slist_free_all_fn)(struct curl_slist *);

static struct {
    global_init_fn global_init;
    easy_init_fn easy_init;
    easy_setopt_fn easy_setopt;
    easy_perform_fn easy_perform;
    easy_getinfo_fn easy_getinfo;
    easy_cleanup_fn easy_cleanup;
    easy_strerror_fn easy_strerror;
    slist_append_fn slist_append;
    slist_free_all_fn slist_free_all;
} curl;
static int loaded;            // 1 once every symbol is there and curl_global_init succeeded
static char load_error[512];
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(load_error, sizeof load_error, "libcurl.so.4 could not be loaded (install libcurl4): %s", e ? e : "unknown error");
        return;
    }
#define SYM(field, name)                                                                   \
    if (!(*(void **)&curl.field = dlsym(h, name))) {                                       \
        snprintf(load_error, sizeof load_error, "libcurl.so.4 has no %s", name);           \
        return;                                                                            \
    }
    SYM(global_init, "curl_global_init")
    SYM(easy_init, "curl_easy_init")
    SYM(easy_setopt, "curl_easy_setopt")
    SYM(easy_perform, "curl_easy_perform")
    SYM(easy_getinfo, "curl_easy_getinfo")
    SYM(easy_cleanup, "curl_easy_cleanup")
    SYM(easy_strerror, "curl_easy_strerror")
    SYM(slist_append, "curl_slist_append")
    SYM(slist_free_all, "curl_slist_free_all")
#undef SYM
    int rc = curl.global_init(CURL_GLOBAL_DEFAULT);
    if (rc != 0) {
        snprintf(load_error, sizeof load_error, "curl_global_init failed: %s", curl.easy_strerror(rc));
        return;
    }
    loaded = 1;
}

// A growing buffer keeping the first HW_MAX_KEEP bytes; the rest is counted, not kept.
struct sink {
    char *data;
    size_t len, cap, seen;
};

static size_t sink_write(char *ptr, size_t size, size_t n, void *userdata) {
    struct sink *s = userdata;
    size_t total = size * n;
    s->seen += total;
    size_t keep = s->len < HW_MAX_KEEP ? HW_MAX_KEEP - s->len : 0;
    if (keep > total) keep = total;
    if (keep > 0) {
        if (s->len + keep + 1 > s->cap) {
            size_t cap = s->cap ? s->cap : 4096;
            while (cap < s->len + keep + 1) cap *= 2;
            char *d = realloc(s->data, cap);
            if (!d) return total;  // out of memory: drop, the request still completes
            s->data = d;
            s->cap = cap;
        }
        memcpy(s->data + s->len, ptr, keep);
        s->len += keep;
        s->data[s->len] = 0;
    }
    return total;
}

static void set_err(char *err, size_t errlen, const char *msg) {
    if (err && errlen) snprintf(err, errlen, "%s", msg);
}

int hw_http_post(const char *url, const char *const *headers, int nheaders,
                 const void *body, size_t len, long timeout_ms,
                 long *status, char **resp_headers, size_t *resp_headers_len,
                 char **resp_body, size_t *resp_body_len, char *err, size_t errlen) {
    *status = 0;
    *resp_headers = NULL;
    *resp_headers_len = 0;
    *resp_body = NULL;
    *resp_body_len = 0;
    if (err && errlen) err[0] = 0;
    pthread_once(&load_once, load);
    if (!loaded) {
        set_err(err, errlen, load_error);
        return -1;
    }
    void *h = curl.easy_init();
    if (!h) {
        set_err(err, errlen, "curl_easy_init failed");
        return -1;
    }
    struct curl_slist *list = NULL;
    for (int i = 0; i < nheaders; i++) {
        struct curl_slist *l = curl.slist_append(list, headers[i]);
        if (!l) {
            curl.slist_free_all(list);
            curl.easy_cleanup(h);
            set_err(err, errlen, "out of memory");
            return -1;
        }
        list = l;
    }
    if (timeout_ms < 1) timeout_ms = 1;  // 0 would mean no timeout
    struct sink hs = {0}, bs = {0};
    char ebuf[CURL_ERROR_SIZE] = {0};
    curl.easy_setopt(h, CURLOPT_URL, url);
    curl.easy_setopt(h, CURLOPT_POST, 1L);
    curl.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (int64_t)len);
    curl.easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");  // never NULL: curl would read stdin
    curl.easy_setopt(h, CURLOPT_HTTPHEADER, list);
    curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl.easy_setopt(h, CURLOPT_WRITEDATA, &bs);
    curl.easy_setopt(h, CURLOPT_HEADERFUNCTION, sink_write);
    curl.easy_setopt(h, CURLOPT_HEADERDATA, &hs);
    curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl.easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
    int rc = curl.easy_perform(h);
    long code = 0;
    if (rc == 0) curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    if (rc != 0 || code == 0) {
        if (rc == 0) set_err(err, errlen, "no HTTP response");
        else if (err && errlen) snprintf(err, errlen, "%s", ebuf[0] ? ebuf : curl.easy_strerror(rc));
        free(hs.data);
        free(bs.data);
    } else {
        *status = code;
        *resp_headers = hs.data;
        *resp_headers_len = hs.len;
        *resp_body = bs.data;
        *resp_body_len = bs.len;
    }
    curl.easy_cleanup(h);
    curl.slist_free_all(list);
    return rc == 0 && code != 0 ? 0 : -1;
}

void hw_http_free(char *p) { free(p); }
