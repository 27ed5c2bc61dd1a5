/*
 * pf_pyscan_names: name binding. The name tables (module level and the
 * def or class being read), the value helpers, the frame stack, literal
 * values, and the resolution of a name through imports, aliases, module
 * aliases (posix -> os) and assignments.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_pyscan.h"
#include "pf_pyscan_priv.h"
#include "pf_pytok.h"
#include "pf_pyuni.h"
#include "pf_banned.h"

int
pys_nomem(struct scan *sc)
{
	if (!sc->failed)
		pf_err_nomem(sc->e);
	sc->failed = 1;
	return -1;
}

/* FNV-1a over the bytes. */
static uint64_t
hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

struct name *
pys_name_find(const struct ntab *t, const char *s, size_t n)
{
	size_t i;

	if (t->cap == 0)
		return NULL;
	for (i = hash(s, n) & (t->cap - 1); t->tab[i].key != NULL;
	     i = (i + 1) & (t->cap - 1))
		if (t->tab[i].klen == n && memcmp(t->tab[i].key, s, n) == 0)
			return &t->tab[i];
	return NULL;
}

/* The entry for s in t, created when absent; NULL when full or no memory. */
static struct name *
name_get(struct scan *sc, struct ntab *t, const char *s, size_t n)
{
	struct name *x, *old;
	size_t i, j, oldcap;

	if (n == 0 || n > PF_MAX_PY_FOLD)
		return NULL;
	if ((x = pys_name_find(t, s, n)) != NULL)
		return x;
	if (sc->nnames >= sc->max_names) {
		if (!sc->names_full) {
			struct pos at = { 0, 0, 0, 0 };

			sc->names_full = 1;
			if (sc->tok != NULL) {
				at.off = sc->tok->off;
				at.line_off = sc->tok->line_off;
				at.line = sc->tok->line;
				at.col = sc->tok->col;
			}
			pys_report_builtin(sc, "source-limit", "PF_MAX_PY_NAMES",
			    strlen("PF_MAX_PY_NAMES"), &at, NULL, NULL);
		}
		return NULL;
	}
	if ((t->n + 1) * 2 > t->cap) {
		old = t->tab;
		oldcap = t->cap;
		t->cap = oldcap ? oldcap * 2 : 64;
		if ((t->tab = calloc(t->cap, sizeof(*t->tab))) == NULL) {
			t->tab = old;
			t->cap = oldcap;
			pys_nomem(sc);
			return NULL;
		}
		for (i = 0; i < oldcap; i++) {
			if (old[i].key == NULL)
				continue;
			for (j = hash(old[i].key, old[i].klen) & (t->cap - 1);
			     t->tab[j].key != NULL; j = (j + 1) & (t->cap - 1))
				;
			t->tab[j] = old[i];
		}
		free(old);
	}
	for (i = hash(s, n) & (t->cap - 1); t->tab[i].key != NULL;
	     i = (i + 1) & (t->cap - 1))
		;
	if ((t->tab[i].key = malloc(n + 1)) == NULL) {
		pys_nomem(sc);
		return NULL;
	}
	memcpy(t->tab[i].key, s, n);
	t->tab[i].key[n] = '\0';
	t->tab[i].klen = n;
	t->n++;
	sc->nnames++;
	return &t->tab[i];
}

void
pys_names_free(struct scan *sc, struct ntab *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++) {
		free(t->tab[i].key);
		free(t->tab[i].v);
		free(t->tab[i].body);
	}
	free(t->tab);
	sc->nnames -= t->n < sc->nnames ? t->n : sc->nnames;
	memset(t, 0, sizeof(*t));
}

/* True inside a def or class: names bound there are not module names. */
int
pys_in_scope(const struct scan *sc)
{
	size_t i;

	if (sc->inline_block == BK_FUNC || sc->inline_block == BK_CLASS ||
	    sc->def_params)
		return 1;
	for (i = 0; i < sc->nblocks; i++)
		if (sc->blocks[i].kind == BK_FUNC || sc->blocks[i].kind == BK_CLASS)
			return 1;
	return 0;
}

/* The binding of a name as seen here: the def's own names first. */
static struct name *
lookup(const struct scan *sc, const char *s, size_t n)
{
	struct name *x;

	if (pys_in_scope(sc) && (x = pys_name_find(&sc->loc, s, n)) != NULL)
		return x;
	return pys_name_find(&sc->glob, s, n);
}

