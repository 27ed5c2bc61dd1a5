/*
 * pf_pkl_allow: the profiles of a loaded pickle-globals.json (pf_pkl_rules)
 * compiled into a hash table. The table is ours (a rule file beside the
 * policy), so a malformed one is a usage error (2), never a finding.
 * Profiles extend "core" and may include each other; the deny-list maps a
 * dotted prefix to a severity. Entries borrow their strings from the
 * rules, which outlive every allow-list made from them.
 */
#include <stdlib.h>
#include <string.h>

#include "pf_int.h"
#include "pf_pkl_allow.h"
#include "pf_pickle.h"
#include "pf_pkl_rules_priv.h"
#include "pf_banned.h"

/* Profiles in one table, and includes followed: a rule file is small. */
#define MAX_PROFILES 64

struct pf_pkl_allow {
	struct pf_pkl_entry *ent;
	size_t nent, cent;
	uint32_t *slot; /* index + 1, 0 empty */
	size_t nslot;	/* power of two */
	const struct pf_pkl_deny *deny; /* the rules' */
	size_t ndeny;
	struct pf_pkl_gspec *extra; /* the policy's entries, owned */
	size_t nextra;
};

static uint64_t
hash_pair(const char *mod, size_t modlen, const char *name, size_t namelen)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < modlen; i++)
		h = (h ^ (unsigned char)mod[i]) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (i = 0; i < namelen; i++)
		h = (h ^ (unsigned char)name[i]) * 1099511628211ull;
	return h;
}

const struct pf_pkl_entry *
pf_pkl_allow_find(const struct pf_pkl_allow *a, const char *module,
    size_t modlen, const char *name, size_t namelen, int *idx)
{
	const struct pf_pkl_entry *en;
	size_t i, mask;

	if (a == NULL || a->nslot == 0)
		return NULL;
	mask = a->nslot - 1;
	i = (size_t)hash_pair(module, modlen, name, namelen) & mask;
	for (; a->slot[i] != 0; i = (i + 1) & mask) {
		en = &a->ent[a->slot[i] - 1];
		if (strlen(en->module) == modlen && strlen(en->name) == namelen &&
		    memcmp(en->module, module, modlen) == 0 &&
		    memcmp(en->name, name, namelen) == 0) {
			if (idx != NULL)
				*idx = (int)(a->slot[i] - 1);
			return en;
		}
	}
	return NULL;
}

const struct pf_pkl_entry *
pf_pkl_allow_entry(const struct pf_pkl_allow *a, int idx)
{
	if (a == NULL || idx < 0 || (size_t)idx >= a->nent)
		return NULL;
	return &a->ent[idx];
}

/* The longest deny-list prefix of name, on a dot boundary, or NULL. */
static const struct pf_pkl_deny *
deny_find(const struct pf_pkl_allow *a, const char *name)
{
	const struct pf_pkl_deny *best = NULL;
	size_t i, n = strlen(name);

	if (a == NULL)
		return NULL;
	for (i = 0; i < a->ndeny; i++) {
		const struct pf_pkl_deny *d = &a->deny[i];

		if (n < d->len || memcmp(name, d->prefix, d->len) != 0 ||
		    (n > d->len && name[d->len] != '.'))
			continue;
		if (best == NULL || d->len > best->len)
			best = d;
	}
	return best;
}

int
pf_pkl_allow_denied(const struct pf_pkl_allow *a, const char *name,
    enum pf_sev *sev, const char **message)
{
	const struct pf_pkl_deny *d = deny_find(a, name);

	if (d == NULL)
		return 0;
	*sev = d->sev;
	*message = d->message;
	return 1;
}

const char *
pf_pkl_allow_class(const struct pf_pkl_allow *a, const char *name)
{
	const struct pf_pkl_deny *d = deny_find(a, name);

	return d != NULL ? d->cls : NULL;
}

void
pf_pkl_allow_free(struct pf_pkl_allow *a)
{
	size_t i;

	if (a == NULL)
		return;
	/* shapes are copies whose literals the specs own */
	for (i = 0; i < a->nent; i++)
		free(a->ent[i].shapes);
	for (i = 0; i < a->nextra; i++)
		pkl_gspec_free(&a->extra[i]);
	free(a->extra);
	free(a->ent);
	free(a->slot);
	free(a);
}

