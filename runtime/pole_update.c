/* The slow paths of updates in place (src/ir/in_place.rs). Compiled code
 * checks inline whether a unique cell (or list element) can be updated
 * where it is; when it cannot, it calls one of these to build the new cell,
 * then stores the changed fields into it itself. They are called with
 * Cranelift's `preserve_all` convention (every register kept): each entry
 * point is a trampoline that saves the registers C may clobber and calls
 * the C function, so a loop's floating-point values stay in registers
 * across a slow path that is never taken. Included by pole_rt.c (one
 * translation unit), at its end.
 *
 * `shape` packs the new cell: bits 0..15 the slots it keeps from the old
 * one (the unchanged fields), 16..31 its counted-slot mask, 32..39 its
 * slot count; bit 40 (elements): the element holds no reference of its own
 * (it was read from the list, which keeps it). */

#define UPD_KEEP(s) ((s) & 0xFFFF)
#define UPD_MASK(s) (((s) >> 16) & 0xFFFF)
#define UPD_SLOTS(s) ((int64_t)(((s) >> 32) & 0xFF))
#define UPD_BORROWED(s) (((s) >> 40) & 1)

/* `{ x with ... }` (a reset with `moved` and a reuse): the new cell, its
 * kept slots copied from x (a kept counted slot is one the reset moved out,
 * so its reference goes to the new cell), in x's block when x was unique
 * and the block fits. *out = the new cell. */
static void rt_cell_rebuild(void *x, uint64_t moved, uint64_t shape, void **out) {
  uint64_t kept[RT_NARROW_SLOTS];
  const uint64_t *slot = x;
  uint64_t keep = UPD_KEEP(shape);
  for (uint64_t m = keep; m != 0; m &= m - 1) kept[__builtin_ctzll(m)] = slot[__builtin_ctzll(m)];
  void *p = pole_alloc_reuse(pole_reset(x, moved), UPD_SLOTS(shape), UPD_MASK(shape));
  uint64_t *to = p;
  for (uint64_t m = keep; m != 0; m &= m - 1) to[__builtin_ctzll(m)] = kept[__builtin_ctzll(m)];
  *out = p;
}

/* `List.set(l, i, { e with ... })` where e is a list element without counted
 * fields whose reference the caller drops (unless borrowed): a new cell with e's kept slots,
 * set at i (consumes l). As pole_list_alloc_at, the new cell takes the block
 * of the element it replaces when the list and that element are unique.
 * *out = the new list (the cell is its element i). */
static void rt_elem_rebuild(void *lv, int64_t i, void *e, uint64_t shape, const char *loc,
                            void **out) {
  uint64_t kept[RT_NARROW_SLOTS];
  const uint64_t *slot = e;
  uint64_t keep = UPD_KEEP(shape);
  for (uint64_t m = keep; m != 0; m &= m - 1) kept[__builtin_ctzll(m)] = slot[__builtin_ctzll(m)];
  if (!UPD_BORROWED(shape)) pole_drop(e);
  List *l = lv;
  void *old = NULL;
  if ((uint64_t)i < l->len && rt_unique(l) && rt_unique(rt_list_buf(l))) {
    old = (void *)(uintptr_t)l->data[i];
    if (!rt_unique(old)) old = NULL;
  }
  uint64_t *p = pole_alloc_reuse(old ? pole_reset_moved(old, 0) : NULL, UPD_SLOTS(shape),
                                 UPD_MASK(shape));
  for (uint64_t m = keep; m != 0; m &= m - 1) p[__builtin_ctzll(m)] = kept[__builtin_ctzll(m)];
  if (old) {
    l->data[i] = (uint64_t)(uintptr_t)p; /* the old element's block, counted down */
    *out = l;
  } else {
    *out = pole_list_set(l, i, (uint64_t)(uintptr_t)p, loc);
  }
}

/* The entries compiled code calls: their arguments in memory, a[0], a[1],
 * ..., and the result written to a[0]. Passed in registers, they made the
 * register allocator move the values a loop keeps between registers on the
 * hot path, to have them in the argument registers on the cold one. */
