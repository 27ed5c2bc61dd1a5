/*
 * pf_download_xfer: one file, start to end, in one worker. The file is
 * streamed into its .part and hashed as every byte is written (SHA-256,
 * and the git blob SHA-1 for files not in LFS), so it is read from the
 * network once and never again; dirty pages are handed to the disk as
 * the transfer goes (sync_file_range), so the final fsync has little
 * left. Faults resume with Range from what the .part holds; redirects are
 * followed by hand, each hop checked by pf_hub. The file is fsync'd and
 * renamed under its real name only when its size and digest match,
 * else moved to .rejected as evidence. A small record per verified file
 * lets a rerun reuse the digest while the file's inode and ctime are
 * unchanged.
 *
 * Everything done to one file (reuse check, .part, promotion, rejection,
 * its record) happens under an flock on <sha256 of path>.lock beside the
 * .part, so one run never writes into a .part, or through a name, that
 * another run renames: the second run waits, then reuses what the first
 * verified, or fetches again what it rejected.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

/* ---------------------------------------------------------------- state */

/*
 * The record of a verified file: its digests, and the inode and ctime it
 * had once renamed into place. Any write, chmod or replacement changes
 * the ctime, so a matching record means the bytes are the ones we hashed.
 */
static void
state_write(struct xfer *x, const struct stat *st)
{
	struct pf_dl_file *f = x->f;
	char tmp[sizeof(x->state) + 4];
	struct pf_err e;
	json_t *rec;
	char *s = NULL;
	size_t len;
	int fd;

	rec = json_pack("{s:s, s:I, s:s, s:s, s:I, s:I, s:I, s:I}", "path",
	    f->path, "size", (json_int_t)f->size, "sha256", f->sha256,
	    "blob_id", f->git_sha1, "dev", (json_int_t)st->st_dev, "ino",
	    (json_int_t)st->st_ino, "ctime_sec", (json_int_t)st->st_ctim.tv_sec,
	    "ctime_nsec", (json_int_t)st->st_ctim.tv_nsec);
	if (rec == NULL || (s = pf_json_dump(rec, &len, &e)) == NULL)
		goto out;
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", x->state);
	fd = openat(x->run->statefd, tmp,
	    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		goto out;
	if (pf_write_all(fd, s, len) == -1 || close(fd) == -1 ||
	    renameat(x->run->statefd, tmp, x->run->statefd, x->state) == -1)
		(void)unlinkat(x->run->statefd, tmp, 0);
out:
	/* The record is a cache: without it a rerun hashes the file again. */
	free(s);
	json_decref(rec);
}

/* True when x's record matches the file (fstat'ed as st) and the plan. */
static int
state_match(struct xfer *x, const struct stat *st)
{
	struct pf_dl_file *f = x->f;
	char buf[PF_MAX_FETCH_STATE];
	struct pf_err e;
	json_t *rec;
	ssize_t len;
	int fd, ok;

	fd = openat(x->run->statefd, x->state, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 0;
	len = read(fd, buf, sizeof(buf));
	close(fd);
	if (len <= 0 || (size_t)len >= sizeof(buf))
		return 0;
	if ((rec = pf_json_parse(buf, (size_t)len, "state", &e)) == NULL)
		return 0;
	ok = strcmp(pf_json_str(rec, "path", ""), f->path) == 0 &&
	    pf_json_int(rec, "size", -1) == (json_int_t)f->size &&
	    (uint64_t)st->st_size == f->size &&
	    pf_json_int(rec, "dev", -1) == (json_int_t)st->st_dev &&
	    pf_json_int(rec, "ino", -1) == (json_int_t)st->st_ino &&
	    pf_json_int(rec, "ctime_sec", -1) == (json_int_t)st->st_ctim.tv_sec &&
	    pf_json_int(rec, "ctime_nsec", -1) == (json_int_t)st->st_ctim.tv_nsec &&
	    pf_is_hex(pf_json_str(rec, "sha256", ""), 64);
	if (ok && f->lfs_sha256[0] != '\0')
		ok = strcmp(pf_json_str(rec, "sha256", ""), f->lfs_sha256) == 0;
	else if (ok)
		ok = strcmp(pf_json_str(rec, "blob_id", ""), f->blob_id) == 0;
	if (ok) {
		(void)snprintf(f->sha256, sizeof(f->sha256), "%s",
		    pf_json_str(rec, "sha256", ""));
		(void)snprintf(f->git_sha1, sizeof(f->git_sha1), "%s",
		    f->lfs_sha256[0] ? "" : pf_json_str(rec, "blob_id", ""));
	}
	json_decref(rec);
	return ok;
}

/* ---------------------------------------------------------------- files */

/* "dir/sub" of "dir/sub/name", "" for "name"; into buf of PF_MAX_NAME + 1. */
static const char *
split(const char *path, char *dir)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		dir[0] = '\0';
		return path;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return slash + 1;
}

static int
verified(const struct pf_dl_file *f)
{
	if (f->got != f->size || f->oversize)
		return 0;
	if (f->lfs_sha256[0] != '\0')
		return strcmp(f->sha256, f->lfs_sha256) == 0;
	return strcmp(f->git_sha1, f->blob_id) == 0;
}

/* Says in f->why what did not match. */
static void
mismatch_reason(struct pf_dl_file *f)
{
	if (f->oversize)
		(void)snprintf(f->why, sizeof(f->why),
		    "size mismatch: the server sent more than the expected "
		    "%" PRIu64 " bytes",
		    f->size);
	else if (f->got != f->size)
		(void)snprintf(f->why, sizeof(f->why),
		    "size mismatch: expected %" PRIu64 " bytes, got %" PRIu64,
		    f->size, f->got);
	else if (f->lfs_sha256[0] != '\0')
		(void)snprintf(f->why, sizeof(f->why),
		    "checksum mismatch: expected sha256 %s, got %s",
		    f->lfs_sha256, f->sha256);
	else
		(void)snprintf(f->why, sizeof(f->why),
		    "checksum mismatch: expected git blob %s, got %s",
		    f->blob_id, f->git_sha1);
}

/*
 * Moves fromname (in fromfd) to <root>/.rejected/<org>/<name>/<commit>/<path>
 * and points f->qpath at it. Returns 0, or -1 with e set.
 */
static int
reject(struct xfer *x, int fromfd, const char *fromname, struct pf_err *e)
{
	struct run *run = x->run;
	char dir[PF_MAX_NAME + 1], *rel = NULL, *abs = NULL, *t;
	const char *base;
	int dfd;

	base = split(x->f->path, dir);
	if ((t = pf_path_join(".rejected", run->org_name_commit)) == NULL)
		return pf_err_nomem(e);
	rel = dir[0] ? pf_path_join(t, dir) : strdup(t);
	free(t);
	if (rel == NULL)
		return pf_err_nomem(e);
	dfd = pf_path_opendir(run->rootfd, rel, 1, 0700, e);
	if (dfd == -1) {
		free(rel);
		return -1;
	}
	if (renameat(fromfd, fromname, dfd, base) == -1) {
		int saved = errno;

		close(dfd);
		free(rel);
		(void)unlinkat(fromfd, fromname, 0);
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: move to .rejected: %s",
		    pf_quote(x->f->path), strerror(saved));
	}
	(void)fsync(dfd);
	close(dfd);
	t = pf_path_join(run->root, rel);
	if (t != NULL)
		abs = pf_path_join(t, base);
	free(t);
	free(rel);
	if (abs == NULL)
		return pf_err_nomem(e);
	free(x->f->qpath);
	x->f->qpath = abs;
	return 0;
}

