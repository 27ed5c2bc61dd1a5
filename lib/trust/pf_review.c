/*
 * pf_review: the review an approval binds (model, commit, policy, files
 * and their digests, remote-code files), its canonical digest, and what a
 * met approval covers. Nothing here reads bytes of time or timing: two
 * runs that fetched the same files under the same policy agree.
 */
#include <stdlib.h>
#include <string.h>

#include "pf_buf.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_review.h"
#include "pf_sig.h"
#include "pf_banned.h"

/* Domain of the digest: no other canonical encoding hashes to it. */
#define REVIEW_NS "pathfinder-review-v1"

/* The findings an approval of remote code accepts: that code will run. */
static const char *const remote_rules[] = {
	"preflight.remote-code.required",
	"weights.config.auto-map",
	"weights.config.custom-pipeline",
	"weights.config.trust-remote-code",
};

int
pf_review_policy_sha256(const json_t *policy, char hex[PF_SHA256_HEX],
    struct pf_err *e)
{
	json_t *rules;
	char *s;

	if (!json_is_object(policy))
		return pf_err_set(e, PF_EXIT_USAGE, "policy is not an object");
	if ((rules = json_copy((json_t *)policy)) == NULL)
		return pf_err_nomem(e);
	(void)json_object_del(rules, "approvals");
	(void)json_object_del(rules, "audit");
	(void)json_object_del(rules, "caps");
	s = json_dumps(rules,
	    JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII |
		JSON_REAL_PRECISION(17));
	json_decref(rules);
	if (s == NULL)
		return pf_err_nomem(e);
	pf_sha256_hex(s, strlen(s), hex);
	free(s);
	return 0;
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(json_string_value(
			  json_object_get(*(json_t *const *)a, "path")),
	    json_string_value(json_object_get(*(json_t *const *)b, "path")));
}

static int
cmp_string(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	    json_string_value(*(json_t *const *)b));
}

/* Sorts the array's elements by cmp, in place. */
static int
sort_array(json_t *a, int (*cmp)(const void *, const void *))
{
	size_t i, n = json_array_size(a);
	json_t **v;

	if (n < 2)
		return 0;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(a, i));
	qsort(v, n, sizeof(*v), cmp);
	for (i = 0; i < n; i++)
		if (json_array_set_new(a, i, v[i]) == -1) {
			for (; i < n; i++)
				json_decref(v[i]);
			free(v);
			return -1;
		}
	free(v);
	return 0;
}

/* fetch.json's files as [{path, size, sha256}], sorted by path. */
static json_t *
review_files(const json_t *fetch, struct pf_err *e)
{
	const json_t *list = json_object_get(fetch, "files"), *f;
	json_t *out = json_array(), *o;
	const char *path, *sha;
	struct pf_err pe;
	json_int_t size;
	size_t i;

	if (out == NULL)
		goto nomem;
	if (!json_is_array(list) || json_array_size(list) > PF_MAX_FILES) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "fetch: files is not an array "
		    "of at most PF_MAX_FILES entries");
		goto bad;
	}
	json_array_foreach(list, i, f) {
		path = pf_json_str(f, "path", NULL);
		sha = pf_json_str(f, "sha256", NULL);
		size = pf_json_int(f, "size", -1);
		if (path == NULL || pf_path_check(path, &pe) == -1 ||
		    sha == NULL || !pf_is_hex(sha, 64) || size < 0) {
			pf_err_set(e, PF_EXIT_USAGE,
			    "fetch: files[%zu]: path, "
			    "size or sha256 missing or malformed",
			    i);
			goto bad;
		}
		o = json_pack("{s:s, s:I, s:s}", "path", path, "size", size,
		    "sha256", sha);
		if (json_array_append_new(out, o) == -1)
			goto nomem;
	}
	if (sort_array(out, cmp_path) == -1)
		goto nomem;
	return out;
nomem:
	pf_err_nomem(e);
