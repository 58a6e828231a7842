/* The C twin of examples/life.pole-ir, for `tcc -run` in bench/run.sh: the
 * same 20x10 torus, glider and blinker, four steps, the same output. */
#include <stdio.h>
#include <string.h>

enum { W = 20, H = 10 };

static int at(const char *b, int x, int y) {
  return b[((y % H + H) % H) * W + (x % W + W) % W];
}

static void place(char *b, const int (*pts)[2], int n, int dx, int dy) {
  for (int i = 0; i < n; i++) b[(pts[i][1] + dy) * W + pts[i][0] + dx] = 1;
}

static void start(char *b, int shift) {
  static const int glider[5][2] = {{1, 0}, {2, 1}, {0, 2}, {1, 2}, {2, 2}};
  static const int blinker[3][2] = {{0, 0}, {1, 0}, {2, 0}};
  memset(b, 0, W * H);
  place(b, glider, 5, shift, shift);
  place(b, blinker, 3, 14, 4);
}

static void show(const char *b, int generation) {
  int pop = 0;
  for (int i = 0; i < W * H; i++) pop += b[i];
  printf("generation %d, population %d\n", generation, pop);
  for (int y = 0; y < H; y++) {
    printf("  ");
    for (int x = 0; x < W; x++) putchar(b[y * W + x] ? '#' : '.');
    putchar('\n');
  }
  putchar('\n');
}

static void step(const char *b, char *next) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int n = 0;
      for (int dy = -1; dy <= 1; dy++)
        for (int dx = -1; dx <= 1; dx++)
          if (dx || dy) n += at(b, x + dx, y + dy);
      int alive = b[y * W + x];
      next[y * W + x] = alive ? (n == 2 || n == 3) : n == 3;
    }
}

int main(void) {
  char b[W * H], next[W * H], expected[W * H];
  start(b, 1);
  for (int g = 0;; g++) {
    show(b, g);
    if (g == 4) break;
    step(b, next);
    memcpy(b, next, sizeof b);
  }
  start(expected, 2);
  if (memcmp(b, expected, sizeof b) == 0) {
    printf("the glider moved one cell diagonally; the blinker is back where it started\n");
    return 0;
  }
  printf("unexpected final board\n");
  return 1;
}
