/*
 * pf_requirements: what a model asks pip to install. requirements.txt in
 * pip's format (continuations, comments, options, -r/-c includes, bare URLs
 * and paths), PEP 508 requirement strings (names normalised as PEP 503
 * says, extras, specifiers, markers, direct URLs), and the dependency
 * arrays of a pyproject.toml, read with a small bounded TOML subset. A
 * malformed line is an item for the caller (a finding), not an error.
 */
#ifndef PF_REQUIREMENTS_H
#define PF_REQUIREMENTS_H

#include <stddef.h>

#include "pf_err.h"
#include "pf_pep440.h"

enum pf_req_kind { PF_REQ_NAMED, PF_REQ_URL, PF_REQ_VCS, PF_REQ_PATH };

struct pf_req {
	enum pf_req_kind kind;
	char *name;	 /* as written; NULL when a URL or path names none */
	char *norm;	 /* PEP 503 normalised name, or NULL */
	char *extras;	 /* "a,b" normalised, or NULL */
	char *specifier; /* the clauses without spaces, or NULL */
	struct pf_pep440_specset spec;
	char *marker;	 /* as written, or NULL */
	char *url;	 /* direct reference, bare URL or path, or NULL */
	int editable;	 /* -e */
	unsigned hashes; /* --hash options on the line */
};

enum pf_req_what {
	PF_REQ_ITEM,	/* a requirement: req */
	PF_REQ_OPTION,	/* a global option: option, value */
	PF_REQ_INCLUDE, /* -r or -c: value, constraint */
	PF_REQ_ERROR	/* a malformed line: error */
};

struct pf_req_item {
	enum pf_req_what what;
	size_t line; /* 1-based: the first physical line */
	const struct pf_req *req;
	const char *option; /* long form: "--index-url" */
	const char *value;
	int constraint;
	const char *error;
	const char *text;  /* the logical line, or the TOML string */
	const char *group; /* pyproject: "project.dependencies", ...; NULL
				 * elsewhere and for a TOML syntax error */
};

/* Returns 0 to go on, -1 to stop (the parser then returns -1, e unset). */
typedef int (*pf_req_fn)(void *ctx, const struct pf_req_item *it);

/* PEP 503: lowercase, runs of -, _ and . as one '-'; cut to outsz - 1. */
void pf_pep503_normalize(const char *name, size_t n, char *out, size_t outsz);
/* A PEP 508 string into r (free with pf_req_free). 0, or -1 with *why. */
int pf_pep508_parse(const char *s, size_t n, struct pf_req *r, const char **why);
void pf_req_free(struct pf_req *r);
/* Checks a PEP 508 environment marker's syntax. 0, or -1 with *why. */
int pf_pep508_marker_check(const char *s, size_t n, const char **why);

/*
 * A requirements file (at most PF_MAX_REQ_FILE bytes, checked by the
 * caller). Items go to fn in file order. Returns 0, or -1 (e set on
 * memory failure; unset when fn stopped).
 */
int pf_requirements_parse(const char *buf, size_t len, pf_req_fn fn, void *ctx,
    struct pf_err *e);
/*
 * A pyproject.toml: [project] dependencies, [project.optional-dependencies]
 * and [build-system] requires, as items with their group. TOML it cannot
 * read gives one PF_REQ_ERROR item and stops. Returns as above.
 */
int pf_pyproject_parse(const char *buf, size_t len, pf_req_fn fn, void *ctx,
    struct pf_err *e);

#endif