/* Hashes what the .part holds: a resumed file is still verified whole. */
static int
hash_existing(struct xfer *x, struct pf_err *e)
{
	static _Thread_local unsigned char buf[1 << 16];
	uint64_t left = x->off;
	ssize_t r = -1;

	if (lseek(x->fd, 0, SEEK_SET) == -1)
		goto fail;
	while (left > 0) {
		r = read(x->fd, buf,
		    left < sizeof(buf) ? (size_t)left : sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			goto fail;
		if (pf_hash_update(&x->h, buf, (size_t)r) == -1)
			return pf_err_set(e, PF_EXIT_FAILURE, "digest failed");
		left -= (uint64_t)r;
	}
	return 0;
fail:
	return pf_err_set(e, PF_EXIT_FAILURE, "%s: read partial file: %s",
	    pf_quote(x->f->path), r == 0 ? "file shrank" : strerror(errno));
}

static int
hash_start(struct xfer *x, struct pf_err *e)
{
	return pf_hash_init(&x->h,
	    x->f->lfs_sha256[0] ? -1 : (int64_t)x->f->size, e);
}

/* Starts the .part over from byte 0 (a 200 to a Range request, a bad 206). */
static int
restart(struct xfer *x)
{
	struct pf_err e;

	atomic_fetch_sub(&x->run->bytes_done, x->off);
	x->off = x->behind = 0;
	pf_hash_free(&x->h);
	if (ftruncate(x->fd, 0) == -1 || lseek(x->fd, 0, SEEK_SET) == -1) {
		x->write_errno = errno;
		return -1;
	}
	if (hash_start(x, &e) == -1) {
		x->write_errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ callbacks */

/* "bytes A-B/T": the start A, or -1. */
static int64_t
range_start(const char *cr)
{
	const char *p, *dash;
	uint64_t v;

	if (cr == NULL || strncmp(cr, "bytes ", 6) != 0)
		return -1;
	p = cr + 6;
	if ((dash = strchr(p, '-')) == NULL ||
	    pf_parse_u64_mem(p, (size_t)(dash - p), 0, INT64_MAX, &v) == -1)
		return -1;
	return (int64_t)v;
}

static size_t
on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* A new answer (after a 100 Continue, say): forget the last. */
		pf_hub_resp_free(&x->resp);
		dl_resp_init(&x->resp);
	}
	pf_hub_parse_header(&x->resp, p, len);
	return len;
}

/* The first body byte of an answer: is it the file, and from where? */
static int
body_start(struct xfer *x)
{
	x->started = 1;
	(void)curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &x->status);
	x->payload = x->status == 200 || x->status == 206;
	if (x->status == 200 && x->off > 0)
		return restart(x); /* Range ignored: the whole file again */
	if (x->status == 206 &&
	    range_start(x->resp.content_range) != (int64_t)x->off) {
		x->bad_range = 1; /* not where we asked: do not splice */
		return -1;
	}
	/* Resumed only when the server honoured the Range: else it started over. */
	if (x->status == 206 && x->off > 0 && x->f->resumed_from == 0)
		x->f->resumed_from = x->off;
	return 0;
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nmemb, n, room;

	if (!x->started && body_start(x) == -1)
		return 0;
	if (!x->payload) {
		/* An error answer: keep its start for the message. */
		room = x->resp.body.max - x->resp.body.len;
		(void)pf_buf_append(&x->resp.body, p, len < room ? len : room);
		return len;
	}
	/* Never more than the plan's size: the announced length may lie. */
	n = len;
	if ((uint64_t)n > x->f->size - x->off) {
		n = (size_t)(x->f->size - x->off);
		x->f->oversize = 1;
	}
	if (n > 0 && pf_write_all(x->fd, p, n) == -1) {
		x->write_errno = errno ? errno : EIO;
		return 0;
	}
	if (n > 0 && pf_hash_update(&x->h, p, n) == -1) {
		x->write_errno = ENOMEM;
		return 0;
	}
	x->off += n;
	x->f->fetched += n;
	atomic_fetch_add(&x->run->bytes_done, n);
	atomic_fetch_add(&x->run->bytes_received, n);
	if (x->f->oversize)
		return 0;
	if (x->off - x->behind >= FETCH_WRITE_BEHIND) {
		/* Start the writeback now so the final fsync has little left. */
		(void)sync_file_range(x->fd, (off64_t)x->behind,
		    (off64_t)(x->off - x->behind), SYNC_FILE_RANGE_WRITE);
		x->behind = x->off;
	}
	return len;
}

