/*
 * pf_pkl_allow: policies/pickle-globals.json compiled into a hash table.
 * The table is ours (a rule file beside the policy), so a malformed one is
 * a usage error (2), never a finding. Profiles extend "core" and may
 * include each other; the deny-list maps a dotted prefix to a severity.
 */
#include <stdlib.h>
#include <string.h>

#include "pf_int.h"
#include "pf_pkl_allow.h"
#include "pf_pickle.h"
#include "pf_banned.h"

/* Profiles in one table, and includes followed: a rule file is small. */
#define MAX_PROFILES 64

struct pf_pkl_deny {
	char *prefix;
	size_t len;
	enum pf_sev sev;
	char *message;
	char *cls; /* its gadget class, or NULL */
};

struct pf_pkl_allow {
	struct pf_pkl_entry *ent;
	size_t nent, cent;
	uint32_t *slot; /* index + 1, 0 empty */
	size_t nslot;	/* power of two */
	struct pf_pkl_deny *deny;
	size_t ndeny;
};

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

static void
shape_free(struct pf_pkl_shape *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->lit[i]);
}

void
pf_pkl_allow_free(struct pf_pkl_allow *a)
{
	size_t i, j;

	if (a == NULL)
		return;
	for (i = 0; i < a->nent; i++) {
		struct pf_pkl_entry *en = &a->ent[i];

		for (j = 0; j < en->nshapes; j++)
			shape_free(&en->shapes[j]);
		free(en->shapes);
		free(en->module);
		free(en->name);
		free(en->full);
		free(en->returns_name);
	}
	for (i = 0; i < a->ndeny; i++) {
		free(a->deny[i].prefix);
		free(a->deny[i].message);
		free(a->deny[i].cls);
	}
	free(a->ent);
	free(a->slot);
	free(a->deny);
	free(a);
}

/* "a.b.c" is module "a.b", name "c"; "a.b:C.D" is module "a.b", name "C.D". */
static int
split_key(const char *key, char **module, char **name)
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

/* Adds (or merges into) the entry for key with the spec v. */
static int
add_entry(struct pf_pkl_allow *a, const char *key, const json_t *v,
    struct pf_err *e)
{
	struct pf_pkl_entry *en, *ne;
	const json_t *words = v, *shapes = NULL, *ret = NULL, *w;
	char *module = NULL, *name = NULL;
	size_t i, k;
	int idx = -1, rc;

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
	if ((rc = split_key(key, &module, &name)) != 0)
		return rc == -2 ?
		    pf_err_nomem(e) :
		    pf_err_set(e, 2, "'%s': not a dotted name", key);
	en = (struct pf_pkl_entry *)pf_pkl_allow_find(a, module, strlen(module),
	    name, strlen(name), &idx);
	if (en == NULL) {
		if (a->nent == a->cent) {
			size_t nc = a->cent ? a->cent * 2 : 64;

			if ((ne = reallocarray(a->ent, nc, sizeof(*ne))) == NULL)
				goto nomem;
			a->ent = ne;
			a->cent = nc;
		}
		en = &a->ent[a->nent];
		memset(en, 0, sizeof(*en));
		en->module = module;
		en->name = name;
		module = name = NULL;
		if ((en->full = malloc(
			 strlen(en->module) + strlen(en->name) + 2)) == NULL) {
			a->nent++;
			goto nomem;
		}
		memcpy(en->full, en->module, strlen(en->module));
		en->full[strlen(en->module)] = '.';
		memcpy(en->full + strlen(en->module) + 1, en->name,
		    strlen(en->name) + 1);
		en->returns = PF_PKL_RET_SELF;
		a->nent++;
		if (a->nent * 2 > a->nslot) {
			if (rehash(a, a->nent, e) == -1)
				return -1;
		} else
			table_insert(a, a->nent - 1);
	}
	free(module);
	free(name);
	json_array_foreach(words, i, w) {
		const char *s = json_string_value(w);

		for (k = 0;
		     s != NULL && k < sizeof(capwords) / sizeof(capwords[0]); k++)
			if (strcmp(s, capwords[k].word) == 0)
				break;
		if (s == NULL || k == sizeof(capwords) / sizeof(capwords[0]))
			return pf_err_set(e, 2, "'%s': unknown capability %s",
			    key, s ? s : "(not a string)");
		en->caps |= capwords[k].cap;
	}
	if (shapes != NULL && json_array_size(shapes) > 0) {
		struct pf_pkl_shape *ns;
		size_t n = en->nshapes + json_array_size(shapes);

		if ((ns = reallocarray(en->shapes, n, sizeof(*ns))) == NULL)
			return pf_err_nomem(e);
		en->shapes = ns;
		json_array_foreach(shapes, i, w) {
			if (parse_shape(w, &en->shapes[en->nshapes], key, e) == -1) {
				shape_free(&en->shapes[en->nshapes]);
				return -1;
			}
			en->nshapes++;
		}
	}
	if (ret != NULL) {
		free(en->returns_name);
		if ((en->returns_name = strdup(json_string_value(ret))) == NULL)
			return pf_err_nomem(e);
	}
	return 0;
nomem:
	free(module);
	free(name);
	return pf_err_nomem(e);
}

