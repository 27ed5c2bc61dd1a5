/*
 * pf_err: how lib/ reports a failure without printing or exiting.
 * A function that fails fills a struct pf_err with the exit code the tool
 * should use (PF_EXIT_*) and a one-line message in diagnostic style
 * ("'config.json': checksum mismatch"); the tool decides what to do.
 */
#ifndef PF_ERR_H
#define PF_ERR_H

#include <stddef.h>

enum pf_exit {
	PF_EXIT_OK = 0,	     /* passed, clean */
	PF_EXIT_VERDICT = 1, /* the data said no */
	PF_EXIT_USAGE = 2,   /* asked wrongly: bad option or artifact */
	PF_EXIT_FAILURE = 3  /* I/O, memory, network, library */
};

#define PF_ERR_MSG 512

struct pf_err {
	int code; /* enum pf_exit */
	char msg[PF_ERR_MSG];
};

/* Sets code and message; returns -1 so callers can `return pf_err_set(...)`. */
int pf_err_set(struct pf_err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "context: ". Returns -1. */
int pf_err_prefix(struct pf_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Out of memory: code 3. Returns -1. */
int pf_err_nomem(struct pf_err *e);
void pf_err_clear(struct pf_err *e);

#endif
