/* alloc_test.c - tests of the runtime's heap allocator (pole_alloc.c).
 * Standalone: built with pole_alloc.c only (see alloc_test.sh).
 *
 *   alloc_test          all checks, in the mode the environment selects
 *   alloc_test quick    the same with small sizes (valgrind, no-free mode)
 *   alloc_test stats    a fixed sequence, then rt_heap_report
 *   alloc_test noinit   allocation without rt_heap_init
 *   alloc_test oom WHAT out of memory (expects exit 101): WHAT is huge (a
 *                       request above 2^46), realloc (the same by realloc),
 *                       small or big (until mmap/malloc fails under a
 *                       256 MiB address-space limit)
 *   alloc_test overrun  writes one byte past a block (valgrind must object)
 *   alloc_test release  small blocks' memory goes back (pool mode, fresh process)
 *   alloc_test bench    ns per alloc+free, pole vs glibc malloc
 */
#define _GNU_SOURCE
#include "pole_alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Compiled in with -DPOLE_ALLOC_CHECK: aborts if the heap's lists and
 * counters disagree (no-op in malloc mode). */
void rt_heap_check(void);

_Noreturn void pole_panic(const char *msg) {
  fflush(stdout);
  fprintf(stderr, "pole: runtime error: %s\n", msg);
  exit(101);
}

static int failures;
#define CHECK(cond, ...)                                              \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "FAIL line %d: ", __LINE__);                    \
      fprintf(stderr, __VA_ARGS__);                                   \
      fputc('\n', stderr);                                            \
      if (++failures > 20) exit(1);                                   \
    }                                                                 \
  } while (0)

static int pool;  /* pool mode: exact usable sizes, RSS behaviour */
static int quick; /* smaller sizes and counts */
static int nofree;

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

#define MAX_CLASS ((size_t)229376)

/* Pool-mode usable size, written independently of pole_alloc.c: multiples
 * of 16 to 128, then a quarter of the doubling's base, then whole pages. */
static size_t expect_usable(size_t n) {
  if (n <= 128) return (n + 15) & ~(size_t)15;
  if (n <= MAX_CLASS) {
    size_t s = 128;
    while (n > 2 * s) s *= 2;
    size_t q = s / 4;
    return (n + q - 1) / q * q;
  }
  return ((n + 64 + 4095) & ~(size_t)4095) - 64;
}

/* ---- contents pattern: byte i depends only on (seed, i), so any prefix of a
 * filled block checks against the same seed. ---------------------------------- */

static inline uint64_t pat(uint64_t seed, size_t w) {
  uint64_t x = (seed + w) * 0x9E3779B97F4A7C15ull;
  return x ^ (x >> 29);
}

static void fill(void *p, size_t n, uint64_t seed) {
  unsigned char *b = p;
  size_t w = 0;
  for (; 8 * w + 8 <= n; w++) {
    uint64_t x = pat(seed, w);
    memcpy(b + 8 * w, &x, 8);
  }
  uint64_t x = pat(seed, w);
  memcpy(b + 8 * w, &x, n - 8 * w);
}

static int intact(const void *p, size_t n, uint64_t seed) {
  const unsigned char *b = p;
  size_t w = 0;
  for (; 8 * w + 8 <= n; w++) {
    uint64_t x = pat(seed, w);
    if (memcmp(b + 8 * w, &x, 8) != 0) return 0;
  }
  uint64_t x = pat(seed, w);
  return memcmp(b + 8 * w, &x, n - 8 * w) == 0;
}

