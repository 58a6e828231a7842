/* pole_rt.c - C runtime library of the pole compiler (Pole IR).
 * See pole_rt.h for the value representation. C11 + POSIX/glibc. */
#define _GNU_SOURCE
#include "pole_rt.h"
#include "pole_alloc.h"
/* The allocator is compiled as part of this file (one translation unit), so
 * its fast paths inline into the object code that calls them. */
#include "pole_alloc.c"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define RT_LIKELY(x) __builtin_expect(!!(x), 1)
#define RT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RT_COLD __attribute__((cold, noinline))

/* ========================================================================== */
/* Errors and tests' escape hatch                                             */
/* ========================================================================== */

/* A running test (pole_run_test) catches runtime errors by jumping back. */
typedef struct TestFrame {
  sigjmp_buf jb;
  const char *volatile msg;
  struct TestFrame *prev;
} TestFrame;

static TestFrame *volatile rt_cur_test = NULL;

/* The message of a runtime error that reports values (formatted here). */
static char rt_msg_buf[1024];

/* ========================================================================== */
/* Which Pole functions are on the stack                                      */
/* ========================================================================== */
/* The compiler emits two tables per object (src/codegen/debug.rs,           */
/* write_frames), gathered by the linker: `pole_funcs` has the code range and */
/* `FILE in FUNCTION` of each Pole function, `pole_calls` the return address  */
/* and `FILE:LINE:COL in FUNCTION` of each call of a Pole function. Pole code */
/* keeps frame pointers, as does this runtime, so the callers of a failing    */
/* operation are found by walking the frame chain and looking up return       */
/* addresses; calls in tail position leave no frame and are not shown.        */
/* Without debug information (--debug-info false) the tables are empty.       */

#define RT_GUARD_SIZE ((size_t)16 << 20) /* PROT_NONE below the stack */

/* Bounds of the Pole thread's stack (guard included); 0 when unknown. */
static uintptr_t rt_stack_lo = 0, rt_stack_hi = 0;

typedef struct {
  uintptr_t start, end;
  const char *name;
} RtFuncEntry;

typedef struct {
  uintptr_t ret;
  const char *loc;
} RtCallEntry;

#ifdef POLE_RT_LOADED
/* Linked into `pole` itself for `pole run` (src/load/): no linker gathers
 * the tables; the loader passes their bounds to pole_rt_run_loaded. */
static RtFuncEntry *rt_funcs_lo = NULL, *rt_funcs_hi = NULL;
static RtCallEntry *rt_calls_lo = NULL, *rt_calls_hi = NULL;
#define RT_FUNCS rt_funcs_lo
#define RT_FUNCS_END rt_funcs_hi
#define RT_CALLS rt_calls_lo
#define RT_CALLS_END rt_calls_hi
#else
extern RtFuncEntry __start_pole_funcs[] __attribute__((weak));
extern RtFuncEntry __stop_pole_funcs[] __attribute__((weak));
extern RtCallEntry __start_pole_calls[] __attribute__((weak));
extern RtCallEntry __stop_pole_calls[] __attribute__((weak));
#define RT_FUNCS __start_pole_funcs
#define RT_FUNCS_END __stop_pole_funcs
#define RT_CALLS __start_pole_calls
#define RT_CALLS_END __stop_pole_calls
#endif

/* The most callers listed; the rest are counted. */
#define RT_MAX_CALLERS 20

static int rt_cmp_funcs(const void *a, const void *b) {
  uintptr_t x = ((const RtFuncEntry *)a)->start, y = ((const RtFuncEntry *)b)->start;
  return (x > y) - (x < y);
}

static int rt_cmp_calls(const void *a, const void *b) {
  uintptr_t x = ((const RtCallEntry *)a)->ret, y = ((const RtCallEntry *)b)->ret;
  return (x > y) - (x < y);
}

static size_t rt_nfuncs(void) {
  const RtFuncEntry *b = RT_FUNCS, *e = RT_FUNCS_END;
  return b != NULL && e > b ? (size_t)(e - b) : 0;
}

static size_t rt_ncalls(void) {
  const RtCallEntry *b = RT_CALLS, *e = RT_CALLS_END;
  return b != NULL && e > b ? (size_t)(e - b) : 0;
}

/* The tables are in the order the linker put them: sorted on first use. */
static void rt_sort_frames(void) {
  static int sorted = 0;
  if (sorted) return;
  sorted = 1;
  if (rt_nfuncs() > 1) qsort(RT_FUNCS, rt_nfuncs(), sizeof(RtFuncEntry), rt_cmp_funcs);
  if (rt_ncalls() > 1) qsort(RT_CALLS, rt_ncalls(), sizeof(RtCallEntry), rt_cmp_calls);
}

/* `FILE in FUNCTION` of the Pole function whose code holds pc, or NULL. */
static const char *rt_func_at(uintptr_t pc) {
  size_t lo = 0, hi = rt_nfuncs();
  while (lo < hi) { /* the first entry starting after pc */
    size_t mid = lo + (hi - lo) / 2;
    if (RT_FUNCS[mid].start <= pc) lo = mid + 1;
    else hi = mid;
  }
  if (lo == 0) return NULL;
  const RtFuncEntry *f = &RT_FUNCS[lo - 1];
  return pc < f->end ? f->name : NULL;
}

