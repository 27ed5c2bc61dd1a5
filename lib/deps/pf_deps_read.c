/*
 * pf_deps_read: the requirements files of a model and what they ask for.
 * The parsers call back per item; a failure inside a callback stops the
 * parse and is kept in rd->e.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_deps_read.h"
#include "pf_diag.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_policy.h"
#include "pf_requirements.h"
#include "pf_banned.h"

struct pf_deps_work {
	char *rel;
	int root;
	size_t depth;
	int constraint;
};

/*
 * Byte offset of the start of 1-based line in the current file. Items come
 * in file order, so the walk goes on from the last line asked about.
 */
static int64_t
line_offset(struct pf_deps_read *rd, size_t line)
{
	const char *p = rd->buf, *end = rd->buf + rd->len, *nl;
	size_t l = 1;

	if (rd->at_line > 0 && rd->at_line <= line) {
		l = rd->at_line;
		p = rd->buf + rd->at_off;
	}
	while (l < line && p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		p = nl + 1;
		l++;
	}
	rd->at_line = l;
	rd->at_off = (size_t)(p - rd->buf);
	return (int64_t)(p - rd->buf);
}

static json_t *
text(const char *t)
{
	return pf_json_text(t, strlen(t));
}

/* {"include": name} as evidence, or NULL. */
static json_t *
include_ev(const char *name)
{
	json_t *v = text(name);

	return v ? json_pack("{s:o}", "include", v) : NULL;
}

static int
seen(struct pf_deps_read *rd, const char *rel, int root, int *was)
{
	char key[PF_MAX_NAME + 16], **v;
	size_t i;

	(void)snprintf(key, sizeof(key), "%d:%s", root, rel);
	for (i = 0; i < rd->nseen; i++)
		if (strcmp(rd->seen[i], key) == 0) {
			*was = 1;
			return 0;
		}
	*was = 0;
	if ((v = reallocarray(rd->seen, rd->nseen + 1, sizeof(*v))) == NULL)
		return pf_err_nomem(rd->e);
	rd->seen = v;
	if ((v[rd->nseen] = strdup(key)) == NULL)
		return pf_err_nomem(rd->e);
	rd->nseen++;
	return 0;
}

static int
queue(struct pf_deps_read *rd, const char *rel, int root, size_t depth,
    int constraint)
{
	struct pf_deps_work *q;

	q = reallocarray(rd->queue, rd->nqueue + 1, sizeof(*q));
	if (q == NULL)
		return pf_err_nomem(rd->e);
	rd->queue = q;
	if ((q[rd->nqueue].rel = strdup(rel)) == NULL)
		return pf_err_nomem(rd->e);
	q[rd->nqueue].root = root;
	q[rd->nqueue].depth = depth;
	q[rd->nqueue].constraint = constraint;
	rd->nqueue++;
	return 0;
}

static int
include_finding(struct pf_deps_read *rd, const struct pf_req_item *it,
    const char *rule, enum pf_sev sev, const char *name, const char *msg)
{
	json_t *ev = include_ev(name);

	if (ev == NULL)
		return pf_err_nomem(rd->e);
	return pf_deps_finding(rd->doc, rd->cur, it->line,
	    line_offset(rd, it->line), rule, sev, ev, rd->e, "%s", msg);
}

/* A requirements file the input layer would not read, as every scanner says. */
static int
file_finding(struct pf_deps_read *rd, const char *rel, const char *kind,
    const char *why)
{
	char msg[512];

	(void)snprintf(msg, sizeof(msg), "%s", why);
	return pf_deps_finding(rd->doc, rel, 0, -1,
	    strcmp(kind, "symlink") == 0     ? "deps.file.symlink" :
		strcmp(kind, "changed") == 0 ? "deps.file.changed" :
					       "deps.file.not-regular",
	    PF_SEV_HIGH, json_pack("{s:s}", "kind", kind), rd->e, "%s", msg);
}

