/* pole_alloc.h - heap allocator of the pole runtime (internal to the runtime).
 *
 * Every heap object of a compiled program comes from here. Objects are freed
 * individually (precise reference counting), so the allocator is built for
 * many small, short-lived blocks: size classes with free lists, one mmap'd
 * chunk per class at a time, no per-block header (see pole_alloc.c).
 *
 * Single mutator thread only: nothing here locks.
 *
 * Environment, read once by rt_heap_init (before the first allocation):
 *   POLE_RT_MALLOC=1  every block goes through malloc/free (for valgrind)
 *   POLE_RT_NOFREE=1  rt_heap_free never reuses memory (differential tests);
 *                     the statistics still count the free
 *   POLE_RT_STATS=1   rt_heap_report prints one line of statistics
 */
#ifndef POLE_ALLOC_H
#define POLE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Reads the environment. Call from main() before anything allocates; if it is
 * never called the heap runs in pool mode without statistics output. A call
 * after the first allocation keeps the mode already in use. */
void rt_heap_init(void);

/* n >= 1. A 16-byte aligned block with at least n usable bytes, contents
 * unspecified (reused blocks are not zeroed). Never NULL: calls
 * pole_panic("out of memory") on failure or when n > 2^46. */
void *rt_heap_alloc(size_t n);

/* p from rt_heap_alloc / rt_heap_realloc, not NULL. */
void rt_heap_free(void *p);

/* Contents preserved up to min(old usable, n). Returns p itself when the
 * block already has room (and is not more than twice too big), or when a big
 * block can grow or shrink in place. */
void *rt_heap_realloc(void *p, size_t n);

/* Usable bytes of the block (>= what was asked). */
size_t rt_heap_usable(const void *p);

/* With POLE_RT_STATS=1, prints exactly one line to stderr:
 *   pole-rt: allocated N, freed M, live K, peak P bytes
 * N blocks handed out, M freed, K = N - M, P = peak of the sum of the usable
 * sizes of live blocks. A realloc that moves the block counts as one free and
 * one allocation; one that stays in place counts neither (only its change of
 * usable size). Does nothing without POLE_RT_STATS=1. */
void rt_heap_report(void);

int rt_heap_stats_enabled(void);

/* ---- what compiled code relies on ---------------------------------------
 * Release code allocates and frees small cells inline (src/codegen/func/rc.rs,
 * `alloc_cell` and `free_block`; the constants there must match these, which
 * a unit test checks): blocks of 16, 32, ..., 128 bytes are classes 0..7 of
 * pole_heap_classes; a class's free list is a singly linked list through the
 * blocks' first words; a block's chunk is its address rounded down to
 * POLE_HEAP_CHUNK_BYTES and counts its live blocks. Inline code counts no
 * statistics: it only pushes when pole_heap.flags is 0 (pool mode without
 * POLE_RT_STATS), and the lists it pops are empty otherwise; it calls
 * pole_heap_emptied when a chunk's last block was freed.
 * Offsets in bytes. */
#define POLE_HEAP_CLASS_BYTES 64
#define POLE_HEAP_CLASS_HEAD 0
#define POLE_HEAP_CLASS_NEMPTY 32
#define POLE_HEAP_CHUNK_BYTES (1 << 20)
#define POLE_HEAP_CHUNK_CLASS 0
#define POLE_HEAP_CHUNK_LIVE 32
#define POLE_HEAP_FLAGS 32
void pole_heap_emptied(void *size_class);

#ifdef __cplusplus
}
#endif

#endif /* POLE_ALLOC_H */
