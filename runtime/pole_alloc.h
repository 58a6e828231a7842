/* pole_alloc.h - the runtime's heap allocator (internal to the runtime). */
#ifndef POLE_ALLOC_H
#define POLE_ALLOC_H
#include <stddef.h>
#include <stdint.h>
void rt_heap_init(void);
void *rt_heap_alloc(size_t n);
void rt_heap_free(void *p);
void *rt_heap_realloc(void *p, size_t n);
size_t rt_heap_usable(const void *p);
void rt_heap_report(void);
int rt_heap_stats_enabled(void);
#endif