static int
on_include(struct pf_deps_read *rd, const struct pf_req_item *it)
{
	struct pf_err e = { 0, "" };
	const char *why = NULL, *kind;
	char msg[1024], *rel;
	int fd, rc;

	if ((rel = pf_deps_include(rd->cur, it->value, &why)) == NULL ||
	    pf_path_check(rel, &e) == -1) {
		(void)snprintf(msg, sizeof(msg), "%s %s leaves the model: %s",
		    it->option, pf_quote(it->value), why ? why : e.msg);
		free(rel);
		return include_finding(rd, it, "deps.include.outside",
		    PF_SEV_HIGH, it->value, msg);
	}
	if ((fd = pf_deps_files_open(rd->files, rel, rd->cur_root, &kind, &e)) ==
	    -1) {
		if (e.code == PF_EXIT_FAILURE) {
			free(rel);
			*rd->e = e;
			return -1;
		}
		if (e.code == PF_EXIT_VERDICT && strcmp(kind, "symlink") != 0)
			rc = file_finding(rd, rel, kind, e.msg);
		else if (e.code == PF_EXIT_VERDICT) {
			(void)snprintf(msg, sizeof(msg),
			    "%s %s leaves the model: "
			    "a symlink, not followed",
			    it->option, pf_quote(it->value));
			rc = include_finding(rd, it, "deps.include.outside",
			    PF_SEV_HIGH, rel, msg);
		} else {
			(void)snprintf(msg, sizeof(msg),
			    "%s includes %s, which is "
			    "not in the model",
			    it->option, pf_quote(rel));
			rc = include_finding(rd, it, "deps.include.missing",
			    PF_SEV_MEDIUM, rel, msg);
		}
		free(rel);
		return rc;
	}
	close(fd);
	if (rd->depth + 1 > rd->cap_depth) {
		(void)snprintf(msg, sizeof(msg),
		    "includes nest deeper than "
		    "PF_MAX_REQ_DEPTH (%llu); %s was not read",
		    (unsigned long long)rd->cap_depth, pf_quote(rel));
		rc = include_finding(rd, it, "deps.include.depth",
		    PF_SEV_MEDIUM, rel, msg);
	} else
		rc = queue(rd, rel, rd->cur_root, rd->depth + 1, it->constraint);
	free(rel);
	return rc;
}

static int
dup_or_null(const char *p, char **out)
{
	*out = p ? strdup(p) : NULL;
	return p && *out == NULL ? -1 : 0;
}

/* The group name, kept once for all requirements of that group. */
static int
group(struct pf_deps_read *rd, const char *name, const char **out)
{
	char **v;
	size_t i;

	for (i = 0, *out = NULL; i < rd->ngroups; i++)
		if (strcmp(rd->groups[i], name) == 0)
			*out = rd->groups[i];
	if (*out != NULL)
		return 0;
	if ((v = reallocarray(rd->groups, rd->ngroups + 1, sizeof(*v))) == NULL)
		return pf_err_nomem(rd->e);
	rd->groups = v;
	if ((v[rd->ngroups] = strdup(name)) == NULL)
		return pf_err_nomem(rd->e);
	*out = v[rd->ngroups++];
	return 0;
}

