/* Output of Pole programs: every write to stdout is checked, and
 * `write_file` replaces a file atomically. Included by pole_rt.c (one
 * translation unit, as pole_alloc.c), before its printing section.
 *
 * stdout: the print builtins write through rt_out / rt_out_newline, which
 * check what stdio returns; stdout is flushed (and its error flag checked)
 * when the program ends, also when C code it called ends it with exit().
 * Any failure (ENOSPC, EIO, EPIPE with SIGPIPE ignored) is the runtime
 * error `cannot write to stdout: REASON`, exit status 101.
 *
 * write_file: a temporary file in the target's directory, written, synced
 * and renamed over the target, keeping its mode; on failure the target is
 * left as it was. */

#ifdef __GLIBC__
#include <stdio_ext.h>
#endif
#include <libgen.h>

static void *rt_err_errno(int e);
static const char *rt_path(const char *p);
static void *rt_cell2(int64_t tag, uint64_t v, int counted);

/* Set once a write error on stdout has been reported. */
static int rt_out_reported = 0;

/* Ends the program with `cannot write to stdout: REASON` (a failing test
 * in a test run). Never returns through exit(): it may run in an atexit
 * handler. */
_Noreturn RT_COLD static void rt_out_failed(int e) {
  if (e == 0) e = EIO;
  rt_out_reported = 1;
#ifdef __GLIBC__
  /* What stdio still holds cannot be written: drop it, so nothing tries
   * again (and fails again) on the way out. */
  __fpurge(stdout);
#endif
  clearerr(stdout);
  snprintf(rt_msg_buf, sizeof rt_msg_buf, "cannot write to stdout: %s", strerror(e));
  if (rt_cur_test != NULL) pole_panic_at(rt_msg_buf, NULL);
  fprintf(stderr, "pole: runtime error: %s\n", rt_msg_buf);
  fflush(stderr);
  _exit(101);
}

static inline void rt_out(const void *p, size_t n) {
  if (n > 0 && fwrite(p, 1, n, stdout) != n) rt_out_failed(errno);
}

static inline void rt_out_newline(void) {
  if (putc('\n', stdout) == EOF) rt_out_failed(errno);
}

/* Flushes stdout at the end of the program; a write that failed (now or
 * earlier, in C code the program called) is a runtime error. */
static void rt_out_finish(void) {
  if (rt_out_reported) return;
  errno = 0;
  if (fflush(stdout) != 0) rt_out_failed(errno);
  if (ferror(stdout)) rt_out_failed(EIO);
}

/* For programs ended by C's exit(): registered with atexit by main. */
__attribute__((unused)) static void rt_out_atexit(void) { rt_out_finish(); }

/* Writes all of `text` to `fd`: 0, or the errno of the failure. */
static int rt_write_all(int fd, const char *text, int64_t n) {
  int64_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, text + done, (size_t)(n - done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return errno;
    if (w == 0) return EIO;
    done += w;
  }
  return 0;
}

/* The old way, for what cannot be replaced by a rename (a device, a FIFO,
 * a file in a directory this process cannot create files in). */
static void *rt_write_in_place(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) return rt_err_errno(errno);
  int e = rt_write_all(fd, text, slen(text));
  if (close(fd) != 0 && e == 0) e = errno;
  return e != 0 ? rt_err_errno(e) : rt_cell2(0, 0, 0);
}

/* Replaces the file's contents: Ok(()) or Err(reason). */
void *pole_write_file(const char *path, const char *text) {
  const char *cp = rt_path(path);
  if (cp == NULL || cp[0] == '\0') return rt_err_errno(cp == NULL ? EINVAL : ENOENT);
  struct stat st;
  int exists = stat(cp, &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode)) return rt_err_errno(EISDIR);
    return rt_write_in_place(cp, text);
  }
  /* A symbolic link is followed: its target is replaced, not the link. */
  char *real = NULL;
  struct stat lst;
  if (lstat(cp, &lst) == 0 && S_ISLNK(lst.st_mode)) {
    if (!exists) return rt_write_in_place(cp, text); /* creates the target */
    real = realpath(cp, NULL);
    if (real == NULL) return rt_err_errno(errno);
  }
  const char *target = real != NULL ? real : cp;
  size_t tl = strlen(target);
  char *copy = malloc(tl + 1);
  char *tmp = malloc(tl + 32);
  if (copy == NULL || tmp == NULL) {
    free(copy);
    free(tmp);
    free(real);
    return rt_err_errno(ENOMEM);
  }
  memcpy(copy, target, tl + 1);
  snprintf(tmp, tl + 32, "%s/.pole-write-XXXXXX", dirname(copy));
  free(copy);
  int fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    free(tmp);
    void *r;
    if (e == EACCES || e == EPERM || e == EROFS) {
      /* No new file can be made there; the target itself may be writable. */
      r = rt_write_in_place(target, text);
    } else {
      r = rt_err_errno(e);
    }
    free(real);
    return r;
  }
  mode_t mode;
  if (exists) {
    mode = st.st_mode & 07777;
    if (geteuid() == 0 && fchown(fd, st.st_uid, st.st_gid) != 0) {
      /* best effort: the file keeps root's ownership */
    }
  } else {
    mode_t mask = umask(0);
    umask(mask);
    mode = 0666 & ~mask;
  }
  int e = 0;
  if (fchmod(fd, mode) != 0) e = errno;
  if (e == 0) e = rt_write_all(fd, text, slen(text));
  if (e == 0 && fsync(fd) != 0) e = errno;
  if (close(fd) != 0 && e == 0) e = errno;
  if (e == 0 && rename(tmp, target) != 0) e = errno;
  if (e != 0) unlink(tmp);
  free(tmp);
  free(real);
  return e != 0 ? rt_err_errno(e) : rt_cell2(0, 0, 0);
}
