/* pf_inputs: the files a scanner reads, from fetch.json or from paths. */
#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_inputs.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_banned.h"

int
pf_inputs_ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n >= m && strcmp(name + n - m, suffix) == 0;
}

int
pf_inputs_skip(struct pf_inputs *l, const char *rel, const char *reason,
    int kind)
{
	struct pf_skipped *v;

	if ((v = reallocarray(l->skip, l->nskip + 1, sizeof(*v))) == NULL)
		return -1;
	l->skip = v;
	v[l->nskip].rel = strdup(rel);
	v[l->nskip].reason = strdup(reason);
	v[l->nskip].kind = kind;
	if (v[l->nskip].rel == NULL || v[l->nskip].reason == NULL) {
		free(v[l->nskip].rel);
		free(v[l->nskip].reason);
		return -1;
	}
	l->nskip++;
	return 0;
}

static int
add(struct pf_inputs *l, const char *rel, const char *path, int follow,
    struct pf_err *e)
{
	struct pf_input *v;

	if (l->n >= PF_MAX_FILES)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "more than PF_MAX_FILES (%d) files", PF_MAX_FILES);
	if ((v = reallocarray(l->v, l->n + 1, sizeof(*l->v))) == NULL)
		return pf_err_nomem(e);
	l->v = v;
	v[l->n].rel = strdup(rel);
	v[l->n].path = strdup(path);
	v[l->n].follow = follow;
	v[l->n].sha256 = NULL;
	if (v[l->n].rel == NULL || v[l->n].path == NULL) {
		free(v[l->n].rel);
		free(v[l->n].path);
		return pf_err_nomem(e);
	}
	l->n++;
	return 0;
}

/*
 * fetch.json's "skipped": the plan's files that were not downloaded, each
 * with the plan's reason. Of the scanner's kind when its filter keeps it.
 */
static int
skipped_by_plan(struct pf_inputs *l, const json_t *fetch, const char *what,
    pf_input_filter want, struct pf_err *e)
{
	const json_t *sk = json_object_get(fetch, "skipped"), *f;
	char reason[512];
	const char *rel;
	size_t i;

	if (sk != NULL && !json_is_array(sk))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: skipped is not an array",
		    what);
	json_array_foreach(sk, i, f) {
		if ((rel = pf_json_str(f, "path", NULL)) == NULL)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: skipped[%zu]: no path", what, i);
		if (pf_path_check(rel, e) == -1) {
			e->code = PF_EXIT_USAGE;
			return pf_err_prefix(e, "%s: skipped[%zu].path", what, i);
		}
		(void)snprintf(reason, sizeof(reason), "not downloaded: %s",
		    pf_json_str(f, "reason", "skipped by the plan"));
		if (pf_inputs_skip(l, rel, reason, want == NULL || want(rel)) ==
		    -1)
			return pf_err_nomem(e);
	}
	return 0;
}

int
pf_inputs_from_fetch(struct pf_inputs *l, const json_t *fetch,
    const char *what, pf_input_filter want, struct pf_err *e)
{
	const json_t *files = json_object_get(fetch, "files"), *f;
	const char *rel, *q;
	size_t i;

	if (!json_is_array(files))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: no files array", what);
	json_array_foreach(files, i, f) {
		rel = pf_json_str(f, "path", NULL);
		q = pf_json_str(f, "quarantine_path", NULL);
		if (rel == NULL)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: files[%zu]: no path", what, i);
		/* Findings name files by this path: it must be a safe one. */
		if (pf_path_check(rel, e) == -1) {
			e->code = PF_EXIT_USAGE;
			return pf_err_prefix(e, "%s: files[%zu].path", what, i);
		}
		if (q == NULL || (want != NULL && !want(rel))) {
			if (pf_inputs_skip(l, rel, q == NULL ?
			    "not in quarantine" : "not a file this scanner "
			    "reads", q == NULL) == -1)
				return pf_err_nomem(e);
			continue;
		}
		if (add(l, rel, q, 0, e) == -1)
			return -1;
		if ((q = pf_json_str(f, "sha256", NULL)) != NULL &&
		    (l->v[l->n - 1].sha256 = strdup(q)) == NULL)
			return pf_err_nomem(e);
	}
	return skipped_by_plan(l, fetch, what, want, e);
}

