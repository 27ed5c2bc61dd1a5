/*
 * pf_diag: diagnostics on stderr as "prog: context: reason", untrusted
 * bytes quoted with pf_quote(), and the process exits that go with them.
 * With pf_tool, the only lib/ code that prints or exits.
 */
#ifndef PF_DIAG_H
#define PF_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdnoreturn.h>

#include "pf_err.h"

void pf_diag_setprog(const char *name);
const char *pf_diag_prog(void);

/*
 * How much a tool says beside its errors and warnings: PF_QUIET (-q: no
 * summary line, no progress, no notes), PF_NORMAL, PF_VERBOSE (-v: what
 * the tool is doing, and the summary line on a pass too).
 */
enum pf_verbosity { PF_QUIET = 0, PF_NORMAL = 1, PF_VERBOSE = 2 };
void pf_diag_set_verbosity(enum pf_verbosity v);
enum pf_verbosity pf_diag_verbosity(void);

/* "prog: <message>" on stderr. */
void pf_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: warning: <message>" on stderr; never changes the exit code. */
void pf_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * "prog: <message>" unless -q: a wait the user sits through (a retry and
 * its cause, a slow Hub), so that a slow failure is never silent.
 */
void pf_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: <message>" with -v only: which file, which request, how long. */
void pf_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints and exits with code. */
noreturn void pf_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints e->msg and exits with e->code (3 when unset). */
noreturn void pf_die_err(const struct pf_err *e);
/* A broken invariant: prints "prog: BUG: ..." and exits 3. */
#define pf_bug(...) pf_bug_at(__FILE__, __LINE__, __VA_ARGS__)
noreturn void pf_bug_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Untrusted bytes for a message: wrapped in single quotes, control bytes,
 * quotes, backslashes and invalid UTF-8 as \xNN, cut at 120 bytes with "…".
 * Returns one of a few rotating thread-local buffers: use it at once.
 */
const char *pf_quote(const char *s);
const char *pf_quote_mem(const void *s, size_t len);

#endif
