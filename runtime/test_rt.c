/* test_rt.c - tests of the pole runtime (pole_rt.c).
 *
 * Built together with pole_rt.c (including its main), so everything runs the
 * way a compiled Pole program does: pole_main below is the entry point, run
 * on the runtime's big-stack thread. The environment variable
 * POLE_RT_TEST_MODE selects what to do (see test.sh):
 *   unset      unit tests; exit status 0 iff all checks pass
 *   deep       100,000-deep non-tail recursion, then exit status 300 & 255
 *   overflow   unbounded recursion: runtime error `stack overflow`
 *   panic      index out of bounds after unflushed output
 *   segv       a wild pointer access (not a stack overflow)
 */
#include "pole_rt.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int checks = 0, failures = 0;

#define CHECK(cond)                                                      \
  do {                                                                   \
    checks++;                                                            \
    if (!(cond)) {                                                       \
      failures++;                                                        \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                    \
  } while (0)

static int64_t plen(const char *s) { return pole_str_length(s); }

/* Compares a Pole string with a C string literal (by bytes). */
static void check_str_at(const char *got, const char *want, size_t wantlen, int line) {
  checks++;
  if ((size_t)plen(got) != wantlen || memcmp(got, want, wantlen) != 0 || got[wantlen] != '\0') {
    failures++;
    fprintf(stderr, "%s:%d: got \"", __FILE__, line);
    fwrite(got, 1, (size_t)plen(got), stderr);
    fprintf(stderr, "\", want \"%s\"\n", want);
  }
}
#define CHECK_STR(got, want) check_str_at((got), (want), sizeof(want) - 1, __LINE__)

/* A Pole string literal in the compiler's static layout (count 0). */
#define LIT(name, text)                                             \
  static struct {                                                   \
    int64_t len;                                                    \
    PoleHdr h;                                                      \
    char b[sizeof(text)];                                           \
  } name##_lit = {sizeof(text) - 1, {0, PK_STR, 0, 0}, text};       \
  char *name = name##_lit.b

/* Keeps a reference: the runtime entry points that consume an argument
 * are given one of their own, so the caller may go on using the value. */
static void *K(void *p) {
  PoleHdr *h = (PoleHdr *)p - 1;
  if (h->rc != 0) h->rc++;
  return p;
}

static uint32_t RC(const void *p) { return ((const PoleHdr *)p - 1)->rc; }

static uint64_t fbits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static uint64_t S(const char *c) { return (uint64_t)(uintptr_t)pole_str_from_c(c); }

/* ------------------------------------------------------------------------ */

static void test_floats(void) {
  static const struct {
    double v;
    const char *s;
  } table[] = {
      {1.0, "1.0"},
      {2.5, "2.5"},
      {0.1 + 0.2, "0.30000000000000004"},
      {2100.0, "2100.0"},
      {1e21, "1e21"},
      {1e20, "100000000000000000000.0"},
      {123456789012345680000.0, "123456789012345680000.0"},
      {1234567890123456800000.0, "1.2345678901234568e21"},
      {1.5e-7, "1.5e-7"},
      {1e-7, "1e-7"},
      {1e-6, "0.000001"},
      {1.25e-6, "0.00000125"},
      {0.001, "0.001"},
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {-1.5, "-1.5"},
      {1.0 / 3.0, "0.3333333333333333"},
      {2.0 / 3.0, "0.6666666666666666"},
      {100.0 * 1.1, "110.00000000000001"},
      {1.0 - 0.9, "0.09999999999999998"},
      {123456.789, "123456.789"},
      {1e12, "1000000000000.0"},
      {1e15, "1000000000000000.0"},
      {1e16, "10000000000000000.0"},
      {9007199254740992.0, "9007199254740992.0"},
      {18014398509481984.0, "18014398509481984.0"},
      {1152921504606846976.0, "1152921504606847000.0"},
      {-26.0 * 9.0 / 5.0 + 32.0, "-14.799999999999997"},
      {78.53975, "78.53975"},
      {5e-324, "5e-324"},
      {DBL_MIN, "2.2250738585072014e-308"},
      {DBL_MAX, "1.7976931348623157e308"},
      {1e100, "1e100"},
      {1.7e-300, "1.7e-300"},
      {0.1, "0.1"},
      {-1e-10, "-1e-10"},
      {5e-7, "5e-7"},
      {4.35, "4.35"},
      {9.5e-5, "0.000095"},
      {2.0 * 4.0, "8.0"},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    check_str_at(pole_float_to_string(table[i].v), table[i].s, strlen(table[i].s), __LINE__);
  CHECK_STR(pole_float_to_string(NAN), "NaN");
  CHECK_STR(pole_float_to_string(INFINITY), "inf");
  CHECK_STR(pole_float_to_string(-INFINITY), "-inf");
  /* Random bit patterns read back exactly (NaN/inf excluded). */
  uint64_t state = 0x123456789abcdefULL;
  int bad = 0;
  for (int i = 0; i < 200000; i++) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    uint64_t u = state ^ (state >> 29);
    double x;
    memcpy(&x, &u, sizeof x);
    if (!isfinite(x)) continue;
    const char *s = pole_float_to_string(x);
    if (strtod(s, NULL) != x || (signbit(x) != 0) != (s[0] == '-')) bad++;
  }
  CHECK(bad == 0);
  /* Powers of two (asymmetric rounding intervals) read back exactly. */
  for (int e = -1074; e <= 1023; e++) {
    double x = ldexp(1.0, e);
    const char *s = pole_float_to_string(x);
    CHECK(strtod(s, NULL) == x);
  }
}

static void test_strings(void) {
  CHECK_STR(pole_int_to_string(INT64_MIN), "-9223372036854775808");
  CHECK_STR(pole_int_to_string(INT64_MAX), "9223372036854775807");
  CHECK_STR(pole_int_to_string(0), "0");
  CHECK_STR(pole_int_to_string(-42), "-42");
  LIT(ab, "a\0b");
  LIT(empty, "");
  LIT(hello, "hello");
  CHECK(plen(ab) == 3);
  CHECK(plen(empty) == 0);
  char *c = pole_str_concat(hello, ab);
  CHECK_STR(c, "helloa\0b");
  CHECK(pole_str_concat(hello, empty) == hello);
  CHECK(pole_str_concat(empty, hello) == hello);
  CHECK(pole_str_contains(c, ab));
  CHECK(pole_str_contains(c, empty));
  CHECK(pole_str_contains(empty, empty));
  CHECK(!pole_str_contains(empty, hello));
  CHECK(pole_str_contains(hello, pole_str_from_c("llo")));
  CHECK(!pole_str_contains(hello, pole_str_from_c("lo!")));
  CHECK(!pole_str_contains(hello, pole_str_from_c("a")));
  CHECK(pole_str_eq(hello, pole_str_from_c("hello")));
  CHECK(!pole_str_eq(hello, pole_str_from_c("hell")));
  CHECK(!pole_str_eq(ab, pole_str_from_c("a")));
  CHECK(pole_str_cmp(ab, pole_str_from_c("a")) == 1);
  CHECK(pole_str_cmp(pole_str_from_c("a"), ab) == -1);
  CHECK(pole_str_cmp(hello, pole_str_from_c("hello")) == 0);
  CHECK(pole_str_cmp(pole_str_from_c("abc"), pole_str_from_c("abd")) == -1);
  CHECK(pole_str_cmp(pole_str_from_c("\xff"), pole_str_from_c("a")) == 1);
  CHECK(pole_str_cmp(empty, pole_str_from_c("")) == 0);
  CHECK_STR(pole_str_from_c(NULL), "");
  /* An extern returning String is copied by the compiler: the runtime's
   * pole_ptr_to_string hands the C string over as it is. */
  char buf[16] = "xyz";
  CHECK(pole_ptr_to_string(buf) == buf);
  const char *copy = pole_str_from_c(pole_ptr_to_string(buf));
  buf[0] = 'Q';
  CHECK_STR(copy, "xyz");
  /* Runtime strings keep their length header 8-aligned. */
  CHECK(((uintptr_t)copy & 7) == 0);
  /* Cells: 8-aligned (16-aligned blocks, an 8-byte header), count 1. */
  static const uint64_t no_counted[2] = {0, 0}; /* mask words of wide cells */
  for (int i = 0; i < 100; i++) {
    void *p = pole_alloc_obj(i % 70, i % 70 > 16 ? (uint64_t)(uintptr_t)no_counted : 0);
    CHECK(((uintptr_t)p & 7) == 0 && RC(p) == 1);
    pole_free(p);
  }
  /* Appending to a unique string works in place; a shared one is copied. */
  char *u = pole_str_from_c("ab");
  for (int i = 0; i < 1000; i++) u = pole_str_concat(u, pole_str_from_c("cd"));
  CHECK(plen(u) == 2002 && u[2000] == 'c' && u[2002] == 0 && RC(u) == 1);
  char *shared = K(u);
  char *v = pole_str_concat(u, pole_str_from_c("!"));
  CHECK(v != shared && plen(shared) == 2002 && plen(v) == 2003 && RC(shared) == 1);
  pole_free(shared);
  pole_free(v);
}

/* The out-of-line drops of debug code (pole_rc.c): a cell of three
 * counted slots {a, b, c} whose slot 0 (and for pole_reset slot 2) the
 * caller loaded and keeps. */
static uint64_t *rc_cell(char *a, char *b, char *c) {
  uint64_t *p = pole_alloc_obj(3, 7);
  p[0] = (uint64_t)(uintptr_t)a;
  p[1] = (uint64_t)(uintptr_t)b;
  p[2] = (uint64_t)(uintptr_t)c;
  return p;
}

static void test_rc(void) {
  char *a = pole_str_from_c("a"), *b = pole_str_from_c("b"), *c = pole_str_from_c("c");
  char *kb = K(b), *kc = K(c); /* kept, to read their counts */
  /* pole_dup and pole_drop: static objects stay at 0. */
  LIT(lit, "static");
  pole_dup(lit);
  pole_drop(lit);
  CHECK(RC(lit) == 0);
  pole_dup(a);
  CHECK(RC(a) == 2);
  pole_drop(a);
  CHECK(RC(a) == 1);

  /* Unique: freed; a (moved) keeps its count, b and c are counted down. */
  uint64_t *p = rc_cell(a, b, c);
  pole_drop_moved(p, 1);
  CHECK(RC(a) == 1 && RC(kb) == 1 && RC(kc) == 1);
  /* Its block is the next one of its class (pool mode: a free list). */
  uint64_t *q = pole_alloc_obj(3, 0);
  CHECK(q == p);
  pole_free(q);

  /* Shared: counted down, the moved slot counted up, the others kept. */
  p = rc_cell(a, K(b), K(c));
  K(p);
  pole_drop_moved(p, 1);
  CHECK(RC(p) == 1 && RC(a) == 2 && RC(b) == 2 && RC(c) == 2);
  pole_drop(a); /* the caller's moved reference */
  /* Static (count 0): the moved slots counted up, the cell untouched. */
  static struct {
    PoleHdr h;
    uint64_t slots[3];
  } st = {{0, PK_CELL, 3 << PF_CAP_SHIFT, 7}, {0, 0, 0}};
  uint64_t *sp = st.slots;
  sp[0] = (uint64_t)(uintptr_t)b;
  sp[1] = (uint64_t)(uintptr_t)b;
  sp[2] = (uint64_t)(uintptr_t)b;
  pole_drop_moved(sp, 5);
  CHECK(RC(sp) == 0 && RC(b) == 4);
  pole_drop(b);
  pole_drop(b);

  /* pole_reset, unique: the block back as a token; b counted down, a and
   * c (moved) kept. */
  CHECK(RC(b) == 2 && RC(c) == 2);
  void *tok = pole_reset(p, 5);
  CHECK(tok == p && RC(a) == 1 && RC(b) == 1 && RC(c) == 2);
  void *r = pole_alloc_reuse(tok, 2, 0);
  CHECK(r == tok && RC(r) == 1);
  pole_free(r);
  pole_drop(c); /* the caller's moved reference */

  /* pole_reset, shared: NULL, counted down, moved slots counted up. */
  p = rc_cell(K(a), K(b), K(c));
  K(p);
  CHECK(pole_reset(p, 5) == NULL);
  CHECK(RC(p) == 1 && RC(a) == 3 && RC(b) == 2 && RC(c) == 3);
  pole_drop(a);
  pole_drop(c);
  pole_drop(p);
  CHECK(RC(a) == 1 && RC(b) == 1 && RC(c) == 1);
  pole_drop(a);
  pole_drop(kb);
  pole_drop(kc);
}

static void test_ffi(void) {
  unsigned char buf[16];
  memset(buf, 0, sizeof buf);
  pole_write_i32(buf, 2147483648LL);
  CHECK(pole_read_i32(buf) == -2147483648LL);
  pole_write_i32(buf, 4294967296LL + 77);
  CHECK(pole_read_i32(buf) == 77);
  pole_write_i32_at(buf, 3, -5); /* unaligned */
  CHECK(pole_read_i32_at(buf, 3) == -5);
  pole_write_i32_at(buf, 0, 5);
  pole_write_i32_at(buf, 4, 5);
  CHECK(pole_read_i64(buf) == 21474836485LL);
  pole_write_i32_at(buf, 12, -1);
  pole_write_i16_at(buf, 13, 65536);
  CHECK(pole_read_i32_at(buf, 12) == -16776961LL);
  CHECK(pole_read_i64(buf + 1) == pole_read_i64(buf + 1));
}

/* ------------------------------------------------------------------------ */

static int64_t L_len(void *l) { return pole_list_length(l); }
static int64_t L_get(void *l, int64_t i) { return (int64_t)pole_list_get(l, i); }

static void *list_of(int n, const int64_t *v) {
  void *l = pole_list_alloc(n, 0);
  for (int i = 0; i < n; i++) pole_list_init(l, i, (uint64_t)v[i]);
  return l;
}

static int list_is(void *l, int n, const int64_t *v) {
  if (L_len(l) != n) return 0;
  for (int i = 0; i < n; i++)
    if (L_get(l, i) != v[i]) return 0;
  return 1;
}

static void test_lists(void) {
  void *e = pole_list_new(0);
  CHECK(L_len(e) == 0);
  CHECK(L_len(pole_list_alloc(0, 0)) == 0);
  CHECK(pole_list_get_default(e, 0, 99) == 99);

  /* K(x): the caller keeps x, so the operation must leave it intact. */
  static const int64_t b3[] = {10, 20, 30};
  void *base = list_of(3, b3);
  void *changed = pole_list_set(K(base), 1, 99, NULL);
  CHECK(list_is(base, 3, b3));
  CHECK(list_is(changed, 3, (const int64_t[]){10, 99, 30}));
  void *longer = pole_list_push(K(base), 40);
  CHECK(list_is(base, 3, b3));
  CHECK(list_is(longer, 4, (const int64_t[]){10, 20, 30, 40}));
  void *left = pole_list_push(K(longer), 50);
  void *right = pole_list_push(K(longer), 60); /* pushing onto an old version */
  CHECK(list_is(longer, 4, (const int64_t[]){10, 20, 30, 40}));
  CHECK(list_is(left, 5, (const int64_t[]){10, 20, 30, 40, 50}));
  CHECK(list_is(right, 5, (const int64_t[]){10, 20, 30, 40, 60}));
  void *left2 = pole_list_set(K(left), 0, (uint64_t)-1, NULL);
  CHECK(list_is(left, 5, (const int64_t[]){10, 20, 30, 40, 50}));
  CHECK(list_is(left2, 5, (const int64_t[]){-1, 20, 30, 40, 50}));
  void *left3 = pole_list_push(K(left), 70);
  CHECK(list_is(left3, 6, (const int64_t[]){10, 20, 30, 40, 50, 70}));
  CHECK(list_is(right, 5, (const int64_t[]){10, 20, 30, 40, 60}));
  CHECK(pole_list_get_default(left, 4, 0) == 50);
  CHECK(pole_list_get_default(left, 5, 7) == 7);
  CHECK(pole_list_get_default(left, -1, 7) == 7);

  /* Unique lists are updated in place. */
  void *u = list_of(3, b3);
  CHECK(pole_list_set(u, 2, 7, NULL) == u && list_is(u, 3, (const int64_t[]){10, 20, 7}));
  CHECK(pole_list_push(u, 8) == u && list_is(u, 4, (const int64_t[]){10, 20, 7, 8}));
  pole_free(u);

  /* Big list built by pushing, with a version taken halfway. */
  void *l = e, *half = NULL;
  for (int64_t i = 0; i < 1000000; i++) {
    if (i == 500000) half = K(l);
    l = pole_list_push(l, (uint64_t)(i * 3 - 7));
  }
  CHECK(L_len(l) == 1000000 && L_len(half) == 500000);
  int64_t sum = 0;
  for (int64_t i = 0; i < L_len(l); i++) sum += L_get(l, i);
  CHECK(sum == 1499998500000LL - 7000000LL);
  void *other = pole_list_push(K(half), 1);
  CHECK(L_get(other, 500000) == 1 && L_get(l, 500000) == 1499993);
  CHECK(L_len(half) == 500000);

  /* Tail: an O(1) view; pushing onto it leaves the original alone. */
  static const int64_t t4[] = {1, 2, 3, 4};
  void *four = list_of(4, t4);
  void *t = pole_list_tail(K(four));
  CHECK(list_is(t, 3, (const int64_t[]){2, 3, 4}));
  void *tp = pole_list_push(K(t), 5);
  CHECK(list_is(tp, 4, (const int64_t[]){2, 3, 4, 5}));
  void *fp = pole_list_push(K(four), 6);
  CHECK(list_is(four, 4, t4));
  CHECK(list_is(fp, 5, (const int64_t[]){1, 2, 3, 4, 6}));
  CHECK(list_is(tp, 4, (const int64_t[]){2, 3, 4, 5}));
  void *tt = t;
  for (int i = 0; i < 3; i++) tt = pole_list_tail(tt);
  CHECK(L_len(tt) == 0);
  CHECK(list_is(pole_list_push(tt, 9), 1, (const int64_t[]){9}));

  /* Concat (consumes the list of lists). */
  void *parts[4] = {base, e, four, changed};
  void *ls = pole_list_alloc(4, 1);
  for (int i = 0; i < 4; i++) pole_list_init(ls, i, (uint64_t)(uintptr_t)K(parts[i]));
  void *cat = pole_list_concat(ls, 0);
  CHECK(list_is(cat, 10, (const int64_t[]){10, 20, 30, 1, 2, 3, 4, 10, 99, 30}));
  CHECK(list_is(base, 3, b3));
  void *cat2 = pole_list_push(K(cat), 5);
  void *cat3 = pole_list_push(K(cat), 6);
  CHECK(L_get(cat2, 10) == 5 && L_get(cat3, 10) == 6 && L_len(cat) == 10);
  void *none = pole_list_alloc(2, 1);
  pole_list_init(none, 0, (uint64_t)(uintptr_t)e);
  pole_list_init(none, 1, (uint64_t)(uintptr_t)e);
  CHECK(L_len(pole_list_concat(none, 0)) == 0);
  CHECK(L_len(pole_list_concat(pole_list_new(1), 0)) == 0);
  /* Repeated acc = concat([acc, [i]]) stays correct. */
  void *acc = e;
  void *snap = NULL;
  for (int64_t i = 0; i < 2000; i++) {
    void *one = pole_list_push(e, (uint64_t)i);
    void *pair = pole_list_alloc(2, 1);
    pole_list_init(pair, 0, (uint64_t)(uintptr_t)acc);
    pole_list_init(pair, 1, (uint64_t)(uintptr_t)one);
    acc = pole_list_concat(pair, 0);
    if (i == 999) snap = K(acc);
  }
  int ok = L_len(acc) == 2000 && L_len(snap) == 1000;
  for (int64_t i = 0; i < 2000 && ok; i++) ok = L_get(acc, i) == i;
  CHECK(ok);
  /* Concat of a list with itself. */
  void *self = pole_list_alloc(2, 1);
  pole_list_init(self, 0, (uint64_t)(uintptr_t)K(fp));
  pole_list_init(self, 1, (uint64_t)(uintptr_t)K(fp));
  CHECK(list_is(pole_list_concat(self, 0), 10, (const int64_t[]){1, 2, 3, 4, 6, 1, 2, 3, 4, 6}));
  CHECK(list_is(fp, 5, (const int64_t[]){1, 2, 3, 4, 6}));
  /* Concat of a list with itself and with its own later version. */
  void *a2 = pole_list_push(pole_list_push(e, 1), 2);
  void *v3 = pole_list_push(K(a2), 3);
  void *pairs[3][2] = {{a2, a2}, {v3, a2}, {a2, v3}};
  static const int64_t want[3][5] = {{1, 2, 1, 2}, {1, 2, 3, 1, 2}, {1, 2, 1, 2, 3}};
  static const int wantn[3] = {4, 5, 5};
  for (int i = 0; i < 3; i++) {
    void *pl = pole_list_alloc(2, 1);
    pole_list_init(pl, 0, (uint64_t)(uintptr_t)K(pairs[i][0]));
    pole_list_init(pl, 1, (uint64_t)(uintptr_t)K(pairs[i][1]));
    CHECK(list_is(pole_list_concat(pl, 0), wantn[i], want[i]));
  }
  CHECK(list_is(a2, 2, (const int64_t[]){1, 2}));
  CHECK(list_is(v3, 3, (const int64_t[]){1, 2, 3}));
  CHECK(list_is(pole_list_push(K(v3), 4), 4, (const int64_t[]){1, 2, 3, 4}));

  /* Lists of counted elements count them: a shared element survives the
   * list; freeing a 10^6-element list takes no recursion. */
  char *keep = pole_str_from_c("kept");
  void *sl = pole_list_new(1);
  for (int i = 0; i < 1000000; i++)
    sl = pole_list_push(sl, (uint64_t)(uintptr_t)(i == 5 ? K(keep) : pole_str_from_c("x")));
  CHECK(RC(keep) == 2);
  pole_free(sl);
  CHECK(RC(keep) == 1 && plen(keep) == 4);
  pole_free(keep);
}

/* ------------------------------------------------------------------------ */

static void test_maps(void) {
  void *m = pole_map_new(4, 0, 0);
  const int64_t N = 100000;
  for (int64_t i = 0; i < N; i++) pole_map_put(m, (uint64_t)(i * 7919 - 300000), (uint64_t)i);
  CHECK(pole_map_size(m) == N);
  int bad = 0;
  for (int64_t i = 0; i < N; i++)
    if (!pole_map_contains(m, (uint64_t)(i * 7919 - 300000)) ||
        pole_map_get(m, (uint64_t)(i * 7919 - 300000), NULL) != (uint64_t)i)
      bad++;
  CHECK(bad == 0);
  CHECK(pole_map_contains(m, 0) == 0); /* 0 is not i*7919-300000 */
  pole_map_put(m, 0, 123);
  CHECK(pole_map_contains(m, 0) && pole_map_get(m, 0, NULL) == 123 && pole_map_size(m) == N + 1);
  pole_map_put(m, 0, 124);
  CHECK(pole_map_get(m, 0, NULL) == 124 && pole_map_size(m) == N + 1);
  pole_map_put(m, (uint64_t)INT64_MIN, 5);
  pole_map_put(m, (uint64_t)(-300000), 77); /* replace */
  CHECK(pole_map_get(m, (uint64_t)INT64_MIN, NULL) == 5);
  CHECK(pole_map_get(m, (uint64_t)(-300000), NULL) == 77);
  CHECK(pole_map_size(m) == N + 2);
  CHECK(!pole_map_contains(m, 1) && !pole_map_contains(m, (uint64_t)INT64_MAX));

  /* Sequential and strided keys in a pre-sized map. */
  void *m2 = pole_map_new(1000000, 0, 0);
  for (int64_t i = 0; i < 1000000; i++) pole_map_put(m2, (uint64_t)(i << 20), (uint64_t)i);
  bad = 0;
  for (int64_t i = 0; i < 1000000; i++)
    if (pole_map_get(m2, (uint64_t)(i << 20), NULL) != (uint64_t)i) bad++;
  CHECK(bad == 0 && pole_map_size(m2) == 1000000);

  /* String keys: compared by content. */
  void *s = pole_map_new(0, 1, 0);
  char kb[32];
  for (int64_t i = 0; i < N; i++) {
    snprintf(kb, sizeof kb, "k%" PRId64, i);
    pole_map_put(s, S(kb), (uint64_t)(i * i));
  }
  CHECK(pole_map_size(s) == N);
  bad = 0;
  for (int64_t i = 0; i < N; i++) {
    snprintf(kb, sizeof kb, "k%" PRId64, i);
    uint64_t k = S(kb);
    if (!pole_map_contains(s, k) || pole_map_get(s, k, NULL) != (uint64_t)(i * i)) bad++;
  }
  CHECK(bad == 0);
  CHECK(!pole_map_contains(s, S("k100000")) && !pole_map_contains(s, S("k01")));
  pole_map_put(s, S("k500"), 1);
  CHECK(pole_map_get(s, S("k500"), NULL) == 1 && pole_map_size(s) == N);
  LIT(nul1, "x\0a");
  LIT(nul2, "x\0b");
  pole_map_put(s, (uint64_t)(uintptr_t)nul1, 11);
  pole_map_put(s, (uint64_t)(uintptr_t)nul2, 12);
  pole_map_put(s, S(""), 13);
  CHECK(pole_map_get(s, (uint64_t)(uintptr_t)nul1, NULL) == 11);
  CHECK(pole_map_get(s, (uint64_t)(uintptr_t)nul2, NULL) == 12);
  CHECK(pole_map_get(s, S(""), NULL) == 13);
  CHECK(!pole_map_contains(s, S("x")));
  CHECK(pole_map_size(s) == N + 3);
  /* Long keys. */
  void *s2 = pole_map_new(2, 1, 0);
  char big[200];
  memset(big, 'z', sizeof big - 1);
  big[sizeof big - 1] = 0;
  pole_map_put(s2, S(big), 1);
  big[150] = 'y';
  pole_map_put(s2, S(big), 2);
  CHECK(pole_map_size(s2) == 2 && pole_map_get(s2, S(big), NULL) == 2);
  big[150] = 'z';
  CHECK(pole_map_get(s2, S(big), NULL) == 1);
}

/* HashMap_keys after random puts and removals (keys 0..K-1, so key 0 and
 * keys put again after removal are frequent, and the order log compacts
 * many times) against a model: a key's rank is the step of its latest
 * insertion. Int and string maps. */
static void test_map_order(void) {
  enum { K = 64, STEPS = 20000 };
  for (int is_str = 0; is_str <= 1; is_str++) {
    void *m = pole_map_new(0, is_str, 0);
    char names[K][8];
    int64_t rank[K]; /* -1: absent */
    for (int k = 0; k < K; k++) {
      rank[k] = -1;
      snprintf(names[k], sizeof names[k], "k%d", k);
    }
    uint64_t seed = 12345;
    int bad = 0;
    for (int64_t step = 0; step < STEPS; step++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      int k = (int)((seed >> 33) % K);
      int put = (seed >> 20) % 3 != 0;
      int checked = (seed >> 40) % 7 == 0;
      uint64_t key = is_str ? S(names[k]) : (uint64_t)k;
      if (put) {
        pole_map_put(m, key, (uint64_t)step);
        if (rank[k] < 0) rank[k] = step;
      } else {
        pole_map_remove(m, key);
        if (is_str) pole_drop((void *)(uintptr_t)key);
        rank[k] = -1;
      }
      if (!checked && step != STEPS - 1) continue;
      /* the model's order: keys by rank */
      int want[K], n = 0;
      for (int r = 0; r < K; r++)
        if (rank[r] >= 0) want[n++] = r;
      for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && rank[want[b - 1]] > rank[want[b]]; b--) {
          int x = want[b];
          want[b] = want[b - 1];
          want[b - 1] = x;
        }
      void *ks = pole_map_keys(m);
      if (pole_list_length(ks) != n) bad++;
      for (int i = 0; i < n && i < pole_list_length(ks); i++) {
        uint64_t got = pole_list_get(ks, i);
        int same = is_str ? strcmp((const char *)(uintptr_t)got, names[want[i]]) == 0
                          : got == (uint64_t)want[i];
        if (!same) bad++;
      }
      pole_drop(ks);
    }
    CHECK(bad == 0);
    pole_drop(m);
    /* Keys 0..7 fill the order's first 8 places; 0..3 go; 1 comes back when
     * the order must grow with half of it stale (it compacts then). */
    m = pole_map_new(0, is_str, 0);
    for (int k = 0; k < 8; k++) pole_map_put(m, is_str ? S(names[k]) : (uint64_t)k, 1);
    for (int k = 0; k < 4; k++) {
      uint64_t key = is_str ? S(names[k]) : (uint64_t)k;
      pole_map_remove(m, key);
      if (is_str) pole_drop((void *)(uintptr_t)key);
    }
    pole_map_put(m, is_str ? S(names[1]) : 1, 2);
    void *ks = pole_map_keys(m);
    static const int want[] = {4, 5, 6, 7, 1};
    int same = pole_list_length(ks) == 5;
    for (int i = 0; same && i < 5; i++) {
      uint64_t got = pole_list_get(ks, i);
      same = is_str ? strcmp((const char *)(uintptr_t)got, names[want[i]]) == 0
                    : got == (uint64_t)want[i];
    }
    CHECK(same);
    pole_drop(ks);
    pole_drop(m);
  }
}

