/* Reference counting out of line: the entry points that code compiled with
 * the debug settings (and huge functions of release builds) calls instead of
 * branching inline, one call per count change or cell drop, so that its
 * single-pass register allocator sees no extra blocks (see `rc_calls` in
 * src/codegen/func/rc.rs). Release code inlines the same fast paths.
 * Included by pole_rt.c (one translation unit), after pole_alloc_reuse. */

/* Counts p up unless it is static. */
void pole_dup(void *p) {
  if (HDR(p)->rc) HDR(p)->rc++;
}

/* Counts p down: frees it at 1 (and counts its children down). */
void pole_drop(void *p) {
  uint32_t rc = HDR(p)->rc;
  if (rc > 1)
    HDR(p)->rc = rc - 1;
  else if (rc == 1)
    pole_free(p);
}

/* Cell p is shared (or static) and its slots in `moved` were loaded: they
 * become new references, and p is counted down (never to zero). */
static inline void rt_share_moved(void *p, uint64_t moved) {
  uint64_t *slot = p;
  for (uint64_t m = moved; m != 0; m &= m - 1) rt_incref((void *)(uintptr_t)slot[__builtin_ctzll(m)]);
  if (HDR(p)->rc) HDR(p)->rc--;
}

/* Drops cell p whose slots in `moved` were loaded by the caller, who keeps
 * them: a unique p is freed without counting them down (they move out), a
 * shared one is counted down and they are counted up. */
void pole_drop_moved(void *p, uint64_t moved) {
  if (HDR(p)->rc == 1)
    pole_free_moved(p, moved);
  else
    rt_share_moved(p, moved);
}

/* As pole_drop_moved, but a unique p's block is kept as a reuse token for
 * pole_alloc_reuse (its other counted slots counted down); NULL when p was
 * shared. */
void *pole_reset(void *p, uint64_t moved) {
  if (HDR(p)->rc == 1) return pole_reset_moved(p, moved);
  rt_share_moved(p, moved);
  return NULL;
}
