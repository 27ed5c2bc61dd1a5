/*
 * pf_wzip: zip containers of weights (.keras, .npz) read in place with
 * libarchive, never extracted, with these rules:
 * unsafe member names, symlinks, encryption, duplicates and too many
 * members are findings. Each member is offered to a callback that may
 * read a capped prefix of it.
 */
#ifndef PF_WZIP_H
#define PF_WZIP_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_wfind.h"

struct pf_wzip_member {
	const char *name;
	uint64_t size; /* declared uncompressed size */
	void *ar;      /* struct archive *, for pf_wzip_read */
};

/* Returns 0 to go on, -1 to stop with e set. */
typedef int (
    *pf_wzip_fn)(void *ctx, const struct pf_wzip_member *m, struct pf_err *e);

/*
 * Walks the zip open on fd. Findings (rules weights.zip.*) go to w.
 * Returns 0; -1 with e set: 1 when the archive cannot be read (a finding
 * for the caller to make, rule in *rule), 3 on memory or I/O.
 */
int pf_wzip_walk(int fd, uint64_t max_members, const struct pf_wfind *w,
    pf_wzip_fn fn, void *ctx, const char **rule, struct pf_err *e);

/*
 * Reads up to max + 1 bytes of the current member into a new buffer
 * (*out, *len; NUL-terminated; free() it). Sets *more when the member is
 * longer than max (then *len is max + 1: no byte is lost for a caller
 * that goes on reading). Returns 0 or -1 with e set.
 */
int pf_wzip_read(const struct pf_wzip_member *m, size_t max,
    unsigned char **out, size_t *len, int *more, struct pf_err *e);

#endif
