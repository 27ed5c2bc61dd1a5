/* pf_modeldir: a symlink-safe, bounded walk of a model folder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_limits.h"
#include "pf_modeldir.h"
#include "pf_oms.h"
#include "pf_path.h"
#include "pf_banned.h"

struct level {
	DIR *d;
	char *rel; /* NULL for the root */
};

void
pf_modeldir_free(struct pf_modeldir *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->v[i].rel);
	for (i = 0; i < m->nignored; i++)
		free(m->ignored[i]);
	free(m->v);
	free(m->ignored);
	memset(m, 0, sizeof(*m));
}

static int
push_name(char ***v, size_t *n, char *rel, struct pf_err *e)
{
	char **nv;

	if ((nv = reallocarray(*v, *n + 1, sizeof(**v))) == NULL) {
		free(rel);
		return pf_err_nomem(e);
	}
	*v = nv;
	nv[(*n)++] = rel;
	return 0;
}

static int
add_entry(struct pf_modeldir *m, char *rel, enum pf_md_type type, uint64_t size,
    struct pf_err *e)
{
	struct pf_md_entry *v;

	if (m->n >= PF_MAX_FILES) {
		free(rel);
		return pf_err_set(e, PF_EXIT_VERDICT,
		    "more than PF_MAX_FILES (%d) entries", PF_MAX_FILES);
	}
	if ((v = reallocarray(m->v, m->n + 1, sizeof(*v))) == NULL) {
		free(rel);
		return pf_err_nomem(e);
	}
	m->v = v;
	v[m->n].rel = rel;
	v[m->n].type = type;
	v[m->n].size = size;
	m->n++;
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	return pf_oms_name_cmp(((const struct pf_md_entry *)a)->rel,
	    ((const struct pf_md_entry *)b)->rel);
}

static int
name_cmp(const void *a, const void *b)
{
	return pf_oms_name_cmp(*(char *const *)a, *(char *const *)b);
}

static char *
join(const char *dir, const char *name)
{
	return dir == NULL ? strdup(name) : pf_path_join(dir, name);
}

/* Opens the subfolder name of the folder at top as a new level. */
static int
descend(struct level *stack, size_t *depth, char *rel, const char *name,
    struct pf_err *e)
{
	int fd;

	if (*depth >= PF_MAX_PATH_DEPTH) {
		pf_err_set(e, PF_EXIT_VERDICT,
		    "%s: deeper than "
		    "PF_MAX_PATH_DEPTH (%d)",
		    pf_quote(rel), PF_MAX_PATH_DEPTH);
		free(rel);
		return -1;
	}
	fd = openat(dirfd(stack[*depth - 1].d), name,
	    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || (stack[*depth].d = fdopendir(fd)) == NULL) {
		pf_err_set(e, PF_EXIT_FAILURE, "open %s: %s", pf_quote(rel),
		    strerror(errno));
		if (fd != -1)
			close(fd);
		free(rel);
		return -1;
	}
	stack[*depth].rel = rel;
	(*depth)++;
	return 0;
}

