/*
 * pf_policy: the policy document and typed, cap-respecting access to it.
 * Where the policy comes from, in order: --policy, $PF_POLICY, the
 * installed default.json, the copy compiled into the program. Rule tables
 * are found beside the policy, in $PF_RULES_DIR, in the installed folder,
 * then among the compiled-in copies.
 */
#include <errno.h>
#include <fcntl.h>
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

/* The levels a policy comes from; a level may extend only a lower one. */
enum level { LEVEL_GIVEN, LEVEL_INSTALLED, LEVEL_BUILTIN };

/* Deepest key in pf_policy_keys ("approvals.approvers[].id" is 4). */
#define MAX_KEY_DEPTH 8

/* Folder of the topmost policy file loaded: its tables are found beside it. */
static char loaded_dir[PATH_MAX];
static char origin[700] = "built-in";
/* Its path and SHA-256, which every artifact records (made_from.policy). */
static char loaded_path[PATH_MAX];
static char loaded_sha[PF_SHA256_HEX];
/* The bytes of a policy file not hashed yet (see remember_file). */
static char *loaded_bytes;
static size_t loaded_len;

const char *
pf_policy_origin(void)
{
	return origin;
}

const char *
pf_policy_installed_dir(void)
{
	static char dir[PATH_MAX];
	static int done;
	char exe[PATH_MAX], *slash;
	ssize_t n;
	int i;

	if (done)
		return dir[0] ? dir : NULL;
	done = 1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	/* PREFIX/bin/pf-tool: drop the program, then bin. */
	for (i = 0; i < 2; i++) {
		if ((slash = strrchr(exe, '/')) == NULL)
			return NULL;
		*slash = '\0';
	}
	if (snprintf(dir, sizeof(dir), "%s/share/pathfinder/policies", exe) >=
	    (int)sizeof(dir))
		dir[0] = '\0';
	return dir[0] ? dir : NULL;
}

static const struct pf_policy_builtin *
builtin_find(const char *name)
{
	const struct pf_policy_builtin *b;

	for (b = pf_policy_builtins; b->name != NULL; b++)
		if (strcmp(b->name, name) == 0)
			return b;
	return NULL;
}

/*
 * By the file's name, "<built-in>/NAME" or any folder's NAME: `make
 * install` puts the same files under PREFIX/share, where they are found
 * first, and bytes equal to a built-in file's are that file wherever they
 * were read (a memcmp of 47 KB against a parse of it, or a hash).
 */
const char *
pf_policy_builtin_sha256(const char *where, const void *bytes, size_t len)
{
	const char *name = strrchr(where, '/');
	const struct pf_policy_builtin *b;

	name = name ? name + 1 : where;
	if ((b = builtin_find(name)) == NULL || b->len != len ||
	    memcmp(b->data, bytes, len) != 0)
		return NULL;
	return b->sha256;
}

int
pf_policy_builtin_is(const char *where, const void *bytes, size_t len,
    const char *sha256)
{
	const char *sha = pf_policy_builtin_sha256(where, bytes, len);

	return sha != NULL && sha256 != NULL && strcmp(sha, sha256) == 0;
}

/* ---- known keys ---- */

/* Length of the key segment at p: "[]", or up to the next '.' or '['. */
static size_t
seg_len(const char *p)
{
	return p[0] == '[' ? 2 : strcspn(p, ".[");
}

/*
 * Matches the member path segs[0..n) against one line of pf_policy_keys:
 * -1 no match, 0 the line ends here (a leaf), 1 the line goes deeper.
 */
static int
key_match(const char *pat, const char *const *segs, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		if (*pat == '\0')
			return -1;
		len = seg_len(pat);
		if (len == 1 && pat[0] == '*') {
			if (strcmp(segs[i], "[]") == 0)
				return -1;
		} else if (strlen(segs[i]) != len || memcmp(pat, segs[i], len) != 0)
			return -1;
		pat += len;
		if (*pat == '.')
			pat++;
	}
	return *pat == '\0' ? 0 : 1;
}