static int
on_xfer(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct xfer *x = arg;

	return atomic_load(&x->run->stop) ? 1 : 0;
}

/* ------------------------------------------------------------ transfer */

static int
retryable_status(long status)
{
	return status == 408 || status == 429 || status == 500 ||
	    status == 502 || status == 503 || status == 504;
}

static int
retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT: /* the low-speed limit, too */
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR: return 1;
	default: return 0;
	}
}

/*
 * One request for url from x->off on. Returns 0 when an answer came
 * (x->status set), 1 for a retryable transport failure (*why set), -1
 * with e set for a failure that ends the run.
 */
static int
request(struct xfer *x, const char *url, char *why, size_t whylen, struct pf_err *e)
{
	struct run *run = x->run;
	struct curl_slist *headers = NULL;
	char range[32];
	CURLcode rc;

	curl_easy_reset(x->c);
	/*
	 * The Hub's way: protocols, connect timeout, Accept-Encoding: identity
	 * (bytes as stored, so sizes and digests are the plan's), and the token
	 * only when this URL is the Hub's own origin.
	 */
	if (pf_hub_curl_setup(run->hub, x->c, url, &headers, e) == -1)
		goto fail;
	(void)curl_easy_setopt(x->c, CURLOPT_FOLLOWLOCATION, 0L);
	(void)curl_easy_setopt(x->c, CURLOPT_NOBODY, 0L);
	(void)curl_easy_setopt(x->c, CURLOPT_HTTPGET, 1L);
	/* A big file takes as long as it takes; a stalled one is retried. */
	(void)curl_easy_setopt(x->c, CURLOPT_TIMEOUT, 0L);
	(void)curl_easy_setopt(x->c, CURLOPT_LOW_SPEED_LIMIT,
	    run->o->low_speed_bytes);
	(void)curl_easy_setopt(x->c, CURLOPT_LOW_SPEED_TIME,
	    run->o->low_speed_seconds);
	(void)curl_easy_setopt(x->c, CURLOPT_BUFFERSIZE, FETCH_BUFFER);
	(void)curl_easy_setopt(x->c, CURLOPT_HEADERFUNCTION, on_header);
	(void)curl_easy_setopt(x->c, CURLOPT_HEADERDATA, x);
	(void)curl_easy_setopt(x->c, CURLOPT_WRITEFUNCTION, on_body);
	(void)curl_easy_setopt(x->c, CURLOPT_WRITEDATA, x);
	(void)curl_easy_setopt(x->c, CURLOPT_NOPROGRESS, 0L);
	(void)curl_easy_setopt(x->c, CURLOPT_XFERINFOFUNCTION, on_xfer);
	(void)curl_easy_setopt(x->c, CURLOPT_XFERINFODATA, x);
	if (x->off > 0) {
		(void)snprintf(range, sizeof(range), "%" PRIu64 "-", x->off);
		(void)curl_easy_setopt(x->c, CURLOPT_RANGE, range);
	}
	pf_hub_resp_free(&x->resp);
	dl_resp_init(&x->resp);
	x->status = 0;
	x->started = x->payload = x->bad_range = x->write_errno = 0;
	/*
	 * The request budget is for the Hub's API calls (pf_hub_url_is_api):
	 * file reads, the resolve URL and the CDN hop, do not spend it, so a
	 * model of a few shards does not wait out a per-second spacing
	 * between its redirects and the bytes.
	 */
	if (pf_hub_url_is_api(run->hub, url))
		pf_hub_throttle(run->hub);
	rc = curl_easy_perform(x->c);
	curl_slist_free_all(headers);
	headers = NULL;
	(void)curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->write_errno != 0) {
		pf_err_set(e, PF_EXIT_FAILURE, "write %s: %s",
		    pf_quote(x->f->path), strerror(x->write_errno));
		return -1;
	}
	if (atomic_load(&run->stop))
		return pf_err_set(e, PF_EXIT_FAILURE, "stopped");
	if (x->f->oversize)
		return 0;
	if (x->bad_range) {
		(void)snprintf(why, whylen,
		    "answer to a Range request starts "
		    "at the wrong offset (%s)",
		    x->resp.content_range ? pf_quote(x->resp.content_range) :
					    "no Content-Range");
		if (restart(x) == -1) {
			pf_err_set(e, PF_EXIT_FAILURE, "write %s: %s",
			    pf_quote(x->f->path), strerror(x->write_errno));
			return -1;
		}
		return 1;
	}
	if (rc != CURLE_OK) {
		(void)snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		if (retryable_curl(rc))
			return 1;
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: %s%s",
		    pf_quote(x->f->path), why, pf_hub_tls_hint(rc));
	}
	return 0;
