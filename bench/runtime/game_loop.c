/* game_loop: twin of game_loop.pole-ir. Arguments: ENTITIES FRAMES
 * (default 100 1000).
 *
 * The entities live in a malloc'd array, moved in place every frame; every 16
 * frames a new array is filled from empty (the dead entities replaced) and
 * the old one freed. */
#include <stdio.h>
#include <stdlib.h>

typedef struct Entity {
  long id, x, y, vx, vy, hp;
} Entity;

typedef struct State {
  long frame, next_id, respawned, count;
  Entity *entities;
} State;

enum { WORLD = 1024, REBUILD_EVERY = 16 };

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

static Entity *alloc_entities(long n) {
  Entity *p = malloc((size_t)(n > 0 ? n : 1) * sizeof *p);
  if (p == NULL) {
    fputs("out of memory\n", stderr);
    exit(1);
  }
  return p;
}

static void rebuild(State *st) {
  Entity *fresh = alloc_entities(st->count);
  for (long i = 0; i < st->count; i++) {
    Entity e = st->entities[i];
    if (e.hp > 0) {
      fresh[i] = e;
    } else {
      fresh[i] = spawn(st->next_id++);
      st->respawned++;
    }
  }
  free(st->entities);
  st->entities = fresh;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100, frames = argc > 2 ? atol(argv[2]) : 1000;
  State st = {0, n, 0, n, alloc_entities(n)};
  for (long i = 0; i < n; i++) st.entities[i] = spawn(i);
  for (long f = 0; f < frames; f++) {
    for (long i = 0; i < st.count; i++) st.entities[i] = step(st.entities[i]);
    st.frame++;
    if (st.frame % REBUILD_EVERY == 0) rebuild(&st);
  }
  long sum = 0;
  for (long i = 0; i < st.count; i++) {
    Entity e = st.entities[i];
    sum = (sum * 31 + e.id * 7 + e.x * 3 + e.y * 5 + e.vx + e.vy + e.hp) % 1000000007;
  }
  printf("game_loop entities=%ld frames=%ld respawned=%ld checksum=%ld\n", n, st.frame,
         st.respawned, sum);
  free(st.entities);
  return 0;
}
