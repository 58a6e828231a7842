/* pole_rt.h - C runtime library of the pole compiler (Pole IR).
 *
 * Value representation (fixed ABI shared with the code generator, see
 * src/codegen/mod.rs): every Pole value fits in one 64-bit slot.
 *   Int      int64_t
 *   Float64  double (its bit pattern when stored in a generic slot)
 *   Bool     0 / 1, Unit 0
 *   String   char * to NUL-terminated bytes (embedded NULs allowed),
 *            preceded by the header and, before it, the byte length (int64_t)
 *   Record   pointer to 8-byte slots, fields in declaration order
 *   Variant  pointer to [int64_t tag][payload slots...]
 *            (Option: None=0, Some=1; Result: Ok=0, Err=1)
 *   List<T>  pointer to {uint64_t *data; uint32_t start, len} (value semantics)
 *   HashMap  opaque mutable runtime map (K = Int or String), shared
 *
 * Every heap value is immediately preceded by an 8-byte PoleHdr holding its reference
 * count. Count 0 marks static objects (literals, nullary constructors, empty
 * lists): never counted, never freed. Release code counts up and down
 * inline and calls pole_free when a count of 1 is dropped; debug code (and
 * huge functions) call pole_dup, pole_drop, pole_drop_moved and pole_reset
 * instead (pole_rc.c). Runtime entry
 * points borrow their arguments unless they say they consume them; every
 * counted result is a new reference.
 */
#ifndef POLE_RT_H
#define POLE_RT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- objects and reference counts ---------------------------------------- */
typedef struct PoleHdr {
  uint32_t rc;   /* reference count; 0 = static */
  uint8_t kind;  /* PK_* */
  uint8_t flags; /* PF_* */
  uint16_t aux;  /* cells: mask of the slots holding counted values (bit i:
                    slot i), or with PF_WIDE the slot count (the mask words
                    follow the slots) */
} PoleHdr;

/* Cells of at most this many slots keep their mask in the header. */
#define RT_NARROW_SLOTS 16

enum { PK_STR = 1, PK_CELL = 2, PK_LIST = 3, PK_BUF = 4, PK_MAP = 5 };
enum {
  PF_BOXED = 1, /* lists, list buffers: counted elements; maps: counted values */
  PF_WIDE = 2   /* cells of more than RT_NARROW_SLOTS slots */
};
/* Narrow cells keep in flags bits 2..7 how many slots their block holds at
 * least (the slots they were made with), so compiled code reuses a block for
 * a new cell without asking the allocator. */
#define PF_CAP_SHIFT 2

/* ---- errors and allocation ---------------------------------------------- */
/* Called before a runtime error is reported: `break pole_runtime_error`. */
void pole_runtime_error(const char *msg, const char *loc);
_Noreturn void pole_panic(const char *msg);
/* Runtime errors at `loc` ("FILE:LINE:COL in FUNCTION", or NULL). */
_Noreturn void pole_panic_at(const char *msg, const char *loc);
_Noreturn void pole_panic_index(const int64_t *in, const char *loc);
struct PoleType;
_Noreturn void pole_panic_value(const char *msg, uint64_t v, const struct PoleType *t,
                                const char *loc);
void pole_free(void *obj);                       /* obj's count is 1 */
void pole_dup(void *obj);                        /* count up unless static */
void pole_drop(void *obj);                       /* count down, free at 1 */
void *pole_alloc_obj(int64_t nslots, uint64_t mask);
void pole_free_moved(void *cell, uint64_t moved); /* count 1; slots in moved moved out */
void *pole_reset_moved(void *cell, uint64_t moved); /* the same, keeping the block */
void *pole_alloc_reuse(void *token, int64_t nslots, uint64_t mask);
/* Drop cells whose slots in `moved` the caller loaded and keeps: moved out
 * of a unique cell, counted up when it is shared. */
void pole_drop_moved(void *cell, uint64_t moved);
void *pole_reset(void *cell, uint64_t moved); /* the block of a unique cell, or NULL */

/* ---- strings ------------------------------------------------------------- */
char *pole_str_concat(char *a, char *b); /* consumes a and b */
int64_t pole_str_length(const char *s);
int64_t pole_str_contains(const char *s, const char *sub);
int64_t pole_str_eq(const char *a, const char *b);
int64_t pole_str_cmp(const char *a, const char *b);
char *pole_int_to_string(int64_t v);
char *pole_float_to_string(double v);
char *pole_str_from_c(const char *p);
char *pole_ptr_to_string(const void *p);

/* ---- printing (C stdio stdout) --------------------------------------------- */
void pole_print_int(int64_t v);
void pole_print_float(double v);
void pole_print_bool(int64_t v);
void pole_print_str(const char *s);
void pole_print_newline(void);

/* ---- lists ----------------------------------------------------------------- */
void *pole_list_new(int64_t boxed);
void *pole_list_alloc(int64_t n, int64_t boxed);
void pole_list_init(void *l, int64_t i, uint64_t v);      /* consumes v */
int64_t pole_list_length(void *l);
uint64_t pole_list_get(void *l, int64_t i);               /* borrowed result */
uint64_t pole_list_get_default(void *l, int64_t i, uint64_t dflt);
void *pole_list_set(void *l, int64_t i, uint64_t v, const char *loc); /* consumes l, v */
/* Slow paths of updates in place (pole_update.c; compiled code calls the
 * trampolines without the _c, which keep every register): arguments in
 * a[0..], the result written to a[0]. */