/* ------------------------------------------------------------------------ */
/* Hand-built descriptors, as the compiler emits them.                      */

static const PoleType T_INT = {PT_INT, NULL, 0, NULL, NULL, NULL};
static const PoleType T_FLOAT = {PT_FLOAT, NULL, 0, NULL, NULL, NULL};
static const PoleType T_BOOL = {PT_BOOL, NULL, 0, NULL, NULL, NULL};
static const PoleType T_UNIT = {PT_UNIT, NULL, 0, NULL, NULL, NULL};
static const PoleType T_STR = {PT_STRING, NULL, 0, NULL, NULL, NULL};
static const PoleType T_PTR = {PT_PTR, NULL, 0, NULL, NULL, NULL};
static const PoleType T_MAP = {PT_MAP, NULL, 0, NULL, NULL, NULL};

/* type Point = { x: Int, y: Float, label: String } */
static const PoleType *const point_args[] = {&T_INT, &T_FLOAT, &T_STR};
static const char *const point_names[] = {"x", "y", "label"};
static const PoleType T_POINT = {PT_RECORD, "Point", 3, point_args, point_names, NULL};

/* type IntList = Nil | Cons(Int, IntList)   (cyclic descriptor) */
static const PoleType T_INTLIST;
static const PoleType *const intlist_args[] = {&T_INT, &T_INTLIST};
static const char *const intlist_names[] = {"Nil", "Cons"};
static const int64_t intlist_ar[] = {0, 2};
static const PoleType T_INTLIST = {PT_VARIANT, "IntList", 2, intlist_args, intlist_names, intlist_ar};