/* -1 unknown, 0 a leaf (any value), 1 an object or array with known members. */
static int
key_status(const char *const *segs, size_t n)
{
	const char *const *k;
	int best = -1, m;

	for (k = pf_policy_keys; *k != NULL; k++)
		if ((m = key_match(*k, segs, n)) > best)
			best = m;
	return best;
}

static void
key_name(char *buf, size_t size, const char *const *segs, size_t n)
{
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    i == 0 || strcmp(segs[i], "[]") == 0 ? "" : ".", segs[i]);
}

/*
 * Checks every member of v (at segs[0..n)) against pf_policy_keys. The
 * walk goes only as deep as the table does, so its depth is bounded by
 * MAX_KEY_DEPTH whatever the document's nesting.
 */
static int
keys_check(const json_t *v, const char **segs, size_t n, const char *what,
    struct pf_err *e)
{
	const char *key;
	char name[256];
	json_t *m;
	size_t i;

	if (n + 1 >= MAX_KEY_DEPTH)
		return 0;
	if (json_is_array(v)) {
		segs[n] = "[]";
		if (key_status(segs, n + 1) != 1)
			return 0;
		json_array_foreach(v, i, m)
			if (json_is_object(m) &&
			    keys_check(m, segs, n + 1, what, e) == -1)
				return -1;
		return 0;
	}
	json_object_foreach((json_t *)v, key, m) {
		segs[n] = key;
		switch (key_status(segs, n + 1)) {
		case -1:
			key_name(name, sizeof(name), segs, n + 1);
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: unknown key %s (see pathfinder-policy(5))",
			    what, pf_quote(name));
		case 1:
			if ((json_is_object(m) || json_is_array(m)) &&
			    keys_check(m, segs, n + 1, what, e) == -1)
				return -1;
			break;
		}
	}
	return 0;
}

/*
 * Lays over on base: an object member whose key has known members below
 * it merges member by member; any other value replaces the base's. Depth
 * is bounded as in keys_check.
 */
static int
overlay(json_t *base, const json_t *over, const char **segs, size_t n)
{
	const char *key;
	json_t *m, *b;

	json_object_foreach((json_t *)over, key, m) {
		segs[n] = key;
		b = json_object_get(base, key);
		if (n + 2 < MAX_KEY_DEPTH && json_is_object(m) &&
		    json_is_object(b) && key_status(segs, n + 1) == 1) {
			if (overlay(b, m, segs, n + 1) == -1)
				return -1;
		} else if (json_object_set(base, key, m) == -1)
			return -1;
	}
	return 0;
}

/* ---- loading ---- */

/* The checks every stage relies on; sections are checked by their owners. */
static int
policy_check(const json_t *policy, const char *what, struct pf_err *e)
{
	const json_t *v, *caps;
	const char *key;
	enum pf_sev s;

	v = pf_policy_get(policy, "scan.fail_on");
	if (v != NULL && pf_sev_parse(json_string_value(v), &s) == -1)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: scan.fail_on must be one of critical, high, medium, low, info",
		    what);
	caps = json_object_get(policy, "caps");
	if (caps != NULL && !json_is_object(caps))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: caps must be an object", what);
	json_object_foreach((json_t *)caps, key, v)
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: caps.%s must be a non-negative integer", what,
			    key);
	return 0;
}

static int
installed_default(char *buf, size_t size)
{
	const char *dir = pf_policy_installed_dir();

	return dir != NULL &&
	    snprintf(buf, size, "%s/default.json", dir) < (int)size &&
	    access(buf, F_OK) == 0;
}

static void
remember_dir(const char *path)
{
	char *slash;

	if (snprintf(loaded_dir, sizeof(loaded_dir), "%s", path) >=
	    (int)sizeof(loaded_dir)) {
		loaded_dir[0] = '\0';
		return;
	}
	if ((slash = strrchr(loaded_dir, '/')) == NULL)
		(void)snprintf(loaded_dir, sizeof(loaded_dir), ".");
	else if (slash == loaded_dir)
		loaded_dir[1] = '\0';
	else
		*slash = '\0';
}