bad:
	json_decref(out);
	return NULL;
}

/* The plan's remote_code_files, sorted. */
static json_t *
review_code(const json_t *plan, struct pf_err *e)
{
	const json_t *pre = json_object_get(plan, "preflight");
	const json_t *list = json_object_get(pre, "remote_code_files"), *v;
	json_t *out = json_array();
	struct pf_err pe;
	size_t i;

	if (out == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	if (list != NULL &&
	    (!json_is_array(list) || json_array_size(list) > PF_MAX_FILES)) {
		json_decref(out);
		pf_err_set(e, PF_EXIT_USAGE,
		    "plan: preflight.remote_code_files "
		    "is not an array of at most PF_MAX_FILES names");
		return NULL;
	}
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) ||
		    pf_path_check(json_string_value(v), &pe) == -1) {
			json_decref(out);
			pf_err_set(e, PF_EXIT_USAGE,
			    "plan: "
			    "preflight.remote_code_files[%zu] is not a file "
			    "name",
			    i);
			return NULL;
		}
		if (json_array_append(out, (json_t *)v) == -1) {
			json_decref(out);
			pf_err_nomem(e);
			return NULL;
		}
	}
	if (sort_array(out, cmp_string) == -1) {
		json_decref(out);
		pf_err_nomem(e);
		return NULL;
	}
	return out;
}

json_t *
pf_review_new(const json_t *plan, const json_t *fetch, const json_t *policy,
    struct pf_err *e)
{
	const json_t *pm = json_object_get(plan, "model");
	char psha[PF_SHA256_HEX];
	json_t *files, *code, *r;

	if (pf_review_policy_sha256(policy, psha, e) == -1)
		return NULL;
	if ((files = review_files(fetch, e)) == NULL)
		return NULL;
	if ((code = review_code(plan, e)) == NULL) {
		json_decref(files);
		return NULL;
	}
	r = json_pack("{s:s?, s:s?, s:s, s:o, s:o}", "model_id",
	    pf_json_str(pm, "id", NULL), "commit", pf_json_str(pm, "commit", NULL),
	    "policy_sha256", psha, "files", files, "remote_code_files", code);
	if (r == NULL)
		pf_err_nomem(e);
	else if (pf_review_digest(r, psha, e) == -1) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* A sorted list without duplicates: each key after the one before. */
static int
ascending(const char *prev, const char *cur)
{
	return prev == NULL || strcmp(prev, cur) < 0;
}

static int
digest_files(const json_t *files, struct pf_buf *b, struct pf_err *e)
{
	const char *path, *sha, *prev = NULL;
	struct pf_err pe;
	char size[24];
	json_int_t n;
	json_error_t je;
	const json_t *f;
	size_t i;

	if (!json_is_array(files) || json_array_size(files) > PF_MAX_FILES)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "review: files is not an "
		    "array of at most PF_MAX_FILES entries");
	json_array_foreach(files, i, f) {
		if (json_unpack_ex((json_t *)f, &je, JSON_STRICT, "{s:s, s:I, s:s}",
			"path", &path, "size", &n, "sha256", &sha) == -1 ||
		    pf_path_check(path, &pe) == -1 || n < 0 || !pf_is_hex(sha, 64))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "review: files[%zu] "
			    "is not {path, size, sha256}",
			    i);
		if (!ascending(prev, path))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "review: files are "
			    "not sorted by path, or a path repeats");
		prev = path;
		(void)snprintf(size, sizeof(size), "%lld", (long long)n);
		if (pf_sig_canon_add(b, "path", path) == -1 ||
		    pf_sig_canon_add(b, "size", size) == -1 ||
		    pf_sig_canon_add(b, "sha256", sha) == -1)
			return pf_err_nomem(e);
	}
	return 0;
}

