/*
 * pf_pkl_embed: pickles hidden in strings. A pickle that is inert itself,
 * a config value or a safetensors metadata string can carry another
 * pickle as text (base64, hex, or latin-1 code points as Python's json
 * writes bytes decoded that way) or raw bytes, compressed or not; model
 * code calling pickle.loads on that field runs it. Decodes such a string
 * and scans what it holds with pf_pkl_container.
 */
#ifndef PF_PKL_EMBED_H
#define PF_PKL_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_pkl_container.h"

/* What the scan of one embedded pickle found. */
struct pf_pkl_embed_result {
	uint64_t streams;		/* pickle streams run: 0, no pickle */
	enum pf_sev worst;		/* the worst finding's severity */
	int findings;			/* how many */
	char rule[64];			/* the worst finding's rule */
	char global[160];		/* the first global not allowed, or "" */
};

/*
 * Whether s[0..n) holds a pickle, possibly compressed: 1 with the decoded
 * bytes in *out (malloc'd, *outlen) and the encoding in *enc ("raw",
 * "base64", "hex", "latin-1"), 0 when not, -1 out of memory. Decoded
 * bytes past max are not looked at. Cheap for strings that are not one:
 * only their first bytes are decoded to look.
 */
int pf_pkl_embed_decode(const void *s, size_t n, size_t max,
    unsigned char **out, size_t *outlen, const char **enc);

/*
 * Scans the decoded bytes p[0..n) with o (its allow-list and caps).
 * Returns 0 with *res filled, or -1 with e set (3: memory).
 */
int pf_pkl_embed_scan(const struct pf_pkl_scan_opts *o, const void *p,
    size_t n, struct pf_pkl_embed_result *res, struct pf_err *e);

#endif
