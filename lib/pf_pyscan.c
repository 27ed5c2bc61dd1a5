/*
 * pf_pyscan: the analysis on pf_pytok's tokens. One pass, no tree and no
 * recursion: a stack of frames (statement, call, brackets, subscripts,
 * f-strings) each holding the value of the expression being read, so a
 * call sees its callee's resolved name and its constant arguments, and a
 * value built from constants ('ex' + 'ec', ''.join(...), chr(...),
 * bytes.fromhex, codecs rot13, base64) is folded to its string. Names are
 * resolved through a table of imports, aliases and assignments kept in
 * program order, without flow analysis.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_pyscan.h"
#include "pf_pytok.h"
#include "pf_pyuni.h"
#include "pf_int.h"
#include "pf_banned.h"

/* ---- rules ---- */

enum mkind { M_CALLS, M_SUBSCRIPTS, M_IMPORTS, M_STRINGS, M_ASSIGNS };

enum tis { IS_ANY, IS_TRUE, IS_OUTSIDE };

struct test {
	int pos;		/* positional index, -1 none */
	char *kw;		/* keyword, or NULL */
	int recv;		/* the receiver of a method */
	enum tis is;
	char **in, **glob;	/* NULL-terminated */
	char **name;		/* a name as written, resolved or not */
};

struct matcher {
	enum mkind kind;
	int refs;		/* calls: a bare reference fires too */
	char **pats, **except;
	struct test *when, *unless;
	size_t nwhen, nunless;
	/*
	 * Prefilters, so a name is globbed only against patterns that can
	 * match: the first dotted component of each pattern (wild when one
	 * has a '*' there), and for strings the longest literal run of each
	 * pattern, lower case, found with memmem first.
	 */
	char **roots, **lits;
	size_t *rootlen, *litlen;
	int wild;
};

struct rule {
	char *id, *category, *bandit, *message, *builtin;
	int cat;		/* index of the first rule of the category */
	enum pf_sev sev;
	int disabled;
	struct matcher *m;
	size_t nm;
};

/* One matcher of one rule, listed by kind in table order. */
struct mref {
	const struct rule *r;
	const struct matcher *m;
};

struct pf_pyscan_rules {
	struct rule *r;
	size_t n;
	size_t min_string;	/* shortest string a strings rule can match */
	int bigram_ok;		/* every strings pattern has a 2-byte literal */
	unsigned char bigram[65536 / 8]; /* their first two bytes, lower case */
	struct mref *bykind[5];
	size_t nbykind[5];
	char **roots[5];	/* every non-wild root of a kind, sorted */
	size_t nroots[5];
};

static void
strv_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static void
tests_free(struct test *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(t[i].kw);
		strv_free(t[i].in);
		strv_free(t[i].glob);
		strv_free(t[i].name);
	}
	free(t);
}

void
pf_pyscan_rules_free(struct pf_pyscan_rules *rs)
{
	size_t i, j;

	if (rs == NULL)
		return;
	for (i = 0; i < rs->n; i++) {
		struct rule *r = &rs->r[i];

		free(r->id);
		free(r->category);
		free(r->bandit);
		free(r->message);
		free(r->builtin);
		for (j = 0; j < r->nm; j++) {
			strv_free(r->m[j].pats);
			strv_free(r->m[j].except);
			strv_free(r->m[j].roots);
			strv_free(r->m[j].lits);
			free(r->m[j].rootlen);
			free(r->m[j].litlen);
			tests_free(r->m[j].when, r->m[j].nwhen);
			tests_free(r->m[j].unless, r->m[j].nunless);
		}
		free(r->m);
	}
	free(rs->r);
	for (i = 0; i < 5; i++) {
		free(rs->bykind[i]);
		free(rs->roots[i]);	/* borrowed strings */
	}
	free(rs);
}

/* A NULL-terminated copy of a JSON array of strings; NULL on error. */
static char **
strv_new(const json_t *a, const char *what, struct pf_err *e)
{
	char **v;
	size_t i, n;

	if (!json_is_array(a))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s must be an array of strings", what), NULL;
	n = json_array_size(a);
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return pf_err_nomem(e), NULL;
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (s == NULL) {
			strv_free(v);
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s must be an array of strings", what), NULL;
		}
		if ((v[i] = strdup(s)) == NULL) {
			strv_free(v);
			return pf_err_nomem(e), NULL;
		}
	}
	return v;
}

static int
tests_new(const json_t *a, struct test **out, size_t *nout, const char *id,
    struct pf_err *e)
{
	const json_t *t, *v;
	struct test *ts;
	const char *is;
	size_t i, n;

	*out = NULL;
	*nout = 0;
	if (a == NULL)
		return 0;
	if (!json_is_array(a))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "rule %s: when/unless must be arrays", id);
	n = json_array_size(a);
	if ((ts = calloc(n ? n : 1, sizeof(*ts))) == NULL)
		return pf_err_nomem(e);
	*out = ts;
	*nout = n;
	json_array_foreach(a, i, t) {
		ts[i].pos = -1;
		if (!json_is_object(t))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "rule %s: a test must be an object", id);
		if ((v = json_object_get(t, "pos")) != NULL) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 3)
				return pf_err_set(e, PF_EXIT_USAGE,
				    "rule %s: pos must be 0 to 3", id);
			ts[i].pos = (int)json_integer_value(v);
		}
		if ((v = json_object_get(t, "kw")) != NULL &&
		    (ts[i].kw = strdup(json_string_value(v) ?
		    json_string_value(v) : "")) == NULL)
			return pf_err_nomem(e);
		ts[i].recv = json_is_true(json_object_get(t, "recv"));
		is = json_string_value(json_object_get(t, "is"));
		if (is == NULL)
			ts[i].is = IS_ANY;
		else if (strcmp(is, "true") == 0)
			ts[i].is = IS_TRUE;
		else if (strcmp(is, "outside") == 0)
			ts[i].is = IS_OUTSIDE;
		else
			return pf_err_set(e, PF_EXIT_USAGE,
			    "rule %s: 'is' must be true or outside", id);
		if ((v = json_object_get(t, "in")) != NULL &&
		    (ts[i].in = strv_new(v, "in", e)) == NULL)
			return -1;
		if ((v = json_object_get(t, "glob")) != NULL &&
		    (ts[i].glob = strv_new(v, "glob", e)) == NULL)
			return -1;
		if ((v = json_object_get(t, "name")) != NULL &&
		    (ts[i].name = strv_new(v, "name", e)) == NULL)
			return -1;
	}
	return 0;
}

static int
prefilter(struct matcher *x)
{
	size_t i, n, k, best, bl, run;
	const char *p, *dot;

	for (n = 0; x->pats[n] != NULL; n++)
		;
	if ((x->roots = calloc(n + 1, sizeof(char *))) == NULL ||
	    (x->lits = calloc(n + 1, sizeof(char *))) == NULL ||
	    (x->rootlen = calloc(n + 1, sizeof(size_t))) == NULL ||
	    (x->litlen = calloc(n + 1, sizeof(size_t))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		p = x->pats[i];
		dot = strchr(p, '.');
		k = dot ? (size_t)(dot - p) : strlen(p);
		if (memchr(p, '*', k) != NULL)
			x->wild = 1;
		if ((x->roots[i] = strndup(p, k)) == NULL)
			return -1;
		x->rootlen[i] = k;
		for (k = 0, best = 0, bl = 0, run = 0; p[k] != '\0'; k++) {
			run = p[k] == '*' ? 0 : run + 1;
			if (run > bl) {
				bl = run;
				best = k + 1 - run;
			}
		}
		if ((x->lits[i] = strndup(p + best, bl)) == NULL)
			return -1;
		x->litlen[i] = bl;
		for (k = 0; k < bl; k++)
			x->lits[i][k] =
			    (char)tolower((unsigned char)x->lits[i][k]);
	}
	return 0;
}

static int
rule_load(struct rule *r, const json_t *j, const json_t *python,
    struct pf_err *e)
{
	static const char *const kinds[] = { "calls", "subscripts", "imports",
	    "strings", "assigns" };
	const json_t *m, *mm, *v, *over;
	const char *s;
	size_t i, k;

	s = json_string_value(json_object_get(j, "id"));
	if (s == NULL || strncmp(s, "py.", 3) != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "a rule needs an id starting 'py.'");
	if ((r->id = strdup(s)) == NULL)
		return pf_err_nomem(e);
	if (pf_sev_parse(json_string_value(json_object_get(j, "severity")),
	    &r->sev) == -1)
		return pf_err_set(e, PF_EXIT_USAGE, "rule %s: bad severity",
		    r->id);
	s = json_string_value(json_object_get(j, "category"));
	r->category = strdup(s ? s : "");
	s = json_string_value(json_object_get(j, "message"));
	r->message = strdup(s ? s : "matches {name}");
	s = json_string_value(json_object_get(j, "bandit"));
	r->bandit = s ? strdup(s) : NULL;
	if (r->category == NULL || r->message == NULL || (s && !r->bandit))
		return pf_err_nomem(e);
	if ((s = json_string_value(json_object_get(j, "builtin"))) != NULL &&
	    (r->builtin = strdup(s)) == NULL)
		return pf_err_nomem(e);
	if (python != NULL) {
		json_array_foreach(json_object_get(python, "disable"), i, v)
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), r->id) == 0)
				r->disabled = 1;
		over =
		    json_object_get(json_object_get(python, "severity"), r->id);
		if (over != NULL && pf_sev_parse(json_string_value(over),
		    &r->sev) == -1)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "python.severity.%s: bad severity", r->id);
	}
	m = json_object_get(j, "match");
	if (m == NULL) {
		if (r->builtin == NULL)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "rule %s: needs match or builtin", r->id);
		return 0;
	}
	if (!json_is_array(m))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "rule %s: match must be an array", r->id);
	if ((r->m = calloc(json_array_size(m) + 1, sizeof(*r->m))) == NULL)
		return pf_err_nomem(e);
	json_array_foreach(m, i, mm) {
		struct matcher *x = &r->m[r->nm++];

		for (k = 0; k < 5; k++)
			if ((v = json_object_get(mm, kinds[k])) != NULL)
				break;
		if (k == 5)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "rule %s: a matcher needs calls, subscripts, "
			    "imports, strings or assigns",
			    r->id);
		x->kind = (enum mkind)k;
		if ((x->pats = strv_new(v, kinds[k], e)) == NULL)
			return -1;
		if ((v = json_object_get(mm, "except")) != NULL &&
		    (x->except = strv_new(v, "except", e)) == NULL)
			return -1;
		x->refs = json_is_true(json_object_get(mm, "refs"));
		if (prefilter(x) == -1)
			return pf_err_nomem(e);
		if (tests_new(json_object_get(mm, "when"), &x->when, &x->nwhen,
		    r->id, e) == -1 ||
		    tests_new(json_object_get(mm, "unless"), &x->unless,
		    &x->nunless, r->id, e) == -1)
			return -1;
	}
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is the first component of a name the root of some pattern? */
static int
root_known(const struct pf_pyscan_rules *rs, enum mkind kind, const char *name,
    size_t root)
{
	size_t lo = 0, hi = rs->nroots[kind], mid;
	const char *r;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		r = rs->roots[kind][mid];
		c = strncmp(r, name, root);
		if (c == 0)
			c = r[root] != '\0';
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

struct pf_pyscan_rules *
pf_pyscan_rules_new(const json_t *table, const json_t *python, struct pf_err *e)
{
	struct pf_pyscan_rules *rs;
	const json_t *rules, *j;
	size_t i, k;

	rules = json_object_get(table, "rules");
	if (!json_is_array(rules))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "rule table has no 'rules' array"), NULL;
	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->r = calloc(json_array_size(rules) + 1, sizeof(*rs->r))) ==
	        NULL) {
		free(rs);
		return pf_err_nomem(e), NULL;
	}
	json_array_foreach(rules, i, j) {
		rs->n++;
		if (!json_is_object(j) ||
		    rule_load(&rs->r[i], j, python, e) == -1) {
			if (!json_is_object(j))
				pf_err_set(e, PF_EXIT_USAGE,
				    "a rule must be an object");
			pf_pyscan_rules_free(rs);
			return NULL;
		}
		rs->r[i].cat = (int)i;
		for (k = i; k-- > 0; )
			if (strcmp(rs->r[k].category, rs->r[i].category) == 0)
				rs->r[i].cat = rs->r[k].cat;
		for (k = 0; k < i; k++)
			if (strcmp(rs->r[k].id, rs->r[i].id) == 0) {
				pf_err_set(e, PF_EXIT_USAGE,
				    "rule %s: defined twice", rs->r[i].id);
				pf_pyscan_rules_free(rs);
				return NULL;
			}
	}
	for (k = 0; k < 5; k++) {
		size_t cnt = 0, mi, x;

		for (i = 0; i < rs->n; i++)
			for (mi = 0; mi < rs->r[i].nm; mi++)
				cnt += rs->r[i].m[mi].kind == (enum mkind)k;
		if ((rs->bykind[k] = calloc(cnt + 1, sizeof(struct mref))) ==
		    NULL) {
			pf_pyscan_rules_free(rs);
			return pf_err_nomem(e), NULL;
		}
		for (i = 0, x = 0; i < rs->n; i++)
			for (mi = 0; mi < rs->r[i].nm; mi++)
				if (rs->r[i].m[mi].kind == (enum mkind)k &&
				    !rs->r[i].disabled) {
					rs->bykind[k][x].r = &rs->r[i];
					rs->bykind[k][x++].m = &rs->r[i].m[mi];
				}
		rs->nbykind[k] = x;
	}
	for (k = 0; k < 5; k++) {
		size_t cnt = 0, x, pi;

		for (i = 0; i < rs->nbykind[k]; i++)
			for (pi = 0; rs->bykind[k][i].m->roots[pi] != NULL;
			     pi++)
				cnt++;
		if ((rs->roots[k] = calloc(cnt + 1, sizeof(char *))) == NULL) {
			pf_pyscan_rules_free(rs);
			return pf_err_nomem(e), NULL;
		}
		for (i = 0, x = 0; i < rs->nbykind[k]; i++)
			for (pi = 0; rs->bykind[k][i].m->roots[pi] != NULL;
			     pi++)
				rs->roots[k][x++] =
				    rs->bykind[k][i].m->roots[pi];
		qsort(rs->roots[k], x, sizeof(char *), cmp_str);
		rs->nroots[k] = x;
	}
	rs->min_string = SIZE_MAX;
	rs->bigram_ok = 1;
	for (i = 0; i < rs->nbykind[M_STRINGS]; i++) {
		const struct matcher *m = rs->bykind[M_STRINGS][i].m;
		size_t pi, b;

		for (pi = 0; m->pats[pi] != NULL; pi++) {
			if (m->litlen[pi] < rs->min_string)
				rs->min_string = m->litlen[pi];
			if (m->litlen[pi] < 2) {
				rs->bigram_ok = 0;
				continue;
			}
			b = (size_t)(unsigned char)m->lits[pi][0] << 8 |
			    (unsigned char)m->lits[pi][1];
			rs->bigram[b >> 3] |= (unsigned char)(1u << (b & 7));
		}
	}
	return rs;
}

static const struct rule *
builtin_rule(const struct pf_pyscan_rules *rs, const char *b)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].builtin != NULL &&
		    strcmp(rs->r[i].builtin, b) == 0)
			return rs->r[i].disabled ? NULL : &rs->r[i];
	return NULL;
}


/*
 * Glob with '*' only; ci folds ASCII case. Iterative, with the classic
 * single backtrack point, so time is O(len(s) * len(p)) at worst.
 */
