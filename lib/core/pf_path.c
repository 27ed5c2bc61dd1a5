/*
 * pf_path: safe repo-relative names, and opening them below a root one
 * component at a time with O_NOFOLLOW (a symlink planted anywhere on the
 * way is refused, not followed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_diag.h"
#include "pf_banned.h"

static int
bad(struct pf_err *e, const char *name, const char *why)
{
	return pf_err_set(e, PF_EXIT_VERDICT, "%s: unsafe file name: %s",
	    pf_quote(name), why);
}

int
pf_path_check(const char *name, struct pf_err *e)
{
	size_t len, i, comp = 0, depth = 1;
	const char *c;

	if (name == NULL || (len = strlen(name)) == 0)
		return bad(e, "", "empty name");
	if (len > PF_MAX_NAME)
		return bad(e, name, "longer than PF_MAX_NAME (1024 bytes)");
	if (name[0] == '/')
		return bad(e, name, "absolute path");
	if (!pf_utf8_valid(name, len))
		return bad(e, name, "invalid UTF-8");
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (ch < 0x20 || ch == 0x7f)
			return bad(e, name, "control character");
		if (ch == '\\')
			return bad(e, name, "backslash");
		if (ch == '/' && ++depth > PF_MAX_PATH_DEPTH)
			return bad(e, name, "deeper than PF_MAX_PATH_DEPTH (32)");
	}
	for (c = name;; c += comp + 1) {
		const char *slash = strchr(c, '/');

		comp = slash ? (size_t)(slash - c) : strlen(c);
		if (comp == 0)
			return bad(e, name, "empty component");
		if (comp == 1 && c[0] == '.')
			return bad(e, name, "'.' component");
		if (comp == 2 && c[0] == '.' && c[1] == '.')
			return bad(e, name, "'..' component");
		/* A ".git" folder in a model tree is git's config and hooks. */
		if (comp == 4 && strncasecmp(c, ".git", 4) == 0)
			return bad(e, name, "'.git' component");
		if (comp > PF_MAX_NAME_COMPONENT)
			return bad(e, name,
			    "component longer than PF_MAX_NAME_COMPONENT (255)");
		if (slash == NULL)
			break;
	}
	return 0;
}

/* Opens (or creates) one directory component below dfd. */
static int
open_component(int dfd, const char *comp, int create, mode_t mode,
    const char *whole, struct pf_err *e)
{
	int fd;

	fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT && create) {
		if (mkdirat(dfd, comp, mode) == -1 && errno != EEXIST)
			return pf_err_set(e, PF_EXIT_FAILURE, "mkdir %s: %s",
			    pf_quote(whole), strerror(errno));
		fd = openat(dfd, comp,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd == -1) {
		if (errno == ELOOP || errno == ENOTDIR)
			return pf_err_set(e, PF_EXIT_VERDICT,
			    "%s: a symlink or non-directory in the path; not followed",
			    pf_quote(whole));
		return pf_err_set(e,
		    errno == ENOENT ? PF_EXIT_USAGE : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(whole), strerror(errno));
	}
	return fd;
}

/* Walks the first ncomp bytes of rel (whole components) below rootfd. */
static int
walk(int rootfd, const char *rel, size_t n, int create, mode_t mode,
    struct pf_err *e)
{
	char comp[PF_MAX_NAME_COMPONENT + 1];
	size_t i = 0, len;
	int fd, next;

	if ((fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "dup: %s", strerror(errno));
	while (i < n) {
		const char *slash = memchr(rel + i, '/', n - i);

		len = slash ? (size_t)(slash - (rel + i)) : n - i;
		if (len == 0 || len > PF_MAX_NAME_COMPONENT) {
			close(fd);
			return bad(e, rel, "bad component");
		}
		memcpy(comp, rel + i, len);
		comp[len] = '\0';
		next = open_component(fd, comp, create, mode, rel, e);
		close(fd);
		if (next == -1)
			return -1;
		fd = next;
		i += len + 1;
	}
	return fd;
}

int
pf_path_opendir(int rootfd, const char *rel, int create, mode_t mode,
    struct pf_err *e)
{
	if (rel[0] == '\0' || strcmp(rel, ".") == 0)
		return walk(rootfd, rel, 0, 0, mode, e);
	if (pf_path_check(rel, e) == -1)
		return -1;
	return walk(rootfd, rel, strlen(rel), create, mode, e);
}

int
pf_path_openat(int rootfd, const char *rel, int flags, mode_t mode,
    mode_t dirmode, struct pf_err *e)
{
	const char *base;
	struct stat st;
	int dfd, fd;

	if (pf_path_check(rel, e) == -1)
		return -1;
	base = strrchr(rel, '/');
	dfd = walk(rootfd, rel, base ? (size_t)(base - rel) : 0,
	    (flags & O_CREAT) != 0, dirmode, e);
	if (dfd == -1)
		return -1;
	base = base ? base + 1 : rel;
	fd = openat(dfd, base, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd == -1) {
		int saved = errno;

		close(dfd);
		if (saved == ELOOP)
			return pf_err_set(e, PF_EXIT_VERDICT,
			    "%s: is a symlink; not followed", pf_quote(rel));
		return pf_err_set(e,
		    saved == ENOENT ? PF_EXIT_USAGE : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(rel), strerror(saved));
	}
	close(dfd);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pf_err_set(e, PF_EXIT_VERDICT, "%s: not a regular file",
		    pf_quote(rel));
	}
	return fd;
}

int
pf_path_mkdirs(const char *path, mode_t mode, struct pf_err *e)
{
	char buf[4096];
	size_t len = strlen(path), i;

	if (len == 0 || len >= sizeof(buf))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: bad path", pf_quote(path));
	memcpy(buf, path, len + 1);
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) == -1 && errno != EEXIST)
			return pf_err_set(e, PF_EXIT_FAILURE, "mkdir %s: %s",
			    pf_quote(buf), strerror(errno));
		buf[i] = i < len ? '/' : '\0';
	}
	return 0;
}

char *
pf_path_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s;

	while (la > 1 && a[la - 1] == '/')
		la--;
	if ((s = malloc(la + lb + 2)) == NULL)
		return NULL;
	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}
