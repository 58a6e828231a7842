/* TEMPORARY stub allocator (malloc) until the real one lands. */
#define _GNU_SOURCE
#include "pole_alloc.h"
#include "pole_rt.h"
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int stats;
static uint64_t nalloc, nfree; static size_t live, peak;
void rt_heap_init(void) { const char *s = getenv("POLE_RT_STATS"); stats = s && strcmp(s, "1") == 0; }
void *rt_heap_alloc(size_t n) { void *p = NULL; if (posix_memalign(&p, 16, n) != 0) pole_panic("out of memory"); nalloc++; live += malloc_usable_size(p); if (live > peak) peak = live; return p; }
void rt_heap_free(void *p) { nfree++; live -= malloc_usable_size(p); free(p); }
void *rt_heap_realloc(void *p, size_t n) { void *q = rt_heap_alloc(n); size_t o = malloc_usable_size(p); memcpy(q, p, o < n ? o : n); rt_heap_free(p); return q; }
size_t rt_heap_usable(const void *p) { return malloc_usable_size((void *)p); }
int rt_heap_stats_enabled(void) { return stats; }
void rt_heap_report(void) { if (stats) fprintf(stderr, "pole-rt: allocated %llu, freed %llu, live %llu, peak %zu bytes\n", (unsigned long long)nalloc, (unsigned long long)nfree, (unsigned long long)(nalloc - nfree), peak); }
