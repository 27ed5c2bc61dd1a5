/*
 * pf_safetensors: a purpose-built, non-recursive reader for the header's
 * fixed shape ({name: {dtype, shape, data_offsets}, __metadata__: {str: str}})
 * so that a 10^7-entry header costs one pass and a few bytes per tensor,
 * duplicates are caught (serde and Python's json both keep the last one),
 * and every rule of the format is checked with overflow checks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_fdio.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_path.h"
#include "pf_limits.h"
#include "pf_safetensors.h"
#include "pf_banned.h"

static const struct {
	const char *name;
	unsigned bits;
} dtypes[PF_ST_NDTYPES] = {
	[PF_ST_BOOL] = { "BOOL", 8 },
	[PF_ST_U8] = { "U8", 8 },
	[PF_ST_I8] = { "I8", 8 },
	[PF_ST_F4] = { "F4", 4 },
	[PF_ST_F6_E2M3] = { "F6_E2M3", 6 },
	[PF_ST_F6_E3M2] = { "F6_E3M2", 6 },
	[PF_ST_F8_E5M2] = { "F8_E5M2", 8 },
	[PF_ST_F8_E4M3] = { "F8_E4M3", 8 },
	[PF_ST_F8_E8M0] = { "F8_E8M0", 8 },
	[PF_ST_F8_E4M3FNUZ] = { "F8_E4M3FNUZ", 8 },
	[PF_ST_F8_E5M2FNUZ] = { "F8_E5M2FNUZ", 8 },
	[PF_ST_I16] = { "I16", 16 },
	[PF_ST_U16] = { "U16", 16 },
	[PF_ST_F16] = { "F16", 16 },
	[PF_ST_BF16] = { "BF16", 16 },
	[PF_ST_I32] = { "I32", 32 },
	[PF_ST_U32] = { "U32", 32 },
	[PF_ST_F32] = { "F32", 32 },
	[PF_ST_I64] = { "I64", 64 },
	[PF_ST_U64] = { "U64", 64 },
	[PF_ST_F64] = { "F64", 64 },
	[PF_ST_C64] = { "C64", 64 },
};

const char *
pf_st_dtype_name(enum pf_st_dtype d)
{
	if ((unsigned)d >= PF_ST_NDTYPES)
		return NULL;
	return dtypes[d].name;
}

struct tensor {
	uint64_t begin, end;
	uint64_t keypos; /* header offset of the name */
	size_t name;	 /* offset of the decoded name in names */
	size_t order;	 /* position in the header */
};

struct slot {
	uint64_t hash;
	size_t name; /* offset in names + 1; 0 = empty */
	size_t len;
};

struct set {
	struct slot *slot;
	size_t cap, n;
};

struct st {
	const char *p, *start, *end;
	struct pf_st_info *out;
	struct pf_err *e;
	uint64_t max_tensors;
	/* decoded names, NUL-separated */
	char *names;
	size_t nlen, ncap;
	struct set tensors, meta; /* names seen, for duplicates */
	struct tensor *t;
	size_t tn, tcap;
	/* the last decoded string: offset into names, length */
	size_t s_off, s_len;
};

static int
bad(struct st *s, const char *rule, const char *where, const char *msg)
{
	uint64_t at = (uint64_t)(where - s->start) + 8;

	s->out->rule = rule;
	s->out->offset = at;
	return pf_err_set(s->e, 1, "header offset %llu: %s",
	    (unsigned long long)at, msg);
}

static int
bad_json(struct st *s, const char *msg)
{
	return bad(s, "weights.safetensors.bad-json", s->p, msg);
}

