/*
 * pf_pyscan_table: py-rules.json loaded into rules (their matchers and
 * prefilters), before any policy, and written out as C for the built-in
 * copy. The JSON of a table from a file and the compiled-in table go
 * through the same pf_pyscan_rules_new, so both check the same way.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_cgen.h"
#include "pf_json.h"
#include "pf_pyscan.h"
#include "pf_pyscan_priv.h"
#include "pf_banned.h"

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

static void
rule_free(struct rule *r)
{
	size_t j;

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

void
pf_pyscan_table_free(const struct pf_pyscan_table *ct)
{
	struct pf_pyscan_table *t = (struct pf_pyscan_table *)ct;
	size_t i;

	/* the built-in table is static data */
	if (t == NULL || !t->owned)
		return;
	for (i = 0; i < t->n + (t->bad != 0); i++)
		rule_free(&t->r[i]);
	free(t->r);
	free(t);
}

/* A NULL-terminated copy of a JSON array of strings; NULL on error. */
static char **
strv_new(const json_t *a, const char *what, struct pf_err *e)
{
	char **v;
	size_t i, n;

	if (!json_is_array(a))
		return pf_err_set(e, PF_EXIT_USAGE,
			   "%s must be an array of strings", what),
		       NULL;
	n = json_array_size(a);
	if ((v = calloc(n + 1, sizeof(*v))) == NULL)
		return pf_err_nomem(e), NULL;
	for (i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (s == NULL) {
			strv_free(v);
			return pf_err_set(e, PF_EXIT_USAGE,
				   "%s must be an array of strings", what),
			       NULL;
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
		    (ts[i].kw = strdup(
			 json_string_value(v) ? json_string_value(v) : "")) == NULL)
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
			x->lits[i][k] = (char)tolower((unsigned char)x->lits[i][k]);
	}
	return 0;
}

/*
 * The id and severity of one rule (what the policy's adjustments need):
 * an error here comes before the policy is looked at.
 */
static int
rule_head(struct rule *r, const json_t *j, struct pf_err *e)
{
	const char *s;

	s = json_string_value(json_object_get(j, "id"));
	if (s == NULL || strncmp(s, "py.", 3) != 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "a rule needs an id starting 'py.'");
	if ((r->id = strdup(s)) == NULL)
		return pf_err_nomem(e);
	if (pf_sev_parse(json_string_value(json_object_get(j, "severity")),
		&r->sev) == -1)
		return pf_err_set(e, PF_EXIT_USAGE, "rule %s: bad severity", r->id);
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
	return 0;
}

/* The matchers of one rule: an error here comes after the policy's. */
static int
rule_body(struct rule *r, const json_t *j, struct pf_err *e)
{
	static const char *const kinds[] = { "calls", "subscripts", "imports",
		"strings", "assigns" };
	const json_t *m, *mm, *v;
	size_t i, k;

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

struct pf_pyscan_table *
pf_pyscan_table_new(const json_t *table, struct pf_err *e)
{
	struct pf_pyscan_table *t;
	const json_t *rules, *j;
	struct pf_err re;
	size_t i, k;
	int stage;

	rules = json_object_get(table, "rules");
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->r = calloc(json_array_size(rules) + 1, sizeof(*t->r))) == NULL) {
		free(t);
		return pf_err_nomem(e), NULL;
	}
	t->owned = 1;
	t->count = json_array_size(rules);
	if (!json_is_array(rules)) {
		t->bad = 1;
		pf_err_set(&t->err, PF_EXIT_USAGE,
		    "rule table has no 'rules' array");
		return t;
	}
	json_array_foreach(rules, i, j) {
		struct rule *r = &t->r[i];

		pf_err_clear(&re);
		stage = 1;
		if (!json_is_object(j))
			pf_err_set(&re, PF_EXIT_USAGE, "a rule must be an object");
		else if (rule_head(r, j, &re) == 0 &&
		    (stage = 2, rule_body(r, j, &re)) == 0) {
			for (k = 0; k < i; k++)
				if (strcmp(t->r[k].id, r->id) == 0)
					pf_err_set(&re, PF_EXIT_USAGE,
					    "rule %s: defined twice", r->id);
		}
		if (re.code == PF_EXIT_FAILURE) {
			*e = re;
			t->bad = 1; /* r[i] is freed with the rest */
			pf_pyscan_table_free(t);
			return NULL;
		}
		if (re.code != 0) {
			t->bad = stage;
			t->err = re;
			break;
		}
		r->cat = (int)i;
		for (k = i; k-- > 0;)
			if (strcmp(t->r[k].category, r->category) == 0)
				r->cat = t->r[k].cat;
		t->n++;
	}
	return t;
}

size_t
pf_pyscan_table_count(const struct pf_pyscan_table *t)
{
	return t->count;
}

/* ---- C ---- */

static const char *
cgen_sizes(FILE *f, const size_t *v, size_t n, char *name, size_t size)
{
	size_t i;

	pf_cgen_sym("z", name, size);
	fprintf(f, "static size_t %s[] = {", name);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%zu,", i % 16 ? " " : "\n\t", v[i]);
	fputs("\n};\n", f);
	return name;
}

/* Names of generated symbols: "v123", "NULL". */
struct sym {
	char s[32];
};

