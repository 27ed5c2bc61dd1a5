/*
 * pf-scan-deps: stage scan-deps. Reads fetch.json (or paths), parses the
 * model's requirements files (requirements*.txt and their -r/-c includes
 * inside the repo, the dependency arrays of pyproject.toml) and judges each
 * requirement against the policy's locked versions and popular names and
 * an OSV advisory database. Writes scan-deps.json. Trusts the policy and
 * the advisory database; the model's files are data.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pf_buf.h"
#include "pf_diag.h"
#include "pf_envelope.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_osv.h"
#include "pf_path.h"
#include "pf_pep440.h"
#include "pf_policy.h"
#include "pf_requirements.h"
#include "pf_tool.h"
#include "pf_banned.h"

static const char usage_text[] =
    "usage: pf-scan-deps [-i FILE] [-o FILE] [--policy FILE] [--advisories PATH]\n"
    "       pf-scan-deps [-o FILE] [--policy FILE] [--advisories PATH] PATH...\n"
    "       pf-scan-deps --match SPECIFIER [--pre] VERSION...\n"
    "       pf-scan-deps --sort-versions\n"
    "       pf-scan-deps [--advisories PATH] --affected NAME VERSION\n"
    "\n"
    "  -i, --input FILE       fetch.json listing the model's files (default stdin)\n"
    "  -o, --output FILE      write scan-deps.json to FILE (default stdout)\n"
    "      --policy FILE      policy (default $PF_POLICY, then the installed one)\n"
    "      --advisories PATH  OSV database: a folder of JSON files or an all.zip\n"
    "                         (default the policy's deps.advisories)\n"
    "      --match SPEC       say which VERSIONs satisfy the specifier SPEC\n"
    "      --pre              with --match, admit pre-releases\n"
    "      --sort-versions    sort the versions on stdin in PEP 440 order\n"
    "      --affected NAME    list the advisories affecting VERSION of NAME\n"
    "  -h, --help             this help\n"
    "  -V, --version          print the version\n";

static const char default_index[] = "https://pypi.org/simple";

/* A model file that may be read: its name and where it is. */
struct file {
	char *rel;
	char *path;		/* fetch mode: the quarantine path; else NULL */
	int root;		/* folder mode: index of the root fd */
};

struct dep {
	char *file;
	size_t line;
	int64_t offset;
	const char *group;	/* static or owned by groups */
	struct pf_req r;
};

struct scan {
	json_t *policy, *doc;
	json_t *reqs_out, *indexes, *files_out;
	struct file *files;
	size_t nfiles;
	int *roots;
	size_t nroots;
	int fetch_mode;
	struct dep *deps;
	size_t ndeps;
	char **groups;
	size_t ngroups;
	uint64_t cap_file, cap_depth, cap_files, cap_reqs;
	int too_many;		/* PF_MAX_REQS passed: reported once */
	/* the file being parsed */
	const char *cur;
	const char *buf;
	size_t len;
	int cur_root;
	size_t depth;
	struct work *queue;
	size_t nqueue;
	char **seen;
	size_t nseen;
};

struct work {
	char *rel;
	int root;
	size_t depth;
	int constraint;
};

static noreturn void
usage(int code)
{
	pf_tool_usage(code, usage_text);
}

static void
add(struct scan *s, json_t *f)
{
	if (pf_envelope_add(s->doc, f) == -1)
		pf_die_nomem();
}

/* Byte offset of the start of 1-based line in the current file. */
static int64_t
line_offset(const struct scan *s, size_t line)
{
	const char *p = s->buf, *end = s->buf + s->len, *nl;
	size_t l = 1;

	while (l < line && p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
		p = nl + 1;
		l++;
	}
	return (int64_t)(p - s->buf);
}

/*
 * A finding at line of file (0: the whole file); offset is the line's byte
 * offset, or -1 to compute it from the file being parsed.
 */
static void
finding_at(struct scan *s, const char *file, size_t line, int64_t offset,
    const char *rule, enum pf_sev sev, json_t *ev, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void
finding_at(struct scan *s, const char *file, size_t line, int64_t offset,
    const char *rule, enum pf_sev sev, json_t *ev, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *f;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (offset < 0 && line > 0)
		offset = line_offset(s, line);
	f = pf_finding_new(rule, sev, file, NULL, line ? offset : -1, msg);
	if (f == NULL)
		pf_die_nomem();
	if (ev == NULL)
		ev = json_object();
	if (ev == NULL || (line && json_object_set_new(ev, "line",
	    json_integer((json_int_t)line)) == -1) ||
	    json_object_set_new(f, "evidence", ev) == -1)
		pf_die_nomem();
	add(s, f);
}

static json_t *
text(const char *t)
{
	return pf_check_alloc(pf_json_text(t, strlen(t)));
}

/* A URL for a report: any user:password@ is left out. */
static json_t *
url_evidence(const char *url)
{
	const char *scheme = strstr(url, "://"), *at, *slash;
	struct pf_buf b;
	json_t *v;

	if (scheme == NULL)
		return text(url);
	slash = strchr(scheme + 3, '/');
	at = memchr(scheme + 3, '@', slash ? (size_t)(slash - scheme - 3) :
	    strlen(scheme + 3));
	if (at == NULL)
		return text(url);
	pf_buf_init(&b, 0);
	if (pf_buf_append(&b, url, (size_t)(scheme + 3 - url)) == -1 ||
	    pf_buf_append(&b, at + 1, strlen(at + 1)) == -1)
		pf_die_nomem();
	v = text(b.data);
	pf_buf_free(&b);
	return v;
}

/* ---- the file list ---- */

static void
file_add(struct scan *s, const char *rel, const char *path, int root)
{
	if (s->nfiles >= PF_MAX_FILES)
		pf_die(PF_EXIT_USAGE, "more than PF_MAX_FILES (%d) files",
		    PF_MAX_FILES);
	s->files = pf_check_alloc(reallocarray(s->files, s->nfiles + 1,
	    sizeof(*s->files)));
	s->files[s->nfiles].rel = pf_check_alloc(strdup(rel));
	s->files[s->nfiles].path = path ? pf_check_alloc(strdup(path)) : NULL;
	s->files[s->nfiles].root = root;
	s->nfiles++;
}

/* Every file below the root fd, names relative to it; no symlink followed. */
static void
walk_root(struct scan *s, int root, const char *shown)
{
	char **stack, *rel, *crel;
	size_t n = 0;
	struct dirent *de;
	struct pf_err e = { 0, "" };
	struct stat st;
	DIR *d;
	int fd;

	stack = pf_check_alloc(malloc(sizeof(*stack)));
	stack[n++] = pf_check_alloc(strdup(""));
	while (n > 0) {
		rel = stack[--n];
		if ((fd = pf_path_opendir(s->roots[root], rel, 0, 0, &e)) == -1 ||
		    (d = fdopendir(fd)) == NULL)
			pf_die(PF_EXIT_FAILURE, "%s: %s", pf_quote(shown),
			    e.msg[0] ? e.msg : strerror(errno));
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0 ||
			    strcmp(de->d_name, ".git") == 0)
				continue;
			crel = pf_check_alloc(*rel ? pf_path_join(rel, de->d_name) :
			    strdup(de->d_name));
			if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISDIR(st.st_mode)) {
				if (n >= PF_MAX_FILES)
					pf_die(PF_EXIT_USAGE, "%s: more than "
					    "PF_MAX_FILES folders", pf_quote(shown));
				stack = pf_check_alloc(reallocarray(stack, n + 1,
				    sizeof(*stack)));
				stack[n++] = crel;
				continue;
			}
			if (S_ISREG(st.st_mode))
				file_add(s, crel, NULL, root);
			free(crel);
		}
		closedir(d);
		free(rel);
	}
	free(stack);
}