static int
glob_match(const char *p, const char *s, size_t n, int ci)
{
	const char *star = NULL;
	size_t i = 0, si = 0;

	while (i < n) {
		if (*p == '*') {
			star = ++p;
			si = i;
			continue;
		}
		if (*p != '\0' && (ci ? tolower((unsigned char)*p) ==
		    tolower((unsigned char)s[i]) : *p == s[i])) {
			p++;
			i++;
			continue;
		}
		if (star == NULL)
			return 0;
		p = star;
		i = ++si;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

static int
strv_match(char *const *v, const char *s, size_t n, int ci)
{
	for (; v != NULL && *v != NULL; v++)
		if (glob_match(*v, s, n, ci))
			return 1;
	return 0;
}

/* ---- values ---- */

enum vk {
	VK_NONE = 0, VK_STR, VK_BYTES, VK_INT, VK_TRUE, VK_FALSE, VK_REF,
	VK_LIST, VK_NS, VK_CHRVAR, VK_UNKNOWN
};

/* How a constant was built: the obfuscation forms. */
#define FO_CONCAT	0x001
#define FO_JOIN		0x002
#define FO_CHR		0x004
#define FO_HEX		0x008
#define FO_ROT13	0x010
#define FO_BASE64	0x020
#define FO_ZLIB		0x040
#define FO_REVERSE	0x080
#define FO_REPLACE	0x100
#define FO_ESCAPE	0x200
#define FO_CASE		0x400

static const char *const fold_names[] = {
	"concat", "join", "chr", "fromhex", "rot13", "base64", "zlib",
	"reverse", "replace", "escape", "case"
};

enum via { VIA_NONE, VIA_GETATTR, VIA_IMPORT, VIA_NAMESPACE, VIA_MODULES };
static const char *const via_names[] = { NULL, "getattr", "__import__",
    "namespace", "sys.modules" };

struct pos {
	size_t off, line_off;
	uint32_t line, col;
};

struct val {
	uint8_t kind;
	uint8_t resolved;	/* REF rooted in an import or a builtin */
	uint8_t trunc;		/* content cut at max_fold */
	uint8_t path;		/* built as a file path */
	uint8_t decoded;	/* went through a decoder */
	uint8_t via;
	uint8_t ints;		/* LIST: every element an int */
	uint8_t literal;	/* one string literal token */
	uint8_t dict;		/* REF through __dict__ or vars() */
	uint8_t copied;		/* read from a variable, not built here */
	uint16_t fold;
	uint16_t len, nelem;
	int64_t ival;
	struct pos at;
	char s[PF_MAX_PY_FOLD + 1];
};

#define NARGS 4
#define NKW 6
#define KWLEN 32

enum fk { FK_STMT, FK_CALL, FK_PAREN, FK_LIST, FK_DICT, FK_SUB, FK_FSTR,
    FK_FIELD };

struct frame {
	uint8_t kind;
	uint8_t dirty;		/* the current element is not a plain value */
	uint8_t pending;	/* '+' or '/' waiting for its right operand */
	uint8_t after_dot;
	uint8_t last_value;	/* the last token ended an operand */
	uint8_t comp, in_iter, comp_if;
	uint8_t commas;
	uint8_t slice; /* SUB: count of ':' '-' '1' seen, 0xff if other */
	uint8_t has_field;
	uint8_t nargs, nkw;
	uint8_t list_ok;
	uint8_t flags_or;	/* decoded bits of sub-expressions */
	uint8_t lambdas;	/* open 'lambda' waiting for its ':' */
	uint8_t skip_eq;	/* the '=' of a keyword argument is next */
	uint8_t simple;		/* cur is one bare NAME (simple_name) */
	uint8_t at_start;	/* no token of the element read yet */
	uint8_t annot;		/* a def parameter's annotation is read */
	uint16_t fold_or;
	char kw[KWLEN];
	char simple_name[KWLEN * 4];
	struct val acc;		/* the expression so far, before pending */
	struct val cur;		/* the operand being read */
	struct val callee, recv, mrecv, elem, iter, list;
	struct val args[NARGS];
	char kwname[NKW][KWLEN];
	struct val kwargs[NKW];
};

/* ---- names ---- */

enum nk { NK_ALIAS = 1, NK_CONST, NK_LOCAL, NK_DEF };

/*
 * A def's findings named in the message of a module-level call of it: a few
 * are enough to say why, and the message stays one line.
 */
#define PF_PY_BODY_NOTES	3
#define PF_PY_BODY_ITEM		128

struct name {
	char *key;
	size_t klen;
	uint8_t kind;
	uint8_t has_sev;
	uint8_t sev;
	uint8_t nbody;		/* findings noted in body */
	struct val *v;
	char *body;		/* NK_DEF: what its body does, for messages */
};

struct ntab {
	struct name *tab;
	size_t cap, n;
};

enum bk { BK_OTHER, BK_FUNC, BK_CLASS, BK_MAIN };

struct block {
	uint8_t kind;
	char name[64];
};

enum sk { SK_NONE, SK_IMPORT, SK_FROM, SK_DEF, SK_CLASS, SK_HEADER, SK_SKIP };

struct scan {
	const struct pf_pyscan_rules *rs;
	const struct pf_pyscan_opts *o;
	const char *src;
	size_t len, max_fold, max_names;
	pf_pyscan_cb cb;
	void *ctx;
	struct pf_err *e;
	int failed;		/* cb or memory: stop */

	struct frame *fr;
	size_t nfr, capfr;

	struct ntab glob;	/* module-level names */
	struct ntab loc;	/* names of the def or class being read */
	size_t nnames;
	int names_full;
	char star[4][PF_MAX_PY_FOLD + 1];	/* from M import * */
	size_t nstar;

	struct block blocks[PF_MAX_PY_INDENT + 2];
	size_t nblocks;
	uint8_t pending_block, inline_block;

	/* statement */
	int stmt_start;
	enum sk sk;
	int header_if, if_name, if_main;
	int def_name_next, def_paren;
	int assign;		/* '=' seen at statement level */
	int annot;
	struct val lhs;		/* the assignment target */
	int lhs_sub;		/* target is a subscript of lhs */
	struct val lhs_index;
	int lhs_simple;		/* target is one bare name */
	char lhs_name[KWLEN * 4];
	int as_next;		/* the next NAME is bound by 'as' */
	struct val as_val;	/* ... to this object, or VK_NONE */
	int for_target;		/* statement 'for': names until 'in' */

	/* import statements */
	char imp_mod[PF_MAX_PY_FOLD + 1];
	char imp_as[PF_MAX_PY_FOLD + 1];
	size_t imp_len;
	int imp_state;		/* see import_token() */
	int imp_rel, imp_star;

	/* findings already reported: (rule, line) */
	uint64_t *seen;
	size_t seencap, nseen;
	const struct pf_pytok *tok;
	int sev_override;	/* >= 0: the next emit's severity */
	const char *body;	/* the next emit's {body}, or NULL */
	size_t base_off;	/* added to offsets (a notebook line) */
	char pending_name[64];
	int header_inline;
	int def_params;		/* reading a def's parameters */
	int param_start;	/* this token starts a parameter */
};

static int
nomem(struct scan *sc)
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

static struct name *
name_find(const struct ntab *t, const char *s, size_t n)
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

static int report_builtin(struct scan *sc, const char *b, const char *name,
    size_t nlen, const struct pos *at, const char *via, const char *fold);

/* The entry for s in t, created when absent; NULL when full or no memory. */
static struct name *
name_get(struct scan *sc, struct ntab *t, const char *s, size_t n)
{
	struct name *x, *old;
	size_t i, j, oldcap;

	if (n == 0 || n > PF_MAX_PY_FOLD)
		return NULL;
	if ((x = name_find(t, s, n)) != NULL)
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
			report_builtin(sc, "source-limit", "PF_MAX_PY_NAMES",
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
			nomem(sc);
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
		nomem(sc);
		return NULL;
	}
	memcpy(t->tab[i].key, s, n);
	t->tab[i].key[n] = '\0';
	t->tab[i].klen = n;
	t->n++;
	sc->nnames++;
	return &t->tab[i];
}

static void
names_free(struct scan *sc, struct ntab *t)
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
static int
in_scope(const struct scan *sc)
{
	size_t i;

	if (sc->inline_block == BK_FUNC || sc->inline_block == BK_CLASS ||
	    sc->def_params)
		return 1;
	for (i = 0; i < sc->nblocks; i++)
		if (sc->blocks[i].kind == BK_FUNC ||
		    sc->blocks[i].kind == BK_CLASS)
			return 1;
	return 0;
}

/* The binding of a name as seen here: the def's own names first. */
static struct name *
lookup(const struct scan *sc, const char *s, size_t n)
{
	struct name *x;

	if (in_scope(sc) && (x = name_find(&sc->loc, s, n)) != NULL)
		return x;
	return name_find(&sc->glob, s, n);
}

/* ---- value helpers ---- */

static void
val_none(struct val *v)
{
	v->kind = VK_NONE;
	v->resolved = v->trunc = v->path = v->decoded = v->via = 0;
	v->ints = v->literal = v->dict = v->copied = 0;
	v->fold = 0;
	v->len = v->nelem = 0;
	v->ival = 0;
	v->s[0] = '\0';
}

static void
val_copy(struct val *d, const struct val *s)
{
	/* Only the used part of the buffer. */
	memcpy(d, s, offsetof(struct val, s));
	memcpy(d->s, s->s, s->len);
	d->s[s->len] = '\0';
}

static void
val_unknown(struct val *v)
{
	uint8_t dec = v->decoded;
	uint16_t fold = v->fold;
	struct pos at = v->at;

	val_none(v);
	v->kind = VK_UNKNOWN;
	v->decoded = dec;
	v->fold = fold;
	v->at = at;
}

static int
is_const(const struct val *v)
{
	return v->kind == VK_STR || v->kind == VK_BYTES;
}

/* Appends n bytes; past max_fold the value is cut and marked. */
static void
val_append(struct scan *sc, struct val *v, const void *p, size_t n)
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

static void
val_utf8(struct scan *sc, struct val *v, uint32_t cp)
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
	val_append(sc, v, b, n);
}

/*
 * The value of a string literal's body: escapes decoded (not for raw
 * strings), cut at max_fold. An escape spelling a printable ASCII
 * character marks the fold "escape": nobody writes \x65 for 'e' honestly.
 */
static void
literal_value(struct scan *sc, struct val *v, const char *b, size_t n,
    int raw, int bytes)
{
	size_t i, k;
	uint32_t cp;
	int d;

	val_none(v);
	v->kind = bytes ? VK_BYTES : VK_STR;
	v->literal = 1;
	for (i = 0; i < n && !v->trunc; i++) {
		if (b[i] != '\\' || raw || i + 1 >= n) {
			val_append(sc, v, b + i, 1);
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
		case '\\': case '\'': case '"': cp = (unsigned char)b[i]; break;
		case 'x': case 'u': case 'U':
			k = b[i] == 'x' ? 2 : b[i] == 'u' ? 4 : 8;
			if ((b[i] != 'x' && bytes) || k > n - i - 1) {
				val_append(sc, v, b + i - 1, 2);
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

				val_append(sc, v, &c, 1);
			} else
				val_utf8(sc, v, cp);
			continue;
		case 'N':
			/* \N{NAME}: not resolved; keep the text */
			val_append(sc, v, b + i - 1, 2);
			v->fold |= FO_ESCAPE;
			continue;
		default:
			if (b[i] >= '0' && b[i] <= '7') {
				for (k = 0; k < 3 && i < n && b[i] >= '0' &&
				    b[i] <= '7'; k++, i++)
					cp = cp * 8 + (uint32_t)(b[i] - '0');
				i--;
				if (cp > 0x20 && cp < 0x7f)
					v->fold |= FO_ESCAPE;
				if (bytes) {
					char c = (char)cp;

					val_append(sc, v, &c, 1);
				} else
					val_utf8(sc, v, cp);
				continue;
			}
			val_append(sc, v, b + i - 1, 2);
			continue;
		}
		if (bytes) {
			char c = (char)cp;

			val_append(sc, v, &c, 1);
		} else
			val_utf8(sc, v, cp);
	}
}

/* ---- frames ---- */

static struct frame *
top(struct scan *sc)
{
	return &sc->fr[sc->nfr - 1];
}

static void
frame_reset_elem(struct frame *f)
{
	val_none(&f->acc);
	val_none(&f->cur);
	val_none(&f->mrecv);
	f->dirty = f->pending = f->after_dot = f->last_value = 0;
	f->flags_or = 0;
	f->fold_or = 0;
	f->lambdas = f->skip_eq = f->simple = f->annot = 0;
	f->at_start = 1;
	f->kw[0] = '\0';
}

static struct frame *
frame_push(struct scan *sc, enum fk kind)
{
	struct frame *f, *nf;
	size_t ncap;

	if (sc->nfr == sc->capfr) {
		ncap = sc->capfr ? sc->capfr * 2 : 8;
		if (ncap > PF_MAX_PY_NEST + 2)
			ncap = PF_MAX_PY_NEST + 2;
		if (sc->nfr >= ncap)
			return NULL;	/* the tokenizer's cap comes first */
		if ((nf = reallocarray(sc->fr, ncap, sizeof(*nf))) == NULL) {
			nomem(sc);
			return NULL;
		}
		sc->fr = nf;
		sc->capfr = ncap;
	}
	f = &sc->fr[sc->nfr++];
	f->kind = (uint8_t)kind;
	frame_reset_elem(f);
	f->comp = f->in_iter = f->comp_if = f->commas = f->slice = 0;
	f->has_field = f->nargs = f->nkw = 0;
	f->list_ok = 1;
	val_none(&f->callee);
	val_none(&f->recv);
	val_none(&f->elem);
	val_none(&f->iter);
	val_none(&f->list);
	f->list.kind = VK_LIST;
	f->list.ints = 1;
	return f;
}

/* ---- reporting ---- */

static int
import_time(const struct scan *sc)
{
	size_t i;

	if (sc->o->no_import_time)
		return 0;
	if (sc->inline_block == BK_FUNC || sc->inline_block == BK_MAIN)
		return 0;
	for (i = 0; i < sc->nblocks; i++)
		if (sc->blocks[i].kind == BK_FUNC ||
		    sc->blocks[i].kind == BK_MAIN)
			return 0;
	return 1;
}

static int
seen(struct scan *sc, size_t rule, uint32_t line)
{
	uint64_t key = ((uint64_t)rule << 32) | line, *n;
	size_t i;

	for (i = 0; i < sc->nseen; i++)
		if (sc->seen[i] == key)
			return 1;
	if (sc->nseen == sc->seencap) {
		size_t cap = sc->seencap ? sc->seencap * 2 : 64;

		if ((n = reallocarray(sc->seen, cap, sizeof(*n))) == NULL) {
			nomem(sc);
			return 1;
		}
		sc->seen = n;
		sc->seencap = cap;
	}
	sc->seen[sc->nseen++] = key;
	return 0;
}

/*
 * Adds "RULE 'NAME' on line N" to what a def's body is known to do, for the
 * message of a module-level call of it; past PF_PY_BODY_NOTES, "and more".
 */
static void
body_note(struct scan *sc, struct name *x, const char *rule,
    const char *name, size_t nlen, uint32_t line)
{
	char item[PF_PY_BODY_ITEM];
	size_t have, add;
	int n;

	if (x->nbody > PF_PY_BODY_NOTES)
		return;
	if (x->nbody == PF_PY_BODY_NOTES)
		n = snprintf(item, sizeof(item), ", and more");
	else
		n = snprintf(item, sizeof(item), "%s%s '%.*s' on line %lu",
		    x->nbody ? ", " : "", rule, (int)(nlen > 64 ? 64 : nlen),
		    name, (unsigned long)line);
	if (n < 0)
		return;
	add = (size_t)n < sizeof(item) ? (size_t)n : sizeof(item) - 1;
	for (n = 0; (size_t)n < add; n++)
		if ((unsigned char)item[n] < 0x20)
			item[n] = '?';
	have = x->body != NULL ? strlen(x->body) : 0;
	{
		char *nb = realloc(x->body, have + add + 1);

		if (nb == NULL) {
			nomem(sc);
			return;
		}
		memcpy(nb + have, item, add);
		nb[have + add] = '\0';
		x->body = nb;
	}
	x->nbody++;
}

/*
 * Records a finding (its rule, name and line, severity sev) on the
 * module-level def or class it sits in: a module-level call of that def
 * runs it on import.
 */
static void
note_def(struct scan *sc, enum pf_sev sev, const char *rule, const char *name,
    size_t nlen, uint32_t line)
{
	struct name *x;

	if (sc->nblocks == 0 || sc->blocks[0].name[0] == '\0')
		return;
	if (sc->blocks[0].kind == BK_CLASS) {
		/* only what runs when the class is instantiated */
		if (sc->nblocks < 2 ||
		    (strcmp(sc->blocks[1].name, "__init__") != 0 &&
		        strcmp(sc->blocks[1].name, "__new__") != 0 &&
		        strcmp(sc->blocks[1].name, "__post_init__") != 0))
			return;
	} else if (sc->blocks[0].kind != BK_FUNC)
		return;
	x = name_find(&sc->glob, sc->blocks[0].name,
	    strlen(sc->blocks[0].name));
	if (x == NULL || x->kind != NK_DEF)
		return;
	if (!x->has_sev || x->sev < sev) {
		x->has_sev = 1;
		x->sev = (uint8_t)sev;
	}
	body_note(sc, x, rule, name, nlen, line);
}

/* Back to a character boundary, never below lo (the bytes may be invalid). */
static size_t
utf8_back(const char *s, size_t i, size_t lo)
{
	size_t k;

	for (k = 0; k < 3 && i > lo && ((unsigned char)s[i] & 0xc0) == 0x80;
	     k++)
		i--;
	return i;
}

static int
emit(struct scan *sc, const struct rule *r, const char *name, size_t nlen,
    const struct pos *at, const char *via, const char *fold, int itime)
{
	struct pf_pyscan_finding f;
	char msg[512], q[PF_MAX_PY_FOLD + 8], *b, vis[PF_MAX_EVIDENCE + 1];
	char look[PF_MAX_PY_FOLD + 1], vname[PF_MAX_EVIDENCE + 1];
	int homo, hrule;
	const char *m, *brace;
	size_t i, start, stop, max, lo, off, clen;
	uint32_t cp;
	enum pf_sev sev = r->sev;

	if (sc->failed)
		return -1;
	if (sc->sev_override >= 0) {
		sev = (enum pf_sev)sc->sev_override;
		sc->sev_override = -1;
		itime = 0;	/* already the severity of what runs */
	}
	if (seen(sc, (size_t)(r - sc->rs->r), at->line))
		return sc->failed ? -1 : 0;
	if (itime && sc->o->escalate_import_time && sev < PF_SEV_CRITICAL &&
	    strcmp(r->category, "imports") != 0 &&
	    strcmp(r->category, "source") != 0 &&
	    strcmp(r->category, "import-time") != 0)
		sev = (enum pf_sev)(sev + 1);
	if (!itime && sev >= PF_SEV_MEDIUM)
		note_def(sc, sev, r->id, name, nlen, at->line);
	memset(&f, 0, sizeof(f));
	f.cell = -1;
	f.import_time = import_time(sc);
	f.rule = r->id;
	f.category = r->category;
	f.bandit = r->bandit;
	f.severity = sev;
	f.name = name;
	f.name_len = nlen;
	/* a name that passes for an ASCII one is shown with its look-alikes */
	hrule = r->builtin != NULL &&
	    strcmp(r->builtin, "source-homoglyph") == 0;
	for (i = 0; i < nlen && (unsigned char)name[i] < 0x80; i++)
		;
	homo = hrule || (i < nlen &&
	    pf_pyuni_homoglyph(name, nlen, look, sizeof(look)));
	if (homo && !hrule) {
		int cut;

		f.name_len = pf_pyuni_visible(name, nlen, 1, vname,
		    sizeof(vname), &cut);
		f.name = vname;
	}
	f.off = sc->base_off + at->off;
	f.line = at->line;
	f.col = at->col;
	f.via = via;
	f.fold = fold;
	/* The message: {name} becomes the quoted name. */
	(void)snprintf(q, sizeof(q), "'%.*s'", (int)(f.name_len >
	    PF_MAX_PY_FOLD ? PF_MAX_PY_FOLD : f.name_len), f.name);
	for (i = 0; i < strlen(q); i++)
		if ((unsigned char)q[i] < 0x20)
			q[i] = '?';
	m = r->message;
	msg[0] = '\0';
	if ((brace = strstr(m, "{name}")) != NULL)
		(void)snprintf(msg, sizeof(msg), "%.*s%s%s", (int)(brace - m),
		    m, q, brace + 6);
	else
		(void)snprintf(msg, sizeof(msg), "%s", m);
	/* {body}: what the body of a called def does (import-time) */
	if ((b = strstr(msg, "{body}")) != NULL) {
		char tail[sizeof(msg)];

		(void)snprintf(tail, sizeof(tail), "%s", b + 6);
		(void)snprintf(b, sizeof(msg) - (size_t)(b - msg), "%s%s",
		    sc->body != NULL ? sc->body : "", tail);
	}
	sc->body = NULL;
	f.message = msg;
	/* The source line around the finding, cut on UTF-8 boundaries. */
	if (at->line > 0 && at->line_off <= sc->len) {
		max = sc->o->source_max ? sc->o->source_max : 160;
		lo = at->line_off;
		start = lo;
		if (at->off > lo && at->off - lo > max / 2) {
			start = utf8_back(sc->src, at->off - max / 2, lo);
		}
		for (stop = start; stop < sc->len && sc->src[stop] != '\n' &&
		    sc->src[stop] != '\r' && stop - start < max; stop++)
			;
		if (stop < sc->len && stop - start >= max &&
		    sc->src[stop] != '\n' && sc->src[stop] != '\r') {
			stop = utf8_back(sc->src, stop, start);
			f.source_cut_after = 1;
		}
		f.source = sc->src + start;
		f.source_len = stop - start;
		f.source_cut_before = start > lo;
		off = 0;
		/* what a reviewer could not see in the line, made visible */
		if (homo || pf_pyuni_next(f.source, f.source_len, &off, &cp,
		    &clen) != PF_PYUNI_NONE) {
			int cut;

			f.source_len = pf_pyuni_visible(f.source, f.source_len,
			    1, vis, sizeof(vis), &cut);
			f.source = vis;
			f.source_cut_after |= cut;
		}
	}
	if (sc->cb(sc->ctx, &f) == -1) {
		sc->failed = 1;
		return -1;
	}
	return 0;
}

static int
report_builtin(struct scan *sc, const char *b, const char *name, size_t nlen,
    const struct pos *at, const char *via, const char *fold)
{
	const struct rule *r = builtin_rule(sc->rs, b);

	if (r == NULL)
		return 0;
	return emit(sc, r, name, nlen, at, via, fold, import_time(sc));
}

static const char *
fold_name(unsigned fold)
{
	size_t i;

	for (i = 0; i < sizeof(fold_names) / sizeof(fold_names[0]); i++)
		if (fold & (1u << i))
			return fold_names[i];
	return NULL;
}

/* ---- rule matching ---- */

/* The argument a test names: the receiver, keyword or position. */
static const struct val *
test_arg(const struct frame *f, const struct test *t)
{
	size_t i;

	if (t->recv)
		return &f->recv;
	if (t->kw != NULL)
		for (i = 0; i < f->nkw; i++)
			if (strcmp(f->kwname[i], t->kw) == 0)
				return &f->kwargs[i];
	if (t->pos >= 0 && t->pos < f->nargs && t->pos < NARGS)
		return &f->args[t->pos];
	return NULL;
}

/* A path that leaves the model folder: absolute, home, or '..'. */
static int
outside(const struct val *v)
{
	const char *s = v->s;

	if (!is_const(v) || v->len == 0)
		return 0;
	return s[0] == '/' || s[0] == '~' || s[0] == '\\' || s[0] == '$' ||
	    strncmp(s, "../", 3) == 0 || strcmp(s, "..") == 0 ||
	    strstr(s, "/../") != NULL ||
	    (v->len > 2 && s[1] == ':' && (s[2] == '\\' || s[2] == '/'));
}

static int
test_holds(const struct frame *f, const struct test *t)
{
	const struct val *v = test_arg(f, t);

	if (v == NULL)
		return 0;
	if (t->is == IS_TRUE && v->kind != VK_TRUE)
		return 0;
	if (t->is == IS_OUTSIDE && !outside(v))
		return 0;
	if (t->in != NULL && (v->kind != VK_REF || !v->resolved ||
	    !strv_match(t->in, v->s, v->len, 0)))
		return 0;
	if (t->glob != NULL && (!is_const(v) || v->trunc ||
	    !strv_match(t->glob, v->s, v->len, 1)))
		return 0;
	if (t->name != NULL && (v->kind != VK_REF ||
	    !strv_match(t->name, v->s, v->len, 0)))
		return 0;
	return 1;
}

/* "when": every test holds (any is 0: all of them); "unless": any one. */
static int
tests_hold(const struct frame *f, const struct test *t, size_t n, int any)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (test_holds(f, &t[i]) == any)
			return any;
	return !any;
}

