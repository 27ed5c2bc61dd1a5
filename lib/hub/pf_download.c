/*
 * pf_download: the pool. The plan's "download" entries are checked and
 * collected here; a pool of worker threads, one libcurl easy handle each,
 * takes files largest first and hands each to the transfer
 * (pf_download_xfer.c), which does everything to one file. The first
 * failure stops every worker; progress is reported from the calling
 * thread while the workers run.
 *
 * The store's layout: a file is streamed into
 *   <root>/.partial/<org>/<name>/<commit>/<sha256 of path>.part
 * and renamed to <root>/<org>/<name>/<commit>/<path> once verified, or
 * moved to <root>/.rejected/... as evidence; a small record per verified
 * file lives in <root>/.state/... . Other pf-fetch processes may work on
 * the same commit at the same time: see pf_download_xfer.c for the lock
 * on each file's name that makes that safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "pf_download.h"
#include "pf_download_priv.h"
#include "pf_int.h"
#include "pf_json.h"
#include "pf_limits.h"
#include "pf_path.h"
#include "pf_diag.h"
#include "pf_banned.h"

double
dl_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

void
dl_resp_init(struct pf_hub_resp *r)
{
	memset(r, 0, sizeof(*r));
	pf_buf_init(&r->body, PF_MAX_FETCH_ERROR_BODY);
	r->linked_size = r->content_length = -1;
	r->retry_after = r->ratelimit_reset = -1;
}

/* Records the first failure and stops every transfer. Returns -1. */
int
dl_run_fail(struct run *run, const struct pf_err *e)
{
	pthread_mutex_lock(&run->mu);
	if (!atomic_load(&run->stop)) {
		run->err = *e;
		if (run->err.code == PF_EXIT_OK || run->err.code == PF_EXIT_VERDICT)
			run->err.code = PF_EXIT_FAILURE;
	}
	atomic_store(&run->stop, 1);
	pthread_cond_broadcast(&run->cv);
	pthread_mutex_unlock(&run->mu);
	return -1;
}

/* Sleeps for secs unless the run is stopped first. Returns -1 when stopped. */
int
dl_pause_for(struct run *run, double secs)
{
	struct timespec until;
	int stopped;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)secs;
	until.tv_nsec += (long)((secs - (double)(time_t)secs) * 1e9);
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&run->mu);
	while (!atomic_load(&run->stop) &&
	    pthread_cond_timedwait(&run->cv, &run->mu, &until) == 0)
		;
	stopped = atomic_load(&run->stop);
	pthread_mutex_unlock(&run->mu);
	return stopped ? -1 : 0;
}

/* Hands a line saying what is being waited for to the caller, if it asked. */
void
dl_notice(struct run *run, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (run->o->notice == NULL)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&run->mu);
	run->o->notice(msg, run->o->notice_arg);
	pthread_mutex_unlock(&run->mu);
}
char *
pf_download_dir(const char *root, const char *id, const char *commit)
{
	char *a, *b;

	if ((a = pf_path_join(root, id)) == NULL)
		return NULL;
	b = pf_path_join(a, commit);
	free(a);
	return b;
}

/* ---------------------------------------------------------------- plan */

/* Sorts '/' before every other byte, so "a" and "a/b" end up side by side. */
static int
path_cmp(const void *pa, const void *pb)
{
	const unsigned char *a = *(const unsigned char *const *)pa;
	const unsigned char *b = *(const unsigned char *const *)pb;

	for (; *a != '\0' && *a == *b; a++, b++)
		;
	return (*a == '/' ? 1 : *a + 1) - (*b == '/' ? 1 : *b + 1);
}

/*
 * Two entries may not name the same file, or a file and a folder of the
 * same name: both could not be in place at once.
 */