/* type Shape = Dot | Circle(Float) | Rect(Int, Int) | Tag(String, Bool, Unit) */
static const PoleType *const shape_args[] = {&T_FLOAT, &T_INT, &T_INT, &T_STR, &T_BOOL, &T_UNIT};
static const char *const shape_names[] = {"Dot", "Circle", "Rect", "Tag"};
static const int64_t shape_ar[] = {0, 1, 2, 3};
static const PoleType T_SHAPE = {PT_VARIANT, "Shape", 4, shape_args, shape_names, shape_ar};

/* Option<Int>, List<Option<Int>>, Result<Int, String>, List<String> */
static const PoleType *const optint_args[] = {&T_INT};
static const char *const option_names[] = {"None", "Some"};
static const int64_t option_ar[] = {0, 1};
static const PoleType T_OPTINT = {PT_VARIANT, "Option", 2, optint_args, option_names, option_ar};
static const PoleType *const listopt_args[] = {&T_OPTINT};
static const PoleType T_LISTOPT = {PT_LIST, NULL, 0, listopt_args, NULL, NULL};
static const PoleType *const res_args[] = {&T_INT, &T_STR};
static const char *const result_names[] = {"Ok", "Err"};
static const int64_t result_ar[] = {1, 1};
static const PoleType T_RES = {PT_VARIANT, "Result", 2, res_args, result_names, result_ar};
static const PoleType *const liststr_args[] = {&T_STR};
static const PoleType T_LISTSTR = {PT_LIST, NULL, 0, liststr_args, NULL, NULL};
static const PoleType *const listpoint_args[] = {&T_POINT};
static const PoleType T_LISTPOINT = {PT_LIST, NULL, 0, listpoint_args, NULL, NULL};