static const char *
cgen_tests(FILE *f, const struct test *t, size_t n, char *name, size_t size)
{
	struct sym *v;
	size_t i;

	if (t == NULL) {
		(void)snprintf(name, size, "NULL");
		return name;
	}
	/* the vectors first: C wants them defined before use */
	if ((v = calloc(3 * n + 1, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		pf_cgen_strv(f, t[i].in, v[3 * i].s, sizeof(v->s));
		pf_cgen_strv(f, t[i].glob, v[3 * i + 1].s, sizeof(v->s));
		pf_cgen_strv(f, t[i].name, v[3 * i + 2].s, sizeof(v->s));
	}
	pf_cgen_sym("t", name, size);
	fprintf(f, "static struct test %s[] = {\n", name);
	for (i = 0; i < n; i++) {
		fprintf(f, "\t{ .pos = %d, .kw = ", t[i].pos);
		pf_cgen_str(f, t[i].kw);
		fprintf(f, ", .recv = %d, .is = %d,\n", t[i].recv, (int)t[i].is);
		fprintf(f, "\t    .in = %s, .glob = %s, .name = %s },\n",
		    v[3 * i].s, v[3 * i + 1].s, v[3 * i + 2].s);
	}
	/* an empty list was still allocated (one element): so is this */
	if (n == 0)
		fputs("\t{ .pos = 0 },\n", f);
	fputs("};\n", f);
	free(v);
	return name;
}

static int
cgen_matchers(FILE *f, const struct rule *r, char *name, size_t size)
{
	struct sym *v;
	size_t i, n;

	if (r->m == NULL) {
		(void)snprintf(name, size, "NULL");
		return 0;
	}
	if ((v = calloc(8 * r->nm + 1, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < r->nm; i++) {
		const struct matcher *m = &r->m[i];
		struct sym *x = &v[8 * i];

		for (n = 0; m->pats[n] != NULL; n++)
			;
		pf_cgen_strv(f, m->pats, x[0].s, sizeof(x->s));
		pf_cgen_strv(f, m->except, x[1].s, sizeof(x->s));
		pf_cgen_strv(f, m->roots, x[2].s, sizeof(x->s));
		pf_cgen_strv(f, m->lits, x[3].s, sizeof(x->s));
		cgen_sizes(f, m->rootlen, n + 1, x[4].s, sizeof(x->s));
		cgen_sizes(f, m->litlen, n + 1, x[5].s, sizeof(x->s));
		if (cgen_tests(f, m->when, m->nwhen, x[6].s, sizeof(x->s)) == NULL ||
		    cgen_tests(f, m->unless, m->nunless, x[7].s, sizeof(x->s)) ==
			NULL) {
			free(v);
			return -1;
		}
	}
	pf_cgen_sym("m", name, size);
	fprintf(f, "static struct matcher %s[] = {\n", name);
	for (i = 0; i <= r->nm; i++) {
		const struct matcher *m = &r->m[i];
		const struct sym *x = &v[8 * i];

		/* the array ends in a zeroed matcher, as calloc left it */
		if (i == r->nm) {
			fputs("\t{ .kind = 0 },\n", f);
			break;
		}
		fprintf(f, "\t{ .kind = %d, .refs = %d, .wild = %d,\n",
		    (int)m->kind, m->refs, m->wild);
		fprintf(f, "\t    .pats = %s, .except = %s,\n", x[0].s, x[1].s);
		fprintf(f, "\t    .roots = %s, .lits = %s,\n", x[2].s, x[3].s);
		fprintf(f, "\t    .rootlen = %s, .litlen = %s,\n", x[4].s, x[5].s);
		fprintf(f, "\t    .when = %s, .nwhen = %zu,\n", x[6].s, m->nwhen);
		fprintf(f, "\t    .unless = %s, .nunless = %zu },\n", x[7].s,
		    m->nunless);
	}
	fputs("};\n", f);
	free(v);
	return 0;
}

int
pf_pyscan_table_cgen(const struct pf_pyscan_table *t, const char *sha256,
    FILE *f, struct pf_err *e)
{
	struct sym *v;
	size_t i;

	if (t->bad)
		return pf_err_set(e, PF_EXIT_USAGE, "%s", t->err.msg);
	if ((v = calloc(t->n + 1, sizeof(*v))) == NULL)
		return pf_err_nomem(e);
	fputs("/* Generated by policies/compile-tables.c: do not edit. */\n"
	      "#include <stddef.h>\n\n"
	      "#include \"pf_pyscan_priv.h\"\n\n",
	    f);
	for (i = 0; i < t->n; i++)
		if (cgen_matchers(f, &t->r[i], v[i].s, sizeof(v->s)) == -1) {
			free(v);
			return pf_err_nomem(e);
		}
	fputs("static struct rule rules[] = {\n", f);
	for (i = 0; i <= t->n; i++) {
		const struct rule *r = &t->r[i];

		if (i == t->n) {
			fputs("\t{ .id = NULL },\n", f);
			break;
		}
		fputs("\t{ .id = ", f);
		pf_cgen_str(f, r->id);
		fputs(", .category = ", f);
		pf_cgen_str(f, r->category);
		fputs(",\n\t    .bandit = ", f);
		pf_cgen_str(f, r->bandit);
		fputs(", .builtin = ", f);
		pf_cgen_str(f, r->builtin);
		fputs(",\n\t    .message = ", f);
		pf_cgen_str(f, r->message);
		fprintf(f, ",\n\t    .cat = %d, .sev = %d, .m = %s, .nm = %zu },\n",
		    r->cat, (int)r->sev, v[i].s, r->nm);
	}
	fputs("};\n\n", f);
	fprintf(f,
	    "const struct pf_pyscan_table pf_pyscan_table_builtin = {\n"
	    "\t.r = rules, .n = %zu, .count = %zu, .sha256 = ",
	    t->n, t->count);
	pf_cgen_str(f, sha256);
	fputs(" };\n", f);
	free(v);
	return 0;
}
