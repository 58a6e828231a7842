/* string_build: twin of string_build.pole-ir: 10^7 strings
 * int_to_string(i) + int_to_string(n - i), their lengths summed. Each string
 * (and the two digit strings it is made of) is malloc'd and freed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(1);
  }
  return p;
}

/* A malloc'd decimal string of v. */
static char *int_to_string(long v) {
  char buf[24];
  char *p = buf + sizeof buf;
  unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
  *--p = '\0';
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (v < 0) *--p = '-';
  size_t n = (size_t)(buf + sizeof buf - p);
  return memcpy(xmalloc(n), p, n);
}

/* A malloc'd a + b. */
static char *concat(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  char *r = xmalloc(na + nb + 1);
  memcpy(r, a, na);
  memcpy(r + na, b, nb + 1);
  return r;
}

int main(void) {
  const long n = 10000000;
  long total = 0;
  for (long i = 0; i < n; i++) {
    char *a = int_to_string(i), *b = int_to_string(n - i);
    char *s = concat(a, b);
    free(a);
    free(b);
    total += (long)strlen(s);
    free(s);
  }
  printf("string_build n=%ld total_length=%ld\n", n, total);
  return 0;
}
