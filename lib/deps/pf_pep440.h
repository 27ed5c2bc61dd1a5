/*
 * pf_pep440: Python version identifiers (PEP 440): parsing with the
 * normalisations the PEP allows (v prefix, alpha/beta/c/pre/preview, -r,
 * _ and - separators, implicit numbers), ordering (epochs, pre, post, dev
 * and local versions, as the packaging library does) and version
 * specifiers (~=, ==, !=, <=, >=, <, >, ===, prefix matches).
 */
#ifndef PF_PEP440_H
#define PF_PEP440_H

#include <stddef.h>
#include <stdint.h>

#include "pf_limits.h"

enum pf_pep440_pre { PF_PRE_NONE = 0, PF_PRE_A, PF_PRE_B, PF_PRE_RC };

struct pf_pep440 {
	uint64_t epoch;
	uint64_t rel[PF_MAX_PEP440_RELEASE];
	size_t nrel;
	enum pf_pep440_pre pre;
	uint64_t pre_n;
	int has_post, has_dev;
	uint64_t post, dev;
	char local[PF_MAX_PEP440_LEN]; /* normalised: lowercase, '.'-separated */
	size_t local_len;	       /* 0: no local version */
};

/* Returns 0 with v filled, or -1 when s[0..n) is not a PEP 440 version. */
int pf_pep440_parse(const char *s, size_t n, struct pf_pep440 *v);
/* <0, 0, >0 as a sorts before, equal to, or after b (1.0 == 1.0.0). */
int pf_pep440_cmp(const struct pf_pep440 *a, const struct pf_pep440 *b);
/* The normalised form ("1!2.0rc1.post3.dev4+ubuntu.1") into buf; its length. */
size_t pf_pep440_format(const struct pf_pep440 *v, char *buf, size_t n);
/* A pre-release: has a pre or a dev segment. */
int pf_pep440_is_pre(const struct pf_pep440 *v);

enum pf_pep440_op {
	PF_OP_COMPAT,
	PF_OP_EQ,
	PF_OP_NE,
	PF_OP_LE,
	PF_OP_GE,
	PF_OP_LT,
	PF_OP_GT,
	PF_OP_ARB
};

struct pf_pep440_spec {
	enum pf_pep440_op op;
	int prefix;		     /* ==V.* or !=V.* */
	struct pf_pep440 v;	     /* unused for === */
	char raw[PF_MAX_PEP440_LEN]; /* the version as written (for ===) */
};

struct pf_pep440_specset {
	struct pf_pep440_spec *v;
	size_t n;
};

/*
 * One clause ("~=1.4.2", ">= 2.0", "==1.1.*"). Returns 0, or -1 with *why
 * (a static string) set.
 */
int pf_pep440_spec_parse(const char *s, size_t n, struct pf_pep440_spec *sp,
    const char **why);
/* Whether v (written as raw, for ===) satisfies one clause. */
int pf_pep440_spec_match(const struct pf_pep440_spec *sp,
    const struct pf_pep440 *v, const char *raw);
/*
 * Comma-separated clauses; an empty string is the empty set (matches all).
 * Returns 0, or -1 with *why set (or "out of memory"). Free with _free.
 */
int pf_pep440_specset_parse(const char *s, size_t n,
    struct pf_pep440_specset *set, const char **why);
void pf_pep440_specset_free(struct pf_pep440_specset *set);
/*
 * Whether v satisfies every clause. prereleases: 1 allows pre-releases,
 * 0 refuses them, -1 decides as packaging does (allowed when a clause
 * names a pre-release).
 */
int pf_pep440_specset_contains(const struct pf_pep440_specset *set,
    const struct pf_pep440 *v, const char *raw, int prereleases);
/* The version of the set's == (not prefix) or === clause, or NULL. */
const struct pf_pep440_spec *pf_pep440_specset_pin(
    const struct pf_pep440_specset *set);

/*
 * The public versions the set admits, as one interval: local versions are
 * left out as PEP 440 says, and clauses != and === are ignored, so this may
 * be wider than the set. Used to ask whether a range of versions meets an
 * advisory's range.
 */
struct pf_pep440_bound {
	int set;  /* 0: unbounded */
	int incl; /* the bound itself is inside */
	struct pf_pep440 v;
};
void pf_pep440_specset_interval(const struct pf_pep440_specset *set,
    struct pf_pep440_bound *lo, struct pf_pep440_bound *hi);

#endif
