/*
 * pf_pkl_rules: pickle-globals.json read into profiles, globals and the
 * deny-list, every value checked as pf_pkl_allow would check it; and the
 * result written out as C for the built-in copy. Errors are kept, not
 * returned: a broken profile is an error only for a scan that uses it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_cgen.h"
#include "pf_pkl_rules.h"
#include "pf_pkl_rules_priv.h"
#include "pf_banned.h"

static const struct {
	const char *word;
	unsigned cap;
} capwords[] = {
	{ "call", PF_PKL_CAP_CALL },
	{ "new", PF_PKL_CAP_NEW },
	{ "build", PF_PKL_CAP_BUILD },
	{ "setitems", PF_PKL_CAP_SETITEMS },
	{ "appends", PF_PKL_CAP_APPENDS },
	{ "additems", PF_PKL_CAP_ADDITEMS },
	{ "enum", PF_PKL_CAP_ENUM },
	{ "storage", PF_PKL_CAP_STORAGE },
};

static const struct {
	const char *word;
	enum pf_pkl_tok tok;
} tokwords[] = {
	{ "any", PF_PKL_T_ANY },
	{ "str", PF_PKL_T_STR },
	{ "name", PF_PKL_T_NAME },
	{ "int", PF_PKL_T_INT },
	{ "bool", PF_PKL_T_BOOL },
	{ "none", PF_PKL_T_NONE },
	{ "bytes", PF_PKL_T_BYTES },
	{ "tuple", PF_PKL_T_TUPLE },
	{ "list", PF_PKL_T_LIST },
	{ "dict", PF_PKL_T_DICT },
	{ "class", PF_PKL_T_CLASS },
	{ "callable", PF_PKL_T_CALLABLE },
	{ "enum", PF_PKL_T_ENUM },
	{ "storage", PF_PKL_T_STORAGE },
	{ "factory", PF_PKL_T_FACTORY },
	{ "type", PF_PKL_T_TYPE },
};

static const char *const kinds[] = { "library_name", "file_name", "format",
	"result" };

static void
shape_free(struct pf_pkl_shape *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->lit[i]);
}

void
pkl_gspec_free(struct pf_pkl_gspec *g)
{
	size_t i;

	for (i = 0; i < g->nshapes; i++)
		shape_free(&g->shapes[i]);
	free(g->shapes);
	free(g->key);
	free(g->module);
	free(g->name);
	free(g->full);
	free(g->returns);
	free(g->err);
}

/* "a.b.c" is module "a.b", name "c"; "a.b:C.D" is module "a.b", name "C.D". */
int
pkl_split_key(const char *key, char **module, char **name)
{
	const char *sep = strchr(key, ':');

	if (sep == NULL)
		sep = strrchr(key, '.');
	if (sep == NULL || sep == key || sep[1] == '\0')
		return -1;
	*module = strndup(key, (size_t)(sep - key));
	*name = strdup(sep + 1);
	if (*module == NULL || *name == NULL) {
		free(*module);
		free(*name);
		*module = *name = NULL;
		return -2;
	}
	return 0;
}

static int
parse_shape(const json_t *arr, struct pf_pkl_shape *s, const char *key,
    struct pf_err *e)
{
	const json_t *v;
	size_t i, k;

	memset(s, 0, sizeof(*s));
	if (!json_is_array(arr))
		return pf_err_set(e, 2,
		    "'%s': args: each shape must be an array", key);
	json_array_foreach(arr, i, v) {
		const char *w = json_string_value(v);

		if (w == NULL)
			return pf_err_set(e, 2,
			    "'%s': args: tokens are strings", key);
		if (strcmp(w, "...") == 0) {
			if (i + 1 != json_array_size(arr))
				return pf_err_set(e, 2,
				    "'%s': args: '...' must come last", key);
			s->rest = 1;
			break;
		}
		if (s->n >= PF_PKL_SHAPE_MAX)
			return pf_err_set(e, 2, "'%s': args: more than %d", key,
			    PF_PKL_SHAPE_MAX);
		if (w[0] == '=') {
			s->tok[s->n] = PF_PKL_T_LIT;
			if ((s->lit[s->n] = strdup(w + 1)) == NULL)
				return pf_err_nomem(e);
			s->n++;
			continue;
		}
		for (k = 0; k < sizeof(tokwords) / sizeof(tokwords[0]); k++)
			if (strcmp(w, tokwords[k].word) == 0)
				break;
		if (k == sizeof(tokwords) / sizeof(tokwords[0]))
			return pf_err_set(e, 2,
			    "'%s': args: unknown token '%s'", key, w);
		s->tok[s->n++] = (unsigned char)tokwords[k].tok;
	}
	return 0;
}