/* One folder of the walk: files added, subfolders pushed on the stack. */
static int
walk_one(struct pf_inputs *l, const char *dir, const char *rel,
    char ***stack, size_t *n, pf_input_filter want, struct pf_err *e)
{
	char *full, *crel = NULL, *cfull = NULL, **s;
	struct dirent *de;
	struct stat st;
	int rc = -1;
	DIR *d;

	if ((full = *rel ? pf_path_join(dir, rel) : strdup(dir)) == NULL)
		return pf_err_nomem(e);
	if ((d = opendir(full)) == NULL) {
		pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", pf_quote(full),
		    strerror(errno));
		free(full);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".git") == 0)
			continue;
		crel = *rel ? pf_path_join(rel, de->d_name) : strdup(de->d_name);
		cfull = pf_path_join(full, de->d_name);
		if (crel == NULL || cfull == NULL) {
			pf_err_nomem(e);
			goto out;
		}
		if (lstat(cfull, &st) == -1) {
			pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", pf_quote(cfull),
			    strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (*n >= PF_MAX_FILES) {
				pf_err_set(e, PF_EXIT_USAGE,
				    "%s: more than PF_MAX_FILES folders",
				    pf_quote(dir));
				goto out;
			}
			if ((s = reallocarray(*stack, *n + 1, sizeof(**stack))) == NULL) {
				pf_err_nomem(e);
				goto out;
			}
			*stack = s;
			s[(*n)++] = crel;	/* transferred */
			crel = NULL;
		} else if (want != NULL && !want(de->d_name)) {
			if (pf_inputs_skip(l, crel, "not a file this scanner "
			    "reads", 0) == -1) {
				pf_err_nomem(e);
				goto out;
			}
		} else if (add(l, crel, cfull, 0, e) == -1)
			goto out;
		free(crel);
		free(cfull);
		crel = cfull = NULL;
	}
	rc = 0;
out:
	free(crel);
	free(cfull);
	closedir(d);
	free(full);
	return rc;
}

/* The files below dir that want keeps: explicit stack, no symlink followed. */
static int
walk_dir(struct pf_inputs *l, const char *dir, pf_input_filter want,
    struct pf_err *e)
{
	char **stack, *rel;
	size_t n = 0;
	int rc = 0;

	if ((stack = malloc(sizeof(*stack))) == NULL ||
	    (stack[0] = strdup("")) == NULL) {
		free(stack);
		return pf_err_nomem(e);
	}
	n = 1;
	while (n > 0) {
		rel = stack[--n];
		if (rc == 0)
			rc = walk_one(l, dir, rel, &stack, &n, want, e);
		free(rel);
	}
	free(stack);
	return rc;
}

int
pf_inputs_from_args(struct pf_inputs *l, int argc, char *const argv[],
    pf_input_filter want, struct pf_err *e)
{
	struct stat st;
	int i;

	for (i = 0; i < argc; i++) {
		if (stat(argv[i], &st) == -1)
			return pf_err_set(e, PF_EXIT_USAGE, "%s: %s",
			    pf_quote(argv[i]), strerror(errno));
		if (S_ISDIR(st.st_mode) ? walk_dir(l, argv[i], want, e) == -1 :
		    add(l, argv[i], argv[i], 1, e) == -1)
			return -1;
	}
	return 0;
}

static int
cmp_input(const void *a, const void *b)
{
	return strcmp(((const struct pf_input *)a)->rel,
	    ((const struct pf_input *)b)->rel);
}

void
pf_inputs_sort(struct pf_inputs *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_input);
}

void
pf_inputs_free(struct pf_inputs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].rel);
		free(l->v[i].path);
		free(l->v[i].sha256);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
	for (i = 0; i < l->nskip; i++) {
		free(l->skip[i].rel);
		free(l->skip[i].reason);
	}
	free(l->skip);
	l->skip = NULL;
	l->nskip = 0;
}

static int
cmp_skipped(const void *a, const void *b)
{
	return strcmp(((const struct pf_skipped *)a)->rel,
	    ((const struct pf_skipped *)b)->rel);
}