/* The location of the call of a Pole function returning to ret, or NULL. */
static const char *rt_call_at(uintptr_t ret) {
  size_t lo = 0, hi = rt_ncalls();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uintptr_t r = RT_CALLS[mid].ret;
    if (r == ret) return RT_CALLS[mid].loc;
    if (r < ret) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* Whether fp may be a frame of the Pole thread's stack (read safely). */
static int rt_frame_ok(uintptr_t fp) {
  return rt_stack_hi != 0 && (fp & 7) == 0 && fp >= rt_stack_lo + RT_GUARD_SIZE &&
         fp + 2 * sizeof(uintptr_t) <= rt_stack_hi;
}

/* Ends a run of calls from one place: how many more frames it had. */
static void rt_end_run(long runs, long repeats) {
  if (repeats > 0 && runs <= RT_MAX_CALLERS)
    fprintf(stderr, "  ... called the same way %ld more time%s\n", repeats, repeats == 1 ? "" : "s");
}

/* Prints `  called from LOC` for each Pole call on the stack above frame
 * fp (innermost first); consecutive frames of one call site (recursion)
 * are one line and a count; after RT_MAX_CALLERS lines, only a count. */
static void rt_print_callers(uintptr_t fp) {
  if (rt_ncalls() == 0) return;
  rt_sort_frames();
  const char *run = NULL; /* the call site of the current run */
  long runs = 0, repeats = 0;
  while (rt_frame_ok(fp)) {
    const uintptr_t *f = (const uintptr_t *)fp;
    const char *loc = rt_call_at(f[1]);
    if (loc != NULL && loc == run) {
      repeats++;
    } else if (loc != NULL) {
      rt_end_run(runs, repeats);
      repeats = 0;
      run = loc;
      if (++runs <= RT_MAX_CALLERS) fprintf(stderr, "  called from %s\n", loc);
    }
    if (f[0] <= fp) break;
    fp = f[0];
  }
  rt_end_run(runs, repeats);
  if (runs > RT_MAX_CALLERS) fprintf(stderr, "  ... and %ld more\n", runs - RT_MAX_CALLERS);
}

/* Called first on every runtime error, before anything is printed: a place
 * for a debugger to stop with the failing Pole function on the stack and its
 * variables inspectable (`break pole_runtime_error`, then `bt`, `up N`,
 * `info locals`). Does nothing. */
__attribute__((noinline, used)) RT_COLD void pole_runtime_error(const char *msg,
                                                               const char *loc) {
  __asm__ volatile("" : : "r"(msg), "r"(loc) : "memory");
}

/* Ends the program (or fails the running test) with runtime error `msg`.
 * `loc`, when known, is `FILE:LINE:COL in FUNCTION` of the operation that
 * failed; it goes to stderr on the next line (reference section 9). */
_Noreturn RT_COLD void pole_panic_at(const char *msg, const char *loc) {
  if (msg == NULL) msg = "unknown error";
  pole_runtime_error(msg, loc);
  TestFrame *t = rt_cur_test;
  if (t != NULL) {
    if (loc != NULL) {
      fflush(stdout);
      fprintf(stderr, "  at %s\n", loc);
      rt_print_callers((uintptr_t)__builtin_frame_address(0));
    }
    t->msg = msg;
    siglongjmp(t->jb, 1);
  }
  fflush(stdout);
  fprintf(stderr, "pole: runtime error: %s\n", msg);
  if (loc != NULL) {
    fprintf(stderr, "  at %s\n", loc);
    rt_print_callers((uintptr_t)__builtin_frame_address(0));
  }
  fflush(stderr);
  exit(101);
}

_Noreturn RT_COLD void pole_panic(const char *msg) { pole_panic_at(msg, NULL); }

/* `index out of bounds: start S, length L of N` (substrings, slices). */
_Noreturn RT_COLD static void rt_range_oob(int64_t start, int64_t len, int64_t n,
                                           const char *loc) {
  snprintf(rt_msg_buf, sizeof rt_msg_buf,
           "index out of bounds: start %" PRId64 ", length %" PRId64 " of %" PRId64, start, len, n);
  pole_panic_at(rt_msg_buf, loc);
}

/* `index out of bounds: index I, length N`. */
static RT_COLD void rt_index_msg(int64_t i, int64_t n) {
  snprintf(rt_msg_buf, sizeof rt_msg_buf, "index out of bounds: index %" PRId64 ", length %" PRId64,
           i, n);
}

_Noreturn RT_COLD static void rt_panic_index(int64_t i, int64_t n, const char *loc) {
  rt_index_msg(i, n);
  pole_panic_at(rt_msg_buf, loc);
}

/* The same for compiled code, which passes the index and the length in
 * memory (in[0], in[1]): a bounds check's error path then asks for no
 * argument registers, which made the register allocator move the values
 * a loop keeps around between registers on its hot path. */
_Noreturn RT_COLD void pole_panic_index(const int64_t *in, const char *loc) {
  rt_index_msg(in[0], in[1]);
  pole_panic_at(rt_msg_buf, loc);
}

char *pole_show(uint64_t v, const PoleType *t);
static inline void rt_decref(void *p);

/* `MSG: WHAT V`: V is a variant's constructor name, or an Int, Bool or
 * String value as `print`/tests show it; other values are left out. */
static RT_COLD void rt_format_value(const char *msg, const char *what, uint64_t v,
                                    const PoleType *t) {
  const char *shown = NULL;
  char *s = NULL;
  switch (t->kind) {
  case PT_VARIANT: {
    int64_t tag = *(const int64_t *)(uintptr_t)v;
    if (tag >= 0 && tag < t->count) shown = t->names[tag];
    break;
  }
  case PT_INT:
  case PT_BOOL:
  case PT_STRING:
    s = pole_show(v, t);
    shown = s;
    break;
  default:
    break;
  }
  if (shown != NULL)
    snprintf(rt_msg_buf, sizeof rt_msg_buf, "%s: %s %s", msg, what, shown);
  else
    snprintf(rt_msg_buf, sizeof rt_msg_buf, "%s", msg);
  if (s != NULL) rt_decref(s);
}

/* `MSG: value V` (no match arm matched). */
_Noreturn RT_COLD void pole_panic_value(const char *msg, uint64_t v, const PoleType *t,
                                        const char *loc) {
  rt_format_value(msg, "value", v, t);
  pole_panic_at(rt_msg_buf, loc);
}

static _Noreturn RT_COLD void rt_oom(void) { pole_panic("out of memory"); }
static _Noreturn RT_COLD void rt_index_oob(void) { pole_panic("index out of bounds"); }

/* ========================================================================== */
/* Counted objects (see pole_rt.h for the header).                            */
/*                                                                            */
/* Every heap object starts with a PoleHdr; values point just past it. The    */
/* compiler inlines counting up and down; when a count reaches zero the       */
/* object is destroyed: its counted children are counted down and those that  */
/* reach zero go on an explicit work list (never recursion on the C stack),   */
/* so freeing a 10^6-deep chain or a 10^6-element list takes constant stack.  */
/* Static objects have count 0 and are never counted or freed.               */
/* ========================================================================== */

#define HDR(p) ((PoleHdr *)(void *)((char *)(p) - sizeof(PoleHdr)))

/* Bytes of a string's block before its characters: the length, the header. */
#define RT_STR_PREFIX (sizeof(int64_t) + sizeof(PoleHdr))

/* A new object with count 1 and `body` bytes after its header. */
static inline void *rt_obj_new(size_t body, uint8_t kind, uint8_t flags, uint16_t aux) {
  PoleHdr *h = rt_heap_alloc(sizeof(PoleHdr) + body);
  h->rc = 1;
  h->kind = kind;
  h->flags = flags;
  h->aux = aux;
  return h + 1;
}

/* The start of the heap block of object p. */
static inline void *rt_block(void *p) {
  return HDR(p)->kind == PK_STR ? (char *)p - RT_STR_PREFIX : (void *)HDR(p);
}

static inline void rt_incref(void *p) {
  PoleHdr *h = HDR(p);
  if (h->rc != 0) h->rc++;
}

void pole_free(void *p);

static inline void rt_decref(void *p) {
  PoleHdr *h = HDR(p);
  if (h->rc > 1)
    h->rc--;
  else if (h->rc == 1)
    pole_free(p);
}

/* Objects whose count reached zero, waiting to be destroyed. */
static void **rt_work = NULL;
static size_t rt_work_len = 0, rt_work_cap = 0;

static RT_COLD void rt_work_grow(void) {
  size_t cap = rt_work_cap ? 2 * rt_work_cap : 256;
  void **w = realloc(rt_work, cap * sizeof *w);
  if (w == NULL) rt_oom();
  rt_work = w;
  rt_work_cap = cap;
}

/* Counts a child down; at zero it joins the work list. */
static inline void rt_release(uint64_t v) {
  PoleHdr *h = HDR((void *)(uintptr_t)v);
  if (h->rc > 1) {
    h->rc--;
  } else if (h->rc == 1) {
    h->rc = 0;
    if (RT_UNLIKELY(rt_work_len == rt_work_cap)) rt_work_grow();
    rt_work[rt_work_len++] = (void *)(uintptr_t)v;
  }
}

/* The mask words of a wide cell of n slots: after its slots. */
static inline uint64_t *rt_wide_mask(void *p, int64_t n) { return (uint64_t *)p + n; }

/* Counts down the counted fields of cell p except the slots in `moved`
 * (their references were moved out by compiled code). */
static inline void rt_release_unmoved(void *p, uint64_t moved) {
  PoleHdr *h = HDR(p);
  uint64_t *slot = p;
  if (RT_LIKELY(!(h->flags & PF_WIDE))) {
    for (uint64_t m = h->aux & ~moved; m != 0; m &= m - 1) rt_release(slot[__builtin_ctzll(m)]);
    return;
  }
  const uint64_t *words = rt_wide_mask(p, h->aux);
  for (int64_t w = 0; w * 64 < h->aux; w++)
    for (uint64_t m = words[w] & (w == 0 ? ~moved : ~(uint64_t)0); m != 0; m &= m - 1)
      rt_release(slot[w * 64 + __builtin_ctzll(m)]);
}

static void rt_destroy_list(void *p);
static void rt_destroy_buf(void *p);
static void rt_destroy_map(void *p);

/* Destroys one object whose count reached zero: its children are counted
 * down (onto the work list) and its block is freed. */
static void rt_destroy(void *p) {
  PoleHdr *h = HDR(p);
  if (RT_LIKELY(h->kind == PK_CELL && h->aux == 0 && !(h->flags & PF_WIDE))) {
    rt_heap_free(h); /* a cell without counted fields */
    return;
  }
  switch (h->kind) {
  case PK_CELL:
    rt_release_unmoved(p, 0);
    break;
  case PK_LIST:
    rt_destroy_list(p);
    break;
  case PK_BUF:
    rt_destroy_buf(p);
    break;
  case PK_MAP:
    rt_destroy_map(p);
    break;
  default: /* PK_STR: no children */
    break;
  }
  rt_heap_free(rt_block(p));
}

static inline void rt_drain(size_t base) {
  while (rt_work_len > base) rt_destroy(rt_work[--rt_work_len]);
}

/* Called (by compiled code) with an object whose count is 1. */
void pole_free(void *p) {
  size_t base = rt_work_len;
  HDR(p)->rc = 0;
  rt_destroy(p);
  rt_drain(base);
}

static _Noreturn RT_COLD void rt_too_many_slots(void) { pole_panic("out of memory"); }

/* Bytes after the header of a cell of n slots (wide cells: and their mask). */
static inline size_t rt_cell_body(int64_t n) {
  return (size_t)n * 8 + (n > RT_NARROW_SLOTS ? (size_t)(n + 63) / 64 * 8 : 0);
}

/* Makes the block at h a new cell of n slots; `mask` as for pole_alloc_obj. */
static inline void *rt_cell_init(PoleHdr *h, int64_t n, uint64_t mask) {
  h->rc = 1;
  h->kind = PK_CELL;
  if (RT_LIKELY(n <= RT_NARROW_SLOTS)) {
    h->flags = (uint8_t)(n << PF_CAP_SHIFT);
    h->aux = (uint16_t)mask;
  } else {
    h->flags = PF_WIDE;
    h->aux = (uint16_t)n;
    memcpy(rt_wide_mask(h + 1, n), (const void *)(uintptr_t)mask, (size_t)(n + 63) / 64 * 8);
  }
  return h + 1;
}

/* A new record or variant cell of n slots; `mask` marks the slots that hold
 * counted values (for n > RT_NARROW_SLOTS, a pointer to ceil(n/64) static
 * mask words, copied after the slots). */
void *pole_alloc_obj(int64_t n, uint64_t mask) {
  if (RT_UNLIKELY(n < 0 || n > UINT16_MAX)) rt_too_many_slots();
  return rt_cell_init(rt_heap_alloc(sizeof(PoleHdr) + rt_cell_body(n)), n, mask);
}

/* Frees unique cell p whose fields in `moved` were moved out. */
void pole_free_moved(void *p, uint64_t moved) {
  PoleHdr *h = HDR(p);
  if (RT_LIKELY(!(h->flags & PF_WIDE) && (h->aux & ~moved) == 0)) {
    rt_heap_free(h); /* nothing left to count down */
    return;
  }
  size_t base = rt_work_len;
  rt_release_unmoved(p, moved);
  rt_heap_free(h);
  rt_drain(base);
}

/* Unique cell p, its fields in `moved` moved out, as a reuse token: its
 * other counted fields are counted down. */
void *pole_reset_moved(void *p, uint64_t moved) {
  size_t base = rt_work_len;
  rt_release_unmoved(p, moved);
  rt_drain(base);
  return p;
}

/* A new cell like pole_alloc_obj, in the block of token `tok` when there is
 * one big enough (the block is freed otherwise). */
void *pole_alloc_reuse(void *tok, int64_t n, uint64_t mask) {
  if (tok != NULL) {
    PoleHdr *h = HDR(tok);
    if (RT_LIKELY(n >= 0 && n <= UINT16_MAX &&
                  rt_heap_usable(h) >= sizeof(PoleHdr) + rt_cell_body(n)))
      return rt_cell_init(h, n, mask);
    rt_heap_free(h);
  }
  return pole_alloc_obj(n, mask);
}

#include "pole_rc.c"

/* A value of type t given up (test results): counted types are counted down. */
static void rt_drop_typed(uint64_t v, const PoleType *t) {
  switch (t->kind) {
  case PT_STRING:
  case PT_LIST:
  case PT_MAP:
  case PT_RECORD:
  case PT_VARIANT:
    rt_decref((void *)(uintptr_t)v);
    break;
  default:
    break;
  }
}

/* ========================================================================== */
/* Strings: [length][header][bytes][NUL]. A string's block may have room      */
/* beyond its NUL: appending to a unique string writes in place.              */
/* ========================================================================== */

static inline int64_t *rt_len_word(const char *s) {
  return (int64_t *)(void *)((char *)(uintptr_t)s - RT_STR_PREFIX);
}

static inline int64_t slen(const char *s) { return *rt_len_word(s); }

/* A fresh string of length n with room for `cap` bytes (cap >= n); the
 * caller fills the n bytes (the NUL is written). */
static char *rt_new_str_cap(int64_t n, int64_t cap) {
  if (RT_UNLIKELY(n < 0 || (uint64_t)cap > ((uint64_t)1 << 46))) rt_oom();
  int64_t *block = rt_heap_alloc(RT_STR_PREFIX + (size_t)cap + 1);
  block[0] = n;
  PoleHdr *h = (PoleHdr *)(block + 1);
  h->rc = 1;
  h->kind = PK_STR;
  h->flags = 0;
  h->aux = 0;
  char *p = (char *)(h + 1);
  p[n] = '\0';
  return p;
}

static char *rt_new_str(int64_t n) { return rt_new_str_cap(n, n); }

static char *rt_str_from_bytes(const char *b, size_t n) {
  char *s = rt_new_str((int64_t)n);
  if (n) memcpy(s, b, n);
  return s;
}

static struct {
  int64_t len;
  PoleHdr h;
  char bytes[8];
} rt_empty_str = {0, {0, PK_STR, 0, 0}, {0}};

/* a ++ b, consuming both: in place when a is unique (its block grows by
 * half again when full, so building a string by appending is linear). */
char *pole_str_concat(char *a, char *b) {
  int64_t la = slen(a), lb = slen(b);
  if (lb == 0) {
    rt_decref(b);
    return a;
  }
  if (la == 0) {
    rt_decref(a);
    return b;
  }
  if (RT_UNLIKELY((uint64_t)la + (uint64_t)lb > ((uint64_t)1 << 46))) rt_oom();
  if (HDR(a)->rc == 1) {
    void *block = rt_block(a);
    size_t need = RT_STR_PREFIX + (size_t)(la + lb) + 1;
    if (rt_heap_usable(block) < need) {
      block = rt_heap_realloc(block, need + need / 2);
      a = (char *)block + RT_STR_PREFIX;
    }
    memcpy(a + la, b, (size_t)lb);
    a[la + lb] = '\0';
    *rt_len_word(a) = la + lb;
    rt_decref(b);
    return a;
  }
  char *r = rt_new_str(la + lb);
  memcpy(r, a, (size_t)la);
  memcpy(r + la, b, (size_t)lb);
  rt_decref(a);
  rt_decref(b);
  return r;
}

int64_t pole_str_length(const char *s) { return slen(s); }

int64_t pole_str_contains(const char *s, const char *sub) {
  int64_t ls = slen(s), lsub = slen(sub);
  if (lsub == 0) return 1;
  if (lsub > ls) return 0;
  return memmem(s, (size_t)ls, sub, (size_t)lsub) != NULL;
}

int64_t pole_str_eq(const char *a, const char *b) {
  if (a == b) return 1;
  int64_t la = slen(a);
  if (la != slen(b)) return 0;
  return memcmp(a, b, (size_t)la) == 0;
}

int64_t pole_str_cmp(const char *a, const char *b) {
  int64_t la = slen(a), lb = slen(b);
  int64_t m = la < lb ? la : lb;
  int c = m ? memcmp(a, b, (size_t)m) : 0;
  if (c != 0) return c < 0 ? -1 : 1;
  return la < lb ? -1 : (la > lb ? 1 : 0);
}

/* Writes the decimal form of v into buf (>= 21 bytes); returns its length. */
static int rt_fmt_int(char *buf, int64_t v) {
  char tmp[24];
  int n = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  int k = 0;
  if (v < 0) buf[k++] = '-';
  while (n > 0) buf[k++] = tmp[--n];
  return k;
}

char *pole_int_to_string(int64_t v) {
  char buf[24];
  int n = rt_fmt_int(buf, v);
  return rt_str_from_bytes(buf, (size_t)n);
}

char *pole_str_from_c(const char *p) {
  if (p == NULL) return rt_empty_str.bytes;
  return rt_str_from_bytes(p, strlen(p));
}

/* Bound by programs as `@extern("pole_ptr_to_string") func f(p: Ptr<_>) ->
 * String`: like every extern returning a String, the compiler copies the C
 * string it returns into a new Pole string, so this returns p as it is. */
char *pole_ptr_to_string(const void *p) { return (char *)(uintptr_t)p; }

/* ---- Float64 formatting ---------------------------------------------------- */

/* Parses the output of "%.*e" (digits, some decimal point, 'e', exponent)
 * into significant digits (trailing zeros removed) and n such that the value
 * is 0.d1...dk * 10^n. Returns k. */
static int rt_parse_e(const char *buf, char *dig, int *n10) {
  int k = 0;
  const char *p = buf;
  while (*p && *p != 'e' && *p != 'E') {
    if (*p >= '0' && *p <= '9') dig[k++] = *p;
    p++;
  }
  int e = *p ? atoi(p + 1) : 0;
  *n10 = e + 1;
  while (k > 1 && dig[k - 1] == '0') k--;
  return k;
}

/* Tries to find a decimal with `prec` significant digits that reads back as
 * x (x > 0, finite): first the correctly rounded one, then its neighbour on
 * the other side of x (matters only when the rounding interval of x is
 * asymmetric, i.e. x is a power of two). Returns k, or 0 if none. */
static int rt_try_prec(double x, int prec, char *dig, int *n10) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
  double r = strtod(buf, NULL);
  if (r == x) return rt_parse_e(buf, dig, n10);
  /* Neighbour: digits as an integer D, value D * 10^(E - prec + 1). */
  uint64_t d = 0;
  const char *p = buf;
  while (*p && *p != 'e') {
    if (*p >= '0' && *p <= '9') d = d * 10 + (uint64_t)(*p - '0');
    p++;
  }
  int e = *p ? atoi(p + 1) : 0;
  uint64_t d2 = r < x ? d + 1 : d - 1;
  if (d2 == 0) return 0;
  char buf2[64];
  snprintf(buf2, sizeof buf2, "%" PRIu64 "e%d", d2, e - prec + 1);
  if (strtod(buf2, NULL) != x) return 0;
  int len = snprintf(buf, sizeof buf, "%" PRIu64, d2);
  memcpy(dig, buf, (size_t)len);
  int k = len;
  while (k > 1 && dig[k - 1] == '0') k--;
  *n10 = e - prec + 1 + len;
  return k;
}

/* Shortest round-trip digits of x > 0 (finite) by trial formatting with
 * snprintf and strtod (exact, slow). Returns k, sets n10. */
static int rt_shortest_slow(double x, char *dig, int *n10) {
  int k;
  if (x >= DBL_MIN) {
    /* Normal numbers: if any decimal of <= 15 significant digits reads back
     * as x, it lies within half an ulp (< 1.2e-16 relative) of x, closer than
     * half the spacing of 15-digit decimals, so it is the correctly rounded
     * 15-digit decimal with its trailing zeros removed. */
    for (int prec = 15; prec < 17; prec++)
      if ((k = rt_try_prec(x, prec, dig, n10)) != 0) return k;
  } else {
    /* Subnormals have few bits of precision: search from 1 digit up. */
    for (int prec = 1; prec < 17; prec++)
      if ((k = rt_try_prec(x, prec, dig, n10)) != 0) return k;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "%.16e", x); /* 17 digits always round-trip */
  return rt_parse_e(buf, dig, n10);
}