void pole_cell_rebuild_c(uint64_t *a); /* x, moved, shape */
void pole_elem_rebuild_c(uint64_t *a); /* l, i, e, shape, loc */
void pole_list_own_in_c(uint64_t *a);  /* l: pole_list_own */
void *pole_list_push(void *l, uint64_t v);                /* consumes l, v */
void *pole_list_concat(void *lists, int64_t boxed);       /* consumes lists */
void *pole_list_tail(void *l);                            /* consumes l */

/* ---- hash maps ------------------------------------------------------------- */
void *pole_map_new(int64_t capacity_hint, int64_t key_is_string, int64_t values_boxed);
void pole_map_put(void *m, uint64_t k, uint64_t v);       /* consumes k, v */
uint64_t pole_map_get(void *m, uint64_t k, const char *loc);
int64_t pole_map_contains(void *m, uint64_t k);
int64_t pole_map_size(void *m);

/* ---- FFI helpers (reference section 7.6) ----------------------------------- */
int64_t pole_read_i32(const void *p);
void pole_write_i32(void *p, int64_t v);
int64_t pole_read_i32_at(const void *p, int64_t off);
void pole_write_i32_at(void *p, int64_t off, int64_t v);
void pole_write_i16_at(void *p, int64_t off, int64_t v);
int64_t pole_read_i64(const void *p);

struct PoleType;

/* ---- standard library (reference section 6.1) ------------------------------
 * `none` is the static None cell, returned when there is no value; other
 * Option/Result results are new cells. */
char *pole_str_from_byte(int64_t b);                        /* static string */
char *pole_str_substring(char *s, int64_t start, int64_t len, const char *loc); /* consumes s */
int64_t pole_str_byte_at(const char *s, int64_t i, const char *loc);
void *pole_str_find(const char *s, const char *sub, void *none);
int64_t pole_str_starts_with(const char *s, const char *x);
int64_t pole_str_ends_with(const char *s, const char *x);
char *pole_str_trim(char *s);                                /* consumes s */
void *pole_str_split(const char *s, const char *sep, const char *loc);
char *pole_str_join(void *parts, const char *sep);
void *pole_str_to_int(const char *s, void *none);
void *pole_str_to_float(const char *s, void *none);
void *pole_list_reverse(void *l);                            /* consumes l */
void *pole_list_own(void *l);                                /* consumes l */
void *pole_list_truncate(void *l, int64_t n);                /* consumes l */
void *pole_list_slice(void *l, int64_t start, int64_t len, const char *loc); /* consumes l */
void *pole_list_sort(void *l, int64_t kind); /* consumes l; 0 Int, 1 Float64, 2 String */
int64_t pole_list_contains(void *l, uint64_t v, const struct PoleType *elem);
void pole_map_remove(void *m, uint64_t k);
void *pole_map_find(void *m, uint64_t k, void *none);
void *pole_map_keys(void *m);
void pole_rt_set_args(int argc, char **argv); /* called by main() */
void *pole_args(void);
void *pole_read_line(void *none);
void *pole_read_file(const char *path);
void *pole_write_file(const char *path, const char *text);
void pole_eprint_int(int64_t v);
void pole_eprint_float(double v);
void pole_eprint_bool(int64_t v);
void pole_eprint_str(const char *s);
void pole_eprint_newline(void);

/* ---- type descriptors, equality, display -------------------------------- */
enum {
  PT_INT, PT_FLOAT, PT_BOOL, PT_UNIT, PT_STRING,
  PT_LIST, PT_MAP, PT_PTR, PT_RECORD, PT_VARIANT,
  PT_TUPLE, /* count components, args their types; shown (a, b) */
  PT_FUNC   /* a closure; shown <function>, never compared */
};

typedef struct PoleType {
  int64_t kind;
  const char *name;                   /* record/variant type name, else NULL */
  int64_t count;                      /* record: fields; variant: constructors */
  const struct PoleType *const *args; /* list: [elem]; record: field types;
                                         variant: all payload types of all
                                         constructors, in constructor order */
  const char *const *names;           /* record: field names; variant: ctor names */
  const int64_t *arities;             /* variant: payload count per constructor */
} PoleType;

int64_t pole_eq(uint64_t a, uint64_t b, const PoleType *t);
char *pole_show(uint64_t v, const PoleType *t);

/* ---- tests (reference section 8.1) ----------------------------------------- */
int64_t pole_run_test(const char *name, uint64_t (*actual)(void),
                      uint64_t (*expected)(void), const PoleType *t);
int64_t pole_test_summary(void);

/* ---- program entry ----------------------------------------------------------
 * The runtime defines main() (unless compiled with -DPOLE_RT_NO_MAIN), which
 * runs the compiler-generated pole_main on a thread with a large stack and a
 * stack-overflow handler. pole_rt_start does that for any entry function and
 * returns the exit status (low 8 bits of the result). */
int64_t pole_main(void);
int pole_rt_start(int64_t (*entry)(void));

#ifdef __cplusplus
}
#endif

#endif /* POLE_RT_H */
