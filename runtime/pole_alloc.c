/* pole_alloc.c - heap allocator of the pole runtime. See pole_alloc.h.
 * C11 + POSIX/glibc, x86-64 Linux, one mutator thread (no locks).
 *
 * Chunks. Memory comes from mmap in chunks of CHUNK_SIZE (1 MiB) aligned to
 * their own size (cut from 32 MiB reservations). The first HDR_SIZE bytes of
 * a chunk are its header; the rest is carved into blocks of one size class.
 * A block's header is found as p & ~(CHUNK_SIZE - 1), so blocks carry no
 * header of their own.
 *
 * Size classes (51): 16, 32, ..., 128, then 4 per doubling (160, 192, 224,
 * 256, 320, ...) up to 224 KiB. Requests up to 1024 bytes find their class
 * by one table lookup, larger ones by a few bit operations.
 *
 * Big blocks (more than 224 KiB) get their own page-granular mapping, also
 * CHUNK_SIZE aligned, so the same lookup finds a header saying "big, S bytes
 * mapped"; the block follows the header. They go back with munmap when freed,
 * grow with mremap.
 *
 * Free lists. The free blocks of a class form one LIFO list linked through
 * the blocks' first word. Allocation pops it, else carves the next block from
 * the class's current chunk; free pushes. Either touches only the block, the
 * class record, the chunk header and the statistics.
 *
 * Giving small-block memory back. Each chunk counts its live blocks, each
 * class its chunks with none. When that reaches a quarter of the class's
 * chunks (and at least `min_empty`, initially 4), a sweep walks the class's
 * free list once, drops the blocks of empty chunks and unmaps those chunks
 * (the current chunk is rewound and madvise'd instead). At least 3/16 of the
 * chunks go each time, so the walk takes at most ~5 steps per block given
 * back; but a step costs a cache miss when the list jumps across the heap
 * (blocks freed in random order), so a sweep first samples the list and
 * gives nothing back when it jumps (the memory stays for reuse). A class
 * that has to map a new chunk after sweeps gave R chunks back sets its
 * min_empty to 2 * max(min_empty, R): a program that frees and rebuilds a
 * large structure over and over pays for unmapping and page faults once,
 * not every round. The fast paths pay one counter in the chunk header.
 *
 * (A variant with one free list per chunk, where giving back is O(1) and
 * needs no sweep, was measured 17-30% slower on binary-trees at depth 20-21:
 * reuse is then no longer LIFO across chunks and the trees' layout decays.)
 *
 * Statistics are counted with POLE_RT_STATS=1 only (the allocation count
 * always, here), which also makes every allocation and free go through this
 * file (MODE_STATS: compiled code's inline pops and pushes count nothing).
 * Live bytes are usable bytes: the class size, the mapping minus the header
 * for big blocks, malloc_usable_size in malloc mode.
 */
#define _GNU_SOURCE
#include "pole_alloc.h"
#include "pole_rt.h"

#include <inttypes.h>
#include <stddef.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define COLD __attribute__((cold, noinline))

#define CHUNK_SIZE ((size_t)1 << 20)
#define CHUNK_MASK (CHUNK_SIZE - 1)
#define HDR_SIZE ((size_t)64) /* chunk header; keeps blocks 64-aligned */
#define PAGE ((size_t)4096)
#define NCLASS 51
#define MAX_CLASS ((size_t)224 << 10) /* largest class; above: big blocks */
#define TABLE_MAX ((size_t)1024)      /* sizes found by table lookup */
#define MAX_REQUEST ((size_t)1 << 46)
#define MIN_EMPTY 4u    /* initial least number of empty chunks for a sweep */
#define MAX_MIN_EMPTY (1u << 30)

#define MODE_MALLOC 1u
#define MODE_NOFREE 2u
/* POLE_RT_STATS=1 in pool mode: every allocation and free goes through the
 * counting functions here. Compiled code frees through rt_heap_free when
 * flags is not 0, and its inline pops find the classes' heads empty: the
 * free lists are kept in stats_heads instead (free_list). */
