/*
 * pf_gguf: the GGUF layout checked field by field, each length against
 * what is left of the buffer before it is used: the GGML loader had heap
 * overflows in exactly these fields (CVE-2024-25664 ... 25668). Nothing is
 * copied except the tensor extents needed for the overlap check.
 */
#include <stdlib.h>
#include <string.h>

#include "pf_gguf.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_banned.h"

/* ggml's own limits: GGML_MAX_DIMS, GGML_MAX_NAME (with its NUL). */
#define GGUF_MAX_DIMS 4
#define GGUF_MAX_NAME 63
#define GGUF_MAX_KEY  65535
#define GGUF_ALIGN    32

enum {
	T_U8,
	T_I8,
	T_U16,
	T_I16,
	T_U32,
	T_I32,
	T_F32,
	T_BOOL,
	T_STRING,
	T_ARRAY,
	T_U64,
	T_I64,
	T_F64,
	T_NVALUE
};

static const unsigned char value_size[T_NVALUE] = {
	1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8 /* STRING, ARRAY: minimum */
};

/* ggml_type: name, elements per block, bytes per block (gguf-py GGML_QUANT_SIZES). */
static const struct {
	const char *name;
	unsigned blck, size;
} types[PF_GGUF_NTYPES] = {
	[0] = { "F32", 1, 4 },
	[1] = { "F16", 1, 2 },
	[2] = { "Q4_0", 32, 18 },
	[3] = { "Q4_1", 32, 20 },
	[6] = { "Q5_0", 32, 22 },
	[7] = { "Q5_1", 32, 24 },
	[8] = { "Q8_0", 32, 34 },
	[9] = { "Q8_1", 32, 36 },
	[10] = { "Q2_K", 256, 84 },
	[11] = { "Q3_K", 256, 110 },
	[12] = { "Q4_K", 256, 144 },
	[13] = { "Q5_K", 256, 176 },
	[14] = { "Q6_K", 256, 210 },
	[15] = { "Q8_K", 256, 292 },
	[16] = { "IQ2_XXS", 256, 66 },
	[17] = { "IQ2_XS", 256, 74 },
	[18] = { "IQ3_XXS", 256, 98 },
	[19] = { "IQ1_S", 256, 50 },
	[20] = { "IQ4_NL", 32, 18 },
	[21] = { "IQ3_S", 256, 110 },
	[22] = { "IQ2_S", 256, 82 },
	[23] = { "IQ4_XS", 256, 136 },
	[24] = { "I8", 1, 1 },
	[25] = { "I16", 1, 2 },
	[26] = { "I32", 1, 4 },
	[27] = { "I64", 1, 8 },
	[28] = { "F64", 1, 8 },
	[29] = { "IQ1_M", 256, 56 },
	[30] = { "BF16", 1, 2 },
	[34] = { "TQ1_0", 256, 54 },
	[35] = { "TQ2_0", 256, 66 },
	[39] = { "MXFP4", 32, 17 },
};

const char *
pf_gguf_type_name(unsigned type)
{
	return type < PF_GGUF_NTYPES ? types[type].name : NULL;
}

struct extent {
	uint64_t off, size, at;
};

struct slot {
	const unsigned char *s; /* NULL = empty */
	uint64_t len;
};

struct gg {
	const unsigned char *base, *p, *end;
	struct pf_gguf_info *out;
	struct pf_err *e;
	struct slot *set; /* keys, then tensor names */
	size_t setcap, setn;
};

static int
bad(struct gg *g, const char *rule, const unsigned char *at, const char *msg)
{
	g->out->rule = rule;
	g->out->offset = (uint64_t)(at - g->base);
	return pf_err_set(g->e, 1, "offset %llu: %s",
	    (unsigned long long)g->out->offset, msg);
}

static int
need(struct gg *g, uint64_t n, const char *what)
{
	if (n > (uint64_t)(g->end - g->p)) {
		char m[96];

		(void)snprintf(m, sizeof(m), "%s runs past the end of the file",
		    what);
		return bad(g, "weights.gguf.truncated", g->p, m);
	}
	return 0;
}

static int
rd32(struct gg *g, uint32_t *v, const char *what)
{
	if (need(g, 4, what) == -1)
		return -1;
	*v = pf_le32(g->p);
	g->p += 4;
	return 0;
}

static int
rd64(struct gg *g, uint64_t *v, const char *what)
{
	if (need(g, 8, what) == -1)
		return -1;
	*v = pf_le64(g->p);
	g->p += 8;
	return 0;
}

