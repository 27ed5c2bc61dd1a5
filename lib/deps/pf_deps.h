/*
 * pf_deps: the rules pf-scan-deps applies to what a model asks pip to
 * install: URL, VCS and path requirements, custom indexes and trusted
 * hosts, unpinned and loose requirements, drift from the policy's locked
 * versions, names one edit away from a popular package, and known
 * advisories. Findings go into the caller's artifact; nothing is printed.
 */
#ifndef PF_DEPS_H
#define PF_DEPS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_envelope.h"
#include "pf_err.h"
#include "pf_osv.h"
#include "pf_requirements.h"

/* One requirement and where it was written. */
struct pf_dep {
	char *file;
	size_t line;
	int64_t offset;	   /* of the line */
	const char *group; /* pyproject group, or NULL; not owned */
	struct pf_req r;
};

/* Checks the types of the policy's deps section. 0, or -1 with e (code 2). */
int pf_deps_policy_check(const json_t *policy, struct pf_err *e);
/* The policy's locked version of norm (PEP 503 form), or NULL. */
const char *pf_deps_locked(const json_t *policy, const char *norm);
/* True when a and b are one insertion, deletion, substitution or swap apart. */
int pf_deps_one_edit(const char *a, const char *b);
/* A URL as evidence, any user:password@ left out; a new reference or NULL. */
json_t *pf_deps_url_evidence(const char *url);

/*
 * Adds a finding at line of file (0: the whole file, no offset) to doc;
 * ev (consumed, may be NULL) gets the line. 0, or -1 with e (memory).
 */
int pf_deps_finding(json_t *doc, const char *file, size_t line, int64_t offset,
    const char *rule, enum pf_sev sev, json_t *ev, struct pf_err *e,
    const char *fmt, ...) __attribute__((format(printf, 9, 10)));

/*
 * A pip option (--index-url, --trusted-host, ...) at line of file: recorded
 * in indexes and judged against deps.allowed_indexes. 0, or -1 with e.
 */
int pf_deps_option(json_t *doc, json_t *indexes, const json_t *policy,
    const char *file, size_t line, int64_t offset, const char *option,
    const char *value, struct pf_err *e);

/*
 * Judges one requirement (db may be NULL: no advisories) into doc's
 * findings and appends its record to reqs. 0, or -1 with e (memory).
 */
int pf_deps_judge(json_t *doc, json_t *reqs, const json_t *policy,
    const struct pf_dep *d, const struct pf_osv *db, struct pf_err *e);

/*
 * The distinct PEP 503 names of deps and the policy's locked names, for
 * pf_osv_load: a new array (borrowed strings) with its length in *n, or NULL.
 */
const char **pf_deps_names(const struct pf_dep *deps, size_t ndeps,
    const json_t *policy, size_t *n);

#endif