void pole_cell_rebuild_c(uint64_t *a) {
  rt_cell_rebuild((void *)(uintptr_t)a[0], a[1], a[2], (void **)(void *)a);
}

void pole_elem_rebuild_c(uint64_t *a) {
  rt_elem_rebuild((void *)(uintptr_t)a[0], (int64_t)a[1], (void *)(uintptr_t)a[2], a[3],
                  (const char *)(uintptr_t)a[4], (void **)(void *)a);
}

/* pole_list_own (a[0]: the list; the result written there) for the entry
 * of a loop (src/ir/unique_lists.rs): kept off the argument and
 * caller-saved registers, so the loop's values need not live in
 * callee-saved ones or on the stack. */
void pole_list_own_in_c(uint64_t *a) {
  a[0] = (uint64_t)(uintptr_t)pole_list_own((void *)(uintptr_t)a[0]);
}

#if defined(__x86_64__)
/* Saves rax, rcx, rdx, rsi, rdi, r8-r11 and xmm0-15 around the call of
 * NAME_c (arguments stay in their registers); the stack is 16-byte aligned
 * at that call. Naked functions (not top-level asm), so they come after the
 * rest of the runtime's code. */
#define UPD_TRAMPOLINE(name)                                                          \
  __attribute__((naked, used)) void name(void) {                                      \
    __asm__("push %rbp\nmov %rsp,%rbp\n"                                              \
            "push %rax\npush %rcx\npush %rdx\npush %rsi\npush %rdi\n"                 \
            "push %r8\npush %r9\npush %r10\npush %r11\n"                              \
            "sub $264,%rsp\n"                                                         \
            "movdqu %xmm0,0(%rsp)\nmovdqu %xmm1,16(%rsp)\nmovdqu %xmm2,32(%rsp)\n"    \
            "movdqu %xmm3,48(%rsp)\nmovdqu %xmm4,64(%rsp)\nmovdqu %xmm5,80(%rsp)\n"   \
            "movdqu %xmm6,96(%rsp)\nmovdqu %xmm7,112(%rsp)\nmovdqu %xmm8,128(%rsp)\n" \
            "movdqu %xmm9,144(%rsp)\nmovdqu %xmm10,160(%rsp)\n"                       \
            "movdqu %xmm11,176(%rsp)\nmovdqu %xmm12,192(%rsp)\n"                      \
            "movdqu %xmm13,208(%rsp)\nmovdqu %xmm14,224(%rsp)\n"                      \
            "movdqu %xmm15,240(%rsp)\n"                                               \
            "call " #name "_c@PLT\n"                                                  \
            "movdqu 0(%rsp),%xmm0\nmovdqu 16(%rsp),%xmm1\nmovdqu 32(%rsp),%xmm2\n"    \
            "movdqu 48(%rsp),%xmm3\nmovdqu 64(%rsp),%xmm4\nmovdqu 80(%rsp),%xmm5\n"   \
            "movdqu 96(%rsp),%xmm6\nmovdqu 112(%rsp),%xmm7\nmovdqu 128(%rsp),%xmm8\n" \
            "movdqu 144(%rsp),%xmm9\nmovdqu 160(%rsp),%xmm10\n"                       \
            "movdqu 176(%rsp),%xmm11\nmovdqu 192(%rsp),%xmm12\n"                      \
            "movdqu 208(%rsp),%xmm13\nmovdqu 224(%rsp),%xmm14\n"                      \
            "movdqu 240(%rsp),%xmm15\n"                                               \
            "add $264,%rsp\n"                                                         \
            "pop %r11\npop %r10\npop %r9\npop %r8\n"                                  \
            "pop %rdi\npop %rsi\npop %rdx\npop %rcx\npop %rax\n"                      \
            "pop %rbp\nret\n");                                                      \
  }
UPD_TRAMPOLINE(pole_cell_rebuild)
UPD_TRAMPOLINE(pole_elem_rebuild)
UPD_TRAMPOLINE(pole_list_own_in)
#endif
