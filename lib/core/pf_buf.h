/*
 * pf_buf: a growable byte buffer with a hard cap, for reading untrusted
 * input whole (files, HTTP bodies). Always NUL-terminated for convenience;
 * len does not count the terminator.
 */
#ifndef PF_BUF_H
#define PF_BUF_H

#include <stddef.h>

#include "pf_err.h"

struct pf_buf {
	char *data;
	size_t len;
	size_t cap; /* allocated */
	size_t max; /* hard cap on len; 0 means SIZE_MAX */
};

void pf_buf_init(struct pf_buf *b, size_t max);
/* Returns 0, or -1 when len would pass max (code 1 via e is NOT set: see below). */
int pf_buf_append(struct pf_buf *b, const void *p, size_t n);
int pf_buf_appendf(struct pf_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void pf_buf_reset(struct pf_buf *b);
void pf_buf_free(struct pf_buf *b);
/* Hands the data to the caller (to free()); the buffer is left empty. */
char *pf_buf_detach(struct pf_buf *b, size_t *len);

/*
 * Reads a whole file ("-" is stdin) into b, at most max bytes.
 * On failure fills e: code 2 when the file is missing, unreadable or larger
 * than max ("larger than NAME (N MiB)" with capname), code 3 on I/O errors.
 * Messages name the file as given ("<stdin>" for "-").
 */
int pf_buf_read_file(struct pf_buf *b, const char *path, size_t max,
    const char *capname, struct pf_err *e);

/* The display name of a path argument: "<stdin>"/"<stdout>" for "-". */
const char *pf_path_display(const char *path, int output);

#endif
