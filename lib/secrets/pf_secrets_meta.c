/*
 * pf_secrets_meta: the strings in weight-file metadata, for pf-scan-secrets.
 * pf-scan-weights owns the full parsers (pf_safetensors, pf_gguf) and says
 * whether a header is valid; these readers walk only the parts that hold
 * strings, every length checked against what is left, and stop at the first
 * inconsistency.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_secrets.h"
#include "pf_banned.h"

/* Member names are cut here: they only need to be recognisable. */
#define MEMBER_MAX 256

static int
pread_all(int fd, void *buf, size_t n, uint64_t off, struct pf_err *e)
{
	unsigned char *b = buf;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, b, n, (off_t)off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return pf_err_set(e, PF_EXIT_FAILURE, "read: %s",
			    strerror(errno));
		if (r == 0)
			return pf_err_set(e, PF_EXIT_VERDICT,
			    "truncated at offset %llu", (unsigned long long)off);
		b += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

int
pf_secrets_safetensors_strings(int fd, uint64_t max, pf_secrets_str_fn fn,
    void *ctx, struct pf_err *e)
{
	unsigned char len8[8];
	char member[MEMBER_MAX];
	const char *key;
	json_t *hdr, *meta, *v;
	struct stat st;
	uint64_t n;
	char *buf;
	int rc = 0;

	if (fstat(fd, &st) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "fstat: %s", strerror(errno));
	if (st.st_size < 8)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "shorter than the 8-byte header length");
	if (pread_all(fd, len8, 8, 0, e) == -1)
		return -1;
	n = pf_le64(len8);
	if (n > (uint64_t)st.st_size - 8)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "header length %llu runs past the end of the file",
		    (unsigned long long)n);
	if (n > max)
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "header larger than PF_MAX_SECRETS_META (%llu bytes)",
		    (unsigned long long)max);
	if ((buf = malloc(n ? (size_t)n : 1)) == NULL)
		return pf_err_nomem(e);
	if (pread_all(fd, buf, (size_t)n, 8, e) == -1) {
		free(buf);
		return -1;
	}
	hdr = pf_json_parse(buf, (size_t)n, "header", e);
	free(buf);
	if (hdr == NULL) {
		e->code = PF_EXIT_VERDICT;
		return -1;
	}
	meta = json_object_get(hdr, "__metadata__");
	if (meta != NULL && !json_is_object(meta)) {
		json_decref(hdr);
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "__metadata__ is not an object");
	}
	json_object_foreach(meta, key, v) {
		if (!json_is_string(v))
			continue;
		(void)snprintf(member, sizeof(member), "__metadata__.%s", key);
		if ((rc = fn(ctx, member, json_string_value(v),
			 json_string_length(v), -1)) == -1)
			break;
	}
	json_decref(hdr);
	return rc;
}

/* ---- GGUF v2 and v3 (llama.cpp's docs/gguf.md) ---- */

enum {
	GGUF_U8,
	GGUF_I8,
	GGUF_U16,
	GGUF_I16,
	GGUF_U32,
	GGUF_I32,
	GGUF_F32,
	GGUF_BOOL,
	GGUF_STRING,
	GGUF_ARRAY,
	GGUF_U64,
	GGUF_I64,
	GGUF_F64,
	GGUF_NTYPES
};

static const unsigned char gguf_size[GGUF_NTYPES] = { 1, 1, 2, 2, 4, 4, 4, 1, 0,
	0, 8, 8, 8 };

/* A buffered sequential reader over [0, end) of the file. */
struct rd {
	int fd;
	uint64_t off;  /* file offset of the next byte */
	uint64_t end;  /* min(file size, cap) */
	uint64_t size; /* the file's size, to tell truncation from the cap */
	unsigned char *buf; /* bytes [boff, boff + blen) */
	size_t blen, bcap;
	uint64_t boff;
	struct pf_err *e;
};

