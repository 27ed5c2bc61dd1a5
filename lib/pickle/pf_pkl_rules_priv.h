/*
 * The loaded pickle rule table, shared by pf_pkl_rules.c (loading it),
 * pf_pkl_allow.c and pf_pkl_select.c (using it) and the compiled-in copy
 * (generated C). Strings are malloc'd when owned, else static data.
 */
#ifndef PF_PKL_RULES_PRIV_H
#define PF_PKL_RULES_PRIV_H

#include <jansson.h>
#include <stddef.h>

#include "pf_envelope.h"
#include "pf_err.h"
#include "pf_pkl_allow.h"
#include "pf_pkl_rules.h"

/* One "globals" member (or pickle.allow entry) as read. */
struct pf_pkl_gspec {
	char *key;		    /* as written: messages name it */
	char *module, *name, *full; /* "a.b:C" is "a.b", "C", "a.b.C" */
	unsigned caps;
	struct pf_pkl_shape *shapes; /* its "args" */
	size_t nshapes;
	char *returns; /* "returns" as written, or NULL */
	char *err;     /* what is wrong with it (exit 2), or NULL */
};

/* One member of a profile's "when". */
struct pf_pkl_when {
	char *key; /* the kind as written */
	int kind;  /* 0..3 (library_name, file_name, format, result); -1 bad */
	char **pats; /* npats values, NULL for one that is not a string */
	size_t npats;
};

struct pf_pkl_profile {
	char *name;
	int object;	 /* an object; anything else is an unknown profile */
	int include_bad; /* "include" is there but not an array */
	char **include;	 /* ninclude names, NULL for one not a string */
	size_t ninclude;
	int globals_bad; /* "globals" is there but not an object */
	struct pf_pkl_gspec *g;
	size_t ng;
	int when_bad; /* "when" is there but not an object */
	struct pf_pkl_when *when;
	size_t nwhen;
};

/* A deny-list entry: a dotted prefix, its severity, message, class. */
struct pf_pkl_deny {
	char *prefix;
	size_t len;
	enum pf_sev sev;
	char *message;
	char *cls; /* its gadget class, or NULL */
};

struct pf_pkl_rules {
	int profiles_ok; /* "profiles" is an object */
	struct pf_pkl_profile *p;
	size_t np;
	struct pf_pkl_deny *deny;
	size_t ndeny;
	char *deny_err;	    /* what is wrong with deny or classes, or NULL */
	const char *sha256; /* of the JSON (built-in copy), else NULL */
	int owned;
};

/* The built-in table (generated; pf_pkl_builtin.c hands it out). */
extern const struct pf_pkl_rules pf_pkl_rules_builtin;

/* One spec from key and its JSON value; -1 with e set (2 or 3). */
int pkl_gspec_parse(struct pf_pkl_gspec *g, const char *key, const json_t *v,
    struct pf_err *e);
void pkl_gspec_free(struct pf_pkl_gspec *g);
/*
 * "a.b.c" is module "a.b", name "c"; "a.b:C.D" is module "a.b", name "C.D"
 * (both malloc'd). -1 when key is not a dotted name, -2 out of memory.
 */
int pkl_split_key(const char *key, char **module, char **name);
/* The profile named name, or NULL. */
const struct pf_pkl_profile *pkl_profile_find(const struct pf_pkl_rules *r,
    const char *name);

#endif
