/*
 * pf_pkl_embed: a string is looked at only when its first decoded bytes
 * start a pickle (PROTO 2 to 5) or a compressed stream (gzip, zlib,
 * bzip2, xz); then it is decoded whole, up to max bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_b64.h"
#include "pf_int.h"
#include "pf_limits.h"
#include "pf_pkl_embed.h"
#include "pf_banned.h"

/* Bytes that start a pickle or a compressed stream pf_pkl_container reads. */
static int
starts_pickle(const unsigned char *p, size_t n)
{
	if (n >= 2 && p[0] == 0x80 && p[1] >= 2 && p[1] <= 5)
		return 1;
	if (n >= 3 && p[0] == 0x1f && p[1] == 0x8b && p[2] == 8)
		return 1;
	if (n >= 2 && p[0] == 0x78 &&
	    (p[1] == 0x01 || p[1] == 0x5e || p[1] == 0x9c || p[1] == 0xda))
		return 1;
	if (n >= 4 && memcmp(p, "BZh", 3) == 0 && p[3] >= '1' && p[3] <= '9')
		return 1;
	return n >= 6 && memcmp(p, "\3757zXZ\0", 6) == 0;
}

/*
 * Decodes base64 (standard or URL-safe, whitespace skipped, padding
 * optional) into out, at most cap bytes. Returns the bytes written, or
 * -1 when s is not base64.
 */
static long
b64(const unsigned char *s, size_t n, unsigned char *out, size_t cap)
{
	unsigned acc = 0;
	size_t i, o = 0;
	int bits = 0, v;

	for (i = 0; i < n && o < cap; i++) {
		if (s[i] == '=' || s[i] == '\n' || s[i] == '\r' || s[i] == ' ')
			continue;
		if ((v = pf_b64_value(s[i], 1)) < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (long)o;
}

static long
hex(const unsigned char *s, size_t n, unsigned char *out, size_t cap)
{
	size_t i, o = 0;
	int h, l;

	for (i = 0; i + 1 < n && o < cap; i += 2) {
		if ((h = pf_hexval(s[i])) < 0 || (l = pf_hexval(s[i + 1])) < 0)
			return -1;
		out[o++] = (unsigned char)(h << 4 | l);
	}
	return (long)o;
}

/* UTF-8 of code points below 256 back to bytes; -1 when s is not that. */
static long
latin1(const unsigned char *s, size_t n, unsigned char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; i < n && o < cap; i++) {
		if (s[i] < 0x80)
			out[o++] = s[i];
		else if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < n &&
		    (s[i + 1] & 0xc0) == 0x80) {
			out[o++] = (unsigned char)((s[i] & 3) << 6 |
			    (s[i + 1] & 0x3f));
			i++;
		} else
			return -1;
	}
	return (long)o;
}

int
pf_pkl_embed_decode(const void *sv, size_t n, size_t max, unsigned char **out,
    size_t *outlen, const char **enc)
{
	static const struct {
		const char *name;
		long (*fn)(const unsigned char *, size_t, unsigned char *, size_t);
	} codecs[] = { { "base64", b64 }, { "hex", hex }, { "latin-1", latin1 } };
	const unsigned char *s = sv;
	unsigned char head[8], *buf;
	size_t i, cap;
	long got;

	*out = NULL;
	*outlen = 0;
	if (n < 4)
		return 0;
	for (i = 0; i <= sizeof(codecs) / sizeof(codecs[0]); i++) {
		if (i == sizeof(codecs) / sizeof(codecs[0])) {
			/* raw bytes, as a bytes value holds them */
			if (!starts_pickle(s, n))
				return 0;
			*enc = "raw";
			cap = n > max ? max : n;
			if ((*out = malloc(cap ? cap : 1)) == NULL)
				return -1;
			memcpy(*out, s, cap);
			*outlen = cap;
			return 1;
		}
		got = codecs[i].fn(s, n < 16 ? n : 16, head, sizeof(head));
		if (got < 2 || !starts_pickle(head, (size_t)got))
			continue;
		cap = n > max ? max : n;
		if ((buf = malloc(cap ? cap : 1)) == NULL)
			return -1;
		if ((got = codecs[i].fn(s, n, buf, cap)) < 0) {
			free(buf);
			continue; /* not that encoding after all */
		}
		*out = buf;
		*outlen = (size_t)got;
		*enc = codecs[i].name;
		return 1;
	}
	return 0;
}

static int
on_finding(void *ctx, const char *member, const struct pf_pkl_event *ev,
    struct pf_err *e)
{
	struct pf_pkl_embed_result *r = ctx;