/* One entry of the folder on top of the stack. */
static int
visit(struct pf_modeldir *m, struct level *stack, size_t *depth,
    const char *name, const char *const *ignore, size_t nignore, struct pf_err *e)
{
	struct level *top = &stack[*depth - 1];
	struct stat st;
	char *rel;

	if ((rel = join(top->rel, name)) == NULL)
		return pf_err_nomem(e);
	if (pf_oms_ignored(rel, ignore, nignore))
		return push_name(&m->ignored, &m->nignored, rel, e);
	if (fstatat(dirfd(top->d), name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		pf_err_set(e, PF_EXIT_FAILURE, "stat %s: %s", pf_quote(rel),
		    strerror(errno));
		free(rel);
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return descend(stack, depth, rel, name, e);
	if (S_ISREG(st.st_mode))
		return add_entry(m, rel, PF_MD_FILE, (uint64_t)st.st_size, e);
	return add_entry(m, rel,
	    S_ISLNK(st.st_mode) ? PF_MD_SYMLINK : PF_MD_SPECIAL, 0, e);
}

int
pf_modeldir_walk(int rootfd, const char *const *ignore, size_t nignore,
    struct pf_modeldir *m, struct pf_err *e)
{
	struct level stack[PF_MAX_PATH_DEPTH + 1];
	struct dirent *de;
	size_t depth = 0;
	int fd, rc = 0;

	memset(m, 0, sizeof(*m));
	if ((fd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (stack[0].d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return pf_err_set(e, PF_EXIT_FAILURE, "open folder: %s",
		    strerror(errno));
	}
	stack[0].rel = NULL;
	depth = 1;
	while (depth > 0 && rc == 0) {
		struct level *top = &stack[depth - 1];

		errno = 0;
		if ((de = readdir(top->d)) == NULL) {
			if (errno != 0)
				rc = pf_err_set(e, PF_EXIT_FAILURE, "read %s: %s",
				    top->rel ? pf_quote(top->rel) : "folder",
				    strerror(errno));
			closedir(top->d);
			free(top->rel);
			depth--;
			continue;
		}
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		rc = visit(m, stack, &depth, de->d_name, ignore, nignore, e);
	}
	while (depth > 0) {
		closedir(stack[depth - 1].d);
		free(stack[depth - 1].rel);
		depth--;
	}
	/* qsort's pointer must not be NULL, even for no elements. */
	if (rc == 0 && m->n > 0)
		qsort(m->v, m->n, sizeof(*m->v), entry_cmp);
	if (rc == 0 && m->nignored > 0)
		qsort(m->ignored, m->nignored, sizeof(*m->ignored), name_cmp);
	return rc;
}

char *
pf_modeldir_relpath(const char *dir, const char *path)
{
	char *d, *p = NULL, *copy, *copy2 = NULL, *rel = NULL;
	size_t n;

	if ((copy = strdup(path)) == NULL || (copy2 = strdup(path)) == NULL ||
	    (d = realpath(dir, NULL)) == NULL) {
		free(copy);
		free(copy2);
		return NULL;
	}
	if ((p = realpath(dirname(copy), NULL)) == NULL)
		goto out;
	errno = 0;
	n = strlen(d);
	if (strcmp(p, d) == 0)
		rel = strdup(basename(copy2));
	else if (strncmp(p, d, n) == 0 && (p[n] == '/' || n == 1))
		rel = pf_path_join(p + n + (n > 1), basename(copy2));
out:
	free(p);
	free(d);
	free(copy);
	free(copy2);
	return rel;
}

int
pf_modeldir_open(const char *dir, const char *sig, struct pf_modeldir_site *s,
    struct pf_err *e)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if ((s->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return pf_err_set(e,
		    errno == ENOENT || errno == ENOTDIR ? PF_EXIT_USAGE :
							  PF_EXIT_FAILURE,
		    "%s: %s", pf_quote(dir), strerror(errno));
	if ((s->dir = realpath(dir, NULL)) == NULL) {
		pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", pf_quote(dir),
		    strerror(errno));
		pf_modeldir_close(s);
		return -1;
	}
	s->sigpath = sig ? strdup(sig) : pf_path_join(s->dir, "model.sig");
	if (s->sigpath == NULL) {
		pf_modeldir_close(s);
		return pf_err_nomem(e);
	}
	errno = 0;
	if ((s->sigrel = pf_modeldir_relpath(s->dir, s->sigpath)) == NULL)
		s->sigerr = errno;
	return 0;
}

void
pf_modeldir_close(struct pf_modeldir_site *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->dir);
	free(s->sigpath);
	free(s->sigrel);
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

int
pf_modeldir_walk_site(const struct pf_modeldir_site *s, const char *const *ignore,
    size_t nignore, struct pf_modeldir *m, struct pf_err *e)
{
	const char **ign;
	int rc;

	if ((ign = reallocarray(NULL, nignore + 1, sizeof(*ign))) == NULL)
		return pf_err_nomem(e);
	if (nignore > 0)
		memcpy(ign, ignore, nignore * sizeof(*ign));
	if (s->sigrel != NULL)
		ign[nignore++] = s->sigrel;
	rc = pf_modeldir_walk(s->fd, ign, nignore, m, e);
	free(ign);
	return rc;
}
