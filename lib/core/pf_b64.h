/*
 * pf_b64: standard base64 (RFC 4648 section 4, padded), strict on input:
 * DSSE payloads and signatures come from bundles we do not trust, and one
 * text must decode to one byte string only.
 */
#ifndef PF_B64_H
#define PF_B64_H

#include <stddef.h>

#include "pf_err.h"

/* A new NUL-terminated encoding of n bytes (*outlen without the NUL), or NULL. */
char *pf_b64_encode(const void *p, size_t n, size_t *outlen);

/*
 * The 6-bit value of a base64 character, or -1. With url, the URL-safe
 * '-' and '_' (RFC 4648 section 5) count too, beside '+' and '/'.
 */
int pf_b64_value(unsigned char c, int url);

/*
 * Decodes len characters of s: whole quads of the standard alphabet, '='
 * only as the last one or two characters, unused bits zero, at most max
 * bytes out. Returns a new buffer (NUL-terminated for convenience, *outlen
 * without it), or NULL with e set: code 1 naming the reason, 3 on ENOMEM.
 */
unsigned char *pf_b64_decode(const char *s, size_t len, size_t max,
    size_t *outlen, struct pf_err *e);

#endif