static int
open_root(struct scan *s, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		pf_die(errno == ENOENT ? PF_EXIT_USAGE : PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(dir), strerror(errno));
	s->roots = pf_check_alloc(reallocarray(s->roots, s->nroots + 1,
	    sizeof(*s->roots)));
	s->roots[s->nroots] = fd;
	return (int)s->nroots++;
}

static void
list_from_args(struct scan *s, int argc, char *argv[])
{
	char *dir, *slash;
	struct stat st;
	int i, root;

	for (i = 0; i < argc; i++) {
		if (stat(argv[i], &st) == -1)
			pf_die(PF_EXIT_USAGE, "%s: %s", pf_quote(argv[i]),
			    strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			walk_root(s, open_root(s, argv[i]), argv[i]);
			continue;
		}
		/* A file is read in its folder, so its -r includes resolve there. */
		dir = pf_check_alloc(strdup(argv[i]));
		slash = strrchr(dir, '/');
		if (slash != NULL)
			*slash = '\0';
		root = open_root(s, slash ? (*dir ? dir : "/") : ".");
		file_add(s, slash ? slash + 1 : argv[i], NULL, root);
		free(dir);
	}
}

static void
list_from_fetch(struct scan *s, const json_t *fetch, const char *in)
{
	const json_t *files = json_object_get(fetch, "files"), *f;
	const char *rel, *q;
	size_t i;

	if (!json_is_array(files))
		pf_die(PF_EXIT_USAGE, "%s: no files array", pf_path_display(in, 0));
	json_array_foreach(files, i, f) {
		rel = pf_json_str(f, "path", NULL);
		q = pf_json_str(f, "quarantine_path", NULL);
		if (rel == NULL)
			pf_die(PF_EXIT_USAGE, "%s: files[%zu]: no path",
			    pf_path_display(in, 0), i);
		if (q != NULL)
			file_add(s, rel, q, -1);
	}
	s->fetch_mode = 1;
}

/* The model file rel of root (fetch mode: listed), opened, or -1. */
static int
open_model_file(struct scan *s, const char *rel, int root, struct pf_err *e)
{
	size_t i;
	int fd;

	if (!s->fetch_mode)
		return pf_path_openat(s->roots[root], rel, O_RDONLY, 0, 0, e);
	for (i = 0; i < s->nfiles; i++)
		if (strcmp(s->files[i].rel, rel) == 0) {
			fd = open(s->files[i].path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd == -1)
				return pf_err_set(e, errno == ENOENT ? PF_EXIT_USAGE :
				    PF_EXIT_FAILURE, "%s: %s", pf_quote(s->files[i].path),
				    strerror(errno));
			return fd;
		}
	return pf_err_set(e, PF_EXIT_USAGE, "%s: not in the model", pf_quote(rel));
}

/* A top-level requirements file: a policy pattern matches its last components. */
static int
is_requirements_file(const json_t *patterns, const char *rel)
{
	const json_t *v;
	const char *p, *tail;
	size_t i, slashes, k;

	json_array_foreach(patterns, i, v) {
		if ((p = json_string_value(v)) == NULL)
			continue;
		for (slashes = 0, k = 0; p[k]; k++)
			slashes += p[k] == '/';
		tail = rel + strlen(rel);
		while (tail > rel) {
			if (tail[-1] == '/' && slashes-- == 0)
				break;
			tail--;
		}
		if (fnmatch(p, tail, FNM_PATHNAME | FNM_PERIOD) == 0)
			return 1;
	}
	return 0;
}

/* ---- parsing ---- */

static const char *
basename_of(const char *rel)
{
	const char *s = strrchr(rel, '/');

	return s ? s + 1 : rel;
}

/*
 * dir(from) + path, with . and .. resolved, into a new string; NULL with
 * *why when it leaves the model (absolute, a URL, .. above the top).
 */
static char *
resolve_include(const char *from, const char *path, const char **why)
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
	n = (size_t)(basename_of(from) - from);
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
			b.data[--b.len] = '\0';		/* the trailing '/' */
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

