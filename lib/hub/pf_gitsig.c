/* pf_gitsig: git verify-commit of one fetched commit, in a scratch repository. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_gitsig.h"
#include "pf_json.h"
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
	const json_t *list = pf_policy_get(policy, "signed_commits.require_for"),
		     *v;
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

/* Appends s to b as a git config quoted string (\\ and \" escaped). */
static int
config_quoted(struct pf_buf *b, const char *s)
{
	if (pf_buf_append(b, "\"", 1) == -1)
		return -1;
	for (; *s != '\0'; s++)
		if ((*s == '"' || *s == '\\') && pf_buf_append(b, "\\", 1) == -1)
			return -1;
		else if (pf_buf_append(b, s, 1) == -1)
			return -1;
	return pf_buf_append(b, "\"", 1);
}

/*
 * The token reaches git in a file only git reads: $HOME/.gitconfig of the
 * scratch folder (0700, removed afterwards), mode 0600, with an
 * http.<url>.extraHeader that applies to the repository's URL alone.
 * Never argv (any local user can read a process's arguments) and never
 * the environment.
 */
static int
write_token_config(const char *dir, const char *url, const char *token)
{
	char path[4200];
	struct pf_buf b, v;
	int fd, rc = -1;

	(void)snprintf(path, sizeof(path), "%s/.gitconfig", dir);
	pf_buf_init(&b, 0);
	pf_buf_init(&v, 0);
	if (pf_buf_appendf(&v, "Authorization: Bearer %s", token) == -1 ||
	    pf_buf_append(&b, "[http ", 6) == -1 || config_quoted(&b, url) == -1 ||
	    pf_buf_append(&b, "]\n\textraHeader = ", 17) == -1 ||
	    config_quoted(&b, v.data) == -1 || pf_buf_append(&b, "\n", 1) == -1)
		goto out;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto out;
	rc = pf_write_all(fd, b.data, b.len);
	if (close(fd) == -1)
		rc = -1;
out:
	if (b.data != NULL)
		OPENSSL_cleanse(b.data, b.len);
	if (v.data != NULL)
		OPENSSL_cleanse(v.data, v.len);
	pf_buf_free(&b);
	pf_buf_free(&v);
	return rc;
}

/* An unsigned commit has no gpgsig header; a signed one the keyring rejects has. */
static enum pf_gitsig
verify_in(const char *dir, const char *url, const char *commit,
    const char *keyring, const struct pf_gitsig_net *net)
{
	char gnupg[4200], home[4200], cainfo[4200], capath[4200];
	const char *env[] = { gnupg, home, "GIT_TERMINAL_PROMPT=0",
		"GIT_CONFIG_NOSYSTEM=1", "LC_ALL=C", NULL, NULL, NULL };
	const char *init[] = { "git", "init", "-q", "--bare", dir, NULL };
	/* https only, unless the Hub itself is plain http (on loopback). */
	const char *fetch[] = { "git", "-C", dir, "-c",
		"http.followRedirects=false", "-c", "protocol.allow=never", "-c",
		strncmp(url, "http://", 7) == 0 ? "protocol.http.allow=always" :
						  "protocol.https.allow=always",
		"fetch", "-q", "--depth=1", url, commit, NULL };
	const char *verify[] = { "git", "-C", dir, "verify-commit", commit, NULL };
	const char *cat[] = { "git", "-C", dir, "cat-file", "commit", commit, NULL };
	struct pf_buf body;
	enum pf_gitsig res;
	size_t n = 5;

	(void)snprintf(gnupg, sizeof(gnupg), "GNUPGHOME=%s", keyring);
	(void)snprintf(home, sizeof(home), "HOME=%s", dir);
	if (net != NULL && net->ca_file != NULL) {
		(void)snprintf(cainfo, sizeof(cainfo), "GIT_SSL_CAINFO=%s",
		    net->ca_file);
		env[n++] = cainfo;
	}
	if (net != NULL && net->ca_dir != NULL) {
		(void)snprintf(capath, sizeof(capath), "GIT_SSL_CAPATH=%s",
		    net->ca_dir);
		env[n++] = capath;
	}
	if (net != NULL && net->token != NULL &&
	    write_token_config(dir, url, net->token) == -1)
		return PF_GITSIG_UNAVAILABLE;
	if (git(init, env, NULL) != 0 || git(fetch, env, NULL) != 0)
		return PF_GITSIG_UNAVAILABLE;
	if (git(verify, env, NULL) == 0)
		return PF_GITSIG_VERIFIED;
	pf_buf_init(&body, 1 << 20);
	res = git(cat, env, &body) == 0 && body.data != NULL &&
		strstr(body.data, "\ngpgsig ") != NULL ?
	    PF_GITSIG_BAD_SIGNATURE :
	    PF_GITSIG_UNSIGNED;
	pf_buf_free(&body);
	return res;
}

int
pf_gitsig_verify(const char *url, const char *commit, const char *keyring,
    const struct pf_gitsig_net *net, enum pf_gitsig *res, struct pf_err *e)
{
	const char *tmp = getenv("TMPDIR");
	const char *rm[] = { "rm", "-rf", "--", NULL, NULL };
	char dir[4096];

	(void)snprintf(dir, sizeof(dir), "%s/pf-gitsig.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return pf_err_set(e, PF_EXIT_FAILURE, "mkdtemp %s: %s",
		    pf_quote(dir), strerror(errno));
	*res = verify_in(dir, url, commit, keyring, net);
	rm[3] = dir;
	(void)git(rm, NULL, NULL);
	return 0;
}
