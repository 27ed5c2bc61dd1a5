/*
 * pf_wembed: what strings in weights-side JSON carry (config values,
 * safetensors __metadata__): pickles hidden in them (pf_pkl_embed; at
 * least high when they would run anything, info when inert), and for
 * safetensors metadata, code (shell, Python, HTML script: medium) and
 * URLs (low), which no loader runs but a reviewer wants to see.
 */
#ifndef PF_WEMBED_H
#define PF_WEMBED_H

#include <jansson.h>
#include <stddef.h>

#include "pf_err.h"
#include "pf_pkl_container.h"
#include "pf_wfind.h"

struct pf_wembed_opts {
	const struct pf_pkl_scan_opts *pkl; /* allow-list and caps */
	size_t max_embed; /* decoded bytes of one string looked at */
	const struct pf_wfind *w;
};

/*
 * Every string in doc (borrowed), named by its path from root ("config"):
 * pickles hidden in them are findings (weights.embedded-pickle.*).
 * Returns 0, or -1 with e set (3: memory).
 */
int pf_wembed_json(const struct pf_wembed_opts *o, const json_t *doc,
    const char *root, struct pf_err *e);

/*
 * The safetensors header hdr[0..len) (already validated): each
 * __metadata__ value is searched for hidden pickles, code and URLs
 * (weights.safetensors.metadata-*). Returns 0, or -1 with e set.
 */
int pf_wembed_st_metadata(const struct pf_wembed_opts *o, const char *hdr,
    size_t len, struct pf_err *e);

#endif