static size_t rss_bytes(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, res = 0;
  if (f) {
    if (fscanf(f, "%lu %lu", &size, &res) != 2) res = 0;
    fclose(f);
  }
  return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One allocation checked for alignment, size and writability. */
static void *checked_alloc(size_t n) {
  void *p = rt_heap_alloc(n);
  size_t u = rt_heap_usable(p);
  CHECK(((uintptr_t)p & 15) == 0, "alloc(%zu) = %p not 16-aligned", n, p);
  CHECK(u >= n, "alloc(%zu): usable %zu", n, u);
  if (pool) CHECK(u == expect_usable(n), "alloc(%zu): usable %zu, want %zu", n, u, expect_usable(n));
  return p;
}

/* ---- class boundaries --------------------------------------------------------- */

static void test_classes(void) {
  /* Every size up to 4 KiB, then both sides of every class boundary. */
  size_t sizes[4096 + 3 * 64 + 16];
  size_t ns = 0;
  for (size_t n = 1; n <= 4096; n++) sizes[ns++] = n;
  for (size_t s = 4096; s <= MAX_CLASS; s = expect_usable(s + 1)) {
    sizes[ns++] = s - 1;
    sizes[ns++] = s;
    sizes[ns++] = s + 1;
  }
  size_t big[] = {(size_t)256 << 10, ((size_t)256 << 10) - 64, ((size_t)256 << 10) - 63,
                  (size_t)1 << 20, ((size_t)1 << 20) + 1, ((size_t)3 << 20) + 12345};
  size_t nbig = quick ? 3 : sizeof big / sizeof big[0];
  for (size_t i = 0; i < nbig; i++) sizes[ns++] = big[i];

  for (size_t i = 0; i < ns; i++) {
    size_t n = sizes[i];
    /* Three at once: distinct, and each fully writable without hurting the others. */
    void *p[3];
    size_t u[3];
    for (int j = 0; j < 3; j++) {
      p[j] = checked_alloc(n);
      u[j] = rt_heap_usable(p[j]);
      fill(p[j], u[j], n * 3 + (size_t)j);
    }
    for (int j = 0; j < 3; j++) {
      CHECK(intact(p[j], u[j], n * 3 + (size_t)j), "size %zu: block %d overwritten", n, j);
      for (int k = 0; k < j; k++) {
        const char *a = p[j], *b = p[k];
        CHECK(a + u[j] <= b || b + u[k] <= a, "size %zu: blocks overlap", n);
      }
    }
    for (int j = 0; j < 3; j++) rt_heap_free(p[j]);
  }
}

/* ---- realloc -------------------------------------------------------------------- */

static void test_realloc(void) {
  static const size_t sizes[] = {1, 15, 16, 17, 48, 100, 128, 129, 1000, 1024, 1025, 5000,
                                 70000, MAX_CLASS, MAX_CLASS + 1, 300000, (size_t)1 << 20,
                                 (size_t)5 << 20};
  size_t count = sizeof sizes / sizeof sizes[0] - (quick ? 2 : 0);
  uint64_t seed = 1;
  for (size_t a = 0; a < count; a++) {
    for (size_t b = 0; b < count; b++) {
      size_t na = sizes[a], nb = sizes[b];
      void *p = checked_alloc(na);
      fill(p, na, seed);
      void *q = rt_heap_realloc(p, nb);
      CHECK(((uintptr_t)q & 15) == 0, "realloc %zu -> %zu: misaligned", na, nb);
      CHECK(rt_heap_usable(q) >= nb, "realloc %zu -> %zu: usable %zu", na, nb, rt_heap_usable(q));
      CHECK(intact(q, na < nb ? na : nb, seed), "realloc %zu -> %zu: contents lost", na, nb);
      fill(q, nb, seed + 1);
      CHECK(intact(q, nb, seed + 1), "realloc %zu -> %zu: not writable", na, nb);
      rt_heap_free(q);
      seed += 2;
    }
  }

  /* Room already there: the block stays. */
  if (pool) {
    void *p = rt_heap_alloc(20); /* usable 32 */
    CHECK(rt_heap_realloc(p, 32) == p, "realloc within usable moved");
    CHECK(rt_heap_realloc(p, 17) == p, "realloc within class moved");
    void *q = rt_heap_realloc(p, 2);
    CHECK(q != p && rt_heap_usable(q) == 16, "realloc to a half-size class stayed");
    rt_heap_free(q);
    p = rt_heap_alloc((size_t)2 << 20);
    CHECK(rt_heap_realloc(p, ((size_t)1 << 20) + 1) == p, "big shrink moved");
    CHECK(rt_heap_usable(p) == expect_usable(((size_t)1 << 20) + 1), "big shrink: usable %zu",
          rt_heap_usable(p));
    rt_heap_free(p);
  }

  /* A growing buffer, as lists grow: contents kept at every step. */
  size_t limit = quick ? (size_t)4 << 20 : (size_t)64 << 20;
  size_t n = 1;
  char *p = rt_heap_alloc(n);
  fill(p, n, 77);
  while (n < limit) {
    size_t m = n + n / 2 + 7;
    p = rt_heap_realloc(p, m);
    CHECK(intact(p, n, 77), "growing realloc %zu -> %zu: contents lost", n, m);
    fill(p, m, 77);
    n = m;
  }
  while (n > 1) { /* and shrinking */
    size_t m = n / 3 + 1 < n ? n / 3 + 1 : 1;
    p = rt_heap_realloc(p, m);
    CHECK(intact(p, m, 77), "shrinking realloc %zu -> %zu: contents lost", n, m);
    n = m;
  }
  rt_heap_free(p);
}

/* ---- randomized stress against a shadow table ------------------------------------- */

typedef struct {
  char *p;
  size_t n;
  uint64_t seed;
} Slot;

/* Mostly small, some medium, a few big (classes with few blocks per chunk
 * and big blocks get their share of churn). */
static size_t random_size(void) {
  uint64_t r = rnd() % 10000;
  if (r < 7000) return 1 + rnd() % 64;
  if (r < 9500) return 65 + rnd() % 960;
  if (r < 9990) return 1025 + rnd() % 64512;
  return 65537 + rnd() % (quick ? 300000 : 1500000);
}

static void test_stress(long ops) {
  enum { SLOTS = 1 << 15 };
  static Slot slot[SLOTS];
  uint64_t seed = 1000;
  int palloc = 70; /* chance (percent) to fill an empty slot; flips in phases */
  for (long op = 0; op < ops; op++) {
    if (op % 200000 == 0) palloc = palloc == 70 ? 30 : 70;
    if (op % 25000 == 0) rt_heap_check();
    Slot *s = &slot[rnd() % SLOTS];
    if (s->p == NULL) {
      if ((int)(rnd() % 100) >= palloc) continue;
      s->n = random_size();
      s->seed = seed++;
      s->p = checked_alloc(s->n);
      fill(s->p, s->n, s->seed);
      continue;
    }
    CHECK(intact(s->p, s->n, s->seed), "stress op %ld: block of %zu overwritten", op, s->n);
    int r = (int)(rnd() % 100);
    if (r < 100 - palloc) {
      rt_heap_free(s->p);
      s->p = NULL;
    } else if (r < 100 - palloc + 15) {
      size_t m = (rnd() & 1) ? random_size() : s->n + rnd() % (s->n + 1);
      if (m == 0) m = 1;
      s->p = rt_heap_realloc(s->p, m);
      CHECK(((uintptr_t)s->p & 15) == 0 && rt_heap_usable(s->p) >= m, "stress realloc to %zu", m);
      CHECK(intact(s->p, s->n < m ? s->n : m, s->seed), "stress op %ld: realloc %zu -> %zu lost",
            op, s->n, m);
      s->n = m;
      s->seed = seed++;
      fill(s->p, s->n, s->seed);
    } else {
      s->seed = seed++;
      fill(s->p, s->n, s->seed);
    }
  }
  for (int i = 0; i < SLOTS; i++) {
    if (slot[i].p == NULL) continue;
    CHECK(intact(slot[i].p, slot[i].n, slot[i].seed), "stress end: slot %d overwritten", i);
    rt_heap_free(slot[i].p);
    slot[i].p = NULL;
  }
}

/* Many blocks of one class freed in random order while new ones come:
 * drives the sweeps that give chunks back. */
static void test_scattered_free(size_t count, size_t lo, size_t hi) {
  Slot *s = calloc(count, sizeof *s);
  Slot *extra = calloc(count / 8 + 1, sizeof *extra);
  size_t nextra = 0;
  if (s == NULL || extra == NULL) { fprintf(stderr, "calloc failed\n"); exit(1); }
  for (size_t i = 0; i < count; i++) {
    s[i].n = lo + rnd() % (hi - lo + 1);
    s[i].seed = i * 7 + 3;
    s[i].p = rt_heap_alloc(s[i].n);
    fill(s[i].p, s[i].n, s[i].seed);
  }
  for (size_t i = count - 1; i > 0; i--) { /* shuffle */
    size_t j = rnd() % (i + 1);
    Slot t = s[i];
    s[i] = s[j];
    s[j] = t;
  }
  size_t nfree = count - count / 10;
  for (size_t i = 0; i < nfree; i++) {
    CHECK(intact(s[i].p, s[i].n, s[i].seed), "scattered: block overwritten before free");
    rt_heap_free(s[i].p);
    if (i % 10 == 9) {
      Slot *e = &extra[nextra++];
      e->n = lo + rnd() % (hi - lo + 1);
      e->seed = ~(uint64_t)i;
      e->p = rt_heap_alloc(e->n);
      fill(e->p, e->n, e->seed);
    }
  }
  rt_heap_check();
  for (size_t i = nfree; i < count; i++) {
    CHECK(intact(s[i].p, s[i].n, s[i].seed), "scattered: survivor overwritten");
    rt_heap_free(s[i].p);
  }
  for (size_t i = 0; i < nextra; i++) {
    CHECK(intact(extra[i].p, extra[i].n, extra[i].seed), "scattered: new block overwritten");
    rt_heap_free(extra[i].p);
  }
  free(s);
  free(extra);
  rt_heap_check();
}

/* Blocks freed in allocation order (so sweeps run and give chunks back), some
 * chunks keeping scattered survivors, with new blocks taken meanwhile. */
static void test_ordered_free(size_t count) {
  Slot *s = calloc(count, sizeof *s);
  Slot *extra = calloc(count / 16 + 1, sizeof *extra);
  size_t nextra = 0;
  if (s == NULL || extra == NULL) { fprintf(stderr, "calloc failed\n"); exit(1); }
  for (size_t i = 0; i < count; i++) {
    s[i].n = 33 + rnd() % 16;
    s[i].seed = i * 5 + 1;
    s[i].p = rt_heap_alloc(s[i].n);
    fill(s[i].p, s[i].n, s[i].seed);
  }
  for (size_t i = 0; i < count; i++) {
    if ((i / 20000) % 3 == 1 && i % 7 == 0) continue; /* survivor */
    CHECK(intact(s[i].p, s[i].n, s[i].seed), "ordered: block overwritten before free");
    rt_heap_free(s[i].p);
    s[i].p = NULL;
    if (i % 16 == 15) {
      Slot *e = &extra[nextra++];
      e->n = 33 + rnd() % 16;
      e->seed = ~(uint64_t)i;
      e->p = rt_heap_alloc(e->n);
      fill(e->p, e->n, e->seed);
    }
    if (i % 100000 == 0) rt_heap_check();
  }
  rt_heap_check();
  for (size_t i = 0; i < count; i++) {
    if (s[i].p == NULL) continue;
    CHECK(intact(s[i].p, s[i].n, s[i].seed), "ordered: survivor overwritten");
    rt_heap_free(s[i].p);
  }
  for (size_t i = 0; i < nextra; i++) {
    CHECK(intact(extra[i].p, extra[i].n, extra[i].seed), "ordered: new block overwritten");
    rt_heap_free(extra[i].p);
  }
  free(s);
  free(extra);
  rt_heap_check();
}

/* ---- memory goes back / gets reused -------------------------------------------------- */

static void test_big_rss(void) {
  enum { N = 100 };
  void *p[N];
  size_t r0 = rss_bytes();
  for (int i = 0; i < N; i++) {
    p[i] = rt_heap_alloc((size_t)1 << 20);
    memset(p[i], i, (size_t)1 << 20);
  }
  size_t r1 = rss_bytes();
  for (int i = 0; i < N; i++) rt_heap_free(p[i]);
  size_t r2 = rss_bytes();
  printf("big blocks: RSS %zu MB -> %zu MB after 100 MB -> %zu MB after freeing\n", r0 >> 20,
         r1 >> 20, r2 >> 20);
  CHECK(r1 >= r0 + ((size_t)90 << 20), "big blocks: RSS grew only %zu -> %zu", r0, r1);
  CHECK(r2 <= r0 + ((size_t)4 << 20), "big blocks: RSS %zu after freeing (was %zu)", r2, r0);
}

static void test_reuse(void) {
  enum { N = 1000000 };
  void **p = malloc(N * sizeof *p);
  if (p == NULL) exit(1);
  for (int i = 0; i < N; i++) {
    p[i] = rt_heap_alloc(48);
    memset(p[i], 1, 48);
  }
  size_t ra = rss_bytes();
  for (int i = 0; i < N; i++) rt_heap_free(p[i]);
  size_t rf = rss_bytes();
  for (int i = 0; i < N; i++) {
    p[i] = rt_heap_alloc(48);
    memset(p[i], 2, 48);
  }
  size_t rb = rss_bytes();
  for (int i = 0; i < N; i++) rt_heap_free(p[i]);
  size_t rc = rss_bytes();
  free(p);
  printf("10^6 x 48 bytes: RSS %zu MB, %zu MB freed, %zu MB allocated again, %zu MB freed\n",
         ra >> 20, rf >> 20, rb >> 20, rc >> 20);
  CHECK(rb <= ra + ((size_t)1 << 20), "reuse: RSS grew %zu -> %zu", ra, rb);
}

/* ---- sub-commands ------------------------------------------------------------------- */

/* 10^6 blocks of 48 bytes freed in allocation order: most chunks must go back
 * to the kernel. Then 10^6 of 32 bytes freed in random order: they may stay
 * (a sweep of a list in random order costs too much), reported only. */
static int run_release(void) {
  enum { N = 1000000 };
  rt_heap_init();
  pool = 1;
  void **p = malloc(N * sizeof *p);
  if (p == NULL) return 1;
  memset(p, 1, N * sizeof *p); /* resident before the first measure */
  for (int round = 0; round < 2; round++) {
    size_t size = round == 0 ? 48 : 32;
    size_t r0 = rss_bytes();
    for (int i = 0; i < N; i++) {
      p[i] = rt_heap_alloc(size);
      memset(p[i], 1, size);
    }
    size_t r1 = rss_bytes();
    if (round == 1) {
      for (int i = N - 1; i > 0; i--) {
        int j = (int)(rnd() % (uint64_t)(i + 1));
        void *t = p[i];
        p[i] = p[j];
        p[j] = t;
      }
    }
    for (int i = 0; i < N; i++) rt_heap_free(p[i]);
    size_t r2 = rss_bytes();
    printf("10^6 x %zu bytes freed in %s order: RSS %zu MB -> %zu MB -> %zu MB\n", size,
           round ? "random" : "allocation", r0 >> 20, r1 >> 20, r2 >> 20);
    if (round == 0)
      CHECK(r2 <= r0 + ((size_t)4 << 20), "release: RSS %zu MB after freeing (was %zu MB)",
            r2 >> 20, r0 >> 20);
  }
  free(p);
  rt_heap_check();
  return failures != 0;
}

/* Expected in pool mode: allocated 6, freed 3, live 3, peak 304208 bytes
 * (48 * 3 + 1024 + 303040 at the peak). */
static int run_stats(void) {
  rt_heap_init();
  void *a = rt_heap_alloc(48), *b = rt_heap_alloc(40), *c = rt_heap_alloc(33);
  void *d = rt_heap_alloc(1000), *e = rt_heap_alloc(300000);
  rt_heap_free(a);
  rt_heap_free(e);
  b = rt_heap_realloc(b, 41);   /* stays: counts nothing */
  c = rt_heap_realloc(c, 2000); /* moves: one free, one allocation */
  rt_heap_report();
  rt_heap_free(b);
  rt_heap_free(c);
  rt_heap_free(d);
  return 0;
}

static int run_noinit(void) {
  pool = 1;
  for (size_t n = 1; n <= 3000; n += 7) rt_heap_free(checked_alloc(n));
  rt_heap_free(checked_alloc((size_t)1 << 20));
  rt_heap_report(); /* stats are off: prints nothing */
  CHECK(!rt_heap_stats_enabled(), "stats enabled without rt_heap_init");
  return failures != 0;
}

/* Both allocators through volatile pointers: the compiler can neither drop
 * malloc/free pairs nor treat the two differently. */
static void *(*volatile alloc_fn)(size_t);
static void (*volatile free_fn)(void *);

static double time_pairs(long n) {
  void *(*a)(size_t) = alloc_fn;
  void (*f)(void *) = free_fn;
  double t = now_ns();
  for (long i = 0; i < n; i++) {
    char *p = a(48);
    p[0] = (char)i;
    f(p);
  }
  return (now_ns() - t) / (double)n;
}

static double time_batches(long rounds) {
  enum { B = 1000 };
  static void *p[B];
  void *(*a)(size_t) = alloc_fn;
  void (*f)(void *) = free_fn;
  double t = now_ns();
  for (long r = 0; r < rounds; r++) {
    for (int i = 0; i < B; i++) {
      p[i] = a(48);
      *(char *)p[i] = (char)i;
    }
    for (int i = 0; i < B; i++) f(p[i]);
  }
  return (now_ns() - t) / (double)(rounds * B);
}

typedef struct Node {
  struct Node *l, *r;
  int64_t v;
} Node;

static Node *tree(int d) {
  Node *n = alloc_fn(sizeof(Node));
  n->v = d;
  n->l = d ? tree(d - 1) : NULL;
  n->r = d ? tree(d - 1) : NULL;
  return n;
}

static void untree(Node *n) {
  if (n->l) untree(n->l);
  if (n->r) untree(n->r);
  free_fn(n);
}

static double time_trees(int depth, int rounds) {
  double t = now_ns();
  for (int r = 0; r < rounds; r++) untree(tree(depth));
  return (now_ns() - t) / ((double)rounds * (double)((2L << depth) - 1));
}

static void use_pole(void) {
  alloc_fn = rt_heap_alloc;
  free_fn = rt_heap_free;
}

static void use_libc(void) {
  alloc_fn = malloc;
  free_fn = free;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int run_bench(void) {
  rt_heap_init();
  enum { ROUNDS = 7 };
  double res[3][2][ROUNDS];
  const char *names[3] = {"48-byte alloc+free pair", "48-byte, batches of 1000",
                          "32-byte tree nodes (depth 18)"};
  for (int r = 0; r < ROUNDS; r++) {
    for (int w = 0; w < 2; w++) { /* interleaved: pole, glibc, pole, glibc, ... */
      (w == 0 ? use_pole : use_libc)();
      res[0][w][r] = time_pairs(20000000);
      res[1][w][r] = time_batches(20000);
      res[2][w][r] = time_trees(18, 10);
    }
  }
  for (int m = 0; m < 3; m++) {
    for (int w = 0; w < 2; w++) qsort(res[m][w], ROUNDS, sizeof(double), cmp_double);
    printf("%-32s ns per alloc+free: pole min %.2f median %.2f | glibc min %.2f median %.2f\n",
           names[m], res[m][0][0], res[m][0][ROUNDS / 2], res[m][1][0], res[m][1][ROUNDS / 2]);
  }
  return 0;
}

static int run_oom(const char *what) {
  rt_heap_init();
  if (strcmp(what, "huge") == 0) rt_heap_alloc(((size_t)1 << 46) + 1);
  if (strcmp(what, "realloc") == 0) rt_heap_realloc(rt_heap_alloc(8), ((size_t)1 << 46) + 1);
  struct rlimit lim = {(rlim_t)256 << 20, (rlim_t)256 << 20};
  if (setrlimit(RLIMIT_AS, &lim) != 0) return 2;
  for (long i = 0; i < 100000000; i++) {
    if (strcmp(what, "small") == 0) memset(rt_heap_alloc(1000), 1, 1000);
    if (strcmp(what, "big") == 0) rt_heap_alloc((size_t)1 << 20);
  }
  fprintf(stderr, "oom %s: no failure\n", what);
  return 1;
}

int main(int argc, char **argv) {
  const char *cmd = argc > 1 ? argv[1] : "";
  const char *m = getenv("POLE_RT_MALLOC"), *nf = getenv("POLE_RT_NOFREE");
  pool = !(m && strcmp(m, "1") == 0);
  nofree = nf && strcmp(nf, "1") == 0;
  if (strcmp(cmd, "stats") == 0) return run_stats();
  if (strcmp(cmd, "noinit") == 0) return run_noinit();
  if (strcmp(cmd, "release") == 0) return run_release();
  if (strcmp(cmd, "bench") == 0) return run_bench();
  if (strcmp(cmd, "oom") == 0) return run_oom(argc > 2 ? argv[2] : "");
  if (strcmp(cmd, "overrun") == 0) {
    rt_heap_init();
    volatile char *p = rt_heap_alloc(20);
    p[20] = 1;
    rt_heap_free((void *)p);
    return 0;
  }
  quick = strcmp(cmd, "quick") == 0;
  const char *seed = getenv("ALLOC_TEST_SEED"); /* another random sequence */
  if (seed && strtoull(seed, NULL, 10) != 0) rng_state = strtoull(seed, NULL, 10);
  rt_heap_init();

  test_classes();
  rt_heap_check();
  test_realloc();
  rt_heap_check();
  test_ordered_free(quick ? 100000 : 1000000); /* first: its class's lists are fresh */
  test_stress(quick ? 200000 : 4000000);
  test_scattered_free(quick ? 50000 : 600000, 33, 48);
  test_scattered_free(quick ? 40 : 400, 160000, 229376); /* 4 blocks per chunk */
  if (!quick && !nofree) {
    if (pool) test_big_rss();
    test_reuse();
  }
  rt_heap_check();
  rt_heap_report(); /* everything was freed: live 0 (with POLE_RT_STATS=1) */
  if (failures) {
    fprintf(stderr, "alloc_test: %d failure(s)\n", failures);
    return 1;
  }
  printf("alloc_test %s: ok\n", pool ? (nofree ? "pool no-free" : "pool") : "malloc");
  return 0;
}