/* A gguf_string: u64 length, then that many bytes, which must be UTF-8. */
static int
rdstr(struct gg *g, const unsigned char **s, uint64_t *len, uint64_t max,
    const char *what)
{
	const unsigned char *at = g->p;

	if (rd64(g, len, what) == -1 || need(g, *len, what) == -1)
		return -1;
	if (*len > max)
		return bad(g, "weights.gguf.bad-string", at, "string too long");
	*s = g->p;
	if (!pf_utf8_valid(*s, (size_t)*len))
		return bad(g, "weights.gguf.bad-string", at, "string is not UTF-8");
	g->p += *len;
	return 0;
}

static uint64_t
fnv(const unsigned char *p, uint64_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/* 1 when s was in the set already; the set holds pointers into the buffer. */
static int
set_add(struct gg *g, const unsigned char *s, uint64_t len)
{
	size_t i, j, mask;

	if (g->setn + 1 > g->setcap / 2) {
		size_t ncap = g->setcap ? g->setcap * 2 : 64;
		struct slot *ns;

		if ((ns = calloc(ncap, sizeof(*ns))) == NULL)
			return pf_err_nomem(g->e);
		for (j = 0; j < g->setcap; j++) {
			if (g->set[j].s == NULL)
				continue;
			i = fnv(g->set[j].s, g->set[j].len) & (ncap - 1);
			while (ns[i].s != NULL)
				i = (i + 1) & (ncap - 1);
			ns[i] = g->set[j];
		}
		free(g->set);
		g->set = ns;
		g->setcap = ncap;
	}
	mask = g->setcap - 1;
	for (i = fnv(s, len) & mask; g->set[i].s != NULL; i = (i + 1) & mask)
		if (g->set[i].len == len && memcmp(g->set[i].s, s, len) == 0)
			return 1;
	g->set[i].s = s;
	g->set[i].len = len;
	g->setn++;
	return 0;
}

static void
set_clear(struct gg *g)
{
	free(g->set);
	g->set = NULL;
	g->setcap = g->setn = 0;
}

static int
is_key(const unsigned char *k, uint64_t klen, const char *want)
{
	return klen == strlen(want) && memcmp(k, want, klen) == 0;
}

static int
is_template_key(const unsigned char *k, uint64_t klen)
{
	static const char t[] = "tokenizer.chat_template";

	return klen >= sizeof(t) - 1 && memcmp(k, t, sizeof(t) - 1) == 0 &&
	    (klen == sizeof(t) - 1 || k[sizeof(t) - 1] == '.');
}

/*
 * One value of type `type`, arrays walked with an explicit stack (arrays
 * of arrays are legal). Strings and scalars are only skipped, except the
 * few keys we act on.
 */
static int
skip_value(struct gg *g, uint32_t type, const unsigned char *key, uint64_t klen,
    pf_gguf_template_fn fn, void *ctx)
{
	struct {
		uint32_t type;
		uint64_t left;
	} st[PF_MAX_NEST];
	int depth = 0;
	const unsigned char *at, *s;
	uint64_t n, slen, bytes;
	uint32_t et;

	for (;;) {
		at = g->p;
		if (type >= T_NVALUE)
			return bad(g, "weights.gguf.bad-value-type", at,
			    "unknown metadata value type");
		if (type == T_STRING) {
			if (rd64(g, &slen, "string") == -1 ||
			    need(g, slen, "string") == -1)
				return -1;
			s = g->p;
			g->p += slen;
			if (depth == 0 && is_template_key(key, klen)) {
				if (!pf_utf8_valid(s, (size_t)slen))
					return bad(g, "weights.gguf.bad-string",
					    at, "chat template is not UTF-8");
				if (fn != NULL &&
				    fn(ctx, (const char *)key, (size_t)klen,
					(const char *)s, (size_t)slen,
					(uint64_t)(s - g->base)) == -1)
					return -1;
			}
			if (depth == 0 &&
			    is_key(key, klen, "general.architecture")) {
				size_t c = slen < sizeof(g->out->architecture) - 1 ?
				    (size_t)slen :
				    sizeof(g->out->architecture) - 1;

				memcpy(g->out->architecture, s, c);
				g->out->architecture[c] = '\0';
			}
		} else if (type == T_ARRAY) {
			if (rd32(g, &et, "array type") == -1 ||
			    rd64(g, &n, "array length") == -1)
				return -1;
			if (et >= T_NVALUE)
				return bad(g, "weights.gguf.bad-value-type", at,
				    "unknown array element type");
			/* every element takes at least value_size[et] bytes */
			if (!pf_mul_u64(n, value_size[et], &bytes) ||
			    bytes > (uint64_t)(g->end - g->p))
				return bad(g, "weights.gguf.truncated", at,
				    "array longer than the rest of the file");
			if (et != T_STRING && et != T_ARRAY) {
				if (et == T_BOOL) {
					uint64_t i;

					for (i = 0; i < n; i++)
						if (g->p[i] > 1)
							return bad(g,
							    "weights.gguf.bad-value",
							    g->p + i,
							    "BOOL is neither 0 nor 1");
				}
				g->p += bytes;
			} else if (n > 0) {
				if (depth == PF_MAX_NEST)
					return bad(g, "weights.gguf.too-deep", at,
					    "arrays nested deeper than "
					    "PF_MAX_NEST");
				st[depth].type = et;
				st[depth].left = n;
				depth++;
				type = et;
				continue;
			}
		} else {
			if (need(g, value_size[type], "value") == -1)
				return -1;
			if (type == T_BOOL && *g->p > 1)
				return bad(g, "weights.gguf.bad-value", at,
				    "BOOL is neither 0 nor 1");
			g->p += value_size[type];
		}
		/* one value done: pop finished arrays */
		while (depth > 0 && --st[depth - 1].left == 0)
			depth--;
		if (depth == 0)
			return 0;
		type = st[depth - 1].type;
	}
}

static int
parse_kv(struct gg *g, pf_gguf_template_fn fn, void *ctx)
{
	const unsigned char *at = g->p, *key;
	uint64_t klen;
	uint32_t type;
	int dup;

	if (rdstr(g, &key, &klen, GGUF_MAX_KEY, "key") == -1)
		return -1;
	if (klen == 0)
		return bad(g, "weights.gguf.bad-key", at, "empty key");
	if ((dup = set_add(g, key, klen)) == -1)
		return -1;
	if (dup)
		return bad(g, "weights.gguf.duplicate-key", at,
		    "duplicate metadata key");
	if (rd32(g, &type, "value type") == -1)
		return -1;
	if (is_key(key, klen, "general.alignment")) {
		uint32_t a;

		if (type != T_U32)
			return bad(g, "weights.gguf.bad-alignment", at,
			    "general.alignment is not UINT32");
		if (rd32(g, &a, "alignment") == -1)
			return -1;
		if (a == 0 || (a & (a - 1)) != 0)
			return bad(g, "weights.gguf.bad-alignment", at,
			    "general.alignment is not a power of two");
		g->out->alignment = a;
		return 0;
	}
	return skip_value(g, type, key, klen, fn, ctx);
}

static int
cmp_extent(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->size < y->size ? -1 : x->size > y->size;
}

static int
parse_tensor(struct gg *g, struct extent *x)
{
	const unsigned char *at = g->p, *name;
	uint64_t nlen, dim, nel = 1, blocks;
	uint32_t ndims, type, i;
	int dup;

	if (rdstr(g, &name, &nlen, UINT64_MAX, "tensor name") == -1)
		return -1;
	if (nlen > GGUF_MAX_NAME)
		return bad(g, "weights.gguf.bad-tensor", at,
		    "tensor name longer than 63 bytes");
	if ((dup = set_add(g, name, nlen)) == -1)
		return -1;
	if (dup)
		return bad(g, "weights.gguf.duplicate-tensor", at,
		    "duplicate tensor name");
	if (rd32(g, &ndims, "tensor rank") == -1)
		return -1;
	if (ndims > GGUF_MAX_DIMS)
		return bad(g, "weights.gguf.bad-tensor", at,
		    "tensor has more than 4 dimensions");
	for (i = 0; i < ndims; i++) {
		if (rd64(g, &dim, "tensor shape") == -1)
			return -1;
		if (i == 0)
			x->size = dim; /* ne[0], for the block check */
		/* ggml keeps dims as int64_t */
		if (!pf_mul_u64(nel, dim, &nel) || nel > INT64_MAX)
			return bad(g, "weights.gguf.size-overflow", at,
			    "element count overflows");
	}
	if (ndims == 0)
		x->size = 1;
	if (rd32(g, &type, "tensor type") == -1 ||
	    rd64(g, &x->off, "tensor offset") == -1)
		return -1;
	if (type >= PF_GGUF_NTYPES || types[type].name == NULL)
		return bad(g, "weights.gguf.unknown-type", at,
		    "unknown or retired ggml type");
	if (x->size % types[type].blck != 0)
		return bad(g, "weights.gguf.bad-tensor", at,
		    "row length is not a multiple of the type's block size");
	blocks = nel / types[type].blck;
	if (!pf_mul_u64(blocks, types[type].size, &x->size))
		return bad(g, "weights.gguf.size-overflow", at,
		    "byte size overflows");
	x->at = (uint64_t)(at - g->base);
	g->out->tensors_by_type[type]++;
	if (!pf_add_u64(g->out->params_by_type[type], nel,
		&g->out->params_by_type[type]) ||
	    !pf_add_u64(g->out->parameters, nel, &g->out->parameters))
		return bad(g, "weights.gguf.size-overflow", at,
		    "parameter count overflows");
	return 0;
}

static int
check_extents(struct gg *g, struct extent *x, uint64_t n)
{
	uint64_t i, data_len, prev_end = 0, end;

	data_len = (uint64_t)(g->end - g->base) - g->out->data_offset;
	for (i = 0; i < n; i++) {
		if (x[i].off % g->out->alignment != 0)
			return bad(g, "weights.gguf.bad-offset",
			    g->base + x[i].at, "tensor offset is not aligned");
		if (!pf_add_u64(x[i].off, x[i].size, &end) || end > data_len)
			return bad(g, "weights.gguf.out-of-bounds",
			    g->base + x[i].at,
			    "tensor data runs past the end of the file");
	}
	if (n > 1)
		qsort(x, (size_t)n, sizeof(*x), cmp_extent);
	for (i = 0; i < n; i++) {
		if (x[i].off < prev_end)
			return bad(g, "weights.gguf.bad-offset", g->base + x[i].at,
			    "tensor data overlaps another tensor");
		prev_end = x[i].off + x[i].size;
	}
	return 0;
}

int
pf_gguf_parse(const unsigned char *p, size_t len, uint64_t max_kv,
    uint64_t max_tensors, pf_gguf_template_fn fn, void *ctx,
    struct pf_gguf_info *out, struct pf_err *e)
{
	struct gg g;
	struct extent *x = NULL;
	uint32_t magic;
	uint64_t i, pos, pad;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&g, 0, sizeof(g));
	g.base = g.p = p;
	g.end = p + len;
	g.out = out;
	g.e = e;
	out->alignment = GGUF_ALIGN;
	if (rd32(&g, &magic, "magic") == -1)
		return -1;
	if (magic != 0x46554747)
		return bad(&g, "weights.gguf.bad-magic", p, "not GGUF magic");
	if (rd32(&g, &out->version, "version") == -1)
		return -1;
	if (out->version == 0x03000000 || out->version == 0x02000000)
		return bad(&g, "weights.gguf.unsupported-version", p + 4,
		    "big-endian GGUF is not supported");
	if (out->version != 2 && out->version != 3)
		return bad(&g, "weights.gguf.unsupported-version", p + 4,
		    "GGUF version is neither 2 nor 3");
	if (rd64(&g, &out->tensors, "tensor count") == -1 ||
	    rd64(&g, &out->kv, "key count") == -1)
		return -1;
	/* each kv needs >= 13 bytes, each tensor info >= 24 */
	if (out->kv > (uint64_t)(g.end - g.p) / 13)
		return bad(&g, "weights.gguf.truncated", p + 16,
		    "more keys than the file can hold");
	if (out->tensors > (uint64_t)(g.end - g.p) / 24)
		return bad(&g, "weights.gguf.truncated", p + 8,
		    "more tensors than the file can hold");
	if (out->kv > max_kv)
		return bad(&g, "weights.gguf.too-many-keys", p + 16,
		    "more keys than PF_MAX_GGUF_KV");
	if (out->tensors > max_tensors)
		return bad(&g, "weights.gguf.too-many-tensors", p + 8,
		    "more tensors than PF_MAX_GGUF_TENSORS");
	for (i = 0; i < out->kv; i++)
		if (parse_kv(&g, fn, ctx) == -1)
			goto out;
	set_clear(&g);
	if (out->tensors > 0 &&
	    (x = calloc((size_t)out->tensors, sizeof(*x))) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	for (i = 0; i < out->tensors; i++)
		if (parse_tensor(&g, &x[i]) == -1)
			goto out;
	pos = (uint64_t)(g.p - g.base);
	pad = (out->alignment - pos % out->alignment) % out->alignment;
	out->data_offset = pos + pad;
	if (out->tensors > 0 && out->data_offset > len) {
		bad(&g, "weights.gguf.truncated", g.p,
		    "file ends before the tensor data");
		goto out;
	}
	if (out->data_offset > len)
		out->data_offset = len;
	if (check_extents(&g, x, out->tensors) == -1)
		goto out;
	rc = 0;
out:
	set_clear(&g);
	free(x);
	return rc;
}