static uint64_t mk(int64_t tag, int n, const uint64_t *payload) {
  uint64_t *p = pole_alloc_obj(1 + n, 0);
  p[0] = (uint64_t)tag;
  for (int i = 0; i < n; i++) p[1 + i] = payload[i];
  return (uint64_t)(uintptr_t)p;
}

static uint64_t point(int64_t x, double y, const char *label) {
  uint64_t *p = pole_alloc_obj(3, 0);
  p[0] = (uint64_t)x;
  p[1] = fbits(y);
  p[2] = S(label);
  return (uint64_t)(uintptr_t)p;
}

static uint64_t cons_list(int n, int64_t start) {
  uint64_t l = mk(0, 0, NULL);
  for (int i = n - 1; i >= 0; i--) l = mk(1, 2, (const uint64_t[]){(uint64_t)(start + i), l});
  return l;
}

#define SHOW_IS(v, t, want) CHECK_STR(pole_show((v), (t)), want)

/* The standard library (reference 6.1): edge cases, in-place updates,
 * map removal and insertion order under churn. */
typedef struct List { /* the runtime's list header (pole_rt.c) */
  uint64_t *data;
  uint32_t start, len;
} List;

static uint64_t none_cell[2] = {0, 0}; /* stands in for the static None: header, tag */
#define NONE ((void *)&none_cell[1])