/* The profiles to load: core, the requested ones, and what they include. */
static int
collect_profiles(const json_t *all, const json_t *requested, const char **out,
    size_t *nout, struct pf_err *e)
{
	const json_t *v, *inc, *p;
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
		if ((p = json_object_get(all, out[i])) == NULL ||
		    !json_is_object(p))
			return pf_err_set(e, 2, "unknown pickle profile '%s'",
			    out[i]);
		inc = json_object_get(p, "include");
		json_array_foreach(inc, j, v) {
			if (!json_is_string(v))
				return pf_err_set(e, 2,
				    "profile '%s': include names are strings",
				    out[i]);
			for (k = 0; k < n; k++)
				if (strcmp(out[k], json_string_value(v)) == 0)
					break;
			if (k < n)
				continue;
			if (n == MAX_PROFILES)
				return pf_err_set(e, 2, "too many pickle profiles");
			out[n++] = json_string_value(v);
		}
	}
	*nout = n;
	return 0;
}

/*
 * The deny-list: a dotted prefix maps to {"class": NAME}, whose severity
 * and message the table's "classes" give, or to {"severity", "message"}.
 */
static int
load_deny(struct pf_pkl_allow *a, const json_t *deny, const json_t *classes,
    struct pf_err *e)
{
	const char *key, *sev, *msg, *cls;
	const json_t *v, *c;
	size_t n = json_object_size(deny);

	if (deny == NULL)
		return 0;
	if (!json_is_object(deny) || (classes != NULL && !json_is_object(classes)))
		return pf_err_set(e, 2,
		    "pickle rules: 'deny' and 'classes' must be objects");
	if ((a->deny = calloc(n ? n : 1, sizeof(*a->deny))) == NULL)
		return pf_err_nomem(e);
	json_object_foreach((json_t *)deny, key, v) {
		struct pf_pkl_deny *d = &a->deny[a->ndeny];

		c = v;
		if ((cls = json_string_value(json_object_get(v, "class"))) != NULL &&
		    (c = json_object_get(classes, cls)) == NULL)
			return pf_err_set(e, 2,
			    "pickle rules: deny '%s': no class '%s'", key, cls);
		sev = json_string_value(json_object_get(c, "severity"));
		msg = json_string_value(json_object_get(c, "message"));
		if (sev == NULL || msg == NULL || pf_sev_parse(sev, &d->sev) != 0)
			return pf_err_set(e, 2,
			    "pickle rules: deny '%s' needs a class, or a "
			    "severity and a message",
			    key);
		if ((d->prefix = strdup(key)) == NULL ||
		    (d->message = strdup(msg)) == NULL ||
		    (cls != NULL && (d->cls = strdup(cls)) == NULL)) {
			free(d->prefix);
			free(d->message);
			return pf_err_nomem(e);
		}
		d->len = strlen(key);
		a->ndeny++;
	}
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
		if ((rc = split_key(en->returns_name, &module, &name)) != 0)
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

struct pf_pkl_allow *
pf_pkl_allow_new(const json_t *table, const json_t *profiles,
    const json_t *extra, struct pf_err *e)
{
	struct pf_pkl_allow *a;
	const char *names[MAX_PROFILES], *key;
	const json_t *all, *globals, *v;
	size_t n = 0, i;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	all = json_object_get(table, "profiles");
	if (!json_is_object(all)) {
		pf_err_set(e, 2, "pickle rules: no 'profiles' object");
		goto fail;
	}
	if (rehash(a, 64, e) == -1 ||
	    collect_profiles(all, profiles, names, &n, e) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		globals = json_object_get(json_object_get(all, names[i]),
		    "globals");
		if (globals != NULL && !json_is_object(globals)) {
			pf_err_set(e, 2,
			    "profile '%s': 'globals' must be an object", names[i]);
			goto fail;
		}
		json_object_foreach((json_t *)globals, key, v)
			if (add_entry(a, key, v, e) == -1)
				goto fail;
	}
	if (extra != NULL && !json_is_array(extra)) {
		pf_err_set(e, 2, "pickle.allow must be an array");
		goto fail;
	}
	json_array_foreach(extra, i, v) {
		const char *g = json_string_value(v);

		if (g != NULL) {
			/* A bare name is trusted fully: call, new and build. */
			json_t *full = json_pack("[sss]", "call", "new", "build");

			if (full == NULL || add_entry(a, g, full, e) == -1) {
				if (full == NULL)
					pf_err_nomem(e);
				json_decref(full);
				goto fail;
			}
			json_decref(full);
			continue;
		}
		if ((g = json_string_value(json_object_get(v, "global"))) == NULL) {
			pf_err_set(e, 2, "pickle.allow: entries need 'global'");
			goto fail;
		}
		if (add_entry(a, g, v, e) == -1)
			goto fail;
	}
	if (load_deny(a, json_object_get(table, "deny"),
		json_object_get(table, "classes"), e) == -1 ||
	    resolve_returns(a, e) == -1)
		goto fail;
	return a;
fail:
	pf_pkl_allow_free(a);
	return NULL;
}
