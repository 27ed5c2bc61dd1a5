/*
 * pf_pkl_select: which allow-list profiles a file gets, and why. Each
 * profile of policies/pickle-globals.json (pf_pkl_rules.h) may say "when" it applies: the
 * Hub's library_name, the file's name, its format, the class of the object
 * its pickle returns. The caller owns the list it grows.
 */
#ifndef PF_PKL_SELECT_H
#define PF_PKL_SELECT_H

#include <jansson.h>

#include "pf_err.h"
#include "pf_pkl_rules.h"

/* What is known about one file; NULL members are unknown. */
struct pf_pkl_evidence {
	const char *library_name; /* the model's, from fetch.json */
	const char *file_name;	  /* its last component is matched */
	const char *format;	  /* "joblib", "torch-zip", ... */
	const char *result;	  /* "pandas.core.frame.DataFrame" */
};

/*
 * Appends {"name", "because", "evidence"} for profile name to chosen,
 * then the same for each profile it includes (because "include"), unless
 * already there. Returns the number added, or -1 with e set (code 2 for
 * an unknown profile or a malformed table, 3 for memory).
 */
int pf_pkl_select_add(const struct pf_pkl_rules *table, json_t *chosen,
    const char *name, const char *because, const char *evidence, struct pf_err *e);

/*
 * Adds every profile whose "when" the evidence meets, with the evidence
 * that chose it. Returns the number added, or -1 with e set. With no
 * evidence at all it only checks every profile's "when".
 */
int pf_pkl_select(const struct pf_pkl_rules *table,
    const struct pf_pkl_evidence *ev, json_t *chosen, struct pf_err *e);

/*
 * Allow-lists compiled per set of profiles, each set once: a model's files
 * mostly share one. table and extra are borrowed for the cache's life.
 */
struct pf_pkl_allow_cache;
struct pf_pkl_allow_cache *pf_pkl_allow_cache_new(const struct pf_pkl_rules *table,
    const json_t *extra);
/*
 * The allow-list of the profiles named in chosen (as pf_pkl_select_add
 * fills it), owned by the cache; NULL with e set (2: a bad table).
 */
const struct pf_pkl_allow *pf_pkl_allow_cache_get(struct pf_pkl_allow_cache *c,
    const json_t *chosen, struct pf_err *e);
void pf_pkl_allow_cache_free(struct pf_pkl_allow_cache *c);

#endif