static int
check_clashes(const struct pf_dl_plan *p, struct pf_err *e)
{
	const char **names;
	size_t i, len;
	int rc = 0;

	if (p->n < 2)
		return 0;
	if ((names = calloc(p->n, sizeof(*names))) == NULL)
		return pf_err_nomem(e);
	for (i = 0; i < p->n; i++)
		names[i] = p->files[i].path;
	qsort(names, p->n, sizeof(*names), path_cmp);
	for (i = 0; rc == 0 && i + 1 < p->n; i++) {
		len = strlen(names[i]);
		if (strcmp(names[i], names[i + 1]) == 0)
			rc = pf_err_set(e, PF_EXIT_USAGE, "%s: listed twice",
			    pf_quote(names[i]));
		else if (strncmp(names[i], names[i + 1], len) == 0 &&
		    names[i + 1][len] == '/')
			rc = pf_err_set(e, PF_EXIT_USAGE,
			    "%s: both a file and a folder (%s)",
			    pf_quote(names[i]), pf_quote(names[i + 1]));
	}
	free(names);
	return rc;
}

/* One "download" entry, files[i], into f. */
static int
plan_entry(const json_t *ent, size_t i, uint64_t maxsize, struct pf_dl_file *f,
    struct pf_err *e)
{
	const char *path = pf_json_str(ent, "path", NULL);
	const json_t *size = json_object_get(ent, "size");
	const json_t *lfs = json_object_get(ent, "lfs_sha256");
	const char *blob = pf_json_str(ent, "blob_id", NULL);

	if (pf_path_check(path, e) == -1) {
		e->code = PF_EXIT_USAGE;
		return pf_err_prefix(e, "files[%zu].path", i);
	}
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "files[%zu]: %s: size must be a non-negative integer", i,
		    pf_quote(path));
	if ((uint64_t)json_integer_value(size) > maxsize)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: larger than PF_MAX_FETCH_FILE (%" PRIu64 " bytes)",
		    pf_quote(path), maxsize);
	if (lfs != NULL && !json_is_null(lfs) &&
	    !pf_is_hex(json_string_value(lfs), 64))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "files[%zu]: %s: lfs_sha256 must be null or 64 "
		    "lowercase hex digits",
		    i, pf_quote(path));
	if (!json_is_string(lfs) && !pf_is_hex(blob, 40))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "files[%zu]: %s: blob_id must be 40 lowercase hex digits",
		    i, pf_quote(path));
	f->path = path;
	f->size = (uint64_t)json_integer_value(size);
	(void)snprintf(f->lfs_sha256, sizeof(f->lfs_sha256), "%s",
	    json_is_string(lfs) ? json_string_value(lfs) : "");
	(void)snprintf(f->blob_id, sizeof(f->blob_id), "%s",
	    pf_is_hex(blob, 40) ? blob : "");
	return 0;
}

int
pf_download_plan(const json_t *plan, uint64_t maxsize, struct pf_dl_plan *p,
    struct pf_err *e)
{
	const json_t *model = json_object_get(plan, "model");
	const json_t *files = json_object_get(plan, "files"), *ent;
	const char *action;
	size_t i;

	memset(p, 0, sizeof(*p));
	p->id = pf_json_str(model, "id", NULL);
	p->commit = pf_json_str(model, "commit", NULL);
	if (p->id == NULL)
		return pf_err_set(e, PF_EXIT_USAGE, "model.id: missing");
	if (pf_hub_check_repo_id(p->id, e) == -1)
		return pf_err_prefix(e, "model.id");
	if (strchr(p->id, '/') == NULL)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "model.id: %s: not of the form org/name", pf_quote(p->id));
	if (!pf_is_hex(p->commit, 40))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "model.commit: must be 40 lowercase hex digits");
	if (!json_is_array(files))
		return pf_err_set(e, PF_EXIT_USAGE,
		    "files: missing or not an array");
	if (json_array_size(files) > PF_MAX_FILES)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "files: more than PF_MAX_FILES (%d)", PF_MAX_FILES);
	if ((p->files = calloc(json_array_size(files) + 1, sizeof(*p->files))) ==
	    NULL)
		return pf_err_nomem(e);
	json_array_foreach(files, i, ent) {
		action = pf_json_str(ent, "action", NULL);
		if (!json_is_object(ent) || action == NULL) {
			pf_err_set(e, PF_EXIT_USAGE,
			    "files[%zu]: not an object with an action", i);
			goto fail;
		}
		if (strcmp(action, "skip") == 0) {
			p->skipped++;
			continue;
		}
		if (strcmp(action, "download") != 0) {
			pf_err_set(e, PF_EXIT_USAGE,
			    "files[%zu]: unknown action %s", i, pf_quote(action));
			goto fail;
		}
		if (plan_entry(ent, i, maxsize, &p->files[p->n], e) == -1)
			goto fail;
		p->n++;
	}
	if (check_clashes(p, e) == -1)
		goto fail;
	return 0;