static void test_stdlib(void) {
  /* Strings. */
  char *s = pole_str_from_c("  hello world \n");
  char *t = pole_str_trim(s); /* unique: in place */
  CHECK(t == s);
  CHECK_STR(t, "hello world");
  char *u = pole_str_substring(K(t), 6, 5, NULL); /* shared: a copy */
  CHECK(u != t && RC(t) == 1);
  CHECK_STR(u, "world");
  CHECK_STR(t, "hello world");
  pole_free(u);
  u = pole_str_substring(t, 6, 5, NULL); /* unique: in place */
  CHECK(u == t);
  CHECK_STR(u, "world");
  pole_free(u);
  LIT(lit, "abc");
  char *sub = pole_str_substring(lit, 1, 2, NULL); /* static: copied */
  CHECK(sub != lit);
  CHECK_STR(sub, "bc");
  CHECK_STR(lit, "abc");
  pole_free(sub);
  CHECK(pole_str_from_byte(-1)[0] == (char)255 && pole_str_from_byte(321)[0] == 'A');
  CHECK(RC(pole_str_from_byte(65)) == 0);
  uint64_t *f = pole_str_find(lit, lit, NONE);
  CHECK(f[0] == 1 && f[1] == 0);
  pole_free(f);
  CHECK(pole_str_find(lit, pole_str_from_byte('z'), NONE) == NONE);
  LIT(big, "9223372036854775807");
  LIT(neg, "-9223372036854775808");
  LIT(over, "-9223372036854775809");
  uint64_t *n = pole_str_to_int(big, NONE);
  CHECK(n[1] == (uint64_t)INT64_MAX);
  pole_free(n);
  n = pole_str_to_int(neg, NONE);
  CHECK(n[1] == (uint64_t)INT64_MIN);
  pole_free(n);
  CHECK(pole_str_to_int(over, NONE) == NONE);
  LIT(fl, "1.5e-3");
  LIT(nofl, "1e");
  n = pole_str_to_float(fl, NONE);
  CHECK(n[1] == fbits(1.5e-3));
  pole_free(n);
  CHECK(pole_str_to_float(nofl, NONE) == NONE);
  LIT(csv, ",a,,b,");
  LIT(comma, ",");
  List *parts = pole_str_split(csv, comma, NULL);
  CHECK(parts->len == 5);
  char *joined = pole_str_join(parts, comma);
  CHECK_STR(joined, ",a,,b,");
  pole_free(joined);
  pole_free(parts);

  /* Lists: reverse, slice and sort in place when unique, copies otherwise. */
  List *l = pole_list_alloc(100, 0);
  for (int64_t i = 0; i < 100; i++) l->data[i] = (uint64_t)((i * 37) % 100);
  List *shared = K(l);
  List *sorted = pole_list_sort(shared, 0); /* shared: a copy */
  CHECK(sorted != l && l->data[1] == 37 && RC(l) == 1);
  int ok = 1;
  for (int64_t i = 0; i < 100; i++) ok &= sorted->data[i] == (uint64_t)i;
  CHECK(ok);
  List *rev = pole_list_reverse(sorted); /* unique: in place */
  CHECK(rev == sorted && rev->data[0] == 99 && rev->data[99] == 0);
  List *sl = pole_list_slice(rev, 10, 5, NULL);
  CHECK(sl == rev && sl->len == 5 && sl->data[0] == 89);
  pole_free(sl);
  /* Stable: equal keys keep their order (sorted by the low digit only via
   * floats equal by value: -0.0 and 0.0). */
  List *fz = pole_list_alloc(3, 0);
  fz->data[0] = fbits(0.0);
  fz->data[1] = fbits(-0.0);
  fz->data[2] = fbits(NAN);
  fz = pole_list_sort(fz, 1);
  CHECK(fz->data[0] == fbits(0.0) && fz->data[1] == fbits(-0.0));
  pole_free(fz);
  pole_free(l);

  /* Maps: remove, find, keys in first-insertion order under churn. */
  void *m = pole_map_new(0, 1, 1);
  char kb[32];
  for (int64_t i = 0; i < 2000; i++) {
    snprintf(kb, sizeof kb, "k%" PRId64, i);
    pole_map_put(m, S(kb), S(kb));
  }
  for (int64_t i = 0; i < 2000; i++) {
    if (i % 3 == 0) continue;
    snprintf(kb, sizeof kb, "k%" PRId64, i);
    char *k = pole_str_from_c(kb);
    pole_map_remove(m, (uint64_t)(uintptr_t)k);
    pole_map_remove(m, (uint64_t)(uintptr_t)k); /* absent: nothing */
    pole_free(k);
  }
  for (int64_t i = 0; i < 2000; i += 600) { /* put again: counts from now */
    snprintf(kb, sizeof kb, "k%" PRId64, i + 1);
    pole_map_put(m, S(kb), S("x"));
  }
  CHECK(pole_map_size(m) == 667 + 4);
  List *ks = pole_map_keys(m);
  CHECK(ks->len == 671);
  CHECK_STR((char *)(uintptr_t)ks->data[0], "k0");
  CHECK_STR((char *)(uintptr_t)ks->data[666], "k1998");
  CHECK_STR((char *)(uintptr_t)ks->data[667], "k1");
  CHECK_STR((char *)(uintptr_t)ks->data[670], "k1801");
  ok = 1;
  for (int64_t i = 0; i < ks->len; i++) {
    uint64_t *v = pole_map_find(m, ks->data[i], NONE);
    ok &= v != NONE && v[0] == 1;
    if (v != NONE) pole_free(v);
  }
  CHECK(ok);
  CHECK(pole_map_find(m, S("k2"), NONE) == NONE);
  pole_free(ks);
  pole_free(m);

  void *im = pole_map_new(0, 0, 0);
  for (int64_t r = 0; r < 50; r++) /* churn: the order array compacts */
    for (int64_t i = 0; i < 100; i++) {
      pole_map_put(im, (uint64_t)i, (uint64_t)r);
      if (r < 49) pole_map_remove(im, (uint64_t)i);
    }
  List *iks = pole_map_keys(im);
  ok = iks->len == 100;
  for (int64_t i = 0; i < 100 && ok; i++) ok &= iks->data[i] == (uint64_t)i;
  CHECK(ok);
  pole_free(iks);
  pole_free(im);
}

