/*
 * pf_mlbom: a CycloneDX 1.6 ML bill of materials for one model commit,
 * built from the stage artifacts. The model is the metadata's component
 * (type machine-learning-model, pkg:huggingface purl, model card); every
 * file is a component with its SHA-256 and signature; the policy's locked
 * Python dependencies are library components with PyPI purls; the
 * pipeline's provenance (source, download time, scanner versions, commit
 * signature, verdicts, approvals, enforcement mode) is properties. Every
 * string from the model is JSON data, never markup.
 */
#ifndef PF_MLBOM_H
#define PF_MLBOM_H

#include <jansson.h>
#include <stddef.h>

#include "pf_err.h"

struct pf_mlbom_in {
	const json_t *plan, *fetch;	     /* required */
	const json_t *gate, *sign, *approve; /* each may be NULL */
	const json_t *const *scans;
	size_t nscans;
	const json_t *config; /* the model's config.json, or NULL */
	const json_t *card;   /* pf_card_parse of its README.md, or NULL */
	const json_t *policy;
	const char *timestamp; /* RFC 3339 */
	const char *digest; /* SHA-256 hex over the inputs: the serial number */
};

/*
 * Builds the BOM. Returns a new reference, or NULL with e set (code 2 for
 * an input that lacks what a BOM must have: a model id org/name, a 40-hex
 * commit, files with SHA-256; code 3 out of memory).
 */
json_t *pf_mlbom_new(const struct pf_mlbom_in *in, struct pf_err *e);

/* "pkg:huggingface/<org>/<name>@<commit>[?repository_url=...]" into buf. */
int pf_mlbom_purl(const char *id, const char *commit, const char *origin,
    char *buf, size_t size);

#endif
