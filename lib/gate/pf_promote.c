/*
 * pf_promote: the survey and the move into the verified store. Every open
 * below a model folder goes through pf_path (O_NOFOLLOW component by
 * component, O_NONBLOCK so that a FIFO cannot stall us). The gate vouches
 * for bytes, not for names: a file is taken as the bytes pf-fetch hashed
 * only when fstat gives exactly the identity fetch.json recorded (device,
 * inode, size, mtime and ctime to the nanosecond), and is hashed again on
 * any difference, or always with PF_PROMOTE_REHASH.
 *
 * Why the identity is enough. The kernel sets ctime to the current time
 * on every change to a file: a write, a truncate, a chmod or chown, a
 * link or rename, and utimensat itself, so restoring the mtime moves the
 * ctime. No system call sets ctime to a chosen value; only changing the
 * system clock (CAP_SYS_TIME) or writing the block device under the file
 * system (root) could, and either already owns the store. Replacing the
 * file changes its inode. Since Linux 6.13, ext4, xfs, btrfs and tmpfs
 * give a change that follows a stat (pf-fetch's, after the rename) a
 * fine-grained ctime, so even a write in the same clock tick shows; on
 * older kernels such a write is visible only at the next tick. Behind
 * the gate, pf-sign hashes every file itself and, given fetch.json (as
 * the pipeline always gives it), compares with its digests, so bytes that
 * slipped past here are still never signed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_fileid.h"
#include "pf_hash.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_promote.h"
#include "pf_banned.h"

/* One manifest entry. */
struct entry {
	const char *path;
	json_int_t size;
	const char *sha256;
	const json_t *identity; /* as pf-fetch saw it in place; may be NULL */
};

struct manifest {
	struct entry *v;
	size_t n;
	int rehash; /* hash every file, whatever its identity */
};

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->path,
	    ((const struct entry *)b)->path);
}

static int
manifest_load(const json_t *fetch, struct manifest *m, struct pf_err *e)
{
	const json_t *files = json_object_get(fetch, "files"), *f;
	size_t i;

	m->n = 0;
	m->rehash = 0;
	if (!json_is_array(files))
		return pf_err_set(e, PF_EXIT_USAGE, "fetch.json: no files array");
	if (json_array_size(files) > PF_MAX_FILES)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "fetch.json: more than PF_MAX_FILES (%d) files", PF_MAX_FILES);
	m->v = calloc(json_array_size(files) + 1, sizeof(*m->v));
	if (m->v == NULL)
		return pf_err_nomem(e);
	json_array_foreach(files, i, f) {
		struct entry *x = &m->v[m->n];

		x->path = pf_json_str(f, "path", NULL);
		x->size = pf_json_int(f, "size", -1);
		x->sha256 = pf_json_str(f, "sha256", NULL);
		x->identity = json_object_get(f, "identity");
		if (x->path == NULL || x->size < 0 || x->sha256 == NULL ||
		    !pf_is_hex(x->sha256, 64)) {
			free(m->v);
			return pf_err_set(e, PF_EXIT_USAGE,
			    "fetch.json: files[%zu]: no path, size or sha256", i);
		}
		if (pf_path_check(x->path, e) == -1) {
			free(m->v);
			e->code = PF_EXIT_USAGE;
			return pf_err_prefix(e, "fetch.json: files[%zu]", i);
		}
		m->n++;
	}
	qsort(m->v, m->n, sizeof(*m->v), entry_cmp);
	return 0;
}

static int
add(json_t *findings, const char *where, const char *what, enum pf_sev sev,
    const char *file, const char *msg)
{
	char rule[64];

	(void)snprintf(rule, sizeof(rule), "gate.%s.%s", where, what);
	return json_array_append_new(findings,
	    pf_finding_new(rule, sev, file, NULL, -1, msg));
}

/*
 * One manifest file in the folder: there, regular, its size and digest;
 * the digest from fetch.json while the file is the one pf-fetch hashed.
 */
