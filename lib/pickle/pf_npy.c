/*
 * pf_npy: numpy/lib/format.py's layout. The header dict is read by a small
 * literal tokenizer with a depth count (numpy itself uses ast.literal_eval):
 * exactly the keys descr, fortran_order and shape, each once.
 */
#include <string.h>

#include "pf_int.h"
#include "pf_limits.h"
#include "pf_npy.h"
#include "pf_banned.h"

struct np {
	const unsigned char *base, *p, *end;
	struct pf_npy_info *out;
	struct pf_err *e;
};

static int
bad(struct np *n, const char *rule, const unsigned char *at, const char *msg)
{
	n->out->rule = rule;
	n->out->offset = (uint64_t)(at - n->base);
	return pf_err_set(n->e, 1, "offset %llu: %s",
	    (unsigned long long)n->out->offset, msg);
}

static void
ws(struct np *n)
{
	while (n->p < n->end &&
	    (*n->p == ' ' || *n->p == '\t' || *n->p == '\n' || *n->p == '\r'))
		n->p++;
}

/* A quoted string; *s, *len are its contents. */
static int
string(struct np *n, const unsigned char **s, size_t *len)
{
	unsigned char q;

	ws(n);
	if (n->p >= n->end || (*n->p != '\'' && *n->p != '"'))
		return bad(n, "weights.npy.bad-header", n->p, "expected a string");
	q = *n->p++;
	*s = n->p;
	while (n->p < n->end && *n->p != q) {
		if (*n->p == '\\')
			return bad(n, "weights.npy.bad-header", n->p,
			    "escape in header string");
		n->p++;
	}
	if (n->p >= n->end)
		return bad(n, "weights.npy.bad-header", *s, "unterminated string");
	*len = (size_t)(n->p - *s);
	n->p++;
	return 0;
}

