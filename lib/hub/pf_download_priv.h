/*
 * pf_download_priv.h: what the two halves of pf_download share. The pool
 * (pf_download.c: plan, threads, progress, the run's first failure) hands
 * each worker one file at a time; the transfer (pf_download_xfer.c: the
 * lock on the file's name, reuse, the .part, the request loop, promotion
 * or rejection) does everything to that file. struct run is the pool's
 * and shared read-mostly (its counters are atomic, the rest under mu);
 * struct xfer belongs to one worker.
 */
#ifndef PF_DOWNLOAD_PRIV_H
#define PF_DOWNLOAD_PRIV_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "pf_download.h"
#include "pf_err.h"
#include "pf_hash.h"
#include "pf_hub.h"

/* curl's receive buffer: with one per transfer, what bounds our memory. */
#define FETCH_BUFFER (256L * 1024)
/* Dirty pages are handed to the disk every this many bytes (write-behind). */
#define FETCH_WRITE_BEHIND (8u * 1024 * 1024)

struct run {
	struct pf_hub *hub;
	const struct pf_dl_opts *o;
	const char *root, *id, *commit;
	char *org_name_commit; /* "<org>/<name>/<commit>" */
	char *qdir;	       /* <root>/<org>/<name>/<commit> */
	int rootfd, dirfd, partfd, statefd;
	struct pf_dl_file *files;
	size_t n;
	size_t *order;	     /* largest first */
	unsigned char *busy; /* per file: a worker has it (under mu) */
	size_t next, done;
	int max_retries;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	atomic_int stop;
	struct pf_err err; /* the first failure */
	_Atomic uint64_t bytes_done, bytes_received;
	_Atomic uint64_t waited_ms; /* waits taken or promised, summed */
	struct timespec t0;
};

struct xfer {
	struct run *run;
	struct pf_dl_file *f;
	CURL *c;
	int fd;
	int lockfd; /* holds the flock on the file's name */
	struct pf_hash h;
	uint64_t off;	 /* bytes in the .part, all hashed */
	uint64_t behind; /* write-behind mark */
	long status;	 /* of the answer being received */
	int started, payload, bad_range, write_errno;
	struct pf_hub_resp resp;       /* headers of the current answer */
	char part[PF_SHA256_HEX + 5];  /* "<hex>.part" */
	char state[PF_SHA256_HEX + 5]; /* "<hex>.json" */
	char lock[PF_SHA256_HEX + 5];  /* "<hex>.lock" */
};

/* Seconds since t0 (CLOCK_MONOTONIC). */
double dl_since(const struct timespec *t0);
/* An empty answer: no headers seen, the error body capped. */
void dl_resp_init(struct pf_hub_resp *r);
/* Records the first failure and stops every transfer. Returns -1. */
int dl_run_fail(struct run *run, const struct pf_err *e);
/* Sleeps for secs unless the run is stopped first. -1 when stopped. */
int dl_pause_for(struct run *run, double secs);
/* Hands a line saying what is being waited for to the caller, if it asked. */
void dl_notice(struct run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * Everything done to x->f: under its lock, reused, or fetched and then
 * promoted or rejected; f->status says which. Returns 0, or -1 with e set
 * (the run fails).
 */
int dl_fetch_one(struct xfer *x, struct pf_err *e);

#endif
