/*
 * pf_pep440: PEP 440 versions and specifiers. The parser follows the
 * packaging library's VERSION_PATTERN by hand (no regex, no recursion);
 * ordering and specifier semantics follow packaging.version and
 * packaging.specifiers, including their pre-release rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pf_pep440.h"
#include "pf_banned.h"

struct cur {
	const char *p, *end;
};

static int
lc(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_digit(const struct cur *c)
{
	return c->p < c->end && *c->p >= '0' && *c->p <= '9';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
	    c == '\v';
}

/* Digits into *v; -1 on overflow. Leading zeros are allowed ("01" is 1). */
static int
number(struct cur *c, uint64_t *v)
{
	uint64_t d;

	*v = 0;
	while (is_digit(c)) {
		d = (uint64_t)(*c->p - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
		c->p++;
	}
	return 0;
}

static void
opt_sep(struct cur *c)
{
	if (c->p < c->end && (*c->p == '-' || *c->p == '_' || *c->p == '.'))
		c->p++;
}

/* Consumes word (lowercase) case-insensitively when it is next. */
static int
word(struct cur *c, const char *w)
{
	size_t n = strlen(w), i;

	if ((size_t)(c->end - c->p) < n)
		return 0;
	for (i = 0; i < n; i++)
		if (lc(c->p[i]) != w[i])
			return 0;
	c->p += n;
	return 1;
}

/* [-_.]? label [-_.]? digits?, with *num 0 when the digits are absent. */
static int
labelled(struct cur *c, const char *const *labels, size_t *which, uint64_t *num)
{
	struct cur save = *c;
	size_t i;

	opt_sep(c);
	for (i = 0; labels[i] != NULL; i++)
		if (word(c, labels[i]))
			break;
	if (labels[i] == NULL) {
		*c = save;
		return 0;
	}
	*which = i;
	opt_sep(c);
	*num = 0;
	if (is_digit(c) && number(c, num) == -1)
		return -1;
	return 1;
}

static int
local_part(struct cur *c, struct pf_pep440 *v)
{
	size_t n = 0, seg = 0;

	while (c->p < c->end) {
		char ch = (char)lc(*c->p);

		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')) {
			seg++;
		} else if (ch == '-' || ch == '_' || ch == '.') {
			if (seg == 0)
				return -1;
			seg = 0;
			ch = '.';
		} else
			break;
		if (n + 1 >= sizeof(v->local))
			return -1;
		v->local[n++] = ch;
		c->p++;
	}
	if (n == 0 || seg == 0)
		return -1;
	v->local[n] = '\0';
	v->local_len = n;
	return 0;
}

int
pf_pep440_parse(const char *s, size_t n, struct pf_pep440 *v)
{
	static const char *const pre_labels[] = { "alpha", "beta", "preview",
		"pre", "rc", "a", "b", "c", NULL };
	static const enum pf_pep440_pre pre_kind[] = { PF_PRE_A, PF_PRE_B,
		PF_PRE_RC, PF_PRE_RC, PF_PRE_RC, PF_PRE_A, PF_PRE_B, PF_PRE_RC };
	static const char *const post_labels[] = { "post", "rev", "r", NULL };
	static const char *const dev_labels[] = { "dev", NULL };
	struct cur c = { s, s + n };
	uint64_t first;
	size_t which;
	int rc;

	memset(v, 0, offsetof(struct pf_pep440, local));
	v->local[0] = '\0';
	v->local_len = 0;
	if (n > PF_MAX_PEP440_LEN)
		return -1;
	while (c.p < c.end && is_space(*c.p))
		c.p++;
	while (c.end > c.p && is_space(c.end[-1]))
		c.end--;
	if (c.p < c.end && lc(*c.p) == 'v')
		c.p++;
	if (!is_digit(&c) || number(&c, &first) == -1)
		return -1;
	if (c.p < c.end && *c.p == '!') {
		v->epoch = first;
		c.p++;
		if (!is_digit(&c) || number(&c, &first) == -1)
			return -1;
	}
	v->rel[v->nrel++] = first;
	while (c.p + 1 < c.end && *c.p == '.' && c.p[1] >= '0' && c.p[1] <= '9') {
		if (v->nrel == PF_MAX_PEP440_RELEASE)
			return -1;
		c.p++;
		if (number(&c, &v->rel[v->nrel++]) == -1)
			return -1;
	}
	if ((rc = labelled(&c, pre_labels, &which, &v->pre_n)) == -1)
		return -1;
	if (rc == 1)
		v->pre = pre_kind[which];
	if (c.p + 1 < c.end && *c.p == '-' && c.p[1] >= '0' && c.p[1] <= '9') {
		c.p++;
		if (number(&c, &v->post) == -1)
			return -1;
		v->has_post = 1;
	} else if ((rc = labelled(&c, post_labels, &which, &v->post)) != 0) {
		if (rc == -1)
			return -1;
		v->has_post = 1;
	}
	if ((rc = labelled(&c, dev_labels, &which, &v->dev)) == -1)
		return -1;
	v->has_dev = rc;
	if (c.p < c.end && *c.p == '+') {
		c.p++;
		if (local_part(&c, v) == -1)
			return -1;
	}
	return c.p == c.end ? 0 : -1;
}

