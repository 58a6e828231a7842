/* hashmap_int: twin of hashmap_int.pole-ir: 10^6 mixed operations on an
 * int -> int hash map (open addressing, linear probing, starts at 16 slots
 * and doubles past 3/4 full; the table is malloc'd and freed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct Slot {
  long key, value;
  int used;
} Slot;

typedef struct Map {
  Slot *slots;
  size_t cap, size; /* cap: a power of two */
} Map;

static Slot *alloc_slots(size_t n) {
  Slot *p = calloc(n, sizeof *p);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(1);
  }
  return p;
}

static size_t hash(long k) { return (size_t)(((uint64_t)k * 0x9E3779B97F4A7C15ULL) >> 20); }

/* The slot holding k, or the empty slot where k would go. */
static Slot *find(const Map *m, long k) {
  size_t i = hash(k) & (m->cap - 1);
  while (m->slots[i].used && m->slots[i].key != k) i = (i + 1) & (m->cap - 1);
  return &m->slots[i];
}

static void put(Map *m, long k, long v) {
  if (4 * (m->size + 1) > 3 * m->cap) {
    Map bigger = {alloc_slots(2 * m->cap), 2 * m->cap, m->size};
    for (size_t i = 0; i < m->cap; i++)
      if (m->slots[i].used) *find(&bigger, m->slots[i].key) = m->slots[i];
    free(m->slots);
    *m = bigger;
  }
  Slot *s = find(m, k);
  if (!s->used) {
    s->used = 1;
    s->key = k;
    m->size++;
  }
  s->value = v;
}

static int contains(const Map *m, long k) { return find(m, k)->used; }

static long get(const Map *m, long k) {
  Slot *s = find(m, k);
  if (!s->used) {
    fputs("key not found\n", stderr);
    exit(101);
  }
  return s->value;
}

static long lcg(long s) { return (s * 1103515245 + 12345) % 2147483648L; }

int main(void) {
  const long n = 1000000;
  Map m = {alloc_slots(16), 16, 0};
  long s = 7, hits = 0, sum = 0;
  for (long i = 0; i < n; i++) {
    s = lcg(s);
    long k = s / 1024 % 131072;
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
  printf("hashmap_int ops=%ld hits=%ld sum=%ld size=%zu\n", n, hits, sum, m.size);
  free(m.slots);
  return 0;
}