static int
seen(struct scan *s, const char *rel, int root)
{
	char key[PF_MAX_NAME + 16];
	size_t i;

	(void)snprintf(key, sizeof(key), "%d:%s", root, rel);
	for (i = 0; i < s->nseen; i++)
		if (strcmp(s->seen[i], key) == 0)
			return 1;
	s->seen = pf_check_alloc(reallocarray(s->seen, s->nseen + 1,
	    sizeof(*s->seen)));
	s->seen[s->nseen++] = pf_check_alloc(strdup(key));
	return 0;
}

static void
queue(struct scan *s, const char *rel, int root, size_t depth, int constraint)
{
	s->queue = pf_check_alloc(reallocarray(s->queue, s->nqueue + 1,
	    sizeof(*s->queue)));
	s->queue[s->nqueue].rel = pf_check_alloc(strdup(rel));
	s->queue[s->nqueue].root = root;
	s->queue[s->nqueue].depth = depth;
	s->queue[s->nqueue].constraint = constraint;
	s->nqueue++;
}

static void
on_include(struct scan *s, const struct pf_req_item *it)
{
	struct pf_err e = { 0, "" };
	const char *why = NULL;
	char *rel;
	int fd;

	if ((rel = resolve_include(s->cur, it->value, &why)) == NULL ||
	    pf_path_check(rel, &e) == -1) {
		finding_at(s, s->cur, it->line, -1, "deps.include.outside", PF_SEV_HIGH,
		    pf_check_alloc(json_pack("{s:o}", "include", text(it->value))),
		    "%s %s leaves the model: %s", it->option,
		    pf_quote(it->value), why ? why : e.msg);
		free(rel);
		return;
	}
	if ((fd = open_model_file(s, rel, s->cur_root, &e)) == -1) {
		if (e.code == PF_EXIT_FAILURE)
			pf_die_err(&e);
		if (e.code == PF_EXIT_VERDICT) {
			finding_at(s, s->cur, it->line, -1, "deps.include.outside",
			    PF_SEV_HIGH, pf_check_alloc(json_pack("{s:o}", "include",
			    text(rel))), "%s %s leaves the model: a symlink, not "
			    "followed", it->option, pf_quote(it->value));
			free(rel);
			return;
		}
		finding_at(s, s->cur, it->line, -1, "deps.include.missing", PF_SEV_MEDIUM,
		    pf_check_alloc(json_pack("{s:o}", "include", text(rel))),
		    "%s includes %s, which is not in the model", it->option,
		    pf_quote(rel));
		free(rel);
		return;
	}
	close(fd);
	if (s->depth + 1 > s->cap_depth)
		finding_at(s, s->cur, it->line, -1, "deps.include.depth", PF_SEV_MEDIUM,
		    pf_check_alloc(json_pack("{s:o}", "include", text(rel))),
		    "includes nest deeper than PF_MAX_REQ_DEPTH (%llu); %s was not read",
		    (unsigned long long)s->cap_depth, pf_quote(rel));
	else
		queue(s, rel, s->cur_root, s->depth + 1, it->constraint);
	free(rel);
}

static void
on_option(struct scan *s, const struct pf_req_item *it)
{
	const json_t *allowed = pf_policy_get(s->policy, "deps.allowed_indexes"), *v;
	json_t *rec;
	char url[PF_MAX_NAME + 1];
	size_t i, n;
	int ok = 0;

	rec = json_pack("{s:s, s:I, s:s, s:o?}", "file", s->cur, "line",
	    (json_int_t)it->line, "option", it->option, "value",
	    it->value ? url_evidence(it->value) : NULL);
	if (rec == NULL || json_array_append_new(s->indexes, rec) == -1)
		pf_die_nomem();
	if (strcmp(it->option, "--trusted-host") == 0) {
		finding_at(s, s->cur, it->line, -1, "deps.index.trusted-host", PF_SEV_HIGH,
		    pf_check_alloc(json_pack("{s:o}", "host", text(it->value))),
		    "--trusted-host %s turns off TLS verification for that host",
		    pf_quote(it->value));
		return;
	}
	if (strcmp(it->option, "--index-url") != 0 &&
	    strcmp(it->option, "--extra-index-url") != 0 &&
	    strcmp(it->option, "--find-links") != 0)
		return;
	(void)snprintf(url, sizeof(url), "%s", it->value);
	n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	if (strcmp(url, default_index) == 0)
		ok = 1;
	json_array_foreach(allowed, i, v) {
		const char *a = json_string_value(v);
		size_t an = a ? strlen(a) : 0;

		while (an > 0 && a[an - 1] == '/')
			an--;
		if (a != NULL && an == n && strncmp(a, url, n) == 0)
			ok = 1;
	}
	if (!ok)
		finding_at(s, s->cur, it->line, -1, "deps.index.custom", PF_SEV_HIGH,
		    pf_check_alloc(json_pack("{s:o}", "url", url_evidence(it->value))),
		    "%s points pip at an index the policy does not allow", it->option);
}

static char *
dup_or_null(const char *p)
{
	return p ? pf_check_alloc(strdup(p)) : NULL;
}

static void
on_requirement(struct scan *s, const struct pf_req_item *it)
{
	const struct pf_req *r = it->req;
	struct dep *d;
	const char *why;
	size_t i;

	if (s->ndeps >= s->cap_reqs) {
		if (!s->too_many)
			finding_at(s, s->cur, it->line, -1, "deps.requirements.too-many",
			    PF_SEV_MEDIUM, NULL, "more than PF_MAX_REQS (%llu) "
			    "requirements; the rest were not checked",
			    (unsigned long long)s->cap_reqs);
		s->too_many = 1;
		return;
	}
	s->deps = pf_check_alloc(reallocarray(s->deps, s->ndeps + 1,
	    sizeof(*s->deps)));
	d = &s->deps[s->ndeps++];
	memset(d, 0, sizeof(*d));
	d->file = pf_check_alloc(strdup(s->cur));
	d->line = it->line;
	d->offset = line_offset(s, it->line);
	d->group = NULL;
	if (it->group != NULL) {
		for (i = 0; i < s->ngroups; i++)
			if (strcmp(s->groups[i], it->group) == 0)
				d->group = s->groups[i];
		if (d->group == NULL) {
			s->groups = pf_check_alloc(reallocarray(s->groups,
			    s->ngroups + 1, sizeof(*s->groups)));
			d->group = s->groups[s->ngroups++] =
			    pf_check_alloc(strdup(it->group));
		}
	}
	d->r.kind = r->kind;
	d->r.name = dup_or_null(r->name);
	d->r.norm = dup_or_null(r->norm);
	d->r.extras = dup_or_null(r->extras);
	d->r.specifier = dup_or_null(r->specifier);
	d->r.marker = dup_or_null(r->marker);
	d->r.url = dup_or_null(r->url);
	d->r.editable = r->editable;
	d->r.hashes = r->hashes;
	if (r->specifier && pf_pep440_specset_parse(r->specifier,
	    strlen(r->specifier), &d->r.spec, &why) == -1)
		pf_die(PF_EXIT_FAILURE, "%s: specifier reparse: %s", s->cur, why);
}