static void test_eq_show(void) {
  /* Scalars. */
  CHECK(pole_eq(5, 5, &T_INT) && !pole_eq(5, 6, &T_INT));
  CHECK(pole_eq(fbits(0.0), fbits(-0.0), &T_FLOAT));
  CHECK(!pole_eq(fbits(NAN), fbits(NAN), &T_FLOAT));
  CHECK(pole_eq(0, 0, &T_UNIT));
  CHECK(pole_eq(S("ab"), S("ab"), &T_STR) && !pole_eq(S("ab"), S("abc"), &T_STR));
  SHOW_IS((uint64_t)-17, &T_INT, "-17");
  SHOW_IS(fbits(2100.0), &T_FLOAT, "2100.0");
  SHOW_IS(fbits(-INFINITY), &T_FLOAT, "-inf");
  SHOW_IS(1, &T_BOOL, "true");
  SHOW_IS(0, &T_BOOL, "false");
  SHOW_IS(0, &T_UNIT, "()");
  LIT(weird, "a\"b\\c\nd\te\0f\r");
  SHOW_IS((uint64_t)(uintptr_t)weird, &T_STR, "\"a\\\"b\\\\c\\nd\\te\\0f\r\"");
  SHOW_IS(S(""), &T_STR, "\"\"");
  SHOW_IS((uint64_t)0x7f12ab, &T_PTR, "Ptr(0x7f12ab)");
  SHOW_IS(0, &T_PTR, "Ptr(0x0)");
  void *m = pole_map_new(1, 0, 0);
  pole_map_put(m, 1, 2);
  pole_map_put(m, 3, 4);
  SHOW_IS((uint64_t)(uintptr_t)m, &T_MAP, "HashMap(size=2)");
  void *m2 = pole_map_new(1, 0, 0);
  CHECK(pole_eq((uint64_t)(uintptr_t)m, (uint64_t)(uintptr_t)m, &T_MAP));
  CHECK(!pole_eq((uint64_t)(uintptr_t)m, (uint64_t)(uintptr_t)m2, &T_MAP));

  /* Records. */
  uint64_t p1 = point(1, 2.5, "a"), p2 = point(1, 2.5, "a"), p3 = point(1, 2.5, "b");
  CHECK(pole_eq(p1, p2, &T_POINT) && !pole_eq(p1, p3, &T_POINT));
  SHOW_IS(p1, &T_POINT, "{ x: 1, y: 2.5, label: \"a\" }");
  uint64_t pn = point(1, NAN, "a");
  CHECK(!pole_eq(pn, pn, &T_POINT)); /* NaN inside: not equal to itself */

  /* Recursive variant. */
  uint64_t a = cons_list(3, 1), b = cons_list(3, 1), c = cons_list(3, 2), d = cons_list(2, 1);
  CHECK(pole_eq(a, b, &T_INTLIST) && !pole_eq(a, c, &T_INTLIST) && !pole_eq(a, d, &T_INTLIST));
  SHOW_IS(a, &T_INTLIST, "Cons(1, Cons(2, Cons(3, Nil)))");
  SHOW_IS(mk(0, 0, NULL), &T_INTLIST, "Nil");
  uint64_t big1 = cons_list(1000000, 0), big2 = cons_list(1000000, 0);
  CHECK(pole_eq(big1, big2, &T_INTLIST)); /* iterative on the last field */

  SHOW_IS(mk(0, 0, NULL), &T_SHAPE, "Dot");
  SHOW_IS(mk(1, 1, (const uint64_t[]){fbits(1.5)}), &T_SHAPE, "Circle(1.5)");
  SHOW_IS(mk(2, 2, (const uint64_t[]){3, (uint64_t)-4}), &T_SHAPE, "Rect(3, -4)");
  SHOW_IS(mk(3, 3, (const uint64_t[]){S("t"), 1, 0}), &T_SHAPE, "Tag(\"t\", true, ())");
  CHECK(pole_eq(mk(2, 2, (const uint64_t[]){3, 4}), mk(2, 2, (const uint64_t[]){3, 4}), &T_SHAPE));
  CHECK(!pole_eq(mk(2, 2, (const uint64_t[]){3, 4}), mk(2, 2, (const uint64_t[]){3, 5}), &T_SHAPE));
  CHECK(!pole_eq(mk(0, 0, NULL), mk(1, 1, (const uint64_t[]){fbits(0.0)}), &T_SHAPE));
  CHECK(pole_eq(mk(3, 3, (const uint64_t[]){S("t"), 1, 0}), mk(3, 3, (const uint64_t[]){S("t"), 1, 0}),
                &T_SHAPE));

  /* Options, results, lists. */
  uint64_t none = mk(0, 0, NULL), some3 = mk(1, 1, (const uint64_t[]){3});
  SHOW_IS(none, &T_OPTINT, "None");
  SHOW_IS(some3, &T_OPTINT, "Some(3)");
  CHECK(pole_eq(some3, mk(1, 1, (const uint64_t[]){3}), &T_OPTINT));
  CHECK(!pole_eq(some3, none, &T_OPTINT));
  SHOW_IS(mk(0, 1, (const uint64_t[]){7}), &T_RES, "Ok(7)");
  SHOW_IS(mk(1, 1, (const uint64_t[]){S("bad")}), &T_RES, "Err(\"bad\")");
  CHECK(!pole_eq(mk(0, 1, (const uint64_t[]){7}), mk(1, 1, (const uint64_t[]){7}), &T_RES));

  void *lo = pole_list_alloc(3, 1);
  pole_list_init(lo, 0, (uint64_t)(uintptr_t)K((void *)(uintptr_t)some3));
  pole_list_init(lo, 1, (uint64_t)(uintptr_t)K((void *)(uintptr_t)none));
  pole_list_init(lo, 2, mk(1, 1, (const uint64_t[]){(uint64_t)-1}));
  SHOW_IS((uint64_t)(uintptr_t)lo, &T_LISTOPT, "[Some(3), None, Some(-1)]");
  SHOW_IS((uint64_t)(uintptr_t)pole_list_new(1), &T_LISTOPT, "[]");
  void *lo2 = pole_list_push(
      pole_list_push(pole_list_push(pole_list_new(1), (uint64_t)(uintptr_t)K((void *)(uintptr_t)some3)),
                     (uint64_t)(uintptr_t)K((void *)(uintptr_t)none)),
      mk(1, 1, (const uint64_t[]){(uint64_t)-1}));
  CHECK(pole_eq((uint64_t)(uintptr_t)lo, (uint64_t)(uintptr_t)lo2, &T_LISTOPT));
  void *lo3 = pole_list_set(K(lo2), 1, (uint64_t)(uintptr_t)K((void *)(uintptr_t)some3), NULL);
  CHECK(!pole_eq((uint64_t)(uintptr_t)lo, (uint64_t)(uintptr_t)lo3, &T_LISTOPT));
  CHECK(!pole_eq((uint64_t)(uintptr_t)lo, (uint64_t)(uintptr_t)pole_list_tail(K(lo)), &T_LISTOPT));
  void *ls = pole_list_push(pole_list_push(pole_list_new(1), S("a b")), S("\"q\""));
  SHOW_IS((uint64_t)(uintptr_t)ls, &T_LISTSTR, "[\"a b\", \"\\\"q\\\"\"]");
  void *lp = pole_list_push(pole_list_new(1), point(-2, 0.1, ""));
  SHOW_IS((uint64_t)(uintptr_t)lp, &T_LISTPOINT, "[{ x: -2, y: 0.1, label: \"\" }]");
}