fail:
	curl_slist_free_all(headers);
	return -1;
}

/*
 * Takes one wait before a retry, counted against the run's max_wait (all
 * transfers summed) and announced when it lasts a second or more. asked
 * is what the Hub's header (named by hdr) asked for, -1 for our own
 * backoff. A wait that would pass max_wait ends the run at once: waiting
 * part of what the Hub asks for would only earn another refusal.
 * Returns 0, or -1 with e set (code 3).
 */
static int
take_wait(struct xfer *x, double wait, long asked, const char *hdr,
    const char *why, struct pf_err *e)
{
	struct run *run = x->run;
	uint64_t cap = (uint64_t)(run->o->max_wait * 1000);
	uint64_t ms = (uint64_t)(wait * 1000), need = ms, before;

	/* The whole of what the Hub asks must fit, past PF_MAX_RETRY_WAIT too. */
	if (asked >= 0 && (uint64_t)asked * 1000 + 1000 > need)
		need = (uint64_t)asked * 1000 + 1000;
	before = atomic_load(&run->waited_ms);
	do {
		if (before + need > cap && asked >= 0)
			return pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: %s: the Hub asks to wait %ld s (%s), more than "
			    "the %.0f s left of fetch.max_wait_seconds (%.0f); "
			    "giving up",
			    pf_quote(x->f->path), why, asked, hdr,
			    before >= cap ? 0.0 : (double)(cap - before) / 1000,
			    run->o->max_wait);
		if (before + need > cap)
			return pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: %s: waiting %.1f s more would pass "
			    "fetch.max_wait_seconds (%.0f s in all); giving up",
			    pf_quote(x->f->path), why, wait, run->o->max_wait);
	} while (
	    !atomic_compare_exchange_weak(&run->waited_ms, &before, before + ms));
	if (wait >= 1)
		dl_notice(run, "%s: %s; waiting %.0f s %s before attempt %d of %d",
		    pf_quote(x->f->path), why, wait,
		    asked < 0 ? "(backoff)" :
			strcmp(hdr, "RateLimit") == 0 ?
				"for the Hub's rate-limit "
				"window (RateLimit)" :
				"as the Hub asks (Retry-After)",
		    x->f->attempts + 1, run->max_retries + 1);
	if (dl_pause_for(run, wait) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "stopped");
	return 0;
}