/*
 * Fires the rules of one kind whose patterns match name. f holds the
 * arguments (NULL for a bare reference: only unconditional rules with
 * refs fire). One finding per category at most: table order decides.
 */
/* Does the matcher's pattern list match name? Prefilters first. */
static int
matcher_match(const struct matcher *m, const char *name, size_t n,
    size_t root, const char *lower)
{
	size_t i;

	for (i = 0; m->pats[i] != NULL; i++) {
		if (lower != NULL) {
			if (m->litlen[i] > 0 && memmem(lower, n, m->lits[i],
			    m->litlen[i]) == NULL)
				continue;
		} else if (!m->wild && (m->rootlen[i] != root ||
		    memcmp(m->roots[i], name, root) != 0))
			continue;
		if (glob_match(m->pats[i], name, n, lower != NULL))
			return 1;
	}
	return 0;
}

/*
 * Fires the rules of one kind whose patterns match name. f holds the
 * arguments (NULL for a bare reference: only unconditional rules with
 * refs fire). One finding per category at most: table order decides.
 */
static int
match_rules(struct scan *sc, enum mkind kind, const char *name, size_t n,
    int resolved, const struct frame *f, const struct pos *at, const char *via,
    const char *fold)
{
	char lowbuf[1024], *lower = NULL, *to_free = NULL;
	int done[16];
	size_t ndone = 0, i, k, root;
	const char *dot;
	int skip, known, itime = import_time(sc), r_ = 0;

	if (kind == M_STRINGS && n < sc->rs->min_string)
		return 0;
	dot = memchr(name, '.', n);
	root = dot ? (size_t)(dot - name) : n;
	if (kind == M_STRINGS) {
		if (n < sizeof(lowbuf))
			lower = lowbuf;
		else if ((lower = to_free = malloc(n)) == NULL)
			return nomem(sc);
		for (i = 0; i < n; i++)
			lower[i] = (char)tolower((unsigned char)name[i]);
		/* no pattern's literal can start anywhere: nothing to match */
		if (sc->rs->bigram_ok) {
			size_t b;

			for (i = 0; i + 1 < n; i++) {
				b = (size_t)(unsigned char)lower[i] << 8 |
				    (unsigned char)lower[i + 1];
				if (sc->rs->bigram[b >> 3] & (1u << (b & 7)))
					break;
			}
			if (i + 1 >= n)
				goto out;
		}
	}
	known = kind == M_STRINGS || root_known(sc->rs, kind, name, root);
	for (i = 0; i < sc->rs->nbykind[kind] && !sc->failed; i++) {
		const struct rule *r = sc->rs->bykind[kind][i].r;
		const struct matcher *m = sc->rs->bykind[kind][i].m;

		if (!known && !m->wild)
			continue;

		for (k = 0, skip = 0; k < ndone; k++)
			if (done[k] == r->cat)
				skip = 1;
		if (skip)
			continue;
		if (kind == M_CALLS && f == NULL &&
		    (!m->refs || m->nwhen || m->nunless))
			continue;
		if (kind == M_CALLS && !resolved && !(m->pats[0] &&
		    (m->pats[0][0] == '*' || m->pats[0][0] == '<')))
			continue;
		if (!matcher_match(m, name, n, root, lower))
			continue;
		if (strv_match(m->except, name, n, 0))
			continue;
		if (m->nwhen &&
		    (f == NULL || !tests_hold(f, m->when, m->nwhen, 0)))
			continue;
		if (m->nunless && f != NULL &&
		    tests_hold(f, m->unless, m->nunless, 1))
			continue;
		if (emit(sc, r, name, n, at, via, fold, itime) == -1) {
			r_ = -1;
			goto out;
		}
		if (ndone < 16)
			done[ndone++] = r->cat;
	}
out:
	free(to_free);
	return sc->failed ? -1 : r_;
}

/* Strings rules on a finished constant value (not docstrings). */
static int
check_strings(struct scan *sc, const struct val *v)
{
	char buf[PF_MAX_PY_FOLD + 1];
	size_t i, n;

	if (v->trunc || v->len == 0 || v->copied)
		return 0;
	if (is_const(v))
		return match_rules(sc, M_STRINGS, v->s, v->len, 1, NULL, &v->at,
		    NULL, fold_name(v->fold));
	if (v->kind == VK_LIST && v->nelem > 1 && !v->ints) {
		for (i = 0; i < v->len && v->s[i] == '\0'; i++)
			;
		memcpy(buf, v->s + i, v->len - i);
		n = v->len - i;
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		return match_rules(sc, M_STRINGS, buf, n, 1, NULL, &v->at,
		    NULL, NULL);
	}
	return 0;
}

/* ---- name resolution ---- */

#define KW(s) { s, sizeof(s) - 1 }
struct word {
	const char *s;
	size_t n;
};

static const struct word builtins_list[] = {
	KW("exec"), KW("eval"), KW("compile"), KW("__import__"), KW("open"),
	KW("getattr"), KW("setattr"), KW("delattr"), KW("globals"),
	KW("locals"), KW("vars"), KW("chr"), KW("bytes"), KW("bytearray"),
	KW("str"), KW("map"), KW("dict"), KW("list"), KW("repr"),
	KW("breakpoint"), KW("memoryview"), KW("type"), KW("reversed"),
	{ NULL, 0 }
};

/* Module names that are another's alias: the first component is swapped. */
static const char *const roots[][2] = {
	{ "posix", "os" }, { "nt", "os" }, { "__builtin__", "builtins" },
	{ "__builtins__", "builtins" }, { "cPickle", "pickle" },
	{ "_pickle", "pickle" }, { "_io", "io" }, { "_socket", "socket" },
	{ "urllib2", "urllib.request" }, { NULL, NULL }
};

static void
normalize(struct scan *sc, struct val *v)
{
	char tmp[2 * PF_MAX_PY_FOLD + 2];
	const char *dot = memchr(v->s, '.', v->len);
	size_t i, n, rl, rest;

	n = dot ? (size_t)(dot - v->s) : v->len;
	for (i = 0; roots[i][0] != NULL; i++) {
		if (strlen(roots[i][0]) != n ||
		    memcmp(v->s, roots[i][0], n) != 0)
			continue;
		rl = strlen(roots[i][1]);
		rest = v->len - n;
		memcpy(tmp, roots[i][1], rl);
		memcpy(tmp + rl, v->s + n, rest);
		v->len = 0;
		v->trunc = 0;
		val_append(sc, v, tmp, rl + rest);
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
	static const struct { uint32_t cp; char c;
	} one[] = {{0x017f, 's'}, {0x212a, 'K'}, {0x212f, 'e'}, {0x210e, 'h'},
	    {0x2071, 'i'}, {0x207f, 'n'}, {0x2090, 'a'}, {0x2091, 'e'},
	    {0x2092, 'o'}, {0x2093, 'x'}, {0x2095, 'h'}, {0x2096, 'k'},
	    {0x2097, 'l'}, {0x2098, 'm'}, {0x2099, 'n'}, {0x209a, 'p'},
	    {0x209b, 's'}, {0x209c, 't'}, {0x2102, 'C'}, {0x210a, 'g'},
	    {0x210b, 'H'}, {0x210c, 'H'}, {0x210d, 'H'}, {0x2110, 'I'},
	    {0x2111, 'I'}, {0x2112, 'L'}, {0x2113, 'l'}, {0x2115, 'N'},
	    {0x2119, 'P'}, {0x211a, 'Q'}, {0x211b, 'R'}, {0x211c, 'R'},
	    {0x211d, 'R'}, {0x2124, 'Z'}, {0x2128, 'Z'}, {0x212c, 'B'},
	    {0x212d, 'C'}, {0x2130, 'E'}, {0x2131, 'F'}, {0x2133, 'M'},
	    {0x2134, 'o'}, {0x2139, 'i'}, {0x02b0, 'h'}, {0x02b2, 'j'},
	    {0x02b3, 'r'}, {0x02b7, 'w'}, {0x02b8, 'y'}, {0x02e1, 'l'},
	    {0x02e2, 's'}, {0x02e3, 'x'}, {0x1d43, 'a'}, {0x1d47, 'b'},
	    {0x1d48, 'd'}, {0x1d49, 'e'}, {0x1d4d, 'g'}, {0x1d4f, 'k'},
	    {0x1d50, 'm'}, {0x1d52, 'o'}, {0x1d56, 'p'}, {0x1d57, 't'},
	    {0x1d58, 'u'}, {0x1d5b, 'v'}, {0x1d9c, 'c'}, {0x1da0, 'f'},
	    {0x1dbb, 'z'}, {0xfe33, '_'}, {0xfe34, '_'}, {0xfe4d, '_'},
	    {0xfe4e, '_'}, {0xfe4f, '_'}, {0xff3f, '_'}};
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

static int
ident_fold(const char *p, size_t n, char *out, size_t outsz, size_t *outn)
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
			    strv_match(rs->r[i].m[j].pats, s, n, 0))
				return 1;
	return 0;
}

static void
ref_set(struct scan *sc, struct val *v, const char *s, size_t n, int resolved)
{
	struct pos at = v->at;

	val_none(v);
	v->at = at;
	v->kind = VK_REF;
	v->resolved = (uint8_t)resolved;
	val_append(sc, v, s, n);
	if (v->trunc)
		v->resolved = 0;
}

/* The value a bare name stands for at this point of the file. */
static int
name_value(struct scan *sc, const char *s, size_t n, struct val *v)
{
	char buf[PF_MAX_PY_FOLD * 2 + 2];
	struct name *x;
	struct pos at = v->at;
	size_t i;

	x = lookup(sc, s, n);
	if (x != NULL && (x->kind == NK_ALIAS || x->kind == NK_CONST) &&
	    x->v != NULL) {
		val_copy(v, x->v);
		v->at = at;
		v->literal = 0;
		v->copied = 1;
		return 0;
	}
	if (x != NULL) {
		ref_set(sc, v, s, n, 0);
		return 0;
	}
	if (n == 12 && memcmp(s, "__builtins__", 12) == 0) {
		ref_set(sc, v, "builtins", 8, 1);
		v->dict = 1;
		return report_builtin(
		    sc, "namespace", s, n, &v->at, NULL, NULL);
	}
	if (is_builtin(s, n)) {
		(void)snprintf(buf, sizeof(buf), "builtins.%.*s", (int)n, s);
		ref_set(sc, v, buf, strlen(buf), 1);
		return 0;
	}
	for (i = 0; i < sc->nstar; i++) {
		(void)snprintf(buf, sizeof(buf), "%s.%.*s", sc->star[i],
		    (int)(n > PF_MAX_PY_FOLD ? PF_MAX_PY_FOLD : n), s);
		if (rule_names(sc->rs, buf, strlen(buf))) {
			ref_set(sc, v, buf, strlen(buf), 1);
			return 0;
		}
	}
	ref_set(sc, v, s, n, 0);
	return 0;
}

static int
bind(struct scan *sc, const char *s, size_t n, enum nk kind,
    const struct val *v)
{
	struct name *x =
	    name_get(sc, in_scope(sc) ? &sc->loc : &sc->glob, s, n);

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
		return nomem(sc);
	val_copy(x->v, v);
	return 0;
}