static int
survey_file(int dfd, const char *where, const struct entry *x, int rehash,
    json_t *findings, struct pf_err *e)
{
	char hex[PF_SHA256_HEX], msg[256];
	struct pf_err fe = { 0, "" };
	struct stat st;
	int fd, rc;

	fd = pf_path_openat(dfd, x->path, O_RDONLY | O_NONBLOCK, 0, 0, &fe);
	if (fd == -1) {
		/* pf_path_openat: a missing file is code 2, an I/O error 3. */
		if (fe.code == PF_EXIT_FAILURE)
			return pf_err_set(e, PF_EXIT_FAILURE, "%s", fe.msg);
		return add(findings, where,
		    fe.code == PF_EXIT_VERDICT ? "not-regular" : "missing",
		    PF_SEV_CRITICAL, x->path,
		    fe.code == PF_EXIT_VERDICT ?
			"is not a regular file where the manifest has one" :
			"is in the manifest and not in the folder");
	}
	if (fstat(fd, &st) == -1) {
		close(fd);
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(x->path), strerror(errno));
	}
	if ((json_int_t)st.st_size != x->size) {
		close(fd);
		(void)snprintf(msg, sizeof(msg),
		    "holds %lld bytes where the manifest says %lld",
		    (long long)st.st_size, (long long)x->size);
		return add(findings, where, "size", PF_SEV_CRITICAL, x->path, msg);
	}
	if (!rehash && pf_fileid_match(x->identity, &st)) {
		close(fd);
		return 0;
	}
	rc = pf_hash_fd(fd, 0, hex, NULL, e);
	close(fd);
	if (rc == -1)
		return pf_err_prefix(e, "%s", pf_quote(x->path));
	if (strcmp(hex, x->sha256) == 0)
		return 0;
	(void)snprintf(msg, sizeof(msg),
	    "SHA-256 is %.16s…, not the manifest's %.16s…", hex, x->sha256);
	return add(findings, where, "digest", PF_SEV_CRITICAL, x->path, msg);
}

/* Is rel a manifest file, or a folder that holds one? */
static int
in_manifest(const struct manifest *m, const char *rel, int dir)
{
	struct entry key = { rel, 0, NULL, NULL };
	size_t lo = 0, hi = m->n, len = strlen(rel);

	if (!dir)
		return bsearch(&key, m->v, m->n, sizeof(*m->v), entry_cmp) != NULL;
	while (lo < hi) { /* the first path >= rel + "/" */
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(m->v[mid].path, rel, len);

		if (c < 0 || (c == 0 && m->v[mid].path[len] < '/'))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n && strncmp(m->v[lo].path, rel, len) == 0 &&
	    m->v[lo].path[len] == '/';
}

/* A folder still to walk: its fd and its path below the model folder. */
struct pending {
	int fd;
	char *rel;
};

/* Appends .extra for every entry of the folder tree that the manifest lacks. */
static int
survey_extras(int rootfd, const char *where, const struct manifest *m,
    json_t *findings, struct pf_err *e)
{
	struct pending stack[PF_MAX_PATH_DEPTH + 1];
	size_t top = 0;
	int rc = -1;

	if ((stack[0].fd = dup(rootfd)) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "dup: %s", strerror(errno));
	stack[0].rel = NULL;
	top = 1;
	while (top > 0) {
		struct pending cur = stack[--top];
		DIR *d = fdopendir(cur.fd);
		struct dirent *de;

		if (d == NULL) {
			close(cur.fd);
			free(cur.rel);
			pf_err_set(e, PF_EXIT_FAILURE, "read folder: %s",
			    strerror(errno));
			goto out;
		}
		while ((de = readdir(d)) != NULL) {
			char rel[PF_MAX_NAME + 2];
			struct stat st;
			int isdir;

			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			if ((size_t)snprintf(rel, sizeof(rel), "%s%s%s",
				cur.rel ? cur.rel : "", cur.rel ? "/" : "",
				de->d_name) >= sizeof(rel) ||
			    fstatat(dirfd(d), de->d_name, &st,
				AT_SYMLINK_NOFOLLOW) == -1) {
				if (add(findings, where, "extra", PF_SEV_HIGH, NULL,
					"an entry with an unusable name is in the folder") ==
				    -1)
					break;
				continue;
			}
			isdir = S_ISDIR(st.st_mode);
			if (in_manifest(m, rel, isdir)) {
				if (isdir && top < PF_MAX_PATH_DEPTH) {
					int fd = openat(dirfd(d), de->d_name,
					    O_RDONLY | O_DIRECTORY |
						O_NOFOLLOW | O_CLOEXEC);

					if (fd == -1 ||
					    (stack[top].rel = strdup(rel)) == NULL) {
						if (fd != -1)
							close(fd);
						closedir(d);
						free(cur.rel);
						pf_err_set(e, PF_EXIT_FAILURE,
						    "%s: %s", pf_quote(rel),
						    strerror(errno ? errno :
								     ENOMEM));
						goto out;
					}
					stack[top++].fd = fd;
				}
				continue;
			}
			if (add(findings, where, "extra", PF_SEV_HIGH, rel,
				isdir ?
				    "is a folder the manifest does not list: nothing in it was scanned" :
				    "is not in the manifest: it was never verified or scanned") ==
			    -1)
				break;
		}
		closedir(d);
		free(cur.rel);
	}
	rc = 0;
out:
	while (top > 0) {
		close(stack[--top].fd);
		free(stack[top].rel);
	}
	return rc;
}

static int
survey_fd(int dfd, const char *where, const struct manifest *m,
    json_t *findings, struct pf_err *e)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (survey_file(dfd, where, &m->v[i], m->rehash, findings, e) == -1)
			return -1;
	return survey_extras(dfd, where, m, findings, e);
}