/*
 * Gets the rest of the file into the .part: redirects checked hop by hop
 * (a fresh start from the resolve URL after each fault, as a signed CDN
 * URL may have expired), retries with backoff. Returns 0 when the answer
 * ended (complete, short or oversized: the caller verifies), -1 with e set.
 */
static int
transfer(struct xfer *x, struct pf_err *e)
{
	struct run *run = x->run;
	char why[256] = "", *url = NULL, *next;
	int retries = 0, hops, rc;
	long after, reset;
	double wait;

	for (;;) {
		if (x->off == x->f->size && x->off > 0)
			break; /* a complete .part from a previous run */
		free(url);
		if ((url = strdup(x->f->url)) == NULL)
			return pf_err_nomem(e);
		x->f->attempts++;
		for (hops = 0;; hops++) {
			if (pf_hub_url_allowed(run->hub, url, e) == -1) {
				pf_err_prefix(e, "%s: redirect refused",
				    pf_quote(x->f->path));
				goto fail;
			}
			rc = request(x, url, why, sizeof(why), e);
			if (rc != 0 || x->status < 300 || x->status > 399)
				break;
			if (hops >= PF_MAX_REDIRECTS) {
				pf_err_set(e, PF_EXIT_FAILURE,
				    "%s: more than PF_MAX_REDIRECTS (%d) "
				    "redirects",
				    pf_quote(x->f->path), PF_MAX_REDIRECTS);
				goto fail;
			}
			next = NULL;
			(void)curl_easy_getinfo(x->c, CURLINFO_REDIRECT_URL, &next);
			if (next == NULL) {
				pf_err_set(e, PF_EXIT_FAILURE,
				    "%s: redirect (%ld) without a Location",
				    pf_quote(x->f->path), x->status);
				goto fail;
			}
			free(url);
			if ((url = strdup(next)) == NULL) {
				pf_err_nomem(e);
				goto fail;
			}
		}
		if (rc == -1)
			goto fail;
		if (rc == 0 && (x->status == 200 || x->status == 206))
			break; /* the caller checks size and digest */
		if (rc == 0 && x->status == 416 && x->off > 0) {
			/* The .part is no prefix the server knows: start over. */
			(void)snprintf(why, sizeof(why),
			    "416 for Range from %" PRIu64, x->off);
			if (restart(x) == -1) {
				pf_err_set(e, PF_EXIT_FAILURE, "write %s: %s",
				    pf_quote(x->f->path),
				    strerror(x->write_errno));
				goto fail;
			}
		} else if (rc == 0 && !retryable_status(x->status)) {
			pf_hub_error(&x->resp, pf_quote(x->f->path), e);
			/* Gated or disabled: the plan had access we lack. */
			if (e->code == PF_EXIT_VERDICT)
				e->code = PF_EXIT_USAGE;
			goto fail;
		} else if (rc == 0)
			(void)snprintf(why, sizeof(why), "HTTP %ld", x->status);
		if (++retries > run->max_retries) {
			pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: giving up after %d attempts: %s",
			    pf_quote(x->f->path), x->f->attempts, why);
			goto fail;
		}
		after = rc == 0 ? x->resp.retry_after : -1;
		reset = rc == 0 && x->status == 429 ? x->resp.ratelimit_reset : -1;
		/* The Hub's own delays are honoured as given; ours scale. */
		wait = pf_hub_backoff(retries, after, reset) *
		    (after < 0 && reset < 0 ? run->o->backoff_scale : 1.0);
		if (take_wait(x, wait, reset >= 0 ? reset : after,
			reset >= 0 ? "RateLimit" : "Retry-After", why, e) == -1)
			goto fail;
	}
	free(url);
	return 0;