static int
digest_code(const json_t *code, struct pf_buf *b, struct pf_err *e)
{
	const char *prev = NULL, *s;
	struct pf_err pe;
	const json_t *v;
	size_t i;

	if (!json_is_array(code) || json_array_size(code) > PF_MAX_FILES)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "review: remote_code_files "
		    "is not an array of at most PF_MAX_FILES names");
	json_array_foreach(code, i, v) {
		s = json_string_value(v);
		if (s == NULL || pf_path_check(s, &pe) == -1)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "review: "
			    "remote_code_files[%zu] is not a file name",
			    i);
		if (!ascending(prev, s))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "review: "
			    "remote_code_files are not sorted, or one repeats");
		prev = s;
		if (pf_sig_canon_add(b, "remote_code_file", s) == -1)
			return pf_err_nomem(e);
	}
	return 0;
}

int
pf_review_digest(const json_t *review, char hex[PF_SHA256_HEX], struct pf_err *e)
{
	const char *id, *commit, *psha;
	json_t *files, *code;
	json_error_t je;
	struct pf_buf b;
	int rc = -1;

	if (json_unpack_ex((json_t *)review, &je, JSON_STRICT,
		"{s:s, s:s, s:s, s:o, s:o}", "model_id", &id, "commit", &commit,
		"policy_sha256", &psha, "files", &files, "remote_code_files",
		&code) == -1)
		return pf_err_set(e, PF_EXIT_USAGE, "review: %s", je.text);
	if (!pf_is_hex(commit, 40) || !pf_is_hex(psha, 64) ||
	    strlen(id) > PF_MAX_NAME)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "review: model_id, commit "
		    "or policy_sha256 malformed");
	pf_buf_init(&b, 0);
	if (pf_buf_append(&b, REVIEW_NS, sizeof(REVIEW_NS)) == -1 ||
	    pf_sig_canon_add(&b, "model_id", id) == -1 ||
	    pf_sig_canon_add(&b, "commit", commit) == -1 ||
	    pf_sig_canon_add(&b, "policy_sha256", psha) == -1) {
		pf_err_nomem(e);
		goto out;
	}
	if (digest_files(files, &b, e) == -1 || digest_code(code, &b, e) == -1)
		goto out;
	pf_sha256_hex(b.data, b.len, hex);
	rc = 0;
out:
	pf_buf_free(&b);
	return rc;
}

json_t *
pf_review_covers_new(const json_t *review, const char *review_sha256,
    int remote_code, int unlisted)
{
	const json_t *files = json_object_get(review, "files"), *f, *c;
	json_t *rules = json_array(), *fl = json_array(), *code = json_array();
	size_t i, k;

	if (rules == NULL || fl == NULL || code == NULL)
		goto nomem;
	for (i = 0;
	     remote_code && i < sizeof(remote_rules) / sizeof(remote_rules[0]); i++)
		if (json_array_append_new(rules, json_string(remote_rules[i])) == -1)
			goto nomem;
	if (unlisted &&
	    json_array_append_new(rules,
		json_string("preflight.allowlist.not-listed")) == -1)
		goto nomem;
	json_array_foreach(files, i, f) {
		json_t *o = json_pack("{s:O, s:O}", "path",
		    json_object_get(f, "path"), "sha256",
		    json_object_get(f, "sha256"));

		if (json_array_append_new(fl, o) == -1)
			goto nomem;
		if (!remote_code)
			continue;
		json_array_foreach(json_object_get(review, "remote_code_files"),
		    k, c)
			if (json_equal((json_t *)c, json_object_get(f, "path")) &&
			    json_array_append(code,
				json_array_get(fl, json_array_size(fl) - 1)) == -1)
				goto nomem;
	}
	return json_pack("{s:s, s:o, s:o, s:o}", "review_sha256", review_sha256,
	    "rules", rules, "files", fl, "code_files", code);
nomem:
	json_decref(rules);
	json_decref(fl);
	json_decref(code);
	return NULL;
}
