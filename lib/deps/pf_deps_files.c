/*
 * pf_deps_files: listing, opening and naming the files pf-scan-deps reads.
 * Folders are walked with an explicit stack; nothing below a root is
 * reached through a symlink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_deps_files.h"
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_banned.h"

static int
file_add(struct pf_deps_files *l, const char *rel, const char *path, int root,
    struct pf_err *e)
{
	struct pf_deps_file *v;

	if (l->n >= PF_MAX_FILES)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "more than PF_MAX_FILES (%d) "
		    "files",
		    PF_MAX_FILES);
	if ((v = reallocarray(l->v, l->n + 1, sizeof(*l->v))) == NULL)
		return pf_err_nomem(e);
	l->v = v;
	v[l->n].rel = strdup(rel);
	v[l->n].path = path ? strdup(path) : NULL;
	v[l->n].root = root;
	l->n++;
	if (v[l->n - 1].rel == NULL || (path && v[l->n - 1].path == NULL))
		return pf_err_nomem(e);
	return 0;
}

/* Every file below root, names relative to it; no symlink followed. */
static int
walk_root(struct pf_deps_files *l, int root, const char *shown, struct pf_err *e)
{
	char **stack, **grown, *rel = NULL, *crel;
	size_t n = 0;
	struct dirent *de;
	struct stat st;
	DIR *d = NULL;
	int fd, rc = -1;

	if ((stack = malloc(sizeof(*stack))) == NULL)
		return pf_err_nomem(e);
	if ((stack[n++] = strdup("")) == NULL) {
		free(stack);
		return pf_err_nomem(e);
	}
	while (n > 0) {
		rel = stack[--n];
		e->msg[0] = '\0';
		if ((fd = pf_path_opendir(l->roots[root], rel, 0, 0, e)) == -1 ||
		    (d = fdopendir(fd)) == NULL) {
			int err = errno;

			if (fd != -1)
				close(fd);
			if (e->msg[0])
				(void)pf_err_prefix(e, "%s", pf_quote(shown));
			else
				(void)pf_err_set(e, PF_EXIT_FAILURE, "%s: %s",
				    pf_quote(shown), strerror(err));
			e->code = PF_EXIT_FAILURE;
			goto out;
		}
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0 ||
			    strcmp(de->d_name, ".git") == 0)
				continue;
			crel = *rel ? pf_path_join(rel, de->d_name) :
				      strdup(de->d_name);
			if (crel == NULL) {
				pf_err_nomem(e);
				goto out;
			}
			if (fstatat(dirfd(d), de->d_name, &st,
				AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode)) {
				if (n >= PF_MAX_FILES) {
					free(crel);
					pf_err_set(e, PF_EXIT_USAGE,
					    "%s: more than "
					    "PF_MAX_FILES folders",
					    pf_quote(shown));
					goto out;
				}
				if ((grown = reallocarray(stack, n + 1,
					 sizeof(*stack))) == NULL) {
					free(crel);
					pf_err_nomem(e);
					goto out;
				}
				stack = grown;
				stack[n++] = crel;
				continue;
			}
			/* Symlinks and FIFOs too: a requirements file that
			 * is one is a finding when it is opened. */
			if (file_add(l, crel, NULL, root, e) == -1) {
				free(crel);
				goto out;
			}
			free(crel);
		}
		closedir(d);
		d = NULL;
		free(rel);
		rel = NULL;
	}
	rc = 0;
out:
	if (d != NULL)
		closedir(d);
	free(rel);
	while (n > 0)
		free(stack[--n]);
	free(stack);
	return rc;
}

static int
open_root(struct pf_deps_files *l, const char *dir, struct pf_err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), *v;

	if (fd == -1)
		return pf_err_set(e,
		    errno == ENOENT ? PF_EXIT_USAGE : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(dir), strerror(errno));
	if ((v = reallocarray(l->roots, l->nroots + 1, sizeof(*v))) == NULL) {
		close(fd);
		return pf_err_nomem(e);
	}
	l->roots = v;
	v[l->nroots] = fd;
	return (int)l->nroots++;
}

int
pf_deps_files_args(struct pf_deps_files *l, int argc, char *const argv[],
    struct pf_err *e)
{
	char *dir, *slash;
	struct stat st;
	int i, root, rc;

