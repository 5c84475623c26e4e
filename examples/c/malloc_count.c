/*
 * malloc_count: an LD_PRELOAD shim that counts every heap allocation of the
 * process (malloc, calloc, realloc, memalign and friends) and forwards it to
 * glibc. The program reads the count through a weak reference to
 * malloc_count_calls() (0 when the shim is not loaded):
 *
 *   cc -shared -fPIC -O2 -o malloc_count.so malloc_count.c
 *   LD_PRELOAD=./malloc_count.so ./acquire 20
 */
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static unsigned long calls;

unsigned long malloc_count_calls(void) { return __atomic_load_n(&calls, __ATOMIC_RELAXED); }

static void count(void) { __atomic_fetch_add(&calls, 1, __ATOMIC_RELAXED); }

void *malloc(size_t size) {
    count();
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
    count();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size) {
    count();
    return __libc_realloc(p, size);
}

void *memalign(size_t align, size_t size) {
    count();
    return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size) { return memalign(align, size); }

int posix_memalign(void **out, size_t align, size_t size) {
    void *p = memalign(align, size);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}

void free(void *p) { __libc_free(p); }
