/*
 * pf_inputs: the files a scanner reads. From fetch.json, each files[]
 * entry's path (repo-relative: what findings name) and quarantine_path
 * (what is opened). From arguments, files as given and folders walked with
 * an explicit stack, no symlink followed below them (a symlink is listed,
 * for the scanner to refuse with O_NOFOLLOW) and .git skipped. A
 * filter picks the files the scanner wants; named files are always kept.
 */
#ifndef PF_INPUTS_H
#define PF_INPUTS_H

#include <jansson.h>
#include <stddef.h>

#include "pf_err.h"

struct pf_input {
	char *rel;		/* the name findings use */
	char *path;		/* where to open it */
	int follow;		/* a path the user named: symlinks followed */
	char *sha256;		/* as fetch.json gave it; NULL for paths */
};

/* A file of the input the scanner does not read, and why. */
struct pf_skipped {
	char *rel;
	char *reason;
	int kind;		/* of the scanner's kind (not merely filtered) */
};

struct pf_inputs {
	struct pf_input *v;
	size_t n;
	struct pf_skipped *skip;
	size_t nskip;
};

/* True when the scanner wants the file rel. */
typedef int (*pf_input_filter)(const char *rel);

/* what names the artifact in messages ("<stdin>"). Code 2 for a bad artifact. */
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

#endif