static int
open_dir(const char *path, struct pf_err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd == -1)
		pf_err_set(e, errno == ENOENT ? PF_EXIT_USAGE : PF_EXIT_FAILURE,
		    "%s: %s", pf_quote(path), strerror(errno));
	return fd;
}

int
pf_promote_survey(const char *dir, const char *where, const json_t *fetch,
    unsigned flags, json_t *findings, struct pf_err *e)
{
	struct manifest m;
	int fd, rc;

	if (manifest_load(fetch, &m, e) == -1)
		return -1;
	m.rehash = (flags & PF_PROMOTE_REHASH) != 0;
	if ((fd = open_dir(dir, e)) == -1) {
		free(m.v);
		return -1;
	}
	rc = survey_fd(fd, where, &m, findings, e);
	close(fd);
	free(m.v);
	return rc;
}

/* ---- promotion ---- */

/* mkdir -p of rel's folders below dfd (0700 while we fill them). */
static int
make_parents(int dfd, const char *rel, struct pf_err *e)
{
	char buf[PF_MAX_NAME + 1], *p;

	if (strlen(rel) >= sizeof(buf))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: name too long",
		    pf_quote(rel));
	memcpy(buf, rel, strlen(rel) + 1);
	for (p = strchr(buf, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdirat(dfd, buf, 0700) == -1 && errno != EEXIST)
			return pf_err_set(e, PF_EXIT_FAILURE, "mkdir %s: %s",
			    pf_quote(buf), strerror(errno));
		*p = '/';
	}
	return 0;
}

/* Removes a folder tree we made (a stale staging folder), bounded in depth. */
static int
remove_tree(int parent, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (depth > PF_MAX_PATH_DEPTH)
		return -1;
	if (fchmodat(parent, name, 0700, 0) == -1 && errno == ENOENT)
		return 0;
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return unlinkat(parent, name, 0);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1 &&
		    (errno != EISDIR ||
			remove_tree(dirfd(d), de->d_name, depth + 1) == -1)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return unlinkat(parent, name, AT_REMOVEDIR);
}

/* Folders of the staging tree, deepest first, made read-only: 0555. */
static int
seal_folders(int sfd, const struct manifest *m)
{
	char buf[PF_MAX_NAME + 1], *p;
	size_t i;

	for (i = m->n; i-- > 0;) {
		if (strlen(m->v[i].path) >= sizeof(buf))
			continue;
		memcpy(buf, m->v[i].path, strlen(m->v[i].path) + 1);
		while ((p = strrchr(buf, '/')) != NULL) {
			*p = '\0';
			if (fchmodat(sfd, buf, 0555, 0) == -1)
				return -1;
		}
	}
	return 0;
}

/* Links every manifest file from qfd into the staging folder sfd, read-only. */
static int
stage_files(int qfd, int sfd, const struct manifest *m, struct pf_err *e)
{
	struct stat a, b;
	size_t i;

	for (i = 0; i < m->n; i++) {
		const char *p = m->v[i].path;

		if (make_parents(sfd, p, e) == -1)
			return -1;
		if (linkat(qfd, p, sfd, p, 0) == -1)
			return pf_err_set(e, PF_EXIT_FAILURE, "link %s: %s",
			    pf_quote(p), strerror(errno));
		/* The link is of what we surveyed, not of a swapped-in path. */
		if (fstatat(qfd, p, &a, AT_SYMLINK_NOFOLLOW) == -1 ||
		    fstatat(sfd, p, &b, AT_SYMLINK_NOFOLLOW) == -1 ||
		    !S_ISREG(b.st_mode) || a.st_ino != b.st_ino ||
		    a.st_dev != b.st_dev)
			return pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: changed while it was promoted", pf_quote(p));
		if (fchmodat(sfd, p, 0444, 0) == -1)
			return pf_err_set(e, PF_EXIT_FAILURE, "chmod %s: %s",
			    pf_quote(p), strerror(errno));
	}
	if (seal_folders(sfd, m) == -1 || fsync(sfd) == -1 ||
	    fchmod(sfd, 0555) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "staging folder: %s",
		    strerror(errno));
	return 0;
}