/*
 * The top file's real path and the SHA-256 of the bytes parsed, for
 * made_from.policy: hashed from the same bytes, never read twice. The
 * built-in default's digest was computed when it was built; a file's is
 * computed when pf_policy_loaded is first asked, so a run that records
 * nothing starts no digest (the first one costs OpenSSL's set-up, which
 * is most of a tool's start; bench/README-startup.md).
 */
static void
remember_file(const char *path, const void *bytes, size_t len)
{
	char buf[PATH_MAX];
	const char *sha;

	free(loaded_bytes);
	loaded_bytes = NULL;
	if ((sha = pf_policy_builtin_sha256(path, bytes, len)) != NULL)
		(void)snprintf(loaded_sha, sizeof(loaded_sha), "%s", sha);
	else if ((loaded_bytes = malloc(len ? len : 1)) != NULL) {
		memcpy(loaded_bytes, bytes, len);
		loaded_len = len;
	} else
		pf_sha256_hex(bytes, len, loaded_sha); /* no memory: now */
	if (path[0] == '<' || realpath(path, buf) == NULL)
		(void)snprintf(buf, sizeof(buf), "%s", path);
	(void)snprintf(loaded_path, sizeof(loaded_path), "%s", buf);
}

void
pf_policy_loaded(const char **path, const char **sha256)
{
	if (loaded_bytes != NULL) {
		pf_sha256_hex(loaded_bytes, loaded_len, loaded_sha);
		free(loaded_bytes);
		loaded_bytes = NULL;
	}
	*path = loaded_path[0] ? loaded_path : NULL;
	*sha256 = loaded_sha[0] ? loaded_sha : NULL;
}

/*
 * Reads the policy of one level and, when it extends the default, lays it
 * over the next level down. The recursion is at most three levels deep;
 * only the first level (top) is remembered for made_from.
 */
static json_t *
load_level(enum level lv, const char *path, const char *named_by, int top,
    struct pf_err *e)
{
	const struct pf_policy_builtin *bi;
	const char *segs[MAX_KEY_DEPTH];
	char what[600], inst[PATH_MAX];
	json_t *doc, *base, *ext;
	struct pf_buf b;
	enum level next;

	if (lv == LEVEL_BUILTIN) {
		(void)snprintf(what, sizeof(what), "built-in default.json");
		if ((bi = builtin_find("default.json")) == NULL)
			return pf_err_set(e, PF_EXIT_FAILURE,
				   "no built-in default.json"),
			       NULL;
		doc = pf_json_parse((const char *)bi->data, bi->len, what, e);
		if (doc != NULL && top)
			remember_file("<built-in>/default.json", bi->data, bi->len);
	} else {
		if (lv == LEVEL_INSTALLED) {
			if (!installed_default(inst, sizeof(inst)))
				return pf_err_set(e, PF_EXIT_USAGE,
					   "no installed default.json"),
				       NULL;
			path = inst;
			named_by = "the installed default";
		}
		(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
		pf_buf_init(&b, PF_MAX_POLICY);
		if (pf_buf_read_file(&b, path, PF_MAX_POLICY, "PF_MAX_POLICY",
			e) == -1)
			return pf_err_prefix(e, "%s", named_by), NULL;
		doc = pf_json_parse(b.data, b.len, what, e);
		if (doc != NULL && top)
			remember_file(path, b.data, b.len);
		pf_buf_free(&b);
	}
	if (doc == NULL)
		return NULL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return pf_err_set(e, PF_EXIT_USAGE,
			   "%s: policy is not a JSON object", what),
		       NULL;
	}
	if (keys_check(doc, segs, 0, what, e) == -1) {
		json_decref(doc);
		return NULL;
	}
	if ((ext = json_object_get(doc, "extends")) == NULL)
		return doc;
	if (lv == LEVEL_BUILTIN || !json_is_string(ext) ||
	    strcmp(json_string_value(ext), "default") != 0) {
		json_decref(doc);
		return pf_err_set(e, PF_EXIT_USAGE,
			   "%s: extends: the only "
			   "policy a policy can extend is \"default\"",
			   what),
		       NULL;
	}
	next = lv == LEVEL_GIVEN && installed_default(inst, sizeof(inst)) ?
	    LEVEL_INSTALLED :
	    LEVEL_BUILTIN;
	if ((base = load_level(next, NULL, NULL, 0, e)) == NULL) {
		json_decref(doc);
		return NULL;
	}
	(void)json_object_del(doc, "extends");
	if (overlay(base, doc, segs, 0) == -1) {
		json_decref(doc);
		json_decref(base);
		return pf_err_nomem(e), NULL;
	}
	json_decref(doc);
	return base;
}