fail:
	pf_download_plan_free(p);
	return -1;
}

void
pf_download_plan_free(struct pf_dl_plan *p)
{
	pf_download_free(p->files, p->n);
	free(p->files);
	p->files = NULL;
	p->n = 0;
}

/* ------------------------------------------------------------ the pool */

static void *
worker(void *arg)
{
	struct xfer *x = arg;
	struct run *run = x->run;
	struct pf_err e;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&run->mu);
		if (atomic_load(&run->stop) || run->next == run->n) {
			pthread_mutex_unlock(&run->mu);
			break;
		}
		i = run->order[run->next++];
		run->busy[i] = 1;
		pthread_mutex_unlock(&run->mu);
		x->f = &run->files[i];
		pf_err_clear(&e);
		if (dl_fetch_one(x, &e) == -1)
			(void)dl_run_fail(run, &e);
		pthread_mutex_lock(&run->mu);
		run->busy[i] = 0;
		run->done++;
		pthread_cond_broadcast(&run->cv);
		pthread_mutex_unlock(&run->mu);
	}
	return NULL;
}

static int
by_size_desc(const void *a, const void *b, void *arg)
{
	const struct pf_dl_file *files = arg;
	uint64_t x = files[*(const size_t *)a].size;
	uint64_t y = files[*(const size_t *)b].size;

	if (x != y)
		return x < y ? 1 : -1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void
progress(struct run *run, int final)
{
	struct pf_dl_progress p;
	size_t i;

	if (run->o->progress == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.bytes_done = atomic_load(&run->bytes_done);
	p.bytes_received = atomic_load(&run->bytes_received);
	for (i = 0; i < run->n; i++)
		p.bytes_total += run->files[i].size;
	pthread_mutex_lock(&run->mu);
	p.files_done = run->done;
	for (i = 0; i < run->n; i++) /* the files in flight, by size */
		if (run->busy[run->order[i]]) {
			if (p.ninflight < PF_DL_INFLIGHT_NAMES)
				p.inflight[p.ninflight] =
				    run->files[run->order[i]].path;
			p.ninflight++;
		}
	pthread_mutex_unlock(&run->mu);
	p.files_total = run->n;
	p.elapsed = dl_since(&run->t0);
	p.final = final;
	run->o->progress(&p, run->o->progress_arg);
}

/* Opens <root>/<prefix><org>/<name>/<commit>, created 0700. */
static int
open_area(struct run *run, const char *prefix, struct pf_err *e)
{
	char *rel;
	int fd;

	rel = prefix ? pf_path_join(prefix, run->org_name_commit) :
		       strdup(run->org_name_commit);
	if (rel == NULL)
		return pf_err_nomem(e);
	fd = pf_path_opendir(run->rootfd, rel, 1, 0700, e);
	if (fd == -1 && e->code == PF_EXIT_VERDICT)
		e->code = PF_EXIT_FAILURE; /* a symlink planted in the store */
	free(rel);
	if (fd != -1)
		(void)fchmod(fd, 0700);
	return fd;
}

/* Waits for the workers, calling the progress function now and then. */
static void
watch(struct run *run, size_t nthreads)
{
	struct timespec until;
	double iv = run->o->progress_interval > 0 ? run->o->progress_interval : 1;

	pthread_mutex_lock(&run->mu);
	while (run->done < run->n &&
	    !(atomic_load(&run->stop) && run->done >= run->next)) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)iv;
		until.tv_nsec += (long)((iv - (double)(time_t)iv) * 1e9);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&run->cv, &run->mu, &until) != 0) {
			pthread_mutex_unlock(&run->mu);
			progress(run, 0);
			pthread_mutex_lock(&run->mu);
		}
	}
	pthread_mutex_unlock(&run->mu);
	(void)nthreads;
}

