/* pipeline: twin of pipeline.pole-ir (and pipeline_hand.pole-ir): range,
 * map, filter and fold over 10^7 ints. Each stage fills a new malloc'd array
 * (the filter's sized for every element) and the previous one is freed once
 * read. */
#include <stdio.h>
#include <stdlib.h>

enum { COUNT = 10000000 };

static long *alloc_longs(long n) {
  long *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(1);
  }
  return p;
}

int main(void) {
  long n = COUNT, m = 1000003;
  long *range = alloc_longs(n);
  for (long i = 0; i < n; i++) range[i] = i;
  long *mapped = alloc_longs(n);
  for (long i = 0; i < n; i++) mapped[i] = (range[i] * 7919 + 13) % m;
  free(range);
  long *kept = alloc_longs(n), nkept = 0;
  for (long i = 0; i < n; i++)
    if (mapped[i] % 3 != 0) kept[nkept++] = mapped[i];
  free(mapped);
  long sum = 0;
  for (long i = 0; i < nkept; i++) sum = (sum * 31 + kept[i]) % 1000000007;
  free(kept);
  printf("pipeline n=%ld kept=%ld checksum=%ld\n", n, nkept, sum);
  return 0;
}
