/*
 * pf_pkl_select: profiles chosen from evidence. A profile's "when" lists,
 * per kind of evidence, the values that call for it: "library_name"
 * (compared without case), "file_name" (fnmatch(3) patterns on the last
 * path component), "format" (exact), "result" (a dotted prefix of the
 * class the pickle returns). Every value is attacker-controlled: choosing
 * a profile only ever enables entries whose safety the table argues, so
 * evidence narrows what a file may use; it never vouches for the file.
 */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pf_json.h"
#include "pf_pickle.h"
#include "pf_pkl_rules_priv.h"
#include "pf_pkl_select.h"
#include "pf_banned.h"

/* Includes are followed with an explicit stack: a rule file is small. */
#define MAX_PENDING 64

static int
chosen_has(const json_t *chosen, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(chosen, i, v)
		if (strcmp(json_string_value(json_object_get(v, "name")), name) == 0)
			return 1;
	return 0;
}

static int
append(json_t *chosen, const char *name, const char *because,
    const char *evidence, struct pf_err *e)
{
	json_t *o;

	/* evidence is a file name or Hub value: maybe not UTF-8, maybe long */
	o = json_pack("{s:s, s:s, s:o?}", "name", name, "because", because,
	    "evidence",
	    evidence ? pf_json_text(evidence, strnlen(evidence, 200)) : NULL);
	if (o == NULL || json_array_append_new(chosen, o) == -1)
		return pf_err_nomem(e);
	return 0;
}

int
pf_pkl_select_add(const struct pf_pkl_rules *r, json_t *chosen, const char *name,
    const char *because, const char *evidence, struct pf_err *e)
{
	const struct pf_pkl_profile *p, *c;
	const char *stack[MAX_PENDING];
	size_t top = 0, i;
	int added = 0;

	if (chosen_has(chosen, name))
		return 0;
	if ((p = pkl_profile_find(r, name)) == NULL || !p->object)
		return pf_err_set(e, 2, "unknown pickle profile '%s'", name);
	if (append(chosen, name, because, evidence, e) == -1)
		return -1;
	added++;
	stack[top++] = name;
	while (top > 0) {
		const char *parent = stack[--top];

		p = pkl_profile_find(r, parent);
		if (p->include_bad)
			return pf_err_set(e, 2,
			    "profile '%s': include must be an array", parent);
		for (i = 0; i < p->ninclude; i++) {
			const char *child = p->include[i];

			if (child == NULL)
				return pf_err_set(e, 2,
				    "profile '%s': include "
				    "names are strings",
				    parent);
			if (chosen_has(chosen, child))
				continue;
			if ((c = pkl_profile_find(r, child)) == NULL || !c->object)
				return pf_err_set(e, 2,
				    "unknown pickle profile '%s'", child);
			if (top == MAX_PENDING)
				return pf_err_set(e, 2, "too many pickle profiles");
			if (append(chosen, child, "include", parent, e) == -1)
				return -1;
			added++;
			stack[top++] = child;
		}
	}
	return added;
}

