/* pf_inputs: the files a scanner reads, from fetch.json or from paths. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pf_diag.h"
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
	if (v[l->n].rel == NULL || v[l->n].path == NULL) {
		free(v[l->n].rel);
		free(v[l->n].path);
		return pf_err_nomem(e);
	}
	l->n++;
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
		if (q == NULL || (want != NULL && !want(rel)))
			continue;
		if (add(l, rel, q, 0, e) == -1)
			return -1;
	}
	return 0;
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
		} else if ((want == NULL ||
		    want(de->d_name)) && add(l, crel, cfull, 0, e) == -1)
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
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
