/*
 * pf_inputs: the files a scanner reads, from fetch.json or from paths, and
 * opening each one the same way in every scanner.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_inputs.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_banned.h"

int
pf_inputs_ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n >= m && strcmp(name + n - m, suffix) == 0;
}

int
pf_inputs_skip(struct pf_inputs *l, const char *rel, const char *reason, int kind)
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

static struct pf_input *
add(struct pf_inputs *l, const char *rel, const char *path, int follow,
    struct pf_err *e)
{
	struct pf_input *v;

	if (l->n >= PF_MAX_FILES) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "more than PF_MAX_FILES (%d) files", PF_MAX_FILES);
		return NULL;
	}
	if ((v = reallocarray(l->v, l->n + 1, sizeof(*l->v))) == NULL) {
		pf_err_nomem(e);
		return NULL;
	}
	l->v = v;
	v += l->n;
	memset(v, 0, sizeof(*v));
	v->rel = strdup(rel);
	v->path = strdup(path);
	v->follow = follow;
	v->size = -1;
	if (v->rel == NULL || v->path == NULL) {
		free(v->rel);
		free(v->path);
		pf_err_nomem(e);
		return NULL;
	}
	l->n++;
	return v;
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
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: skipped is not an array", what);
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
		if (pf_inputs_skip(l, rel, reason, want == NULL || want(rel)) == -1)
			return pf_err_nomem(e);
	}
	return 0;
}

/*
 * The folders a manifest's files may be in: its "quarantine" member,
 * <root>/<org>/<name>/<commit> as pf-fetch writes it, and for rejected
 * files <root>/.rejected/<org>/<name>/<commit>.
 */
static int
fetch_bases(struct pf_inputs *l, const json_t *fetch, const char *what,
    struct pf_err *e)
{
	const json_t *model = json_object_get(fetch, "model");
	const char *q = pf_json_str(fetch, "quarantine", NULL);
	const char *id = pf_json_str(model, "id", NULL);
	const char *commit = pf_json_str(model, "commit", NULL);
	char *tail = NULL, *root = NULL, *rej;
	size_t qlen, tlen;
	int rc = -1;

	if (q == NULL || id == NULL || commit == NULL)
		return pf_err_set(e, PF_EXIT_USAGE, "%s: no %s", what,
		    q == NULL ? "quarantine folder" : "model id and commit");
	if ((tail = pf_path_join(id, commit)) == NULL)
		return pf_err_nomem(e);
	qlen = strlen(q);
	tlen = strlen(tail);
	/* id and commit are names too: no "..", no "/" of their own. */
	if (q[0] != '/' || qlen <= tlen + 1 || q[qlen - tlen - 1] != '/' ||
	    strcmp(q + qlen - tlen, tail) != 0 ||
	    pf_path_check(tail, e) == -1 || strchr(commit, '/') != NULL) {
		pf_err_set(e, PF_EXIT_USAGE,
		    "%s: quarantine %s: not an absolute "
		    "folder ending in the model's id and commit",
		    what, pf_quote(q));
		goto out;
	}
	if ((root = strndup(q, qlen - tlen - 1)) == NULL ||
	    (l->bases[0] = strdup(q)) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	rej = pf_path_join(root, ".rejected");
	l->bases[1] = rej ? pf_path_join(rej, tail) : NULL;
	free(rej);
	if (l->bases[1] == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	rc = 0;
out:
	free(tail);
	free(root);
	return rc;
}

/* True when q is exactly base/rel. */
static int
is_below(const char *q, const char *base, const char *rel)
{
	size_t n = strlen(base);

	return strncmp(q, base, n) == 0 && q[n] == '/' &&
	    strcmp(q + n + 1, rel) == 0;
}

int
pf_inputs_from_fetch(struct pf_inputs *l, const json_t *fetch, const char *what,
    pf_input_filter want, struct pf_err *e)
{
	const json_t *files = json_object_get(fetch, "files"), *f, *size;
	const char *rel, *q, *sha;
	struct pf_input *it;
	size_t i;
	int b;

	if (!json_is_array(files))
		return pf_err_set(e, PF_EXIT_USAGE, "%s: no files array", what);
	if (fetch_bases(l, fetch, what, e) == -1)
		return -1;
	json_array_foreach(files, i, f) {
		rel = pf_json_str(f, "path", NULL);
		q = pf_json_str(f, "quarantine_path", NULL);
		size = json_object_get(f, "size");
		sha = pf_json_str(f, "sha256", "");
		if (rel == NULL)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: files[%zu]: no path", what, i);
		/* Findings name files by this path: it must be a safe one. */
		if (pf_path_check(rel, e) == -1) {
			e->code = PF_EXIT_USAGE;
			return pf_err_prefix(e, "%s: files[%zu].path", what, i);
		}
		/* A file left out of the scan would pass unseen. */
		if (q == NULL)
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: files[%zu]: %s: no quarantine_path", what, i,
			    pf_quote(rel));
		b = strcmp(pf_json_str(f, "status", ""), "rejected") == 0;
		if (!is_below(q, l->bases[b], rel))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: files[%zu]: %s: quarantine_path %s is not "
			    "%s/%s",
			    what, i, pf_quote(rel), pf_quote(q),
			    b ? "the .rejected twin of the quarantine" :
				"the quarantine",
			    pf_quote(rel));
		if (!json_is_integer(size) || json_integer_value(size) < 0 ||
		    !pf_is_hex(sha, 64))
			return pf_err_set(e, PF_EXIT_USAGE,
			    "%s: files[%zu]: %s: no size and sha256", what, i,
			    pf_quote(rel));
		if (want != NULL && !want(rel)) {
			if (pf_inputs_skip(l, rel,
				"not a file this scanner "
				"reads",
				0) == -1)
				return pf_err_nomem(e);
			continue;
		}
		if ((it = add(l, rel, q, 0, e)) == NULL)
			return -1;
		it->listed = 1;
		it->rejected = b;
		it->size = json_integer_value(size);
		if ((it->sha256 = strdup(sha)) == NULL)
			return pf_err_nomem(e);
	}
	return skipped_by_plan(l, fetch, what, want, e);
}