/* Fast exact path. x = c * 2^q. The decimals that read back as x form an
 * interval around x of width W = 2^q, or 0.75 * 2^q when c = 2^52 above the
 * smallest normal (the gap below x is then half as wide). Scaling everything
 * by 10^-k with k = floor(log10 W) makes the scaled width lie in [1, 10), so:
 *  - at most one multiple of 10 lies in the scaled interval; if one does, it
 *    (without trailing zeros) has strictly fewer digits than any other
 *    candidate (given a scaled value >= 1000), so it is the answer;
 *  - otherwise every candidate is an integer with the same number of digits,
 *    and the one closest to x is the scaled x rounded to an integer (or its
 *    other neighbour if the nearest one falls outside the interval).
 * Scaled values are computed in fixed point with RT_FRAC fraction bits from a
 * 128-bit approximation of 10^-k (error: a few units of the last bit). Every
 * decision that falls within RT_EPS of its threshold, which includes exact
 * ties and interval ends where strtod's tie rule matters, is left to the
 * slow path, as are tiny subnormals. */

__extension__ typedef unsigned __int128 rt_u128;

#define RT_P10_MIN (-300)
#define RT_P10_MAX 330
#define RT_FRAC 60
#define RT_ONE ((rt_u128)1 << RT_FRAC)
#define RT_EPS ((rt_u128)1 << 12)

typedef struct RtPow10 {
  rt_u128 m; /* 10^p ~= m * 2^e, with 2^127 <= m < 2^128 */
  int32_t e;
} RtPow10;

static RtPow10 rt_p10[RT_P10_MAX - RT_P10_MIN + 1];
static pthread_once_t rt_p10_once = PTHREAD_ONCE_INIT;

static void rt_p10_init(void) {
  const rt_u128 top = (rt_u128)1 << 127;
  rt_u128 m = top;
  int32_t e = -127;
  rt_p10[-RT_P10_MIN].m = m;
  rt_p10[-RT_P10_MIN].e = e;
  for (int p = 1; p <= RT_P10_MAX; p++) {
    /* m * 10 is in [2^130.3, 2^131.3): hi:lo64 = m * 10, then shift to 128 bits. */
    rt_u128 lo = (rt_u128)(uint64_t)m * 10;
    rt_u128 hi = (rt_u128)(uint64_t)(m >> 64) * 10 + (lo >> 64);
    int s = (hi >> 67) != 0 ? 4 : 3;
    m = (hi << (64 - s)) | (rt_u128)((uint64_t)lo >> s);
    e += s;
    rt_p10[p - RT_P10_MIN].m = m;
    rt_p10[p - RT_P10_MIN].e = e;
  }
  m = top;
  e = -127;
  for (int p = -1; p >= RT_P10_MIN; p--) {
    /* (m << s) / 10 by long division on 64-bit limbs; s makes it >= 2^127. */
    int s = m >= top + (top >> 2) ? 3 : 4;
    uint64_t n2 = (uint64_t)(m >> (128 - s));
    rt_u128 sm = m << s;
    uint64_t n1 = (uint64_t)(sm >> 64), n0 = (uint64_t)sm;
    uint64_t r = n2 % 10; /* n2 < 10, so the top quotient limb is 0 */
    rt_u128 cur = ((rt_u128)r << 64) | n1;
    uint64_t q1 = (uint64_t)(cur / 10);
    r = (uint64_t)(cur % 10);
    cur = ((rt_u128)r << 64) | n0;
    uint64_t q0 = (uint64_t)(cur / 10);
    m = ((rt_u128)q1 << 64) | q0;
    e -= s;
    rt_p10[p - RT_P10_MIN].m = m;
    rt_p10[p - RT_P10_MIN].e = e;
  }
}

/* (c * m) >> sh for c < 2^56, 64 <= sh < 192 (result assumed to fit). */
static inline rt_u128 rt_mul_shift(uint64_t c, rt_u128 m, int sh) {
  rt_u128 lo = (rt_u128)c * (uint64_t)m;
  rt_u128 hi = (rt_u128)c * (uint64_t)(m >> 64);
  rt_u128 mid = (lo >> 64) + (rt_u128)(uint64_t)hi;
  rt_u128 upper = (((hi >> 64) + (mid >> 64)) << 64) | (uint64_t)mid; /* product >> 64 */
  return upper >> (sh - 64);
}

/* -1 if a < b (by more than RT_EPS), 1 if a > b (by more), 0 if too close. */
static inline int rt_cmp_eps(rt_u128 a, rt_u128 b) {
  if (a + RT_EPS < b) return -1;
  if (a > b + RT_EPS) return 1;
  return 0;
}

/* Returns k (> 0) with dig/n10 set, or 0 to ask for the slow path. */
static int rt_shortest_fast(double x, char *dig, int *n10) {
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  uint64_t frac = bits & (((uint64_t)1 << 52) - 1);
  int bexp = (int)((bits >> 52) & 0x7ff);
  uint64_t c = bexp == 0 ? frac : frac | ((uint64_t)1 << 52);
  int q = bexp == 0 ? -1074 : bexp - 1075;
  int boundary = frac == 0 && bexp > 1;
  uint64_t cb = 4 * c, cu = cb + 2, cl = cb - (boundary ? 1 : 2);
  pthread_once(&rt_p10_once, rt_p10_init);
  int k = (int)floor(q * 0.30102999566398120 + (boundary ? -0.12493873660829995 : 0.0));
  for (int attempt = 0; attempt < 3; attempt++) {
    int p = -k;
    if (p < RT_P10_MIN || p > RT_P10_MAX) return 0;
    const RtPow10 *pw = &rt_p10[p - RT_P10_MIN];
    /* scaled value of c' * 2^(q-2) is c' * m * 2^(q - 2 + e); RT_FRAC more bits */
    int sh = -(q - 2 + pw->e + RT_FRAC);
    if (sh < 64 || sh >= 190) return 0;
    rt_u128 vl = rt_mul_shift(cl, pw->m, sh);
    rt_u128 vb = rt_mul_shift(cb, pw->m, sh);
    rt_u128 vu = rt_mul_shift(cu, pw->m, sh);
    rt_u128 w = vu - vl;
    if (w + RT_EPS >= 10 * RT_ONE) {
      k++;
      continue;
    }
    if (w < RT_ONE) {
      k--;
      continue;
    }
    uint64_t ib = (uint64_t)(vb >> RT_FRAC);
    if (ib < 1000) return 0;
    /* The only multiple of 10 that can be inside: the first one above vl. */
    uint64_t il = (uint64_t)(vl >> RT_FRAC);
    uint64_t t = il - il % 10;
    if (vl - ((rt_u128)t << RT_FRAC) <= RT_EPS) return 0;
    uint64_t d = t + 10;
    rt_u128 dpos = (rt_u128)d << RT_FRAC;
    if (dpos - vl <= RT_EPS) return 0;
    int cu_cmp = rt_cmp_eps(dpos, vu);
    if (cu_cmp == 0) return 0;
    if (cu_cmp > 0) {
      /* No multiple of 10 inside: round the scaled x to the nearest integer. */
      rt_u128 fr = vb & (RT_ONE - 1), half = RT_ONE >> 1;
      if (rt_cmp_eps(fr, half) == 0) return 0;
      d = ib + (fr > half);
      for (int side = 0;; side++) {
        rt_u128 rpos = (rt_u128)d << RT_FRAC;
        int lo_cmp = rt_cmp_eps(rpos, vl), hi_cmp = rt_cmp_eps(rpos, vu);
        if (lo_cmp == 0 || hi_cmp == 0) return 0;
        if (lo_cmp > 0 && hi_cmp < 0) break;
        if (side) return 0;
        d = lo_cmp < 0 ? d + 1 : d - 1;
      }
    }
    /* d * 10^k: its digits, trailing zeros removed. */
    char tmp[24];
    int len = 0;
    while (d != 0) {
      tmp[len++] = (char)('0' + d % 10);
      d /= 10;
    }
    int skip = 0;
    while (skip < len - 1 && tmp[skip] == '0') skip++;
    int nd = 0;
    for (int i = len - 1; i >= skip; i--) dig[nd++] = tmp[i];
    *n10 = len + k;
    return nd;
  }
  return 0;
}

static int rt_shortest(double x, char *dig, int *n10) {
  int k = rt_shortest_fast(x, dig, n10);
  if (k != 0) return k;
  return rt_shortest_slow(x, dig, n10);
}

/* Formats x per the reference's printing rules; returns the length written
 * (buf needs 32 bytes). */
static int rt_fmt_float(char *buf, double x) {
  if (isnan(x)) {
    memcpy(buf, "NaN", 3);
    return 3;
  }
  char *p = buf;
  if (signbit(x)) {
    *p++ = '-';
    x = -x;
  }
  if (isinf(x)) {
    memcpy(p, "inf", 3);
    return (int)(p - buf) + 3;
  }
  if (x == 0.0) {
    memcpy(p, "0.0", 3);
    return (int)(p - buf) + 3;
  }
  if (x < 9007199254740992.0 && x == (double)(uint64_t)x) {
    /* Integers below 2^53: the digits of the integer are the shortest. */
    p += rt_fmt_int(p, (int64_t)(uint64_t)x);
    *p++ = '.';
    *p++ = '0';
    return (int)(p - buf);
  }
  char dig[24];
  int n;
  int k = rt_shortest(x, dig, &n);
  if (k <= n && n <= 21) {
    memcpy(p, dig, (size_t)k);
    p += k;
    for (int i = k; i < n; i++) *p++ = '0';
    *p++ = '.';
    *p++ = '0';
  } else if (0 < n && n < k) {
    memcpy(p, dig, (size_t)n);
    p += n;
    *p++ = '.';
    memcpy(p, dig + n, (size_t)(k - n));
    p += k - n;
  } else if (-6 < n && n <= 0) {
    *p++ = '0';
    *p++ = '.';
    for (int i = 0; i < -n; i++) *p++ = '0';
    memcpy(p, dig, (size_t)k);
    p += k;
  } else {
    *p++ = dig[0];
    if (k > 1) {
      *p++ = '.';
      memcpy(p, dig + 1, (size_t)(k - 1));
      p += k - 1;
    }
    *p++ = 'e';
    p += rt_fmt_int(p, (int64_t)(n - 1));
  }
  return (int)(p - buf);
}

char *pole_float_to_string(double v) {
  char buf[40];
  int n = rt_fmt_float(buf, v);
  return rt_str_from_bytes(buf, (size_t)n);
}

#include "pole_io.c"

/* ========================================================================== */
/* Printing                                                                   */
/* ========================================================================== */

void pole_print_int(int64_t v) {
  char buf[24];
  int n = rt_fmt_int(buf, v);
  rt_out(buf, (size_t)n);
}

void pole_print_float(double v) {
  char buf[40];
  int n = rt_fmt_float(buf, v);
  rt_out(buf, (size_t)n);
}

void pole_print_bool(int64_t v) {
  if (v)
    rt_out("true", 4);
  else
    rt_out("false", 5);
}

void pole_print_str(const char *s) {
  int64_t n = slen(s);
  rt_out(s, (size_t)n);
}

void pole_print_newline(void) { rt_out_newline(); }

/* ========================================================================== */
/* Lists                                                                      */
/*                                                                            */
/* A list value is a counted 16-byte header {data, start, len}: data points   */
/* at slot `start` of a counted buffer {cap, used, slots[]} (the buffer is    */
/* found from data - start). The buffer owns slots [0, used); several list   */
/* headers may view it (tails, and pushes that share it). The header's      */
/* flags say whether elements are counted (PF_BOXED), as do the buffer's.    */
/*                                                                            */
/* A unique list with a unique buffer is updated in place (List_set, push,  */
/* amortized O(1)). Otherwise pushing onto a list that ends exactly at       */
/* `used` writes the free slot after it and shares the buffer; anything else */
/* copies. Lengths are limited to 2^32 - 1.                                  */
/* ========================================================================== */

typedef struct ListBuf {
  int64_t cap;
  int64_t used;
  uint64_t slots[];
} ListBuf;

typedef struct List {
  uint64_t *data; /* NULL only for the static empty lists */
  uint32_t start; /* index of data[0] in its buffer */
  uint32_t len;
} List;

#define RT_LIST_MAX ((int64_t)UINT32_MAX)

/* The empty lists of unboxed and of counted elements (static). */
static struct {
  PoleHdr h;
  List l;
} rt_empty_lists[2] = {{{0, PK_LIST, 0, 0}, {NULL, 0, 0}},
                       {{0, PK_LIST, PF_BOXED, 0}, {NULL, 0, 0}}};

static inline List *rt_empty(int boxed) { return &rt_empty_lists[boxed != 0].l; }

static inline int rt_boxed(const void *obj) { return (HDR(obj)->flags & PF_BOXED) != 0; }

static inline ListBuf *rt_list_buf(const List *l) {
  return (ListBuf *)(void *)((char *)(l->data - l->start) - offsetof(ListBuf, slots));
}

static inline int rt_unique(const void *obj) { return HDR(obj)->rc == 1; }