int
pkl_gspec_parse(struct pf_pkl_gspec *g, const char *key, const json_t *v,
    struct pf_err *e)
{
	const json_t *words = v, *shapes = NULL, *ret = NULL, *w;
	size_t i, k, mlen;
	int rc;

	memset(g, 0, sizeof(*g));
	if ((g->key = strdup(key)) == NULL)
		return pf_err_nomem(e);
	if (json_is_object(v)) {
		words = json_object_get(v, "allow");
		shapes = json_object_get(v, "args");
		ret = json_object_get(v, "returns");
	}
	if (!json_is_array(words))
		return pf_err_set(e, 2, "'%s': 'allow' must be an array", key);
	if (shapes != NULL && !json_is_array(shapes))
		return pf_err_set(e, 2, "'%s': 'args' must be an array", key);
	if (ret != NULL && !json_is_string(ret))
		return pf_err_set(e, 2, "'%s': 'returns' must be a string", key);
	if ((rc = pkl_split_key(key, &g->module, &g->name)) != 0)
		return rc == -2 ?
		    pf_err_nomem(e) :
		    pf_err_set(e, 2, "'%s': not a dotted name", key);
	mlen = strlen(g->module);
	if ((g->full = malloc(mlen + strlen(g->name) + 2)) == NULL)
		return pf_err_nomem(e);
	memcpy(g->full, g->module, mlen);
	g->full[mlen] = '.';
	memcpy(g->full + mlen + 1, g->name, strlen(g->name) + 1);
	json_array_foreach(words, i, w) {
		const char *s = json_string_value(w);

		for (k = 0;
		     s != NULL && k < sizeof(capwords) / sizeof(capwords[0]); k++)
			if (strcmp(s, capwords[k].word) == 0)
				break;
		if (s == NULL || k == sizeof(capwords) / sizeof(capwords[0]))
			return pf_err_set(e, 2, "'%s': unknown capability %s",
			    key, s ? s : "(not a string)");
		g->caps |= capwords[k].cap;
	}
	if (shapes != NULL && json_array_size(shapes) > 0) {
		if ((g->shapes = calloc(json_array_size(shapes),
			 sizeof(*g->shapes))) == NULL)
			return pf_err_nomem(e);
		json_array_foreach(shapes, i, w) {
			if (parse_shape(w, &g->shapes[g->nshapes], key, e) == -1) {
				shape_free(&g->shapes[g->nshapes]);
				return -1;
			}
			g->nshapes++;
		}
	}
	if (ret != NULL && (g->returns = strdup(json_string_value(ret))) == NULL)
		return pf_err_nomem(e);
	return 0;
}

const struct pf_pkl_profile *
pkl_profile_find(const struct pf_pkl_rules *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->np; i++)
		if (strcmp(r->p[i].name, name) == 0)
			return &r->p[i];
	return NULL;
}

size_t
pf_pkl_rules_profiles(const struct pf_pkl_rules *r)
{
	return r->np;
}

const char *
pf_pkl_rules_profile(const struct pf_pkl_rules *r, size_t i)
{
	return i < r->np ? r->p[i].name : NULL;
}

void
pf_pkl_rules_free(const struct pf_pkl_rules *cr)
{
	struct pf_pkl_rules *r = (struct pf_pkl_rules *)cr;
	size_t i, j, k;

	/* the built-in table is static data */
	if (r == NULL || !r->owned)
		return;
	for (i = 0; i < r->np; i++) {
		struct pf_pkl_profile *p = &r->p[i];

		for (j = 0; j < p->ninclude; j++)
			free(p->include[j]);
		free(p->include);
		for (j = 0; j < p->ng; j++)
			pkl_gspec_free(&p->g[j]);
		free(p->g);
		for (j = 0; j < p->nwhen; j++) {
			for (k = 0; k < p->when[j].npats; k++)
				free(p->when[j].pats[k]);
			free(p->when[j].pats);
			free(p->when[j].key);
		}
		free(p->when);
		free(p->name);
	}
	free(r->p);
	for (i = 0; i < r->ndeny; i++) {
		free(r->deny[i].prefix);
		free(r->deny[i].message);
		free(r->deny[i].cls);
	}
	free(r->deny);
	free(r->deny_err);
	free(r);
}