/* One folder of the walk: files added, subfolders pushed on the stack. */
static int
walk_one(struct pf_inputs *l, const char *dir, const char *rel, char ***stack,
    size_t *n, pf_input_filter want, struct pf_err *e)
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
			pf_err_set(e, PF_EXIT_FAILURE, "%s: %s",
			    pf_quote(cfull), strerror(errno));
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (*n >= PF_MAX_FILES) {
				pf_err_set(e, PF_EXIT_USAGE,
				    "%s: more than PF_MAX_FILES folders",
				    pf_quote(dir));
				goto out;
			}
			if ((s = reallocarray(*stack, *n + 1, sizeof(**stack))) ==
			    NULL) {
				pf_err_nomem(e);
				goto out;
			}
			*stack = s;
			s[(*n)++] = crel; /* transferred */
			crel = NULL;
		} else if (want != NULL && !want(de->d_name)) {
			if (pf_inputs_skip(l, crel,
				"not a file this scanner "
				"reads",
				0) == -1) {
				pf_err_nomem(e);
				goto out;
			}
		} else if (add(l, crel, cfull, 0, e) == NULL)
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
					  add(l, argv[i], argv[i], 1, e) == NULL)
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
	free(l->bases[0]);
	free(l->bases[1]);
	l->v = NULL;
	l->n = 0;
	l->bases[0] = l->bases[1] = NULL;
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
add_finding(json_t *doc, const char *prefix, const char *what, const char *msg)
{
	char rule[96];

	(void)snprintf(rule, sizeof(rule), "%s.%s", prefix, what);
	return pf_envelope_add(doc,
	    pf_finding_new(rule, PF_SEV_HIGH, NULL, NULL, -1, msg));
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
		o = json_pack("{s:o, s:s}", "path",
		    pf_json_text(sk[i].rel, strlen(sk[i].rel)), "reason",
		    sk[i].reason);
		if (json_array_append_new(ns, o) == -1)
			goto nomem;
	}
	for (i = 0; i < l->n; i++) {
		o = json_pack("{s:o, s:s?}", "path",
		    pf_json_text(l->v[i].rel, strlen(l->v[i].rel)), "sha256",
		    l->v[i].sha256);
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
	if (fetch != NULL &&
	    strcmp(pf_json_str(fetch, "status", ""), "failed") == 0) {
		upstream_why(fetch, up, sizeof(up));
		(void)snprintf(why, sizeof(why),
		    "the fetch manifest failed "
		    "(%s): a scan of it cannot pass",
		    up);
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
		(void)snprintf(why, sizeof(why),
		    "none of the %zu files this "
		    "scanner reads was scanned: %s %s",
		    kind, pf_quote(sk[i].rel), sk[i].reason);
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

int
pf_inputs_policy(struct pf_inputs *l, const json_t *policy, struct pf_err *e)
{
	const json_t *v = pf_policy_get(policy, "scan.rehash_max_bytes");

	l->rehash_max = PF_SCAN_REHASH_BYTES;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "policy: "
		    "scan.rehash_max_bytes must be a non-negative integer");
	l->rehash_max = (uint64_t)json_integer_value(v);
	return 0;
}

/* ------------------------------------------------------------ opening */

static const char *
kind_of(mode_t m)
{
	if (S_ISDIR(m))
		return "folder";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "socket";
	if (S_ISLNK(m))
		return "symlink";
	return "device";
}

/* Says why the file is not read; the finding's message. Returns 0. */
static int
not_read(struct pf_input_file *o, const char *kind, const char *rel, const char *why)
{
	o->kind = kind;
	(void)snprintf(o->message, sizeof(o->message), "%s %s", pf_quote(rel), why);
	return 0;
}

/*
 * Opens rel below the folder bfd, every component with O_NOFOLLOW, so a
 * symlink anywhere on the way is seen, not followed; O_NONBLOCK so a FIFO
 * is not waited on. Returns an fd, 0 with o->kind set, or -1 with e set
 * (code 2 when it is not there).
 */
static int
open_below(int bfd, const char *rel, struct pf_input_file *o, struct pf_err *e)
{
	const char *slash = strrchr(rel, '/'), *base;
	char *dir = NULL;
	int dfd, fd, saved;

	if (slash != NULL && (dir = strndup(rel, (size_t)(slash - rel))) == NULL)
		return pf_err_nomem(e);
	dfd = pf_path_opendir(bfd, dir ? dir : "", 0, 0, e);
	free(dir);
	if (dfd == -1 && e->code == PF_EXIT_VERDICT)
		return not_read(o, "symlink", rel,
		    "has a symlink or a file for "
		    "a folder on its way; not followed");
	if (dfd == -1)
		return -1;
	base = slash ? slash + 1 : rel;
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	saved = errno;
	close(dfd);
	if (fd != -1)
		return fd;
	if (saved == ELOOP)
		return not_read(o, "symlink", rel, "is a symlink; not followed");
	if (saved == ENXIO)
		return not_read(o, "socket", rel,
		    "is a socket, not a file; "
		    "not read");
	return pf_err_set(e, saved == ENOENT ? PF_EXIT_USAGE : PF_EXIT_FAILURE,
	    "%s: %s", pf_quote(rel), strerror(saved));
}

/* A manifest's entry, below the folder the manifest puts it in. */
static int
open_listed(const struct pf_inputs *l, const struct pf_input *it,
    struct pf_input_file *o, struct pf_err *e)
{
	int bfd, fd;

	bfd = open(l->bases[it->rejected], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd == -1)
		return pf_err_set(e,
		    errno == ENOENT ? PF_EXIT_USAGE : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(l->bases[it->rejected]), strerror(errno));
	fd = open_below(bfd, it->rel, o, e);
	close(bfd);
	if (fd == -1 && e->code == PF_EXIT_USAGE)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: %s: missing from the "
		    "quarantine",
		    pf_quote(it->rel), pf_quote(it->path));
	return fd;
}