#define MODE_STATS 4u

typedef struct SizeClass SizeClass;

typedef struct Chunk {
  SizeClass *cls;            /* NULL: a big block */
  size_t map_size;           /* bytes mapped, header included */
  struct Chunk *prev, *next; /* the class's chunks */
  uint32_t live;             /* blocks handed out and not freed */
  uint32_t seen;             /* rt_heap_check: free blocks found */
} Chunk;

_Static_assert(sizeof(Chunk) <= HDR_SIZE, "chunk header too big");

/* One record per class, one cache line; the fast paths use the first four
 * fields (nempty when a chunk turns empty or stops being so). */
struct SizeClass {
  void *head;          /* free list */
  size_t size;         /* block size */
  char *bump;          /* next block to carve in the current chunk */
  char *end;           /* end of the current chunk's blocks (bump == end: none) */
  uint32_t nempty;     /* chunks with no live block (fresh ones included) */
  uint32_t sweep_at;   /* sweep when nempty reaches this */
  Chunk *chunks;       /* all chunks of the class, most recent first */
  uint32_t nchunks;
  uint32_t min_empty;  /* least nempty for a sweep */
  uint32_t cap;        /* blocks per chunk */
  uint32_t released;   /* chunks given back since the last new chunk */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct SizeClass) == 64, "class record is one line");

SizeClass pole_heap_classes[NCLASS]; /* read by compiled code: pole_alloc.h */
static void *stats_heads[NCLASS];     /* the free lists in MODE_STATS */
static uint8_t small_class[TABLE_MAX / 16 + 1]; /* (n + 15) / 16 -> class */

struct PoleHeap {
  uint64_t nalloc, nfree; /* blocks */
  uint64_t live, peak;    /* usable bytes */
  unsigned flags;         /* MODE_*, fixed before the first allocation */
  int stats;
  int ready; /* classes and table set up */
};
struct PoleHeap pole_heap; /* flags read by compiled code: pole_alloc.h */

/* The layout compiled code relies on (pole_alloc.h). */
_Static_assert(sizeof(SizeClass) == POLE_HEAP_CLASS_BYTES, "class size");
_Static_assert(offsetof(SizeClass, head) == POLE_HEAP_CLASS_HEAD, "class head");
_Static_assert(offsetof(SizeClass, nempty) == POLE_HEAP_CLASS_NEMPTY, "class nempty");
_Static_assert(CHUNK_SIZE == POLE_HEAP_CHUNK_BYTES, "chunk size");
_Static_assert(offsetof(Chunk, cls) == POLE_HEAP_CHUNK_CLASS, "chunk class");
_Static_assert(offsetof(Chunk, live) == POLE_HEAP_CHUNK_LIVE, "chunk live");
_Static_assert(offsetof(struct PoleHeap, flags) == POLE_HEAP_FLAGS, "flags");

static _Noreturn COLD void oom(void) { pole_panic("out of memory"); }

static inline Chunk *chunk_of(const void *p) {
  return (Chunk *)((uintptr_t)p & ~(uintptr_t)CHUNK_MASK);
}

static inline char *first_block(Chunk *c) { return (char *)c + HDR_SIZE; }

/* The chunk being carved, NULL before the class's first one. */
static inline Chunk *current(const SizeClass *k) {
  return k->end ? chunk_of(k->end - 1) : NULL;
}

/* ---- statistics ----------------------------------------------------------- */

/* The byte counts and frees are kept only for POLE_RT_STATS=1 (nothing
 * else reads them); nalloc always here (rt_heap_init: whether blocks exist;
 * every block is carved here first), but compiled code's inline pops do not
 * count it: exact only with stats, when no pop is inline (MODE_STATS). */
static inline void count_alloc(size_t u) {
  pole_heap.nalloc++;
  if (!pole_heap.stats) return;
  pole_heap.live += u;
  if (pole_heap.live > pole_heap.peak) pole_heap.peak = pole_heap.live;
}

