/*
 * fuzz-redact: the streaming matcher behind pf-redact and pf-scan-secrets.
 * The shipped rule table is loaded once with a small longest match and
 * small rounds, so a few KiB of input cross many round boundaries. The
 * first byte chooses how the rest is split into feeds; whatever the split,
 * the matches of a stream must be those pf_secrets_scan_mem finds in the
 * whole buffer at once, and the redacted output must be the input with
 * exactly those secrets masked.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_json.h"
#include "pf_policy.h"
#include "pf_redact.h"
#include "pf_secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pf_secrets *set;

static void
init(void)
{
	const char *dir = getenv("PF_RULES_DIR");
	char path[4096];
	struct pf_err e;
	json_t *policy;

	(void)snprintf(path, sizeof(path), "%s/secret-rules.json",
	    dir ? dir : "policies");
	/* A 64-byte longest match: the private-key rule then never matches. */
	policy = json_pack("{s:{s:i}}", "caps", "secrets_match", 64);
	if (policy == NULL ||
	    (set = pf_secrets_load(path, policy, PF_SEV_INFO, &e)) == NULL) {
		fprintf(stderr, "fuzz-redact: %s\n", policy ? e.msg : "memory");
		abort();
	}
	json_decref(policy);
	pf_secrets_set_chunk(set, 65);
}

static int
to_buf(void *ctx, const void *p, size_t n)
{
	return pf_buf_append(ctx, p, n);
}

struct hit {
	uint64_t off;
	size_t len;
	const char *rule;
};

struct hits {
	struct hit v[4096];
	size_t n;
	int full;
};

static int
on_match(void *ctx, const struct pf_secret_match *m)
{
	struct hits *h = ctx;

	if (m->len == 0 || m->line == 0 || m->column == 0)
		abort();
	if (h->n == sizeof(h->v) / sizeof(h->v[0])) {
		h->full = 1;
		return 0;
	}
	h->v[h->n].off = m->offset;
	h->v[h->n].len = m->len;
	h->v[h->n].rule = m->rule;
	h->n++;
	return 0;
}

/* The input with the secrets of h masked, as pf-redact must write it. */
static void
expected(const uint8_t *p, size_t n, const struct hits *h, struct pf_buf *out)
{
	size_t i, pos = 0;

	for (i = 0; i < h->n; i++) {
		if (h->v[i].off < pos || h->v[i].off + h->v[i].len > n)
			abort(); /* overlapping or outside the input */
		if (pf_buf_append(out, p + pos, (size_t)h->v[i].off - pos) == -1 ||
		    pf_buf_appendf(out, "[REDACTED:%s]", h->v[i].rule) == -1)
			abort();
		pos = (size_t)h->v[i].off + h->v[i].len;
	}
	if (pf_buf_append(out, p + pos, n - pos) == -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hits whole, streamed;
	struct pf_buf want, got;
	struct pf_redact *r;
	struct pf_secrets_stream *st;
	struct pf_err e;
	const uint8_t *p;
	size_t n, k, i;
	uint8_t seed;

	if (set == NULL)
		init();
	if (size < 1)
		return 0;
	seed = data[0];
	p = data + 1;
	n = size - 1;

	/* The reference: the whole buffer at once. */
	whole.n = streamed.n = 0;
	whole.full = streamed.full = 0;
	if (pf_secrets_scan_mem(set, p, n, 0, on_match, &whole, &e) == -1)
		abort();

	/* A stream fed in pieces of 1 to 64 bytes chosen by the seed. */
	if ((st = pf_secrets_stream_new(set, on_match, NULL, &streamed)) == NULL)
		abort();
	for (i = 0; i < n; i += k) {
		k = 1 + (size_t)((seed * 31u + i * 7u) % 64u);
		if (k > n - i)
			k = n - i;
		if (pf_secrets_stream_feed(st, p + i, k, &e) == -1)
			abort();
		seed = (uint8_t)(seed * 5u + 1u);
	}
	if (pf_secrets_stream_flush(st, &e) == -1)
		abort();
	pf_secrets_stream_free(st);
	if (whole.full || streamed.full)
		return 0;
	if (whole.n != streamed.n)
		abort();
	for (i = 0; i < whole.n; i++)
		if (whole.v[i].off != streamed.v[i].off ||
		    whole.v[i].len != streamed.v[i].len ||
		    strcmp(whole.v[i].rule, streamed.v[i].rule) != 0)
			abort();

	/* pf_redact in 3-byte feeds writes the input with those masked. */
	pf_buf_init(&want, 0);
	pf_buf_init(&got, 0);
	expected(p, n, &whole, &want);
	if ((r = pf_redact_new(set, to_buf, &got)) == NULL)
		abort();
	for (i = 0; i < n; i += 3)
		if (pf_redact_feed(r, p + i, n - i < 3 ? n - i : 3, &e) == -1)
			abort();
	if (pf_redact_flush(r, &e) == -1)
		abort();
	if (pf_redact_count(r) != whole.n)
		abort();
	pf_redact_free(r);
	if (want.len != got.len ||
	    (want.len && memcmp(want.data, got.data, want.len) != 0))
		abort();
	pf_buf_free(&want);
	pf_buf_free(&got);
	return 0;
}