/* ---- decoders for folding ---- */

static void
fold_rot13(struct val *v)
{
	size_t i;
	char c;

	for (i = 0; i < v->len; i++) {
		c = v->s[i];
		if (c >= 'a' && c <= 'z')
			v->s[i] = (char)('a' + (c - 'a' + 13) % 26);
		else if (c >= 'A' && c <= 'Z')
			v->s[i] = (char)('A' + (c - 'A' + 13) % 26);
	}
}

static int
b64val(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

/* Decodes in (base 64, 32 or 16) into out; 0, or -1 when not decodable. */
static int
decode_base(struct scan *sc, const struct val *in, struct val *out, int base,
    int url)
{
	uint32_t acc = 0;
	int bits = 0, d, per = base == 64 ? 6 : base == 32 ? 5 : 4;
	size_t i;
	char c;

	out->kind = VK_BYTES;
	out->len = 0;
	if (in->trunc)
		out->trunc = 1;
	for (i = 0; i < in->len; i++) {
		c = in->s[i];
		if (c == '=' || c == '\n' || c == '\r' || c == ' ')
			continue;
		if (base == 64)
			d = b64val((unsigned char)c, url);
		else if (base == 32)
			d = (c >= 'A' && c <= 'Z') ? c - 'A' :
			    (c >= '2' && c <= '7') ? c - '2' + 26 : -1;
		else
			d = pf_hexval((unsigned char)c);
		if (d < 0)
			return -1;
		acc = (acc << per) | (uint32_t)d;
		bits += per;
		if (bits >= 8) {
			bits -= 8;
			c = (char)((acc >> bits) & 0xff);
			val_append(sc, out, &c, 1);
		}
	}
	return 0;
}

static int
streq(const struct val *v, const char *s)
{
	return v->s[0] == s[0] && strlen(s) == v->len &&
	    memcmp(v->s, s, v->len) == 0;
}

static int
name_is(const struct val *v, const char *s)
{
	return v->kind == VK_REF && v->resolved && streq(v, s);
}

/* An argument by position or keyword, or NULL. */
static const struct val *
arg(const struct frame *f, int pos, const char *kw)
{
	size_t i;

	if (kw != NULL)
		for (i = 0; i < f->nkw; i++)
			if (strcmp(f->kwname[i], kw) == 0)
				return &f->kwargs[i];
	if (pos >= 0 && pos < f->nargs && pos < NARGS)
		return &f->args[pos];
	return NULL;
}

static void
list_join(struct scan *sc, const struct val *list, const char *sep, size_t sl,
    struct val *out)
{
	size_t i, start = 0;

	out->kind = VK_STR;
	out->len = 0;
	out->trunc = list->trunc;
	for (i = 0; i <= list->len; i++) {
		if (i < list->len && list->s[i] != '\0')
			continue;
		if (start > 0)
			val_append(sc, out, sep, sl);
		val_append(sc, out, list->s + start, i - start);
		start = i + 1;
		if (start == 0)
			break;
	}
}

/* Only calls of these modules and constants' methods fold to a value. */
/*
 * Objects whose methods the rules name: an archive opened with tarfile or
 * zipfile ("<tar>", "<zip>"; "<tar:host>" when its path is a constant
 * outside the model folder, a file of the machine rather than of the
 * model or the network) and a socket ("<socket>").
 */
static const char *
object_kind(const struct frame *f)
{
	const struct val *c = &f->callee, *a;
	int tar;

	if (name_is(c, "socket.socket"))
		return "<socket>";
	tar = name_is(c, "tarfile.open") || name_is(c, "tarfile.TarFile") ||
	    name_is(c, "tarfile.TarFile.open");
	if (!tar && !name_is(c, "zipfile.ZipFile"))
		return NULL;
	a = arg(f, 0, tar ? "name" : "file");
	if (a != NULL && outside(a))
		return tar ? "<tar:host>" : "<zip:host>";
	return tar ? "<tar>" : "<zip>";
}

/* A value that is one of object_kind()'s objects. */
static int
is_object(const struct val *v)
{
	return v->kind == VK_REF && v->s[0] == '<' &&
	    memchr(v->s, '.', v->len) == NULL;
}

static int
foldable(const struct val *c)
{
	static const char *const roots_fold[] = {"builtins.", "base64.",
	    "binascii.", "codecs.", "zlib.", "gzip.", "bz2.", "lzma.",
	    "marshal.", "importlib.", "pathlib.", "os.", "tempfile.", "<",
	    NULL};
	size_t i, k;

	for (i = 0; roots_fold[i] != NULL; i++) {
		k = strlen(roots_fold[i]);
		if (c->len >= k && memcmp(c->s, roots_fold[i], k) == 0)
			return 1;
	}
	return 0;
}

/* The value of a call whose result we can compute from constants. */
static void
fold_call(struct scan *sc, const struct frame *f, struct val *out)
{
	const struct val *c = &f->callee, *a0 = arg(f, 0, NULL), *a1, *ev;
	struct val tmp;
	const char *obj;
	size_t i, k;
	int codec;

	val_none(out);
	out->at = c->at;
	out->kind = VK_UNKNOWN;
	for (i = 0; i < f->nargs && i < NARGS; i++) {
		out->decoded |= f->args[i].decoded;
		out->fold |= f->args[i].fold;
	}
	out->decoded |= f->recv.decoded;
	out->fold |= f->recv.fold;
	if (c->kind != VK_REF || (!c->resolved && c->s[0] != '<'))
		return;
	if ((obj = object_kind(f)) != NULL) {
		ref_set(sc, out, obj, strlen(obj), 0);
		out->at = c->at;
		return;
	}
	if (!foldable(c))
		return;
	if (name_is(c, "builtins.chr")) {
		if (a0 != NULL && a0->kind == VK_INT && a0->ival >= 0 &&
		    a0->ival <= 0x10ffff) {
			val_none(out);
			out->at = c->at;
			out->kind = VK_STR;
			out->fold = FO_CHR;
			val_utf8(sc, out, (uint32_t)a0->ival);
		} else if (a0 != NULL && a0->kind == VK_REF && !a0->resolved)
			out->kind = VK_CHRVAR;
		return;
	}
	if ((name_is(c, "builtins.bytes") ||
	        name_is(c, "builtins.bytearray")) &&
	    a0 != NULL) {
		if (a0->kind == VK_LIST && a0->ints) {
			/* the ints were kept as UTF-8 code points */
			val_none(out);
			out->at = c->at;
			out->kind = VK_BYTES;
			out->fold = a0->fold | FO_CHR;
			for (i = 0; i < a0->len; ) {
				unsigned char b = (unsigned char)a0->s[i];
				uint32_t cp = b;

				if (b == 0 && i + 0 < a0->len) {
					i++;
					continue;	/* separator */
				}
				if (b >= 0xc0 && i + 1 < a0->len) {
					cp = ((uint32_t)(b & 31) << 6) |
					    ((unsigned char)a0->s[i + 1] & 63);
					i += 2;
				} else
					i++;
				if (cp > 255) {
					out->kind = VK_UNKNOWN;
					return;
				}
				{
					char ch = (char)cp;

					val_append(sc, out, &ch, 1);
				}
			}
		} else if (a0->kind == VK_STR) {
			val_copy(out, a0);
			out->kind = VK_BYTES;
			out->at = c->at;
		}
		return;
	}
	if (name_is(c, "builtins.str") && a0 != NULL && is_const(a0)) {
		val_copy(out, a0);
		out->kind = VK_STR;
		out->at = c->at;
		return;
	}
	if (name_is(c, "builtins.map") && a0 != NULL &&
	    name_is(a0, "builtins.chr") && (a1 = arg(f, 1, NULL)) != NULL &&
	    a1->kind == VK_LIST && a1->ints) {
		val_copy(out, a1);
		out->ints = 0;
		out->fold |= FO_CHR;
		out->at = c->at;
		return;
	}
	if (name_is(c, "builtins.reversed") && a0 != NULL &&
	    a0->kind == VK_STR) {
		val_copy(out, a0);
		for (i = 0, k = out->len; i + 1 < k; i++, k--) {
			char t = out->s[i];

			out->s[i] = out->s[k - 1];
			out->s[k - 1] = t;
		}
		out->fold |= FO_REVERSE;
		out->at = c->at;
		return;
	}
	if (name_is(c, "builtins.bytes.fromhex") ||
	    name_is(c, "builtins.bytearray.fromhex") ||
	    name_is(c, "binascii.unhexlify") ||
	    name_is(c, "binascii.a2b_hex") || name_is(c, "base64.b16decode")) {
		out->decoded = 1;
		out->fold |= FO_HEX;
		if (a0 != NULL && is_const(a0)) {
			val_none(&tmp);
			if (decode_base(sc, a0, &tmp, 16, 0) == 0) {
				tmp.fold = a0->fold | FO_HEX;
				tmp.decoded = 1;
				tmp.at = c->at;
				val_copy(out, &tmp);
			}
		}
		return;
	}
	if (name_is(c, "base64.b64decode") ||
	    name_is(c, "base64.standard_b64decode") ||
	    name_is(c, "base64.urlsafe_b64decode") ||
	    name_is(c, "base64.decodebytes") ||
	    name_is(c, "base64.decodestring") ||
	    name_is(c, "binascii.a2b_base64") ||
	    name_is(c, "base64.b32decode")) {
		out->decoded = 1;
		out->fold |= FO_BASE64;
		if (a0 != NULL && is_const(a0)) {
			val_none(&tmp);
			if (decode_base(sc, a0, &tmp,
			        name_is(c, "base64.b32decode") ? 32 : 64,
			        name_is(c, "base64.urlsafe_b64decode")) == 0) {
				tmp.fold = a0->fold | FO_BASE64;
				tmp.decoded = 1;
				tmp.at = c->at;
				val_copy(out, &tmp);
			}
		}
		return;
	}
	if (name_is(c, "base64.b85decode") || name_is(c, "base64.a85decode")) {
		out->decoded = 1;
		out->fold |= FO_BASE64;
		return;
	}
	if (name_is(c, "zlib.decompress") || name_is(c, "gzip.decompress") ||
	    name_is(c, "bz2.decompress") || name_is(c, "lzma.decompress") ||
	    name_is(c, "marshal.loads")) {
		out->decoded = 1;
		out->fold |= FO_ZLIB;
		return;
	}
	if (name_is(c, "codecs.decode") || name_is(c, "codecs.encode")) {
		ev = arg(f, 1, "encoding");
		codec = 0;
		if (ev != NULL && is_const(ev)) {
			if (streq(ev, "rot13") || streq(ev, "rot_13") ||
			    streq(ev, "rot-13"))
				codec = 13;
			else if (streq(ev, "base64") || streq(ev, "base_64") ||
			    streq(ev, "base-64"))
				codec = 64;
			else if (streq(ev, "hex") || streq(ev, "hex_codec"))
				codec = 16;
			else if (streq(ev, "zlib") || streq(ev, "zip") ||
			    streq(ev, "bz2"))
				codec = 1;
		}
		if (codec == 0)
			return;
		out->decoded = 1;
		out->fold |= codec == 13 ? FO_ROT13 : codec == 64 ? FO_BASE64 :
		    codec == 16 ? FO_HEX : FO_ZLIB;
		if (a0 == NULL || !is_const(a0) || codec == 1)
			return;
		if (codec == 13) {
			val_copy(out, a0);
			fold_rot13(out);
		} else {
			val_none(&tmp);
			if (decode_base(sc, a0, &tmp, codec, 0) == -1)
				return;
			val_copy(out, &tmp);
		}
		out->fold |= a0->fold | (codec == 13 ? FO_ROT13 : codec == 64 ?
		    FO_BASE64 : FO_HEX);
		out->decoded = 1;
		out->at = c->at;
		return;
	}
	if (name_is(c, "builtins.getattr") && a0 != NULL &&
	    (a1 = arg(f, 1, NULL)) != NULL && a1->kind == VK_STR &&
	    !a1->trunc) {
		if (a0->kind == VK_NS) {
			name_value(sc, a1->s, a1->len, out);
		} else if (a0->kind == VK_REF) {
			char buf[PF_MAX_PY_FOLD * 2 + 2];

			(void)snprintf(buf, sizeof(buf), "%s.%s", a0->s, a1->s);
			ref_set(sc, out, buf, strlen(buf),
			    a0->resolved && !a0->trunc);
		} else
			return;
		out->via = VIA_GETATTR;
		out->fold = a1->fold;
		out->at = c->at;
		return;
	}
	if ((name_is(c, "builtins.__import__") ||
	    name_is(c, "importlib.import_module")) && a0 != NULL &&
	    a0->kind == VK_STR && !a0->trunc) {
		ref_set(sc, out, a0->s, a0->len, 1);
		normalize(sc, out);
		out->via = VIA_IMPORT;
		out->fold = a0->fold;
		out->at = c->at;
		return;
	}
	if ((name_is(c, "builtins.globals") || name_is(c, "builtins.locals") ||
	    name_is(c, "builtins.vars")) && f->nargs == 0) {
		out->kind = VK_NS;
		return;
	}
	if (name_is(c, "builtins.vars") && a0 != NULL && a0->kind == VK_REF) {
		val_copy(out, a0);
		out->dict = 1;
		out->at = c->at;
		return;
	}
	if (name_is(c, "pathlib.Path.home") ||
	    name_is(c, "os.path.expanduser") || name_is(c, "pathlib.Path") ||
	    name_is(c, "pathlib.PurePath") || name_is(c, "pathlib.PosixPath") ||
	    name_is(c, "os.path.expandvars") ||
	    name_is(c, "os.path.normpath") || name_is(c, "os.fspath") ||
	    name_is(c, "tempfile.gettempdir")) {
		if (name_is(c, "pathlib.Path.home")) {
			val_none(out);
			out->kind = VK_STR;
			val_append(sc, out, "~", 1);
		} else if (name_is(c, "tempfile.gettempdir")) {
			val_none(out);
			out->kind = VK_STR;
			val_append(sc, out, "/tmp", 4);
		} else if (a0 != NULL && is_const(a0))
			val_copy(out, a0);
		else
			return;
		out->kind = VK_STR;
		out->path = 1;
		out->at = c->at;
		return;
	}
	if (name_is(c, "os.path.join") || streq(c, "<path>.joinpath")) {
		val_none(out);
		out->at = c->at;
		out->kind = VK_STR;
		out->path = 1;
		if (c->s[0] == '<')
			val_copy(out, &f->recv);
		for (i = 0; i < f->nargs; i++) {
			if (i >= NARGS || !is_const(&f->args[i])) {
				out->kind = VK_UNKNOWN;
				return;
			}
			if (f->args[i].s[0] == '/')
				out->len = 0;
			else if (out->len > 0 && out->s[out->len - 1] != '/')
				val_append(sc, out, "/", 1);
			val_append(sc, out, f->args[i].s, f->args[i].len);
			out->fold |= f->args[i].fold;
		}
		out->kind = VK_STR;
		out->path = 1;
		out->at = c->at;
		return;
	}
	/* methods of constants */
	if (streq(c, "<str>.join") && a0 != NULL) {
		if (a0->kind == VK_LIST && !a0->ints)
			list_join(sc, a0, f->recv.s, f->recv.len, out);
		else if (a0->kind == VK_STR && f->recv.len == 0)
			val_copy(out, a0);
		else
			return;
		out->kind = VK_STR;
		out->fold |= a0->fold | FO_JOIN;
		out->decoded = a0->decoded;
		out->at = c->at;
		return;
	}
	if (streq(c, "<bytes>.decode") || streq(c, "<str>.encode") ||
	    streq(c, "<str>.lower") || streq(c, "<str>.upper") ||
	    streq(c, "<str>.strip") || streq(c, "<bytes>.lower") ||
	    streq(c, "<str>.casefold")) {
		val_copy(out, &f->recv);
		out->at = c->at;
		if (streq(c, "<bytes>.decode"))
			out->kind = VK_STR;
		else if (streq(c, "<str>.encode"))
			out->kind = VK_BYTES;
		else if (streq(c, "<str>.strip")) {
			k = 0;
			while (
			    k < out->len && isspace((unsigned char)out->s[k]))
				k++;
			memmove(out->s, out->s + k, out->len - k);
			out->len = (uint16_t)(out->len - k);
			while (out->len > 0 &&
			    isspace((unsigned char)out->s[out->len - 1]))
				out->len--;
			out->s[out->len] = '\0';
		} else {
			for (i = 0; i < out->len; i++)
				out->s[i] = (char)(streq(c, "<str>.upper") ?
				    toupper((unsigned char)out->s[i]) :
				    tolower((unsigned char)out->s[i]));
			out->fold |= FO_CASE;
		}
		return;
	}
	if (streq(c, "<str>.replace") && a0 != NULL && is_const(a0) &&
	    a0->len > 0 && (a1 = arg(f, 1, NULL)) != NULL && is_const(a1)) {
		val_none(&tmp);
		tmp.kind = VK_STR;
		for (i = 0; i < f->recv.len; ) {
			if (f->recv.len - i >= a0->len &&
			    memcmp(f->recv.s + i, a0->s, a0->len) == 0) {
				val_append(sc, &tmp, a1->s, a1->len);
				i += a0->len;
			} else
				val_append(sc, &tmp, f->recv.s + i++, 1);
		}
		tmp.fold = f->recv.fold | a0->fold | a1->fold | FO_REPLACE;
		tmp.decoded = f->recv.decoded;
		tmp.at = c->at;
		tmp.path = f->recv.path;
		val_copy(out, &tmp);
		return;
	}
	if (streq(c, "<path>.expanduser") || streq(c, "<path>.resolve") ||
	    streq(c, "<path>.absolute")) {
		val_copy(out, &f->recv);
		out->at = c->at;
		return;
	}
	if (streq(c, "<?>.decode") || streq(c, "<?>.encode")) {
		out->decoded |= f->recv.decoded;
		return;
	}
}

/* ---- expressions ---- */

/* The operand is complete: combine it with what came before. */
static void
operand_done(struct scan *sc, struct frame *f)
{
	struct val *a = &f->acc, *c = &f->cur;

	if (c->kind == VK_NONE) {
		if (f->pending)
			f->dirty = 1;
		f->pending = 0;
		return;
	}
	f->flags_or |= c->decoded;
	f->fold_or |= c->fold;
	if (f->pending && is_const(c) && !c->copied) {
		/* the pieces of a concatenation or a path */
		(void)check_strings(sc, c);
		if (is_const(a) && !a->copied && a->literal)
			(void)check_strings(sc, a);
	}
	if (a->kind == VK_NONE && !f->pending && !f->dirty)
		val_copy(a, c);
	else if (f->pending == '+' && a->kind == c->kind &&
	    (a->kind == VK_STR || a->kind == VK_BYTES)) {
		val_append(sc, a, c->s, c->len);
		a->trunc |= c->trunc;
		a->fold |= c->fold | FO_CONCAT;
		a->decoded |= c->decoded;
		a->path |= c->path;
		a->literal = 0;
		a->copied = 0;
	} else if (f->pending == '+' && a->kind == VK_LIST &&
	    c->kind == VK_LIST) {
		if (a->nelem > 0 && c->nelem > 0)
			val_append(sc, a, "", 1);
		val_append(sc, a, c->s, c->len);
		a->nelem = (uint16_t)(a->nelem + c->nelem);
		a->ints &= c->ints;
		a->fold |= c->fold | FO_CONCAT;
	} else if (f->pending == '/' && a->path && c->kind == VK_STR) {
		if (a->len > 0 && a->s[a->len - 1] != '/')
			val_append(sc, a, "/", 1);
		val_append(sc, a, c->s, c->len);
		a->fold |= c->fold;
		a->copied = 0;
	} else {
		f->dirty = 1;
		val_unknown(a);
	}
	f->pending = 0;
	val_none(c);
	f->simple = 0;
}

/* An operator or keyword we do not fold: the element is no constant. */
static void
mark_dirty(struct scan *sc, struct frame *f)
{
	operand_done(sc, f);
	f->flags_or |= f->acc.decoded;
	f->fold_or |= f->acc.fold;
	val_none(&f->acc);
	f->dirty = 1;
	f->last_value = 0;
	f->after_dot = 0;
}

/* The value of the element just finished; the element state is reset. */
static void
elem_end(struct scan *sc, struct frame *f, struct val *out)
{
	struct pos at;

	operand_done(sc, f);
	at = f->acc.at;
	val_copy(out, &f->acc);
	if (f->dirty) {
		val_unknown(out);
		out->decoded |= f->flags_or;
		out->fold |= f->fold_or;
		out->at = at;
	}
	frame_reset_elem(f);
}

static int
elem_empty(const struct frame *f)
{
	return f->cur.kind == VK_NONE && f->acc.kind == VK_NONE && !f->dirty &&
	    !f->pending;
}

static void
cur_set(struct scan *sc, struct frame *f, const struct val *v)
{
	if (f->cur.kind != VK_NONE)
		mark_dirty(sc, f);
	val_copy(&f->cur, v);
	f->last_value = 1;
	f->simple = 0;
}

static void
list_add(struct scan *sc, struct frame *f, const struct val *v)
{
	struct val *l = &f->list;

	if (v->kind == VK_STR || v->kind == VK_BYTES) {
		if (l->nelem > 0)
			val_append(sc, l, "", 1);
		val_append(sc, l, v->s, v->len);
		l->trunc |= v->trunc;
		l->ints = 0;
	} else if (v->kind == VK_INT && v->ival > 0 && v->ival <= 0x10ffff) {
		if (l->nelem > 0)
			val_append(sc, l, "", 1);
		val_utf8(sc, l, (uint32_t)v->ival);
	} else
		f->list_ok = 0;
	if (l->nelem < UINT16_MAX)
		l->nelem++;
	l->fold |= v->fold;
	l->decoded |= v->decoded;
}

/* What a comprehension yields, when it is a mapping of chr over ints. */
static void
comp_result(struct frame *f, struct val *out)
{
	if (!f->comp_if && f->in_iter && f->elem.kind == VK_CHRVAR &&
	    f->iter.kind == VK_LIST && f->iter.ints) {
		val_copy(out, &f->iter);
		out->ints = 0;
		out->fold |= FO_CHR;
		return;
	}
	val_none(out);
	out->kind = VK_UNKNOWN;
	out->decoded = f->elem.decoded | f->iter.decoded;
	out->fold = f->elem.fold | f->iter.fold;
	out->at = f->elem.at;
}

/* Ends one argument, element or index of frame f; *out gets its value. */
static void
arg_end(struct scan *sc, struct frame *f, struct val *out)
{
	char kw[KWLEN];
	size_t i;

	memcpy(kw, f->kw, KWLEN);
	if (f->comp) {
		if (f->in_iter && !f->comp_if)
			elem_end(sc, f, &f->iter);
		else
			elem_end(sc, f, out);
		comp_result(f, out);
		f->comp = f->in_iter = f->comp_if = 0;
	} else if (elem_empty(f)) {
		frame_reset_elem(f);
		val_none(out);
		return;
	} else
		elem_end(sc, f, out);
	(void)check_strings(sc, out);
	switch (f->kind) {
	case FK_CALL:
		if (kw[0] != '\0') {
			if (f->nkw < NKW) {
				i = f->nkw++;
				memcpy(f->kwname[i], kw, KWLEN);
				val_copy(&f->kwargs[i], out);
			}
		} else {
			if (f->nargs < NARGS)
				val_copy(&f->args[f->nargs], out);
			if (f->nargs < UINT8_MAX)
				f->nargs++;
		}
		break;
	case FK_PAREN:
	case FK_LIST:
	case FK_DICT:
		list_add(sc, f, out);
		break;
	case FK_SUB:
		val_copy(&f->args[0], out);
		f->nargs = 1;
		break;
	default:
		break;
	}
	f->kw[0] = '\0';
}

static const char *const sinks[] = {"builtins.exec", "builtins.eval",
    "builtins.compile", "builtins.__import__", "importlib.import_module",
    "marshal.loads", "pickle.loads", "dill.loads", "types.FunctionType",
    "types.CodeType", NULL};

static int
assign_event(struct scan *sc, const struct val *target, const struct val *index,
    const struct pos *at)
{
	struct frame *tmp;
	int r;

	if (target->kind != VK_REF || !target->resolved)
		return 0;
	if ((tmp = calloc(1, sizeof(*tmp))) == NULL)
		return nomem(sc);
	if (index != NULL) {
		val_copy(&tmp->args[0], index);
		tmp->nargs = 1;
	}
	r = match_rules(sc, M_ASSIGNS, target->s, target->len, 1, tmp, at,
	    via_names[target->via], fold_name(target->fold));
	free(tmp);
	return r;
}

static int
emit_sev(struct scan *sc, const char *b, enum pf_sev sev, const char *name,
    size_t n, const struct pos *at)
{
	const struct rule *r = builtin_rule(sc->rs, b);

	if (r == NULL)
		return 0;
	sc->sev_override = (int)sev;
	return emit(sc, r, name, n, at, NULL, NULL, 1);
}

/* Modules whose attributes run code: a computed name there hides it. */
static int
sensitive(const struct val *v)
{
	static const char *const mods[] = { "builtins", "os", "subprocess",
	    "sys", "importlib", "ctypes", "pickle", "marshal", "socket", "pty",
	    "shutil", "codecs", "base64", "types", "runpy", "dill", NULL };
	size_t i;

	for (i = 0; mods[i] != NULL; i++)
		if (streq(v, mods[i]))
			return 1;
	return 0;
}

static int
call_event(struct scan *sc, struct frame *f)
{
	const struct val *c = &f->callee, *a0 = arg(f, 0, NULL), *a1;
	char buf[PF_MAX_PY_FOLD * 2 + 2];
	struct val tv;
	struct name *x;
	size_t i;
	int r;

	if (c->kind != VK_REF)
		return 0;
	if (match_rules(sc, M_CALLS, c->s, c->len,
	        c->resolved || c->s[0] == '<', f, &c->at, via_names[c->via],
	        fold_name(c->fold)) == -1)
		return -1;
	if (c->resolved) {
		for (i = 0; sinks[i] != NULL; i++)
			if (streq(c, sinks[i]) && a0 != NULL && a0->decoded &&
			    report_builtin(sc, "decode-exec", c->s, c->len,
			        &c->at, NULL, fold_name(a0->fold)) == -1)
				return -1;
		if ((streq(c, "builtins.getattr") ||
		        streq(c, "builtins.setattr") ||
		        streq(c, "builtins.__import__") ||
		        streq(c, "importlib.import_module")) &&
		    (a1 = arg(f,
		         streq(c, "builtins.getattr") ||
		                 streq(c, "builtins.setattr")
		             ? 1
		             : 0,
		         NULL)) != NULL &&
		    a1->kind == VK_STR && a1->trunc &&
		    report_builtin(sc, "source-limit", "PF_MAX_PY_FOLD", 14,
		        &c->at, NULL, NULL) == -1)
			return -1;
		if (streq(c, "builtins.getattr") && a0 != NULL &&
		    a0->kind == VK_REF && a0->resolved && sensitive(a0) &&
		    ((a1 = arg(f, 1, NULL)) == NULL || a1->kind != VK_STR)) {
			/* getattr(os, <computed>): the name is hidden */
			(void)snprintf(buf, sizeof(buf), "%s.<?>", a0->s);
			if (report_builtin(sc, "constructed-name", buf,
			        strlen(buf), &c->at, "getattr",
			        "dynamic") == -1)
				return -1;
		}
		if (streq(c, "builtins.setattr") && a0 != NULL &&
		    (a1 = arg(f, 1, NULL)) != NULL && a1->kind == VK_STR &&
		    !a1->trunc && a0->kind == VK_REF) {
			(void)snprintf(buf, sizeof(buf), "%s.%s", a0->s, a1->s);
			val_none(&tv);
			tv.at = c->at;
			ref_set(sc, &tv, buf, strlen(buf), a0->resolved);
			tv.via = VIA_GETATTR;
			tv.fold = a1->fold;
			if (a1->fold && tv.resolved &&
			    report_builtin(sc, "constructed-name", tv.s, tv.len,
			    &c->at, "setattr", fold_name(a1->fold)) == -1)
				return -1;
			if (assign_event(sc, &tv, NULL, &c->at) == -1)
				return -1;
		}
		return 0;
	}
	/*
	 * A call of a local function whose body has findings: at module level
	 * it runs them on import; inside another def, that def does them too.
	 */
	if (c->s[0] != '<' && memchr(c->s, '.', c->len) == NULL &&
	    (x = name_find(&sc->glob, c->s, c->len)) != NULL &&
	    x->kind == NK_DEF && x->has_sev) {
		if (!import_time(sc)) {
			if (sc->nblocks == 0 ||
			    strcmp(sc->blocks[0].name, x->key) != 0)
				note_def(sc, (enum pf_sev)x->sev,
				    "calls", c->s, c->len,
				    c->at.line);
			return sc->failed ? -1 : 0;
		}
		sc->body = x->body;
		r = emit_sev(sc, "import-time", (enum pf_sev)x->sev, c->s,
		    c->len, &c->at);
		sc->body = NULL;
		return r;
	}
	return 0;
}

/* The result of a call; reports names built by obfuscation. */
static int
call_close(struct scan *sc, struct frame *f, struct val *out)
{
	struct val last;

	arg_end(sc, f, &last);
	if (call_event(sc, f) == -1)
		return -1;
	fold_call(sc, f, out);
	if ((out->via == VIA_GETATTR || out->via == VIA_IMPORT) && out->fold &&
	    out->kind == VK_REF &&
	    report_builtin(sc, "constructed-name", out->s, out->len, &out->at,
	        via_names[out->via], fold_name(out->fold)) == -1)
		return -1;
	return 0;
}

/*
 * Between the ':' of an annotated statement and its '=' (or its end) is the
 * annotation: an expression Python evaluates, or not, but never a target.
 */
static int
in_annotation(const struct scan *sc)
{
	return sc->annot && !sc->assign;
}

/*
 * A name read in an annotation or a def's signature names a type: the
 * rules with refs (a dangerous function handed on without a call) are for
 * values, and `proc: subprocess.Popen` hands nothing on.
 */
static int
in_type(const struct scan *sc)
{
	if (in_annotation(sc))
		return 1;
	if (sc->sk != SK_DEF)
		return 0;
	/* the return annotation, or a parameter's */
	return sc->nfr == 1 || (sc->nfr >= 2 && sc->fr[1].annot);
}

static int
is_assign_op(const struct pf_pytok *t)
{
	const char *p = t->p;

	if (t->type != PF_PYTOK_OP || (t->flags & PF_PYTOK_F_FIELD))
		return 0;
	switch (t->len) {
	case 1:
		return p[0] == '=';
	case 2:		/* += -= *= /= %= &= ^= |= @= */
		return p[1] == '=' && strchr("+-*/%&^|@", p[0]) != NULL;
	case 3:		/* //= **= >>= <<= */
		return p[2] == '=' && p[0] == p[1] && strchr("/*><", p[0]) != NULL;
	default:
		return 0;
	}
}

/* A statement-level ':' after this token starts an annotation (x[i]: T). */
static int
annot_colon(const struct scan *sc, const struct pf_pytok *next)
{
	return next->type == PF_PYTOK_OP && next->len == 1 &&
	    next->p[0] == ':' && !(next->flags & PF_PYTOK_F_FIELD) &&
	    sc->sk == SK_NONE && !sc->assign && !sc->annot &&
	    sc->fr[0].lambdas == 0;
}

static int
sub_close(struct scan *sc, struct frame *f, struct val *out,
    const struct pf_pytok *next)
{
	const struct val *base = &f->callee, *idx;
	char buf[PF_MAX_PY_FOLD * 2 + 2];
	struct val last;
	size_t i, k;
	int target = sc->nfr == 2 && !in_annotation(sc) &&
	    (is_assign_op(next) || annot_colon(sc, next));

	arg_end(sc, f, &last);
	idx = f->nargs ? &f->args[0] : NULL;
	val_none(out);
	out->at = base->at;
	out->kind = VK_UNKNOWN;
	out->decoded = base->decoded;
	out->fold = base->fold;
	if (f->slice == 4 && is_const(base)) {
		val_copy(out, base);
		for (i = 0, k = out->len; i + 1 < k; i++, k--) {
			char t = out->s[i];

			out->s[i] = out->s[k - 1];
			out->s[k - 1] = t;
		}
		out->fold |= FO_REVERSE;
		out->literal = 0;
		return 0;
	}
	if (target) {
		val_copy(&sc->lhs, base);
		if (idx != NULL)
			val_copy(&sc->lhs_index, idx);
		else
			val_none(&sc->lhs_index);
		sc->lhs_sub = 1;
		return 0;
	}
	if (idx != NULL && idx->kind == VK_STR && !idx->trunc) {
		if (base->kind == VK_NS) {
			name_value(sc, idx->s, idx->len, out);
			out->via = VIA_NAMESPACE;
			out->fold = idx->fold;
		} else if (base->kind == VK_REF && base->resolved &&
		    streq(base, "sys.modules")) {
			ref_set(sc, out, idx->s, idx->len, 1);
			normalize(sc, out);
			out->via = VIA_MODULES;
			out->fold = idx->fold;
		} else if (base->kind == VK_REF && base->resolved &&
		    (base->dict || streq(base, "builtins"))) {
			(void)snprintf(
			    buf, sizeof(buf), "%s.%s", base->s, idx->s);
			ref_set(sc, out, buf, strlen(buf), 1);
			out->via = VIA_NAMESPACE;
			out->fold = idx->fold;
		}
		out->at = base->at;
		/* a name reached through a namespace, not written out */
		if (out->kind == VK_REF && out->resolved &&
		    out->via == VIA_NAMESPACE &&
		    report_builtin(sc, "namespace", out->s, out->len, &out->at,
		    via_names[out->via], fold_name(out->fold)) == -1)
			return -1;
		if (out->kind == VK_REF && out->fold &&
		    report_builtin(sc, "constructed-name", out->s, out->len,
		    &out->at, via_names[out->via], fold_name(out->fold)) == -1)
			return -1;
	}
	if (base->kind == VK_REF && base->resolved)
		return match_rules(sc, M_SUBSCRIPTS, base->s, base->len, 1, f,
		    &base->at, NULL, NULL);
	return 0;
}

/* Closes the innermost bracket frame and hands its value to the parent. */
static int
close_frame(struct scan *sc, const struct pf_pytok *next)
{
	struct frame *f = top(sc), *p;
	struct val res;
	int r = 0, comp;

	if (sc->nfr <= 1)
		return 0;
	switch (f->kind) {
	case FK_CALL:
		r = call_close(sc, f, &res);
		break;
	case FK_SUB:
		r = sub_close(sc, f, &res, next);
		break;
	case FK_PAREN:
		comp = f->comp;
		if (f->commas == 0 && !comp) {
			elem_end(sc, f, &res);
			break;
		}
		arg_end(sc, f, &res);
		if (comp && f->commas == 0)
			break;
		if (f->list_ok)
			val_copy(&res, &f->list);
		else {
			val_copy(&res, &f->list);
			val_unknown(&res);
		}
		break;
	case FK_LIST:
		comp = f->comp;
		arg_end(sc, f, &res);
		if (comp)
			break;
		/* argv lists: the constant words, joined by spaces */
		if (!f->list_ok && check_strings(sc, &f->list) == -1)
			return -1;
		val_copy(&res, &f->list);
		if (!f->list_ok)
			val_unknown(&res);
		break;
	default:
		arg_end(sc, f, &res);
		val_copy(&res, &f->list);
		val_unknown(&res);
		break;
	}
	sc->nfr--;
	if (sc->nfr == 1)
		sc->def_params = 0;
	p = top(sc);
	if (res.kind == VK_NONE)
		res.kind = VK_UNKNOWN;
	cur_set(sc, p, &res);
	return r;
}

static struct frame *
open_frame(struct scan *sc, enum fk kind, const struct pf_pytok *t,
    int take_cur)
{
	struct frame *p = top(sc), *f;
	struct val callee, recv;

	if (take_cur) {
		val_copy(&callee, &p->cur);
		val_copy(&recv, &p->mrecv);
		val_none(&p->cur);
		val_none(&p->mrecv);
		p->last_value = 0;
		p->simple = 0;
	}
	if ((f = frame_push(sc, kind)) == NULL)
		return NULL;
	if (take_cur) {
		val_copy(&f->callee, &callee);
		val_copy(&f->recv, &recv);
	}
	f->list.at.off = t->off;
	f->list.at.line_off = t->line_off;
	f->list.at.line = t->line;
	f->list.at.col = t->col;
	return f;
}

/* ---- statements ---- */

static void
stmt_begin(struct scan *sc)
{
	sc->stmt_start = 1;
	sc->sk = SK_NONE;
	sc->header_if = sc->if_name = sc->if_main = 0;
	sc->def_name_next = sc->def_paren = 0;
	sc->assign = sc->annot = 0;
	val_none(&sc->lhs);
	val_none(&sc->lhs_index);
	sc->lhs_sub = sc->lhs_simple = 0;
	sc->lhs_name[0] = '\0';
	sc->as_next = sc->for_target = 0;
	sc->imp_state = 0;
	sc->imp_len = 0;
	sc->imp_mod[0] = sc->imp_as[0] = '\0';
	sc->imp_rel = sc->imp_star = 0;
	sc->nfr = 1;
	frame_reset_elem(&sc->fr[0]);
	sc->fr[0].callee.kind = VK_NONE;
}

static int
do_assign(struct scan *sc, const struct val *rhs, const struct pos *at)
{
	if (sc->lhs_simple) {
		if (rhs->kind == VK_REF && (rhs->resolved || is_object(rhs)))
			return bind(sc, sc->lhs_name, strlen(sc->lhs_name),
			    NK_ALIAS, rhs);
		if (is_const(rhs) || rhs->kind == VK_LIST ||
		    rhs->kind == VK_INT || rhs->kind == VK_NS || rhs->decoded)
			return bind(sc, sc->lhs_name, strlen(sc->lhs_name),
			    NK_CONST, rhs);
		return bind(sc, sc->lhs_name, strlen(sc->lhs_name), NK_LOCAL,
		    NULL);
	}
	if (sc->lhs_sub && sc->lhs.kind == VK_NS &&
	    sc->lhs_index.kind == VK_STR && !sc->lhs_index.trunc) {
		if (report_builtin(sc, "namespace", sc->lhs_index.s,
		    sc->lhs_index.len, at, "namespace", NULL) == -1)
			return -1;
		return bind(sc, sc->lhs_index.s, sc->lhs_index.len,
		    rhs->kind == VK_REF && rhs->resolved ? NK_ALIAS : NK_LOCAL,
		    rhs->kind == VK_REF && rhs->resolved ? rhs : NULL);
	}
	if (sc->lhs.kind == VK_REF && sc->lhs.resolved)
		return assign_event(sc, &sc->lhs, sc->lhs_sub ? &sc->lhs_index :
		    NULL, &sc->lhs.at);
	return 0;
}

static int import_end(struct scan *sc);

static int
stmt_end(struct scan *sc)
{
	struct frame *f = &sc->fr[0];
	struct val rhs;
	int r = 0;

	while (sc->nfr > 1)
		sc->nfr--;	/* the tokenizer closed every bracket */
	if (sc->sk == SK_IMPORT || sc->sk == SK_FROM)
		r = import_end(sc);
	else if (sc->assign) {
		rhs.at = f->cur.at;
		elem_end(sc, f, &rhs);
		if (check_strings(sc, &rhs) == -1)
			return -1;
		r = do_assign(sc, &rhs, &rhs.at);
	}
	stmt_begin(sc);
	return r;
}

/* ':' at statement level: a compound statement's header ends. */
static void
header_end(struct scan *sc, const struct pf_pytok *next)
{
	uint8_t kind = BK_OTHER;

	if (sc->sk == SK_DEF)
		kind = BK_FUNC;
	else if (sc->sk == SK_CLASS)
		kind = BK_CLASS;
	else if (sc->header_if && sc->if_name && sc->if_main)
		kind = BK_MAIN;
	sc->pending_block = kind;
	if (kind != BK_FUNC && kind != BK_CLASS)
		sc->pending_name[0] = '\0';
	if (next->type != PF_PYTOK_NEWLINE) {
		/* `def f(): body` on one line */
		sc->inline_block = kind;
		sc->header_inline = 1;
	}
	stmt_begin(sc);
}

/* ---- imports ---- */

static int
import_bind(struct scan *sc)
{
	struct val v;
	const char *dot;
	size_t n;

	if (sc->imp_len == 0)
		return 0;
	val_none(&v);
	v.at.off = sc->tok->off;
	v.at.line_off = sc->tok->line_off;
	v.at.line = sc->tok->line;
	v.at.col = sc->tok->col;
	if (sc->sk == SK_IMPORT) {
		ref_set(sc, &v, sc->imp_mod, sc->imp_len, 1);
		normalize(sc, &v);
		if (match_rules(sc, M_IMPORTS, v.s, v.len, 1, NULL, &v.at, NULL,
		    NULL) == -1)
			return -1;
		if (sc->imp_as[0] != '\0')
			return bind(
			    sc, sc->imp_as, strlen(sc->imp_as), NK_ALIAS, &v);
		dot = memchr(sc->imp_mod, '.', sc->imp_len);
		n = dot ? (size_t)(dot - sc->imp_mod) : sc->imp_len;
		ref_set(sc, &v, sc->imp_mod, n, 1);
		normalize(sc, &v);
		return bind(sc, sc->imp_mod, n, NK_ALIAS, &v);
	}
	return 0;
}

/* from M import a as b: M is in imp_mod, the name in imp_as... */
static int
from_bind(struct scan *sc, const char *name, size_t n, const char *as,
    size_t asn)
{
	char buf[PF_MAX_PY_FOLD * 2 + 2];
	struct val v;

	if (as == NULL) {
		as = name;
		asn = n;
	}
	if (sc->imp_rel || sc->imp_len == 0)
		return bind(sc, as, asn, NK_LOCAL, NULL);
	val_none(&v);
	v.at.off = sc->tok->off;
	v.at.line_off = sc->tok->line_off;
	v.at.line = sc->tok->line;
	v.at.col = sc->tok->col;
	(void)snprintf(buf, sizeof(buf), "%.*s.%.*s", (int)sc->imp_len,
	    sc->imp_mod, (int)(n > PF_MAX_PY_FOLD ? PF_MAX_PY_FOLD : n), name);
	ref_set(sc, &v, buf, strlen(buf), 1);
	normalize(sc, &v);
	if (match_rules(sc, M_IMPORTS, v.s, v.len, 1, NULL, &v.at, NULL,
	    NULL) == -1)
		return -1;
	return bind(sc, as, asn, NK_ALIAS, &v);
}

static void
imp_append(struct scan *sc, const char *p, size_t n)
{
	if (n > PF_MAX_PY_FOLD - sc->imp_len) {
		sc->imp_len = PF_MAX_PY_FOLD + 1;	/* too long: ignored */
		return;
	}
	memcpy(sc->imp_mod + sc->imp_len, p, n);
	sc->imp_len += n;
	sc->imp_mod[sc->imp_len] = '\0';
}

static int
tok_is(const struct pf_pytok *t, const char *s)
{
	size_t n = strlen(s);

	return t->len == n && t->p[0] == s[0] &&
	    (n == 1 || memcmp(t->p, s, n) == 0);
}

/*
 * import a.b as c, d        states 0 name, 1 after name, 2 after dot,
 *                           3 after as, 4 after alias
 * from .m import (a as b)   10 module, 11 names, 12 after name,
 *                           13 after as
 */
static int
import_token(struct scan *sc, const struct pf_pytok *t)
{
	struct val v;
	int name = t->type == PF_PYTOK_NAME;

	if (sc->imp_len > PF_MAX_PY_FOLD)
		return 0;
	switch (sc->imp_state) {
	case 0:
	case 2:
		if (name) {
			imp_append(sc, t->p, t->len);
			sc->imp_state = 1;
		}
		return 0;
	case 1:
		if (tok_is(t, "."))
			imp_append(sc, ".", 1), sc->imp_state = 2;
		else if (tok_is(t, "as"))
			sc->imp_state = 3;
		else if (tok_is(t, ",")) {
			if (import_bind(sc) == -1)
				return -1;
			sc->imp_len = 0;
			sc->imp_as[0] = '\0';
			sc->imp_state = 0;
		}
		return 0;
	case 3:
		if (name && t->len <= PF_MAX_PY_FOLD) {
			memcpy(sc->imp_as, t->p, t->len);
			sc->imp_as[t->len] = '\0';
		}
		sc->imp_state = 4;
		return 0;
	case 4:
		if (tok_is(t, ",")) {
			if (import_bind(sc) == -1)
				return -1;
			sc->imp_len = 0;
			sc->imp_as[0] = '\0';
			sc->imp_state = 0;
		}
		return 0;
	case 10:
		if (tok_is(t, "import")) {
			sc->imp_state = 11;
			if (sc->imp_rel || sc->imp_len == 0)
				return 0;
			if (strcmp(sc->imp_mod, "__future__") == 0) {
				sc->imp_len = 0;
				sc->imp_rel = 1;
				return 0;
			}
			val_none(&v);
			v.at.off = t->off;
			v.at.line_off = t->line_off;
			v.at.line = t->line;
			v.at.col = t->col;
			ref_set(sc, &v, sc->imp_mod, sc->imp_len, 1);
			normalize(sc, &v);
			memcpy(sc->imp_mod, v.s, v.len);
			sc->imp_mod[v.len] = '\0';
			sc->imp_len = v.len;
			return match_rules(sc, M_IMPORTS, v.s, v.len, 1, NULL,
			    &v.at, NULL, NULL);
		}
		if (t->type == PF_PYTOK_OP &&
		    (tok_is(t, ".") || tok_is(t, "..."))) {
			if (sc->imp_len == 0)
				sc->imp_rel = 1;
			imp_append(sc, t->p, t->len);
		} else if (name)
			imp_append(sc, t->p, t->len);
		return 0;
	case 11:
		if (tok_is(t, "*")) {
			if (!sc->imp_rel && sc->imp_len > 0 && sc->nstar < 4) {
				memcpy(sc->star[sc->nstar], sc->imp_mod,
				    sc->imp_len + 1);
				sc->nstar++;
			}
			return 0;
		}
		if (name) {
			sc->imp_as[0] = '\0';
			if (t->len <= PF_MAX_PY_FOLD) {
				memcpy(sc->imp_as, t->p, t->len);
				sc->imp_as[t->len] = '\0';
			}
			sc->imp_state = 12;
		}
		return 0;
	case 12:
		if (tok_is(t, "as")) {
			sc->imp_state = 13;
			return 0;
		}
		if (tok_is(t, ",") || tok_is(t, ")")) {
			sc->imp_state = 11;
			return from_bind(
			    sc, sc->imp_as, strlen(sc->imp_as), NULL, 0);
		}
		return 0;
	case 13:
		if (name) {
			sc->imp_state = 11;
			return from_bind(
			    sc, sc->imp_as, strlen(sc->imp_as), t->p, t->len);
		}
		return 0;
	}
	return 0;
}

static int
import_end(struct scan *sc)
{
	if (sc->imp_len > PF_MAX_PY_FOLD)
		return 0;
	if (sc->sk == SK_IMPORT && (sc->imp_state == 1 || sc->imp_state == 4))
		return import_bind(sc);
	if (sc->sk == SK_FROM && sc->imp_state == 12)
		return from_bind(sc, sc->imp_as, strlen(sc->imp_as), NULL, 0);
	return 0;
}

/* ---- tokens ---- */

static const struct word keywords[] = {
	KW("False"), KW("None"), KW("True"), KW("and"), KW("as"), KW("assert"),
	KW("async"), KW("await"), KW("break"), KW("class"), KW("continue"),
	KW("def"), KW("del"), KW("elif"), KW("else"), KW("except"),
	KW("finally"), KW("for"), KW("from"), KW("global"), KW("if"),
	KW("import"), KW("in"), KW("is"), KW("lambda"), KW("nonlocal"),
	KW("not"), KW("or"), KW("pass"), KW("raise"), KW("return"), KW("try"),
	KW("while"), KW("with"), KW("yield"), { NULL, 0 }
};

/* Binary search: the table is in byte order. */
static int
is_keyword(const char *s, size_t n)
{
	size_t lo = 0, hi = sizeof(keywords) / sizeof(keywords[0]) - 1, mid, k;
	int c;

	if (n < 2 || n > 8)
		return 0;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		k = keywords[mid].n < n ? keywords[mid].n : n;
		c = memcmp(keywords[mid].s, s, k);
		if (c == 0)
			c = keywords[mid].n < n ? -1 : keywords[mid].n > n;
		if (c == 0)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int
kw_is(const char *s, size_t n, const char *k)
{
	return strlen(k) == n && s[0] == k[0] && memcmp(s, k, n) == 0;
}

static void
set_pos(struct val *v, const struct pf_pytok *t)
{
	v->at.off = t->off;
	v->at.line_off = t->line_off;
	v->at.line = t->line;
	v->at.col = t->col;
}

static int
keyword_token(struct scan *sc, struct frame *f, const char *s, size_t n)
{
	struct val v;

	if (kw_is(s, n, "True") || kw_is(s, n, "False") ||
	    kw_is(s, n, "None")) {
		val_none(&v);
		set_pos(&v, sc->tok);
		v.kind = s[0] == 'T' ? VK_TRUE
		    : s[0] == 'F'    ? VK_FALSE
		                     : VK_UNKNOWN;
		cur_set(sc, f, &v);
		return 0;
	}
	if (sc->stmt_start && sc->nfr == 1) {
		if (kw_is(s, n, "import")) {
			sc->sk = SK_IMPORT;
			sc->imp_state = 0;
			return 0;
		}
		if (kw_is(s, n, "from")) {
			sc->sk = SK_FROM;
			sc->imp_state = 10;
			return 0;
		}
		if (kw_is(s, n, "def") || kw_is(s, n, "class")) {
			if (!in_scope(sc))
				names_free(sc, &sc->loc);
			sc->sk = s[0] == 'd' ? SK_DEF : SK_CLASS;
			sc->def_name_next = 1;
			return 0;
		}
		if (kw_is(s, n, "async")) {
			sc->stmt_start = 2;	/* still at the start */
			return 0;
		}
		if (kw_is(s, n, "if") || kw_is(s, n, "elif") ||
		    kw_is(s, n, "while")) {
			sc->sk = SK_HEADER;
			sc->header_if = s[0] == 'i';
			return 0;
		}
		if (kw_is(s, n, "for")) {
			sc->sk = SK_HEADER;
			sc->for_target = 1;
			return 0;
		}
		if (kw_is(s, n, "with") || kw_is(s, n, "try") ||
		    kw_is(s, n, "else") || kw_is(s, n, "except") ||
		    kw_is(s, n, "finally")) {
			sc->sk = SK_HEADER;
			return 0;
		}
		if (kw_is(s, n, "global") || kw_is(s, n, "nonlocal") ||
		    kw_is(s, n, "del") || kw_is(s, n, "pass") ||
		    kw_is(s, n, "break") || kw_is(s, n, "continue")) {
			sc->sk = SK_SKIP;
			return 0;
		}
		if (kw_is(s, n, "return") || kw_is(s, n, "raise") ||
		    kw_is(s, n, "assert") || kw_is(s, n, "yield") ||
		    kw_is(s, n, "await"))
			return 0;
	}
	if (kw_is(s, n, "for") && f->kind != FK_STMT) {
		if (f->comp) {
			f->comp_if = 1;		/* nested loops: not folded */
			mark_dirty(sc, f);
			return 0;
		}
		elem_end(sc, f, &f->elem);
		f->comp = 1;
		f->in_iter = 0;
		f->comp_if = 0;
		val_none(&f->iter);
		return 0;
	}
	if (kw_is(s, n, "in")) {
		if (sc->for_target && sc->nfr == 1)
			sc->for_target = 0;
		if (f->comp && !f->in_iter) {
			frame_reset_elem(f);
			f->in_iter = 1;
			return 0;
		}
		mark_dirty(sc, f);
		return 0;
	}
	if (kw_is(s, n, "if") && f->comp) {
		f->comp_if = 1;		/* a filter: the elements are unknown */
		mark_dirty(sc, f);
		return 0;
	}
	if (kw_is(s, n, "as")) {
		sc->as_next = 1;
		/* with tarfile.open(p) as tar: tar is the archive */
		if (is_object(&f->cur))
			val_copy(&sc->as_val, &f->cur);
		else
			val_none(&sc->as_val);
		mark_dirty(sc, f);
		return 0;
	}
	if (kw_is(s, n, "lambda")) {
		if (f->lambdas < UINT8_MAX)
			f->lambdas++;
		mark_dirty(sc, f);
		return 0;
	}
	mark_dirty(sc, f);
	return 0;
}

static int
name_token(
    struct scan *sc, const struct pf_pytok *t, const struct pf_pytok *next)
{
	struct frame *f = top(sc);
	char folded[PF_MAX_PY_FOLD + 1], buf[PF_MAX_PY_FOLD * 2 + 2];
	const char *s = t->p;
	size_t n = t->len, fn;
	struct val v;
	struct pos at;
	int r;

	at.off = t->off;
	at.line_off = t->line_off;
	at.line = t->line;
	at.col = t->col;
	if ((t->flags & PF_PYTOK_F_NONASCII) && n <= PF_MAX_PY_FOLD &&
	    ident_fold(s, n, folded, sizeof(folded), &fn)) {
		s = folded;
		n = fn;
		if (report_builtin(sc, "unicode-name", s, n, &at, NULL, NULL) ==
		    -1)
			return -1;
	} else if ((t->flags & PF_PYTOK_F_NONASCII) &&
	    pf_pyuni_homoglyph(s, n, folded, sizeof(folded))) {
		/* eval with a Cyrillic 'е' is another name that reads as eval */
		int cut;

		fn = pf_pyuni_visible(s, n, 1, buf, sizeof(buf), &cut);
		sc->body = folded;
		r = report_builtin(sc, "source-homoglyph", buf, fn, &at, NULL,
		    NULL);
		sc->body = NULL;
		if (r == -1)
			return -1;
	}
	if (is_keyword(s, n))
		return keyword_token(sc, f, s, n);
	if (sc->def_name_next) {
		sc->def_name_next = 0;
		if (n < sizeof(sc->pending_name)) {
			memcpy(sc->pending_name, s, n);
			sc->pending_name[n] = '\0';
		} else
			sc->pending_name[0] = '\0';
		return bind(sc, s, n, NK_DEF, NULL);
	}
	if (sc->as_next) {
		sc->as_next = 0;
		return bind(sc, s, n, is_object(&sc->as_val) ? NK_ALIAS :
		    NK_LOCAL, is_object(&sc->as_val) ? &sc->as_val : NULL);
	}
	if (sc->param_start) {
		/* a parameter: a local name of the def's body */
		f->dirty = 1;
		return bind(sc, s, n, NK_LOCAL, NULL);
	}
	if (f->after_dot) {
		f->after_dot = 0;
		f->simple = 0;
		f->last_value = 1;
		if (f->cur.kind == VK_REF && f->cur.s[0] != '<') {
			if (kw_is(s, n, "__dict__")) {
				f->cur.dict = 1;
			} else {
				val_append(sc, &f->cur, ".", 1);
				val_append(sc, &f->cur, s, n);
				if (f->cur.trunc)
					f->cur.resolved = 0;
			}
		} else {
			const char *kind = is_object(&f->cur) ? f->cur.s :
			    f->cur.path ? "<path>" :
			    f->cur.kind == VK_STR ? "<str>" :
			    f->cur.kind == VK_BYTES ? "<bytes>" :
			    f->cur.kind == VK_LIST ? "<list>" : "<?>";

			val_copy(&f->mrecv, &f->cur);
			(void)snprintf(buf, sizeof(buf), "%s.%.*s", kind,
			    (int)(n > 64 ? 64 : n), s);
			ref_set(sc, &f->cur, buf, strlen(buf), 0);
			f->cur.decoded = f->mrecv.decoded;
		}
	} else {
		if (f->kind == FK_CALL && next->type == PF_PYTOK_OP &&
		    tok_is(next, "=") && elem_empty(f)) {
			(void)snprintf(f->kw, sizeof(f->kw), "%.*s",
			    (int)(n >= KWLEN ? KWLEN - 1 : n), s);
			f->skip_eq = 1;
			return 0;
		}
		if (sc->header_if && kw_is(s, n, "__name__"))
			sc->if_name = 1;
		val_none(&v);
		v.at = at;
		if (name_value(sc, s, n, &v) == -1)
			return -1;
		cur_set(sc, f, &v);
		if (n < sizeof(f->simple_name)) {
			memcpy(f->simple_name, s, n);
			f->simple_name[n] = '\0';
			f->simple = 1;
		}
	}
	/* A finished reference that is not called: rules with refs. */
	if (next->type == PF_PYTOK_OP && (tok_is(next, ".") ||
	    tok_is(next, "(") || tok_is(next, "[")))
		return 0;
	if (sc->nfr == 1 && (is_assign_op(next) || tok_is(next, ":")))
		return 0;
	if (sc->for_target || f->cur.kind != VK_REF || !f->cur.resolved ||
	    in_type(sc))
		return 0;
	return match_rules(sc, M_CALLS, f->cur.s, f->cur.len, 1, NULL,
	    &f->cur.at, via_names[f->cur.via], fold_name(f->cur.fold));
}

static int
stmt_colon(struct scan *sc, struct frame *f, const struct pf_pytok *next)
{
	if (sc->sk == SK_DEF || sc->sk == SK_CLASS || sc->sk == SK_HEADER) {
		header_end(sc, next);
		return 0;
	}
	/* an annotation: x: int = 5 */
	if (!sc->assign && !sc->annot && f->simple && f->acc.kind == VK_NONE &&
	    !f->dirty) {
		(void)snprintf(sc->lhs_name, sizeof(sc->lhs_name), "%s",
		    f->simple_name);
		sc->lhs_simple = 1;
	} else if (!sc->assign && !sc->annot && f->cur.kind == VK_REF &&
	    f->acc.kind == VK_NONE)
		val_copy(&sc->lhs, &f->cur);
	sc->annot = 1;
	frame_reset_elem(f);
	return 0;
}

static int
stmt_assign(struct scan *sc, struct frame *f, const struct pf_pytok *t)
{
	int aug = !tok_is(t, "=");

	if (!sc->assign && !sc->annot) {
		if (f->simple && f->acc.kind == VK_NONE && !f->dirty) {
			(void)snprintf(sc->lhs_name, sizeof(sc->lhs_name), "%s",
			    f->simple_name);
			sc->lhs_simple = 1;
		} else if (!sc->lhs_sub && f->cur.kind == VK_REF &&
		    f->acc.kind == VK_NONE && !f->dirty)
			val_copy(&sc->lhs, &f->cur);
	}
	sc->assign = 1;
	frame_reset_elem(f);
	if (aug)
		f->dirty = 1;	/* x += ...: x is no constant any more */
	return 0;
}

static int
op_token(struct scan *sc, const struct pf_pytok *t, const struct pf_pytok *next)
{
	struct frame *f = top(sc);
	char c = t->p[0];

	if (t->flags & PF_PYTOK_F_FIELD) {
		if (c == '{')
			return open_frame(sc, FK_FIELD, t, 0)
			    ? 0
			    : (sc->failed ? -1 : 0);
		if (c == '}') {
			if (f->kind == FK_FIELD && sc->nfr > 1) {
				struct val dummy;

				arg_end(sc, f, &dummy);
				sc->nfr--;
				top(sc)->has_field = 1;
			}
			return 0;
		}
		mark_dirty(sc, f);
		return 0;
	}
	if (f->kind == FK_SUB && !(c == ']' && t->len == 1)) {
		if (f->slice == 0 && c == ':' && t->len == 1)
			f->slice = 1;
		else if (f->slice == 1 && c == ':' && t->len == 1)
			f->slice = 2;
		else if (f->slice == 2 && c == '-' && t->len == 1)
			f->slice = 3;
		else
			f->slice = 0xff;
	}
	if (t->len == 1) {
		switch (c) {
		case '.':
			if (f->cur.kind != VK_NONE)
				f->after_dot = 1;
			else
				mark_dirty(sc, f);
			return 0;
		case '(':
			if (f->last_value && f->cur.kind != VK_NONE &&
			    !(sc->nfr == 1 && (sc->sk == SK_DEF ||
			    sc->sk == SK_CLASS)))
				return open_frame(sc, FK_CALL, t, 1) ? 0 :
				    (sc->failed ? -1 : 0);
			if (f->cur.kind != VK_NONE)
				mark_dirty(sc, f);
			if (sc->nfr == 1 && sc->sk == SK_DEF)
				sc->def_params = 1;
			return open_frame(sc, FK_PAREN, t, 0) ? 0 :
			    (sc->failed ? -1 : 0);
		case '[':
			if (f->last_value && f->cur.kind != VK_NONE)
				return open_frame(sc, FK_SUB, t, 1) ? 0 :
				    (sc->failed ? -1 : 0);
			return open_frame(sc, FK_LIST, t, 0) ? 0 :
			    (sc->failed ? -1 : 0);
		case '{':
			if (f->cur.kind != VK_NONE)
				mark_dirty(sc, f);
			return open_frame(sc, FK_DICT, t, 0) ? 0 :
			    (sc->failed ? -1 : 0);
		case ')':
		case ']':
		case '}':
			return close_frame(sc, next);
		case ',':
			if (sc->nfr == 1) {
				mark_dirty(sc, f);
				return 0;
			}
			if (f->kind == FK_FIELD || f->kind == FK_FSTR) {
				mark_dirty(sc, f);
				return 0;
			}
			{
				struct val out;

				if (f->commas < UINT8_MAX)
					f->commas++;
				arg_end(sc, f, &out);
			}
			return 0;
		case '=':
			if (f->skip_eq) {
				f->skip_eq = 0;
				return 0;
			}
			if (sc->nfr == 1)
				return stmt_assign(sc, f, t);
			f->annot = 0;	/* a parameter's default follows */
			mark_dirty(sc, f);
			return 0;
		case ':':
			if (f->lambdas > 0) {
				f->lambdas--;
				mark_dirty(sc, f);
				return 0;
			}
			if (sc->nfr == 1)
				return stmt_colon(sc, f, next);
			if (sc->def_params && sc->nfr == 2 &&
			    f->kind == FK_PAREN)
				f->annot = 1;
			mark_dirty(sc, f);
			return 0;
		case '+':
		case '/':
			operand_done(sc, f);
			if (f->acc.kind != VK_NONE && !f->dirty &&
			    (c == '+' || f->acc.path)) {
				f->pending = (uint8_t)c;
				f->last_value = 0;
			} else
				mark_dirty(sc, f);
			return 0;
		case ';':
			if (sc->nfr == 1) {
				if (stmt_end(sc) == -1)
					return -1;
				if (sc->header_inline == 0)
					sc->inline_block = BK_OTHER;
			}
			return 0;
		case '@':
			if (sc->stmt_start)
				return 0;	/* a decorator */
			break;
		}
	}
	if (sc->nfr == 1 && is_assign_op(t))
		return stmt_assign(sc, f, t);
	mark_dirty(sc, f);
	return 0;
}

/* Shannon entropy in bits per byte. */
static double
entropy(const char *p, size_t n)
{
	size_t cnt[256] = { 0 }, i;
	double h = 0, q;

	for (i = 0; i < n; i++)
		cnt[(unsigned char)p[i]]++;
	for (i = 0; i < 256; i++) {
		if (cnt[i] == 0)
			continue;
		q = (double)cnt[i] / (double)n;
		h -= q * log2(q);
	}
	return h;
}

static int
string_token(struct scan *sc, const struct pf_pytok *t)
{
	struct frame *f = top(sc);
	struct val v;
	struct pos at;
	size_t i, hex = 0, space = 0;

	at.off = t->off;
	at.line_off = t->line_off;
	at.line = t->line;
	at.col = t->col;
	if (sc->o->entropy_min_length > 0 &&
	    t->body_len >= sc->o->entropy_min_length) {
		/*
		 * Encoded payloads are one long word (base64 wraps at 76
		 * columns); prose and code have a space every few words.
		 */
		for (i = 0; i < t->body_len && space * 50 <= t->body_len; i++) {
			if (pf_hexval((unsigned char)t->body[i]) >= 0)
				hex++;
			else if (isspace((unsigned char)t->body[i]) ||
			    t->body[i] == '\\')
				space++;
		}
		double h = space * 50 <= t->body_len ?
		    entropy(t->body, t->body_len) : 0;

		/* hex carries 4 bits a character at best: twice as long */
		if (h >= sc->o->entropy_min_bits ||
		    (h >= 3.0 && hex == t->body_len &&
		        hex >= 2 * sc->o->entropy_min_length)) {
			if (report_builtin(sc, "high-entropy", t->body,
			    t->body_len > 32 ? 32 : t->body_len, &at, NULL,
			    NULL) == -1)
				return -1;
		}
	}
	literal_value(sc, &v, t->body, t->body_len,
	    (t->flags & PF_PYTOK_F_RAW) != 0,
	    (t->flags & PF_PYTOK_F_BYTES) != 0);
	v.at = at;
	if (sc->header_if && streq(&v, "__main__"))
		sc->if_main = 1;
	if (f->cur.literal && f->last_value && f->cur.kind == v.kind) {
		/* implicit concatenation: "a" "b" */
		val_append(sc, &f->cur, v.s, v.len);
		f->cur.trunc |= v.trunc;
		f->cur.fold |= v.fold;
		return 0;
	}
	cur_set(sc, f, &v);
	return 0;
}

static int
number_token(struct scan *sc, const struct pf_pytok *t)
{
	struct val v;
	int64_t x = 0;
	size_t i = 0;
	int base = 10, d, ok = 1;

	val_none(&v);
	set_pos(&v, t);
	if (t->len > 2 && t->p[0] == '0' && strchr("xXoObB", t->p[1]) != NULL) {
		base = (t->p[1] == 'x' || t->p[1] == 'X') ? 16 :
		    (t->p[1] == 'o' || t->p[1] == 'O') ? 8 : 2;
		i = 2;
	}
	for (; i < t->len && ok; i++) {
		if (t->p[i] == '_')
			continue;
		d = pf_hexval((unsigned char)t->p[i]);
		if (d < 0 || d >= base || x > 0x7fffffff)
			ok = 0;
		else
			x = x * base + d;
	}
	v.kind = ok ? VK_INT : VK_UNKNOWN;
	v.ival = x;
	cur_set(sc, top(sc), &v);
	return 0;
}

static int
step(struct scan *sc, const struct pf_pytok *t, const struct pf_pytok *next)
{
	struct frame *f = top(sc);
	int first = sc->stmt_start, r = 0;

	sc->tok = t;
	switch (t->type) {
	case PF_PYTOK_NEWLINE:
		r = stmt_end(sc);
		if (sc->header_inline) {
			sc->header_inline = 0;
			sc->pending_block = BK_OTHER;
			sc->pending_name[0] = '\0';
		}
		sc->inline_block = BK_OTHER;
		return r;
	case PF_PYTOK_INDENT:
		if (sc->nblocks < sizeof(sc->blocks) / sizeof(sc->blocks[0])) {
			sc->blocks[sc->nblocks].kind = sc->pending_block;
			(void)snprintf(sc->blocks[sc->nblocks].name,
			    sizeof(sc->blocks[0].name), "%s", sc->pending_name);
			sc->nblocks++;
		}
		sc->pending_block = BK_OTHER;
		sc->pending_name[0] = '\0';
		return 0;
	case PF_PYTOK_DEDENT:
		if (sc->nblocks > 0)
			sc->nblocks--;
		return 0;
	case PF_PYTOK_ENDMARKER:
		return stmt_end(sc);
	default:
		break;
	}
	if (sc->sk == SK_SKIP)
		return 0;
	if (sc->sk == SK_IMPORT || sc->sk == SK_FROM) {
		if (t->type == PF_PYTOK_OP && tok_is(t, ";"))
			return stmt_end(sc);
		return import_token(sc, t);
	}
	sc->param_start = sc->def_params && sc->nfr == 2 &&
	    f->kind == FK_PAREN && f->at_start;
	if (!(t->type == PF_PYTOK_OP && (tok_is(t, "*") || tok_is(t, "**") ||
	    tok_is(t, "/"))))
		f->at_start = 0;
	if (f->kind == FK_SUB && t->type != PF_PYTOK_OP) {
		if (f->slice == 3 && t->type == PF_PYTOK_NUMBER &&
		    tok_is(t, "1"))
			f->slice = 4;
		else
			f->slice = 0xff;
	}
	switch (t->type) {
	case PF_PYTOK_NAME:
		r = name_token(sc, t, next);
		break;
	case PF_PYTOK_NUMBER:
		r = number_token(sc, t);
		break;
	case PF_PYTOK_STRING:
		r = string_token(sc, t);
		break;
	case PF_PYTOK_OP:
		r = op_token(sc, t, next);
		break;
	case PF_PYTOK_FSTRING_START:
		if (open_frame(sc, FK_FSTR, t, 0) == NULL)
			return sc->failed ? -1 : 0;
		top(sc)->acc.kind = VK_STR;
		set_pos(&top(sc)->acc, t);
		break;
	case PF_PYTOK_FSTRING_MIDDLE:
		if (f->kind == FK_FSTR)
			val_append(sc, &f->acc, t->p, t->len);
		break;
	case PF_PYTOK_FSTRING_END:
		if (f->kind == FK_FSTR && sc->nfr > 1) {
			struct val v;

			val_copy(&v, &f->acc);
			if (f->has_field)
				val_unknown(&v);
			sc->nfr--;
			cur_set(sc, top(sc), &v);
		}
		break;
	default:
		break;
	}
	if (sc->stmt_start == 2)
		sc->stmt_start = 1;
	else if (first && sc->stmt_start)
		sc->stmt_start = 0;
	return r;
}

/*
 * Trojan Source: bidirectional controls and invisible characters anywhere
 * in the source (code, comments, strings), one finding per line and kind
 * at the first such character; emit() shows the line with them visible.
 */
static int
hidden_chars(struct scan *sc)
{
	const char *s = sc->src;
	size_t off = 0, at = 0, clen, k;
	struct pos p = { 0, 0, 1, 1 };
	enum pf_pyuni_kind kind;
	char name[16];
	uint32_t cp;

	while ((kind = pf_pyuni_next(s, sc->len, &off, &cp, &clen)) !=
	    PF_PYUNI_NONE) {
		/* lines as Python counts them: \n, \r\n or a lone \r */
		for (; at < off; at++)
			if (s[at] == '\n' || (s[at] == '\r' &&
			    (at + 1 >= sc->len || s[at + 1] != '\n'))) {
				p.line++;
				p.line_off = at + 1;
			}
		p.off = off;
		p.col = 1;
		for (k = p.line_off; k < off; k++)
			if (((unsigned char)s[k] & 0xc0) != 0x80)
				p.col++;
		(void)snprintf(name, sizeof(name), "U+%04lX",
		    (unsigned long)cp);
		if (report_builtin(sc, kind == PF_PYUNI_BIDI ? "source-bidi" :
		    "source-invisible", name, strlen(name), &p, NULL,
		    NULL) == -1)
			return -1;
		off += clen;
	}
	return 0;
}

static int
tok_error(struct scan *sc, const struct pf_pytok_err *err)
{
	struct pos at;

	at.off = err->off;
	at.line_off = err->line_off;
	at.line = err->line;
	at.col = err->col;
	switch (err->kind) {
	case PF_PYTOK_E_NUL:
		return report_builtin(
		    sc, "source-nul", "NUL", 3, &at, NULL, NULL);
	case PF_PYTOK_E_UTF8:
		return report_builtin(sc, "source-utf8", "UTF-8", 5, &at, NULL,
		    NULL);
	case PF_PYTOK_E_ENCODING:
		{
			const char *q = sc->src + at.off;
			size_t k = 0;

			while (at.off + k < sc->len && k < 32 &&
			    (isalnum((unsigned char)q[k]) || q[k] == '-' ||
			    q[k] == '_' || q[k] == '.'))
				k++;
			return report_builtin(sc, "source-encoding", q, k, &at,
			    NULL, NULL);
		}
	case PF_PYTOK_E_LIMIT:
		return report_builtin(sc, "source-limit", err->cap,
		    strlen(err->cap), &at, NULL, NULL);
	default:
		return report_builtin(sc, "source-malformed", err->msg,
		    strlen(err->msg), &at, NULL, NULL);
	}
}

static int
significant(const struct pf_pytok *t)
{
	return t->type != PF_PYTOK_COMMENT && t->type != PF_PYTOK_NL;
}

int
pf_pyscan_source(const struct pf_pyscan_rules *rs,
    const struct pf_pyscan_opts *o, const char *src, size_t len,
    pf_pyscan_cb cb, void *ctx, struct pf_pyscan_stats *stats, struct pf_err *e)
{
	struct pf_pytok_state *st;
	struct pf_pytok a, b, *cur = &a, *next = &b, *sw;
	struct scan *sc;
	int r = 0, err = 0;

	if ((sc = calloc(1, sizeof(*sc))) == NULL ||
	    (st = malloc(sizeof(*st))) == NULL) {
		free(sc);
		return pf_err_nomem(e);
	}
	sc->rs = rs;
	sc->o = o;
	sc->src = src;
	sc->len = len;
	sc->cb = cb;
	sc->ctx = ctx;
	sc->e = e;
	sc->sev_override = -1;
	sc->max_fold = (o->max_fold == 0 || o->max_fold > PF_MAX_PY_FOLD) ?
	    PF_MAX_PY_FOLD : o->max_fold;
	sc->max_names = (o->max_names == 0 || o->max_names > PF_MAX_PY_NAMES) ?
	    PF_MAX_PY_NAMES : o->max_names;
	if (frame_push(sc, FK_STMT) == NULL) {
		r = -1;
		goto out;
	}
	stmt_begin(sc);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	if (pf_pytok_init(st, src, len, o->max_nest, o->max_indent) == -1) {
		r = tok_error(sc, &st->err);
		goto out;
	}
	if (hidden_chars(sc) == -1) {
		r = -1;
		goto out;
	}
	do {
		if (pf_pytok_next(st, cur) == -1) {
			err = 1;
			break;
		}
		if (stats != NULL)
			stats->tokens++;
	} while (!significant(cur));
	while (!err && !sc->failed) {
		if (cur->type == PF_PYTOK_ENDMARKER) {
			r = step(sc, cur, cur);
			break;
		}
		do {
			if (pf_pytok_next(st, next) == -1) {
				err = 1;
				next->type = PF_PYTOK_ENDMARKER;
				next->len = 0;
				next->p = src + len;
				break;
			}
			if (stats != NULL)
				stats->tokens++;
		} while (!significant(next));
		if (step(sc, cur, next) == -1) {
			r = -1;
			break;
		}
		sw = cur;
		cur = next;
		next = sw;
	}
	if (err && !sc->failed)
		r = tok_error(sc, &st->err);
out:
	if (stats != NULL)
		stats->lines += st->line;
	if (sc->failed)
		r = -1;
	names_free(sc, &sc->loc);
	names_free(sc, &sc->glob);
	free(sc->fr);
	free(sc->seen);
	free(sc);
	free(st);
	return r;
}

int
pf_pyscan_report(const struct pf_pyscan_rules *rs, const char *builtin,
    const char *name, size_t off, uint32_t line, uint32_t col,
    const char *source, size_t source_len, pf_pyscan_cb cb, void *ctx)
{
	const struct rule *r = builtin_rule(rs, builtin);
	struct pf_pyscan_finding f;
	char msg[512], q[PF_MAX_PY_FOLD + 8];
	const char *brace;

	if (r == NULL)
		return 0;
	memset(&f, 0, sizeof(f));
	f.rule = r->id;
	f.category = r->category;
	f.bandit = r->bandit;
	f.severity = r->sev;
	f.name = name;
	f.name_len = strlen(name);
	f.off = off;
	f.line = line;
	f.col = col;
	f.source = source;
	f.source_len = source_len;
	f.cell = -1;
	(void)snprintf(q, sizeof(q), "'%.*s'",
	    (int)(f.name_len > PF_MAX_PY_FOLD ? PF_MAX_PY_FOLD : f.name_len),
	    name);
	if ((brace = strstr(r->message, "{name}")) != NULL)
		(void)snprintf(msg, sizeof(msg), "%.*s%s%s",
		    (int)(brace - r->message), r->message, q, brace + 6);
	else
		(void)snprintf(msg, sizeof(msg), "%s", r->message);
	f.message = msg;
	return cb(ctx, &f);
}

static int
pyscan_strings(const struct pf_pyscan_rules *rs, const char *s, size_t len,
    size_t off, uint32_t line, uint32_t col, const char *source,
    size_t source_len, pf_pyscan_cb cb, void *ctx)
{
	static const struct pf_pyscan_opts o = { .no_import_time = 1 };
	struct pf_err e;
	struct scan *sc;
	struct pos at;
	int r;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return -1;
	sc->rs = rs;
	sc->o = &o;
	sc->src = source;
	sc->len = source_len;
	sc->base_off = off;
	sc->cb = cb;
	sc->ctx = ctx;
	sc->e = &e;
	sc->sev_override = -1;
	sc->max_fold = PF_MAX_PY_FOLD;
	at.off = 0;
	at.line_off = 0;
	at.line = line;
	at.col = col;
	r = match_rules(sc, M_STRINGS, s, len, 1, NULL, &at, NULL, NULL);
	free(sc->seen);
	free(sc);
	return r;
}

/* ---- notebooks ---- */

/* Passes findings on with the cell they are in. */
struct nbctx {
	pf_pyscan_cb cb;
	void *ctx;
	long cell;
};

static int
nb_cb(void *c, const struct pf_pyscan_finding *f)
{
	struct nbctx *n = c;
	struct pf_pyscan_finding g = *f;

	g.cell = n->cell;
	return n->cb(n->ctx, &g);
}


/*
 * IPython lines are not Python: '!cmd' and 'x = !cmd' run a shell, '%pip'
 * installs, '%%bash' makes the whole cell a script. They are reported and
 * blanked (kept as spaces, so line numbers hold) before the cell is
 * tokenised. Returns 0, or 1 when the cell is not Python at all.
 */
static int
magics(const struct pf_pyscan_rules *rs, struct nbctx *n, char *src,
    size_t len, size_t base)
{
	static const char *const shells[] = { "bash", "sh", "script", "system",
	    "zsh", "perl", "ruby", NULL };
	static const char *const text[] = { "writefile", "file", "html",
	    "javascript", "js", "latex", "markdown", "svg", "capture_output",
	    NULL };
	size_t i = 0, start, end, k, w;
	uint32_t line = 0;
	int shell_cell = 0, first = 1;
	char *p, *cmd;

	while (i < len) {
		start = i;
		for (end = start; end < len && src[end] != '\n' &&
		    src[end] != '\r'; end++)
			;
		line++;
		p = src + start;
		for (k = start; k < end && (src[k] == ' ' || src[k] == '\t');
		     k++)
			;
		cmd = NULL;
		if (first && end - k > 2 && src[k] == '%' &&
		    src[k + 1] == '%') {
			for (w = k + 2; w < end && src[w] != ' '; w++)
				;
			for (size_t j = 0; shells[j] != NULL; j++)
				if (strlen(shells[j]) == w - k - 2 &&
				    memcmp(src + k + 2, shells[j], w - k - 2) ==
				        0)
					shell_cell = 1;
			for (size_t j = 0; text[j] != NULL; j++)
				if (strlen(text[j]) == w - k - 2 &&
				    memcmp(src + k + 2, text[j], w - k - 2) ==
				        0)
					return 1;
			if (shell_cell) {
				char name[64];

				(void)snprintf(name, sizeof(name), "%.*s",
				    (int)(w - k), src + k);
				if (pf_pyscan_report(rs, "notebook-shell",
				    name, base + k, line, 1, p, end - start,
				    nb_cb, n) == -1)
					return -1;
			}
			memset(src + start, ' ', end - start);
		} else if (shell_cell) {
			if (pyscan_strings(rs, src + start, end - start,
			    base + start, line, 1, p, end - start, nb_cb,
			    n) == -1)
				return -1;
		} else if (k < end && (src[k] == '!' || src[k] == '%')) {
			cmd = src + k;
		} else {
			/* x = !cmd */
			for (w = k; w < end &&
			     (src[w] == '_' ||
			         ((src[w] | 0x20) >= 'a' &&
			             (src[w] | 0x20) <= 'z') ||
			         (w > k && src[w] >= '0' && src[w] <= '9'));
			     w++)
				;
			if (w > k) {
				while (w < end && src[w] == ' ')
					w++;
				if (w < end && src[w] == '=' && w + 1 < end &&
				    src[w + 1] != '=') {
					w++;
					while (w < end && src[w] == ' ')
						w++;
					if (w < end && (src[w] == '!' ||
					    src[w] == '%'))
						cmd = src + w;
				}
			}
		}
		if (cmd != NULL) {
			size_t cl = (size_t)(src + end - cmd);

			if (cmd[0] == '!' || (cl > 7 && (memcmp(cmd, "%system",
			    7) == 0 || memcmp(cmd, "%sx ", 4) == 0))) {
				char name[128];

				/* the command, cut; control bytes become '?' */
				(void)snprintf(name, sizeof(name), "%.*s",
				    (int)(cl > 120 ? 120 : cl), cmd);
				for (w = 0; name[w] != '\0'; w++)
					if ((unsigned char)name[w] < 0x20)
						name[w] = '?';
				if (pf_pyscan_report(rs, "notebook-shell",
				    name, base + start, line,
				    (uint32_t)(cmd - p) + 1, p, end - start,
				    nb_cb, n) == -1)
					return -1;
			}
			/* '%pip install x' is 'pip install x' to the rules */
			if (pyscan_strings(rs, cmd + 1, cl - 1,
			    base + start, line, (uint32_t)(cmd - p) + 1, p,
			    end - start, nb_cb, n) == -1)
				return -1;
			memset(src + start, ' ', end - start);
		}
		if (end < len && src[end] == '\r' && end + 1 < len &&
		    src[end + 1] == '\n')
			end++;
		i = end + 1;
		first = 0;
	}
	return shell_cell;
}

/* Appends a cell's source (a string or an array of strings) to b. */
static int
cell_source(const json_t *src, struct pf_buf *b)
{
	const json_t *v;
	size_t i;

	if (json_is_string(src))
		return pf_buf_append(b, json_string_value(src),
		    json_string_length(src));
	if (!json_is_array(src))
		return -2;
	json_array_foreach(src, i, v) {
		if (!json_is_string(v))
			return -2;
		if (pf_buf_append(b, json_string_value(v),
		    json_string_length(v)) == -1)
			return -1;
	}
	return 0;
}

/* Reports a finding about the notebook itself (no cell, no line). */
static int
nb_report(const struct pf_pyscan_rules *rs, struct nbctx *n, const char *b,
    const char *name)
{
	n->cell = -1;
	return pf_pyscan_report(rs, b, name, 0, 0, 0, NULL, 0, nb_cb, n);
}

int
pf_pyscan_notebook(const struct pf_pyscan_rules *rs,
    const struct pf_pyscan_opts *o, const char *data, size_t len,
    size_t max_cells, size_t max_source, pf_pyscan_cb cb, void *ctx,
    struct pf_pyscan_stats *stats, struct pf_err *e)
{
	struct pf_pyscan_opts co = *o;
	struct nbctx n = { cb, ctx, -1 };
	const json_t *cells, *c, *src;
	struct pf_err pe;
	struct pf_buf b;
	json_t *nb;
	size_t i;
	int rc, r = 0;

	pf_err_clear(&pe);
	if ((nb = pf_json_parse(data, len, "notebook", &pe)) == NULL) {
		if (pe.code == PF_EXIT_FAILURE)
			return pf_err_nomem(e);
		return nb_report(rs, &n, "notebook-malformed", pe.msg);
	}
	cells = json_object_get(nb, "cells");
	if (cells == NULL) {
		/* nbformat 3: worksheets[0].cells[].input */
		cells = json_object_get(json_array_get(json_object_get(nb,
		    "worksheets"), 0), "cells");
	}
	if (!json_is_array(cells)) {
		r = nb_report(rs, &n, "notebook-malformed", "no cells array");
		json_decref(nb);
		return r;
	}
	co.no_import_time = 1;		/* cells run when someone runs them */
	json_array_foreach(cells, i, c) {
		if (i >= max_cells) {
			r = nb_report(rs, &n, "source-limit",
			    "PF_MAX_NOTEBOOK_CELLS");
			break;
		}
		if (!json_is_object(c) ||
		    strcmp(pf_json_str(c, "cell_type", ""), "code") != 0)
			continue;
		if (stats != NULL)
			stats->cells++;
		src = json_object_get(c, "source");
		if (src == NULL)
			src = json_object_get(c, "input");
		pf_buf_init(&b, max_source);
		rc = cell_source(src, &b);
		if (rc == -2)
			r = nb_report(rs, &n, "notebook-malformed",
			    "a cell source is not text");
		else if (rc == -1)
			r = nb_report(
			    rs, &n, "source-limit", "PF_MAX_PY_SOURCE");
		else {
			n.cell = (long)i;
			rc = b.data != NULL ? magics(rs, &n, b.data, b.len, 0)
			                    : 0;
			if (rc == -1)
				r = -1;
			else if (rc == 0)
				r = pf_pyscan_source(rs, &co,
				    b.data ? b.data : "", b.len, nb_cb, &n,
				    stats, e);
		}
		pf_buf_free(&b);
		if (r == -1)
			break;
	}
	json_decref(nb);
	if (r == -1 && e->code == 0)
		pf_err_set(e, PF_EXIT_FAILURE, "notebook: scan stopped");
	return r;
}