/* ---- value helpers ---- */

/* Appends n bytes; past max_fold the value is cut and marked. */
void
pys_val_append(struct scan *sc, struct val *v, const void *p, size_t n)
{
	/* the policy's py_fold bounds built strings, not dotted names */
	size_t max = v->kind == VK_REF ? PF_MAX_PY_FOLD : sc->max_fold;
	size_t room = max - v->len;

	if (v->len > max)
		room = 0;
	if (n > room) {
		n = room;
		v->trunc = 1;
	}
	memcpy(v->s + v->len, p, n);
	v->len = (uint16_t)(v->len + n);
	v->s[v->len] = '\0';
}

void
pys_val_utf8(struct scan *sc, struct val *v, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	pys_val_append(sc, v, b, n);
}

/*
 * The value of a string literal's body: escapes decoded (not for raw
 * strings), cut at max_fold. An escape spelling a printable ASCII
 * character marks the fold "escape": nobody writes \x65 for 'e' honestly.
 */
void
pys_literal_value(struct scan *sc, struct val *v, const char *b, size_t n,
    int raw, int bytes)
{
	size_t i, k;
	uint32_t cp;
	int d;

	pys_val_none(v);
	v->kind = bytes ? VK_BYTES : VK_STR;
	v->literal = 1;
	for (i = 0; i < n && !v->trunc; i++) {
		if (b[i] != '\\' || raw || i + 1 >= n) {
			pys_val_append(sc, v, b + i, 1);
			continue;
		}
		i++;
		cp = 0;
		switch (b[i]) {
		case '\n': continue;
		case '\r':
			if (i + 1 < n && b[i + 1] == '\n')
				i++;
			continue;
		case 'n': cp = '\n'; break;
		case 't': cp = '\t'; break;
		case 'r': cp = '\r'; break;
		case 'a': cp = 7; break;
		case 'b': cp = 8; break;
		case 'f': cp = 12; break;
		case 'v': cp = 11; break;
		case '\\':
		case '\'':
		case '"': cp = (unsigned char)b[i]; break;
		case 'x':
		case 'u':
		case 'U':
			k = b[i] == 'x' ? 2 : b[i] == 'u' ? 4 : 8;
			if ((b[i] != 'x' && bytes) || k > n - i - 1) {
				pys_val_append(sc, v, b + i - 1, 2);
				continue;
			}
			for (; k > 0; k--) {
				if ((d = pf_hexval((unsigned char)b[++i])) < 0)
					break;
				cp = cp * 16 + (uint32_t)d;
			}
			if (cp > 0x10ffff)
				cp = 0xfffd;
			if (cp > 0x20 && cp < 0x7f)
				v->fold |= FO_ESCAPE;
			if (bytes) {
				char c = (char)cp;

				pys_val_append(sc, v, &c, 1);
			} else
				pys_val_utf8(sc, v, cp);
			continue;
		case 'N':
			/* \N{NAME}: not resolved; keep the text */
			pys_val_append(sc, v, b + i - 1, 2);
			v->fold |= FO_ESCAPE;
			continue;
		default:
			if (b[i] >= '0' && b[i] <= '7') {
				for (k = 0;
				     k < 3 && i < n && b[i] >= '0' && b[i] <= '7';
				     k++, i++)
					cp = cp * 8 + (uint32_t)(b[i] - '0');
				i--;
				if (cp > 0x20 && cp < 0x7f)
					v->fold |= FO_ESCAPE;
				if (bytes) {
					char c = (char)cp;

					pys_val_append(sc, v, &c, 1);
				} else
					pys_val_utf8(sc, v, cp);
				continue;
			}
			pys_val_append(sc, v, b + i - 1, 2);
			continue;
		}
		if (bytes) {
			char c = (char)cp;

			pys_val_append(sc, v, &c, 1);
		} else
			pys_val_utf8(sc, v, cp);
	}
}

/* ---- frames ---- */

void
pys_frame_reset_elem(struct frame *f)
{
	pys_val_none(&f->acc);
	pys_val_none(&f->cur);
	pys_val_none(&f->mrecv);
	f->dirty = f->pending = f->after_dot = f->last_value = 0;
	f->flags_or = 0;
	f->fold_or = 0;
	f->lambdas = f->skip_eq = f->simple = f->annot = 0;
	f->at_start = 1;
	f->kw[0] = '\0';
}

