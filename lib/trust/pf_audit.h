/*
 * pf_audit: the audit log, one JSON line per event, each line carrying the
 * SHA-256 of the line before it and its own hash, so that an edited,
 * removed, reordered or inserted line breaks the chain where it happened.
 * Signed checkpoints in a side file (<log>.checkpoints) pin a seq and hash
 * so that cutting off the tail shows too. pf-audit(1) documents the format.
 *
 *   {"seq":N,"time":"...","event":{...},"prev":"<hex>","hash":"<hex>"}
 *
 * prev is the SHA-256 of the previous line's bytes (without its newline;
 * 64 zeros on line 1); hash is the SHA-256 of this line's bytes with the
 * ,"hash":"..." member taken out: {"seq":..,"time":..,"event":..,"prev":..}.
 */
#ifndef PF_AUDIT_H
#define PF_AUDIT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "pf_err.h"
#include "pf_hash.h"
#include "pf_limits.h"
#include "pf_sig.h"

/*
 * Records one event (a JSON object, borrowed) in the audit log at
 * log_path (NULL: pf_audit_default_log()). The append is serialised with
 * flock() against other processes and fsynced before the lock is dropped.
 * Every stage and the driver call this; events look like
 *   {"type": "gate.decision", "model": {...}, "status": "failed", ...}
 * with "type" dotted lowercase <stage>.<what>. Returns 0, or -1 with e set:
 * code 1 when the log's tail is torn or damaged (nothing is appended; the
 * message names the line), 2 for an event that is not an object or is
 * larger than PF_MAX_AUDIT_EVENT, 3 on I/O errors.
 */
int pf_audit_record(const char *log_path, const json_t *event, struct pf_err *e);
/*
 * Opens a log or checkpoints file with flags (O_NOFOLLOW and O_CLOEXEC
 * added): never through a symlink, only a regular file, and only in a
 * folder that is not a symlink nor writable by others without the sticky
 * bit. Returns the fd, or -1 with e set (code 2: symlink, wrong type,
 * unsafe folder, missing; code 3 on other errors).
 */
int pf_audit_open(const char *path, int flags, mode_t mode, struct pf_err *e);

/* The same with a cap on the serialised event (the policy's audit_event). */
int pf_audit_append(const char *log_path, const json_t *event, size_t max_event,
    uint64_t *seq, struct pf_err *e);

/*
 * The store root: $PF_HOME, else $XDG_DATA_HOME/pathfinder, else
 * $HOME/.local/share/pathfinder; joined with rel when rel is not NULL.
 * A new malloc'd string, or NULL (out of memory, or no HOME).
 */
char *pf_store_path(const char *rel);
/* $PF_HOME/audit.log; malloc'd or NULL. */
char *pf_audit_default_log(void);

/* One parsed log line. */
struct pf_audit_line {
	int json; /* parsed as JSON (torn ones do not) */
	uint64_t seq;
	char prev[PF_SHA256_HEX];
	char hash[PF_SHA256_HEX];   /* the line's own hash member */
	char digest[PF_SHA256_HEX]; /* of all its bytes: the next prev */
};

/*
 * Parses one line (without its newline) and checks its own hash. Returns
 * 0, or -1 with e set (code 1) saying what is wrong with it. The digest is
 * filled whenever len is within max_line, even when the line is bad.
 */
int pf_audit_line_parse(const char *p, size_t len, size_t max_line,
    struct pf_audit_line *l, struct pf_err *e);
/*
 * The same through jansson alone, never the fast scanner (pf_audit_scan.h)
 * that pf_audit_line_parse tries first: for the tests and the fuzz
 * harness that hold the two to the same answers.
 */
int pf_audit_line_parse_json(const char *p, size_t len, size_t max_line,
    struct pf_audit_line *l, struct pf_err *e);

/* A signed checkpoint: the log's seq and hash at one moment. */
struct pf_audit_checkpoint {
	uint64_t seq;
	char hash[PF_SHA256_HEX];
	char time[32];
	char key_id[PF_SHA256_HEX];
	char signature[PF_MAX_SIGNATURE + 1];
};

/* Parses one checkpoint line; code 1 when malformed. */
int pf_audit_checkpoint_parse(const char *p, size_t len,
    struct pf_audit_checkpoint *c, struct pf_err *e);
/* Verifies a checkpoint's signature with the audit key; code 1 when not. */
int pf_audit_checkpoint_verify(const struct pf_audit_checkpoint *c,
    const struct pf_sig_key *key, struct pf_err *e);
/*
 * Signs seq and hash with the audit key (time: now) and writes the line
 * (with its newline) into buf. Returns 0 or -1 (code 3).
 */
int pf_audit_checkpoint_sign(uint64_t seq, const char *hash,
    const struct pf_sig_key *key, struct pf_audit_checkpoint *c, char *buf,
    size_t bufsz, struct pf_err *e);

/* What pf_audit_verify found. */
struct pf_audit_result {
	int ok;		   /* 1 when chain and checkpoints hold */
	uint64_t lines;	   /* lines read */
	uint64_t last_seq; /* of the last good line */
	char last_hash[PF_SHA256_HEX];
	uint64_t checkpoint_seq; /* highest one matched, or 0 */
	/* On a break: the kind ("edited", "removed", "reordered", "inserted",
	 * "torn", "truncated"), the 1-based line it names and why. */
	const char *kind;
	uint64_t line;
	char message[PF_ERR_MSG];
};

/*
 * Walks the log in f from its start, checking every line and the links
 * between them, and names the first line that was edited, removed,
 * reordered or inserted, a torn last line, or (given checkpoints already
 * verified by the caller) a tail cut off after a checkpoint or a rewritten
 * history. Memory stays constant whatever the log's size. Returns 0 with
 * r filled (r->ok says whether it holds), or -1 with e set on I/O errors.
 */
int pf_audit_verify(FILE *f, size_t max_line, const struct pf_audit_checkpoint *cps,
    size_t ncps, struct pf_audit_result *r, struct pf_err *e);

/* Called with each line of the unbroken chain; -1 stops (out of memory). */
typedef int (
    *pf_audit_line_fn)(void *ctx, uint64_t seq, const char *line, size_t len);
/*
 * pf_audit_verify without checkpoints, calling fn for every line up to the
 * first break, so a reader uses only lines whose order the chain vouches
 * for.
 */
int pf_audit_walk(FILE *f, size_t max_line, pf_audit_line_fn fn, void *ctx,
    struct pf_audit_result *r, struct pf_err *e);

#endif