int
pf_pep440_is_pre(const struct pf_pep440 *v)
{
	return v->pre != PF_PRE_NONE || v->has_dev;
}

static int
cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* Local segments: numbers compare as numbers and sort after strings. */
static int
cmp_local(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0, ia, jb, la, lb;
	int na, nb, r;

	while (i < an && j < bn) {
		ia = i;
		while (i < an && a[i] != '.')
			i++;
		jb = j;
		while (j < bn && b[j] != '.')
			j++;
		na = strspn(a + ia, "0123456789") >= i - ia;
		nb = strspn(b + jb, "0123456789") >= j - jb;
		if (na != nb)
			return na ? 1 : -1;
		if (na) {
			while (ia < i - 1 && a[ia] == '0')
				ia++;
			while (jb < j - 1 && b[jb] == '0')
				jb++;
		}
		la = i - ia;
		lb = j - jb;
		if (na && la != lb)
			return la < lb ? -1 : 1;
		r = memcmp(a + ia, b + jb, la < lb ? la : lb);
		if (r != 0)
			return r < 0 ? -1 : 1;
		if (la != lb)
			return la < lb ? -1 : 1;
		i += i < an;
		j += j < bn;
	}
	return (i < an) - (j < bn);
}

/* Epoch and release only: the base version. */
static int
cmp_base(const struct pf_pep440 *a, const struct pf_pep440 *b)
{
	size_t i, n = a->nrel > b->nrel ? a->nrel : b->nrel;
	int r;

	if ((r = cmp_u64(a->epoch, b->epoch)) != 0)
		return r;
	for (i = 0; i < n; i++)
		if ((r = cmp_u64(i < a->nrel ? a->rel[i] : 0,
			 i < b->nrel ? b->rel[i] : 0)) != 0)
			return r;
	return 0;
}

/*
 * packaging's _cmpkey: a dev release of a final version sorts before its
 * pre-releases; no pre sorts after any pre; no post before any post; no
 * dev after any dev; no local before any local.
 */
static int
cmp_public(const struct pf_pep440 *a, const struct pf_pep440 *b)
{
	int r, ka, kb;

	if ((r = cmp_base(a, b)) != 0)
		return r;
	ka = a->pre ? (int)a->pre : (!a->has_post && a->has_dev) ? 0 : 4;
	kb = b->pre ? (int)b->pre : (!b->has_post && b->has_dev) ? 0 : 4;
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (a->pre && (r = cmp_u64(a->pre_n, b->pre_n)) != 0)
		return r;
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if (a->has_post && (r = cmp_u64(a->post, b->post)) != 0)
		return r;
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;
	if (a->has_dev && (r = cmp_u64(a->dev, b->dev)) != 0)
		return r;
	return 0;
}

