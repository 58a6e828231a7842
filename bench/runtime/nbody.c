/* nbody: the benchmark game's n-body simulation, twin of nbody.pole-ir
 * (5 bodies, 10^6 steps of 0.01): an array of structs updated in place,
 * the same operations in the same order as the Pole program. */
#include <math.h>
#include <stdio.h>

struct body { double x, y, z, vx, vy, vz, mass; };

#define PI 3.141592653589793
#define SOLAR_MASS (4.0 * PI * PI)
#define DAYS_PER_YEAR 365.24
#define N 5

static struct body planet(double x, double y, double z, double vx, double vy, double vz,
                          double mass) {
  struct body b = { x, y, z, vx * DAYS_PER_YEAR, vy * DAYS_PER_YEAR, vz * DAYS_PER_YEAR,
                    mass * SOLAR_MASS };
  return b;
}

static void offset_momentum(struct body *bs) {
  double px = 0.0, py = 0.0, pz = 0.0;
  for (int i = 0; i < N; i++) {
    px += bs[i].vx * bs[i].mass;
    py += bs[i].vy * bs[i].mass;
    pz += bs[i].vz * bs[i].mass;
  }
  bs[0].vx = 0.0 - px / SOLAR_MASS;
  bs[0].vy = 0.0 - py / SOLAR_MASS;
  bs[0].vz = 0.0 - pz / SOLAR_MASS;
}

static double energy(const struct body *bs) {
  double e = 0.0;
  for (int i = 0; i < N; i++) {
    const struct body *b = &bs[i];
    e += 0.5 * b->mass * (b->vx * b->vx + b->vy * b->vy + b->vz * b->vz);
    for (int j = i + 1; j < N; j++) {
      double dx = b->x - bs[j].x, dy = b->y - bs[j].y, dz = b->z - bs[j].z;
      e -= b->mass * bs[j].mass / sqrt(dx * dx + dy * dy + dz * dz);
    }
  }
  return e;
}

static void advance(struct body *bs, double dt) {
  for (int i = 0; i < N; i++) {
    struct body *bi = &bs[i];
    for (int j = i + 1; j < N; j++) {
      struct body *bj = &bs[j];
      double dx = bi->x - bj->x, dy = bi->y - bj->y, dz = bi->z - bj->z;
      double d2 = dx * dx + dy * dy + dz * dz;
      double mag = dt / (d2 * sqrt(d2));
      double mi = bi->mass * mag, mj = bj->mass * mag;
      bi->vx -= dx * mj; bi->vy -= dy * mj; bi->vz -= dz * mj;
      bj->vx += dx * mi; bj->vy += dy * mi; bj->vz += dz * mi;
    }
  }
  for (int i = 0; i < N; i++) {
    bs[i].x += dt * bs[i].vx;
    bs[i].y += dt * bs[i].vy;
    bs[i].z += dt * bs[i].vz;
  }
}

int main(void) {
  struct body bs[N] = {
    { 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, SOLAR_MASS },
    planet(4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01,
           1.66007664274403694e-03, 7.69901118419740425e-03, -6.90460016972063023e-05,
           9.54791938424326609e-04),
    planet(8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01,
           -2.76742510726862411e-03, 4.99852801234917238e-03, 2.30417297573763929e-05,
           2.85885980666130812e-04),
    planet(1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01,
           2.96460137564761618e-03, 2.37847173959480950e-03, -2.96589568540237556e-05,
           4.36624404335156298e-05),
    planet(1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01,
           2.68067772490389322e-03, 1.62824170038242295e-03, -9.51592254519715870e-05,
           5.15138902046611451e-05),
  };
  offset_momentum(bs);
  printf("%.9f\n", energy(bs));
  for (int s = 0; s < 1000000; s++) advance(bs, 0.01);
  printf("%.9f\n", energy(bs));
  return 0;
}