/* A path from the arguments: followed only when the user named it. */
static int
open_path(const struct pf_input *it, struct pf_input_file *o, struct pf_err *e)
{
	int fd;

	fd = open(it->path,
	    O_RDONLY | O_NONBLOCK | O_CLOEXEC | (it->follow ? 0 : O_NOFOLLOW));
	if (fd == -1 && errno == ELOOP)
		return not_read(o, "symlink", it->rel,
		    "is a symlink; not followed");
	if (fd == -1 && errno == ENXIO)
		return not_read(o, "socket", it->rel,
		    "is a socket, not a file; not read");
	if (fd == -1)
		return pf_err_set(e,
		    errno == ENOENT ? PF_EXIT_USAGE : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(it->path), strerror(errno));
	return fd;
}

/* Still the manifest's bytes: its size always, its digest when small. */
static int
check_listed(const struct pf_inputs *l, const struct pf_input *it,
    struct pf_input_file *o, struct pf_err *e)
{
	char sha[PF_SHA256_HEX];

	if (o->size != (uint64_t)it->size) {
		o->kind = "changed";
		(void)snprintf(o->message, sizeof(o->message),
		    "%s is %" PRIu64 " bytes, the manifest says %" PRId64
		    "; changed since it "
		    "was fetched, not scanned",
		    pf_quote(it->rel), o->size, it->size);
		return 0;
	}
	if (o->size > l->rehash_max)
		return 0;
	if (pf_hash_fd(o->fd, 0, sha, NULL, e) == -1)
		return pf_err_prefix(e, "%s", pf_quote(it->path));
	if (lseek(o->fd, 0, SEEK_SET) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: seek: %s",
		    pf_quote(it->path), strerror(errno));
	if (strcmp(sha, it->sha256) != 0) {
		o->kind = "changed";
		(void)snprintf(o->message, sizeof(o->message),
		    "%s has sha256 "
		    "%.16s..., the manifest says %.16s...; changed since it was "
		    "fetched, not scanned",
		    pf_quote(it->rel), sha, it->sha256);
	}
	return 0;
}

