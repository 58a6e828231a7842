/* list_sort: twin of list_sort.pole-ir: mergesort of 10^6 pseudo-random
 * ints. Arrays: each level deals the elements alternately into two new
 * malloc'd arrays, sorts them, merges them into a new array and frees the
 * halves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long *alloc_longs(size_t n) {
  long *p = malloc((n > 0 ? n : 1) * sizeof *p);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(1);
  }
  return p;
}

static long lcg(long s) { return (s * 1103515245 + 12345) % 2147483648L; }

/* A new sorted array of a[0..n); a is left as it is. */
static long *msort(const long *a, size_t n) {
  long *r = alloc_longs(n);
  if (n <= 1) {
    memcpy(r, a, n * sizeof *a);
    return r;
  }
  size_t nl = (n + 1) / 2, nr = n / 2;
  long *l = alloc_longs(nl), *h = alloc_longs(nr);
  for (size_t i = 0; i < n; i++) {
    if (i % 2 == 0)
      l[i / 2] = a[i];
    else
      h[i / 2] = a[i];
  }
  long *sl = msort(l, nl), *sh = msort(h, nr);
  free(l);
  free(h);
  size_t i = 0, j = 0, k = 0;
  while (i < nl && j < nr) r[k++] = sl[i] <= sh[j] ? sl[i++] : sh[j++];
  while (i < nl) r[k++] = sl[i++];
  while (j < nr) r[k++] = sh[j++];
  free(sl);
  free(sh);
  return r;
}

int main(void) {
  const size_t n = 1000000;
  long *a = alloc_longs(n);
  long s = 42;
  for (size_t i = 0; i < n; i++) a[i] = s = lcg(s);
  long *sorted = msort(a, n);
  free(a);
  int ok = 1;
  long prev = 0, sum = 0;
  for (size_t i = 0; i < n; i++) {
    ok = ok && prev <= sorted[i];
    prev = sorted[i];
    sum = (sum * 31 + sorted[i]) % 1000000007;
  }
  printf("list_sort n=%zu sorted=%s checksum=%ld\n", n, ok ? "true" : "false", sum);
  free(sorted);
  return 0;
}
