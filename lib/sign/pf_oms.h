/*
 * pf_oms: OpenSSF Model Signing v1.0 bundles, key-based: a Sigstore bundle
 * (v0.3) holding a DSSE envelope over an in-toto statement whose predicate
 * lists every file of the model with its SHA-256 (serialisation "files").
 * Built for pf-sign, read from untrusted bytes for pf-verify.
 */
#ifndef PF_OMS_H
#define PF_OMS_H

#include <jansson.h>
#include <stddef.h>

#include "pf_dsse.h"
#include "pf_err.h"
#include "pf_hash.h"

#define PF_OMS_BUNDLE_TYPE    "application/vnd.dev.sigstore.bundle.v0.3+json"
#define PF_OMS_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define PF_OMS_PREDICATE_TYPE "https://model_signing/signature/v1.0"

struct pf_oms_resource {
	const char *name; /* model-relative, '/'-separated */
	unsigned char digest[32];
};

struct pf_oms {
	json_t *bundle; /* owns the strings borrowed below */
	json_t *statement;
	char hint[PF_SHA256_HEX]; /* "" when the bundle names no key */
	struct pf_dsse dsse;	  /* dsse.payload: the statement's bytes */
	const char *subject;
	unsigned char root[32]; /* subject[0].digest.sha256 */
	struct pf_oms_resource *res;
	size_t nres;
	const char **ignore; /* serialization.ignore_paths */
	size_t nignore;
	int allow_symlinks;
};

/*
 * Reads a bundle: media type, optional key hint, the DSSE envelope with an
 * in-toto payload. Code 1 naming what is wrong. Free with pf_oms_free,
 * also after a failure.
 */
int pf_oms_parse_bundle(const void *buf, size_t len, struct pf_oms *b,
    struct pf_err *e);
/*
 * Reads the statement in b->dsse.payload (after pf_oms_parse_bundle):
 * types, one subject, method "files" with SHA-256, resources with safe,
 * unique names (at most PF_MAX_FILES). Code 1 naming what is wrong.
 */
int pf_oms_parse_statement(struct pf_oms *b, struct pf_err *e);
void pf_oms_free(struct pf_oms *b);

/* The root digest: SHA-256 over the resources' raw digests in list order. */
void pf_oms_root(const struct pf_oms_resource *r, size_t n, unsigned char out[32]);

/*
 * Orders names as the reference signer does: component by component, so
 * "a/b" sorts before "a-b" ('/' is below every other byte).
 */
int pf_oms_name_cmp(const char *a, const char *b);
/* True when rel is one of the ignored paths or below one. */
int pf_oms_ignored(const char *rel, const char *const *ignore, size_t n);

/* What the reference signer leaves out besides the signature itself. */
extern const char *const pf_oms_git_paths[];
#define PF_OMS_NGIT_PATHS 4

/*
 * The statement for resources r (sorted by the caller), serialised: the
 * exact bytes to sign. A new buffer, or NULL with e set (code 3).
 */
char *pf_oms_statement(const char *subject, const struct pf_oms_resource *r,
    size_t n, const char *const *ignore, size_t nignore, size_t *len,
    struct pf_err *e);
/* The bundle around a signed statement, serialised. NULL with e set. */
char *pf_oms_bundle(const char *hint, const void *statement, size_t len,
    const unsigned char *sig, size_t siglen, size_t *outlen, struct pf_err *e);

#endif
