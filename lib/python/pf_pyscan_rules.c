/*
 * pf_pyscan_rules: the rule table of py-rules.json (loading, prefilters),
 * matching an event (a call, subscript, import, string or assignment)
 * against it, and reporting a finding once per rule and line through the
 * caller's callback.
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

void
pf_pyscan_rules_free(struct pf_pyscan_rules *rs)
{
	size_t i;

	if (rs == NULL)
		return;
	free(rs->r); /* shallow copies: the table owns their strings */
	for (i = 0; i < 5; i++) {
		free(rs->bykind[i]);
		free(rs->roots[i]); /* borrowed strings */
	}
	free(rs);
}

/* The policy's python section on one rule: disable, severity. */
static int
rule_policy(struct rule *r, const json_t *python, struct pf_err *e)
{
	const json_t *v, *over;
	size_t i;

	if (python == NULL)
		return 0;
	json_array_foreach(json_object_get(python, "disable"), i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), r->id) == 0)
			r->disabled = 1;
	over = json_object_get(json_object_get(python, "severity"), r->id);
	if (over != NULL && pf_sev_parse(json_string_value(over), &r->sev) == -1)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "python.severity.%s: bad severity", r->id);
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
pf_pyscan_rules_new(const struct pf_pyscan_table *t, const json_t *python,
    struct pf_err *e)
{
	struct pf_pyscan_rules *rs;
	struct rule bad;
	size_t i, k;