json_t *
pf_policy_load(const char *path, struct pf_err *e)
{
	const char *named_by = "--policy", *env = getenv("PF_POLICY");
	char inst[PATH_MAX], what[600];
	enum level lv = LEVEL_GIVEN;
	json_t *policy;

	if (path == NULL && env != NULL && *env != '\0') {
		path = env;
		named_by = "PF_POLICY";
	}
	loaded_dir[0] = '\0';
	if (path == NULL) {
		if (installed_default(inst, sizeof(inst))) {
			lv = LEVEL_INSTALLED;
			path = inst;
			named_by = "the installed default";
		} else
			lv = LEVEL_BUILTIN;
	}
	loaded_path[0] = loaded_sha[0] = '\0';
	free(loaded_bytes);
	loaded_bytes = NULL;
	if ((policy = load_level(lv, path, named_by, 1, e)) == NULL)
		return NULL;
	if (lv == LEVEL_BUILTIN)
		(void)snprintf(what, sizeof(what), "built-in default.json");
	else
		(void)snprintf(what, sizeof(what), "%s", pf_quote(path));
	if (policy_check(policy, what, e) == -1) {
		json_decref(policy);
		return NULL;
	}
	if (lv == LEVEL_BUILTIN)
		(void)snprintf(origin, sizeof(origin), "built-in");
	else {
		(void)snprintf(origin, sizeof(origin), "%s (%s)", what, named_by);
		remember_dir(path);
	}
	return policy;
}

/* ---- files the policy names ---- */

/*
 * Where a relative name is looked for, in order; returns the count. The
 * strings are borrowed (static or the environment).
 */
static size_t
search_dirs(const char *dirs[3], const char *labels[3])
{
	const char *env = getenv("PF_RULES_DIR"), *inst;
	size_t n = 0;

	if (loaded_dir[0] != '\0') {
		labels[n] = "beside the policy ";
		dirs[n++] = loaded_dir;
	}
	if (env != NULL && *env != '\0') {
		labels[n] = "PF_RULES_DIR ";
		dirs[n++] = env;
	}
	inst = pf_policy_installed_dir();
	if (inst != NULL && access(inst, F_OK) == 0) {
		labels[n] = "installed ";
		dirs[n++] = inst;
	}
	return n;
}

/*
 * The path of name: as given when absolute, else the first folder that
 * has it. Returns 1 found (*path malloc'd), 0 not found, -1 out of memory.
 */
static int
file_search(const char *name, char **path)
{
	const char *dirs[3], *labels[3];
	size_t i, n = search_dirs(dirs, labels);

	*path = NULL;
	if (name[0] == '/') {
		if ((*path = strdup(name)) == NULL)
			return -1;
		return access(name, F_OK) == 0;
	}
	for (i = 0; i < n; i++) {
		if ((*path = pf_path_join(dirs[i], name)) == NULL)
			return -1;
		if (access(*path, F_OK) == 0)
			return 1;
		free(*path);
		*path = NULL;
	}
	return 0;
}

/*
 * A file not found: as given (mode 0), or searched for (1), built-in
 * copies included (2): "not found; searched beside the policy '/etc/pf',
 * PF_RULES_DIR '/x', the built-in tables".
 */