static int
on_item(void *ctx, const struct pf_req_item *it)
{
	struct scan *s = ctx;
	int pyproject = strcmp(basename_of(s->cur), "pyproject.toml") == 0;

	switch (it->what) {
	case PF_REQ_ITEM:
		on_requirement(s, it);
		break;
	case PF_REQ_OPTION:
		on_option(s, it);
		break;
	case PF_REQ_INCLUDE:
		on_include(s, it);
		break;
	case PF_REQ_ERROR:
		if (pyproject && it->group == NULL)
			finding_at(s, s->cur, it->line, -1, "deps.pyproject.malformed",
			    PF_SEV_MEDIUM, NULL, "pyproject.toml could not be read "
			    "past line %zu: %s", it->line, it->error);
		else
			finding_at(s, s->cur, it->line, -1, "deps.requirement.malformed",
			    PF_SEV_MEDIUM, pf_check_alloc(json_pack("{s:o}", "text",
			    text(it->text))), "a requirement pip may read "
			    "differently: %s", it->error);
		break;
	}
	return 0;
}

static void
parse_file(struct scan *s, const struct work *w)
{
	struct pf_err e = { 0, "" };
	struct pf_buf b;
	json_t *rec;
	int fd, rc;

	if ((fd = open_model_file(s, w->rel, w->root, &e)) == -1) {
		if (e.code == PF_EXIT_VERDICT)
			return;		/* a symlink: not followed */
		pf_die_err(&e);
	}
	pf_buf_init(&b, (size_t)s->cap_file);
	for (;;) {
		char chunk[65536];
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			pf_die(PF_EXIT_FAILURE, "read %s: %s", pf_quote(w->rel),
			    strerror(errno));
		if (n == 0)
			break;
		if (pf_buf_append(&b, chunk, (size_t)n) == -1) {
			close(fd);
			pf_buf_free(&b);
			finding_at(s, w->rel, 0, -1, "deps.file.too-large", PF_SEV_MEDIUM, NULL,
			    "larger than PF_MAX_REQ_FILE (%llu bytes); not read",
			    (unsigned long long)s->cap_file);
			return;
		}
	}
	close(fd);
	s->cur = w->rel;
	s->cur_root = w->root;
	s->depth = w->depth;
	s->buf = b.data ? b.data : "";
	s->len = b.len;
	if (strcmp(basename_of(w->rel), "pyproject.toml") == 0)
		rc = pf_pyproject_parse(s->buf, s->len, on_item, s, &e);
	else
		rc = pf_requirements_parse(s->buf, s->len, on_item, s, &e);
	if (rc == -1)
		pf_die_err(&e);
	rec = json_pack("{s:s, s:s, s:I}", "path", w->rel, "kind",
	    w->constraint ? "constraints" : strcmp(basename_of(w->rel),
	    "pyproject.toml") == 0 ? "pyproject" : "requirements",
	    "include_depth", (json_int_t)w->depth);
	if (rec == NULL || json_array_append_new(s->files_out, rec) == -1)
		pf_die_nomem();
	s->cur = NULL;
	pf_buf_free(&b);
}

/* ---- judging ---- */

/* True when a and b are one insertion, deletion, substitution or swap apart. */
static int
one_edit(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i = 0;
	const char *t;

	if (la < lb) {
		t = a, a = b, b = t;
		i = la, la = lb, lb = i;
		i = 0;
	}
	if (la - lb > 1)
		return 0;
	while (i < lb && a[i] == b[i])
		i++;
	if (la == lb) {
		if (i == la)
			return 0;	/* equal */
		if (strcmp(a + i + 1, b + i + 1) == 0)
			return 1;
		return i + 1 < la && a[i] == b[i + 1] && a[i + 1] == b[i] &&
		    strcmp(a + i + 2, b + i + 2) == 0;
	}
	return strcmp(a + i + 1, b + i) == 0;
}

/* name in the policy's array at dotted, compared in PEP 503 form. */
static int
listed(const json_t *policy, const char *dotted, const char *norm)
{
	const json_t *v;
	char n[PF_MAX_NAME + 1];
	size_t i;

	json_array_foreach(pf_policy_get(policy, dotted), i, v) {
		if (!json_is_string(v))
			continue;
		pf_pep503_normalize(json_string_value(v), json_string_length(v), n,
		    sizeof(n));
		if (strcmp(n, norm) == 0)
			return 1;
	}
	return 0;
}

/* The policy's locked version of norm, or NULL. */
static const char *
locked_version(const json_t *policy, const char *norm)
{
	const json_t *locked = pf_policy_get(policy, "deps.locked"), *v;
	char n[PF_MAX_NAME + 1];
	const char *key;

	json_object_foreach((json_t *)locked, key, v) {
		pf_pep503_normalize(key, strlen(key), n, sizeof(n));
		if (strcmp(n, norm) == 0)
			return json_string_value(v);
	}
	return NULL;
}