/* fd is open: a regular file is kept (blocking again), anything else is not read. */
static int
keep_regular(int fd, const char *rel, const char *path, struct pf_input_file *o,
    struct pf_err *e)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) == -1) {
		int saved = errno;

		close(fd);
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", pf_quote(path),
		    strerror(saved));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return not_read(o, kind_of(st.st_mode), rel,
		    S_ISDIR(st.st_mode) ? "is a folder where a file belongs; "
					  "not read" :
			S_ISFIFO(st.st_mode) ? "is a FIFO, not a "
					       "file; not read" :
					       "is not a regular file; not read");
	}
	/* A regular file: reads may block again, as a scanner expects. */
	if ((fl = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	o->fd = fd;
	o->size = (uint64_t)st.st_size;
	return 0;
}

int
pf_input_openat(int dirfd, const char *rel, struct pf_input_file *o,
    struct pf_err *e)
{
	int fd;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	fd = open_below(dirfd, rel, o, e);
	if (fd == -1 || o->kind != NULL) /* an error, or not to be read */
		return fd == -1 ? -1 : 0;
	return keep_regular(fd, rel, rel, o, e);
}

int
pf_input_open(const struct pf_inputs *l, const struct pf_input *it,
    struct pf_input_file *o, struct pf_err *e)
{
	int fd;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	fd = it->listed ? open_listed(l, it, o, e) : open_path(it, o, e);
	if (fd == -1 || o->kind != NULL) /* an error, or not to be read */
		return fd == -1 ? -1 : 0;
	if (keep_regular(fd, it->rel, it->path, o, e) == -1 || o->fd == -1)
		return o->kind != NULL ? 0 : -1;
	if (it->listed && (check_listed(l, it, o, e) == -1 || o->kind != NULL)) {
		close(o->fd);
		o->fd = -1;
		return o->kind != NULL ? 0 : -1;
	}
	return 0;
}

json_t *
pf_input_finding(const char *prefix, const struct pf_input *it,
    const struct pf_input_file *o)
{
	const char *what = strcmp(o->kind, "symlink") == 0 ? "symlink" :
	    strcmp(o->kind, "changed") == 0		   ? "changed" :
							     "not-regular";
	char rule[64];
	json_t *f;

	(void)snprintf(rule, sizeof(rule), "%s.file.%s", prefix, what);
	f = pf_finding_new(rule, PF_SEV_HIGH, it->rel, NULL, -1, o->message);
	if (f == NULL ||
	    json_object_set_new(f, "evidence",
		json_pack("{s:s}", "kind", o->kind)) == -1) {
		json_decref(f);
		return NULL;
	}
	return f;
}

json_t *
pf_input_name(const char *rel)
{
	size_t len = strlen(rel);

	/* a name is never cut: it must stay the file's own */
	if (pf_utf8_valid(rel, len))
		return json_string(rel);
	return pf_json_hex(rel, len);
}