	(void)member;
	(void)e;
	if (r->findings++ == 0 || ev->sev > r->worst) {
		r->worst = ev->sev;
		snprintf(r->rule, sizeof(r->rule), "%s", ev->rule);
	}
	if (ev->global != NULL && r->global[0] == '\0' && ev->sev >= PF_SEV_MEDIUM)
		snprintf(r->global, sizeof(r->global), "%s", ev->global);
	return 0;
}

static int
on_stream(void *ctx, const struct pf_pkl_stream_info *si, struct pf_err *e)
{
	struct pf_pkl_embed_result *r = ctx;

	(void)si;
	(void)e;
	r->streams++;
	return 0;
}

int
pf_pkl_embed_find(const struct pf_pkl_scan_opts *o, const void *s, size_t n,
    size_t max, struct pf_pkl_embed_result *res, const char **enc,
    struct pf_err *e)
{
	unsigned char *bytes;
	size_t len;
	int rc;

	if ((rc = pf_pkl_embed_decode(s, n, max, &bytes, &len, enc)) != 1)
		return rc == -1 ? pf_err_nomem(e) : 0;
	rc = pf_pkl_embed_scan(o, bytes, len, res, e);
	free(bytes);
	return rc == -1 ? -1 : res->streams > 0;
}

enum pf_sev
pf_pkl_embed_message(const struct pf_pkl_embed_result *r, const char *path,
    const char *enc, char *msg, size_t cap)
{
	if (r->worst < PF_SEV_MEDIUM) {
		snprintf(msg, cap,
		    "a pickle hidden in %.300s (%s) uses only "
		    "allowed globals",
		    path, enc);
		return PF_SEV_INFO;
	}
	snprintf(msg, cap,
	    "a pickle hidden in %.300s (%s) %s%.160s%s: code "
	    "that unpickles the value runs it",
	    path, enc, r->global[0] ? "imports '" : "is flagged ",
	    r->global[0] ? r->global : r->rule, r->global[0] ? "'" : "");
	return r->worst > PF_SEV_HIGH ? r->worst : PF_SEV_HIGH;
}

int
pf_pkl_embed_event(const struct pf_pkl_scan_opts *o, struct pf_pkl *m,
    const unsigned char *p, size_t n, struct pf_pkl_event *ev, char *msg,
    size_t msgcap, char *g, size_t gcap, struct pf_err *e)
{
	struct pf_pkl_scan_opts so = *o;
	struct pf_pkl_embed_result r;
	const char *enc;
	char path[300];
	int rc;

	memset(ev, 0, sizeof(*ev));
	pf_pkl_key_path(m, path, sizeof(path));
	if (path[0] == '\0')
		snprintf(path, sizeof(path), "a string");
	so.embed_depth++;
	if (so.embed_depth > (o->max_nest ? o->max_nest : PF_MAX_PICKLE_NEST)) {
		/* one level too deep: only whether it is a pickle at all */
		unsigned char *bytes;
		size_t blen;

		if ((rc = pf_pkl_embed_decode(p, n, n, &bytes, &blen, &enc)) != 1)
			return rc == -1 ? pf_err_nomem(e) : 0;
		free(bytes);
		ev->rule = "pickle.limit.exceeded";
		ev->sev = PF_SEV_HIGH;
		snprintf(msg, msgcap,
		    "pickles hidden in pickles nest deeper "
		    "than PF_MAX_PICKLE_NEST; the one in %s (%s) is not "
		    "scanned",
		    path, enc);
		ev->message = msg;
		return 1;
	}
	if ((rc = pf_pkl_embed_find(&so, p, n, n, &r, &enc, e)) != 1)
		return rc;
	ev->sev = pf_pkl_embed_message(&r, path, enc, msg, msgcap);
	ev->rule = ev->sev == PF_SEV_INFO ? "pickle.embedded.inert" :
					    "pickle.embedded.code";
	snprintf(g, gcap, "%s", r.global);
	ev->global = ev->sev != PF_SEV_INFO && g[0] ? g : NULL;
	ev->message = msg;
	return 1;
}

int
pf_pkl_embed_scan(const struct pf_pkl_scan_opts *o, const void *p, size_t n,
    struct pf_pkl_embed_result *res, struct pf_err *e)
{
	struct pf_pkl_report r;
	struct pf_pkl_scan_opts so = *o;
	const char *format;

	memset(res, 0, sizeof(*res));
	res->worst = PF_SEV_INFO;
	memset(&r, 0, sizeof(r));
	r.ctx = res;
	r.finding = on_finding;
	r.stream = on_stream;
	so.machine = NULL; /* the caller's may be mid-run */
	return pf_pkl_scan_mem(&so, &r, p, n, &format, e);
}