static int
table_insert(struct pf_pkl_allow *a, size_t idx)
{
	const struct pf_pkl_entry *en = &a->ent[idx];
	size_t i, mask = a->nslot - 1;

	i = (size_t)hash_pair(en->module, strlen(en->module), en->name,
		strlen(en->name)) &
	    mask;
	while (a->slot[i] != 0)
		i = (i + 1) & mask;
	a->slot[i] = (uint32_t)idx + 1;
	return 0;
}

static int
rehash(struct pf_pkl_allow *a, size_t want, struct pf_err *e)
{
	size_t n = 16, i;

	while (n < want * 2)
		n *= 2;
	free(a->slot);
	if ((a->slot = calloc(n, sizeof(*a->slot))) == NULL)
		return pf_err_nomem(e);
	a->nslot = n;
	for (i = 0; i < a->nent; i++)
		table_insert(a, i);
	return 0;
}

/* Adds (or merges into) the entry g names. */
static int
add_entry(struct pf_pkl_allow *a, const struct pf_pkl_gspec *g, struct pf_err *e)
{
	struct pf_pkl_entry *en, *ne;
	int idx = -1;

	if (g->err != NULL)
		return pf_err_set(e, 2, "%s", g->err);
	en = (struct pf_pkl_entry *)pf_pkl_allow_find(a, g->module,
	    strlen(g->module), g->name, strlen(g->name), &idx);
	if (en == NULL) {
		if (a->nent == a->cent) {
			size_t nc = a->cent ? a->cent * 2 : 64;

			if ((ne = reallocarray(a->ent, nc, sizeof(*ne))) == NULL)
				return pf_err_nomem(e);
			a->ent = ne;
			a->cent = nc;
		}
		en = &a->ent[a->nent];
		memset(en, 0, sizeof(*en));
		en->module = g->module;
		en->name = g->name;
		en->full = g->full;
		en->returns = PF_PKL_RET_SELF;
		a->nent++;
		if (a->nent * 2 > a->nslot) {
			if (rehash(a, a->nent, e) == -1)
				return -1;
		} else
			table_insert(a, a->nent - 1);
	}
	en->caps |= g->caps;
	if (g->nshapes > 0) {
		struct pf_pkl_shape *ns;
		size_t n = en->nshapes + g->nshapes;

		if ((ns = reallocarray(en->shapes, n, sizeof(*ns))) == NULL)
			return pf_err_nomem(e);
		en->shapes = ns;
		memcpy(&en->shapes[en->nshapes], g->shapes,
		    g->nshapes * sizeof(*ns));
		en->nshapes = n;
	}
	if (g->returns != NULL)
		en->returns_name = g->returns;
	return 0;
}

/* The profiles to load: core, the requested ones, and what they include. */
static int
collect_profiles(const struct pf_pkl_rules *r, const json_t *requested,
    const char **out, size_t *nout, struct pf_err *e)
{
	const struct pf_pkl_profile *p;
	const json_t *v;
	size_t i, j, k, n = 0;

	out[n++] = "core";
	if (requested != NULL && !json_is_array(requested))
		return pf_err_set(e, 2, "pickle.profiles must be an array");
	json_array_foreach(requested, i, v) {
		if (!json_is_string(v))
			return pf_err_set(e, 2,
			    "pickle.profiles: names are strings");
		if (n == MAX_PROFILES)
			return pf_err_set(e, 2, "pickle.profiles: too many");
		out[n++] = json_string_value(v);
	}
	for (i = 0; i < n; i++) {
		if ((p = pkl_profile_find(r, out[i])) == NULL || !p->object)
			return pf_err_set(e, 2, "unknown pickle profile '%s'",
			    out[i]);
		for (j = 0; j < p->ninclude; j++) {
			if (p->include[j] == NULL)
				return pf_err_set(e, 2,
				    "profile '%s': include names are strings",
				    out[i]);
			for (k = 0; k < n; k++)
				if (strcmp(out[k], p->include[j]) == 0)
					break;
			if (k < n)
				continue;
			if (n == MAX_PROFILES)
				return pf_err_set(e, 2, "too many pickle profiles");
			out[n++] = p->include[j];
		}
	}
	*nout = n;
	return 0;
}

