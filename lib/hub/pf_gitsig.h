/*
 * pf_gitsig: whether one commit of a Hub repository carries a GPG signature
 * that a keyring (a GnuPG home the policy names) accepts. The commit is
 * fetched alone into a scratch bare repository, checked by git
 * verify-commit run from an argv array, and the scratch folder removed.
 */
#ifndef PF_GITSIG_H
#define PF_GITSIG_H

#include <jansson.h>

#include "pf_err.h"

enum pf_gitsig {
	PF_GITSIG_VERIFIED,
	PF_GITSIG_UNSIGNED,
	PF_GITSIG_BAD_SIGNATURE, /* signed, but not by the keyring */
	PF_GITSIG_UNAVAILABLE	 /* the commit could not be fetched */
};

/* "verified", "unsigned", "bad-signature", "unavailable". */
const char *pf_gitsig_name(enum pf_gitsig s);
/* The policy's signed_commits.require_for names id, its org, or "*". */
int pf_gitsig_required(const json_t *policy, const char *id);
/*
 * Fetches commit (40 hex) from the git repository at url into a scratch
 * folder below $TMPDIR (else /tmp) and verifies it with GNUPGHOME=keyring.
 * token (may be NULL) is sent as the Hub's Authorization header, through
 * a file in the scratch folder, never argv or the environment; ca_file and
 * ca_dir (may be NULL) are the CA to trust, as for the Hub's API.
 * Returns 0 with *res set, or -1 with e set (3: no scratch folder).
 */
struct pf_gitsig_net {
	const char *token;
	const char *ca_file, *ca_dir;
};
int pf_gitsig_verify(const char *url, const char *commit, const char *keyring,
    const struct pf_gitsig_net *net, enum pf_gitsig *res, struct pf_err *e);

#endif