/* ------------------------------------------------------------------------ */
/* Test runner: the lines it prints are checked by test.sh.                 */

static uint64_t ret_5(void) { return 5; }
static uint64_t ret_6(void) { return 6; }
static uint64_t oob(void) {
  fputs("tested code output\n", stdout);
  return pole_list_get(pole_list_new(0), 0);
}
static uint64_t missing_key(void) { return pole_map_get(pole_map_new(0, 1, 0), S("nope"), NULL); }
static uint64_t some_str(void) { return mk(1, 1, (const uint64_t[]){S("a\tb")}); }
static uint64_t none_val(void) { return mk(0, 0, NULL); }

static volatile int64_t sink;
static volatile int64_t never = -1; /* recursion "limit" that is never hit */
__attribute__((noinline)) static int64_t recurse_forever(int64_t n) {
  volatile char pad[128];
  pad[0] = (char)n;
  if (n == never) return 0;
  int64_t r = recurse_forever(n + 1);
  sink = pad[0];
  return r + pad[1 + (n & 63)];
}
static uint64_t overflow_val(void) { return (uint64_t)recurse_forever(0); }

static const PoleType *const optstr_args[] = {&T_STR};
static const PoleType T_OPTSTR = {PT_VARIANT, "Option", 2, optstr_args, option_names, option_ar};

