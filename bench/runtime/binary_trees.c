/* binary_trees: the benchmark game's binary-trees at depth 18; twin of
 * binary_trees.pole-ir (same trees, same output). Nodes come from malloc and
 * each tree is freed as soon as it has been checked. */
#include <stdio.h>
#include <stdlib.h>

typedef struct Node {
  struct Node *left, *right; /* both NULL: the Leaf children of a depth-0 node */
} Node;

static Node *node(Node *left, Node *right) {
  Node *n = malloc(sizeof *n);
  if (n == NULL) {
    fputs("out of memory\n", stderr);
    exit(1);
  }
  n->left = left;
  n->right = right;
  return n;
}

static Node *make(int depth) {
  if (depth == 0) return node(NULL, NULL);
  Node *l = make(depth - 1);
  return node(l, make(depth - 1));
}

static long check(const Node *t) {
  if (t == NULL) return 0;
  return 1 + check(t->left) + check(t->right);
}

static void release(Node *t) {
  if (t == NULL) return;
  release(t->left);
  release(t->right);
  free(t);
}

int main(void) {
  const int max_depth = 18, min_depth = 4;
  int max_d = max_depth < min_depth + 2 ? min_depth + 2 : max_depth;
  int stretch = max_d + 1;
  Node *s = make(stretch);
  printf("stretch tree of depth %d\t check: %ld\n", stretch, check(s));
  release(s);
  Node *long_lived = make(max_d);
  for (int depth = min_depth; depth <= max_d; depth += 2) {
    long iterations = 1L << (max_d - depth + min_depth);
    long total = 0;
    for (long i = 0; i < iterations; i++) {
      Node *t = make(depth);
      total += check(t);
      release(t);
    }
    printf("%ld\t trees of depth %d\t check: %ld\n", iterations, depth, total);
  }
  printf("long lived tree of depth %d\t check: %ld\n", max_d, check(long_lived));
  release(long_lived);
  return 0;
}