int
pf_pep440_cmp(const struct pf_pep440 *a, const struct pf_pep440 *b)
{
	int r;

	if ((r = cmp_public(a, b)) != 0)
		return r;
	if ((a->local_len != 0) != (b->local_len != 0))
		return a->local_len ? 1 : -1;
	return cmp_local(a->local, a->local_len, b->local, b->local_len);
}

size_t
pf_pep440_format(const struct pf_pep440 *v, char *buf, size_t n)
{
	static const char *const pre[] = { "", "a", "b", "rc" };
	size_t o = 0, i;
	int w;

#define PUT(...) \
	do { \
		w = snprintf(buf + o, o < n ? n - o : 0, __VA_ARGS__); \
		if (w > 0) \
			o += (size_t)w; \
	} while (0)
	if (n == 0)
		return 0;
	buf[0] = '\0';
	if (v->epoch)
		PUT("%llu!", (unsigned long long)v->epoch);
	for (i = 0; i < v->nrel; i++)
		PUT("%s%llu", i ? "." : "", (unsigned long long)v->rel[i]);
	if (v->pre)
		PUT("%s%llu", pre[v->pre], (unsigned long long)v->pre_n);
	if (v->has_post)
		PUT(".post%llu", (unsigned long long)v->post);
	if (v->has_dev)
		PUT(".dev%llu", (unsigned long long)v->dev);
	if (v->local_len)
		PUT("+%s", v->local);
#undef PUT
	return o < n ? o : n - 1;
}

/* ---- specifiers ---- */

int
pf_pep440_spec_parse(const char *s, size_t n, struct pf_pep440_spec *sp,
    const char **why)
{
	static const struct {
		const char *text;
		enum pf_pep440_op op;
	} ops[] = { { "===", PF_OP_ARB }, { "~=", PF_OP_COMPAT },
		{ "==", PF_OP_EQ }, { "!=", PF_OP_NE }, { "<=", PF_OP_LE },
		{ ">=", PF_OP_GE }, { "<", PF_OP_LT }, { ">", PF_OP_GT } };
	const char *end = s + n;
	size_t i, len;

	memset(sp, 0, sizeof(*sp));
	while (s < end && is_space(*s))
		s++;
	while (end > s && is_space(end[-1]))
		end--;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		len = strlen(ops[i].text);
		if ((size_t)(end - s) >= len && memcmp(s, ops[i].text, len) == 0)
			break;
	}
	if (i == sizeof(ops) / sizeof(ops[0])) {
		*why = "no comparison operator";
		return -1;
	}
	sp->op = ops[i].op;
	s += strlen(ops[i].text);
	while (s < end && is_space(*s))
		s++;
	len = (size_t)(end - s);
	if (len == 0 || len >= sizeof(sp->raw)) {
		*why = len ? "version too long" : "no version after the operator";
		return -1;
	}
	memcpy(sp->raw, s, len);
	sp->raw[len] = '\0';
	if (sp->op == PF_OP_ARB) {
		for (i = 0; i < len; i++)
			if (is_space(s[i]) || s[i] == ',' || s[i] == ';') {
				*why = "space in an === version";
				return -1;
			}
		return 0;
	}
	if ((sp->op == PF_OP_EQ || sp->op == PF_OP_NE) && len >= 2 &&
	    memcmp(s + len - 2, ".*", 2) == 0) {
		sp->prefix = 1;
		len -= 2;
	}
	if (pf_pep440_parse(s, len, &sp->v) == -1) {
		*why = "not a PEP 440 version";
		return -1;
	}
	if (sp->prefix &&
	    (sp->v.pre || sp->v.has_post || sp->v.has_dev || sp->v.local_len)) {
		*why = "a .* prefix after a pre, post, dev or local segment";
		return -1;
	}
	if (sp->v.local_len && sp->op != PF_OP_EQ && sp->op != PF_OP_NE) {
		*why = "a local version with an operator other than == or !=";
		return -1;
	}
	if (sp->op == PF_OP_COMPAT && sp->v.nrel < 2) {
		*why = "~= with a single release number";
		return -1;
	}
	return 0;
}