int
pf_download_run(struct pf_hub *hub, const char *root, const char *id,
    const char *commit, struct pf_dl_file *files, size_t n,
    const struct pf_dl_opts *o, struct pf_err *e)
{
	struct run run;
	struct xfer *xs = NULL;
	pthread_t *tids = NULL;
	size_t i, nthreads = 0, started = 0;
	int rc = -1;

	memset(&run, 0, sizeof(run));
	run.hub = hub;
	run.o = o;
	run.root = root;
	run.id = id;
	run.commit = commit;
	run.files = files;
	run.n = n;
	run.rootfd = run.dirfd = run.partfd = run.statefd = -1;
	run.max_retries = pf_hub_max_retries(hub);
	atomic_init(&run.stop, 0);
	atomic_init(&run.bytes_done, 0);
	atomic_init(&run.bytes_received, 0);
	pthread_mutex_init(&run.mu, NULL);
	pthread_cond_init(&run.cv, NULL);
	clock_gettime(CLOCK_MONOTONIC, &run.t0);

	if (pf_path_mkdirs(root, 0700, e) == -1)
		goto out;
	run.rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (run.rootfd == -1) {
		pf_err_set(e, PF_EXIT_FAILURE, "%s: %s", pf_quote(root),
		    strerror(errno));
		goto out;
	}
	(void)fchmod(run.rootfd, 0700);
	if ((run.org_name_commit = pf_path_join(id, commit)) == NULL ||
	    (run.qdir = pf_download_dir(root, id, commit)) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	if ((run.dirfd = open_area(&run, NULL, e)) == -1 ||
	    (run.partfd = open_area(&run, ".partial", e)) == -1 ||
	    (run.statefd = open_area(&run, ".state", e)) == -1)
		goto out;
	if (n == 0) {
		rc = 0;
		goto out;
	}

	/* Largest first: the long transfers start while small ones fill gaps. */
	if ((run.order = calloc(n, sizeof(*run.order))) == NULL ||
	    (run.busy = calloc(n, 1)) == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	for (i = 0; i < n; i++)
		run.order[i] = i;
	qsort_r(run.order, n, sizeof(*run.order), by_size_desc, files);

	nthreads = o->parallel < 1 ? 1 : (size_t)o->parallel;
	if (nthreads > PF_MAX_FETCH_PARALLEL)
		nthreads = PF_MAX_FETCH_PARALLEL;
	if (nthreads > n)
		nthreads = n;
	xs = calloc(nthreads, sizeof(*xs));
	tids = calloc(nthreads, sizeof(*tids));
	if (xs == NULL || tids == NULL) {
		pf_err_nomem(e);
		goto out;
	}
	for (i = 0; i < nthreads; i++) {
		xs[i].run = &run;
		xs[i].fd = -1;
		dl_resp_init(&xs[i].resp);
		if ((xs[i].c = curl_easy_init()) == NULL) {
			pf_err_nomem(e);
			goto stop;
		}
	}
	for (started = 0; started < nthreads; started++)
		if (pthread_create(&tids[started], NULL, worker, &xs[started]) !=
		    0) {
			pf_err_set(e, PF_EXIT_FAILURE, "cannot start a thread");
			goto stop;
		}
	watch(&run, nthreads);
	rc = 0;
stop:
	if (rc == -1)
		(void)dl_run_fail(&run, e);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (atomic_load(&run.stop)) {
		*e = run.err;
		rc = -1;
	}
	progress(&run, 1);
out:
	for (i = 0; xs != NULL && i < nthreads; i++) {
		if (xs[i].c != NULL)
			curl_easy_cleanup(xs[i].c);
		pf_hub_resp_free(&xs[i].resp);
	}
	free(xs);
	free(tids);
	free(run.order);
	free(run.busy);
	free(run.org_name_commit);
	free(run.qdir);
	if (run.rootfd != -1)
		close(run.rootfd);
	if (run.dirfd != -1)
		close(run.dirfd);
	if (run.partfd != -1)
		close(run.partfd);
	if (run.statefd != -1)
		close(run.statefd);
	pthread_cond_destroy(&run.cv);
	pthread_mutex_destroy(&run.mu);
	return rc;
}

void
pf_download_free(struct pf_dl_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(files[i].url);
		free(files[i].qpath);
		files[i].url = files[i].qpath = NULL;
	}
}