static inline void count_free(size_t u) {
  if (!pole_heap.stats) return;
  pole_heap.nfree++;
  pole_heap.live -= u;
}

/* A block resized in place: only its bytes change. */
static inline void count_resize(size_t old, size_t u) {
  if (!pole_heap.stats) return;
  pole_heap.live = pole_heap.live - old + u;
  if (pole_heap.live > pole_heap.peak) pole_heap.peak = pole_heap.live;
}

/* ---- size classes ---------------------------------------------------------- */

/* 1 <= n <= MAX_CLASS. */
static unsigned class_index(size_t n) {
  if (n <= 128) return (unsigned)((n - 1) >> 4);
  /* 2^b <= n-1 < 2^(b+1): the four classes of this doubling are
   * 2^b + j * 2^(b-2), j = 1..4. */
  size_t m = n - 1;
  unsigned b = 63u - (unsigned)__builtin_clzll(m);
  return 8 + (b - 7) * 4 + (unsigned)((m >> (b - 2)) & 3);
}

static size_t class_size(unsigned c) {
  if (c < 8) return 16 * ((size_t)c + 1);
  return (size_t)(5 + (c - 8) % 4) << ((c - 8) / 4 + 5);
}

static void setup(void) {
  for (unsigned c = 0; c < NCLASS; c++) {
    SizeClass *k = &pole_heap_classes[c];
    k->size = class_size(c);
    k->cap = (uint32_t)((CHUNK_SIZE - HDR_SIZE) / k->size);
    k->min_empty = MIN_EMPTY;
    k->sweep_at = MIN_EMPTY;
  }
  for (size_t i = 0; i < sizeof small_class; i++)
    small_class[i] = (uint8_t)class_index(i ? i * 16 : 1);
  pole_heap.ready = 1;
}

static int env_is_1(const char *name) {
  const char *v = getenv(name);
  return v != NULL && strcmp(v, "1") == 0;
}

void rt_heap_init(void) {
  if (pole_heap.nalloc == 0) { /* else blocks exist: keep the mode they came from */
    pole_heap.stats = env_is_1("POLE_RT_STATS");
    pole_heap.flags = (env_is_1("POLE_RT_MALLOC") ? MODE_MALLOC : 0) |
                      (env_is_1("POLE_RT_NOFREE") ? MODE_NOFREE : 0) |
                      (pole_heap.stats ? MODE_STATS : 0);
  }
  if (!pole_heap.ready) setup();
}

int rt_heap_stats_enabled(void) { return pole_heap.stats; }

void rt_heap_report(void) {
  if (!pole_heap.stats) return;
  fprintf(stderr, "pole-rt: allocated %" PRIu64 ", freed %" PRIu64 ", live %" PRIu64
          ", peak %" PRIu64 " bytes\n",
          pole_heap.nalloc, pole_heap.nfree, pole_heap.nalloc - pole_heap.nfree, pole_heap.peak);
}

/* ---- mappings -------------------------------------------------------------- */

/* size bytes (a multiple of PAGE) aligned to CHUNK_SIZE, or NULL: map a
 * chunk more and trim. */
static void *map_aligned_to(size_t size, size_t align) {
  char *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return NULL;
  char *a = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
  char *end = p + size + align;
  if (a > p) munmap(p, (size_t)(a - p));
  if (end > a + size) munmap(a + size, (size_t)(end - (a + size)));
  return a;
}

static void *map_aligned(size_t size) { return map_aligned_to(size, CHUNK_SIZE); }

/* Chunks are cut from reservations of RESERVE_SIZE (mapped but untouched, so
 * they cost address space only): one mmap per 32 chunks, and neighbouring
 * chunks share one kernel mapping until some are given back. */
#define RESERVE_SIZE ((size_t)32 << 20)
static char *reserve_next, *reserve_end; /* CHUNK_SIZE aligned */

