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
#include "pf_pkl_select.h"
#include "pf_banned.h"

/* Includes are followed with an explicit stack: a rule file is small. */
#define MAX_PENDING 64

static const char *const kinds[] = {
	"library_name", "file_name", "format", "result"
};

static int
chosen_has(const json_t *chosen, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(chosen, i, v)
		if (strcmp(json_string_value(json_object_get(v, "name")),
		    name) == 0)
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
	    "evidence", evidence ? pf_json_text(evidence, strnlen(evidence,
	    200)) : NULL);
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
				return pf_err_set(e, 2, "profile '%s': include "
				    "names are strings", parent);
			if (chosen_has(chosen, child))
				continue;
			if (!json_is_object(json_object_get(all, child)))
				return pf_err_set(e, 2,
				    "unknown pickle profile '%s'", child);
			if (top == MAX_PENDING)
				return pf_err_set(
				    e, 2, "too many pickle profiles");
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
	case 0:
		return strcasecmp(pat, value) == 0;
	case 1:
		base = strrchr(value, '/');
		return fnmatch(pat, base ? base + 1 : value, 0) == 0;
	case 2:
		return strcmp(pat, value) == 0;
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
	const json_t *all = json_object_get(table, "profiles"), *when, *pats,
	    *v;
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
			r = pf_err_set(e, 2, "profile '%s': when must be an "
			    "object", names[i]);
			goto out;
		}
		json_object_foreach((json_t *)when, key, pats) {
			for (k = 0; k < 4 && strcmp(key, kinds[k]) != 0; k++)
				;
			if (k == 4 || !json_is_array(pats)) {
				r = pf_err_set(e, 2, "profile '%s': when: '%s' "
				    "is not a kind of evidence with a list",
				    names[i], key);
				goto out;
			}
			json_array_foreach(pats, j, v) {
				if (!json_is_string(v)) {
					r = pf_err_set(e, 2, "profile '%s': "
					    "when: values are strings",
					    names[i]);
					goto out;
				}
				if (values[k] == NULL ||
				    !matches(k, json_string_value(v),
				    values[k]))
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