static List *rt_list_hdr(uint64_t *data, int64_t start, int64_t len, int boxed) {
  List *l = rt_obj_new(sizeof(List), PK_LIST, boxed ? PF_BOXED : 0, 0);
  l->data = data;
  l->start = (uint32_t)start;
  l->len = (uint32_t)len;
  return l;
}

static ListBuf *rt_listbuf_new(int64_t cap, int boxed) {
  if (RT_UNLIKELY(cap < 0 || cap > RT_LIST_MAX)) rt_oom();
  ListBuf *b = rt_obj_new(sizeof(ListBuf) + (size_t)cap * sizeof(uint64_t), PK_BUF,
                          boxed ? PF_BOXED : 0, 0);
  b->cap = cap;
  b->used = 0;
  return b;
}

static void rt_destroy_list(void *p) {
  List *l = p;
  if (l->data != NULL) rt_release((uint64_t)(uintptr_t)rt_list_buf(l));
}

static void rt_destroy_buf(void *p) {
  ListBuf *b = p;
  if (rt_boxed(b))
    for (int64_t i = 0; i < b->used; i++) rt_release(b->slots[i]);
}

/* A list of the n elements at src, in a new buffer of capacity cap; counted
 * elements gain a reference (except the one at `skip`, when 0 <= skip). */
static List *rt_list_copy(const uint64_t *src, int64_t n, int64_t cap, int boxed, int64_t skip) {
  ListBuf *b = rt_listbuf_new(cap, boxed);
  if (n) memcpy(b->slots, src, (size_t)n * sizeof(uint64_t));
  if (boxed)
    for (int64_t i = 0; i < n; i++)
      if (i != skip) rt_incref((void *)(uintptr_t)src[i]);
  b->used = n;
  return rt_list_hdr(b->slots, 0, n, boxed);
}

void *pole_list_new(int64_t boxed) { return rt_empty((int)boxed); }

/* A list of n elements, filled by pole_list_init. */
void *pole_list_alloc(int64_t n, int64_t boxed) {
  if (n <= 0) return rt_empty((int)boxed);
  if (RT_UNLIKELY(n > RT_LIST_MAX)) rt_oom();
  ListBuf *b = rt_listbuf_new(n, (int)boxed);
  b->used = n;
  return rt_list_hdr(b->slots, 0, n, (int)boxed);
}

/* Element i of a fresh list from pole_list_alloc (takes v). */
void pole_list_init(void *lv, int64_t i, uint64_t v) { ((List *)lv)->data[i] = v; }

int64_t pole_list_length(void *lv) { return ((List *)lv)->len; }

/* Element i, borrowed from the list. */
uint64_t pole_list_get(void *lv, int64_t i) {
  List *l = lv;
  if (RT_UNLIKELY((uint64_t)i >= l->len)) rt_index_oob();
  return l->data[i];
}

/* Element i (borrowed), or dflt when out of range. */
uint64_t pole_list_get_default(void *lv, int64_t i, uint64_t dflt) {
  List *l = lv;
  if ((uint64_t)i >= l->len) return dflt;
  return l->data[i];
}

/* The list with element i replaced by v (consumes the list and v); `loc`
 * locates the error when i is out of range (may be NULL). */
void *pole_list_set(void *lv, int64_t i, uint64_t v, const char *loc) {
  List *l = lv;
  if (RT_UNLIKELY((uint64_t)i >= l->len)) rt_panic_index(i, l->len, loc);
  int boxed = rt_boxed(l);
  if (RT_LIKELY(rt_unique(l) && rt_unique(rt_list_buf(l)))) {
    uint64_t old = l->data[i];
    l->data[i] = v;
    if (boxed) rt_decref((void *)(uintptr_t)old);
    return l;
  }
  /* Shared: a copy (value semantics); the old version stays intact. */
  List *c = rt_list_copy(l->data, l->len, l->len, boxed, i);
  c->data[i] = v;
  rt_decref(l);
  return c;
}

/* The list with v appended (consumes the list and v). */
void *pole_list_push(void *lv, uint64_t v) {
  List *l = lv;
  int boxed = rt_boxed(l);
  int64_t n = l->len;
  if (RT_UNLIKELY(l->data == NULL)) { /* static empty list */
    ListBuf *b = rt_listbuf_new(8, boxed);
    b->slots[0] = v;
    b->used = 1;
    return rt_list_hdr(b->slots, 0, 1, boxed);
  }
  if (RT_UNLIKELY(n >= RT_LIST_MAX)) rt_oom();
  ListBuf *b = rt_list_buf(l);
  int64_t end = (int64_t)l->start + n;
  if (rt_unique(l) && rt_unique(b)) {
    /* Ours alone: slots an earlier view left past our end are dropped. */
    if (b->used > end) {
      if (boxed)
        for (int64_t i = end; i < b->used; i++) rt_decref((void *)(uintptr_t)b->slots[i]);
      b->used = end;
    }
    if (RT_UNLIKELY(end == b->cap)) {
      int64_t cap = b->cap < 4 ? 8 : b->cap + b->cap / 2;
      if (cap > RT_LIST_MAX + (int64_t)l->start) cap = RT_LIST_MAX + (int64_t)l->start;
      PoleHdr *h = rt_heap_realloc(HDR(b), sizeof(PoleHdr) + sizeof(ListBuf) +
                                              (size_t)cap * sizeof(uint64_t));
      b = (ListBuf *)(void *)(h + 1);
      b->cap = cap;
      l->data = b->slots + l->start;
    }
    b->slots[end] = v;
    b->used = end + 1;
    l->len = (uint32_t)(n + 1);
    return l;
  }
  if (end == b->used && end < b->cap) {
    /* The free slot after our end: write it and share the buffer. */
    b->slots[end] = v;
    b->used = end + 1;
    if (rt_unique(l)) {
      l->len = (uint32_t)(n + 1);
      return l;
    }
    rt_incref(b);
    List *r = rt_list_hdr(l->data, l->start, n + 1, boxed);
    rt_decref(l);
    return r;
  }
  int64_t cap = n < 4 ? 8 : 2 * n;
  if (cap > RT_LIST_MAX) cap = RT_LIST_MAX;
  List *r = rt_list_copy(l->data, n, cap, boxed, -1);
  ListBuf *rb = rt_list_buf(r);
  rb->slots[n] = v;
  rb->used = n + 1;
  r->len = (uint32_t)(n + 1);
  rt_decref(l);
  return r;
}

/* The concatenation of a list of lists (consumed); `boxed`: whether the
 * result's elements are counted. */
void *pole_list_concat(void *lsv, int64_t boxed) {
  List *ls = lsv;
  int64_t total = 0, nonempty = 0;
  List *first = NULL; /* first non-empty list */
  for (int64_t i = 0; i < ls->len; i++) {
    List *x = (List *)(uintptr_t)ls->data[i];
    if (x->len == 0) continue;
    if (first == NULL) first = x;
    nonempty++;
    total += x->len;
    if (RT_UNLIKELY(total > RT_LIST_MAX)) rt_oom();
  }
  if (nonempty == 0) {
    rt_decref(ls);
    return rt_empty((int)boxed);
  }
  if (nonempty == 1) {
    rt_incref(first);
    rt_decref(ls);
    return first;
  }
  if (rt_unique(ls) && rt_unique(first) && rt_unique(rt_list_buf(first)) &&
      (List *)(uintptr_t)ls->data[0] == first) {
    /* Only the list of lists holds the first list: append the others to it
     * in place (its buffer grows by half again when full). */
    ls->data[0] = (uint64_t)(uintptr_t)rt_empty((int)boxed);
    for (int64_t i = 1; i < ls->len; i++) {
      List *x = (List *)(uintptr_t)ls->data[i];
      for (int64_t j = 0; j < x->len; j++) {
        uint64_t v = x->data[j];
        if (boxed) rt_incref((void *)(uintptr_t)v);
        first = pole_list_push(first, v);
      }
    }
    rt_decref(ls);
    return first;
  }
  int64_t cap = total + (total >> 1);
  if (cap > RT_LIST_MAX) cap = RT_LIST_MAX;
  ListBuf *b = rt_listbuf_new(cap, (int)boxed);
  uint64_t *dst = b->slots;
  for (int64_t i = 0; i < ls->len; i++) {
    List *x = (List *)(uintptr_t)ls->data[i];
    if (x->len == 0) continue;
    memcpy(dst, x->data, (size_t)x->len * sizeof(uint64_t));
    if (boxed)
      for (int64_t j = 0; j < x->len; j++) rt_incref((void *)(uintptr_t)x->data[j]);
    dst += x->len;
  }
  b->used = total;
  rt_decref(ls);
  return rt_list_hdr(b->slots, 0, total, (int)boxed);
}

/* The list without its first element (consumes the list): a view of the
 * same buffer, made from the list's own header when it is unique. */
void *pole_list_tail(void *lv) {
  List *l = lv;
  if (RT_UNLIKELY(l->len == 0)) rt_index_oob();
  int boxed = rt_boxed(l);
  if (l->len == 1) {
    rt_decref(l);
    return rt_empty(boxed);
  }
  if (rt_unique(l)) {
    l->data++;
    l->start++;
    l->len--;
    return l;
  }
  rt_incref(rt_list_buf(l));
  List *r = rt_list_hdr(l->data + 1, (int64_t)l->start + 1, (int64_t)l->len - 1, boxed);
  rt_decref(l);
  return r;
}

/* ========================================================================== */
/* Hash maps: open addressing with linear probing, power-of-two tables.      */
/* Int maps store {key, val} (16 bytes: an entry never straddles a cache    */
/* line); key 0 marks an empty slot, so key 0 itself is kept outside the     */
/* table. String maps store {key ptr, val, hash, ord}; a NULL key pointer    */
/* marks an empty slot. Tables grow 2x above 5/8 load; removal shifts the    */
/* entries after it back (no tombstones).                                    */
/* The map remembers first-insertion order (HashMap_keys).                   */
/* String maps: `ord` is an array of the keys in the order they were         */
/* inserted, removed ones marked dead, and each entry holds its key's index  */
/* there; the array is compacted when it must grow while at least half of it */
/* is dead.                                                                  */
/* Int maps: `log` lists each key as it was inserted (lookups and puts of    */
/* present keys never touch it). Removing a key makes its log entry stale    */
/* (`stale` counts them) and a key put again is logged again; compaction     */
/* keeps the last entry of each present key. It runs before HashMap_keys     */
/* when anything is stale, and when the log must grow while at least half of */
/* it is stale.                                                              */
/* ========================================================================== */

typedef struct IEnt {
  uint64_t key, val;
} IEnt;

typedef struct SEnt {
  uint64_t key, val, hash, ord;
} SEnt;

/* A key in insertion order (not owned: the table owns the keys). */
typedef struct MapOrd {
  uint64_t key, live;
} MapOrd;

typedef struct PoleMap {
  uint64_t mask;  /* table capacity - 1 */
  int64_t used;   /* occupied table slots */
  int64_t limit;  /* grow when used would exceed this */
  void *tab;      /* IEnt[] or SEnt[] */
  int64_t is_str;
  int64_t has_zero; /* int maps: key 0 present */
  uint64_t zero_val;
  MapOrd *ord;   /* string maps: keys in first-insertion order (NULL while empty) */
  uint64_t *log; /* int maps: keys as inserted (NULL while empty) */
  int64_t ord_len, ord_cap; /* entries used and allocated, of ord or log */
  int64_t stale; /* int maps: entries of log that are not a present key's last */
} PoleMap;

static inline uint64_t rt_hash_int(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  return k;
}

static inline uint64_t rt_mix(uint64_t h) {
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

static uint64_t rt_hash_bytes(const char *s, int64_t n) {
  const uint64_t M = 0x9e3779b97f4a7c15ULL;
  uint64_t h = (uint64_t)n * M ^ 0x2545f4914f6cdd1dULL;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * M;
    h ^= h >> 29;
  }
  if (i < n) {
    uint64_t w = 0;
    memcpy(&w, s + i, (size_t)(n - i));
    h = (h ^ w) * M;
    h ^= h >> 29;
  }
  return rt_mix(h);
}

static inline uint64_t rt_hash_str(const char *s) { return rt_hash_bytes(s, slen(s)); }

/* Zeroed tables, from the runtime's heap. */
static void *rt_table_alloc(uint64_t cap, size_t entsize) {
  size_t n = (size_t)cap * entsize;
  void *t = rt_heap_alloc(n);
  memset(t, 0, n);
  return t;
}

static void rt_table_free(void *t) { rt_heap_free(t); }

static void rt_map_set_cap(PoleMap *m, uint64_t cap) {
  m->mask = cap - 1;
  m->limit = (int64_t)(cap / 2 + cap / 8);
}

/* A new map; `values_boxed`: whether values are counted (the map owns its
 * keys and values). */
void *pole_map_new(int64_t capacity_hint, int64_t key_is_string, int64_t values_boxed) {
  PoleMap *m = rt_obj_new(sizeof(PoleMap), PK_MAP, values_boxed ? PF_BOXED : 0, 0);
  uint64_t want = capacity_hint > 0 ? (uint64_t)capacity_hint : 0;
  if (want > ((uint64_t)1 << 22)) want = (uint64_t)1 << 22; /* only a hint */
  want = want + want / 2 + want / 8;                     /* keep load <= 5/8 */
  uint64_t cap = 8;
  while (cap < want) cap <<= 1;
  rt_map_set_cap(m, cap);
  m->used = 0;
  m->is_str = key_is_string != 0;
  m->has_zero = 0;
  m->zero_val = 0;
  m->ord = NULL;
  m->log = NULL;
  m->ord_len = m->ord_cap = 0;
  m->stale = 0;
  m->tab = rt_table_alloc(cap, m->is_str ? sizeof(SEnt) : sizeof(IEnt));
  return m;
}