static int
is_object_type(const unsigned char *s, size_t len)
{
	size_t i = 0;

	if (len == 6 && memcmp(s, "object", 6) == 0)
		return 1;
	if (i < len && (s[i] == '<' || s[i] == '>' || s[i] == '|' || s[i] == '='))
		i++;
	if (i >= len || s[i] != 'O')
		return 0;
	for (i++; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* itemsize of a simple dtype string, 0 when not recognised. */
static uint64_t
itemsize(const unsigned char *s, size_t len)
{
	uint64_t v = 0;
	size_t i = 0;
	unsigned char k;

	if (i < len && (s[i] == '<' || s[i] == '>' || s[i] == '|' || s[i] == '='))
		i++;
	if (i >= len)
		return 0;
	k = s[i++];
	if (k == '?' && i == len)
		return 1;
	if (i == len ||
	    pf_parse_u64_mem((const char *)s + i, len - i, 1, 1u << 30, &v) == -1)
		return 0;
	switch (k) {
	case 'b':
	case 'i':
	case 'u':
	case 'f':
	case 'c':
	case 'S':
	case 'V':
	case 'm':
	case 'M':
	case 'O': return v;
	case 'U': return v * 4;
	default: return 0;
	}
}

/* Any literal (a structured descr), strings checked for 'O'. */
static int
literal(struct np *n)
{
	const unsigned char *s;
	size_t len;
	int depth = 0;

	for (;;) {
		ws(n);
		if (n->p >= n->end)
			return bad(n, "weights.npy.bad-header", n->p,
			    "header ends inside a value");
		if (*n->p == '\'' || *n->p == '"') {
			if (string(n, &s, &len) == -1)
				return -1;
			if (is_object_type(s, len))
				n->out->object = 1;
		} else if (*n->p == '[' || *n->p == '(') {
			if (++depth > PF_MAX_NEST)
				return bad(n, "weights.npy.bad-header", n->p,
				    "nested deeper than PF_MAX_NEST");
			n->p++;
			continue;
		} else if (*n->p == ']' || *n->p == ')') {
			if (depth == 0)
				return bad(n, "weights.npy.bad-header", n->p,
				    "unbalanced bracket");
			depth--;
			n->p++;
		} else if (*n->p == ',' && depth > 0) {
			n->p++;
			continue;
		} else if ((*n->p >= '0' && *n->p <= '9') ||
		    (*n->p >= 'A' && *n->p <= 'Z') ||
		    (*n->p >= 'a' && *n->p <= 'z') || *n->p == '-') {
			while (n->p < n->end &&
			    ((*n->p >= '0' && *n->p <= '9') ||
				(*n->p >= 'A' && *n->p <= 'Z') ||
				(*n->p >= 'a' && *n->p <= 'z') ||
				*n->p == '-' || *n->p == '_'))
				n->p++;
		} else {
			return bad(n, "weights.npy.bad-header", n->p,
			    "unexpected byte in header");
		}
		if (depth == 0)
			return 0;
	}
}

static int
shape(struct np *n)
{
	uint64_t v;
	const unsigned char *q;

	ws(n);
	if (n->p >= n->end || *n->p != '(')
		return bad(n, "weights.npy.bad-header", n->p,
		    "shape is not a tuple");
	n->p++;
	n->out->elements = 1;
	for (;;) {
		ws(n);
		if (n->p < n->end && *n->p == ')') {
			n->p++;
			return 0;
		}
		q = n->p;
		while (n->p < n->end && *n->p >= '0' && *n->p <= '9')
			n->p++;
		if (pf_parse_u64_mem((const char *)q, (size_t)(n->p - q), 0,
			INT64_MAX, &v) == -1)
			return bad(n, "weights.npy.bad-header", q,
			    "shape entry is not a non-negative integer");
		if (n->p < n->end && *n->p == 'L') /* Python 2 files */
			n->p++;
		if (++n->out->rank > PF_MAX_TENSOR_RANK)
			return bad(n, "weights.npy.bad-header", q,
			    "more dimensions than PF_MAX_TENSOR_RANK (64)");
		if (!pf_mul_u64(n->out->elements, v, &n->out->elements))
			return bad(n, "weights.npy.size-overflow", q,
			    "element count overflows");
		ws(n);
		if (n->p < n->end && *n->p == ',') {
			n->p++;
			continue;
		}
		ws(n);
		if (n->p >= n->end || *n->p != ')')
			return bad(n, "weights.npy.bad-header", n->p,
			    "expected ')' after shape");
	}
}

static int
dict(struct np *n)
{
	const unsigned char *k, *at, *v;
	size_t klen, vlen;
	int seen = 0, bit;

	ws(n);
	if (n->p >= n->end || *n->p != '{')
		return bad(n, "weights.npy.bad-header", n->p,
		    "header is not a dict");
	n->p++;
	for (;;) {
		ws(n);
		if (n->p < n->end && *n->p == '}') {
			n->p++;
			break;
		}
		at = n->p;
		if (string(n, &k, &klen) == -1)
			return -1;
		ws(n);
		if (n->p >= n->end || *n->p != ':')
			return bad(n, "weights.npy.bad-header", n->p,
			    "expected ':'");
		n->p++;
		if (klen == 5 && memcmp(k, "descr", 5) == 0) {
			bit = 1;
			ws(n);
			if (n->p < n->end && (*n->p == '\'' || *n->p == '"')) {
				if (string(n, &v, &vlen) == -1)
					return -1;
				if (vlen >= sizeof(n->out->descr))
					return bad(n, "weights.npy.bad-header",
					    v, "descr too long");
				memcpy(n->out->descr, v, vlen);
				n->out->descr[vlen] = '\0';
				n->out->object = is_object_type(v, vlen);
				n->out->itemsize = itemsize(v, vlen);
				if (n->out->itemsize == 0 && !n->out->object)
					return bad(n, "weights.npy.bad-dtype",
					    v, "unknown dtype");
			} else if (literal(n) == -1) {
				return -1;
			}
		} else if (klen == 13 && memcmp(k, "fortran_order", 13) == 0) {
			bit = 2;
			ws(n);
			if ((size_t)(n->end - n->p) >= 4 &&
			    memcmp(n->p, "True", 4) == 0) {
				n->out->fortran_order = 1;
				n->p += 4;
			} else if ((size_t)(n->end - n->p) >= 5 &&
			    memcmp(n->p, "False", 5) == 0) {
				n->p += 5;
			} else {
				return bad(n, "weights.npy.bad-header", n->p,
				    "fortran_order is not True or False");
			}
		} else if (klen == 5 && memcmp(k, "shape", 5) == 0) {
			bit = 4;
			if (shape(n) == -1)
				return -1;
		} else {
			return bad(n, "weights.npy.bad-header", at,
			    "unknown key in header");
		}
		if (seen & bit)
			return bad(n, "weights.npy.bad-header", at,
			    "duplicate key in header");
		seen |= bit;
		ws(n);
		if (n->p < n->end && *n->p == ',') {
			n->p++;
			continue;
		}
		ws(n);
		if (n->p >= n->end || *n->p != '}')
			return bad(n, "weights.npy.bad-header", n->p,
			    "expected '}'");
	}
	if (seen != 7)
		return bad(n, "weights.npy.bad-header", n->base,
		    "header lacks descr, fortran_order or shape");
	ws(n);
	if (n->p != n->end)
		return bad(n, "weights.npy.bad-header", n->p,
		    "bytes after the header dict");
	return 0;
}

int
pf_npy_parse(const unsigned char *p, size_t len, uint64_t file_size,
    uint64_t max_header, struct pf_npy_info *out, struct pf_err *e)
{
	struct np n;
	uint64_t hlen, lenfield, data;

	memset(out, 0, sizeof(*out));
	memset(&n, 0, sizeof(n));
	n.base = n.p = p;
	n.end = p + len;
	n.out = out;
	n.e = e;
	if (len < 10 || memcmp(p, "\x93NUMPY", 6) != 0)
		return bad(&n, "weights.npy.bad-magic", p, "not NumPy magic");
	out->major = p[6];
	out->minor = p[7];
	if (out->major < 1 || out->major > 3 || out->minor != 0)
		return bad(&n, "weights.npy.bad-version", p + 6,
		    "unknown .npy version");
	if (out->major == 1) {
		hlen = pf_le16(p + 8);
		lenfield = 2;
	} else {
		if (len < 12)
			return bad(&n, "weights.npy.truncated", p + 8,
			    "file ends in the header length");
		hlen = pf_le32(p + 8);
		lenfield = 4;
	}
	if (hlen > max_header)
		return bad(&n, "weights.npy.header-too-large", p + 8,
		    "header larger than PF_MAX_NPY_HEADER");
	data = 8 + lenfield + hlen;
	if (hlen > len - 8 - lenfield ||
	    (file_size != UINT64_MAX && data > file_size))
		return bad(&n, "weights.npy.truncated", p + 8,
		    "header runs past the end of the file");
	out->data_offset = data;
	n.p = p + 8 + lenfield;
	n.end = p + data;
	if (hlen == 0 || n.end[-1] != '\n')
		return bad(&n, "weights.npy.bad-header",
		    n.end - 1 > n.p ? n.end - 1 : n.p,
		    "header does not end with a newline");
	{
		const unsigned char *q;

		/* v1/v2 headers are latin-1 Python literals; we take ASCII */
		for (q = n.p; q < n.end; q++)
			if (*q >= 0x80 && out->major < 3)
				return bad(&n, "weights.npy.bad-header", q,
				    "non-ASCII byte in header");
			else if (*q < 0x20 && *q != '\n' && *q != '\t' && *q != '\r')
				return bad(&n, "weights.npy.bad-header", q,
				    "control byte in header");
	}
	if (dict(&n) == -1)
		return -1;
	if (file_size != UINT64_MAX && !out->object && out->itemsize != 0) {
		uint64_t want;

		if (!pf_mul_u64(out->elements, out->itemsize, &want))
			return bad(&n, "weights.npy.size-overflow", p + 8,
			    "data size overflows");
		if (want != file_size - data)
			return bad(&n, "weights.npy.size-mismatch",
			    data > len ? p + len : p + data,
			    want > file_size - data ?
				"data shorter than "
				"the shape says" :
				"bytes after the array data");
	}
	return 0;
}