static void
skip_ws(struct st *s)
{
	while (s->p < s->end &&
	    (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int
expect(struct st *s, char c)
{
	skip_ws(s);
	if (s->p >= s->end || *s->p != c) {
		char m[40];

		(void)snprintf(m, sizeof(m), "expected '%c'", c);
		return bad_json(s, m);
	}
	s->p++;
	return 0;
}

/*
 * After a member or an element: 1 when a ',' says another follows, 0
 * after the closing c, -1 when neither comes.
 */
static int
next_item(struct st *s, char c)
{
	skip_ws(s);
	if (s->p < s->end && *s->p == ',') {
		s->p++;
		return 1;
	}
	return expect(s, c) == -1 ? -1 : 0;
}

static int
grow_names(struct st *s, size_t need)
{
	size_t n;
	char *q;

	if (need <= s->ncap - s->nlen)
		return 0;
	if (!pf_add_size(s->nlen, need, &n) || !pf_mul_size(n, 2, &n))
		return pf_err_nomem(s->e);
	if (n < 4096)
		n = 4096;
	if ((q = realloc(s->names, n)) == NULL)
		return pf_err_nomem(s->e);
	s->names = q;
	s->ncap = n;
	return 0;
}

static int
hex4(struct st *s, unsigned *u)
{
	int i, h;

	if (s->end - s->p < 4)
		return bad_json(s, "truncated \\u escape");
	*u = 0;
	for (i = 0; i < 4; i++) {
		if ((h = pf_hexval((unsigned char)s->p[i])) < 0)
			return bad_json(s, "bad \\u escape");
		*u = *u << 4 | (unsigned)h;
	}
	s->p += 4;
	return 0;
}

/*
 * Parses a JSON string at s->p (after whitespace), decoded and appended to
 * names with a NUL; s->s_off/s_len say where. The header was checked to be
 * UTF-8 already, so only escapes need care. NUL is refused: a name with a
 * NUL is read differently by C and Python tools.
 */
static int
parse_string(struct st *s)
{
	const char *q;
	unsigned u, lo;
	char *o;

	skip_ws(s);
	if (s->p >= s->end || *s->p != '"')
		return bad_json(s, "expected a string");
	s->p++;
	/* decoded is never longer than the raw text */
	for (q = s->p; q < s->end && *q != '"'; q++)
		if (*q == '\\' && q + 1 < s->end)
			q++;
	if (q >= s->end)
		return bad_json(s, "unterminated string");
	if (grow_names(s, (size_t)(q - s->p) + 1) == -1)
		return -1;
	s->s_off = s->nlen;
	o = s->names + s->nlen;
	while (*s->p != '"') {
		unsigned char c = (unsigned char)*s->p;

		if (c < 0x20)
			return bad_json(s, "control byte in string");
		if (c != '\\') {
			*o++ = (char)c;
			s->p++;
			continue;
		}
		s->p++;
		switch (*s->p++) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '/': *o++ = '/'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u':
			if (hex4(s, &u) == -1)
				return -1;
			if (u >= 0xdc00 && u <= 0xdfff)
				return bad_json(s, "lone low surrogate");
			if (u >= 0xd800 && u <= 0xdbff) {
				if (s->end - s->p < 6 || s->p[0] != '\\' ||
				    s->p[1] != 'u')
					return bad_json(s, "lone high surrogate");
				s->p += 2;
				if (hex4(s, &lo) == -1)
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return bad_json(s, "bad surrogate pair");
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (u == 0)
				return bad_json(s, "NUL in string");
			/* 6 raw bytes (or 12) always hold the <= 4 encoded ones */
			if (u < 0x80) {
				*o++ = (char)u;
			} else if (u < 0x800) {
				*o++ = (char)(0xc0 | u >> 6);
				*o++ = (char)(0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				*o++ = (char)(0xe0 | u >> 12);
				*o++ = (char)(0x80 | (u >> 6 & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			} else {
				*o++ = (char)(0xf0 | u >> 18);
				*o++ = (char)(0x80 | (u >> 12 & 0x3f));
				*o++ = (char)(0x80 | (u >> 6 & 0x3f));
				*o++ = (char)(0x80 | (u & 0x3f));
			}
			break;
		default: s->p--; return bad_json(s, "bad escape");
		}
	}
	s->p++;
	s->s_len = (size_t)(o - (s->names + s->s_off));
	*o = '\0';
	s->nlen = s->s_off + s->s_len + 1;
	return 0;
}

/* Forgets the last decoded string (values we do not keep). */
static void
drop_string(struct st *s)
{
	s->nlen = s->s_off;
}

static int
parse_u64(struct st *s, uint64_t *v)
{
	const char *q;
	uint64_t n = 0;

	skip_ws(s);
	q = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
		if (!pf_mul_u64(n, 10, &n) ||
		    !pf_add_u64(n, (uint64_t)(*s->p - '0'), &n))
			return bad(s, "weights.safetensors.bad-tensor", q,
			    "integer too large");
		s->p++;
	}
	if (s->p == q)
		return bad(s, "weights.safetensors.bad-tensor", q,
		    "expected a non-negative integer");
	if (*q == '0' && s->p - q > 1)
		return bad_json(s, "leading zero");
	if (s->p < s->end && (*s->p == '.' || *s->p == 'e' || *s->p == 'E'))
		return bad(s, "weights.safetensors.bad-tensor", q,
		    "expected an integer");
	*v = n;
	return 0;
}

static uint64_t
fnv(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

/* Adds the last decoded string to set; 1 when it was there already. */
static int
set_add(struct st *s, struct set *set)
{
	const char *name = s->names + s->s_off;
	uint64_t h = fnv(name, s->s_len);
	size_t i, mask;

	if (set->n + 1 > set->cap / 2) {
		size_t ncap = set->cap ? set->cap * 2 : 64, j;
		struct slot *ns;

		if ((ns = calloc(ncap, sizeof(*ns))) == NULL)
			return pf_err_nomem(s->e);
		for (j = 0; j < set->cap; j++) {
			if (set->slot[j].name == 0)
				continue;
			i = set->slot[j].hash & (ncap - 1);
			while (ns[i].name != 0)
				i = (i + 1) & (ncap - 1);
			ns[i] = set->slot[j];
		}
		free(set->slot);
		set->slot = ns;
		set->cap = ncap;
	}
	mask = set->cap - 1;
	for (i = h & mask; set->slot[i].name != 0; i = (i + 1) & mask)
		if (set->slot[i].hash == h && set->slot[i].len == s->s_len &&
		    memcmp(s->names + set->slot[i].name - 1, name, s->s_len) == 0)
			return 1;
	set->slot[i].hash = h;
	set->slot[i].name = s->s_off + 1;
	set->slot[i].len = s->s_len;
	set->n++;
	return 0;
}

static int
lookup_dtype(const char *name, size_t len)
{
	int i;

	for (i = 0; i < PF_ST_NDTYPES; i++)
		if (strlen(dtypes[i].name) == len &&
		    memcmp(dtypes[i].name, name, len) == 0)
			return i;
	return -1;
}

static int
parse_metadata(struct st *s)
{
	const char *at;

	skip_ws(s);
	if (s->end - s->p >= 4 && memcmp(s->p, "null", 4) == 0) {
		s->p += 4;
		return 0;
	}
	if (s->p >= s->end || *s->p != '{')
		return bad(s, "weights.safetensors.bad-metadata", s->p,
		    "__metadata__ is not an object");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		int dup, r;

		skip_ws(s);
		at = s->p;
		if (parse_string(s) == -1)
			return -1;
		if ((dup = set_add(s, &s->meta)) == -1)
			return -1;
		if (dup)
			return bad(s, "weights.safetensors.duplicate-key", at,
			    "duplicate key in __metadata__");
		if (expect(s, ':') == -1)
			return -1;
		skip_ws(s);
		if (s->p >= s->end || *s->p != '"')
			return bad(s, "weights.safetensors.bad-metadata", s->p,
			    "__metadata__ value is not a string");
		if (parse_string(s) == -1)
			return -1;
		drop_string(s);
		s->out->metadata++;
		if ((r = next_item(s, '}')) != 1)
			return r;
	}
}

enum { K_DTYPE = 1, K_SHAPE = 2, K_OFFSETS = 4 };

static int
member_kind(const char *k, size_t len)
{
	if (len == 5 && memcmp(k, "dtype", 5) == 0)
		return K_DTYPE;
	if (len == 5 && memcmp(k, "shape", 5) == 0)
		return K_SHAPE;
	if (len == 12 && memcmp(k, "data_offsets", 12) == 0)
		return K_OFFSETS;
	return 0;
}

static int
parse_shape(struct st *s, uint64_t *nel)
{
	uint64_t dim, rank = 0;
	const char *d;
	int r;

	*nel = 1;
	if (expect(s, '[') == -1)
		return -1;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		d = s->p;
		if (parse_u64(s, &dim) == -1)
			return -1;
		if (++rank > PF_MAX_TENSOR_RANK)
			return bad(s, "weights.safetensors.bad-tensor", d,
			    "more dimensions than PF_MAX_TENSOR_RANK (64)");
		if (!pf_mul_u64(*nel, dim, nel))
			return bad(s, "weights.safetensors.size-overflow", d,
			    "element count overflows");
		if ((r = next_item(s, ']')) != 1)
			return r;
	}
}

static int
parse_tensor(struct st *s, uint64_t keypos, size_t name)
{
	const char *at, *obj;
	int dtype = -1, seen = 0, kind, r;
	uint64_t nel = 1, bits, begin = 0, end = 0;
	struct tensor *t;

	skip_ws(s);
	obj = s->p;
	if (s->p >= s->end || *s->p != '{')
		return bad(s, "weights.safetensors.bad-tensor", obj,
		    "tensor entry is not an object");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}')
		return bad(s, "weights.safetensors.bad-tensor", obj,
		    "tensor entry without dtype, shape and data_offsets");
	for (;;) {
		skip_ws(s);
		at = s->p;
		if (parse_string(s) == -1)
			return -1;
		kind = member_kind(s->names + s->s_off, s->s_len);
		drop_string(s);
		if (kind == 0)
			return bad(s, "weights.safetensors.bad-tensor", at,
			    "unknown member in tensor entry");
		if (seen & kind)
			return bad(s, "weights.safetensors.duplicate-key", at,
			    "duplicate member in tensor entry");
		seen |= kind;
		if (expect(s, ':') == -1)
			return -1;
		if (kind == K_DTYPE) {
			skip_ws(s);
			at = s->p;
			if (parse_string(s) == -1)
				return -1;
			dtype = lookup_dtype(s->names + s->s_off, s->s_len);
			drop_string(s);
			if (dtype < 0)
				return bad(s, "weights.safetensors.unknown-dtype",
				    at, "unknown dtype");
		} else if (kind == K_SHAPE) {
			if (parse_shape(s, &nel) == -1)
				return -1;
		} else {
			if (expect(s, '[') == -1 || parse_u64(s, &begin) == -1 ||
			    expect(s, ',') == -1 || parse_u64(s, &end) == -1 ||
			    expect(s, ']') == -1)
				return -1;
		}
		if ((r = next_item(s, '}')) == -1)
			return -1;
		if (r == 0)
			break;
	}
	if (seen != (K_DTYPE | K_SHAPE | K_OFFSETS))
		return bad(s, "weights.safetensors.bad-tensor", obj,
		    "tensor entry lacks dtype, shape or data_offsets");
	if (end < begin)
		return bad(s, "weights.safetensors.bad-offsets", obj,
		    "data_offsets end before begin");
	if (!pf_mul_u64(nel, dtypes[dtype].bits, &bits))
		return bad(s, "weights.safetensors.size-overflow", obj,
		    "byte size overflows");
	if (bits % 8 != 0)
		return bad(s, "weights.safetensors.size-mismatch", obj,
		    "sub-byte tensor does not fill whole bytes");
	if (bits / 8 != end - begin)
		return bad(s, "weights.safetensors.size-mismatch", obj,
		    "shape and dtype do not match the data_offsets span");
	if (s->tn == s->tcap) {
		size_t n = s->tcap ? s->tcap * 2 : 256;

		if ((t = reallocarray(s->t, n, sizeof(*t))) == NULL)
			return pf_err_nomem(s->e);
		s->t = t;
		s->tcap = n;
	}
	s->t[s->tn].begin = begin;
	s->t[s->tn].end = end;
	s->t[s->tn].keypos = keypos;
	s->t[s->tn].name = name;
	s->t[s->tn].order = s->tn;
	s->tn++;
	s->out->tensors++;
	s->out->tensors_by_dtype[dtype]++;
	/* nel <= 2 * bytes and bytes fit the file: these sums cannot wrap */
	s->out->params_by_dtype[dtype] += nel;
	s->out->parameters += nel;
	return 0;
}

static int
cmp_tensor(const void *a, const void *b)
{
	const struct tensor *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

static int
check_layout(struct st *s, uint64_t data_len)
{
	uint64_t pos = 0;
	size_t i;

	if (s->tn > 1)
		qsort(s->t, s->tn, sizeof(*s->t), cmp_tensor);
	for (i = 0; i < s->tn; i++) {
		const char *at = s->start + s->t[i].keypos;

		if (s->t[i].begin < pos)
			return bad(s, "weights.safetensors.bad-offsets", at,
			    "tensor overlaps the one before it");
		if (s->t[i].begin > pos)
			return bad(s, "weights.safetensors.bad-offsets", at,
			    i == 0 ? "first tensor does not start at 0" :
				     "gap before tensor");
		pos = s->t[i].end;
		if (data_len != UINT64_MAX && pos > data_len)
			return bad(s, "weights.safetensors.out-of-bounds", at,
			    "tensor ends past the end of the file");
	}
	s->out->data_len = pos;
	if (data_len != UINT64_MAX && pos != data_len) {
		s->out->rule = "weights.safetensors.trailing-bytes";
		if (!pf_add_u64(pos, s->out->header_len + 8, &s->out->offset))
			s->out->offset = UINT64_MAX;
		return pf_err_set(s->e, 1, "%llu bytes after the last tensor",
		    (unsigned long long)(data_len - pos));
	}
	return 0;
}

static int
parse_root(struct st *s, uint64_t data_len)
{
	const char *at;
	int seen_meta = 0;

	if (s->p >= s->end || *s->p != '{')
		return bad_json(s, "header does not start with '{'");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
	} else {
		for (;;) {
			int meta, dup, r;

			skip_ws(s);
			at = s->p;
			if (parse_string(s) == -1)
				return -1;
			meta = s->s_len == 12 &&
			    memcmp(s->names + s->s_off, "__metadata__", 12) == 0;
			if (meta) {
				dup = seen_meta;
				seen_meta = 1;
			} else if ((dup = set_add(s, &s->tensors)) == -1) {
				return -1;
			}
			if (dup)
				return bad(s, "weights.safetensors.duplicate-key",
				    at, "duplicate tensor name");
			if (!meta && s->out->tensors >= s->max_tensors)
				return bad(s,
				    "weights.safetensors.too-many-tensors", at,
				    "more tensors than PF_MAX_ST_TENSORS");
			if (expect(s, ':') == -1)
				return -1;
			if (meta) {
				drop_string(s); /* not a tensor name */
				if (parse_metadata(s) == -1)
					return -1;
			} else if (parse_tensor(s, (uint64_t)(at - s->start),
				       s->s_off) == -1)
				return -1;
			if ((r = next_item(s, '}')) == -1)
				return -1;
			if (r == 0)
				break;
		}
	}
	/* The reference writer pads with spaces; nothing else may follow. */
	skip_ws(s);
	if (s->p != s->end)
		return bad_json(s, "bytes after the header object");
	return check_layout(s, data_len);
}

static int
cmp_order(const void *a, const void *b)
{
	const struct tensor *x = a, *y = b;

	return x->order < y->order ? -1 : x->order > y->order;
}

/* Copies the tensor names, in header order, into out->names. */
static int
keep_names(struct st *s)
{
	size_t i, len, total = 0;
	char *o;

	if (s->tn > 1)
		qsort(s->t, s->tn, sizeof(*s->t), cmp_order);
	for (i = 0; i < s->tn; i++)
		total += strlen(s->names + s->t[i].name) + 1; /* <= nlen */
	if ((s->out->names = malloc(total ? total : 1)) == NULL)
		return pf_err_nomem(s->e);
	o = s->out->names;
	for (i = 0; i < s->tn; i++) {
		len = strlen(s->names + s->t[i].name) + 1;
		memcpy(o, s->names + s->t[i].name, len);
		o += len;
	}
	s->out->names_len = total;
	return 0;
}

int
pf_st_parse_header_ex(const char *json, size_t len, uint64_t data_len,
    uint64_t max_tensors, int want_names, struct pf_st_info *out, struct pf_err *e)
{
	struct st s;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	out->header_len = len;
	s.p = s.start = json;
	s.end = json + len;
	s.out = out;
	s.e = e;
	s.max_tensors = max_tensors;
	if (len < 2) {
		out->rule = "weights.safetensors.bad-header-length";
		out->offset = 0;
		return pf_err_set(e, 1, "header shorter than 2 bytes");
	}
	if (memchr(json, '\0', len) != NULL || !pf_utf8_valid(json, len)) {
		out->rule = "weights.safetensors.bad-json";
		out->offset = 8;
		return pf_err_set(e, 1, "header is not UTF-8 text");
	}
	rc = parse_root(&s, data_len);
	if (rc == 0 && want_names)
		rc = keep_names(&s);
	free(s.tensors.slot);
	free(s.meta.slot);
	free(s.t);
	free(s.names);
	return rc;
}

int
pf_st_parse_header(const char *json, size_t len, uint64_t data_len,
    struct pf_st_info *out, struct pf_err *e)
{
	return pf_st_parse_header_ex(json, len, data_len, PF_MAX_ST_TENSORS, 0,
	    out, e);
}

int
pf_st_check_fd(int fd, uint64_t max_header, uint64_t max_tensors,
    int want_names, struct pf_st_info *out, struct pf_err *e)
{
	unsigned char lenb[8];
	struct stat st;
	uint64_t n, size, rest;
	size_t got;
	char *hdr;
	int rc;

	memset(out, 0, sizeof(*out));
	if (fstat(fd, &st) == -1)
		return pf_err_set(e, 3, "fstat: %s", strerror(errno));
	size = (uint64_t)st.st_size;
	out->rule = "weights.safetensors.bad-header-length";
	if (size < 8)
		return pf_err_set(e, 1, "shorter than 8 bytes");
	if (pf_fdio_pread(fd, lenb, 8, 0, &got, e) == -1)
		return -1;
	if (got != 8)
		return pf_err_set(e, 3, "read: short read");
	n = pf_le64(lenb);
	out->header_len = n;
	if (n > max_header)
		return pf_err_set(e, 1,
		    "header length %llu larger than "
		    "PF_MAX_ST_HEADER (%llu)",
		    (unsigned long long)n, (unsigned long long)max_header);
	if (n > size - 8)
		return pf_err_set(e, 1,
		    "header length %llu past the end of "
		    "the file",
		    (unsigned long long)n);
	if (n < 2)
		return pf_err_set(e, 1, "header shorter than 2 bytes");
	rest = size - 8 - n;
	if ((hdr = malloc((size_t)n)) == NULL)
		return pf_err_nomem(e);
	rc = pf_fdio_pread(fd, hdr, (size_t)n, 8, &got, e);
	if (rc == 0 && got != n)
		rc = pf_err_set(e, 3, "read: short read");
	if (rc == -1) {
		free(hdr);
		out->rule = NULL;
		return -1;
	}
	rc = pf_st_parse_header_ex(hdr, (size_t)n, rest, max_tensors,
	    want_names, out, e);
	free(hdr);
	return rc;
}

void
pf_st_info_free(struct pf_st_info *out)
{
	free(out->names);
	out->names = NULL;
	out->names_len = 0;
}

/* ------------------------------------------------------- sharded index */

int
pf_st_shards_add(struct pf_st_shards *s, const char *rel,
    struct pf_st_info *info, struct pf_err *e)
{
	struct pf_st_shards_entry *v;
	char *r;

	if ((r = strdup(rel)) == NULL ||
	    (v = reallocarray(s->v, s->n + 1, sizeof(*v))) == NULL) {
		free(r);
		return pf_err_nomem(e);
	}
	s->v = v;
	v += s->n++;
	v->rel = r;
	v->st.names = info->names; /* transferred */
	v->st.names_len = info->names_len;
	v->st.tensors = info->tensors;
	v->st.data_len = info->data_len;
	info->names = NULL;
	info->names_len = 0;
	return 0;
}

const struct pf_st_shard *
pf_st_shards_find(void *ctx, const char *rel)
{
	const struct pf_st_shards *s = ctx;
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i].rel, rel) == 0)
			return &s->v[i].st;
	return NULL;
}