/* Drops the dead keys of a string map's order array, keeping the others'
 * order: each live one's new index is first stored in its `live` word (plus
 * one), the table's entries are renumbered, then the array is compacted. */
static RT_COLD void rt_map_ord_compact(PoleMap *m) {
  int64_t j = 0;
  for (int64_t i = 0; i < m->ord_len; i++)
    if (m->ord[i].live) m->ord[i].live = (uint64_t)++j;
  uint64_t cap = m->mask + 1;
  SEnt *t = m->tab;
  for (uint64_t i = 0; i < cap; i++)
    if (t[i].key != 0) t[i].ord = m->ord[t[i].ord].live - 1;
  for (int64_t i = 0; i < m->ord_len; i++) {
    if (!m->ord[i].live) continue;
    uint64_t to = m->ord[i].live - 1;
    m->ord[to].key = m->ord[i].key;
    m->ord[to].live = 1;
  }
  m->ord_len = j;
}

/* The order array a of m (ord or log, entries of `size` bytes, NULL while
 * empty) with room for twice as many entries (at least 8); sets ord_cap. */
static RT_COLD void *rt_map_order_grow(PoleMap *m, void *a, size_t size) {
  int64_t cap = m->ord_cap < 8 ? 8 : m->ord_cap * 2;
  size_t bytes = (size_t)cap * size;
  m->ord_cap = cap;
  return a == NULL ? rt_heap_alloc(bytes) : rt_heap_realloc(a, bytes);
}

/* Appends key k to a string map's insertion order; returns its index. */
static inline uint64_t rt_map_ord_add(PoleMap *m, uint64_t k) {
  if (RT_UNLIKELY(m->ord_len == m->ord_cap)) {
    if (m->ord_len > 0 && m->ord_len - m->used >= m->ord_len / 2) rt_map_ord_compact(m);
    if (m->ord_len == m->ord_cap) m->ord = rt_map_order_grow(m, m->ord, sizeof(MapOrd));
  }
  m->ord[m->ord_len].key = k;
  m->ord[m->ord_len].live = 1;
  return (uint64_t)m->ord_len++;
}

static RT_COLD void rt_map_grow(PoleMap *m) {
  uint64_t oldcap = m->mask + 1;
  uint64_t cap = oldcap * 2;
  if (RT_UNLIKELY(cap == 0 || cap > ((uint64_t)1 << 40))) rt_oom();
  if (m->is_str) {
    SEnt *old = m->tab;
    SEnt *t = rt_table_alloc(cap, sizeof(SEnt));
    uint64_t mask = cap - 1;
    for (uint64_t i = 0; i < oldcap; i++) {
      if (old[i].key == 0) continue;
      uint64_t j = old[i].hash & mask;
      while (t[j].key != 0) j = (j + 1) & mask;
      t[j] = old[i];
    }
    rt_table_free(old);
    m->tab = t;
  } else {
    IEnt *old = m->tab;
    IEnt *t = rt_table_alloc(cap, sizeof(IEnt));
    uint64_t mask = cap - 1;
    for (uint64_t i = 0; i < oldcap; i++) {
      if (old[i].key == 0) continue;
      uint64_t j = rt_hash_int(old[i].key) & mask;
      while (t[j].key != 0) j = (j + 1) & mask;
      t[j] = old[i];
    }
    rt_table_free(old);
    m->tab = t;
  }
  rt_map_set_cap(m, cap);
}

/* Finds key k (non-zero) in an int map: its entry, or NULL. */
static inline IEnt *rt_ifind(PoleMap *m, uint64_t k) {
  IEnt *t = m->tab;
  uint64_t mask = m->mask;
  uint64_t i = rt_hash_int(k) & mask;
  for (;;) {
    IEnt *e = &t[i];
    if (e->key == k) return e;
    if (e->key == 0) return NULL;
    i = (i + 1) & mask;
  }
}

/* Keeps, in order, the last log entry of each key now in the int map m (a
 * key removed and put again was logged twice). Walks the log from its end,
 * marking each kept key's table slot (slot `cap` stands for key 0), and
 * packs the kept entries at the end before moving them to the front. */
static RT_COLD void rt_ilog_compact(PoleMap *m) {
  uint64_t cap = m->mask + 1;
  size_t bytes = (size_t)(cap / 64 + 1) * sizeof(uint64_t);
  uint64_t *seen = rt_heap_alloc(bytes);
  memset(seen, 0, bytes);
  IEnt *t = m->tab;
  uint64_t *log = m->log;
  int64_t w = m->ord_len;
  for (int64_t i = m->ord_len - 1; i >= 0; i--) {
    uint64_t k = log[i], slot;
    if (k == 0) {
      if (!m->has_zero) continue;
      slot = cap;
    } else {
      IEnt *e = rt_ifind(m, k);
      if (e == NULL) continue;
      slot = (uint64_t)(e - t);
    }
    if (seen[slot / 64] >> (slot % 64) & 1) continue;
    seen[slot / 64] |= (uint64_t)1 << (slot % 64);
    log[--w] = k; /* w - 1 >= i: every entry still to read stays */
  }
  rt_heap_free(seen);
  int64_t n = m->ord_len - w;
  memmove(log, log + w, (size_t)n * sizeof(uint64_t));
  m->ord_len = n;
  m->stale = 0;
}

/* Logs the insertion of key k into the int map m; called before k is in the
 * table, so that a compaction here keeps none of k's earlier entries. */
static inline void rt_ilog_add(PoleMap *m, uint64_t k) {
  if (RT_UNLIKELY(m->ord_len == m->ord_cap)) {
    if (m->stale > 0 && m->stale >= m->ord_len / 2) rt_ilog_compact(m);
    if (m->ord_len == m->ord_cap) m->log = rt_map_order_grow(m, m->log, sizeof(uint64_t));
  }
  m->log[m->ord_len++] = k;
}

static inline int rt_skey_eq(uint64_t stored, const char *k, int64_t klen) {
  const char *s = (const char *)(uintptr_t)stored;
  if (s == k) return 1;
  return slen(s) == klen && memcmp(s, k, (size_t)klen) == 0;
}

static inline SEnt *rt_sfind(PoleMap *m, const char *k, uint64_t h) {
  SEnt *t = m->tab;
  uint64_t mask = m->mask;
  int64_t klen = slen(k);
  uint64_t i = h & mask;
  for (;;) {
    SEnt *e = &t[i];
    if (e->key == 0) return NULL;
    if (e->hash == h && rt_skey_eq(e->key, k, klen)) return e;
    i = (i + 1) & mask;
  }
}

static void rt_destroy_map(void *p) {
  PoleMap *m = p;
  int boxed = rt_boxed(m);
  uint64_t cap = m->mask + 1;
  if (m->is_str) {
    SEnt *t = m->tab;
    for (uint64_t i = 0; i < cap; i++) {
      if (t[i].key == 0) continue;
      rt_release(t[i].key);
      if (boxed) rt_release(t[i].val);
    }
  } else {
    IEnt *t = m->tab;
    if (boxed) {
      for (uint64_t i = 0; i < cap; i++)
        if (t[i].key != 0) rt_release(t[i].val);
      if (m->has_zero) rt_release(m->zero_val);
    }
  }
  rt_table_free(m->tab);
  if (m->ord != NULL) rt_heap_free(m->ord);
  if (m->log != NULL) rt_heap_free(m->log);
}

/* A value replaced in the map is given up. */
static inline void rt_map_drop_val(PoleMap *m, uint64_t v) {
  if (rt_boxed(m)) rt_decref((void *)(uintptr_t)v);
}

/* Sets key k to v (consumes k and v; the map is borrowed). */
void pole_map_put(void *mv, uint64_t k, uint64_t v) {
  PoleMap *m = mv;
  if (m->is_str) {
    const char *ks = (const char *)(uintptr_t)k;
    uint64_t h = rt_hash_str(ks);
    SEnt *e = rt_sfind(m, ks, h);
    if (e != NULL) {
      uint64_t old = e->val;
      e->val = v;
      rt_map_drop_val(m, old);
      rt_decref((void *)(uintptr_t)k); /* the stored key stays */
      return;
    }
    if (RT_UNLIKELY(m->used + 1 > m->limit)) rt_map_grow(m);
    SEnt *t = m->tab;
    uint64_t i = h & m->mask;
    while (t[i].key != 0) i = (i + 1) & m->mask;
    uint64_t o = rt_map_ord_add(m, k); /* before the entry exists (compaction) */
    t[i].key = k;
    t[i].val = v;
    t[i].hash = h;
    t[i].ord = o;
    m->used++;
    return;
  }
  if (RT_UNLIKELY(k == 0)) {
    uint64_t old = m->zero_val;
    int had = (int)m->has_zero;
    if (!had) rt_ilog_add(m, 0);
    m->has_zero = 1;
    m->zero_val = v;
    if (had) rt_map_drop_val(m, old);
    return;
  }
  IEnt *t = m->tab;
  uint64_t mask = m->mask;
  uint64_t i = rt_hash_int(k) & mask;
  for (;;) {
    IEnt *e = &t[i];
    if (e->key == k) {
      uint64_t old = e->val;
      e->val = v;
      rt_map_drop_val(m, old);
      return;
    }
    if (e->key == 0) break;
    i = (i + 1) & mask;
  }
  if (RT_UNLIKELY(m->used + 1 > m->limit)) {
    rt_map_grow(m);
    t = m->tab;
    mask = m->mask;
    i = rt_hash_int(k) & mask;
    while (t[i].key != 0) i = (i + 1) & mask;
  }
  rt_ilog_add(m, k); /* before the entry exists */
  t[i].key = k;
  t[i].val = v;
  m->used++;
}

static const PoleType rt_int_type = {PT_INT, NULL, 0, NULL, NULL, NULL};
static const PoleType rt_str_type = {PT_STRING, NULL, 0, NULL, NULL, NULL};

/* `key not found: key K` (a String key quoted, an Int key in decimal). */
static _Noreturn RT_COLD void rt_key_not_found(const PoleMap *m, uint64_t k, const char *loc) {
  rt_format_value("key not found", "key", k, m->is_str ? &rt_str_type : &rt_int_type);
  pole_panic_at(rt_msg_buf, loc);
}

/* The value of key k (borrowed); a runtime error at `loc` when absent. */
static uint64_t rt_map_lookup(PoleMap *m, uint64_t k, const char *loc) {
  if (m->is_str) {
    const char *ks = (const char *)(uintptr_t)k;
    SEnt *e = rt_sfind(m, ks, rt_hash_str(ks));
    if (RT_UNLIKELY(e == NULL)) rt_key_not_found(m, k, loc);
    return e->val;
  }
  if (RT_UNLIKELY(k == 0)) {
    if (!m->has_zero) rt_key_not_found(m, k, loc);
    return m->zero_val;
  }
  IEnt *e = rt_ifind(m, k);
  if (RT_UNLIKELY(e == NULL)) rt_key_not_found(m, k, loc);
  return e->val;
}

/* The value of key k, as a new reference (map and key borrowed); `loc`
 * locates the error when the key is absent (may be NULL). */
uint64_t pole_map_get(void *mv, uint64_t k, const char *loc) {
  PoleMap *m = mv;
  uint64_t v = rt_map_lookup(m, k, loc);
  if (rt_boxed(m)) rt_incref((void *)(uintptr_t)v);
  return v;
}

int64_t pole_map_contains(void *mv, uint64_t k) {
  PoleMap *m = mv;
  if (m->is_str) {
    const char *ks = (const char *)(uintptr_t)k;
    return rt_sfind(m, ks, rt_hash_str(ks)) != NULL;
  }
  if (k == 0) return m->has_zero;
  return rt_ifind(m, k) != NULL;
}

int64_t pole_map_size(void *mv) {
  PoleMap *m = mv;
  return m->used + m->has_zero;
}

/* ========================================================================== */
/* FFI helpers                                                                */
/* ========================================================================== */