	if ((rs = calloc(1, sizeof(*rs))) == NULL ||
	    (rs->r = calloc(t->n + 1, sizeof(*rs->r))) == NULL) {
		free(rs);
		return pf_err_nomem(e), NULL;
	}
	/* in table order, so that the first error is the first in the file */
	for (i = 0; i < t->n; i++) {
		rs->r[i] = t->r[i];
		rs->n++;
		if (rule_policy(&rs->r[i], python, e) == -1) {
			pf_pyscan_rules_free(rs);
			return NULL;
		}
	}
	if (t->bad) {
		bad = t->r[t->n];
		if (t->bad == 1 || rule_policy(&bad, python, e) == 0)
			*e = t->err;
		pf_pyscan_rules_free(rs);
		return NULL;
	}
	for (k = 0; k < 5; k++) {
		size_t cnt = 0, mi, x;

		for (i = 0; i < rs->n; i++)
			for (mi = 0; mi < rs->r[i].nm; mi++)
				cnt += rs->r[i].m[mi].kind == (enum mkind)k;
		if ((rs->bykind[k] = calloc(cnt + 1, sizeof(struct mref))) == NULL) {
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
			for (pi = 0; rs->bykind[k][i].m->roots[pi] != NULL; pi++)
				cnt++;
		if ((rs->roots[k] = calloc(cnt + 1, sizeof(char *))) == NULL) {
			pf_pyscan_rules_free(rs);
			return pf_err_nomem(e), NULL;
		}
		for (i = 0, x = 0; i < rs->nbykind[k]; i++)
			for (pi = 0; rs->bykind[k][i].m->roots[pi] != NULL; pi++)
				rs->roots[k][x++] = rs->bykind[k][i].m->roots[pi];
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

const struct rule *
pys_builtin_rule(const struct pf_pyscan_rules *rs, const char *b)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->r[i].builtin != NULL && strcmp(rs->r[i].builtin, b) == 0)
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
		if (*p != '\0' &&
		    (ci ? tolower((unsigned char)*p) == tolower((unsigned char)s[i]) :
			  *p == s[i])) {
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

int
pys_strv_match(char *const *v, const char *s, size_t n, int ci)
{
	for (; v != NULL && *v != NULL; v++)
		if (glob_match(*v, s, n, ci))
			return 1;
	return 0;
}

static const char *const fold_names[] = { "concat", "join", "chr", "fromhex",
	"rot13", "base64", "zlib", "reverse", "replace", "escape", "case" };

/* ---- reporting ---- */

int
pys_import_time(const struct scan *sc)
{
	size_t i;

	if (sc->o->no_import_time)
		return 0;
	if (sc->inline_block == BK_FUNC || sc->inline_block == BK_MAIN)
		return 0;
	for (i = 0; i < sc->nblocks; i++)
		if (sc->blocks[i].kind == BK_FUNC || sc->blocks[i].kind == BK_MAIN)
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
			pys_nomem(sc);
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
body_note(struct scan *sc, struct name *x, const char *rule, const char *name,
    size_t nlen, uint32_t line)
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
			pys_nomem(sc);
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
void
pys_note_def(struct scan *sc, enum pf_sev sev, const char *rule,
    const char *name, size_t nlen, uint32_t line)
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
	x = pys_name_find(&sc->glob, sc->blocks[0].name,
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

	for (k = 0; k < 3 && i > lo && ((unsigned char)s[i] & 0xc0) == 0x80; k++)
		i--;
	return i;
}

int
pys_emit(struct scan *sc, const struct rule *r, const char *name, size_t nlen,
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
		itime = 0; /* already the severity of what runs */
	}
	if (seen(sc, (size_t)(r - sc->rs->r), at->line))
		return sc->failed ? -1 : 0;
	if (itime && sc->o->escalate_import_time && sev < PF_SEV_CRITICAL &&
	    strcmp(r->category, "imports") != 0 &&
	    strcmp(r->category, "source") != 0 &&
	    strcmp(r->category, "import-time") != 0)
		sev = (enum pf_sev)(sev + 1);
	if (!itime && sev >= PF_SEV_MEDIUM)
		pys_note_def(sc, sev, r->id, name, nlen, at->line);
	memset(&f, 0, sizeof(f));
	f.cell = -1;
	f.import_time = pys_import_time(sc);
	f.rule = r->id;
	f.category = r->category;
	f.bandit = r->bandit;
	f.severity = sev;
	f.name = name;
	f.name_len = nlen;
	/* a name that passes for an ASCII one is shown with its look-alikes */
	hrule = r->builtin != NULL && strcmp(r->builtin, "source-homoglyph") == 0;
	for (i = 0; i < nlen && (unsigned char)name[i] < 0x80; i++)
		;
	homo = hrule ||
	    (i < nlen && pf_pyuni_homoglyph(name, nlen, look, sizeof(look)));
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
	(void)snprintf(q, sizeof(q), "'%.*s'",
	    (int)(f.name_len > PF_MAX_PY_FOLD ? PF_MAX_PY_FOLD : f.name_len),
	    f.name);
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
		     sc->src[stop] != '\r' && stop - start < max;
		     stop++)
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
		if (homo ||
		    pf_pyuni_next(f.source, f.source_len, &off, &cp, &clen) !=
			PF_PYUNI_NONE) {
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

int
pys_report_builtin(struct scan *sc, const char *b, const char *name,
    size_t nlen, const struct pos *at, const char *via, const char *fold)
{
	const struct rule *r = pys_builtin_rule(sc->rs, b);

	if (r == NULL)
		return 0;
	return pys_emit(sc, r, name, nlen, at, via, fold, pys_import_time(sc));
}

const char *
pys_fold_name(unsigned fold)
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
int
pys_outside(const struct val *v)
{
	const char *s = v->s;

	if (!pys_is_const(v) || v->len == 0)
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
	if (t->is == IS_OUTSIDE && !pys_outside(v))
		return 0;
	if (t->in != NULL &&
	    (v->kind != VK_REF || !v->resolved ||
		!pys_strv_match(t->in, v->s, v->len, 0)))
		return 0;
	if (t->glob != NULL &&
	    (!pys_is_const(v) || v->trunc ||
		!pys_strv_match(t->glob, v->s, v->len, 1)))
		return 0;
	if (t->name != NULL &&
	    (v->kind != VK_REF || !pys_strv_match(t->name, v->s, v->len, 0)))
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
matcher_match(const struct matcher *m, const char *name, size_t n, size_t root,
    const char *lower)
{
	size_t i;

	for (i = 0; m->pats[i] != NULL; i++) {
		if (lower != NULL) {
			if (m->litlen[i] > 0 &&
			    memmem(lower, n, m->lits[i], m->litlen[i]) == NULL)
				continue;
		} else if (!m->wild &&
		    (m->rootlen[i] != root || memcmp(m->roots[i], name, root) != 0))
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
int
pys_match_rules(struct scan *sc, enum mkind kind, const char *name, size_t n,
    int resolved, const struct frame *f, const struct pos *at, const char *via,
    const char *fold)
{
	char lowbuf[1024], *lower = NULL, *to_free = NULL;
	int done[16];
	size_t ndone = 0, i, k, root;
	const char *dot;
	int skip, known, itime = pys_import_time(sc), r_ = 0;

	if (kind == M_STRINGS && n < sc->rs->min_string)
		return 0;
	dot = memchr(name, '.', n);
	root = dot ? (size_t)(dot - name) : n;
	if (kind == M_STRINGS) {
		if (n < sizeof(lowbuf))
			lower = lowbuf;
		else if ((lower = to_free = malloc(n)) == NULL)
			return pys_nomem(sc);
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
		if (kind == M_CALLS && !resolved &&
		    !(m->pats[0] && (m->pats[0][0] == '*' || m->pats[0][0] == '<')))
			continue;
		if (!matcher_match(m, name, n, root, lower))
			continue;
		if (pys_strv_match(m->except, name, n, 0))
			continue;
		if (m->nwhen && (f == NULL || !tests_hold(f, m->when, m->nwhen, 0)))
			continue;
		if (m->nunless && f != NULL &&
		    tests_hold(f, m->unless, m->nunless, 1))
			continue;
		if (pys_emit(sc, r, name, n, at, via, fold, itime) == -1) {
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
int
pys_check_strings(struct scan *sc, const struct val *v)
{
	char buf[PF_MAX_PY_FOLD + 1];
	size_t i, n;

	if (v->trunc || v->len == 0 || v->copied)
		return 0;
	if (pys_is_const(v))
		return pys_match_rules(sc, M_STRINGS, v->s, v->len, 1, NULL,
		    &v->at, NULL, pys_fold_name(v->fold));
	if (v->kind == VK_LIST && v->nelem > 1 && !v->ints) {
		for (i = 0; i < v->len && v->s[i] == '\0'; i++)
			;
		memcpy(buf, v->s + i, v->len - i);
		n = v->len - i;
		for (i = 0; i < n; i++)
			if (buf[i] == '\0')
				buf[i] = ' ';
		return pys_match_rules(sc, M_STRINGS, buf, n, 1, NULL, &v->at,
		    NULL, NULL);
	}
	return 0;
}