static void
typosquat(struct scan *s, const struct dep *d)
{
	const json_t *pop = pf_policy_get(s->policy, "deps.popular"), *v;
	json_int_t min = pf_json_int(pf_policy_get(s->policy, "deps"),
	    "typosquat_min_length", 4);
	char n[PF_MAX_NAME + 1];
	size_t i;

	if (d->r.norm == NULL || (json_int_t)strlen(d->r.norm) < min ||
	    listed(s->policy, "deps.popular", d->r.norm) ||
	    locked_version(s->policy, d->r.norm) != NULL)
		return;
	json_array_foreach(pop, i, v) {
		if (!json_is_string(v))
			continue;
		pf_pep503_normalize(json_string_value(v), json_string_length(v), n,
		    sizeof(n));
		if ((json_int_t)strlen(n) < min || !one_edit(n, d->r.norm))
			continue;
		finding_at(s, d->file, d->line, d->offset, "deps.name.typosquat",
		    PF_SEV_HIGH, pf_check_alloc(json_pack("{s:o, s:s}", "name",
		    text(d->r.name), "similar_to", n)), "%s is one edit away from "
		    "the popular package '%s'", pf_quote(d->r.name), n);
		return;
	}
}

struct vulns {
	json_t *list;
	enum pf_sev max;
	size_t n;
};

static int
on_advisory(void *ctx, const struct pf_osv_hit *h)
{
	struct vulns *v = ctx;
	json_t *a;

	/* Enough to act on; the count says how many there are. */
	if (v->n < 32) {
		a = json_pack("{s:o, s:o, s:o, s:s, s:o?}", "id", text(h->id),
		    "aliases", text(h->aliases), "summary", text(h->summary),
		    "severity", pf_sev_name(h->sev), "fixed",
		    h->fixed ? text(h->fixed) : NULL);
		if (a == NULL || json_array_append_new(v->list, a) == -1)
			pf_die_nomem();
	}
	if (v->n++ == 0 || h->sev > v->max)
		v->max = h->sev;
	return 0;
}

static void
vulnerabilities(struct scan *s, const struct dep *d, const struct pf_osv *db,
    const struct pf_pep440 *version, const char *source)
{
	struct pf_pep440_bound lo, hi;
	struct vulns v = { NULL, PF_SEV_INFO, 0 };
	char ver[PF_MAX_PEP440_LEN + 32];
	json_t *ev;

	v.list = pf_check_alloc(json_array());
	if (version != NULL) {
		(void)pf_osv_affected(db, d->r.norm, version, on_advisory, &v);
		if (v.n == 0)
			goto none;
		pf_pep440_format(version, ver, sizeof(ver));
		ev = json_pack("{s:o, s:s, s:s, s:I, s:o}", "name", text(d->r.name),
		    "version", ver, "version_from", source, "count",
		    (json_int_t)v.n, "advisories", v.list);
		finding_at(s, d->file, d->line, d->offset, "deps.vulnerability.known",
		    v.max, pf_check_alloc(ev), "%s %s is affected by %zu known "
		    "advisor%s, first %s", pf_quote(d->r.name), ver, v.n,
		    v.n == 1 ? "y" : "ies",
		    json_string_value(json_object_get(json_array_get(
		    json_object_get(ev, "advisories"), 0), "id")));
		return;
	}
	pf_pep440_specset_interval(&d->r.spec, &lo, &hi);
	(void)pf_osv_admitted(db, d->r.norm, &lo, &hi, on_advisory, &v);
	if (v.n == 0)
		goto none;
	ev = json_pack("{s:o, s:o?, s:I, s:o}", "name", text(d->r.name),
	    "specifier", d->r.specifier ? text(d->r.specifier) : NULL,
	    "count", (json_int_t)v.n, "advisories", v.list);
	finding_at(s, d->file, d->line, d->offset, "deps.vulnerability.admitted",
	    PF_SEV_LOW, pf_check_alloc(ev), "%s (%s) admits versions with %zu known "
	    "advisor%s", pf_quote(d->r.name), d->r.specifier ? d->r.specifier : "any",
	    v.n, v.n == 1 ? "y" : "ies");
	return;
none:
	json_decref(v.list);
}

static const char *const kind_names[] = { "named", "url", "vcs", "path" };