static Chunk *map_chunk(void) {
  if (reserve_next == reserve_end) {
    char *r = map_aligned(RESERVE_SIZE);
    if (r == NULL) return map_aligned(CHUNK_SIZE); /* address space is tight */
    reserve_next = r;
    reserve_end = r + RESERVE_SIZE;
  }
  char *c = reserve_next;
  reserve_next += CHUNK_SIZE;
  return (Chunk *)c;
}

static size_t big_map_size(size_t n) { return (n + HDR_SIZE + PAGE - 1) & ~(PAGE - 1); }

/* ---- malloc mode ----------------------------------------------------------- */

/* Exactly n bytes asked, so valgrind flags the first byte past them. */
static void *sys_alloc(size_t n) {
  void *p;
  if (posix_memalign(&p, 16, n) != 0) oom();
  count_alloc(malloc_usable_size(p));
  return p;
}

static void *sys_realloc(void *p, size_t n) {
  size_t old = malloc_usable_size(p);
  if (pole_heap.flags & MODE_NOFREE) { /* the old block must stay valid */
    void *q = sys_alloc(n);
    memcpy(q, p, old < n ? old : n);
    count_free(old);
    return q;
  }
  void *q = realloc(p, n);
  if (q == NULL) oom();
  if ((uintptr_t)q & 15) { /* glibc keeps 16; do not rely on it */
    void *r;
    if (posix_memalign(&r, 16, n) != 0) oom();
    memcpy(r, q, old < n ? old : n);
    free(q);
    q = r;
  }
  size_t u = malloc_usable_size(q);
  if (q == p) {
    count_resize(old, u);
  } else {
    count_free(old);
    count_alloc(u);
  }
  return q;
}

/* ---- allocation ------------------------------------------------------------ */

static void *carve(SizeClass *k, size_t n);

/* Block p of class k is handed out. */
static inline void take(SizeClass *k, void *p) {
  size_t size = k->size; /* read before the stores below, which may alias it */
  Chunk *c = chunk_of(p);
  count_alloc(size);
  if (UNLIKELY(c->live++ == 0)) k->nempty--;
}

/* Class k's free list: where compiled code pops and pushes inline, but in
 * MODE_STATS (where it must not) a list of its own, which only the slow
 * paths (refill, free_special) and the sweeps use. */
static inline void **free_list(SizeClass *k) {
  return UNLIKELY(pole_heap.flags & MODE_STATS) ? &stats_heads[k - pole_heap_classes] : &k->head;
}

/* k's free list is empty: in MODE_STATS the blocks freed are on its list of
 * its own; else (or if that is empty too) carve one. */
static void *refill(SizeClass *k, size_t n) {
  if (UNLIKELY(pole_heap.flags & MODE_STATS)) {
    void **head = free_list(k);
    void *p = *head;
    if (p != NULL) {
      *head = *(void **)p;
      take(k, p);
      return p;
    }
  }
  return carve(k, n);
}

static inline void *pop(SizeClass *k, size_t n) {
  void *p = k->head;
  if (UNLIKELY(p == NULL)) return refill(k, n);
  k->head = *(void **)p;
  take(k, p);
  return p;
}

/* Sweep when a quarter of the chunks are empty, and at least min_empty. */
static void set_sweep_at(SizeClass *k) {
  uint32_t q = k->nchunks / 4;
  k->sweep_at = q > k->min_empty ? q : k->min_empty;
}

/* The class's chunk is used up (or there is none yet, or the heap is not set
 * up, or it is in malloc mode: all of these leave bump == end). */
static COLD void *new_chunk(SizeClass *k, size_t n) {
  if (!pole_heap.ready) { /* rt_heap_init was not called: pool mode */
    setup();
    return rt_heap_alloc(n);
  }
  if (pole_heap.flags & MODE_MALLOC) return sys_alloc(n);
  Chunk *c = map_chunk();
  if (c == NULL) oom();
  c->cls = k;
  c->map_size = CHUNK_SIZE;
  c->live = 0;
  c->prev = NULL;
  c->next = k->chunks;
  if (k->chunks) k->chunks->prev = c;
  k->chunks = c;
  k->nchunks++;
  k->nempty++; /* live == 0 until carve */
  k->bump = first_block(c);
  k->end = k->bump + (size_t)k->cap * k->size;
  if (k->released) { /* we gave memory back too early: wait longer next time */
    uint32_t m = k->min_empty > k->released ? k->min_empty : k->released;
    k->min_empty = m < MAX_MIN_EMPTY ? 2 * m : MAX_MIN_EMPTY;
    k->released = 0;
  }
  set_sweep_at(k);
  return carve(k, n);
}