static int
rd_short(struct rd *r, uint64_t need)
{
	if (r->off + need > r->size || r->off + need < r->off)
		return pf_err_set(r->e, PF_EXIT_VERDICT,
		    "truncated: %llu bytes wanted at offset %llu",
		    (unsigned long long)need, (unsigned long long)r->off);
	return pf_err_set(r->e, PF_EXIT_VERDICT,
	    "metadata larger than PF_MAX_SECRETS_META (%llu bytes)",
	    (unsigned long long)r->end);
}

/* Makes n bytes at r->off contiguous in the buffer; returns a pointer. */
static const unsigned char *
rd_get(struct rd *r, size_t n)
{
	size_t want;
	unsigned char *nb;

	if (n > r->end - r->off) {
		rd_short(r, n);
		return NULL;
	}
	if (r->off >= r->boff && r->off - r->boff <= r->blen &&
	    n <= r->blen - (size_t)(r->off - r->boff))
		goto done;
	want = n > 65536 ? n : 65536;
	if (want > r->end - r->off)
		want = (size_t)(r->end - r->off);
	if (want > r->bcap) {
		if ((nb = realloc(r->buf, want)) == NULL) {
			pf_err_nomem(r->e);
			return NULL;
		}
		r->buf = nb;
		r->bcap = want;
	}
	if (pread_all(r->fd, r->buf, want, r->off, r->e) == -1)
		return NULL;
	r->boff = r->off;
	r->blen = want;
done:
	r->off += n;
	return r->buf + (r->off - n - r->boff);
}

static int
rd_u32(struct rd *r, uint32_t *v)
{
	const unsigned char *p = rd_get(r, 4);

	if (p == NULL)
		return -1;
	*v = pf_le32(p);
	return 0;
}

static int
rd_u64(struct rd *r, uint64_t *v)
{
	const unsigned char *p = rd_get(r, 8);

	if (p == NULL)
		return -1;
	*v = pf_le64(p);
	return 0;
}

static int
rd_skip(struct rd *r, uint64_t n)
{
	if (n > r->end - r->off)
		return rd_short(r, n);
	r->off += n;
	return 0;
}

/* A GGUF string: u64 length, bytes. Returns a pointer into the buffer. */
static const char *
rd_string(struct rd *r, uint64_t *len, uint64_t *at)
{
	if (rd_u64(r, len) == -1)
		return NULL;
	if (*len > r->end - r->off) {
		rd_short(r, *len);
		return NULL;
	}
	*at = r->off;
	return (const char *)rd_get(r, (size_t)*len);
}

struct frame {
	uint32_t type;	/* element type */
	uint64_t left;	/* elements still to read */
	uint64_t index; /* of the next element */
};

static void
member_name(char *out, const char *key, const struct frame *st, size_t depth)
{
	size_t i, n = strlen(key);
	int w;

	(void)snprintf(out, MEMBER_MAX, "%s", key);
	for (i = 0; i < depth && n < MEMBER_MAX; i++) {
		w = snprintf(out + n, MEMBER_MAX - n, "[%llu]",
		    (unsigned long long)(st[i].index - 1));
		if (w < 0 || (size_t)w >= MEMBER_MAX - n)
			break;
		n += (size_t)w;
	}
}

