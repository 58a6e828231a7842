/* particles: twin of particles.pole-ir. One array of structs: each frame
 * moves every particle in place and compacts the live ones to the front,
 * then appends new ones at the end, in the same order as the Pole program. */
#include <stdio.h>
#include <stdlib.h>

struct particle { double x, y, vx, vy; long long life; };

#define COUNT 10000
#define FRAMES 1000

static long long lcg(long long s) { return (s * 1103515245 + 12345) % 2147483648LL; }
static double unit(long long s) { return (double)s / 2147483648.0; }

static int fill(struct particle *ps, int n, long long *seed, long long *spawned) {
  while (n < COUNT) {
    long long s1 = lcg(*seed), s2 = lcg(s1), s3 = lcg(s2);
    struct particle p = { 0.0, 0.0, (unit(s1) - 0.5) * 10.0, 5.0 + unit(s2) * 20.0,
                          50 + s3 / 1024 % 100 };
    ps[n++] = p;
    *seed = s3;
    ++*spawned;
  }
  return n;
}

int main(void) {
  struct particle *ps = malloc(COUNT * sizeof *ps);
  long long seed = 42, spawned = 0;
  int n = fill(ps, 0, &seed, &spawned);
  for (int f = 0; f < FRAMES; f++) {
    int w = 0;
    for (int i = 0; i < n; i++) {
      struct particle p = ps[i];
      p.x = p.x + p.vx * 0.01;
      p.y = p.y + p.vy * 0.01;
      p.vy = p.vy - 0.0981;
      p.life = p.life - 1;
      if (p.life > 0 && p.y >= 0.0) ps[w++] = p;
    }
    n = fill(ps, w, &seed, &spawned);
  }
  long long life = 0;
  double xs = 0.0, ys = 0.0;
  for (int i = 0; i < n; i++) life += ps[i].life;
  for (int i = 0; i < n; i++) xs += ps[i].x;
  for (int i = 0; i < n; i++) ys += ps[i].y;
  printf("particles=%d spawned=%lld life=%lld x=%.6f y=%.6f\n", n, spawned, life, xs, ys);
  free(ps);
  return 0;
}