fail:
	free(url);
	return -1;
}

/* ------------------------------------------------------------ one file */

/*
 * A file already under its real name: reused when its record (or, failing
 * that, a fresh hash) matches the plan; moved aside when it does not.
 * Returns 1 when reused, 0 when it must be downloaded, -1 with e set.
 */
static int
try_reuse(struct xfer *x, struct pf_err *e)
{
	struct pf_dl_file *f = x->f;
	struct run *run = x->run;
	char dir[PF_MAX_NAME + 1], sha1[PF_SHA1_HEX];
	const char *base = split(f->path, dir);
	struct stat st;
	int dfd, fd;

	dfd = pf_path_opendir(run->dirfd, dir, 0, 0700, e);
	if (dfd == -1) /* code 2 is ENOENT: nothing there yet */
		return e->code == PF_EXIT_USAGE ? 0 : -1;
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		close(dfd);
		if (errno == ENOENT)
			return 0;
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(f->path), strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(dfd);
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: not a regular file in the quarantine; not followed",
		    pf_quote(f->path));
	}
	fd = openat(dfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		int saved = errno;

		if (fd != -1)
			close(fd);
		close(dfd);
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(f->path), strerror(saved));
	}
	f->st = st;
	if (!run->o->rehash_reused && state_match(x, &st)) {
		f->got = f->size;
		goto reused;
	}
	if ((uint64_t)st.st_size == f->size) {
		if (pf_hash_fd(fd, f->lfs_sha256[0] == '\0', f->sha256, sha1,
			e) == -1)
			goto fail;
		(void)snprintf(f->git_sha1, sizeof(f->git_sha1), "%s",
		    f->lfs_sha256[0] ? "" : sha1);
		f->got = f->size;
		if (verified(f)) {
			state_write(x, &st);
			goto reused;
		}
	}
	/* Changed since it was verified: keep it as evidence, fetch again. */
	close(fd);
	f->replaced = 1;
	f->got = 0;
	f->sha256[0] = f->git_sha1[0] = '\0';
	if (reject(x, dfd, base, e) == -1) {
		close(dfd);
		return -1;
	}
	free(f->qpath);
	f->qpath = NULL;
	close(dfd);
	(void)unlinkat(run->statefd, x->state, 0);
	return 0;