/* Why the manifest this scan read failed, for the finding's message. */
static void
upstream_why(const json_t *fetch, char *buf, size_t len)
{
	const char *d = pf_json_str(json_object_get(fetch, "plan"), "decision",
	    NULL);
	const json_t *f = json_array_get(json_object_get(fetch, "findings"), 0);

	if (d != NULL && strcmp(d, "denied") == 0)
		(void)snprintf(buf, len, "the plan denied this model");
	else if (f != NULL)
		(void)snprintf(buf, len, "%s", pf_json_str(f, "rule", "a finding"));
	else
		(void)snprintf(buf, len, "its status is failed");
}

static int
add_finding(json_t *doc, const char *prefix, const char *what,
    const char *msg)
{
	char rule[96];

	(void)snprintf(rule, sizeof(rule), "%s.%s", prefix, what);
	return pf_envelope_add(doc, pf_finding_new(rule, PF_SEV_HIGH, NULL, NULL,
	    -1, msg));
}

int
pf_inputs_report(json_t *doc, const struct pf_inputs *l, const json_t *fetch,
    struct pf_err *e)
{
	const char *stage = pf_json_str(doc, "stage", "scan");
	const char *prefix = strncmp(stage, "scan-", 5) == 0 ? stage + 5 : stage;
	json_t *ns = NULL, *files = NULL, *cov, *mf, *o;
	size_t i, kind = 0;
	struct pf_skipped *sk = NULL;
	char why[700], up[300];
	const char *state;

	if (l->nskip > 0) {
		if ((sk = calloc(l->nskip, sizeof(*sk))) == NULL)
			return pf_err_nomem(e);
		memcpy(sk, l->skip, l->nskip * sizeof(*sk));
		qsort(sk, l->nskip, sizeof(*sk), cmp_skipped);
	}
	if ((ns = json_array()) == NULL || (files = json_array()) == NULL)
		goto nomem;
	for (i = 0; i < l->nskip; i++) {
		kind += sk[i].kind != 0;
		o = json_pack("{s:o, s:s}", "path", pf_json_text(sk[i].rel,
		    strlen(sk[i].rel)), "reason", sk[i].reason);
		if (json_array_append_new(ns, o) == -1)
			goto nomem;
	}
	for (i = 0; i < l->n; i++) {
		o = json_pack("{s:o, s:s?}", "path", pf_json_text(l->v[i].rel,
		    strlen(l->v[i].rel)), "sha256", l->v[i].sha256);
		if (json_array_append_new(files, o) == -1)
			goto nomem;
	}
	state = kind == 0 ? "complete" : l->n > 0 ? "partial" : "none";
	if (l->n == 0 && l->nskip == 0)
		state = "none";
	cov = json_pack("{s:s, s:I, s:o}", "state", state, "scanned",
	    (json_int_t)l->n, "not_scanned", ns);
	ns = NULL;
	if (cov == NULL || json_object_set_new(doc, "coverage", cov) == -1)
		goto nomem;
	if ((mf = json_object_get(doc, "made_from")) == NULL) {
		if ((mf = json_object()) == NULL ||
		    json_object_set_new(doc, "made_from", mf) == -1)
			goto nomem;
	}
	if (json_object_set_new(mf, "files", files) == -1) {
		files = NULL;
		goto nomem;
	}
	files = NULL;
	if (fetch != NULL && strcmp(pf_json_str(fetch, "status", ""),
	    "failed") == 0) {
		upstream_why(fetch, up, sizeof(up));
		(void)snprintf(why, sizeof(why), "the fetch manifest failed "
		    "(%s): a scan of it cannot pass", up);
		if (add_finding(doc, prefix, "input.failed", why) == -1)
			goto nomem;
	}
	if (l->n == 0 && l->nskip == 0 &&
	    add_finding(doc, prefix, "coverage.empty",
	    "nothing to scan: the input names no file") == -1)
		goto nomem;
	if (l->n == 0 && kind > 0) {
		for (i = 0; i < l->nskip && !sk[i].kind; i++)
			;
		(void)snprintf(why, sizeof(why), "none of the %zu files this "
		    "scanner reads was scanned: %s %s", kind,
		    pf_quote(sk[i].rel), sk[i].reason);
		if (add_finding(doc, prefix, "coverage.none", why) == -1)
			goto nomem;
	}
	free(sk);
	return 0;
nomem:
	json_decref(ns);
	json_decref(files);
	free(sk);
	return pf_err_nomem(e);
}