/* v without its local segment. */
static void
public_of(const struct pf_pep440 *v, struct pf_pep440 *out)
{
	memcpy(out, v, offsetof(struct pf_pep440, local));
	out->local[0] = '\0';
	out->local_len = 0;
}

static int
prefix_match(const struct pf_pep440 *prefix, size_t nrel, const struct pf_pep440 *v)
{
	size_t i;

	if (v->epoch != prefix->epoch)
		return 0;
	for (i = 0; i < nrel; i++)
		if ((i < v->nrel ? v->rel[i] : 0) != prefix->rel[i])
			return 0;
	return 1;
}

static int
eq_match(const struct pf_pep440_spec *sp, const struct pf_pep440 *v)
{
	struct pf_pep440 pub;

	if (sp->prefix)
		return prefix_match(&sp->v, sp->v.nrel, v);
	if (sp->v.local_len)
		return pf_pep440_cmp(v, &sp->v) == 0;
	public_of(v, &pub);
	return pf_pep440_cmp(&pub, &sp->v) == 0;
}

int
pf_pep440_spec_match(const struct pf_pep440_spec *sp, const struct pf_pep440 *v,
    const char *raw)
{
	struct pf_pep440 pub;
	const char *end;
	size_t n;

	public_of(v, &pub);
	switch (sp->op) {
	case PF_OP_ARB:
		if (raw == NULL)
			return 0;
		while (is_space(*raw))
			raw++;
		end = raw + strlen(raw);
		while (end > raw && is_space(end[-1]))
			end--;
		n = (size_t)(end - raw);
		return n == strlen(sp->raw) && strncasecmp(raw, sp->raw, n) == 0;
	case PF_OP_EQ: return eq_match(sp, v);
	case PF_OP_NE: return !eq_match(sp, v);
	case PF_OP_COMPAT:
		return pf_pep440_cmp(&pub, &sp->v) >= 0 &&
		    prefix_match(&sp->v, sp->v.nrel - 1, v);
	case PF_OP_LE: return pf_pep440_cmp(&pub, &sp->v) <= 0;
	case PF_OP_GE: return pf_pep440_cmp(&pub, &sp->v) >= 0;
	case PF_OP_LT:
		if (pf_pep440_cmp(v, &sp->v) >= 0)
			return 0;
		/* <V never admits a pre-release of V, unless V is one. */
		return !(!pf_pep440_is_pre(&sp->v) && pf_pep440_is_pre(v) &&
		    cmp_base(v, &sp->v) == 0);
	case PF_OP_GT:
		if (pf_pep440_cmp(v, &sp->v) <= 0)
			return 0;
		/* >V admits neither a post-release nor a local version of V. */
		if (!sp->v.has_post && v->has_post && cmp_base(v, &sp->v) == 0)
			return 0;
		return !(v->local_len && cmp_base(v, &sp->v) == 0);
	}
	return 0;
}