static int
not_found(const char *name, const char *named_by, int mode, struct pf_err *e)
{
	const char *dirs[3], *labels[3];
	char list[1024];
	size_t i, n = search_dirs(dirs, labels), len = 0;

	list[0] = '\0';
	for (i = 0; i < n && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len,
		    "%s%s%s", i ? ", " : "", labels[i], pf_quote(dirs[i]));
	if (mode == 2 && len < sizeof(list))
		(void)snprintf(list + len, sizeof(list) - len,
		    "%sthe built-in tables", n ? ", " : "");
	if (mode == 0 || name[0] == '/' || list[0] == '\0')
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: %s: No such file or "
		    "directory",
		    named_by, pf_quote(name));
	return pf_err_set(e, PF_EXIT_USAGE,
	    "%s of the policy %s: %s not "
	    "found; searched %s",
	    named_by, origin, pf_quote(name), list);
}

char *
pf_policy_file_find(const char *name, const char *named_by, unsigned flags,
    struct pf_err *e)
{
	char *path;
	int rc;

	if (flags & PF_POLICY_AS_GIVEN) {
		if ((path = strdup(name)) == NULL)
			return pf_err_nomem(e), NULL;
		rc = access(path, F_OK) == 0;
	} else
		rc = file_search(name, &path);
	if (rc == -1)
		return pf_err_nomem(e), NULL;
	if (rc == 0) {
		free(path);
		return not_found(name, named_by, !(flags & PF_POLICY_AS_GIVEN), e),
		       NULL;
	}
	return path;
}

char *
pf_policy_file(const char *name)
{
	char *path;
	int rc = file_search(name, &path);

	if (rc != 0)
		return path;
	free(path);
	return pf_path_join(loaded_dir[0] ? loaded_dir : ".", name);
}

int
pf_policy_file_read(const char *name, const char *named_by, unsigned flags,
    struct pf_buf *b, size_t max, const char *capname, char **where,
    struct pf_err *e)
{
	const struct pf_policy_builtin *bi;
	char *path = NULL;
	int rc;

	*where = NULL;
	if (flags & PF_POLICY_AS_GIVEN)
		rc = (path = strdup(name)) == NULL ? -1 : 1;
	else
		rc = file_search(name, &path);
	if (rc == -1)
		return pf_err_nomem(e);
	if (rc == 1 || (flags & PF_POLICY_AS_GIVEN)) {
		if (pf_buf_read_file(b, path, max, capname, e) == -1) {
			free(path);
			return pf_err_prefix(e, "%s", named_by);
		}
		*where = path;
		return 0;
	}
	free(path);
	if (name[0] == '/' || (bi = builtin_find(name)) == NULL)
		return not_found(name, named_by, 2, e);
	if (bi->len > max)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "built-in %s: larger than %s", name, capname);
	if (pf_buf_append(b, bi->data, bi->len) == -1)
		return pf_err_nomem(e);
	if ((path = malloc(strlen(name) + sizeof("<built-in>/"))) == NULL)
		return pf_err_nomem(e);
	memcpy(path, "<built-in>/", sizeof("<built-in>/") - 1);
	memcpy(path + sizeof("<built-in>/") - 1, name, strlen(name) + 1);
	*where = path;
	return 0;
}

json_t *
pf_policy_table(const char *name, const char *named_by, struct pf_err *e)
{
	struct pf_buf b;
	json_t *doc;
	char *where;

	pf_buf_init(&b, PF_MAX_POLICY);
	if (pf_policy_file_read(name, named_by, 0, &b, PF_MAX_POLICY,
		"PF_MAX_POLICY", &where, e) == -1)
		return NULL;
	doc = pf_json_parse(b.data, b.len, pf_quote(where), e);
	pf_buf_free(&b);
	free(where);
	return doc;
}

/* ---- access ---- */

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

	if (pf_sev_parse(json_string_value(pf_policy_get(policy, "scan.fail_on")),
		&s) == 0)
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
