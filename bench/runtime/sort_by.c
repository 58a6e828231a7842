/* sort_by: twin of sort_by.pole-ir (and sort_by_hand.pole-ir): 10^6 records
 * in a malloc'd array sorted by an int key with a top-down merge sort (stable)
 * using one scratch array, then their ids summed by position. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COUNT = 1000000 };

typedef struct Rec {
  long id, key, weight;
} Rec;

static long lcg(long s) { return (s * 1103515245 + 12345) % 2147483648L; }

static Rec make(long i) {
  long s = lcg(lcg(i));
  Rec r = {i, s / 1024 % 100000, s % 1000};
  return r;
}

static Rec *alloc_recs(long n) {
  Rec *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(1);
  }
  return p;
}

/* Sorts a[0..n) using tmp[0..n) as scratch. */
static void msort(Rec *a, Rec *tmp, long n) {
  if (n <= 1) return;
  long h = n / 2;
  msort(a, tmp, h);
  msort(a + h, tmp, n - h);
  memcpy(tmp, a, (size_t)h * sizeof *a);
  long i = 0, j = h, k = 0;
  while (i < h && j < n) a[k++] = a[j].key < tmp[i].key ? a[j++] : tmp[i++];
  while (i < h) a[k++] = tmp[i++];
}

int main(void) {
  long n = COUNT;
  Rec *recs = alloc_recs(n), *tmp = alloc_recs(n / 2);
  for (long i = 0; i < n; i++) recs[i] = make(i);
  msort(recs, tmp, n);
  free(tmp);
  long sum = 0;
  for (long i = 0; i < n; i++) sum = (sum * 31 + recs[i].id + recs[i].weight) % 1000000007;
  printf("sort_by n=%ld first=%ld last=%ld checksum=%ld\n", n, recs[0].key, recs[n - 1].key, sum);
  free(recs);
  return 0;
}
