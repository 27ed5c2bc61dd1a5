/*
 * pf_redact: pf_secrets' stream with an output side. The stream hands out
 * the bytes between secrets and each secret in order; we write the first
 * as they are and the second as a mask, through a 64 KiB output buffer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_redact.h"
#include "pf_banned.h"

#define OUTBUF (64u * 1024)

struct pf_redact {
	struct pf_secrets_stream *st;
	pf_redact_out_fn out;
	void *ctx;
	unsigned char buf[OUTBUF];
	size_t len;
	uint64_t count;
	int err; /* errno of a failed write, 0 if none */
};

static int
out_flush(struct pf_redact *r)
{
	if (r->len == 0)
		return 0;
	errno = 0;
	if (r->out(r->ctx, r->buf, r->len) == -1) {
		r->err = errno ? errno : EIO;
		return -1;
	}
	r->len = 0;
	return 0;
}

static int
out_put(struct pf_redact *r, const void *p, size_t n)
{
	const unsigned char *b = p;

	if (n >= OUTBUF) {
		if (out_flush(r) == -1)
			return -1;
		errno = 0;
		if (r->out(r->ctx, b, n) == -1) {
			r->err = errno ? errno : EIO;
			return -1;
		}
		return 0;
	}
	if (n > OUTBUF - r->len && out_flush(r) == -1)
		return -1;
	memcpy(r->buf + r->len, b, n);
	r->len += n;
	return 0;
}

static int
on_bytes(void *ctx, const void *p, size_t n)
{
	return out_put(ctx, p, n);
}

static int
on_match(void *ctx, const struct pf_secret_match *m)
{
	struct pf_redact *r = ctx;

	r->count++;
	if (out_put(r, "[REDACTED:", 10) == -1 ||
	    out_put(r, m->rule, strlen(m->rule)) == -1 || out_put(r, "]", 1) == -1)
		return -1;
	return 0;
}

struct pf_redact *
pf_redact_new(const struct pf_secrets *s, pf_redact_out_fn out, void *ctx)
{
	struct pf_redact *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->out = out;
	r->ctx = ctx;
	if ((r->st = pf_secrets_stream_new(s, on_match, on_bytes, r)) == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

/* A failure of the stream: ours (a write) or the matcher's. */
static int
failed(struct pf_redact *r, struct pf_err *e)
{
	if (r->err != 0)
		return pf_err_set(e, PF_EXIT_FAILURE, "write: %s",
		    strerror(r->err));
	return -1;
}

int
pf_redact_feed(struct pf_redact *r, const void *p, size_t n, struct pf_err *e)
{
	if (r->err != 0 || pf_secrets_stream_feed(r->st, p, n, e) == -1)
		return failed(r, e);
	return 0;
}

int
pf_redact_flush(struct pf_redact *r, struct pf_err *e)
{
	if (r->err != 0 || pf_secrets_stream_flush(r->st, e) == -1 ||
	    out_flush(r) == -1)
		return failed(r, e);
	return 0;
}

uint64_t
pf_redact_count(const struct pf_redact *r)
{
	return r->count;
}

void
pf_redact_free(struct pf_redact *r)
{
	if (r == NULL)
		return;
	pf_secrets_stream_free(r->st);
	free(r);
}

static int
to_buf(void *ctx, const void *p, size_t n)
{
	if (pf_buf_append(ctx, p, n) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

char *
pf_redact_string(const struct pf_secrets *s, const char *in, size_t n,
    size_t *outlen, struct pf_err *e)
{
	struct pf_redact *r;
	struct pf_buf b;
	char *p;

	pf_buf_init(&b, 0);
	if ((r = pf_redact_new(s, to_buf, &b)) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	if (pf_redact_feed(r, in, n, e) == -1 || pf_redact_flush(r, e) == -1) {
		pf_redact_free(r);
		pf_buf_free(&b);
		return NULL;
	}
	pf_redact_free(r);
	if ((p = pf_buf_detach(&b, outlen)) == NULL)
		pf_err_nomem(e);
	return p;
}