reused:
	f->has_st = 1;
	close(fd);
	close(dfd);
	(void)unlinkat(run->partfd, x->part, 0); /* a stale .part */
	f->status = PF_DL_REUSED;
	atomic_fetch_add(&run->bytes_done, f->size);
	return 1;
fail:
	close(fd);
	close(dfd);
	return -1;
}

/* Opens (creating) the .part and hashes what it holds. */
static int
open_part(struct xfer *x, struct pf_err *e)
{
	struct stat st;

	x->fd = openat(x->run->partfd, x->part,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (x->fd == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: partial file: %s%s",
		    pf_quote(x->f->path), strerror(errno),
		    errno == ELOOP ? "; not followed" : "");
	if (fstat(x->fd, &st) == -1 || !S_ISREG(st.st_mode))
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: partial file: not a regular file; not followed",
		    pf_quote(x->f->path));
	(void)fchmod(x->fd, 0600);
	x->off = (uint64_t)st.st_size;
	if (x->off > x->f->size) {
		if (ftruncate(x->fd, 0) == -1)
			return pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: truncate partial file: %s",
			    pf_quote(x->f->path), strerror(errno));
		x->off = 0;
	}
	if (hash_start(x, e) == -1)
		return -1;
	if (x->off > 0 && hash_existing(x, e) == -1)
		return -1;
	if (lseek(x->fd, (off_t)x->off, SEEK_SET) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: seek partial file: %s",
		    pf_quote(x->f->path), strerror(errno));
	x->behind = x->off;
	atomic_fetch_add(&x->run->bytes_done, x->off);
	return 0;
}

/* Verified: fsync, then rename into place below the commit folder. */
static int
promote(struct xfer *x, struct pf_err *e)
{
	struct pf_dl_file *f = x->f;
	char dir[PF_MAX_NAME + 1];
	const char *base = split(f->path, dir);
	struct stat st;
	int dfd;

	if (fsync(x->fd) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "fsync %s: %s",
		    pf_quote(f->path), strerror(errno));
	if ((dfd = pf_path_opendir(x->run->dirfd, dir, 1, 0700, e)) == -1)
		return -1;
	/* A symlink or folder planted under the real name is not replaced. */
	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		close(dfd);
		return pf_err_set(e, PF_EXIT_FAILURE,
		    "%s: not a regular file in the quarantine; not followed",
		    pf_quote(f->path));
	}
	if (renameat(x->run->partfd, x->part, dfd, base) == -1) {
		int saved = errno;

		close(dfd);
		return pf_err_set(e, PF_EXIT_FAILURE, "rename %s: %s",
		    pf_quote(f->path), strerror(saved));
	}
	if (fsync(dfd) == -1) {
		int saved = errno;

		close(dfd);
		return pf_err_set(e, PF_EXIT_FAILURE, "fsync %s: %s",
		    pf_quote(dir[0] ? dir : "."), strerror(saved));
	}
	close(dfd);
	/* The rename changed the ctime: the identity is taken after it. */
	if (fstat(x->fd, &f->st) == -1)
		return pf_err_set(e, PF_EXIT_FAILURE, "%s: %s",
		    pf_quote(f->path), strerror(errno));
	f->has_st = 1;
	state_write(x, &f->st);
	return 0;
}

/* Polls a lock another run holds every 10 ms at first, then every 0.5 s. */
#define LOCK_POLL_MIN 0.01
#define LOCK_POLL_MAX 0.5

/*
 * Takes the flock on the file's .lock, waiting while another run holds it
 * (this run may stop meanwhile). A lock file whose holder unlinked it
 * before letting go is no longer the lock: the name is opened again.
 * Returns 0, or -1 with e set.
 */