/* Resolves "returns" names once every entry is known. */
static int
resolve_returns(struct pf_pkl_allow *a, struct pf_err *e)
{
	char *module, *name;
	size_t i;
	int idx, rc;

	for (i = 0; i < a->nent; i++) {
		struct pf_pkl_entry *en = &a->ent[i];

		if (en->returns_name == NULL)
			continue;
		if (strcmp(en->returns_name, "$0") == 0) {
			en->returns = PF_PKL_RET_ARG0;
			continue;
		}
		if (strcmp(en->returns_name, "none") == 0) {
			en->returns = PF_PKL_RET_NONE;
			continue;
		}
		if ((rc = pkl_split_key(en->returns_name, &module, &name)) != 0)
			return rc == -2 ?
			    pf_err_nomem(e) :
			    pf_err_set(e, 2, "'%s': returns: not a dotted name",
				en->full);
		/* A type from a profile not loaded: nothing more is allowed. */
		en->returns = pf_pkl_allow_find(a, module, strlen(module), name,
				  strlen(name), &idx) ?
		    idx :
		    PF_PKL_RET_NONE;
		free(module);
		free(name);
	}
	return 0;
}

/* The policy's pickle.allow: each entry becomes a spec the allow-list owns. */
static int
add_extra(struct pf_pkl_allow *a, const json_t *extra, struct pf_err *e)
{
	const json_t *v;
	size_t i;

	if (extra != NULL && !json_is_array(extra))
		return pf_err_set(e, 2, "pickle.allow must be an array");
	if (json_array_size(extra) == 0)
		return 0;
	if ((a->extra = calloc(json_array_size(extra), sizeof(*a->extra))) == NULL)
		return pf_err_nomem(e);
	json_array_foreach(extra, i, v) {
		const char *g = json_string_value(v);
		struct pf_pkl_gspec *s = &a->extra[a->nextra];
		json_t *full;
		int rc;

		if (g != NULL) {
			/* A bare name is trusted fully: call, new and build. */
			if ((full = json_pack("[sss]", "call", "new", "build")) ==
			    NULL)
				return pf_err_nomem(e);
			a->nextra++;
			rc = pkl_gspec_parse(s, g, full, e);
			json_decref(full);
		} else if ((g = json_string_value(json_object_get(v, "global"))) ==
		    NULL)
			return pf_err_set(e, 2,
			    "pickle.allow: entries need 'global'");
		else {
			a->nextra++;
			rc = pkl_gspec_parse(s, g, v, e);
		}
		if (rc == -1 || add_entry(a, s, e) == -1)
			return -1;
	}
	return 0;
}

struct pf_pkl_allow *
pf_pkl_allow_new(const struct pf_pkl_rules *r, const json_t *profiles,
    const json_t *extra, struct pf_err *e)
{
	const struct pf_pkl_profile *p;
	struct pf_pkl_allow *a;
	const char *names[MAX_PROFILES];
	size_t n = 0, i, j;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	if (!r->profiles_ok) {
		pf_err_set(e, 2, "pickle rules: no 'profiles' object");
		goto fail;
	}
	if (rehash(a, 64, e) == -1 ||
	    collect_profiles(r, profiles, names, &n, e) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		p = pkl_profile_find(r, names[i]);
		if (p->globals_bad) {
			pf_err_set(e, 2,
			    "profile '%s': 'globals' must be an object", names[i]);
			goto fail;
		}
		for (j = 0; j < p->ng; j++)
			if (add_entry(a, &p->g[j], e) == -1)
				goto fail;
	}
	if (add_extra(a, extra, e) == -1)
		goto fail;
	if (r->deny_err != NULL) {
		pf_err_set(e, 2, "%s", r->deny_err);
		goto fail;
	}
	a->deny = r->deny;
	a->ndeny = r->ndeny;
	if (resolve_returns(a, e) == -1)
		goto fail;
	return a;
fail:
	pf_pkl_allow_free(a);
	return NULL;
}
