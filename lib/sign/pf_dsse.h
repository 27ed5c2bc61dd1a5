/*
 * pf_dsse: Dead Simple Signing Envelopes (DSSE v1): the pre-authentication
 * encoding (PAE) a signature covers, and the JSON envelope {payload,
 * payloadType, signatures[{sig, keyid}]} read from untrusted bundles.
 */
#ifndef PF_DSSE_H
#define PF_DSSE_H

#include <jansson.h>
#include <stddef.h>

#include "pf_err.h"

#define PF_DSSE_INTOTO "application/vnd.in-toto+json"

/* An envelope's first signature and its payload, decoded. */
struct pf_dsse {
	const char *type; /* borrowed from the JSON */
	unsigned char *payload;
	size_t payload_len;
	unsigned char *sig; /* DER, as the envelope carries it */
	size_t sig_len;
};

/*
 * PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body,
 * lengths in ASCII decimal. A new buffer in *out, or -1 (code 3).
 */
int pf_dsse_pae(const char *type, const void *body, size_t len,
    unsigned char **out, size_t *outlen, struct pf_err *e);

/*
 * Reads the envelope object env: payloadType a string, payload strict
 * base64 of at most max_payload bytes, signatures a non-empty array whose
 * first sig is strict base64 (only the first counts, as the OpenSSF
 * verifier checks only it). Code 1 naming the member at fault.
 */
int pf_dsse_parse(const json_t *env, size_t max_payload, struct pf_dsse *d,
    struct pf_err *e);
void pf_dsse_free(struct pf_dsse *d);

/* A new envelope object with one signature and keyid "", or NULL. */
json_t *pf_dsse_new(const char *type, const void *payload, size_t len,
    const unsigned char *sig, size_t siglen);

#endif
