/* C memory for Pole values (reference section 7.7): Ptr_new, Ptr_free,
 * Ptr_read, Ptr_write and their array forms, over a layout the compiler
 * emits for the element type (a scalar, or a @repr(C) record whose fields
 * sit at C offsets). A record read from C memory becomes a Pole cell with
 * one 8-byte slot per field (nested records are nested cells); a value
 * written is converted back, narrow fields keeping their low bits. */

#include "pole_rt.h"

#include <stdlib.h>
#include <string.h>

/* Scalar codes: types::layout::Scalar in the compiler. */
enum {
  PCK_I64, PCK_I32, PCK_I16, PCK_I8, PCK_U32, PCK_U16, PCK_U8,
  PCK_F64, PCK_F32, PCK_BOOL, PCK_PTR, PCK_STRUCT
};

typedef struct PoleCLayout {
  int64_t kind;    /* PCK_* */
  int64_t size;
  int64_t nfields; /* structs */
  const int64_t *offsets;
  const struct PoleCLayout *const *fields;
} PoleCLayout;

void *pole_ptr_new(const PoleCLayout *l, int64_t n) {
  if (n < 1) n = 1;
  size_t size = l->size > 0 ? (size_t)l->size : 1;
  if ((uint64_t)n > SIZE_MAX / size) pole_panic("out of memory");
  void *p = calloc((size_t)n, size);
  if (p == NULL) pole_panic("out of memory");
  return p;
}

void pole_ptr_free(void *p) { free(p); }

static uint64_t c_read(const unsigned char *at, const PoleCLayout *l) {
  switch (l->kind) {
  case PCK_I64: { int64_t v; memcpy(&v, at, 8); return (uint64_t)v; }
  case PCK_I32: { int32_t v; memcpy(&v, at, 4); return (uint64_t)(int64_t)v; }
  case PCK_I16: { int16_t v; memcpy(&v, at, 2); return (uint64_t)(int64_t)v; }
  case PCK_I8: { int8_t v; memcpy(&v, at, 1); return (uint64_t)(int64_t)v; }
  case PCK_U32: { uint32_t v; memcpy(&v, at, 4); return (uint64_t)v; }
  case PCK_U16: { uint16_t v; memcpy(&v, at, 2); return (uint64_t)v; }
  case PCK_U8: return (uint64_t)at[0];
  case PCK_F64: { uint64_t v; memcpy(&v, at, 8); return v; }
  case PCK_F32: {
    float f;
    memcpy(&f, at, 4);
    double d = (double)f;
    uint64_t v;
    memcpy(&v, &d, 8);
    return v;
  }
  case PCK_BOOL: return at[0] != 0;
  case PCK_PTR: { uint64_t v; memcpy(&v, at, 8); return v; }
  case PCK_STRUCT: {
    int64_t n = l->nfields;
    uint64_t mask = 0;
    uint64_t words[4] = {0, 0, 0, 0};
    if (n > 256) pole_panic("a @repr(C) record of more than 256 fields");
    for (int64_t i = 0; i < n; i++)
      if (l->fields[i]->kind == PCK_STRUCT) {
        if (n <= 16) mask |= (uint64_t)1 << i;
        words[i / 64] |= (uint64_t)1 << (i % 64);
      }
    uint64_t *cell = pole_alloc_obj(n, n <= 16 ? mask : (uint64_t)(uintptr_t)words);
    for (int64_t i = 0; i < n; i++) cell[i] = c_read(at + l->offsets[i], l->fields[i]);
    return (uint64_t)(uintptr_t)cell;
  }
  default: return 0;
  }
}

static void c_write(unsigned char *at, const PoleCLayout *l, uint64_t v) {
  switch (l->kind) {
  case PCK_I64: case PCK_F64: case PCK_PTR: memcpy(at, &v, 8); return;
  case PCK_I32: case PCK_U32: { uint32_t w = (uint32_t)v; memcpy(at, &w, 4); return; }
  case PCK_I16: case PCK_U16: { uint16_t w = (uint16_t)v; memcpy(at, &w, 2); return; }
  case PCK_I8: case PCK_U8: at[0] = (unsigned char)v; return;
  case PCK_F32: {
    double d;
    memcpy(&d, &v, 8);
    float f = (float)d;
    memcpy(at, &f, 4);
    return;
  }
  case PCK_BOOL: at[0] = (v & 0xff) != 0; return;
  case PCK_STRUCT: {
    const uint64_t *cell = (const uint64_t *)(uintptr_t)v;
    for (int64_t i = 0; i < l->nfields; i++) c_write(at + l->offsets[i], l->fields[i], cell[i]);
    return;
  }
  default: return;
  }
}

/* Element i of the C array of l at p, as a Pole slot (a new cell for a
 * record, owned by the caller). */
uint64_t pole_ptr_read(const void *p, int64_t i, const PoleCLayout *l) {
  return c_read((const unsigned char *)p + i * l->size, l);
}

/* Stores slot v (borrowed) as element i of the C array of l at p. */
void pole_ptr_write(void *p, int64_t i, const PoleCLayout *l, uint64_t v) {
  c_write((unsigned char *)p + i * l->size, l, v);
}

/* A C copy of a struct value (slot v, borrowed) in a zeroed buffer of at
 * least 16 bytes, so that it can be read by whole eightbytes for passing
 * in registers (v == 0: just the buffer, for a struct result); freed by
 * the caller with pole_ptr_free. */
void *pole_c_pack(const PoleCLayout *l, uint64_t v) {
  size_t size = l->size > 16 ? (size_t)l->size : 16;
  size = (size + 7) / 8 * 8;
  unsigned char *p = calloc(1, size);
  if (p == NULL) pole_panic("out of memory");
  if (v != 0) c_write(p, l, v);
  return p;
}