struct frame *
pys_frame_push(struct scan *sc, enum fk kind)
{
	struct frame *f, *nf;
	size_t ncap;

	if (sc->nfr == sc->capfr) {
		ncap = sc->capfr ? sc->capfr * 2 : 8;
		if (ncap > PF_MAX_PY_NEST + 2)
			ncap = PF_MAX_PY_NEST + 2;
		if (sc->nfr >= ncap)
			return NULL; /* the tokenizer's cap comes first */
		if ((nf = reallocarray(sc->fr, ncap, sizeof(*nf))) == NULL) {
			pys_nomem(sc);
			return NULL;
		}
		sc->fr = nf;
		sc->capfr = ncap;
	}
	f = &sc->fr[sc->nfr++];
	f->kind = (uint8_t)kind;
	pys_frame_reset_elem(f);
	f->comp = f->in_iter = f->comp_if = f->commas = f->slice = 0;
	f->has_field = f->nargs = f->nkw = 0;
	f->list_ok = 1;
	pys_val_none(&f->callee);
	pys_val_none(&f->recv);
	pys_val_none(&f->elem);
	pys_val_none(&f->iter);
	pys_val_none(&f->list);
	f->list.kind = VK_LIST;
	f->list.ints = 1;
	return f;
}

static const struct word builtins_list[] = { KW("exec"), KW("eval"),
	KW("compile"), KW("__import__"), KW("open"), KW("getattr"),
	KW("setattr"), KW("delattr"), KW("globals"), KW("locals"), KW("vars"),
	KW("chr"), KW("bytes"), KW("bytearray"), KW("str"), KW("map"),
	KW("dict"), KW("list"), KW("repr"), KW("breakpoint"), KW("memoryview"),
	KW("type"), KW("reversed"), { NULL, 0 } };

/* Module names that are another's alias: the first component is swapped. */
static const char *const roots[][2] = { { "posix", "os" }, { "nt", "os" },
	{ "__builtin__", "builtins" }, { "__builtins__", "builtins" },
	{ "cPickle", "pickle" }, { "_pickle", "pickle" }, { "_io", "io" },
	{ "_socket", "socket" }, { "urllib2", "urllib.request" }, { NULL, NULL } };

void
pys_normalize(struct scan *sc, struct val *v)
{
	char tmp[2 * PF_MAX_PY_FOLD + 2];
	const char *dot = memchr(v->s, '.', v->len);
	size_t i, n, rl, rest;

	n = dot ? (size_t)(dot - v->s) : v->len;
	for (i = 0; roots[i][0] != NULL; i++) {
		if (strlen(roots[i][0]) != n || memcmp(v->s, roots[i][0], n) != 0)
			continue;
		rl = strlen(roots[i][1]);
		rest = v->len - n;
		memcpy(tmp, roots[i][1], rl);
		memcpy(tmp + rl, v->s + n, rest);
		v->len = 0;
		v->trunc = 0;
		pys_val_append(sc, v, tmp, rl + rest);
		return;
	}
}

/*
 * Identifiers are NFKC-normalised by Python, so 'ｅｘｅｃ' is exec. This
 * folds the compatibility forms that map to ASCII letters (fullwidth,
 * mathematical alphanumerics, letterlike symbols, ligatures, modifier
 * letters). Returns 1 with out filled when the whole name folds to ASCII.
 */