int64_t pole_read_i32(const void *p) {
  int32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

void pole_write_i32(void *p, int64_t v) {
  int32_t w = (int32_t)(uint32_t)(uint64_t)v;
  memcpy(p, &w, sizeof w);
}

int64_t pole_read_i32_at(const void *p, int64_t off) {
  int32_t v;
  memcpy(&v, (const char *)p + off, sizeof v);
  return v;
}

void pole_write_i32_at(void *p, int64_t off, int64_t v) {
  int32_t w = (int32_t)(uint32_t)(uint64_t)v;
  memcpy((char *)p + off, &w, sizeof w);
}

void pole_write_i16_at(void *p, int64_t off, int64_t v) {
  int16_t w = (int16_t)(uint16_t)(uint64_t)v;
  memcpy((char *)p + off, &w, sizeof w);
}

int64_t pole_read_i64(const void *p) {
  int64_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* ========================================================================== */
/* Structural equality and display                                            */
/* ========================================================================== */

static inline double rt_bits_to_double(uint64_t u) {
  double d;
  memcpy(&d, &u, sizeof d);
  return d;
}

/* Index of the first payload type of constructor `tag` in t->args. */
static int64_t rt_payload_base(const PoleType *t, int64_t tag) {
  int64_t base = 0;
  for (int64_t c = 0; c < tag; c++) base += t->arities[c];
  return base;
}

/* No identity shortcuts for lists/records/variants: a NaN inside makes a
 * value unequal to itself. */
int64_t pole_eq(uint64_t a, uint64_t b, const PoleType *t) {
  for (;;) { /* loops instead of recursing on the last component */
    switch (t->kind) {
    case PT_INT:
    case PT_BOOL:
    case PT_PTR:
    case PT_MAP:
      return a == b;
    case PT_UNIT:
      return 1;
    case PT_FLOAT:
      return rt_bits_to_double(a) == rt_bits_to_double(b);
    case PT_STRING:
      return pole_str_eq((const char *)(uintptr_t)a, (const char *)(uintptr_t)b);
    case PT_LIST: {
      const List *x = (const List *)(uintptr_t)a, *y = (const List *)(uintptr_t)b;
      if (x->len != y->len) return 0;
      const PoleType *et = t->args[0];
      for (int64_t i = 0; i < x->len; i++)
        if (!pole_eq(x->data[i], y->data[i], et)) return 0;
      return 1;
    }
    case PT_RECORD:
    case PT_TUPLE: {
      const uint64_t *x = (const uint64_t *)(uintptr_t)a, *y = (const uint64_t *)(uintptr_t)b;
      int64_t n = t->count;
      if (n == 0) return 1;
      for (int64_t i = 0; i + 1 < n; i++)
        if (!pole_eq(x[i], y[i], t->args[i])) return 0;
      a = x[n - 1];
      b = y[n - 1];
      t = t->args[n - 1];
      continue;
    }
    case PT_VARIANT: {
      const uint64_t *x = (const uint64_t *)(uintptr_t)a, *y = (const uint64_t *)(uintptr_t)b;
      if (x[0] != y[0]) return 0;
      int64_t tag = (int64_t)x[0];
      if (tag < 0 || tag >= t->count) return 0;
      int64_t ar = t->arities[tag];
      if (ar == 0) return 1;
      int64_t base = rt_payload_base(t, tag);
      for (int64_t i = 0; i + 1 < ar; i++)
        if (!pole_eq(x[1 + i], y[1 + i], t->args[base + i])) return 0;
      a = x[ar];
      b = y[ar];
      t = t->args[base + ar - 1];
      continue;
    }
    default:
      return a == b;
    }
  }
}

/* Growable byte buffer (malloc'd scratch, freed after use). */
typedef struct StrBuf {
  char *p;
  size_t len, cap;
} StrBuf;

static void sb_reserve(StrBuf *sb, size_t extra) {
  if (sb->cap - sb->len >= extra) return;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap - sb->len < extra) {
    if (cap > ((size_t)1 << 46)) rt_oom();
    cap *= 2;
  }
  char *np = realloc(sb->p, cap);
  if (np == NULL) {
    free(sb->p);
    sb->p = NULL;
    rt_oom();
  }
  sb->p = np;
  sb->cap = cap;
}

static void sb_put(StrBuf *sb, const char *s, size_t n) {
  sb_reserve(sb, n);
  if (n) memcpy(sb->p + sb->len, s, n);
  sb->len += n;
}

static void sb_puts(StrBuf *sb, const char *s) { sb_put(sb, s, strlen(s)); }

static void sb_putc(StrBuf *sb, char c) {
  sb_reserve(sb, 1);
  sb->p[sb->len++] = c;
}

static void rt_show(StrBuf *sb, uint64_t v, const PoleType *t);

static void rt_show_str(StrBuf *sb, const char *s) {
  int64_t n = slen(s);
  sb_putc(sb, '"');
  int64_t run = 0; /* start of the pending run of plain bytes */
  for (int64_t i = 0; i < n; i++) {
    const char *esc = NULL;
    switch (s[i]) {
    case '\n': esc = "\\n"; break;
    case '\t': esc = "\\t"; break;
    case '\\': esc = "\\\\"; break;
    case '"': esc = "\\\""; break;
    case '\0': esc = "\\0"; break;
    default: break;
    }
    if (esc != NULL) {
      sb_put(sb, s + run, (size_t)(i - run));
      sb_put(sb, esc, 2);
      run = i + 1;
    }
  }
  sb_put(sb, s + run, (size_t)(n - run));
  sb_putc(sb, '"');
}

static void rt_show(StrBuf *sb, uint64_t v, const PoleType *t) {
  char buf[64];
  switch (t->kind) {
  case PT_INT:
    sb_put(sb, buf, (size_t)rt_fmt_int(buf, (int64_t)v));
    return;
  case PT_FLOAT:
    sb_put(sb, buf, (size_t)rt_fmt_float(buf, rt_bits_to_double(v)));
    return;
  case PT_BOOL:
    sb_puts(sb, v ? "true" : "false");
    return;
  case PT_UNIT:
    sb_puts(sb, "()");
    return;
  case PT_STRING:
    rt_show_str(sb, (const char *)(uintptr_t)v);
    return;
  case PT_PTR:
    snprintf(buf, sizeof buf, "Ptr(0x%llx)", (unsigned long long)v);
    sb_puts(sb, buf);
    return;
  case PT_MAP:
    snprintf(buf, sizeof buf, "HashMap(size=%" PRId64 ")", pole_map_size((void *)(uintptr_t)v));
    sb_puts(sb, buf);
    return;
  case PT_LIST: {
    const List *l = (const List *)(uintptr_t)v;
    sb_putc(sb, '[');
    for (int64_t i = 0; i < l->len; i++) {
      if (i) sb_put(sb, ", ", 2);
      rt_show(sb, l->data[i], t->args[0]);
    }
    sb_putc(sb, ']');
    return;
  }
  case PT_RECORD: {
    const uint64_t *x = (const uint64_t *)(uintptr_t)v;
    if (t->count == 0) {
      sb_puts(sb, "{}");
      return;
    }
    sb_put(sb, "{ ", 2);
    for (int64_t i = 0; i < t->count; i++) {
      if (i) sb_put(sb, ", ", 2);
      sb_puts(sb, t->names[i]);
      sb_put(sb, ": ", 2);
      rt_show(sb, x[i], t->args[i]);
    }
    sb_put(sb, " }", 2);
    return;
  }
  case PT_TUPLE: {
    const uint64_t *x = (const uint64_t *)(uintptr_t)v;
    sb_putc(sb, '(');
    for (int64_t i = 0; i < t->count; i++) {
      if (i) sb_put(sb, ", ", 2);
      rt_show(sb, x[i], t->args[i]);
    }
    sb_putc(sb, ')');
    return;
  }
  case PT_FUNC:
    sb_puts(sb, "<function>");
    return;
  case PT_VARIANT: {
    const uint64_t *x = (const uint64_t *)(uintptr_t)v;
    int64_t tag = (int64_t)x[0];
    if (tag < 0 || tag >= t->count) {
      sb_puts(sb, "<invalid>");
      return;
    }
    sb_puts(sb, t->names[tag]);
    int64_t ar = t->arities[tag];
    if (ar == 0) return;
    int64_t base = rt_payload_base(t, tag);
    sb_putc(sb, '(');
    for (int64_t i = 0; i < ar; i++) {
      if (i) sb_put(sb, ", ", 2);
      rt_show(sb, x[1 + i], t->args[base + i]);
    }
    sb_putc(sb, ')');
    return;
  }
  default:
    sb_puts(sb, "<?>");
    return;
  }
}

char *pole_show(uint64_t v, const PoleType *t) {
  StrBuf sb = {NULL, 0, 0};
  rt_show(&sb, v, t);
  char *s = rt_str_from_bytes(sb.p, sb.len);
  free(sb.p);
  return s;
}

/* ========================================================================== */
/* Standard library (reference section 6.1)                                  */
/*                                                                            */
/* Functions returning an Option take the static None cell from the caller   */
/* (`none`) and return it when there is no value; Some, Ok and Err cells are */
/* new. Those that consume their first argument update it in place when it  */
/* is unique (substring, trim, reverse, slice, sort).                        */
/* ========================================================================== */

static void *rt_cell2(int64_t tag, uint64_t v, int counted) {
  uint64_t *c = pole_alloc_obj(2, counted ? 2 : 0);
  c[0] = (uint64_t)tag;
  c[1] = v;
  return c;
}

static inline void *rt_some(uint64_t v, int counted) { return rt_cell2(1, v, counted); }

static inline uint64_t rt_sv(const char *s) { return (uint64_t)(uintptr_t)s; }

/* Err(strerror(e)) of a Result<_, String>. */
static void *rt_err_errno(int e) { return rt_cell2(1, rt_sv(pole_str_from_c(strerror(e))), 1); }

/* ---- strings ------------------------------------------------------------- */

/* The 256 one-byte strings (static, filled on first use). */
static struct {
  int64_t len;
  PoleHdr h;
  char b[8];
} rt_byte_strs[256];

char *pole_str_from_byte(int64_t b) {
  int i = (int)((uint64_t)b & 255);
  if (RT_UNLIKELY(rt_byte_strs[i].len == 0)) {
    rt_byte_strs[i].h.rc = 0;
    rt_byte_strs[i].h.kind = PK_STR;
    rt_byte_strs[i].b[0] = (char)i;
    rt_byte_strs[i].b[1] = '\0';
    rt_byte_strs[i].len = 1;
  }
  return rt_byte_strs[i].b;
}

/* Bytes start .. start+len-1 of s (consumes s: shortened in place when it
 * is unique). */
char *pole_str_substring(char *s, int64_t start, int64_t len, const char *loc) {
  int64_t n = slen(s);
  if (RT_UNLIKELY(start < 0 || len < 0 || start > n || len > n - start))
    rt_range_oob(start, len, n, loc);
  if (len == n) return s;
  if (len == 0) {
    rt_decref(s);
    return rt_empty_str.bytes;
  }
  if (HDR(s)->rc == 1) {
    memmove(s, s + start, (size_t)len);
    s[len] = '\0';
    *rt_len_word(s) = len;
    if (len < n / 4 && len >= 64) { /* give a big block's tail back */
      void *block = rt_heap_realloc(rt_block(s), RT_STR_PREFIX + (size_t)len + 1);
      s = (char *)block + RT_STR_PREFIX;
    }
    return s;
  }
  char *r = rt_str_from_bytes(s + start, (size_t)len);
  rt_decref(s);
  return r;
}

int64_t pole_str_byte_at(const char *s, int64_t i, const char *loc) {
  if (RT_UNLIKELY((uint64_t)i >= (uint64_t)slen(s))) rt_panic_index(i, slen(s), loc);
  return (unsigned char)s[i];
}

void *pole_str_find(const char *s, const char *sub, void *none) {
  int64_t ls = slen(s), lsub = slen(sub);
  if (lsub == 0) return rt_some(0, 0);
  if (lsub > ls) return none;
  const char *p = memmem(s, (size_t)ls, sub, (size_t)lsub);
  return p == NULL ? none : rt_some((uint64_t)(p - s), 0);
}

int64_t pole_str_starts_with(const char *s, const char *x) {
  int64_t ls = slen(s), lx = slen(x);
  return lx <= ls && memcmp(s, x, (size_t)lx) == 0;
}

int64_t pole_str_ends_with(const char *s, const char *x) {
  int64_t ls = slen(s), lx = slen(x);
  return lx <= ls && memcmp(s + (ls - lx), x, (size_t)lx) == 0;
}

static inline int rt_trim_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* s without leading and trailing blanks (consumes s). */
char *pole_str_trim(char *s) {
  int64_t n = slen(s), a = 0, b = n;
  while (a < n && rt_trim_ws(s[a])) a++;
  while (b > a && rt_trim_ws(s[b - 1])) b--;
  if (a == 0 && b == n) return s;
  return pole_str_substring(s, a, b - a, NULL);
}

/* The pieces of s between occurrences of sep (a list of new strings). */
void *pole_str_split(const char *s, const char *sep, const char *loc) {
  int64_t ls = slen(s), lsep = slen(sep);
  if (RT_UNLIKELY(lsep == 0)) pole_panic_at("empty separator", loc);
  int64_t count = 1;
  for (const char *p = s, *end = s + ls; (p = memmem(p, (size_t)(end - p), sep, (size_t)lsep));
       p += lsep)
    count++;
  if (RT_UNLIKELY(count > RT_LIST_MAX)) rt_oom();
  List *l = pole_list_alloc(count, 1);
  const char *p = s, *end = s + ls;
  for (int64_t i = 0; i < count; i++) {
    const char *q = i + 1 < count ? memmem(p, (size_t)(end - p), sep, (size_t)lsep) : end;
    l->data[i] = rt_sv(rt_str_from_bytes(p, (size_t)(q - p)));
    p = q + lsep;
  }
  return l;
}

/* The strings of `parts` with sep between them. */
char *pole_str_join(void *parts, const char *sep) {
  const List *l = parts;
  int64_t lsep = slen(sep);
  if (l->len == 0) return rt_empty_str.bytes;
  uint64_t total = (uint64_t)lsep * (l->len - 1);
  for (int64_t i = 0; i < l->len; i++) total += (uint64_t)slen((const char *)(uintptr_t)l->data[i]);
  if (RT_UNLIKELY(total > ((uint64_t)1 << 46))) rt_oom();
  char *r = rt_new_str((int64_t)total);
  char *d = r;
  for (int64_t i = 0; i < l->len; i++) {
    if (i > 0 && lsep > 0) {
      memcpy(d, sep, (size_t)lsep);
      d += lsep;
    }
    const char *x = (const char *)(uintptr_t)l->data[i];
    int64_t lx = slen(x);
    if (lx > 0) memcpy(d, x, (size_t)lx);
    d += lx;
  }
  return r;
}

/* Some(n) for an optional '-' and one or more digits in the Int range. */
void *pole_str_to_int(const char *s, void *none) {
  int64_t n = slen(s), i = 0;
  int neg = n > 0 && s[0] == '-';
  i = neg;
  if (i == n) return none;
  uint64_t limit = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1, v = 0;
  for (; i < n; i++) {
    unsigned d = (unsigned char)s[i] - '0';
    if (d > 9) return none;
    if (v > (limit - d) / 10) return none;
    v = v * 10 + d;
  }
  return rt_some(neg ? (uint64_t)0 - v : v, 0);
}

/* Some(x) for [-]digits[.digits][(e|E)[+|-]digits], correctly rounded. */
void *pole_str_to_float(const char *s, void *none) {
  int64_t n = slen(s), i = 0;
  if (i < n && s[i] == '-') i++;
  int64_t d0 = i;
  while (i < n && s[i] >= '0' && s[i] <= '9') i++;
  if (i == d0) return none;
  if (i < n && s[i] == '.') {
    int64_t f0 = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == f0) return none;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    i++;
    if (i < n && (s[i] == '+' || s[i] == '-')) i++;
    int64_t e0 = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i == e0) return none;
  }
  if (i != n) return none;
  double x = strtod(s, NULL);
  uint64_t bits;
  memcpy(&bits, &x, sizeof bits);
  return rt_some(bits, 0);
}

