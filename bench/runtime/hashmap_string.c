/* hashmap_string: twin of hashmap_string.pole-ir: 10^6 mixed operations on a
 * string -> int hash map (open addressing, linear probing, FNV-1a, starts at
 * 16 slots and doubles past 3/4 full). Each operation formats its key
 * "key<k>" into a buffer; a key is copied with malloc when first inserted,
 * and everything is freed at the end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Slot {
  char *key; /* NULL: empty */
  long value;
} Slot;

typedef struct Map {
  Slot *slots;
  size_t cap, size; /* cap: a power of two */
} Map;

static void *xalloc(size_t n, size_t size) {
  void *p = calloc(n, size);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(1);
  }
  return p;
}

static size_t hash(const char *k) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (; *k; k++) h = (h ^ (unsigned char)*k) * 0x100000001b3ULL;
  return (size_t)h;
}

/* The slot holding k, or the empty slot where k would go. */
static Slot *find(const Map *m, const char *k) {
  size_t i = hash(k) & (m->cap - 1);
  while (m->slots[i].key != NULL && strcmp(m->slots[i].key, k) != 0) i = (i + 1) & (m->cap - 1);
  return &m->slots[i];
}

static void put(Map *m, const char *k, long v) {
  if (4 * (m->size + 1) > 3 * m->cap) {
    Map bigger = {xalloc(2 * m->cap, sizeof(Slot)), 2 * m->cap, m->size};
    for (size_t i = 0; i < m->cap; i++)
      if (m->slots[i].key != NULL) *find(&bigger, m->slots[i].key) = m->slots[i];
    free(m->slots);
    *m = bigger;
  }
  Slot *s = find(m, k);
  if (s->key == NULL) {
    size_t n = strlen(k) + 1;
    s->key = memcpy(xalloc(n, 1), k, n);
    m->size++;
  }
  s->value = v;
}

static int contains(const Map *m, const char *k) { return find(m, k)->key != NULL; }

static long get(const Map *m, const char *k) {
  Slot *s = find(m, k);
  if (s->key == NULL) {
    fputs("key not found\n", stderr);
    exit(101);
  }
  return s->value;
}

static long lcg(long s) { return (s * 1103515245 + 12345) % 2147483648L; }

/* Writes "key" and the decimal digits of v (v >= 0) to buf. */
static void make_key(char *buf, long v) {
  char digits[24];
  int n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v != 0);
  memcpy(buf, "key", 3);
  for (int i = 0; i < n; i++) buf[3 + i] = digits[n - 1 - i];
  buf[3 + n] = '\0';
}

int main(void) {
  const long n = 1000000;
  Map m = {xalloc(16, sizeof(Slot)), 16, 0};
  long s = 7, hits = 0, sum = 0;
  char k[32];
  for (long i = 0; i < n; i++) {
    s = lcg(s);
    make_key(k, s / 1024 % 131072);
    switch (i % 4) {
    case 0:
      put(&m, k, i);
      break;
    case 1: {
      long old = contains(&m, k) ? get(&m, k) : 0;
      put(&m, k, old + 1);
      sum += old;
      break;
    }
    case 2:
      if (contains(&m, k)) hits++;
      break;
    default:
      if (contains(&m, k)) {
        hits++;
        sum += get(&m, k);
      }
    }
  }
  printf("hashmap_string ops=%ld hits=%ld sum=%ld size=%zu\n", n, hits, sum, m.size);
  for (size_t i = 0; i < m.cap; i++) free(m.slots[i].key);
  free(m.slots);
  return 0;
}