static void *carve(SizeClass *k, size_t n) {
  char *p = k->bump;
  if (UNLIKELY(p == k->end)) return new_chunk(k, n);
  k->bump = p + k->size;
  take(k, p);
  return p;
}

/* Big blocks of at least this many bytes are backed by huge pages where the
 * kernel allows (fewer page faults: a growing hash table touches each new
 * table at once). */
#define HUGE_MIN ((size_t)2 << 20)

static COLD void *big_alloc(size_t n) {
  size_t s = big_map_size(n);
  Chunk *c = s >= HUGE_MIN ? map_aligned_to(s, HUGE_MIN) : map_aligned(s);
  if (c == NULL) oom();
#ifdef MADV_HUGEPAGE
  if (s >= HUGE_MIN) madvise(c, s, MADV_HUGEPAGE);
#endif
  c->cls = NULL;
  c->map_size = s;
  count_alloc(s - HDR_SIZE);
  return first_block(c);
}

/* Requests above the table: classes by bit operations, big blocks, limits. */
static void *alloc_large(size_t n) {
  if (UNLIKELY(n > MAX_REQUEST)) oom();
  if (n > MAX_CLASS) return (pole_heap.flags & MODE_MALLOC) ? sys_alloc(n) : big_alloc(n);
  return pop(&pole_heap_classes[class_index(n)], n);
}

/* Always inlined where the runtime calls it (pole_rt.c includes this file);
 * the header's plain declaration keeps this an external definition too. */
__attribute__((always_inline)) inline void *rt_heap_alloc(size_t n) {
  if (UNLIKELY(n > TABLE_MAX)) return alloc_large(n);
  return pop(&pole_heap_classes[small_class[(n + 15) >> 4]], n);
}

/* ---- freeing --------------------------------------------------------------- */

static void unlink_chunk(SizeClass *k, Chunk *c) {
  if (c->prev) c->prev->next = c->next;
  else k->chunks = c->next;
  if (c->next) c->next->prev = c->prev;
}

/* Does a step from free block p to q stay near (cheap for a walk)? */
static inline int near(const SizeClass *k, const char *p, const char *q) {
  size_t d = p > q ? (size_t)(p - q) : (size_t)(q - p);
  return d <= PAGE || d <= 2 * k->size;
}

/* Would a walk of k's free list be cheap? Frees in allocation order (a tree
 * or list dying) leave a list whose steps mostly go to a nearby block; frees
 * in random order (a sorted list, a map) leave one that jumps across the heap,
 * where every step of a walk is a cache miss: 0.8 us per block given back,
 * measured, ten times the work of allocating and freeing it. Judged by the
 * most recent SAMPLE steps. */
#define SAMPLE 1024
static int walk_is_cheap(const SizeClass *k) {
  unsigned steps = 0, nearby = 0;
  for (char *p = *free_list((SizeClass *)k), *q; p != NULL && (q = *(char **)p) != NULL && steps < SAMPLE; p = q) {
    steps++;
    nearby += near(k, p, q);
  }
  return 2 * nearby >= steps;
}

/* Drops from the free list the blocks of chunks with no live block and gives
 * those chunks back. See the top of the file for when this runs. */
