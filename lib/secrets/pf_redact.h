/*
 * pf_redact: a streaming filter that replaces every secret pf_secrets finds
 * with "[REDACTED:<rule>]" and passes every other byte through unchanged,
 * in bounded memory however long the stream, catching secrets split across
 * feeds. pf-redact runs it over stdin; pf-launch over a container's output.
 */
#ifndef PF_REDACT_H
#define PF_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_secrets.h"

struct pf_redact;

/* Writes n bytes of output. Returns 0, or -1 with errno set. */
typedef int (*pf_redact_out_fn)(void *ctx, const void *p, size_t n);

/* A filter over the rules of s (borrowed). NULL when out of memory. */
struct pf_redact *pf_redact_new(const struct pf_secrets *s,
    pf_redact_out_fn out, void *ctx);
/* Returns 0, or -1 with e set (3: the output failed or a PCRE2 error). */
int pf_redact_feed(struct pf_redact *r, const void *p, size_t n, struct pf_err *e);
/*
 * The end of the input: writes out everything held back. The filter may be
 * fed again after, as a new stream (see pf_secrets_stream_flush).
 */
int pf_redact_flush(struct pf_redact *r, struct pf_err *e);
/* Secrets masked so far. */
uint64_t pf_redact_count(const struct pf_redact *r);
void pf_redact_free(struct pf_redact *r);

/*
 * One string at once: a new malloc'd, NUL-terminated copy of in[0..n) with
 * every secret masked (*outlen its length), or NULL with e set.
 */
char *pf_redact_string(const struct pf_secrets *s, const char *in, size_t n,
    size_t *outlen, struct pf_err *e);

#endif