static uint32_t
fold_cp(uint32_t cp, const char **multi)
{
	static const struct {
		uint32_t cp;
		char c;
	} one[] = { { 0x017f, 's' }, { 0x212a, 'K' }, { 0x212f, 'e' },
		{ 0x210e, 'h' }, { 0x2071, 'i' }, { 0x207f, 'n' },
		{ 0x2090, 'a' }, { 0x2091, 'e' }, { 0x2092, 'o' },
		{ 0x2093, 'x' }, { 0x2095, 'h' }, { 0x2096, 'k' },
		{ 0x2097, 'l' }, { 0x2098, 'm' }, { 0x2099, 'n' },
		{ 0x209a, 'p' }, { 0x209b, 's' }, { 0x209c, 't' },
		{ 0x2102, 'C' }, { 0x210a, 'g' }, { 0x210b, 'H' },
		{ 0x210c, 'H' }, { 0x210d, 'H' }, { 0x2110, 'I' },
		{ 0x2111, 'I' }, { 0x2112, 'L' }, { 0x2113, 'l' },
		{ 0x2115, 'N' }, { 0x2119, 'P' }, { 0x211a, 'Q' },
		{ 0x211b, 'R' }, { 0x211c, 'R' }, { 0x211d, 'R' },
		{ 0x2124, 'Z' }, { 0x2128, 'Z' }, { 0x212c, 'B' },
		{ 0x212d, 'C' }, { 0x2130, 'E' }, { 0x2131, 'F' },
		{ 0x2133, 'M' }, { 0x2134, 'o' }, { 0x2139, 'i' },
		{ 0x02b0, 'h' }, { 0x02b2, 'j' }, { 0x02b3, 'r' },
		{ 0x02b7, 'w' }, { 0x02b8, 'y' }, { 0x02e1, 'l' },
		{ 0x02e2, 's' }, { 0x02e3, 'x' }, { 0x1d43, 'a' },
		{ 0x1d47, 'b' }, { 0x1d48, 'd' }, { 0x1d49, 'e' },
		{ 0x1d4d, 'g' }, { 0x1d4f, 'k' }, { 0x1d50, 'm' },
		{ 0x1d52, 'o' }, { 0x1d56, 'p' }, { 0x1d57, 't' },
		{ 0x1d58, 'u' }, { 0x1d5b, 'v' }, { 0x1d9c, 'c' },
		{ 0x1da0, 'f' }, { 0x1dbb, 'z' }, { 0xfe33, '_' },
		{ 0xfe34, '_' }, { 0xfe4d, '_' }, { 0xfe4e, '_' },
		{ 0xfe4f, '_' }, { 0xff3f, '_' } };
	static const char *const lig[] = { "ff", "fi", "fl", "ffi", "ffl", "st",
		"st" };
	size_t i;

	*multi = NULL;
	if (cp < 0x80)
		return cp;
	if (cp >= 0xff10 && cp <= 0xff19)
		return '0' + (cp - 0xff10);
	if (cp >= 0xff21 && cp <= 0xff3a)
		return 'A' + (cp - 0xff21);
	if (cp >= 0xff41 && cp <= 0xff5a)
		return 'a' + (cp - 0xff41);
	if (cp >= 0x1d400 && cp <= 0x1d6a3) {
		i = (cp - 0x1d400) % 52;
		return i < 26 ? 'A' + (uint32_t)i : 'a' + (uint32_t)(i - 26);
	}
	if (cp >= 0x1d7ce && cp <= 0x1d7ff)
		return '0' + (cp - 0x1d7ce) % 10;
	if (cp >= 0xfb00 && cp <= 0xfb06) {
		*multi = lig[cp - 0xfb00];
		return 0;
	}
	for (i = 0; i < sizeof(one) / sizeof(one[0]); i++)
		if (one[i].cp == cp)
			return (uint32_t)(unsigned char)one[i].c;
	return UINT32_MAX;
}

int
pys_ident_fold(const char *p, size_t n, char *out, size_t outsz, size_t *outn)
{
	const unsigned char *u = (const unsigned char *)p;
	const char *multi;
	size_t i = 0, o = 0, k, len;
	uint32_t cp, r;

	while (i < n) {
		if (u[i] < 0x80) {
			cp = u[i];
			len = 1;
		} else if (u[i] >= 0xf0 && i + 3 < n + 0 && n - i >= 4) {
			cp = ((uint32_t)(u[i] & 7) << 18) |
			    ((uint32_t)(u[i + 1] & 63) << 12) |
			    ((uint32_t)(u[i + 2] & 63) << 6) | (u[i + 3] & 63);
			len = 4;
		} else if (u[i] >= 0xe0 && n - i >= 3) {
			cp = ((uint32_t)(u[i] & 15) << 12) |
			    ((uint32_t)(u[i + 1] & 63) << 6) | (u[i + 2] & 63);
			len = 3;
		} else if (u[i] >= 0xc0 && n - i >= 2) {
			cp = ((uint32_t)(u[i] & 31) << 6) | (u[i + 1] & 63);
			len = 2;
		} else
			return 0;
		i += len;
		r = fold_cp(cp, &multi);
		if (multi != NULL) {
			for (k = 0; multi[k] != '\0'; k++) {
				if (o + 1 >= outsz)
					return 0;
				out[o++] = multi[k];
			}
			continue;
		}
		if (r == UINT32_MAX || o + 1 >= outsz)
			return 0;
		out[o++] = (char)r;
	}
	out[o] = '\0';
	*outn = o;
	return 1;
}