static COLD void sweep(SizeClass *k) {
  if (!walk_is_cheap(k)) {
    /* Keep the memory for reuse; look again when twice as many chunks are
     * empty (the look costs up to SAMPLE cache misses). */
    k->sweep_at = k->nempty < MAX_MIN_EMPTY ? 2 * k->nempty : MAX_MIN_EMPTY;
    return;
  }
  void **link = free_list(k); /* survivors relinked in their (LIFO) order */
  size_t steps = 0, far = 0;
  for (char *p = *link; p != NULL;) {
    char *next = *(char **)p;
    if (chunk_of(p)->live != 0) {
      *link = p;
      link = (void **)p;
    }
    steps++;
    far += next != NULL && !near(k, p, next);
    p = next;
  }
  *link = NULL;
  /* Beyond the sample the list was random after all: wait longer next time. */
  if (2 * far > steps && k->min_empty < MAX_MIN_EMPTY) k->min_empty *= 2;

  Chunk *cur = current(k);
  for (Chunk *c = k->chunks, *next; c != NULL; c = next) {
    next = c->next;
    if (c->live != 0) continue;
    if (c != cur) {
      unlink_chunk(k, c);
      munmap(c, CHUNK_SIZE);
      k->nchunks--;
      k->nempty--;
      k->released++;
      continue;
    }
    /* Rewind the current chunk (it stays counted empty); drop its pages but
     * the header's. */
    char *from = (char *)c + PAGE;
    char *to = (char *)(((uintptr_t)k->bump + PAGE - 1) & ~(uintptr_t)(PAGE - 1));
    if (to > from) {
      madvise(from, (size_t)(to - from), MADV_DONTNEED);
      k->released++;
    }
    k->bump = first_block(c);
  }
  set_sweep_at(k);
}

/* Compiled code freed a block inline and its chunk became empty. */
void pole_heap_emptied(void *cls) {
  SizeClass *k = cls;
  if (++k->nempty >= k->sweep_at) sweep(k);
}

static void big_free(Chunk *c) {
  count_free(c->map_size - HDR_SIZE);
  munmap(c, c->map_size);
}

/* Pool mode's free of small block p of chunk c, class k, onto the list at
 * head. */
static inline void pool_free(Chunk *c, SizeClass *k, void *p, void **head) {
  count_free(k->size);
  *(void **)p = *head;
  *head = p;
  if (UNLIKELY(--c->live == 0) && ++k->nempty >= k->sweep_at) sweep(k);
}

/* Malloc mode, no-free mode, or counting pool mode (MODE_STATS). */
static COLD void free_special(void *p) {
  if (pole_heap.flags & MODE_MALLOC) {
    count_free(malloc_usable_size(p));
    if (!(pole_heap.flags & MODE_NOFREE)) free(p);
    return;
  }
  if (pole_heap.flags & MODE_NOFREE) {
    count_free(rt_heap_usable(p));
    return;
  }
  Chunk *c = chunk_of(p);
  SizeClass *k = c->cls;
  if (k == NULL) {
    big_free(c);
    return;
  }
  pool_free(c, k, p, free_list(k));
}

__attribute__((always_inline)) inline void rt_heap_free(void *p) {
  if (UNLIKELY(pole_heap.flags != 0)) {
    free_special(p);
    return;
  }
  Chunk *c = chunk_of(p);
  SizeClass *k = c->cls;
  if (UNLIKELY(k == NULL)) {
    big_free(c);
    return;
  }
  pool_free(c, k, p, &k->head);
}

/* ---- sizes and realloc ------------------------------------------------------ */

size_t rt_heap_usable(const void *p) {
  if (pole_heap.flags & MODE_MALLOC) return malloc_usable_size((void *)p);
  const Chunk *c = chunk_of(p);
  return c->cls ? c->cls->size : c->map_size - HDR_SIZE;
}

static void *move_block(void *p, size_t u, size_t n) {
  void *q = rt_heap_alloc(n);
  memcpy(q, p, u < n ? u : n);
  rt_heap_free(p);
  return q;
}