/* One value of type t (an array is walked with an explicit stack). */
static int
gguf_value(struct rd *r, const char *key, uint32_t t, uint64_t *nstr,
    uint64_t max_strings, pf_secrets_str_fn fn, void *ctx)
{
	struct frame st[PF_MAX_NEST];
	char member[MEMBER_MAX];
	size_t depth = 0;
	const char *s;
	uint64_t len, at, skip;

	for (;;) {
		if (t >= GGUF_NTYPES)
			return pf_err_set(r->e, PF_EXIT_VERDICT,
			    "value type %u at offset %llu", t,
			    (unsigned long long)r->off);
		if (t == GGUF_STRING) {
			if (++*nstr > max_strings)
				return pf_err_set(r->e, PF_EXIT_VERDICT,
				    "more than PF_MAX_SECRETS_META_STRINGS (%llu) strings",
				    (unsigned long long)max_strings);
			if ((s = rd_string(r, &len, &at)) == NULL)
				return -1;
			member_name(member, key, st, depth);
			if (fn(ctx, member, s, (size_t)len, (int64_t)at) == -1)
				return -1;
		} else if (t == GGUF_ARRAY) {
			if (depth == PF_MAX_NEST)
				return pf_err_set(r->e, PF_EXIT_VERDICT,
				    "arrays nested deeper than PF_MAX_NEST (%d)",
				    PF_MAX_NEST);
			if (rd_u32(r, &st[depth].type) == -1 ||
			    rd_u64(r, &st[depth].left) == -1)
				return -1;
			st[depth].index = 0;
			if (st[depth].type < GGUF_NTYPES &&
			    gguf_size[st[depth].type] != 0) {
				/* Fixed-size elements: skipped at once. */
				if (!pf_mul_u64(st[depth].left,
					gguf_size[st[depth].type], &skip))
					return rd_short(r, UINT64_MAX);
				if (rd_skip(r, skip) == -1)
					return -1;
				st[depth].left = 0;
			}
			depth++;
		} else if (rd_skip(r, gguf_size[t]) == -1)
			return -1;
		/* The next element of the innermost unfinished array. */
		while (depth > 0 && st[depth - 1].left == 0)
			depth--;
		if (depth == 0)
			return 0;
		st[depth - 1].left--;
		st[depth - 1].index++;
		t = st[depth - 1].type;
	}
}

int
pf_secrets_gguf_strings(int fd, uint64_t max, uint64_t max_strings,
    pf_secrets_str_fn fn, void *ctx, struct pf_err *e)
{
	struct rd r = { 0 };
	const unsigned char *p;
	char key[MEMBER_MAX];
	uint64_t ntensors, nkv, i, klen, kat, nstr = 0;
	const char *k;
	uint32_t version, type;
	struct stat st;
	int rc = -1;

	if (fstat(fd, &st) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "fstat: %s", strerror(errno));
	r.fd = fd;
	r.e = e;
	r.size = (uint64_t)st.st_size;
	r.end = r.size < max ? r.size : max;
	if ((p = rd_get(&r, 4)) == NULL)
		goto out;
	if (memcmp(p, "GGUF", 4) != 0) {
		pf_err_set(e, PF_EXIT_VERDICT, "no GGUF magic");
		goto out;
	}
	if (rd_u32(&r, &version) == -1)
		goto out;
	if (version != 2 && version != 3) {
		pf_err_set(e, PF_EXIT_VERDICT, "GGUF version %u is not read",
		    version);
		goto out;
	}
	if (rd_u64(&r, &ntensors) == -1 || rd_u64(&r, &nkv) == -1)
		goto out;
	if (nkv > max_strings) {
		pf_err_set(e, PF_EXIT_VERDICT,
		    "more than PF_MAX_SECRETS_META_STRINGS (%llu) keys",
		    (unsigned long long)max_strings);
		goto out;
	}
	for (i = 0; i < nkv; i++) {
		if ((k = rd_string(&r, &klen, &kat)) == NULL)
			goto out;
		if (memchr(k, '\0', (size_t)klen) != NULL) {
			pf_err_set(e, PF_EXIT_VERDICT,
			    "NUL in key at offset %llu", (unsigned long long)kat);
			goto out;
		}
		(void)snprintf(key, sizeof(key), "%.*s",
		    klen < MEMBER_MAX ? (int)klen : MEMBER_MAX - 1, k);
		if (rd_u32(&r, &type) == -1 ||
		    gguf_value(&r, key, type, &nstr, max_strings, fn, ctx) == -1)
			goto out;
	}
	rc = 0;
out:
	free(r.buf);
	return rc;
}