static void
judge(struct scan *s, const struct dep *d, const struct pf_osv *db)
{
	const struct pf_pep440_spec *pin = NULL;
	struct pf_pep440 pinned, locked, *effective = NULL;
	const char *lockstr = NULL, *source = NULL;
	char pinbuf[PF_MAX_PEP440_LEN + 32];
	int have_pin = 0, have_lock = 0;
	json_t *rec, *ev;

	switch (d->r.kind) {
	case PF_REQ_URL:
	case PF_REQ_VCS:
	case PF_REQ_PATH:
		ev = pf_check_alloc(json_pack("{s:o}", "url", url_evidence(d->r.url)));
		if (d->r.kind == PF_REQ_URL)
			finding_at(s, d->file, d->line, d->offset,
			    "deps.requirement.url", PF_SEV_HIGH, ev, "installs from a "
			    "URL, outside any index the policy controls");
		else if (d->r.kind == PF_REQ_VCS)
			finding_at(s, d->file, d->line, d->offset,
			    "deps.requirement.vcs", PF_SEV_HIGH, ev, "installs from a "
			    "version-control URL: whatever the repository holds at install time");
		else
			finding_at(s, d->file, d->line, d->offset,
			    "deps.requirement.path", PF_SEV_HIGH, ev, "installs from a "
			    "local path: pip runs the build code found there");
		break;
	case PF_REQ_NAMED:
		if ((pin = pf_pep440_specset_pin(&d->r.spec)) != NULL)
			have_pin = pin->op == PF_OP_ARB ? pf_pep440_parse(pin->raw,
			    strlen(pin->raw), &pinned) == 0 : (pinned = pin->v, 1);
		if ((lockstr = locked_version(s->policy, d->r.norm)) != NULL)
			have_lock = pf_pep440_parse(lockstr, strlen(lockstr),
			    &locked) == 0;
		if (have_lock && pin != NULL && (!have_pin ||
		    pf_pep440_cmp(&pinned, &locked) != 0))
			finding_at(s, d->file, d->line, d->offset,
			    "deps.locked.mismatch", PF_SEV_HIGH,
			    pf_check_alloc(json_pack("{s:o, s:s, s:s}", "name",
			    text(d->r.name), "specifier", d->r.specifier, "locked",
			    lockstr)), "%s pins %s; the policy locks %s",
			    pf_quote(d->r.name), pin->raw, lockstr);
		else if (have_lock && pin == NULL && d->r.spec.n > 0 &&
		    !pf_pep440_specset_contains(&d->r.spec, &locked, lockstr, 1))
			finding_at(s, d->file, d->line, d->offset,
			    "deps.locked.mismatch", PF_SEV_HIGH,
			    pf_check_alloc(json_pack("{s:o, s:s, s:s}", "name",
			    text(d->r.name), "specifier", d->r.specifier, "locked",
			    lockstr)), "%s (%s) excludes the locked version %s",
			    pf_quote(d->r.name), d->r.specifier, lockstr);
		else if (!have_lock && d->r.spec.n == 0)
			finding_at(s, d->file, d->line, d->offset,
			    "deps.requirement.unpinned", PF_SEV_MEDIUM,
			    pf_check_alloc(json_pack("{s:o}", "name", text(d->r.name))),
			    "%s has no version: pip installs whatever is newest",
			    pf_quote(d->r.name));
		else if (!have_lock && pin == NULL)
			finding_at(s, d->file, d->line, d->offset,
			    "deps.requirement.loose", PF_SEV_LOW,
			    pf_check_alloc(json_pack("{s:o, s:s}", "name",
			    text(d->r.name), "specifier", d->r.specifier)),
			    "%s (%s) is a range, not a pinned version",
			    pf_quote(d->r.name), d->r.specifier);
		if (have_pin) {
			effective = &pinned;
			source = "pinned";
		} else if (have_lock && (d->r.spec.n == 0 ||
		    pf_pep440_specset_contains(&d->r.spec, &locked, lockstr, 1))) {
			effective = &locked;
			source = "locked";
		}
		if (db != NULL)
			vulnerabilities(s, d, db, effective, source);
		break;
	}
	typosquat(s, d);
	if (have_pin)
		pf_pep440_format(&pinned, pinbuf, sizeof(pinbuf));
	rec = json_pack("{s:s, s:I, s:s?, s:o?, s:s?, s:s, s:b, s:s?, s:s?, s:o?,"
	    " s:o?, s:I, s:s?, s:s?}",
	    "file", d->file, "line", (json_int_t)d->line, "group", d->group,
	    "name", d->r.name ? text(d->r.name) : NULL, "normalized", d->r.norm,
	    "kind", kind_names[d->r.kind], "editable", d->r.editable,
	    "extras", d->r.extras, "specifier", d->r.specifier,
	    "marker", d->r.marker ? text(d->r.marker) : NULL,
	    "url", d->r.url ? url_evidence(d->r.url) : NULL,
	    "hashes", (json_int_t)d->r.hashes,
	    "pinned", have_pin ? pinbuf : NULL, "locked", lockstr);
	if (rec == NULL || json_array_append_new(s->reqs_out, rec) == -1)
		pf_die_nomem();
}

/* ---- the policy's deps section ---- */

static void
check_policy(const json_t *policy)
{
	const json_t *deps = pf_policy_get(policy, "deps"), *v, *el;
	static const char *const arrays[] = {
		"popular", "allowed_indexes", "files", NULL
	};
	struct pf_pep440 ver;
	const char *key;
	size_t i, k;

	if (deps != NULL && !json_is_object(deps))
		pf_die(PF_EXIT_USAGE, "policy: deps must be an object");
	for (i = 0; arrays[i] != NULL; i++) {
		v = json_object_get(deps, arrays[i]);
		if (v != NULL && !json_is_array(v))
			pf_die(PF_EXIT_USAGE, "policy: deps.%s must be an array",
			    arrays[i]);
		json_array_foreach(v, k, el)
			if (!json_is_string(el))
				pf_die(PF_EXIT_USAGE, "policy: deps.%s holds a "
				    "non-string", arrays[i]);
	}
	v = json_object_get(deps, "locked");
	if (v != NULL && !json_is_object(v))
		pf_die(PF_EXIT_USAGE, "policy: deps.locked must be an object");
	json_object_foreach((json_t *)v, key, el)
		if (!json_is_string(el) || pf_pep440_parse(json_string_value(el),
		    json_string_length(el), &ver) == -1)
			pf_die(PF_EXIT_USAGE, "policy: deps.locked.%s: not a PEP 440 "
			    "version", key);
	v = json_object_get(deps, "advisories");
	if (v != NULL && !json_is_string(v))
		pf_die(PF_EXIT_USAGE, "policy: deps.advisories must be a string");
}

/* --advisories, else the policy's deps.advisories; NULL when neither. */
static char *
advisories_path(const json_t *policy, const char *arg)
{
	const char *p = arg ? arg : json_string_value(pf_policy_get(policy,
	    "deps.advisories"));

	if (p == NULL || *p == '\0')
		return NULL;
	return arg ? pf_check_alloc(strdup(arg)) : pf_check_alloc(pf_policy_file(p));
}

/* The database at path (freed here if the load fails: we then exit). */
static struct pf_osv *
load_advisories(const json_t *policy, char *path, const char *const *names,
    size_t n, struct pf_osv_caps *caps)
{
	struct pf_err e = { 0, "" };
	struct pf_osv *db;

	caps->record = pf_policy_cap(policy, "osv_record", PF_MAX_OSV_RECORD);
	caps->records = pf_policy_cap(policy, "osv_records", PF_MAX_OSV_RECORDS);
	caps->bytes = pf_policy_cap(policy, "osv_bytes", PF_MAX_OSV_BYTES);
	if ((db = pf_osv_load(path, names, n, caps, &e)) == NULL) {
		free(path);
		pf_die_err(&e);
	}
	return db;
}

/* ---- the version tools ---- */

static void
flush_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		pf_die(PF_EXIT_FAILURE, "write <stdout>: %s", strerror(errno));
}