/* A big block that stays big (n > MAX_CLASS). */
static void *big_resize(Chunk *c, size_t n) {
  size_t old = c->map_size, s = big_map_size(n);
  if (s <= old) {
    if (s < old) munmap((char *)c + s, old - s);
    c->map_size = s;
    count_resize(old - HDR_SIZE, s - HDR_SIZE);
    return first_block(c);
  }
  /* In place when the pages after the block are free. */
  if (mremap(c, old, s, 0) != MAP_FAILED) {
    c->map_size = s;
    count_resize(old - HDR_SIZE, s - HDR_SIZE);
    return first_block(c);
  }
  if (!(pole_heap.flags & MODE_NOFREE)) {
    /* Move the pages, not the bytes, into a fresh aligned range. */
    Chunk *d = map_aligned(s);
    if (d == NULL) oom();
    if (mremap(c, old, s, MREMAP_MAYMOVE | MREMAP_FIXED, d) != MAP_FAILED) {
      d->map_size = s;
      count_free(old - HDR_SIZE);
      count_alloc(s - HDR_SIZE);
      return first_block(d);
    }
    munmap(d, s);
  }
  return move_block(first_block(c), old - HDR_SIZE, n);
}

void *rt_heap_realloc(void *p, size_t n) {
  if (UNLIKELY(n > MAX_REQUEST)) oom();
  if (n == 0) n = 1;
  if (pole_heap.flags & MODE_MALLOC) return sys_realloc(p, n);
  Chunk *c = chunk_of(p);
  if (c->cls == NULL && n > MAX_CLASS) return big_resize(c, n);
  size_t u = rt_heap_usable(p);
  /* Stay when it fits and uses at least half the block (or its class is
   * this one anyway); shrink further by moving. */
  if (n <= u && (2 * n >= u || class_size(class_index(n)) == u)) return p;
  return move_block(p, u, n);
}

/* ---- consistency check (tests only) ------------------------------------------ */

#ifdef POLE_ALLOC_CHECK
/* Aborts unless every class's chunks, counters and free list agree: each
 * chunk's live blocks plus its free blocks are exactly the blocks carved. */
void rt_heap_check(void);

static COLD _Noreturn void check_failed(unsigned cls, const char *what) {
  fprintf(stderr, "rt_heap_check: class %u: %s\n", cls, what);
  abort();
}

void rt_heap_check(void) {
  if (!pole_heap.ready || (pole_heap.flags & MODE_MALLOC)) return;
  for (unsigned i = 0; i < NCLASS; i++) {
    SizeClass *k = &pole_heap_classes[i];
    Chunk *cur = current(k);
    uint32_t nchunks = 0, nempty = 0;
    for (Chunk *c = k->chunks, *prev = NULL; c != NULL; prev = c, c = c->next) {
      if (c->cls != k || c->prev != prev || ((uintptr_t)c & CHUNK_MASK) != 0)
        check_failed(i, "bad chunk list");
      if (c == cur) cur = NULL; /* found */
      c->seen = 0;
      nchunks++;
      nempty += c->live == 0;
    }
    if (cur != NULL) check_failed(i, "current chunk not in the list");
    if (nchunks != k->nchunks) check_failed(i, "nchunks");
    if (nempty != k->nempty) check_failed(i, "nempty");
    cur = current(k);
    uint64_t nfree = 0;
    for (char *p = *free_list(k); p != NULL; p = *(char **)p) {
      Chunk *c = chunk_of(p);
      size_t off = (size_t)(p - first_block(c));
      if (c->cls != k || off % k->size != 0 || off / k->size >= k->cap)
        check_failed(i, "free block outside the class's blocks");
      if (c == cur && p >= k->bump) check_failed(i, "free block not carved yet");
      if (++nfree > (uint64_t)nchunks * k->cap) check_failed(i, "free list cycle");
      c->seen++;
    }
    for (Chunk *c = k->chunks; c != NULL; c = c->next) {
      uint64_t n = c == cur ? (size_t)(k->bump - first_block(c)) / k->size : k->cap;
      if ((uint64_t)c->live + c->seen != n) check_failed(i, "live + free != carved");
    }
  }
}
#endif
