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

/*
 * Whether bytes starting a, b may start a hidden pickle in any encoding
 * pf_pkl_embed_decode reads: a filter cheap enough for every string.
 */
static inline int
pf_pkl_embed_maybe(unsigned char a, unsigned char b)
{
	switch (a) {
	case 0x80: return b >= 2 && b <= 5; /* raw PROTO */
	case 0xc2: return b == 0x80;	    /* latin-1 code points */
	case 'g': return b == 'A';	    /* base64 of PROTO */
	case 'H': return b == '4';	    /* base64 of gzip */
	case 'e': return b == 'J' || b == 'A' || b == 'N' || b == 'F';
	case 'Q': return b == 'l'; /* base64 of bzip2 */
	case '/': return b == 'T'; /* base64 of xz */
	case '8': return b == '0'; /* hex */
	case '1': return b == 'f' || b == 'F';
	case '7': return b == '8';
	case '4': return b == '2';
	case 'f': return b == 'd';
	case 'F': return b == 'D';
	case 0x1f: return b == 0x8b; /* raw gzip */
	case 0x78: return b == 0x01 || b == 0x5e || b == 0x9c || b == 0xda;
	case 'B': return b == 'Z';
	case 0xfd: return b == '7';
	default: return 0;
	}
}

/* What the scan of one embedded pickle found. */
struct pf_pkl_embed_result {
	uint64_t streams;  /* pickle streams run: 0, no pickle */
	enum pf_sev worst; /* the worst finding's severity */
	int findings;	   /* how many */
	char rule[64];	   /* the worst finding's rule */
	char global[160];  /* the first global not allowed, or "" */
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
 * The machine's embed hook for pf_pkl_container: when p[0..n) holds a
 * pickle, scans it one level deeper (up to o->max_nest) and fills ev
 * (rule, severity, message in msg, global in g) naming where m stores it:
 * pickle.embedded.code, at least high, when it would run anything;
 * pickle.embedded.inert (info) when not. Returns 1 with ev set, 0 when
 * there is nothing to report, -1 with e set.
 */
int pf_pkl_embed_event(const struct pf_pkl_scan_opts *o, struct pf_pkl *m,
    const unsigned char *p, size_t n, struct pf_pkl_event *ev, char *msg,
    size_t msgcap, char *g, size_t gcap, struct pf_err *e);

/*
 * Decodes s[0..n) (up to max bytes) and scans what it holds: 1 with *res
 * and *enc when that is a pickle, 0 when not, -1 with e set.
 */
int pf_pkl_embed_find(const struct pf_pkl_scan_opts *o, const void *s, size_t n,
    size_t max, struct pf_pkl_embed_result *res, const char **enc,
    struct pf_err *e);

/*
 * The finding for a pickle found at path: its severity (info when inert,
 * at least high when it would run anything) and message in msg.
 */
enum pf_sev pf_pkl_embed_message(const struct pf_pkl_embed_result *r,
    const char *path, const char *enc, char *msg, size_t cap);

/*
 * Scans the decoded bytes p[0..n) with o (its allow-list and caps).
 * Returns 0 with *res filled, or -1 with e set (3: memory).
 */
int pf_pkl_embed_scan(const struct pf_pkl_scan_opts *o, const void *p, size_t n,
    struct pf_pkl_embed_result *res, struct pf_err *e);

#endif