static int
match_mode(const char *spec, int pre, int argc, char *argv[])
{
	struct pf_pep440_specset set;
	struct pf_pep440 v;
	char buf[PF_MAX_PEP440_LEN + 32];
	const char *why = "";
	int i, all = 1, in;

	if (pf_pep440_specset_parse(spec, strlen(spec), &set, &why) == -1)
		pf_die(PF_EXIT_USAGE, "--match %s: %s", pf_quote(spec), why);
	if (argc == 0)
		pf_tool_usage_error(usage_text, "--match wants versions");
	for (i = 0; i < argc; i++)
		if (pf_pep440_parse(argv[i], strlen(argv[i]), &v) == -1)
			pf_die(PF_EXIT_USAGE, "%s: not a PEP 440 version",
			    pf_quote(argv[i]));
	for (i = 0; i < argc; i++) {
		(void)pf_pep440_parse(argv[i], strlen(argv[i]), &v);
		in = pf_pep440_specset_contains(&set, &v, argv[i], pre ? 1 : -1);
		pf_pep440_format(&v, buf, sizeof(buf));
		(void)printf("%s %s\n", buf, in ? "yes" : "no");
		all = all && in;
	}
	pf_pep440_specset_free(&set);
	flush_stdout();
	return all ? PF_EXIT_OK : PF_EXIT_VERDICT;
}

struct sv {
	char *s;
	size_t i;
	struct pf_pep440 v;
};

static int
sv_cmp(const void *pa, const void *pb)
{
	const struct sv *a = pa, *b = pb;
	int c = pf_pep440_cmp(&a->v, &b->v);

	return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

static int
sort_mode(void)
{
	struct pf_err e = { 0, "" };
	struct pf_buf b;
	struct sv *v = NULL;
	size_t n = 0, i, lineno = 0;
	char *p, *nl, *end;

	pf_buf_init(&b, PF_MAX_ARTIFACT);
	if (pf_buf_read_file(&b, "-", PF_MAX_ARTIFACT, "PF_MAX_ARTIFACT", &e) == -1)
		pf_die_err(&e);
	p = b.data ? b.data : "";
	end = p + b.len;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		*nl = '\0';
		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0') {
			v = pf_check_alloc(reallocarray(v, n + 1, sizeof(*v)));
			v[n].s = p;
			v[n].i = n;
			if (pf_pep440_parse(p, strlen(p), &v[n].v) == -1)
				pf_die(PF_EXIT_USAGE, "<stdin>: line %zu: %s is not a "
				    "PEP 440 version", lineno, pf_quote(p));
			n++;
		}
		p = nl + 1;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), sv_cmp);
	for (i = 0; i < n; i++)
		(void)printf("%s\n", v[i].s);
	flush_stdout();
	free(v);
	pf_buf_free(&b);
	return PF_EXIT_OK;
}

static int
print_advisory(void *ctx, const struct pf_osv_hit *h)
{
	int *n = ctx;

	(*n)++;
	(void)printf("%s %s%s%s\n", h->id, pf_sev_name(h->sev),
	    h->fixed ? " fixed-in " : "", h->fixed ? h->fixed : "");
	return 0;
}

static int
affected_mode(const json_t *policy, const char *adv, const char *name,
    int argc, char *argv[])
{
	char norm[PF_MAX_NAME + 1], *path;
	const char *names[1];
	struct pf_osv_caps caps;
	struct pf_osv *db;
	struct pf_pep440 v;
	int n = 0;

	if (argc != 1)
		pf_tool_usage_error(usage_text, "--affected wants NAME and one VERSION");
	if (pf_pep440_parse(argv[0], strlen(argv[0]), &v) == -1)
		pf_die(PF_EXIT_USAGE, "%s: not a PEP 440 version", pf_quote(argv[0]));
	if ((path = advisories_path(policy, adv)) == NULL)
		pf_die(PF_EXIT_USAGE, "--affected needs --advisories or deps.advisories");
	pf_pep503_normalize(name, strlen(name), norm, sizeof(norm));
	names[0] = norm;
	db = load_advisories(policy, path, names, 1, &caps);
	(void)pf_osv_affected(db, norm, &v, print_advisory, &n);
	flush_stdout();
	pf_osv_free(db);
	free(path);
	return n ? PF_EXIT_VERDICT : PF_EXIT_OK;
}

/* ---- main ---- */

static int
cmp_file(const void *a, const void *b)
{
	const struct file *x = a, *y = b;
	int c = strcmp(x->rel, y->rel);

	return c ? c : x->root - y->root;
}