	for (i = 0; i < argc; i++) {
		if (stat(argv[i], &st) == -1)
			return pf_err_set(e, PF_EXIT_USAGE, "%s: %s",
			    pf_quote(argv[i]), strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			if ((root = open_root(l, argv[i], e)) == -1 ||
			    walk_root(l, root, argv[i], e) == -1)
				return -1;
			continue;
		}
		/* A file is read in its folder, so its -r includes resolve there. */
		if ((dir = strdup(argv[i])) == NULL)
			return pf_err_nomem(e);
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		root = open_root(l, slash ? (*dir ? dir : "/") : ".", e);
		rc = root == -1 ?
		    -1 :
		    file_add(l, slash ? slash + 1 : argv[i], NULL, root, e);
		free(dir);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
pf_deps_files_fetch(struct pf_deps_files *l, const json_t *fetch,
    const char *in, const json_t *policy, struct pf_err *e)
{
	size_t i;

	l->fetch_mode = 1;
	if (pf_inputs_policy(&l->in, policy, e) == -1 ||
	    pf_inputs_from_fetch(&l->in, fetch, pf_path_display(in, 0), NULL,
		e) == -1)
		return -1;
	for (i = 0; i < l->in.n; i++) {
		if (file_add(l, l->in.v[i].rel, l->in.v[i].path, -1, e) == -1)
			return -1;
		l->v[l->n - 1].input = i;
	}
	return 0;
}

int
pf_deps_files_open(const struct pf_deps_files *l, const char *rel, int root,
    const char **kind, struct pf_err *e)
{
	struct pf_input_file o;
	size_t i;
	int rc = -2;

	*kind = NULL;
	if (!l->fetch_mode)
		rc = pf_input_openat(l->roots[root], rel, &o, e);
	for (i = 0; rc == -2 && i < l->n; i++)
		if (strcmp(l->v[i].rel, rel) == 0)
			rc = pf_input_open(&l->in, &l->in.v[l->v[i].input], &o, e);
	if (rc == -2)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: not in the model",
		    pf_quote(rel));
	if (rc == -1)
		return -1;
	if (o.fd == -1) {
		*kind = o.kind;
		return pf_err_set(e, PF_EXIT_VERDICT, "%s", o.message);
	}
	return o.fd;
}

static int
cmp_file(const void *a, const void *b)
{
	const struct pf_deps_file *x = a, *y = b;
	int c = strcmp(x->rel, y->rel);

	return c ? c : x->root - y->root;
}

void
pf_deps_files_sort(struct pf_deps_files *l)
{
	if (l->n > 0)
		qsort(l->v, l->n, sizeof(*l->v), cmp_file);
}

void
pf_deps_files_free(struct pf_deps_files *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].rel);
		free(l->v[i].path);
	}
	free(l->v);
	for (i = 0; i < l->nroots; i++)
		close(l->roots[i]);
	free(l->roots);
	pf_inputs_free(&l->in);
	memset(l, 0, sizeof(*l));
}

const char *
pf_deps_basename(const char *rel)
{
	const char *s = strrchr(rel, '/');

	return s ? s + 1 : rel;
}

static int
matches(const char *p, const char *rel)
{
	const char *tail;
	size_t slashes, k;

	for (slashes = 0, k = 0; p[k]; k++)
		slashes += p[k] == '/';
	tail = rel + strlen(rel);
	while (tail > rel) {
		if (tail[-1] == '/' && slashes-- == 0)
			break;
		tail--;
	}
	return fnmatch(p, tail, FNM_PATHNAME | FNM_PERIOD) == 0;
}

int
pf_deps_is_requirements(const json_t *patterns, const char *rel)
{
	static const char *const dflt[] = { "requirements*.txt",
		"requirements/*.txt", "pyproject.toml", NULL };
	const json_t *v;
	const char *p;
	size_t i;

	if (patterns == NULL) {
		for (i = 0; dflt[i] != NULL; i++)
			if (matches(dflt[i], rel))
				return 1;
		return 0;
	}
	json_array_foreach(patterns, i, v)
		if ((p = json_string_value(v)) != NULL && matches(p, rel))
			return 1;
	return 0;
}

char *
pf_deps_include(const char *from, const char *path, const char **why)
{
	struct pf_buf b;
	const char *p, *c;
	size_t n;

	if (strstr(path, "://") != NULL) {
		*why = "a remote file";
		return NULL;
	}
	if (path[0] == '/' || path[0] == '~' || path[0] == '\\') {
		*why = "an absolute path";
		return NULL;
	}
	pf_buf_init(&b, PF_MAX_NAME);
	n = (size_t)(pf_deps_basename(from) - from);
	if (pf_buf_append(&b, from, n) == -1)
		goto toolong;
	for (p = path; *p; p = *c ? c + 1 : c) {
		c = p + strcspn(p, "/");
		n = (size_t)(c - p);
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *last;

			if (b.len == 0) {
				pf_buf_free(&b);
				*why = "a path above the model's top folder";
				return NULL;
			}
			b.data[--b.len] = '\0'; /* the trailing '/' */
			last = strrchr(b.data, '/');
			b.len = last ? (size_t)(last - b.data) + 1 : 0;
			b.data[b.len] = '\0';
			continue;
		}
		if (pf_buf_append(&b, p, n) == -1 ||
		    (*c && pf_buf_append(&b, "/", 1) == -1))
			goto toolong;
	}
	if (b.len == 0 || b.data[b.len - 1] == '/') {
		pf_buf_free(&b);
		*why = "not a file";
		return NULL;
	}
	return pf_buf_detach(&b, NULL);
toolong:
	pf_buf_free(&b);
	*why = "a path longer than PF_MAX_NAME";
	return NULL;
}