/* ---- lists --------------------------------------------------------------- */

/* A list that only its caller holds, with a buffer of its own: `l` itself
 * when it is so, else a copy (l is consumed). */
static List *rt_list_own(List *l) {
  if (rt_unique(l) && rt_unique(rt_list_buf(l))) return l;
  List *c = rt_list_copy(l->data, l->len, l->len, rt_boxed(l), -1);
  rt_decref(l);
  return c;
}

/* List_filter's list (consumes l): l itself when it and its buffer are
 * unique, else a copy; the filter then compacts it in place, moving each
 * element out and the kept ones to the front (src/ir/lower/filter.rs). */
void *pole_list_own(void *lv) {
  List *l = lv;
  if (l->len == 0) return l;
  return rt_list_own(l);
}

/* The first n elements of l, a list pole_list_own made unique whose slots
 * from n on are stale: moved to the front or dropped (consumes l). */
void *pole_list_truncate(void *lv, int64_t n) {
  List *l = lv;
  if (n >= (int64_t)l->len) return l;
  ListBuf *b = rt_list_buf(l);
  l->len = (uint32_t)n;
  b->used = (int64_t)l->start + n;
  return l;
}

/* The elements in reverse order (consumes l; in place when unique). */
void *pole_list_reverse(void *lv) {
  List *l = lv;
  int64_t n = l->len;
  if (n < 2) return l;
  if (rt_unique(l) && rt_unique(rt_list_buf(l))) {
    for (int64_t i = 0, j = n - 1; i < j; i++, j--) {
      uint64_t t = l->data[i];
      l->data[i] = l->data[j];
      l->data[j] = t;
    }
    return l;
  }
  int boxed = rt_boxed(l);
  ListBuf *b = rt_listbuf_new(n, boxed);
  for (int64_t i = 0; i < n; i++) {
    uint64_t v = l->data[n - 1 - i];
    if (boxed) rt_incref((void *)(uintptr_t)v);
    b->slots[i] = v;
  }
  b->used = n;
  rt_decref(l);
  return rt_list_hdr(b->slots, 0, n, boxed);
}

/* Elements start .. start+len-1 (consumes l): a view of the same buffer,
 * made from l's own header when it is unique. */
void *pole_list_slice(void *lv, int64_t start, int64_t len, const char *loc) {
  List *l = lv;
  int64_t n = l->len;
  if (RT_UNLIKELY(start < 0 || len < 0 || start > n || len > n - start))
    rt_range_oob(start, len, n, loc);
  if (len == n) return l;
  int boxed = rt_boxed(l);
  if (len == 0) {
    rt_decref(l);
    return rt_empty(boxed);
  }
  if (rt_unique(l)) {
    l->data += start;
    l->start += (uint32_t)start;
    l->len = (uint32_t)len;
    return l;
  }
  rt_incref(rt_list_buf(l));
  List *r = rt_list_hdr(l->data + start, (int64_t)l->start + start, len, boxed);
  rt_decref(l);
  return r;
}

typedef int (*RtLess)(uint64_t, uint64_t);

static int rt_less_int(uint64_t a, uint64_t b) { return (int64_t)a < (int64_t)b; }

/* NaN after every number (and equal to NaN: the sort is stable). */
static int rt_less_float(uint64_t a, uint64_t b) {
  double x = rt_bits_to_double(a), y = rt_bits_to_double(b);
  if (isnan(x)) return 0;
  if (isnan(y)) return 1;
  return x < y;
}

static int rt_less_str(uint64_t a, uint64_t b) {
  return pole_str_cmp((const char *)(uintptr_t)a, (const char *)(uintptr_t)b) < 0;
}

/* Stable merge sort of v[0..n) with scratch tmp[0..n): insertion sort of
 * runs of 16, then merges of doubling width. */
static void rt_merge_sort(uint64_t *v, uint64_t *tmp, int64_t n, RtLess lt) {
  const int64_t run = 16;
  for (int64_t lo = 0; lo < n; lo += run) {
    int64_t hi = lo + run < n ? lo + run : n;
    for (int64_t i = lo + 1; i < hi; i++) {
      uint64_t x = v[i];
      int64_t j = i;
      while (j > lo && lt(x, v[j - 1])) {
        v[j] = v[j - 1];
        j--;
      }
      v[j] = x;
    }
  }
  uint64_t *src = v, *dst = tmp;
  for (int64_t w = run; w < n; w *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * w) {
      int64_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
      int64_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) dst[k++] = lt(src[j], src[i]) ? src[j++] : src[i++];
      while (i < mid) dst[k++] = src[i++];
      while (j < hi) dst[k++] = src[j++];
    }
    uint64_t *t = src;
    src = dst;
    dst = t;
  }
  if (src != v) memcpy(v, src, (size_t)n * sizeof *v);
}

/* Ascending and stable (consumes l; in place when unique). kind: 0 Int,
 * 1 Float64, 2 String. */
void *pole_list_sort(void *lv, int64_t kind) {
  List *l = lv;
  int64_t n = l->len;
  if (n < 2) return l;
  l = rt_list_own(l);
  RtLess lt = kind == 1 ? rt_less_float : kind == 2 ? rt_less_str : rt_less_int;
  uint64_t *tmp = n > 16 ? rt_heap_alloc((size_t)n * sizeof(uint64_t)) : NULL;
  rt_merge_sort(l->data, tmp, n, lt);
  if (tmp != NULL) rt_heap_free(tmp);
  return l;
}

/* Whether some element equals v (structurally, by t: the element type). */
int64_t pole_list_contains(void *lv, uint64_t v, const PoleType *t) {
  const List *l = lv;
  for (int64_t i = 0; i < l->len; i++)
    if (pole_eq(l->data[i], v, t)) return 1;
  return 0;
}

/* ---- hash maps ------------------------------------------------------------- */

/* Removes table slot i (its key and value already given up): the entries
 * after it in its probe run move back. */
static void rt_map_unlink(PoleMap *m, uint64_t i) {
  uint64_t mask = m->mask;
  if (m->is_str) {
    SEnt *t = m->tab;
    for (uint64_t j = (i + 1) & mask; t[j].key != 0; j = (j + 1) & mask) {
      uint64_t home = t[j].hash & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        t[i] = t[j];
        i = j;
      }
    }
    t[i].key = 0;
  } else {
    IEnt *t = m->tab;
    for (uint64_t j = (i + 1) & mask; t[j].key != 0; j = (j + 1) & mask) {
      uint64_t home = rt_hash_int(t[j].key) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        t[i] = t[j];
        i = j;
      }
    }
    t[i].key = 0;
  }
  m->used--;
}

/* Removes key k if present (map and key borrowed). */
void pole_map_remove(void *mv, uint64_t k) {
  PoleMap *m = mv;
  if (m->is_str) {
    const char *ks = (const char *)(uintptr_t)k;
    SEnt *e = rt_sfind(m, ks, rt_hash_str(ks));
    if (e == NULL) return;
    uint64_t key = e->key, val = e->val;
    m->ord[e->ord].live = 0;
    rt_map_unlink(m, (uint64_t)(e - (SEnt *)m->tab));
    rt_decref((void *)(uintptr_t)key);
    rt_map_drop_val(m, val);
    return;
  }
  if (k == 0) {
    if (!m->has_zero) return;
    m->has_zero = 0;
    m->stale++;
    rt_map_drop_val(m, m->zero_val);
    return;
  }
  IEnt *e = rt_ifind(m, k);
  if (e == NULL) return;
  uint64_t val = e->val;
  m->stale++;
  rt_map_unlink(m, (uint64_t)(e - (IEnt *)m->tab));
  rt_map_drop_val(m, val);
}

/* Some(the value of k) (a new reference), or `none`. */
void *pole_map_find(void *mv, uint64_t k, void *none) {
  PoleMap *m = mv;
  uint64_t v;
  if (m->is_str) {
    const char *ks = (const char *)(uintptr_t)k;
    SEnt *e = rt_sfind(m, ks, rt_hash_str(ks));
    if (e == NULL) return none;
    v = e->val;
  } else if (k == 0) {
    if (!m->has_zero) return none;
    v = m->zero_val;
  } else {
    IEnt *e = rt_ifind(m, k);
    if (e == NULL) return none;
    v = e->val;
  }
  int boxed = rt_boxed(m);
  if (boxed) rt_incref((void *)(uintptr_t)v);
  return rt_some(v, boxed);
}

/* The keys in first-insertion order (a new list). */
void *pole_map_keys(void *mv) {
  PoleMap *m = mv;
  int64_t n = m->used + m->has_zero;
  int boxed = (int)m->is_str;
  if (n == 0) return rt_empty(boxed);
  List *l = pole_list_alloc(n, boxed);
  if (!m->is_str) {
    if (m->stale > 0) rt_ilog_compact(m);
    memcpy(l->data, m->log, (size_t)n * sizeof(uint64_t));
    return l;
  }
  int64_t j = 0;
  for (int64_t i = 0; i < m->ord_len && j < n; i++) {
    if (!m->ord[i].live) continue;
    uint64_t k = m->ord[i].key;
    rt_incref((void *)(uintptr_t)k);
    l->data[j++] = k;
  }
  return l;
}

/* ---- the process: arguments, stdin, files, stderr ---------------------- */

static int rt_argc = 0;
static char **rt_argv = NULL;

void pole_rt_set_args(int argc, char **argv) {
  rt_argc = argc;
  rt_argv = argv;
}

/* The command-line arguments after the program name (new strings). */
void *pole_args(void) {
  int64_t n = rt_argc > 1 ? rt_argc - 1 : 0;
  if (n == 0) return rt_empty(1);
  List *l = pole_list_alloc(n, 1);
  for (int64_t i = 0; i < n; i++) l->data[i] = rt_sv(pole_str_from_c(rt_argv[i + 1]));
  return l;
}

/* stdin, read with read(2) through a buffer of its own: reading never
 * flushes stdout (stdio would when stdout is line buffered). */
static char rt_in_buf[1 << 16];
static size_t rt_in_pos = 0, rt_in_len = 0;
static int rt_in_eof = 0;

static int rt_in_fill(void) {
  if (rt_in_eof) return 0;
  for (;;) {
    ssize_t r = read(STDIN_FILENO, rt_in_buf, sizeof rt_in_buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      rt_in_eof = 1;
      return 0;
    }
    rt_in_pos = 0;
    rt_in_len = (size_t)r;
    return 1;
  }
}

/* Some(the next line of stdin, without "\n" or "\r\n"), or `none` at the end. */
void *pole_read_line(void *none) {
  StrBuf sb = {NULL, 0, 0};
  int any = 0, nl = 0;
  while (!nl) {
    if (rt_in_pos == rt_in_len && !rt_in_fill()) break;
    const char *p = rt_in_buf + rt_in_pos;
    size_t avail = rt_in_len - rt_in_pos;
    const char *q = memchr(p, '\n', avail);
    size_t take = q != NULL ? (size_t)(q - p) : avail;
    sb_put(&sb, p, take);
    rt_in_pos += take + (q != NULL);
    nl = q != NULL;
    any = 1;
  }
  if (!any) {
    free(sb.p);
    return none;
  }
  if (nl && sb.len > 0 && sb.p[sb.len - 1] == '\r') sb.len--;
  char *s = rt_str_from_bytes(sb.p, sb.len);
  free(sb.p);
  return rt_some(rt_sv(s), 1);
}

/* A Pole string as a path: NULL when it holds a NUL byte. */
static const char *rt_path(const char *p) { return strlen(p) == (size_t)slen(p) ? p : NULL; }

/* Ok(the whole file) or Err(reason). */
void *pole_read_file(const char *path) {
  const char *cp = rt_path(path);
  if (cp == NULL) return rt_err_errno(EINVAL);
  int fd = open(cp, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return rt_err_errno(errno);
  struct stat st;
  int64_t cap = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 ? st.st_size : 4096;
  char *s = rt_new_str_cap(0, cap);
  int64_t len = 0;
  for (;;) {
    if (len == cap) {
      cap += cap / 2 + 4096;
      void *block = rt_heap_realloc(rt_block(s), RT_STR_PREFIX + (size_t)cap + 1);
      s = (char *)block + RT_STR_PREFIX;
    }
    ssize_t r = read(fd, s + len, (size_t)(cap - len));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      int e = errno;
      close(fd);
      *rt_len_word(s) = 0;
      rt_decref(s);
      return rt_err_errno(e);
    }
    if (r == 0) break;
    len += r;
  }
  close(fd);
  s[len] = '\0';
  *rt_len_word(s) = len;
  return rt_cell2(0, rt_sv(s), 1);
}


