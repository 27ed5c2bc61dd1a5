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
#include "pf_pkl_select.h"
#include "pf_banned.h"

/* Includes are followed with an explicit stack: a rule file is small. */
#define MAX_PENDING 64

static const char *const kinds[] = { "library_name", "file_name", "format",
	"result" };

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
pf_pkl_select_add(const json_t *table, json_t *chosen, const char *name,
    const char *because, const char *evidence, struct pf_err *e)
{
	const json_t *all = json_object_get(table, "profiles"), *p, *inc, *v;
	const char *stack[MAX_PENDING];
	size_t top = 0, i;
	int added = 0;

	if (chosen_has(chosen, name))
		return 0;
	if (!json_is_object(json_object_get(all, name)))
		return pf_err_set(e, 2, "unknown pickle profile '%s'", name);
	if (append(chosen, name, because, evidence, e) == -1)
		return -1;
	added++;
	stack[top++] = name;
	while (top > 0) {
		const char *parent = stack[--top];

		p = json_object_get(all, parent);
		inc = json_object_get(p, "include");
		if (inc != NULL && !json_is_array(inc))
			return pf_err_set(e, 2,
			    "profile '%s': include must be an array", parent);
		json_array_foreach(inc, i, v) {
			const char *child = json_string_value(v);

			if (child == NULL)
				return pf_err_set(e, 2,
				    "profile '%s': include "
				    "names are strings",
				    parent);
			if (chosen_has(chosen, child))
				continue;
			if (!json_is_object(json_object_get(all, child)))
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

int
pf_pkl_select(const json_t *table, const struct pf_pkl_evidence *ev,
    json_t *chosen, struct pf_err *e)
{
	const json_t *all = json_object_get(table, "profiles"), *when, *pats, *v;
	const char *values[4], **names, *key;
	size_t n = 0, i, k, j;
	int added = 0, r;

	values[0] = ev->library_name;
	values[1] = ev->file_name;
	values[2] = ev->format;
	values[3] = ev->result;
	if (!json_is_object(all))
		return pf_err_set(e, 2, "pickle rules: no 'profiles' object");
	/* in name order, so that reruns list them alike */
	if ((names = calloc(json_object_size(all) + 1, sizeof(*names))) == NULL)
		return pf_err_nomem(e);
	json_object_foreach((json_t *)all, key, v)
		names[n++] = key;
	qsort(names, n, sizeof(*names), cmp_str);
	for (i = 0; i < n; i++) {
		when = json_object_get(json_object_get(all, names[i]), "when");
		if (when == NULL)
			continue;
		if (!json_is_object(when)) {
			r = pf_err_set(e, 2,
			    "profile '%s': when must be an "
			    "object",
			    names[i]);
			goto out;
		}
		json_object_foreach((json_t *)when, key, pats) {
			for (k = 0; k < 4 && strcmp(key, kinds[k]) != 0; k++)
				;
			if (k == 4 || !json_is_array(pats)) {
				r = pf_err_set(e, 2,
				    "profile '%s': when: '%s' "
				    "is not a kind of evidence with a list",
				    names[i], key);
				goto out;
			}
			json_array_foreach(pats, j, v) {
				if (!json_is_string(v)) {
					r = pf_err_set(e, 2,
					    "profile '%s': "
					    "when: values are strings",
					    names[i]);
					goto out;
				}
				if (values[k] == NULL ||
				    !matches(k, json_string_value(v), values[k]))
					continue;
				if ((r = pf_pkl_select_add(table, chosen,
					 names[i], key, values[k], e)) == -1)
					goto out;
				added += r;
			}
		}
	}
	r = added;
out:
	free(names);
	return r;
}

/* ------------------------------------------------------------- cache */

/* As many as the allow-list compiler takes in one set. */
#define MAX_SET 64

struct compiled {
	char *key; /* the profile names, sorted */
	struct pf_pkl_allow *allow;
};

struct pf_pkl_allow_cache {
	const json_t *table, *extra;
	struct compiled *v;
	size_t n;
};

struct pf_pkl_allow_cache *
pf_pkl_allow_cache_new(const json_t *table, const json_t *extra)
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