static int
on_requirement(struct pf_deps_read *rd, const struct pf_req_item *it)
{
	const struct pf_req *r = it->req;
	struct pf_dep *d;
	const char *why;

	if (rd->ndeps >= rd->cap_reqs) {
		int first = !rd->too_many;

		rd->too_many = 1;
		if (first)
			return pf_deps_finding(rd->doc, rd->cur, it->line,
			    line_offset(rd, it->line), "deps.requirements.too-many",
			    PF_SEV_MEDIUM, NULL, rd->e,
			    "more than PF_MAX_REQS "
			    "(%llu) requirements; the rest were not checked",
			    (unsigned long long)rd->cap_reqs);
		return 0;
	}
	if ((d = reallocarray(rd->deps, rd->ndeps + 1, sizeof(*d))) == NULL)
		return pf_err_nomem(rd->e);
	rd->deps = d;
	d = &rd->deps[rd->ndeps++];
	memset(d, 0, sizeof(*d));
	d->line = it->line;
	d->offset = line_offset(rd, it->line);
	d->r.kind = r->kind;
	d->r.editable = r->editable;
	d->r.hashes = r->hashes;
	if ((d->file = strdup(rd->cur)) == NULL ||
	    dup_or_null(r->name, &d->r.name) == -1 ||
	    dup_or_null(r->norm, &d->r.norm) == -1 ||
	    dup_or_null(r->extras, &d->r.extras) == -1 ||
	    dup_or_null(r->specifier, &d->r.specifier) == -1 ||
	    dup_or_null(r->marker, &d->r.marker) == -1 ||
	    dup_or_null(r->url, &d->r.url) == -1)
		return pf_err_nomem(rd->e);
	if (it->group != NULL && group(rd, it->group, &d->group) == -1)
		return -1;
	if (r->specifier &&
	    pf_pep440_specset_parse(r->specifier, strlen(r->specifier),
		&d->r.spec, &why) == -1)
		return pf_err_set(rd->e, PF_EXIT_FAILURE,
		    "%s: specifier reparse: %s", rd->cur, why);
	return 0;
}

static int
on_item(void *ctx, const struct pf_req_item *it)
{
	struct pf_deps_read *rd = ctx;
	int pyproject = strcmp(pf_deps_basename(rd->cur), "pyproject.toml") == 0;
	int64_t off = line_offset(rd, it->line);
	json_t *ev;
	int rc = 0;

	switch (it->what) {
	case PF_REQ_ITEM: rc = on_requirement(rd, it); break;
	case PF_REQ_OPTION:
		rc = pf_deps_option(rd->doc, rd->indexes, rd->policy, rd->cur,
		    it->line, off, it->option, it->value, rd->e);
		break;
	case PF_REQ_INCLUDE: rc = on_include(rd, it); break;
	case PF_REQ_ERROR:
		if (pyproject && it->group == NULL) {
			rc = pf_deps_finding(rd->doc, rd->cur, it->line, off,
			    "deps.pyproject.malformed", PF_SEV_MEDIUM, NULL, rd->e,
			    "pyproject.toml could not be read past line %zu: %s",
			    it->line, it->error);
			break;
		}
		if ((ev = text(it->text)) == NULL ||
		    (ev = json_pack("{s:o}", "text", ev)) == NULL)
			rc = pf_err_nomem(rd->e);
		else
			rc = pf_deps_finding(rd->doc, rd->cur, it->line, off,
			    "deps.requirement.malformed", PF_SEV_MEDIUM, ev,
			    rd->e, "a requirement pip may read differently: %s",
			    it->error);
		break;
	}
	if (rc == -1)
		rd->failed = 1;
	return rc;
}

/* The file of w into b, at most cap_file bytes: 1 when larger, 0, or -1. */
static int
slurp(struct pf_deps_read *rd, const struct pf_deps_work *w, int fd,
    struct pf_buf *b)
{
	char chunk[65536];
	ssize_t n;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return pf_err_set(rd->e, PF_EXIT_FAILURE, "read %s: %s",
			    pf_quote(w->rel), strerror(errno));
		if (n == 0)
			return 0;
		if (pf_buf_append(b, chunk, (size_t)n) == -1)
			return 1;
	}
}