void pole_eprint_int(int64_t v) {
  char buf[24];
  fwrite(buf, 1, (size_t)rt_fmt_int(buf, v), stderr);
}

void pole_eprint_float(double v) {
  char buf[40];
  fwrite(buf, 1, (size_t)rt_fmt_float(buf, v), stderr);
}

void pole_eprint_bool(int64_t v) { fputs(v ? "true" : "false", stderr); }

void pole_eprint_str(const char *s) {
  int64_t n = slen(s);
  if (n > 0) fwrite(s, 1, (size_t)n, stderr);
}

void pole_eprint_newline(void) { putc('\n', stderr); }

/* ========================================================================== */
/* Tests                                                                      */
/* ========================================================================== */

/* Runs one test in this process: prints its PASS/FAIL line; 1 if it passed. */
static int rt_test_here(const char *name, uint64_t (*actual)(void), uint64_t (*expected)(void),
                        const PoleType *t) {
  TestFrame fr;
  volatile uint64_t got = 0, want = 0;
  fr.msg = NULL;
  fr.prev = rt_cur_test;
  if (sigsetjmp(fr.jb, 1) == 0) {
    rt_cur_test = &fr;
    got = actual();
    want = expected();
    rt_cur_test = fr.prev;
  } else {
    rt_cur_test = fr.prev;
    printf("FAIL %s: runtime error: %s\n", name, fr.msg);
    return 0;
  }
  int ok = (int)pole_eq(got, want, t);
  if (ok) {
    printf("PASS %s\n", name);
  } else {
    char *x = pole_show(want, t);
    char *y = pole_show(got, t);
    fputs("FAIL ", stdout);
    fputs(name, stdout);
    fputs(": expected ", stdout);
    fwrite(x, 1, (size_t)slen(x), stdout);
    fputs(", got ", stdout);
    fwrite(y, 1, (size_t)slen(y), stdout);
    fputc('\n', stdout);
    rt_decref(x);
    rt_decref(y);
  }
  rt_drop_typed(got, t);
  rt_drop_typed(want, t);
  return ok;
}

/* Tests run and passed (pole_test_summary prints them). */
static int64_t rt_tests_run = 0, rt_tests_passed = 0;

static double rt_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Runs one test in a child process, so a crash or a hang fails only that
 * test: the child prints the test's line and exits 0 if it passed; a child
 * killed by a signal or still running after `timeout` seconds is a FAIL. */
static int rt_test_isolated(const char *name, uint64_t (*actual)(void),
                            uint64_t (*expected)(void), const PoleType *t, double timeout) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) return rt_test_here(name, actual, expected, t);
  if (pid == 0) {
    int ok = rt_test_here(name, actual, expected, t);
    fflush(stdout);
    fflush(stderr);
    _exit(ok ? 0 : 1);
  }
  double deadline = rt_now() + timeout;
  long nap = 20000; /* ns, doubling up to 10 ms */
  int status = 0;
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0) {
      printf("FAIL %s: lost its test process\n", name);
      return 0;
    }
    if (timeout > 0 && rt_now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      printf("FAIL %s: timed out after %g s\n", name, timeout);
      return 0;
    }
    struct timespec ts = {0, nap};
    nanosleep(&ts, NULL);
    if (nap < 10000000) nap *= 2;
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char *sname = sigabbrev_np(sig);
    printf("FAIL %s: terminated by signal %d (SIG%s)\n", name, sig, sname ? sname : "?");
    return 0;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Runs test `name` unless POLE_TEST_FILTER is set and not part of its name;
 * isolated in a child process unless POLE_TEST_NOFORK=1 (then a crash ends
 * the whole run, and POLE_RT_STATS counts the tests' objects). The time
 * limit is POLE_TEST_TIMEOUT seconds (default 10; 0: none). */
int64_t pole_run_test(const char *name, uint64_t (*actual)(void),
                      uint64_t (*expected)(void), const PoleType *t) {
  const char *filter = getenv("POLE_TEST_FILTER");
  if (filter != NULL && *filter != '\0' && strstr(name, filter) == NULL) return 0;
  rt_tests_run++;
  const char *nofork = getenv("POLE_TEST_NOFORK");
  int ok;
  if (nofork != NULL && strcmp(nofork, "1") == 0) {
    ok = rt_test_here(name, actual, expected, t);
  } else {
    const char *tl = getenv("POLE_TEST_TIMEOUT");
    double timeout = tl != NULL ? strtod(tl, NULL) : 10.0;
    ok = rt_test_isolated(name, actual, expected, t, timeout);
  }
  rt_tests_passed += ok;
  return ok;
}

/* Prints `N passed, M failed` for the tests run; the exit status. */
int64_t pole_test_summary(void) {
  int64_t failed = rt_tests_run - rt_tests_passed;
  printf("%" PRId64 " passed, %" PRId64 " failed\n", rt_tests_passed, failed);
  return failed == 0 ? 0 : 1;
}

/* ========================================================================== */
/* Program entry: big-stack thread and stack-overflow detection              */
/* ========================================================================== */

#define RT_ALTSTACK_SIZE ((size_t)256 << 10)

static const char rt_overflow_msg[] = "pole: runtime error: stack overflow\n";

static const char *rt_signal_name(int sig) {
  switch (sig) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGFPE: return "SIGFPE";
  case SIGILL: return "SIGILL";
  case SIGABRT: return "SIGABRT";
  default: return "a signal";
  }
}

/* The Pole function a fatal signal interrupted, and its callers: the
 * function holding the faulting instruction, or else (a crash in C code)
 * the innermost return address into Pole code in the 64 KiB above the
 * stack pointer. Best effort: prints nothing when neither is found. Not
 * async-signal-safe (stdio), but the process is ending. */
static void rt_report_crash(int sig, void *uctx) {
  if (rt_nfuncs() == 0 || uctx == NULL) return;
  rt_sort_frames();
#if defined(__x86_64__) && defined(REG_RIP)
  const greg_t *r = ((ucontext_t *)uctx)->uc_mcontext.gregs;
  uintptr_t pc = (uintptr_t)r[REG_RIP], sp = (uintptr_t)r[REG_RSP], fp = (uintptr_t)r[REG_RBP];
  const char *in = rt_func_at(pc);
  const char *how = "";
  uintptr_t a = sp & ~(uintptr_t)7, end = a + (64u << 10);
  if (in == NULL) {
    /* C code need not keep frame pointers: find the return address into
     * Pole code, then the frame above it whose return address is a Pole
     * call (that function's frame). */
    how = " (in C code it called)";
    for (; a < end && rt_frame_ok(a); a += 8)
      if ((in = rt_func_at(*(const uintptr_t *)a)) != NULL) break;
    if (in == NULL) return;
    fp = 0;
    for (uintptr_t b = a + 8; b < end && rt_frame_ok(b); b += 8) {
      const uintptr_t *f = (const uintptr_t *)b;
      if (rt_call_at(f[1]) != NULL && f[0] > b) {
        fp = b;
        break;
      }
    }
  }
  fprintf(stderr, "pole: crashed with %s in %s%s\n", rt_signal_name(sig), in, how);
  rt_print_callers(fp);
  fflush(stderr);
#else
  (void)sig;
#endif
}

/* Where a stack overflow happened: `  at FILE in FUNCTION` and the
 * callers (recursion shows as one line and a count). */
static void rt_report_overflow(void *uctx) {
  if (rt_nfuncs() == 0 || uctx == NULL) return;
  rt_sort_frames();
#if defined(__x86_64__) && defined(REG_RIP)
  const greg_t *r = ((ucontext_t *)uctx)->uc_mcontext.gregs;
  const char *in = rt_func_at((uintptr_t)r[REG_RIP]);
  if (in == NULL) return;
  fprintf(stderr, "  at %s\n", in);
  rt_print_callers((uintptr_t)r[REG_RBP]);
  fflush(stderr);
#endif
}

static void rt_fault_handler(int sig, siginfo_t *si, void *uctx) {
  uintptr_t a = (uintptr_t)si->si_addr;
  int overflow = rt_stack_hi == 0 || (a >= rt_stack_lo && a < rt_stack_hi);
  if (!overflow) {
    /* Not a stack overflow: keep what the program printed (not
     * async-signal-safe, but the process is ending), say where it crashed,
     * restore the default action and return, so the faulting instruction
     * faults again and the process dies as usual (its parent reports the
     * signal). */
    fflush(stdout);
    rt_report_crash(sig, uctx);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
    return;
  }
  TestFrame *t = rt_cur_test;
  if (t != NULL) {
    t->msg = "stack overflow";
    siglongjmp(t->jb, 1);
  }
  fflush(stdout); /* not async-signal-safe, but the program ends here */
  ssize_t w = write(STDERR_FILENO, rt_overflow_msg, sizeof rt_overflow_msg - 1);
  (void)w;
  rt_report_overflow(uctx);
  _exit(101);
}

/* abort(), a bad instruction or an arithmetic trap in C code: flush what
 * the program printed, then die of the signal as usual. */
static void rt_fatal_handler(int sig, siginfo_t *si, void *uctx) {
  (void)si;
  fflush(stdout);
  rt_report_crash(sig, uctx);
  signal(sig, SIG_DFL);
  raise(sig);
}

static void rt_install_fault_handlers(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = rt_fault_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  struct sigaction fa;
  memset(&fa, 0, sizeof fa);
  fa.sa_sigaction = rt_fatal_handler;
  fa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&fa.sa_mask);
  sigaction(SIGABRT, &fa, NULL);
  sigaction(SIGFPE, &fa, NULL);
  sigaction(SIGILL, &fa, NULL);
}

/* The signal stack of the Pole thread (NULL if none could be set up). */
static void *rt_setup_altstack(void) {
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_sp = malloc(RT_ALTSTACK_SIZE);
  if (ss.ss_sp == NULL) return NULL;
  ss.ss_size = RT_ALTSTACK_SIZE;
  ss.ss_flags = 0;
  if (sigaltstack(&ss, NULL) != 0) {
    free(ss.ss_sp);
    return NULL;
  }
  return ss.ss_sp;
}

static void rt_free_altstack(void *sp) {
  if (sp == NULL) return;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, NULL);
  free(sp);
}

typedef struct RtStart {
  int64_t (*entry)(void);
  int64_t result;
} RtStart;

static void *rt_thread_main(void *arg) {
  RtStart *st = arg;
  void *alt = rt_setup_altstack();
  st->result = st->entry();
  rt_free_altstack(alt);
  return NULL;
}

int pole_rt_start(int64_t (*entry)(void)) {
  RtStart st = {entry, 0};
  rt_install_fault_handlers();
  static const size_t sizes[] = {(size_t)256 << 20, (size_t)64 << 20};
  int started = 0;
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0] && !started; i++) {
    size_t total = sizes[i] + RT_GUARD_SIZE;
    char *base = mmap(NULL, total, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED) continue;
    if (mprotect(base, RT_GUARD_SIZE, PROT_NONE) != 0) {
      munmap(base, total);
      continue;
    }
#ifdef MADV_HUGEPAGE
    /* Fewer page faults for deep recursion (ignored if unsupported). */
    madvise(base + RT_GUARD_SIZE, sizes[i], MADV_HUGEPAGE);
#endif
    pthread_attr_t attr;
    if (pthread_attr_init(&attr) != 0) {
      munmap(base, total);
      continue;
    }
    pthread_t th;
    rt_stack_lo = (uintptr_t)base;
    rt_stack_hi = (uintptr_t)base + total;
    if (pthread_attr_setstack(&attr, base + RT_GUARD_SIZE, sizes[i]) == 0 &&
        pthread_create(&th, &attr, rt_thread_main, &st) == 0) {
      started = 1;
      pthread_attr_destroy(&attr);
      pthread_join(th, NULL);
    } else {
      rt_stack_lo = rt_stack_hi = 0;
      pthread_attr_destroy(&attr);
      munmap(base, total);
    }
  }
  if (!started) {
    /* Fall back to the main thread's stack; any fault counts as overflow. */
    rt_stack_lo = rt_stack_hi = 0;
    rt_thread_main(&st);
  }
  rt_out_finish();
  return (int)(st.result & 0xff);
}

/* What a program's main does: its arguments, the heap, the exit handlers,
 * then `entry` (pole_main) on the big stack. */
__attribute__((unused)) static int rt_main(int argc, char **argv, int64_t (*entry)(void)) {
  pole_rt_set_args(argc, argv);
  rt_heap_init();
  if (rt_heap_stats_enabled()) atexit(rt_heap_report);
  atexit(rt_out_atexit);
  return pole_rt_start(entry);
}

#ifdef POLE_RT_LOADED
void pole_rt_clock_reset(void);

/* main of a program loaded by `pole run` into a fresh child of `pole`
 * (src/load/): `entry` is its pole_main, the tables those of its objects. */
int pole_rt_run_loaded(int argc, char **argv, int64_t (*entry)(void), RtFuncEntry *funcs,
                       RtFuncEntry *funcs_end, RtCallEntry *calls, RtCallEntry *calls_end) {
  rt_funcs_lo = funcs;
  rt_funcs_hi = funcs_end;
  rt_calls_lo = calls;
  rt_calls_hi = calls_end;
  pole_rt_clock_reset();
  return rt_main(argc, argv, entry);
}
#elif !defined(POLE_RT_NO_MAIN)
int main(int argc, char **argv) { return rt_main(argc, argv, pole_main); }
#endif

/* Last, so that adding them moved no other function of the runtime. */
#include "pole_update.c"