static int
lock_file(struct xfer *x, struct pf_err *e)
{
	struct run *run = x->run;
	double poll = LOCK_POLL_MIN, waited = 0;
	struct stat held, named;
	int fd, said = 0, rc;

	for (;;) {
		fd = openat(run->partfd, x->lock,
		    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd == -1)
			return pf_err_set(e, PF_EXIT_FAILURE, "%s: lock file: %s%s",
			    pf_quote(x->f->path), strerror(errno),
			    errno == ELOOP ? "; not followed" : "");
		if (fstat(fd, &held) == -1 || !S_ISREG(held.st_mode)) {
			close(fd);
			return pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: lock file: not a regular file; not followed",
			    pf_quote(x->f->path));
		}
		while ((rc = flock(fd, LOCK_EX | LOCK_NB)) == -1 &&
		    (errno == EINTR || errno == EWOULDBLOCK)) {
			if (errno == EINTR)
				continue;
			if (!said && waited >= 1) {
				dl_notice(run,
				    "%s: another pf-fetch run is "
				    "fetching it; waiting",
				    pf_quote(x->f->path));
				said = 1;
			}
			if (dl_pause_for(run, poll) == -1)
				break;
			waited += poll;
			poll = poll * 2 > LOCK_POLL_MAX ? LOCK_POLL_MAX : poll * 2;
		}
		if (rc == -1) {
			/* Not ours: closed, never unlinked. */
			int saved = errno;

			close(fd);
			return pf_err_set(e, PF_EXIT_FAILURE,
			    "%s: lock file: %s", pf_quote(x->f->path),
			    atomic_load(&run->stop) ? "stopped" : strerror(saved));
		}
		rc = fstatat(run->partfd, x->lock, &named, AT_SYMLINK_NOFOLLOW);
		if (rc == 0 && named.st_dev == held.st_dev &&
		    named.st_ino == held.st_ino) {
			x->lockfd = fd;
			return 0;
		}
		close(fd);
		if (rc == -1 && errno != ENOENT)
			return pf_err_set(e, PF_EXIT_FAILURE, "%s: lock file: %s",
			    pf_quote(x->f->path), strerror(errno));
		/* Unlinked by its last holder: the name is tried again. */
	}
}

/* Unlinked while still held, so that no run waits on a name that is gone. */
static void
unlock_file(struct xfer *x)
{
	if (x->lockfd == -1)
		return;
	(void)unlinkat(x->run->partfd, x->lock, 0);
	close(x->lockfd);
	x->lockfd = -1;
}

int
dl_fetch_one(struct xfer *x, struct pf_err *e)
{
	struct pf_dl_file *f = x->f;
	struct run *run = x->run;
	char hex[PF_SHA256_HEX];
	struct timespec t0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	x->fd = x->lockfd = -1;
	pf_sha256_hex(f->path, strlen(f->path), hex);
	(void)snprintf(x->part, sizeof(x->part), "%s.part", hex);
	(void)snprintf(x->state, sizeof(x->state), "%s.json", hex);
	(void)snprintf(x->lock, sizeof(x->lock), "%s.lock", hex);
	/* Always the commit, never a branch: the bytes the plan hashed. */
	f->url = pf_hub_resolve_url(run->hub, run->id, run->commit, f->path);
	f->qpath = pf_path_join(run->qdir, f->path);
	if (f->url == NULL || f->qpath == NULL)
		return pf_err_nomem(e);
	if ((rc = lock_file(x, e)) == -1 || (rc = try_reuse(x, e)) != 0)
		goto out;
	if (f->qpath == NULL &&
	    (f->qpath = pf_path_join(run->qdir, f->path)) == NULL) {
		rc = pf_err_nomem(e);
		goto out;
	}
	if ((rc = open_part(x, e)) == -1 || (rc = transfer(x, e)) == -1)
		goto out;
	f->got = x->off;
	rc = pf_hash_final(&x->h, f->sha256, f->git_sha1);
	if (rc == -1) {
		pf_err_set(e, PF_EXIT_FAILURE, "digest failed");
		goto out;
	}
	if (f->lfs_sha256[0] != '\0')
		f->git_sha1[0] = '\0';
	if (verified(f)) {
		if ((rc = promote(x, e)) == 0)
			f->status = PF_DL_DOWNLOADED;
	} else {
		mismatch_reason(f);
		if ((rc = reject(x, run->partfd, x->part, e)) == 0)
			f->status = PF_DL_REJECTED;
	}
out:
	pf_hash_free(&x->h);
	if (x->fd != -1)
		close(x->fd);
	x->fd = -1;
	unlock_file(x);
	f->elapsed = dl_since(&t0);
	return rc < 0 ? -1 : 0;
}
