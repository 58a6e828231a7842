/* Counts the primes below 5,000,000 by trial division and prints the count
 * (348513): the same algorithm as examples/primes.pole-ir, for comparing
 * `pole build --release` with `gcc -O2`. */
#include <stdint.h>
#include <stdio.h>

/* Tries the odd divisors d, d + 2, ... up to the square root of n (odd n). */
static int no_odd_divisor(int64_t n, int64_t d) {
    for (; d * d <= n; d += 2)
        if (n % d == 0)
            return 0;
    return 1;
}

static int is_prime(int64_t n) {
    if (n < 2)
        return 0;
    if (n % 2 == 0)
        return n == 2;
    return no_odd_divisor(n, 3);
}

int main(void) {
    int64_t count = 0;
    for (int64_t n = 2; n < 5000000; n++)
        if (is_prime(n))
            count++;
    printf("%lld\n", (long long)count);
    return 0;
}
