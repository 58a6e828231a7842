/* map_entities: twin of map_entities.pole-ir (and map_entities_hand.pole-ir):
 * 10^4 entities in one malloc'd array, each moved in place every frame (as
 * game_loop.c), for 10^4 frames. */
#include <stdio.h>
#include <stdlib.h>

enum { ENTITY_COUNT = 10000, FRAME_COUNT = 10000, WORLD = 1024 };

typedef struct Entity {
  long id, x, y, vx, vy, hp;
} Entity;

static long lcg(long s) { return (s * 1103515245 + 12345) % 2147483648L; }

static Entity spawn(long id) {
  long s1 = lcg(id * 7919 + 17), s2 = lcg(s1), s3 = lcg(s2), s4 = lcg(s3), s5 = lcg(s4);
  Entity e = {id, s1 / 1024 % WORLD, s2 / 1024 % WORLD, s3 / 1024 % 33 - 16,
              s4 / 1024 % 33 - 16, 3 + s5 / 1024 % 8};
  return e;
}

static Entity step(Entity e) {
  long nx = e.x + e.vx, ny = e.y + e.vy;
  int bx = nx < 0 || nx >= WORLD, by = ny < 0 || ny >= WORLD;
  Entity r = {e.id, bx ? e.x : nx, by ? e.y : ny, bx ? -e.vx : e.vx, by ? -e.vy : e.vy,
              bx || by ? e.hp - 1 : e.hp};
  return r;
}

int main(void) {
  long n = ENTITY_COUNT;
  Entity *es = malloc((size_t)n * sizeof *es);
  if (es == NULL) {
    fputs("out of memory\n", stderr);
    return 1;
  }
  for (long i = 0; i < n; i++) es[i] = spawn(i);
  for (long f = 0; f < FRAME_COUNT; f++)
    for (long i = 0; i < n; i++) es[i] = step(es[i]);
  long sum = 0;
  for (long i = 0; i < n; i++) {
    Entity e = es[i];
    sum = (sum * 31 + e.id * 7 + e.x * 3 + e.y * 5 + e.vx + e.vy + e.hp) % 1000000007;
  }
  printf("map_entities entities=%ld frames=%d checksum=%ld\n", n, FRAME_COUNT, sum);
  free(es);
  return 0;
}