static void
scan_files(struct scan *s)
{
	static const char *const dflt[] = {
		"requirements*.txt", "requirements/*.txt", "pyproject.toml", NULL
	};
	json_t *patterns = pf_policy_get(s->policy, "deps.files");
	json_t *own = NULL;
	size_t i, next = 0;
	int warned = 0;

	if (patterns == NULL) {
		own = pf_check_alloc(json_array());
		for (i = 0; dflt[i] != NULL; i++)
			(void)json_array_append_new(own, json_string(dflt[i]));
		patterns = own;
	}
	if (s->nfiles > 0)
		qsort(s->files, s->nfiles, sizeof(*s->files), cmp_file);
	for (i = 0; i < s->nfiles; i++)
		if (is_requirements_file(patterns, s->files[i].rel))
			queue(s, s->files[i].rel, s->files[i].root, 0, 0);
	json_decref(own);
	/* Breadth first: a file is read once, at the depth it is first met. */
	while (next < s->nqueue) {
		/* A copy: parsing may queue more and move the array. */
		struct work w = s->queue[next++];

		if (seen(s, w.rel, w.root))
			continue;
		if (s->nseen > s->cap_files) {
			if (!warned)
				finding_at(s, w.rel, 0, -1, "deps.files.too-many",
				    PF_SEV_MEDIUM, NULL, "more than PF_MAX_REQ_FILES "
				    "(%llu) requirements files; the rest were not read",
				    (unsigned long long)s->cap_files);
			warned = 1;
			continue;
		}
		parse_file(s, &w);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output", required_argument, NULL, 'o' },
		{ "policy", required_argument, NULL, 'P' },
		{ "advisories", required_argument, NULL, 'A' },
		{ "match", required_argument, NULL, 'M' },
		{ "pre", no_argument, NULL, 'p' },
		{ "sort-versions", no_argument, NULL, 'S' },
		{ "affected", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *in = NULL, *out = "-", *policy_path = NULL, *adv = NULL;
	const char *match = NULL, *affected = NULL;
	struct scan s = { 0 };
	struct pf_osv *db = NULL;
	struct pf_osv_caps caps;
	const char **names = NULL;
	json_t *fetch = NULL, *advj;
	size_t i, k, nnames = 0;
	char *advpath;
	int ch, rc, pre = 0, sort = 0, dup;

	pf_diag_setprog("pf-scan-deps");
	while ((ch = getopt_long(argc, argv, "i:o:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'i': in = optarg; break;
		case 'o': out = optarg; break;
		case 'P': policy_path = optarg; break;
		case 'A': adv = optarg; break;
		case 'M': match = optarg; break;
		case 'p': pre = 1; break;
		case 'S': sort = 1; break;
		case 'F': affected = optarg; break;
		case 'h': usage(PF_EXIT_OK);
		case 'V': pf_version();
		default: usage(PF_EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if ((match != NULL) + sort + (affected != NULL) > 1)
		pf_tool_usage_error(usage_text,
		    "--match, --sort-versions and --affected exclude each other");
	if (sort)
		return sort_mode();
	if (match != NULL)
		return match_mode(match, pre, argc, argv);
	if (in != NULL && argc > 0)
		pf_tool_usage_error(usage_text, "-i and PATH arguments exclude each other");

	s.policy = pf_policy_load_or_die(policy_path);
	check_policy(s.policy);
	if (affected != NULL) {
		rc = affected_mode(s.policy, adv, affected, argc, argv);
		json_decref(s.policy);
		return rc;
	}
	s.cap_file = pf_policy_cap(s.policy, "req_file", PF_MAX_REQ_FILE);
	s.cap_depth = pf_policy_cap(s.policy, "req_depth", PF_MAX_REQ_DEPTH);
	s.cap_files = pf_policy_cap(s.policy, "req_files", PF_MAX_REQ_FILES);
	s.cap_reqs = pf_policy_cap(s.policy, "reqs", PF_MAX_REQS);
	if (argc > 0)
		list_from_args(&s, argc, argv);
	else {
		fetch = pf_artifact_read_or_die(in ? in : "-", "fetch");
		list_from_fetch(&s, fetch, in ? in : "-");
	}
	s.doc = pf_check_alloc(pf_envelope_new("scan-deps",
	    fetch ? json_object_get(fetch, "model") : NULL));
	s.files_out = pf_check_alloc(json_array());
	s.indexes = pf_check_alloc(json_array());
	s.reqs_out = pf_check_alloc(json_array());
	if (json_object_set_new(s.doc, "advisories", json_null()) == -1 ||
	    json_object_set_new(s.doc, "files", s.files_out) == -1 ||
	    json_object_set_new(s.doc, "indexes", s.indexes) == -1 ||
	    json_object_set_new(s.doc, "requirements", s.reqs_out) == -1)
		pf_die_nomem();

	scan_files(&s);

	/* The advisories, for the names the model asks for and the locks. */
	advpath = advisories_path(s.policy, adv);
	if (advpath != NULL) {
		const json_t *locked = pf_policy_get(s.policy, "deps.locked"), *v;
		const char *key;

		names = pf_check_alloc(calloc(s.ndeps + json_object_size(locked) + 1,
		    sizeof(*names)));
		for (i = 0; i < s.ndeps; i++) {
			if (s.deps[i].r.norm == NULL)
				continue;
			for (dup = 0, k = 0; k < nnames; k++)
				dup |= strcmp(names[k], s.deps[i].r.norm) == 0;
			if (!dup)
				names[nnames++] = s.deps[i].r.norm;
		}
		json_object_foreach((json_t *)locked, key, v)
			names[nnames++] = key;
		db = load_advisories(s.policy, advpath, names, nnames, &caps);
		advj = json_pack("{s:s, s:I, s:I, s:I}", "source",
		    strrchr(advpath, '/') ? strrchr(advpath, '/') + 1 : advpath,
		    "records", (json_int_t)pf_osv_stats(db)->records,
		    "invalid", (json_int_t)pf_osv_stats(db)->invalid,
		    "matched", (json_int_t)pf_osv_stats(db)->kept);
		if (advj == NULL || json_object_set_new(s.doc, "advisories", advj) == -1)
			pf_die_nomem();
		free(advpath);
	} else if (s.ndeps > 0)
		add(&s, pf_finding_new("deps.advisories.missing", PF_SEV_INFO, NULL,
		    NULL, -1, "no advisory database given: known vulnerabilities "
		    "were not checked"));
	for (i = 0; i < s.ndeps; i++)
		judge(&s, &s.deps[i], db);

	rc = pf_envelope_finish(s.doc, pf_policy_fail_on(s.policy));
	pf_artifact_publish_or_die(out, s.doc, rc);

	pf_osv_free(db);
	free(names);
	for (i = 0; i < s.ndeps; i++) {
		free(s.deps[i].file);
		pf_req_free(&s.deps[i].r);
	}
	free(s.deps);
	for (i = 0; i < s.ngroups; i++)
		free(s.groups[i]);
	free(s.groups);
	for (i = 0; i < s.nqueue; i++)
		free(s.queue[i].rel);
	free(s.queue);
	for (i = 0; i < s.nseen; i++)
		free(s.seen[i]);
	free(s.seen);
	for (i = 0; i < s.nfiles; i++) {
		free(s.files[i].rel);
		free(s.files[i].path);
	}
	free(s.files);
	for (i = 0; i < s.nroots; i++)
		close(s.roots[i]);
	free(s.roots);
	json_decref(s.doc);
	json_decref(fetch);
	json_decref(s.policy);
	return rc;
}
