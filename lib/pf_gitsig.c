/* pf_gitsig: git verify-commit of one fetched commit, in a scratch repository. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_gitsig.h"
#include "pf_policy.h"
#include "pf_spawn.h"
#include "pf_banned.h"

/* Seconds one git command may take before it is killed. */
#define GIT_TIMEOUT 120

const char *
pf_gitsig_name(enum pf_gitsig s)
{
	static const char *const names[] = { "verified", "unsigned",
	    "bad-signature", "unavailable" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] :
	    "unavailable";
}

int
pf_gitsig_required(const json_t *policy, const char *id)
{
	const json_t *list = pf_policy_get(policy, "signed_commits.require_for"), *v;
	size_t i, org = strcspn(id, "/");

	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL)
			continue;
		if (strcmp(s, "*") == 0 || strcmp(s, id) == 0 ||
		    (strlen(s) == org && strncmp(s, id, org) == 0))
			return 1;
	}
	return 0;
}

static int
git(const char *const *argv, const char *const *env, struct pf_buf *out)
{
	struct pf_spawn s = { argv, env, NULL, out, NULL, GIT_TIMEOUT };
	struct pf_err e;

	return pf_spawn_run(&s, &e);
}

/* An unsigned commit has no gpgsig header; a signed one the keyring rejects has. */
static enum pf_gitsig
verify_in(const char *dir, const char *url, const char *commit,
    const char *keyring)
{
	char gnupg[4200], home[4200];
	const char *env[] = { gnupg, home, "GIT_TERMINAL_PROMPT=0",
	    "GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C", NULL };
	const char *init[] = { "git", "init", "-q", "--bare", dir, NULL };
	const char *fetch[] = { "git", "-C", dir, "-c", "http.followRedirects=false",
	    "fetch", "-q", "--depth=1", url, commit, NULL };
	const char *verify[] = { "git", "-C", dir, "verify-commit", commit, NULL };
	const char *cat[] = { "git", "-C", dir, "cat-file", "commit", commit, NULL };
	struct pf_buf body;
	enum pf_gitsig res;

	(void)snprintf(gnupg, sizeof(gnupg), "GNUPGHOME=%s", keyring);
	(void)snprintf(home, sizeof(home), "HOME=%s", dir);
	if (git(init, env, NULL) != 0 || git(fetch, env, NULL) != 0)
		return PF_GITSIG_UNAVAILABLE;
	if (git(verify, env, NULL) == 0)
		return PF_GITSIG_VERIFIED;
	pf_buf_init(&body, 1 << 20);
	res = git(cat, env, &body) == 0 && body.data != NULL &&
	    strstr(body.data, "\ngpgsig ") != NULL ? PF_GITSIG_BAD_SIGNATURE :
	    PF_GITSIG_UNSIGNED;
	pf_buf_free(&body);
	return res;
}

int
pf_gitsig_verify(const char *url, const char *commit, const char *keyring,
    enum pf_gitsig *res, struct pf_err *e)
{
	const char *tmp = getenv("TMPDIR");
	const char *rm[] = { "rm", "-rf", "--", NULL, NULL };
	char dir[4096];

	(void)snprintf(dir, sizeof(dir), "%s/pf-gitsig.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return pf_err_set(e, PF_EXIT_FAILURE, "mkdtemp %s: %s",
		    pf_quote(dir), strerror(errno));
	*res = verify_in(dir, url, commit, keyring);
	rm[3] = dir;
	(void)git(rm, NULL, NULL);
	return 0;
}
