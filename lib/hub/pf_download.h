/*
 * pf_download: the parallel download engine behind pf-fetch. Each file is
 * hashed as its bytes arrive, written to a .part file below the quarantine,
 * resumed with Range after a fault, and renamed to its real name only once
 * its size and digest match the plan. Redirects are followed by hand, each
 * hop checked by pf_hub; the token goes only where pf_hub allows it. Runs
 * of the same commit in other processes are safe: each file is fetched,
 * reused or rejected only under a lock on its name.
 */
#ifndef PF_DOWNLOAD_H
#define PF_DOWNLOAD_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "pf_err.h"
#include "pf_hash.h"
#include "pf_hub.h"

enum pf_dl_status {
	PF_DL_PENDING = 0,
	PF_DL_DOWNLOADED, /* fetched (or resumed) and verified */
	PF_DL_REUSED,	  /* already in quarantine and verified */
	PF_DL_REJECTED,	  /* size or digest mismatch: moved to .rejected */
	PF_DL_FAILED	  /* network or disk failure: the run fails (3) */
};

struct pf_dl_file {
	/* In: from the plan, checked by the caller (pf_download_check_name). */
	const char *path;		/* repo-relative name */
	uint64_t size;			/* expected size in bytes */
	char blob_id[PF_SHA1_HEX];	/* expected git blob id */
	char lfs_sha256[PF_SHA256_HEX]; /* expected SHA-256, "" when not LFS */

	/* Out. */
	enum pf_dl_status status;
	char sha256[PF_SHA256_HEX]; /* of the bytes received */
	char git_sha1[PF_SHA1_HEX]; /* computed blob id, "" for LFS files */
	uint64_t got;		    /* bytes in the file, resumed included */
	int oversize;		    /* the server sent more than size */
	int replaced;		    /* found changed in quarantine */
	uint64_t fetched;	    /* bytes received in this run */
	uint64_t resumed_from;	    /* first Range offset honoured, else 0 */
	int attempts;		    /* tries, redirect hops not counted */
	double elapsed;		    /* seconds spent on this file */
	char *url;		    /* the resolve URL (no token), malloc'd */
	char *qpath;		    /* absolute path: file or evidence */
	char why[256];		    /* what mismatched, for rejected files */
	/*
	 * The verified file under its real name as fstat saw it once in
	 * place (after the rename): what fetch.json records as its identity.
	 * Valid when has_st is set (DOWNLOADED or REUSED).
	 */
	struct stat st;
	int has_st;
};

/* Names of files in flight a progress report carries. */
#define PF_DL_INFLIGHT_NAMES 2

struct pf_dl_progress {
	uint64_t bytes_done; /* received, resumed or reused */
	uint64_t bytes_total;
	uint64_t bytes_received; /* over the network this run */
	size_t files_done;
	size_t files_total;
	double elapsed; /* seconds since the start */
	int final;	/* the last call */
	/* Files being fetched now, largest first (names borrowed, Hub data). */
	const char *inflight[PF_DL_INFLIGHT_NAMES];
	size_t ninflight; /* all of them, may exceed the names */
};

struct pf_dl_opts {
	int parallel;		  /* files at once, 1..32 */
	long low_speed_bytes;	  /* below this many bytes/s ... */
	long low_speed_seconds;	  /* ... this long: retried */
	double backoff_scale;	  /* hub.backoff_initial_seconds */
	int rehash_reused;	  /* hash reused files again */
	double progress_interval; /* seconds between progress calls */
	double max_wait;	  /* seconds of waiting, all files summed */
	void (*progress)(const struct pf_dl_progress *p, void *arg);
	void *progress_arg;
	/* What a transfer waits a second or more for (a worker calls it). */
	void (*notice)(const char *msg, void *arg);
	void *notice_arg;
};

struct pf_dl_plan {
	const char *id, *commit;  /* borrowed from the plan */
	struct pf_dl_file *files; /* "download" entries, in order */
	size_t n;
	size_t skipped; /* its "skip" entries */
};

/*
 * Checks plan.json's model (id org/name, 40-hex commit) and files (safe
 * names, no ".git" component, no name twice or as both file and folder,
 * sizes up to maxsize, 40/64-hex digests) and collects the entries to
 * download, borrowing strings from plan. Returns 0, or -1 with e set
 * (code 2) naming the member: "files[3].path: ...".
 */
int pf_download_plan(const json_t *plan, uint64_t maxsize, struct pf_dl_plan *p,
    struct pf_err *e);
void pf_download_plan_free(struct pf_dl_plan *p);

/*
 * The quarantine folder of a model: <root>/<org>/<name>/<commit>, where
 * root is $PF_HOME/quarantine. malloc'd, NULL on ENOMEM.
 */
char *pf_download_dir(const char *root, const char *id, const char *commit);

/*
 * Downloads files[0..n) of model id at commit into the quarantine below
 * root (created 0700 when missing). Every file ends DOWNLOADED, REUSED or
 * REJECTED and the call returns 0; on a network or disk failure, or a
 * symlink planted in the quarantine, the other transfers stop and it
 * returns -1 with e set (code 3; 2 for a request the Hub refuses as
 * asked wrongly), nothing of an unverified file under its real name.
 * Waits the Hub asks for (Retry-After, RateLimit) and backoffs count
 * against o->max_wait: one that would pass it ends the run (code 3).
 */
int pf_download_run(struct pf_hub *hub, const char *root, const char *id,
    const char *commit, struct pf_dl_file *files, size_t n,
    const struct pf_dl_opts *o, struct pf_err *e);

/* Frees what pf_download_run allocated in files (url, qpath). */
void pf_download_free(struct pf_dl_file *files, size_t n);

#endif