static void test_runner(void) {
  int64_t passed = 0, failed = 0;
  int64_t r;
#define RUN(name, a, e, t)                     \
  r = pole_run_test(name, a, e, t);            \
  passed += r;                                 \
  failed += 1 - r
  RUN("same#1", ret_5, ret_5, &T_INT);
  CHECK(r == 1);
  RUN("differ#1", ret_5, ret_6, &T_INT);
  CHECK(r == 0);
  RUN("oob#1", oob, ret_5, &T_INT);
  CHECK(r == 0);
  RUN("key@3", missing_key, ret_5, &T_INT);
  CHECK(r == 0);
  RUN("opt#2", some_str, none_val, &T_OPTSTR);
  CHECK(r == 0);
  RUN("overflow#1", overflow_val, ret_5, &T_INT);
  CHECK(r == 0);
  RUN("after#1", ret_6, ret_6, &T_INT); /* still works after the overflow */
  CHECK(r == 1);
  RUN("overflow#2", overflow_val, ret_5, &T_INT);
  CHECK(r == 0);
  CHECK(passed == 2 && failed == 6);
  CHECK(pole_test_summary() == 1);
#undef RUN
}

/* ------------------------------------------------------------------------ */

__attribute__((noinline)) static int64_t deep(int64_t n) {
  volatile char pad[64];
  pad[0] = (char)n;
  if (n == 0) return 0;
  int64_t r = deep(n - 1);
  return r + 1 + pad[0] * 0 + pad[1] * 0;
}

int64_t pole_main(void) {
  const char *mode = getenv("POLE_RT_TEST_MODE");
  if (mode != NULL && strcmp(mode, "deep") == 0) {
    int64_t d = deep(100000);
    pole_print_int(d);
    pole_print_newline();
    return 300;
  }
  if (mode != NULL && strcmp(mode, "overflow") == 0) {
    pole_print_str(pole_str_from_c("before overflow"));
    return recurse_forever(0);
  }
  if (mode != NULL && strcmp(mode, "panic") == 0) {
    pole_print_str(pole_str_from_c("partial "));
    pole_print_float(0.5);
    printf(" via printf");
    return (int64_t)pole_list_get(pole_list_new(0), 3);
  }
  if (mode != NULL && strcmp(mode, "segv") == 0) {
    static volatile uintptr_t addr = 16;
    volatile int *wild = (volatile int *)addr;
    pole_print_str(pole_str_from_c("wild"));
    return *wild;
  }
  test_floats();
  test_strings();
  test_rc();
  test_ffi();
  test_lists();
  test_maps();
  test_map_order();
  test_stdlib();
  test_eq_show();
  test_runner();
  pole_print_bool(1);
  pole_print_bool(0);
  pole_print_newline();
  printf("unit checks: %d, failures: %d\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
