/* pf_b64: strict standard base64, both ways. */
#include <stdint.h>
#include <stdlib.h>

#include "pf_b64.h"
#include "pf_banned.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
pf_b64_encode(const void *p, size_t n, size_t *outlen)
{
	const unsigned char *in = p;
	size_t i, o = 0, len;
	uint32_t v;
	char *out;

	if (n / 3 >= SIZE_MAX / 4 - 1)
		return NULL;
	len = (n + 2) / 3 * 4;
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (i < n) {
		v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	if (outlen != NULL)
		*outlen = o;
	return out;
}

int
pf_b64_value(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || (url && c == '-'))
		return 62;
	if (c == '/' || (url && c == '_'))
		return 63;
	return -1;
}

unsigned char *
pf_b64_decode(const char *s, size_t len, size_t max, size_t *outlen,
    struct pf_err *e)
{
	size_t i, o = 0, pad = 0, n;
	unsigned char *out;
	uint32_t v = 0;
	int d;

	if (len % 4 != 0) {
		pf_err_set(e, PF_EXIT_VERDICT,
		    "base64 length is not a "
		    "multiple of 4");
		return NULL;
	}
	if (len >= 1 && s[len - 1] == '=')
		pad = len >= 2 && s[len - 2] == '=' ? 2 : 1;
	n = len / 4 * 3 - pad;
	if (n > max) {
		pf_err_set(e, PF_EXIT_VERDICT, "decodes to more than %zu bytes",
		    max);
		return NULL;
	}
	if ((out = malloc(n + 1)) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	for (i = 0; i < len - pad; i++) {
		if ((d = pf_b64_value((unsigned char)s[i], 0)) < 0) {
			free(out);
			pf_err_set(e, PF_EXIT_VERDICT,
			    "not base64 at offset %zu", i);
			return NULL;
		}
		v = v << 6 | (uint32_t)d;
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(v >> 16);
			out[o++] = (unsigned char)(v >> 8);
			out[o++] = (unsigned char)v;
			v = 0;
		}
	}
	/* The last quad: unused bits must be zero, or two texts mean one value. */
	if (pad == 1) {
		if ((v & 3) != 0)
			goto loose;
		out[o++] = (unsigned char)(v >> 10);
		out[o++] = (unsigned char)(v >> 2);
	} else if (pad == 2) {
		if ((v & 15) != 0)
			goto loose;
		out[o++] = (unsigned char)(v >> 4);
	}
	out[o] = '\0';
	*outlen = o;
	return out;
loose:
	free(out);
	pf_err_set(e, PF_EXIT_VERDICT, "base64 with non-zero padding bits");
	return NULL;
}
