/*
 * pf_allowlist: where a model stands with the policy before anything is
 * fetched: on the allowlist (pre-approved), from a trusted publisher
 * (trusted-org), or neither (requires-approval, or denied when the policy
 * says unlisted: "deny").
 */
#ifndef PF_ALLOWLIST_H
#define PF_ALLOWLIST_H

#include <jansson.h>

struct pf_allowlist {
	const char *status; /* "pre-approved", "trusted-org", "requires-approval" */
	char publisher[256]; /* the id's organisation; "" for a legacy id */
	int org_verified;    /* publisher is in trusted_publishers */
	int deny_unlisted;   /* requires-approval and unlisted is "deny" */
};

void pf_allowlist_check(const json_t *policy, const char *id,
    struct pf_allowlist *a);

#endif