void
pf_st_shards_free(struct pf_st_shards *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].rel);
		free((char *)(uintptr_t)s->v[i].st.names);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static int
index_hit(const struct pf_wfind *w, const char *rule, const char *ev,
    const char *msg, struct pf_err *e)
{
	if (pf_wfind_report(w, rule,
		strcmp(rule, "weights.safetensors.index-total-size") == 0 ?
		    PF_SEV_MEDIUM :
		    PF_SEV_HIGH,
		-1, NULL, ev, ev ? strlen(ev) : 0, msg) == -1)
		return pf_err_nomem(e);
	return 0;
}

/*
 * metadata.total_size against the bytes the shards hold: transformers and
 * huggingface_hub write the sum of the tensors' sizes. Loaders ignore it,
 * so a mismatch is medium: the index was not written for these shards.
 */
static int
check_total_size(const json_t *idx, uint64_t bytes, const struct pf_wfind *w,
    struct pf_err *e)
{
	json_t *ts = json_object_get(json_object_get(idx, "metadata"),
	    "total_size");
	char msg[160], ev[32];
	double d;
	uint64_t v;

	if (ts == NULL)
		return 0;
	if (json_is_integer(ts) && json_integer_value(ts) >= 0) {
		v = (uint64_t)json_integer_value(ts);
	} else if (json_is_real(ts) && (d = json_real_value(ts)) >= 0 &&
	    d < 9.2e18 && d == (double)(uint64_t)d) {
		v = (uint64_t)d; /* some converters write floats */
	} else {
		return index_hit(w, "weights.safetensors.index-total-size",
		    NULL, "metadata.total_size is not a byte count", e);
	}
	if (v == bytes)
		return 0;
	(void)snprintf(ev, sizeof(ev), "%llu", (unsigned long long)v);
	(void)snprintf(msg, sizeof(msg),
	    "metadata.total_size is %llu bytes, "
	    "but the shards' tensors hold %llu",
	    (unsigned long long)v, (unsigned long long)bytes);
	return index_hit(w, "weights.safetensors.index-total-size", ev, msg, e);
}