/* n strings of a JSON array, NULL for a value that is not one. */
static int
strings(const json_t *a, char ***out, size_t *n)
{
	const json_t *v;
	size_t i;

	*n = 0;
	if ((*out = calloc(json_array_size(a) + 1, sizeof(**out))) == NULL)
		return -1;
	json_array_foreach(a, i, v) {
		if (json_is_string(v) &&
		    ((*out)[i] = strdup(json_string_value(v))) == NULL)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
load_when(struct pf_pkl_profile *p, const json_t *when)
{
	const json_t *pats;
	const char *key;
	size_t k;

	if (when == NULL)
		return 0;
	if (!json_is_object(when)) {
		p->when_bad = 1;
		return 0;
	}
	if ((p->when = calloc(json_object_size(when) + 1, sizeof(*p->when))) == NULL)
		return -1;
	json_object_foreach((json_t *)when, key, pats) {
		struct pf_pkl_when *w = &p->when[p->nwhen++];

		for (k = 0; k < 4 && strcmp(key, kinds[k]) != 0; k++)
			;
		w->kind = k == 4 || !json_is_array(pats) ? -1 : (int)k;
		if ((w->key = strdup(key)) == NULL ||
		    (w->kind >= 0 && strings(pats, &w->pats, &w->npats) == -1))
			return -1;
	}
	return 0;
}

static int
load_profile(struct pf_pkl_profile *p, const char *name, const json_t *v,
    struct pf_err *e)
{
	const json_t *inc, *globals, *g;
	struct pf_err ge;
	const char *key;

	if ((p->name = strdup(name)) == NULL)
		return pf_err_nomem(e);
	if (!(p->object = json_is_object(v)))
		return 0;
	inc = json_object_get(v, "include");
	if (inc != NULL && !json_is_array(inc))
		p->include_bad = 1;
	else if (inc != NULL && strings(inc, &p->include, &p->ninclude) == -1)
		return pf_err_nomem(e);
	globals = json_object_get(v, "globals");
	if (globals != NULL && !json_is_object(globals))
		p->globals_bad = 1;
	else if (globals != NULL) {
		if ((p->g = calloc(json_object_size(globals) + 1, sizeof(*p->g))) ==
		    NULL)
			return pf_err_nomem(e);
		json_object_foreach((json_t *)globals, key, g) {
			struct pf_pkl_gspec *s = &p->g[p->ng++];

			pf_err_clear(&ge);
			if (pkl_gspec_parse(s, key, g, &ge) == 0)
				continue;
			if (ge.code != 2) {
				*e = ge;
				return -1;
			}
			/* reported when an allow-list takes the profile */
			if ((s->err = strdup(ge.msg)) == NULL)
				return pf_err_nomem(e);
		}
	}
	if (load_when(p, json_object_get(v, "when")) == -1)
		return pf_err_nomem(e);
	return 0;
}

/*
 * The deny-list: a dotted prefix maps to {"class": NAME}, whose severity
 * and message the table's "classes" give, or to {"severity", "message"}.
 * Returns 0 (what is wrong goes to r->deny_err) or -1 out of memory.
 */
static int
load_deny(struct pf_pkl_rules *r, const json_t *deny, const json_t *classes)
{
	const char *key, *sev, *msg, *cls;
	const json_t *v, *c;
	size_t n = json_object_size(deny);
	char why[PF_ERR_MSG];

	if (deny == NULL)
		return 0;
	why[0] = '\0';
	if (!json_is_object(deny) || (classes != NULL && !json_is_object(classes))) {
		(void)snprintf(why, sizeof(why),
		    "pickle rules: 'deny' and 'classes' must be objects");
		goto bad;
	}
	if ((r->deny = calloc(n ? n : 1, sizeof(*r->deny))) == NULL)
		return -1;
	json_object_foreach((json_t *)deny, key, v) {
		struct pf_pkl_deny *d = &r->deny[r->ndeny];

		c = v;
		if ((cls = json_string_value(json_object_get(v, "class"))) != NULL &&
		    (c = json_object_get(classes, cls)) == NULL) {
			(void)snprintf(why, sizeof(why),
			    "pickle rules: deny '%s': no class '%s'", key, cls);
			goto bad;
		}
		sev = json_string_value(json_object_get(c, "severity"));
		msg = json_string_value(json_object_get(c, "message"));
		if (sev == NULL || msg == NULL || pf_sev_parse(sev, &d->sev) != 0) {
			(void)snprintf(why, sizeof(why),
			    "pickle rules: deny '%s' needs a class, or a "
			    "severity and a message",
			    key);
			goto bad;
		}
		if ((d->prefix = strdup(key)) == NULL ||
		    (d->message = strdup(msg)) == NULL ||
		    (cls != NULL && (d->cls = strdup(cls)) == NULL)) {
			free(d->prefix);
			free(d->message);
			d->prefix = d->message = NULL;
			return -1;
		}
		d->len = strlen(key);
		r->ndeny++;
	}
	return 0;
bad:
	return (r->deny_err = strdup(why)) == NULL ? -1 : 0;
}

struct pf_pkl_rules *
pf_pkl_rules_new(const json_t *table, struct pf_err *e)
{
	struct pf_pkl_rules *r;
	const json_t *all, *v;
	const char *key;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	r->owned = 1;
	all = json_object_get(table, "profiles");
	if ((r->profiles_ok = json_is_object(all))) {
		if ((r->p = calloc(json_object_size(all) + 1, sizeof(*r->p))) == NULL)
			goto nomem;
		json_object_foreach((json_t *)all, key, v)
			if (load_profile(&r->p[r->np++], key, v, e) == -1)
				goto fail;
	}
	if (load_deny(r, json_object_get(table, "deny"),
		json_object_get(table, "classes")) == -1)
		goto nomem;
	return r;
nomem:
	pf_err_nomem(e);
fail:
	pf_pkl_rules_free(r);
	return NULL;
}

/* ---- C ---- */

struct sym {
	char s[32];
};

static void
cgen_shapes(FILE *f, const struct pf_pkl_gspec *g, char *name, size_t size)
{
	size_t i, k;

	if (g->shapes == NULL) {
		(void)snprintf(name, size, "NULL");
		return;
	}
	pf_cgen_sym("s", name, size);
	fprintf(f, "static struct pf_pkl_shape %s[] = {\n", name);
	for (i = 0; i < g->nshapes; i++) {
		const struct pf_pkl_shape *s = &g->shapes[i];

		fprintf(f, "\t{ .n = %u, .rest = %u, .tok = {", s->n, s->rest);
		for (k = 0; k < PF_PKL_SHAPE_MAX; k++)
			fprintf(f, " %u,", s->tok[k]);
		fputs(" },\n\t    .lit = {", f);
		for (k = 0; k < PF_PKL_SHAPE_MAX; k++) {
			fputc(' ', f);
			pf_cgen_str(f, s->lit[k]);
			fputc(',', f);
		}
		fputs(" } },\n", f);
	}
	if (g->nshapes == 0)
		fputs("\t{ .n = 0 },\n", f);
	fputs("};\n", f);
}

static int
cgen_profile(FILE *f, const struct pf_pkl_profile *p, struct sym out[3])
{
	struct sym *v;
	size_t i;

	pf_cgen_strs(f, p->include, p->ninclude, out[0].s, sizeof(out->s));
	(void)snprintf(out[1].s, sizeof(out->s), "NULL");
	(void)snprintf(out[2].s, sizeof(out->s), "NULL");
	if (p->g != NULL) {
		if ((v = calloc(p->ng + 1, sizeof(*v))) == NULL)
			return -1;
		for (i = 0; i < p->ng; i++)
			cgen_shapes(f, &p->g[i], v[i].s, sizeof(v->s));
		pf_cgen_sym("g", out[1].s, sizeof(out->s));
		fprintf(f, "static struct pf_pkl_gspec %s[] = {\n", out[1].s);
		for (i = 0; i < p->ng; i++) {
			const struct pf_pkl_gspec *g = &p->g[i];

			fputs("\t{ .key = ", f);
			pf_cgen_str(f, g->key);
			fputs(", .module = ", f);
			pf_cgen_str(f, g->module);
			fputs(",\n\t    .name = ", f);
			pf_cgen_str(f, g->name);
			fputs(", .full = ", f);
			pf_cgen_str(f, g->full);
			fprintf(f,
			    ",\n\t    .caps = 0x%x, .shapes = %s, "
			    ".nshapes = %zu, .returns = ",
			    g->caps, v[i].s, g->nshapes);
			pf_cgen_str(f, g->returns);
			fputs(", .err = ", f);
			pf_cgen_str(f, g->err);
			fputs(" },\n", f);
		}
		fputs("\t{ .key = NULL },\n};\n", f);
		free(v);
	}
	if (p->when != NULL) {
		if ((v = calloc(p->nwhen + 1, sizeof(*v))) == NULL)
			return -1;
		for (i = 0; i < p->nwhen; i++)
			pf_cgen_strs(f, p->when[i].pats, p->when[i].npats,
			    v[i].s, sizeof(v->s));
		pf_cgen_sym("w", out[2].s, sizeof(out->s));
		fprintf(f, "static struct pf_pkl_when %s[] = {\n", out[2].s);
		for (i = 0; i < p->nwhen; i++) {
			fputs("\t{ .key = ", f);
			pf_cgen_str(f, p->when[i].key);
			fprintf(f, ", .kind = %d, .pats = %s, .npats = %zu },\n",
			    p->when[i].kind, v[i].s, p->when[i].npats);
		}
		fputs("\t{ .key = NULL },\n};\n", f);
		free(v);
	}
	return 0;
}

int
pf_pkl_rules_cgen(const struct pf_pkl_rules *r, const char *sha256, FILE *f,
    struct pf_err *e)
{
	struct sym *v;
	size_t i;

	if ((v = calloc(3 * r->np + 1, sizeof(*v))) == NULL)
		return pf_err_nomem(e);
	fputs("/* Generated by policies/compile-tables.c: do not edit. */\n"
	      "#include <stddef.h>\n\n"
	      "#include \"pf_pkl_rules_priv.h\"\n\n",
	    f);
	for (i = 0; i < r->np; i++)
		if (cgen_profile(f, &r->p[i], &v[3 * i]) == -1) {
			free(v);
			return pf_err_nomem(e);
		}
	if (r->p != NULL)
		fputs("static struct pf_pkl_profile profiles[] = {\n", f);
	for (i = 0; r->p != NULL && i <= r->np; i++) {
		if (i == r->np) {
			fputs("\t{ .name = NULL },\n};\n\n", f);
			break;
		}
		const struct pf_pkl_profile *p = &r->p[i];

		fputs("\t{ .name = ", f);
		pf_cgen_str(f, p->name);
		fprintf(f,
		    ", .object = %d, .include_bad = %d,\n"
		    "\t    .include = %s, .ninclude = %zu, .globals_bad = %d,\n"
		    "\t    .g = %s, .ng = %zu, .when_bad = %d,\n"
		    "\t    .when = %s, .nwhen = %zu },\n",
		    p->object, p->include_bad, v[3 * i].s, p->ninclude,
		    p->globals_bad, v[3 * i + 1].s, p->ng, p->when_bad,
		    v[3 * i + 2].s, p->nwhen);
	}
	free(v);
	if (r->deny != NULL)
		fputs("static struct pf_pkl_deny deny[] = {\n", f);
	for (i = 0; r->deny != NULL && i <= r->ndeny; i++) {
		if (i == r->ndeny) {
			fputs("\t{ .prefix = NULL },\n};\n\n", f);
			break;
		}
		fputs("\t{ .prefix = ", f);
		pf_cgen_str(f, r->deny[i].prefix);
		fprintf(f, ", .len = %zu, .sev = %d,\n\t    .message = ",
		    r->deny[i].len, (int)r->deny[i].sev);
		pf_cgen_str(f, r->deny[i].message);
		fputs(",\n\t    .cls = ", f);
		pf_cgen_str(f, r->deny[i].cls);
		fputs(" },\n", f);
	}
	fprintf(f,
	    "const struct pf_pkl_rules pf_pkl_rules_builtin = {\n"
	    "\t.profiles_ok = %d, .p = %s, .np = %zu,\n"
	    "\t.deny = %s, .ndeny = %zu, .deny_err = ",
	    r->profiles_ok, r->p ? "profiles" : "NULL", r->np,
	    r->deny ? "deny" : "NULL", r->ndeny);
	pf_cgen_str(f, r->deny_err);
	fputs(",\n\t.sha256 = ", f);
	pf_cgen_str(f, sha256);
	fputs(" };\n", f);
	return 0;
}