static int
parse_file(struct pf_deps_read *rd, const struct pf_deps_work *w)
{
	int pyproject = strcmp(pf_deps_basename(w->rel), "pyproject.toml") == 0;
	const char *kind;
	struct pf_buf b;
	json_t *rec;
	int fd, rc;

	/* A symlink, FIFO or folder, or changed since fetch.json: not read. */
	if ((fd = pf_deps_files_open(rd->files, w->rel, w->root, &kind, rd->e)) ==
	    -1)
		return rd->e->code == PF_EXIT_VERDICT ?
		    file_finding(rd, w->rel, kind, rd->e->msg) :
		    -1;
	pf_buf_init(&b, (size_t)rd->cap_file);
	rc = slurp(rd, w, fd, &b);
	close(fd);
	if (rc != 0) {
		pf_buf_free(&b);
		return rc == -1 ?
		    -1 :
		    pf_deps_finding(rd->doc, w->rel, 0, -1,
			"deps.file.too-large", PF_SEV_MEDIUM, NULL, rd->e,
			"larger "
			"than PF_MAX_REQ_FILE (%llu bytes); not read",
			(unsigned long long)rd->cap_file);
	}
	rd->cur = w->rel;
	rd->cur_root = w->root;
	rd->depth = w->depth;
	rd->buf = b.data ? b.data : "";
	rd->len = b.len;
	rd->failed = 0;
	rd->at_line = 0;
	if (pyproject)
		rc = pf_pyproject_parse(rd->buf, rd->len, on_item, rd, rd->e);
	else
		rc = pf_requirements_parse(rd->buf, rd->len, on_item, rd, rd->e);
	rd->cur = NULL;
	rd->buf = NULL;
	pf_buf_free(&b);
	if (rc == -1)
		return -1;
	rec = json_pack("{s:s, s:s, s:I}", "path", w->rel, "kind",
	    w->constraint ? "constraints" :
		pyproject ? "pyproject" :
			    "requirements",
	    "include_depth", (json_int_t)w->depth);
	if (rec == NULL || json_array_append_new(rd->files_out, rec) == -1)
		return pf_err_nomem(rd->e);
	return 0;
}

int
pf_deps_read(struct pf_deps_read *rd, struct pf_err *e)
{
	const json_t *patterns = pf_policy_get(rd->policy, "deps.files");
	size_t i, next = 0;
	int warned = 0, was;

	rd->e = e;
	rd->cap_file = pf_policy_cap(rd->policy, "req_file", PF_MAX_REQ_FILE);
	rd->cap_depth = pf_policy_cap(rd->policy, "req_depth", PF_MAX_REQ_DEPTH);
	rd->cap_files = pf_policy_cap(rd->policy, "req_files", PF_MAX_REQ_FILES);
	rd->cap_reqs = pf_policy_cap(rd->policy, "reqs", PF_MAX_REQS);
	for (i = 0; i < rd->files->n; i++)
		if (pf_deps_is_requirements(patterns, rd->files->v[i].rel) &&
		    queue(rd, rd->files->v[i].rel, rd->files->v[i].root, 0, 0) == -1)
			return -1;
	/* Breadth first: a file is read once, at the depth it is first met. */
	while (next < rd->nqueue) {
		/* A copy: parsing may queue more and move the array. */
		struct pf_deps_work w = rd->queue[next++];

		if (seen(rd, w.rel, w.root, &was) == -1)
			return -1;
		if (was)
			continue;
		if (rd->nseen > rd->cap_files) {
			if (!warned &&
			    pf_deps_finding(rd->doc, w.rel, 0, -1,
				"deps.files.too-many", PF_SEV_MEDIUM, NULL, e,
				"more "
				"than PF_MAX_REQ_FILES (%llu) requirements files; the "
				"rest were not read",
				(unsigned long long)rd->cap_files) == -1)
				return -1;
			warned = 1;
			continue;
		}
		if (parse_file(rd, &w) == -1)
			return -1;
	}
	return 0;
}

void
pf_deps_read_free(struct pf_deps_read *rd)
{
	size_t i;

	for (i = 0; i < rd->ndeps; i++) {
		free(rd->deps[i].file);
		pf_req_free(&rd->deps[i].r);
	}
	free(rd->deps);
	for (i = 0; i < rd->ngroups; i++)
		free(rd->groups[i]);
	free(rd->groups);
	for (i = 0; i < rd->nqueue; i++)
		free(rd->queue[i].rel);
	free(rd->queue);
	for (i = 0; i < rd->nseen; i++)
		free(rd->seen[i]);
	free(rd->seen);
	rd->deps = NULL;
	rd->groups = rd->seen = NULL;
	rd->queue = NULL;
	rd->ndeps = rd->ngroups = rd->nqueue = rd->nseen = 0;
}