void
pf_pep440_specset_free(struct pf_pep440_specset *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

int
pf_pep440_specset_parse(const char *s, size_t n, struct pf_pep440_specset *set,
    const char **why)
{
	const char *end = s + n, *comma;
	struct pf_pep440_spec *nv;
	size_t k;

	set->v = NULL;
	set->n = 0;
	while (s < end && is_space(*s))
		s++;
	if (s == end)
		return 0;
	for (;;) {
		comma = memchr(s, ',', (size_t)(end - s));
		k = comma ? (size_t)(comma - s) : (size_t)(end - s);
		if (set->n >= 64) {
			*why = "more than 64 clauses";
			goto fail;
		}
		if ((nv = reallocarray(set->v, set->n + 1, sizeof(*nv))) == NULL) {
			*why = "out of memory";
			goto fail;
		}
		set->v = nv;
		if (pf_pep440_spec_parse(s, k, &set->v[set->n], why) == -1)
			goto fail;
		set->n++;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
fail:
	pf_pep440_specset_free(set);
	return -1;
}

static int
spec_names_pre(const struct pf_pep440_spec *sp)
{
	struct pf_pep440 v;

	if (sp->op == PF_OP_NE)
		return 0;
	if (sp->op == PF_OP_ARB)
		return pf_pep440_parse(sp->raw, strlen(sp->raw), &v) == 0 &&
		    pf_pep440_is_pre(&v);
	return pf_pep440_is_pre(&sp->v);
}

int
pf_pep440_specset_contains(const struct pf_pep440_specset *set,
    const struct pf_pep440 *v, const char *raw, int prereleases)
{
	size_t i;

	if (prereleases == -1) {
		prereleases = 0;
		for (i = 0; i < set->n; i++)
			if (spec_names_pre(&set->v[i]))
				prereleases = 1;
	}
	if (!prereleases && pf_pep440_is_pre(v))
		return 0;
	for (i = 0; i < set->n; i++)
		if (!pf_pep440_spec_match(&set->v[i], v, raw))
			return 0;
	return 1;
}

const struct pf_pep440_spec *
pf_pep440_specset_pin(const struct pf_pep440_specset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if ((set->v[i].op == PF_OP_EQ && !set->v[i].prefix) ||
		    set->v[i].op == PF_OP_ARB)
			return &set->v[i];
	return NULL;
}

/* ---- intervals ---- */

static void
raise_lo(struct pf_pep440_bound *lo, const struct pf_pep440 *v, int incl)
{
	int r = lo->set ? pf_pep440_cmp(v, &lo->v) : 1;

	if (r > 0) {
		lo->set = 1;
		lo->v = *v;
		lo->incl = incl;
	} else if (r == 0)
		lo->incl = lo->incl && incl;
}

static void
lower_hi(struct pf_pep440_bound *hi, const struct pf_pep440 *v, int incl)
{
	int r = hi->set ? pf_pep440_cmp(v, &hi->v) : -1;

	if (r < 0) {
		hi->set = 1;
		hi->v = *v;
		hi->incl = incl;
	} else if (r == 0)
		hi->incl = hi->incl && incl;
}

/* The smallest version with release prefix rel[0..nrel): prefix.dev0. */
static void
prefix_floor(const struct pf_pep440 *p, size_t nrel, struct pf_pep440 *out)
{
	memset(out, 0, sizeof(*out));
	out->epoch = p->epoch;
	memcpy(out->rel, p->rel, nrel * sizeof(p->rel[0]));
	out->nrel = nrel;
	out->has_dev = 1;
}

void
pf_pep440_specset_interval(const struct pf_pep440_specset *set,
    struct pf_pep440_bound *lo, struct pf_pep440_bound *hi)
{
	const struct pf_pep440_spec *sp;
	struct pf_pep440 floor, ceil;
	size_t i, np;

	memset(lo, 0, sizeof(*lo));
	memset(hi, 0, sizeof(*hi));
	for (i = 0; i < set->n; i++) {
		sp = &set->v[i];
		switch (sp->op) {
		case PF_OP_EQ:
			if (!sp->prefix) {
				public_of(&sp->v, &floor);
				raise_lo(lo, &floor, 1);
				lower_hi(hi, &floor, 1);
				break;
			}
			np = sp->v.nrel;
			goto prefix;
		case PF_OP_COMPAT:
			raise_lo(lo, &sp->v, 1);
			np = sp->v.nrel - 1;
prefix:
			prefix_floor(&sp->v, np, &floor);
			raise_lo(lo, &floor, 1);
			ceil = floor;
			if (ceil.rel[np - 1] < UINT64_MAX) {
				ceil.rel[np - 1]++;
				lower_hi(hi, &ceil, 0);
			}
			break;
		case PF_OP_LE: lower_hi(hi, &sp->v, 1); break;
		case PF_OP_LT: lower_hi(hi, &sp->v, 0); break;
		case PF_OP_GE: raise_lo(lo, &sp->v, 1); break;
		case PF_OP_GT: raise_lo(lo, &sp->v, 0); break;
		case PF_OP_NE:
		case PF_OP_ARB: break;
		}
	}
}
