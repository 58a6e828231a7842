/* The C twin of bench/run/hello.pole-ir, for `tcc -run` in bench/run.sh. */
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  return 0;
}
