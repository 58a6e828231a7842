/* pole_num.c - numbers, randomness and time of the Pole runtime (reference
 * section 6.2): the SplitMix64 generator and the program's monotonic clock.
 * The float and integer helpers compile to instructions or call libm
 * directly; they are not here. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <time.h>

void pole_random_seed(int64_t seed);
int64_t pole_random_bits(void);
int64_t pole_random_int(int64_t bound);
double pole_random_float(void);
int64_t pole_time_ms(void);
void pole_sleep_ms(int64_t ms);

/* The generator's state: one per program, 0 at start. */
static uint64_t rt_random_state;

void pole_random_seed(int64_t seed) { rt_random_state = (uint64_t)seed; }

/* SplitMix64 exactly as section 6.2 spells it (wrapping arithmetic). */
int64_t pole_random_bits(void) {
  rt_random_state += 0x9E3779B97F4A7C15u;
  uint64_t z = rt_random_state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return (int64_t)(z ^ (z >> 31));
}

/* In 0 .. bound-1; 0 (and no draw) when bound <= 0. */
int64_t pole_random_int(int64_t bound) {
  if (bound <= 0) return 0;
  return (int64_t)((uint64_t)pole_random_bits() >> 1) % bound;
}

/* In [0, 1): the top 53 bits times 2^-53. */
double pole_random_float(void) {
  return (double)((uint64_t)pole_random_bits() >> 11) * (1.0 / 9007199254740992.0);
}

static int64_t rt_clock_ms(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return 0;
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The clock at program start: set before main by the loader (this object
 * is linked in only when the program uses the clock); in `pole` itself
 * (POLE_RT_LOADED), when `pole run` starts the program. */
static int64_t rt_start_ms;

#ifdef POLE_RT_LOADED
void pole_rt_clock_reset(void) { rt_start_ms = rt_clock_ms(); }
#else
__attribute__((constructor)) static void rt_clock_start(void) { rt_start_ms = rt_clock_ms(); }
#endif

int64_t pole_time_ms(void) { return rt_clock_ms() - rt_start_ms; }

/* Pauses at least ms milliseconds (resumed after signals). */
void pole_sleep_ms(int64_t ms) {
  if (ms <= 0) return;
  struct timespec req = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
  struct timespec rem;
  while (nanosleep(&req, &rem) != 0 && errno == EINTR) req = rem;
}

/* A Float64 stored into a C `float` (a @repr(C) field of type Float32,
   reference section 7.7): rounded to float, read back as double. */
double pole_round_f32(double x) { return (double)(float)x; }