/* The promoted files leave quarantine (a failure here leaves copies, no harm). */
static void
clear_quarantine(const char *qdir, int qfd, const struct manifest *m)
{
	char buf[PF_MAX_NAME + 1], *p;
	size_t i;

	for (i = 0; i < m->n; i++)
		(void)unlinkat(qfd, m->v[i].path, 0);
	for (i = m->n; i-- > 0;) {
		if (strlen(m->v[i].path) >= sizeof(buf))
			continue;
		memcpy(buf, m->v[i].path, strlen(m->v[i].path) + 1);
		while ((p = strrchr(buf, '/')) != NULL) {
			*p = '\0';
			(void)unlinkat(qfd, buf, AT_REMOVEDIR);
		}
	}
	(void)rmdir(qdir);
}

/* The model's folder in the verified store, created; an O_DIRECTORY fd. */
static int
model_dir(const char *root, const char *id, char **path, struct pf_err *e)
{
	int fd;

	if ((*path = pf_path_join(root, id)) == NULL)
		return pf_err_nomem(e);
	if (pf_path_mkdirs(*path, 0755, e) == -1)
		return -1;
	if ((fd = open_dir(*path, e)) == -1)
		return -1;
	return fd;
}

/* Locks <commit>.lock in the model folder against a concurrent gate. */
static int
lock_commit(int mfd, const char *commit, struct pf_err *e)
{
	char name[64];
	int fd;

	(void)snprintf(name, sizeof(name), ".%s.lock", commit);
	fd = openat(mfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || flock(fd, LOCK_EX) == -1) {
		if (fd != -1)
			close(fd);
		return pf_err_set(e, PF_EXIT_FAILURE, "lock %s: %s", name,
		    strerror(errno));
	}
	return fd;
}

static int
promote_locked(const char *qdir, int mfd, const char *commit,
    const struct manifest *m, json_t *findings, int *already, struct pf_err *e)
{
	char staging[64];
	int qfd = -1, sfd = -1, vfd, rc = -1;

	if ((vfd = openat(mfd, commit,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) != -1) {
		size_t before = json_array_size(findings);

		rc = survey_fd(vfd, "verified", m, findings, e);
		close(vfd);
		*already = rc == 0 && json_array_size(findings) == before;
		return rc;
	}
	(void)snprintf(staging, sizeof(staging), ".%s.staging", commit);
	(void)remove_tree(mfd, staging, 0); /* an interrupted gate's */
	if ((qfd = open_dir(qdir, e)) == -1)
		return -1;
	if (mkdirat(mfd, staging, 0700) == -1 ||
	    (sfd = openat(mfd, staging,
		 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		pf_err_set(e, PF_EXIT_FAILURE, "staging folder: %s",
		    strerror(errno));
		goto out;
	}
	if (stage_files(qfd, sfd, m, e) == -1)
		goto out;
	if (renameat(mfd, staging, mfd, commit) == -1) {
		pf_err_set(e, PF_EXIT_FAILURE,
		    "rename into the verified store: %s", strerror(errno));
		goto out;
	}
	(void)fsync(mfd);
	clear_quarantine(qdir, qfd, m);
	rc = 0;
out:
	if (rc == -1 && sfd != -1)
		(void)remove_tree(mfd, staging, 0);
	if (sfd != -1)
		close(sfd);
	close(qfd);
	return rc;
}

int
pf_promote(const char *qdir, const char *verified_root, const char *id,
    const char *commit, const json_t *fetch, json_t *findings, char **final,
    int *already, struct pf_err *e)
{
	struct manifest m;
	char *mdir = NULL;
	int mfd = -1, lfd = -1, rc = -1;

	*final = NULL;
	*already = 0;
	if (!pf_is_hex(commit, 40))
		return pf_err_set(e, PF_EXIT_USAGE, "commit is not 40 hex digits");
	if (manifest_load(fetch, &m, e) == -1)
		return -1;
	if ((mfd = model_dir(verified_root, id, &mdir, e)) == -1)
		goto out;
	if ((lfd = lock_commit(mfd, commit, e)) == -1)
		goto out;
	if (promote_locked(qdir, mfd, commit, &m, findings, already, e) == -1)
		goto out;
	if ((* final = pf_path_join(mdir, commit)) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	rc = 0;
out:
	if (lfd != -1)
		close(lfd); /* drops the lock */
	if (mfd != -1)
		close(mfd);
	free(mdir);
	free(m.v);
	return rc;
}
