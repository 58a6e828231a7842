/* avl_map: twin of avl_map.pole-ir (and avl_map_int.pole-ir): an AVL map of
 * long keys and values in malloc'd nodes, updated in place (the balancing of
 * OCaml's Map, which the Pole programs copy: heights may differ by 2). 10^6
 * inserts of keys from an LCG, then 10^6 lookups of keys from another LCG
 * stream; the tree is freed at the end. */
#include <stdio.h>
#include <stdlib.h>

enum { COUNT = 1000000 };

typedef struct Node {
  struct Node *l, *r;
  long key, val, h;
} Node;

static long height(const Node *t) { return t ? t->h : 0; }

static Node *create(Node *l, long k, long v, Node *r, Node *n) {
  long hl = height(l), hr = height(r);
  n->l = l;
  n->key = k;
  n->val = v;
  n->r = r;
  n->h = hl >= hr ? hl + 1 : hr + 1;
  return n;
}

/* Rebalances node t, whose subtrees are balanced, reusing its nodes. */
static Node *bal(Node *t) {
  Node *l = t->l, *r = t->r;
  long hl = height(l), hr = height(r);
  if (hl > hr + 2) {
    if (height(l->l) >= height(l->r))
      return create(l->l, l->key, l->val, create(l->r, t->key, t->val, r, t), l);
    Node *lr = l->r;
    return create(create(l->l, l->key, l->val, lr->l, l), lr->key, lr->val,
                  create(lr->r, t->key, t->val, r, t), lr);
  }
  if (hr > hl + 2) {
    if (height(r->r) >= height(r->l))
      return create(create(l, t->key, t->val, r->l, t), r->key, r->val, r->r, r);
    Node *rl = r->l;
    return create(create(l, t->key, t->val, rl->l, t), rl->key, rl->val,
                  create(rl->r, r->key, r->val, r->r, r), rl);
  }
  t->h = hl >= hr ? hl + 1 : hr + 1;
  return t;
}

static Node *add(Node *t, long k, long v) {
  if (t == NULL) {
    Node *n = malloc(sizeof *n);
    if (n == NULL) {
      fputs("out of memory\n", stderr);
      exit(1);
    }
    return create(NULL, k, v, NULL, n);
  }
  if (k == t->key) {
    t->val = v;
    return t;
  }
  if (k < t->key)
    t->l = add(t->l, k, v);
  else
    t->r = add(t->r, k, v);
  return bal(t);
}

static const Node *find(const Node *t, long k) {
  while (t != NULL && t->key != k) t = k < t->key ? t->l : t->r;
  return t;
}

static long size(const Node *t) { return t ? size(t->l) + 1 + size(t->r) : 0; }

static void free_tree(Node *t) {
  if (t == NULL) return;
  free_tree(t->l);
  free_tree(t->r);
  free(t);
}

static long lcg(long s) { return (s * 1103515245 + 12345) % 2147483648L; }

static long key(long s) { return s / 1024 % 1048576; }

int main(void) {
  long n = COUNT, s = 42;
  Node *t = NULL;
  for (long i = 0; i < n; i++) {
    s = lcg(s);
    t = add(t, key(s), i);
  }
  long hits = 0, sum = 0;
  s = 4242;
  for (long i = 0; i < n; i++) {
    s = lcg(s);
    const Node *f = find(t, key(s));
    if (f != NULL) {
      hits++;
      sum = (sum + f->val) % 1000000007;
    }
  }
  printf("avl_map n=%ld size=%ld hits=%ld sum=%ld\n", n, size(t), hits, sum);
  free_tree(t);
  return 0;
}
