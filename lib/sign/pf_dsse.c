/* pf_dsse: DSSE v1 envelopes and their pre-authentication encoding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_b64.h"
#include "pf_dsse.h"
#include "pf_int.h"
#include "pf_limits.h"
#include "pf_banned.h"

int
pf_dsse_pae(const char *type, const void *body, size_t len, unsigned char **out,
    size_t *outlen, struct pf_err *e)
{
	char head[64];
	size_t tlen = strlen(type), n, hn;
	int w;

	/* "DSSEv1 <tlen> " then type, then " <len> " then body. */
	w = snprintf(head, sizeof(head), "DSSEv1 %zu ", tlen);
	if (w < 0 || (size_t)w >= sizeof(head))
		return pf_err_set(e, PF_EXIT_FAILURE, "PAE header too long");
	hn = (size_t)w;
	w = snprintf(NULL, 0, " %zu ", len);
	if (w < 0 || !pf_add_size(hn, tlen, &n) || !pf_add_size(n, (size_t)w, &n) ||
	    !pf_add_size(n, len, &n) || !pf_add_size(n, 1, &n))
		return pf_err_set(e, PF_EXIT_FAILURE, "PAE too long");
	if ((*out = malloc(n)) == NULL)
		return pf_err_nomem(e);
	memcpy(*out, head, hn);
	memcpy(*out + hn, type, tlen);
	(void)snprintf((char *)*out + hn + tlen, (size_t)w + 1, " %zu ", len);
	if (len > 0)
		memcpy(*out + hn + tlen + (size_t)w, body, len);
	*outlen = n - 1;
	return 0;
}

void
pf_dsse_free(struct pf_dsse *d)
{
	free(d->payload);
	free(d->sig);
	memset(d, 0, sizeof(*d));
}

int
pf_dsse_parse(const json_t *env, size_t max_payload, struct pf_dsse *d,
    struct pf_err *e)
{
	const json_t *payload, *sigs, *sig;

	memset(d, 0, sizeof(*d));
	if (!json_is_object(env))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "dsseEnvelope is not an object");
	if ((d->type = json_string_value(json_object_get(env, "payloadType"))) ==
	    NULL)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "dsseEnvelope.payloadType is not a string");
	payload = json_object_get(env, "payload");
	if (!json_is_string(payload))
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "dsseEnvelope.payload is not a string");
	d->payload = pf_b64_decode(json_string_value(payload),
	    json_string_length(payload), max_payload, &d->payload_len, e);
	if (d->payload == NULL)
		return pf_err_prefix(e, "dsseEnvelope.payload");
	sigs = json_object_get(env, "signatures");
	if (!json_is_array(sigs) || json_array_size(sigs) == 0) {
		pf_dsse_free(d);
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "dsseEnvelope.signatures is not a non-empty array");
	}
	sig = json_object_get(json_array_get(sigs, 0), "sig");
	if (!json_is_string(sig)) {
		pf_dsse_free(d);
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "dsseEnvelope.signatures[0].sig is not a string");
	}
	d->sig = pf_b64_decode(json_string_value(sig), json_string_length(sig),
	    PF_MAX_SIGNATURE, &d->sig_len, e);
	if (d->sig == NULL) {
		pf_dsse_free(d);
		return pf_err_prefix(e, "dsseEnvelope.signatures[0].sig");
	}
	return 0;
}

json_t *
pf_dsse_new(const char *type, const void *payload, size_t len,
    const unsigned char *sig, size_t siglen)
{
	char *p64, *s64;
	json_t *env;

	p64 = pf_b64_encode(payload, len, NULL);
	s64 = pf_b64_encode(sig, siglen, NULL);
	env = p64 == NULL || s64 == NULL ?
	    NULL :
	    json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "payload", p64,
		"payloadType", type, "signatures", "sig", s64, "keyid", "");
	free(p64);
	free(s64);
	return env;
}
