/* pf_policy: the policy document and typed, cap-respecting access to it. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_banned.h"

#ifndef PF_POLICY_DIR
#define PF_POLICY_DIR "/usr/local/share/pathfinder/policies"
#endif

/* Folder of the policy file last loaded: rule tables are found beside it. */
static char loaded_dir[PATH_MAX];
/* Its path and SHA-256, which every artifact records (made_from.policy). */
static char loaded_path[PATH_MAX];
static char loaded_sha[PF_SHA256_HEX];

const char *
pf_policy_dir(void)
{
	return PF_POLICY_DIR;
}

const char *
pf_policy_default_path(void)
{
	const char *env = getenv("PF_POLICY");

	if (env != NULL && *env != '\0')
		return env;
	return PF_POLICY_DIR "/default.json";
}

json_t *
pf_policy_get(const json_t *policy, const char *dotted)
{
	char key[128];
	const json_t *v = policy;
	const char *p = dotted, *dot;
	size_t n;

	while (v != NULL && *p != '\0') {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		p += n + (dot != NULL);
	}
	return (json_t *)v;
}

uint64_t
pf_policy_cap(const json_t *policy, const char *name, uint64_t builtin)
{
	const json_t *caps = json_object_get(policy, "caps");
	const json_t *v = json_object_get(caps, name);

	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    (uint64_t)json_integer_value(v) < builtin)
		return (uint64_t)json_integer_value(v);
	return builtin;
}

enum pf_sev
pf_policy_fail_on(const json_t *policy)
{
	enum pf_sev s;

	if (pf_sev_parse(json_string_value(pf_policy_get(policy,
	    "scan.fail_on")), &s) == 0)
		return s;
	return PF_SEV_HIGH;
}

int
pf_policy_list_has(const json_t *policy, const char *dotted, const char *s)
{
	const json_t *list = pf_policy_get(policy, dotted), *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

/* The checks every stage relies on; sections are checked by their owners. */
static int
policy_check(const json_t *policy, const char *what, struct pf_err *e)
{
	const json_t *v, *caps;
	const char *key;
	enum pf_sev s;

	if (!json_is_object(policy))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: policy is not a JSON object",
		    what);
	v = pf_policy_get(policy, "scan.fail_on");
	if (v != NULL && pf_sev_parse(json_string_value(v), &s) == -1)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: scan.fail_on must be one of critical, high, medium, low, info",
		    what);
	caps = json_object_get(policy, "caps");
	if (caps != NULL && !json_is_object(caps))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: caps must be an object", what);
	json_object_foreach((json_t *)caps, key, v)
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: caps.%s must be a non-negative integer", what, key);
	return 0;
}

json_t *
pf_policy_load(const char *path, struct pf_err *e)
{
	char what[300], buf[PATH_MAX];
	struct pf_buf b;
	json_t *policy;
	char *slash;

	if (path == NULL)
		path = pf_policy_default_path();
	(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	/* Read once, hashed and parsed from the same bytes. */
	pf_buf_init(&b, PF_MAX_POLICY);
	if (pf_buf_read_file(&b, path, PF_MAX_POLICY, "PF_MAX_POLICY", e) == -1)
		return NULL;
	pf_sha256_hex(b.data, b.len, loaded_sha);
	policy = pf_json_parse(b.data, b.len, what, e);
	pf_buf_free(&b);
	if (policy == NULL)
		return NULL;
	if (policy_check(policy, what, e) == -1) {
		json_decref(policy);
		return NULL;
	}
	if (snprintf(buf, sizeof(buf), "%s", path) < (int)sizeof(buf)) {
		slash = strrchr(buf, '/');
		if (slash == NULL)
			(void)snprintf(loaded_dir, sizeof(loaded_dir), ".");
		else {
			*slash = '\0';
			(void)snprintf(loaded_dir, sizeof(loaded_dir), "%s",
			    slash == buf ? "/" : buf);
		}
	}
	if (realpath(path, buf) == NULL)
		(void)snprintf(buf, sizeof(buf), "%s", path);
	(void)snprintf(loaded_path, sizeof(loaded_path), "%s", buf);
	return policy;
}

void
pf_policy_loaded(const char **path, const char **sha256)
{
	*path = loaded_path[0] ? loaded_path : NULL;
	*sha256 = loaded_sha[0] ? loaded_sha : NULL;
}

char *
pf_policy_file(const char *name)
{
	const char *dirs[3];
	char *p;
	size_t i;

	if (name[0] == '/')
		return strdup(name);
	dirs[0] = loaded_dir[0] ? loaded_dir : NULL;
	dirs[1] = getenv("PF_RULES_DIR");
	dirs[2] = PF_POLICY_DIR;
	for (i = 0; i < 3; i++) {
		if (dirs[i] == NULL || *dirs[i] == '\0')
			continue;
		if ((p = pf_path_join(dirs[i], name)) == NULL)
			return NULL;
		if (access(p, R_OK) == 0)
			return p;
		free(p);
	}
	return pf_path_join(PF_POLICY_DIR, name);
}