/* Does value meet one pattern of kind k? */
static int
matches(size_t k, const char *pat, const char *value)
{
	const char *base;
	size_t n;

	switch (k) {
	case 0: return strcasecmp(pat, value) == 0;
	case 1:
		base = strrchr(value, '/');
		return fnmatch(pat, base ? base + 1 : value, 0) == 0;
	case 2: return strcmp(pat, value) == 0;
	default:
		n = strlen(pat);
		return strncmp(pat, value, n) == 0 &&
		    (value[n] == '\0' || value[n] == '.');
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_profile(const void *a, const void *b)
{
	return strcmp((*(const struct pf_pkl_profile *const *)a)->name,
	    (*(const struct pf_pkl_profile *const *)b)->name);
}

int
pf_pkl_select(const struct pf_pkl_rules *r, const struct pf_pkl_evidence *ev,
    json_t *chosen, struct pf_err *e)
{
	const struct pf_pkl_profile **sorted, *p;
	const char *values[4];
	size_t i, k, j;
	int added = 0, rc;

	values[0] = ev->library_name;
	values[1] = ev->file_name;
	values[2] = ev->format;
	values[3] = ev->result;
	if (!r->profiles_ok)
		return pf_err_set(e, 2, "pickle rules: no 'profiles' object");
	/* in name order, so that reruns list them alike */
	if ((sorted = calloc(r->np + 1, sizeof(*sorted))) == NULL)
		return pf_err_nomem(e);
	for (i = 0; i < r->np; i++)
		sorted[i] = &r->p[i];
	qsort(sorted, r->np, sizeof(*sorted), cmp_profile);
	for (i = 0; i < r->np; i++) {
		p = sorted[i];
		if (!p->object || (p->when == NULL && !p->when_bad))
			continue;
		if (p->when_bad) {
			rc = pf_err_set(e, 2,
			    "profile '%s': when must be an "
			    "object",
			    p->name);
			goto out;
		}
		for (k = 0; k < p->nwhen; k++) {
			const struct pf_pkl_when *w = &p->when[k];

			if (w->kind < 0) {
				rc = pf_err_set(e, 2,
				    "profile '%s': when: '%s' "
				    "is not a kind of evidence with a list",
				    p->name, w->key);
				goto out;
			}
			for (j = 0; j < w->npats; j++) {
				if (w->pats[j] == NULL) {
					rc = pf_err_set(e, 2,
					    "profile '%s': "
					    "when: values are strings",
					    p->name);
					goto out;
				}
				if (values[w->kind] == NULL ||
				    !matches((size_t)w->kind, w->pats[j],
					values[w->kind]))
					continue;
				if ((rc = pf_pkl_select_add(r, chosen, p->name,
					 w->key, values[w->kind], e)) == -1)
					goto out;
				added += rc;
			}
		}
	}
	rc = added;
out:
	free(sorted);
	return rc;
}

/* ------------------------------------------------------------- cache */

/* As many as the allow-list compiler takes in one set. */
#define MAX_SET 64

struct compiled {
	char *key; /* the profile names, sorted */
	struct pf_pkl_allow *allow;
};

struct pf_pkl_allow_cache {
	const struct pf_pkl_rules *table;
	const json_t *extra;
	struct compiled *v;
	size_t n;
};

struct pf_pkl_allow_cache *
pf_pkl_allow_cache_new(const struct pf_pkl_rules *table, const json_t *extra)
{
	struct pf_pkl_allow_cache *c = calloc(1, sizeof(*c));

	if (c != NULL) {
		c->table = table;
		c->extra = extra;
	}
	return c;
}

const struct pf_pkl_allow *
pf_pkl_allow_cache_get(struct pf_pkl_allow_cache *c, const json_t *chosen,
    struct pf_err *e)
{
	const char *names[MAX_SET];
	struct compiled *nv;
	json_t *list = NULL;
	size_t n = json_array_size(chosen), i, len = 1, off = 0;
	char *key;

	if (n > MAX_SET) {
		pf_err_set(e, 2, "more than %d pickle profiles", MAX_SET);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		names[i] = json_string_value(
		    json_object_get(json_array_get(chosen, i), "name"));
		if (names[i] == NULL) {
			pf_err_set(e, 2, "a pickle profile without a name");
			return NULL;
		}
		len += strlen(names[i]) + 1;
	}
	qsort(names, n, sizeof(*names), cmp_str);
	if ((key = malloc(len)) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		memcpy(key + off, names[i], strlen(names[i]));
		off += strlen(names[i]);
		key[off++] = ' ';
	}
	key[off] = '\0';
	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0) {
			free(key);
			return c->v[i].allow;
		}
	/* core comes with every allow-list: the compiler adds it itself */
	if ((list = json_array()) == NULL ||
	    (nv = reallocarray(c->v, c->n + 1, sizeof(*nv))) == NULL)
		goto nomem;
	c->v = nv;
	for (i = 0; i < n; i++)
		if (strcmp(names[i], "core") != 0 &&
		    json_array_append_new(list, json_string(names[i])) == -1)
			goto nomem;
	if ((nv[c->n].allow = pf_pkl_allow_new(c->table, list, c->extra, e)) ==
	    NULL) {
		json_decref(list);
		free(key);
		return NULL;
	}
	json_decref(list);
	nv[c->n].key = key;
	return nv[c->n++].allow;
nomem:
	json_decref(list);
	free(key);
	pf_err_nomem(e);
	return NULL;
}

void
pf_pkl_allow_cache_free(struct pf_pkl_allow_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		pf_pkl_allow_free(c->v[i].allow);
		free(c->v[i].key);
	}
	free(c->v);
	free(c);
}