int
pf_st_index_check(const char *json, size_t len, const char *index_rel,
    pf_st_shard_fn fn, void *ctx, const struct pf_wfind *w, struct pf_err *e)
{
	const char *slash = strrchr(index_rel, '/'), *dir = index_rel;
	json_t *idx, *wm, *v, *seen = NULL;
	const struct pf_st_shard *sh;
	const char *k, *shard;
	size_t dirlen = slash ? (size_t)(slash - index_rel) + 1 : 0, i;
	uint64_t total = 0, bytes = 0;
	char msg[PF_ERR_MSG], *rel;
	struct pf_err pe;
	int rc = -1, complete = 1;

	if ((idx = pf_json_parse(json, len, "index", e)) == NULL) {
		if (e->code != 3)
			e->code = 1;
		return -1;
	}
	wm = json_object_get(idx, "weight_map");
	if (!json_is_object(wm)) {
		rc = index_hit(w, "weights.safetensors.bad-index", NULL,
		    "index has no weight_map object", e);
		goto out;
	}
	if ((seen = json_object()) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	json_object_foreach(wm, k, v) {
		if (!json_is_string(v) || strchr(json_string_value(v), '/') ||
		    pf_path_check(json_string_value(v), &pe) == -1) {
			rc = index_hit(w, "weights.safetensors.bad-index",
			    json_is_string(v) ? json_string_value(v) : NULL,
			    "weight_map value is not a plain file name", e);
			goto out;
		}
		shard = json_string_value(v);
		if (json_object_get(seen, shard) != NULL)
			continue;
		if (json_object_set_new(seen, shard, json_true()) == -1 ||
		    (rel = malloc(dirlen + strlen(shard) + 1)) == NULL) {
			pf_err_nomem(e);
			goto out;
		}
		memcpy(rel, dir, dirlen);
		memcpy(rel + dirlen, shard, strlen(shard) + 1);
		sh = fn(ctx, rel);
		free(rel);
		if (sh == NULL) {
			(void)snprintf(msg, sizeof(msg),
			    "shard %s is missing "
			    "or not valid safetensors",
			    pf_quote(shard));
			if (index_hit(w, "weights.safetensors.index-mismatch",
				shard, msg, e) == -1)
				goto out;
			complete = 0;
			continue;
		}
		/* every tensor of the shard is mapped to this shard */
		for (i = 0; i < sh->names_len; i += strlen(sh->names + i) + 1) {
			const char *m = pf_json_str(wm, sh->names + i, NULL);

			if (m != NULL && strcmp(m, shard) == 0)
				continue;
			(void)snprintf(msg, sizeof(msg),
			    "tensor %s is in shard "
			    "%s, but the index %s",
			    pf_quote(sh->names + i), pf_quote(shard),
			    m == NULL ? "does not list it" :
					"places it in another shard");
			rc = index_hit(w, "weights.safetensors.index-mismatch",
			    sh->names + i, msg, e);
			goto out;
		}
		total += sh->tensors;
		if (!pf_add_u64(bytes, sh->data_len, &bytes))
			bytes = UINT64_MAX;
	}
	/* each shard's tensors all map to it: equal counts mean none of the
	 * index's names is missing from the shards */
	rc = 0;
	if (total != json_object_size(wm))
		rc = index_hit(w, "weights.safetensors.index-mismatch", NULL,
		    "the index lists tensors that no shard holds", e);
	if (rc == 0 && complete)
		rc = check_total_size(idx, bytes, w, e);
out:
	json_decref(seen);
	json_decref(idx);
	return rc;
}