static int
is_builtin(const char *s, size_t n)
{
	size_t i;

	for (i = 0; builtins_list[i].s != NULL; i++)
		if (builtins_list[i].n == n && builtins_list[i].s[0] == s[0] &&
		    memcmp(builtins_list[i].s, s, n) == 0)
			return 1;
	return 0;
}

/* True when some calls rule names the qualified name s. */
static int
rule_names(const struct pf_pyscan_rules *rs, const char *s, size_t n)
{
	size_t i, j;

	for (i = 0; i < rs->n; i++)
		for (j = 0; j < rs->r[i].nm; j++)
			if (rs->r[i].m[j].kind == M_CALLS &&
			    rs->r[i].m[j].pats[0] != NULL &&
			    rs->r[i].m[j].pats[0][0] != '*' &&
			    pys_strv_match(rs->r[i].m[j].pats, s, n, 0))
				return 1;
	return 0;
}

void
pys_ref_set(struct scan *sc, struct val *v, const char *s, size_t n, int resolved)
{
	struct pos at = v->at;

	pys_val_none(v);
	v->at = at;
	v->kind = VK_REF;
	v->resolved = (uint8_t)resolved;
	pys_val_append(sc, v, s, n);
	if (v->trunc)
		v->resolved = 0;
}

/* The value a bare name stands for at this point of the file. */
int
pys_name_value(struct scan *sc, const char *s, size_t n, struct val *v)
{
	char buf[PF_MAX_PY_FOLD * 2 + 2];
	struct name *x;
	struct pos at = v->at;
	size_t i;

	x = lookup(sc, s, n);
	if (x != NULL && (x->kind == NK_ALIAS || x->kind == NK_CONST) &&
	    x->v != NULL) {
		pys_val_copy(v, x->v);
		v->at = at;
		v->literal = 0;
		v->copied = 1;
		return 0;
	}
	if (x != NULL) {
		pys_ref_set(sc, v, s, n, 0);
		return 0;
	}
	if (n == 12 && memcmp(s, "__builtins__", 12) == 0) {
		pys_ref_set(sc, v, "builtins", 8, 1);
		v->dict = 1;
		return pys_report_builtin(sc, "namespace", s, n, &v->at, NULL,
		    NULL);
	}
	if (is_builtin(s, n)) {
		(void)snprintf(buf, sizeof(buf), "builtins.%.*s", (int)n, s);
		pys_ref_set(sc, v, buf, strlen(buf), 1);
		return 0;
	}
	for (i = 0; i < sc->nstar; i++) {
		(void)snprintf(buf, sizeof(buf), "%s.%.*s", sc->star[i],
		    (int)(n > PF_MAX_PY_FOLD ? PF_MAX_PY_FOLD : n), s);
		if (rule_names(sc->rs, buf, strlen(buf))) {
			pys_ref_set(sc, v, buf, strlen(buf), 1);
			return 0;
		}
	}
	pys_ref_set(sc, v, s, n, 0);
	return 0;
}

int
pys_bind(struct scan *sc, const char *s, size_t n, enum nk kind,
    const struct val *v)
{
	struct name *x = name_get(sc, pys_in_scope(sc) ? &sc->loc : &sc->glob,
	    s, n);

	if (x == NULL)
		return sc->failed ? -1 : 0;
	x->kind = (uint8_t)kind;
	if (kind != NK_DEF) {
		x->has_sev = 0;
		x->nbody = 0;
		free(x->body);
		x->body = NULL;
	}
	if (v == NULL) {
		free(x->v);
		x->v = NULL;
		return 0;
	}
	if (x->v == NULL && (x->v = malloc(sizeof(*x->v))) == NULL)
		return pys_nomem(sc);
	pys_val_copy(x->v, v);
	return 0;
}
