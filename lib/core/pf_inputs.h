/*
 * pf_inputs: the files a scanner reads, and opening them, once for every
 * scanner. From fetch.json, each files[] entry's path (repo-relative: what
 * findings name), checked to be where pf-fetch puts it: quarantine_path
 * must be the manifest's quarantine folder (its .rejected twin for a
 * rejected file) joined with path, and is opened one component at a time
 * from that folder without following a symlink; its size, and up to a
 * policy's size its SHA-256, must still be the manifest's. From arguments,
 * files as given and folders walked with an explicit stack, no symlink
 * followed below them and .git skipped. A symlink, FIFO, socket, device or
 * folder where a file belongs is never read and never waited on: it is a
 * finding, as is a file that changed since the manifest was written.
 */
#ifndef PF_INPUTS_H
#define PF_INPUTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_hash.h"

struct pf_input {
	char *rel;    /* the name findings use */
	char *path;   /* where it is (fetch: quarantine_path) */
	int follow;   /* a path the user named: symlinks followed */
	int listed;   /* from fetch.json: opened below bases[rejected] */
	int rejected; /* listed as rejected: below bases[1] */
	int64_t size; /* fetch: the manifest's size, else -1 */
	char *sha256; /* as fetch.json gave it; NULL for paths */
};

/* A file of the input the scanner does not read, and why. */
struct pf_skipped {
	char *rel;
	char *reason;
	int kind; /* of the scanner's kind (not merely filtered) */
};

struct pf_inputs {
	struct pf_input *v;
	size_t n;
	struct pf_skipped *skip;
	size_t nskip;
	char *bases[2];	     /* fetch: the quarantine folder, .rejected twin */
	uint64_t rehash_max; /* re-hash files up to this size; 0: never */
};

/* True when the scanner wants the file rel. */
typedef int (*pf_input_filter)(const char *rel);

/*
 * what names the artifact in messages ("<stdin>"). Code 2 for a bad
 * artifact: no quarantine folder, an entry without quarantine_path, or
 * one whose quarantine_path is not where its path puts it.
 */
int pf_inputs_from_fetch(struct pf_inputs *l, const json_t *fetch,
    const char *what, pf_input_filter want, struct pf_err *e);
/* Code 2 for a path that does not exist, 3 for an unreadable folder. */
int pf_inputs_from_args(struct pf_inputs *l, int argc, char *const argv[],
    pf_input_filter want, struct pf_err *e);
/*
 * Adds a file the scanner did not read after all (a symlink, a FIFO),
 * with why; it then counts as of the scanner's kind. Returns 0 or -1.
 */
int pf_inputs_skip(struct pf_inputs *l, const char *rel, const char *reason,
    int kind);
/*
 * The scanner's account of its input, added to doc: "coverage" ({state:
 * complete, partial or none; scanned; not_scanned: [{path, reason}]}) and
 * made_from.files ([{path, sha256}] as fetch.json gave them). With fetch
 * (NULL for paths) whose status is failed, a finding <p>.input.failed; when
 * nothing was scanned, <p>.coverage.empty (the input names no file) or
 * <p>.coverage.none (files of its kind exist but none was read); both
 * high, so the scan is never a plain pass. <p> is the stage without
 * "scan-". Returns 0, or -1 on out of memory.
 */
int pf_inputs_report(json_t *doc, const struct pf_inputs *l,
    const json_t *fetch, struct pf_err *e);
/* Sorted by rel, so that outputs do not depend on readdir order. */
void pf_inputs_sort(struct pf_inputs *l);
void pf_inputs_free(struct pf_inputs *l);
/* True when name ends with suffix (a filter's building block). */
int pf_inputs_ends_with(const char *name, const char *suffix);

/* The policy's scan.rehash_max_bytes, else PF_SCAN_REHASH_BYTES. Code 2. */
int pf_inputs_policy(struct pf_inputs *l, const json_t *policy, struct pf_err *e);

/* One input, opened: a regular file to read, or why it is not one. */
struct pf_input_file {
	int fd;		   /* O_RDONLY, blocking; -1 when not read */
	uint64_t size;	   /* of the open file */
	const char *kind;  /* NULL, or "symlink", "fifo", "socket",
				   "device", "folder", "changed" */
	char message[256]; /* for the finding when kind is set */
};

/*
 * Opens it->path for reading: never through a symlink it was not told to
 * follow, never blocking on a FIFO. Returns 0 with o->fd open, or with
 * o->fd -1 and o->kind set when the scanner must not read it (a finding:
 * pf_input_finding); -1 with e set for a file missing from its manifest's
 * folder (code 2) or an I/O failure (3).
 */
int pf_input_open(const struct pf_inputs *l, const struct pf_input *it,
    struct pf_input_file *o, struct pf_err *e);
/* The same for rel below the folder dirfd (no manifest to check against). */
int pf_input_openat(int dirfd, const char *rel, struct pf_input_file *o,
    struct pf_err *e);
/*
 * The finding for an input pf_input_open would not read, for the scanner
 * named by prefix ("py"): <prefix>.file.symlink, .not-regular or .changed,
 * all high: a loader would read what no scanner did. New reference or NULL.
 */
json_t *pf_input_finding(const char *prefix, const struct pf_input *it,
    const struct pf_input_file *o);
/*
 * A file name for an artifact: a string when it is valid UTF-8, else
 * {"hex": "..."} (names from a folder may be any bytes). New reference.
 */
json_t *pf_input_name(const char *rel);

#endif
