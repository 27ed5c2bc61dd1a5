/*
 * pf_launch_result: the run log (the container's output after the
 * redactors, capped) and result.json from what the watchdog saw, the
 * workload's output folder (verify.json, metrics.json) and the plan.
 */
#ifndef PF_LAUNCH_RESULT_H
#define PF_LAUNCH_RESULT_H

#include <jansson.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_launch.h"
#include "pf_launch_watch.h"
#include "pf_redact.h"
#include "pf_secrets.h"

#define PF_LAUNCH_SECRET_MAX 4096 /* the longest token file masked */

struct pf_launch_log;
struct pf_launch_sink {
	struct pf_launch_log *log;
	uint64_t bytes;			 /* redacted bytes of this stream */
	char held[PF_LAUNCH_SECRET_MAX]; /* a possible start of the token */
	size_t nheld;
};
struct pf_launch_log {
	int fd;
	const char *path;
	char name[48]; /* the container's name */
	uint64_t max, written;
	int truncated;
	struct pf_launch_sink sink[2]; /* stdout, stderr */
	struct pf_redact *out, *err;
	/*
	 * The granted token's own bytes, masked after the rules: a token
	 * the rules would let pass (a test token, an unusual form) is still
	 * never written.
	 */
	char secret[PF_LAUNCH_SECRET_MAX];
	size_t nsecret;
	uint64_t literal_hits;
};

/* --log, else <out_dir>.log. A new malloc'd string. */
char *pf_launch_log_path(const char *given, const char *out_dir);
/* Creates the log (0600, replacing none) and its two redactors. */
int pf_launch_log_open(struct pf_launch_log *lg, const char *path,
    const struct pf_secrets *rules, uint64_t max, struct pf_err *e);
/* Masks the bytes of the token file at path too (trailing space cut). */
int pf_launch_log_secret(struct pf_launch_log *lg, const char *path,
    struct pf_err *e);
int pf_launch_log_close(struct pf_launch_log *lg, struct pf_err *e);
/* Frees the redactors, once the result has read their counts. */
void pf_launch_log_free(struct pf_launch_log *lg);

/*
 * result.json, as a new envelope (argv recorded through rules) of stage "launch"; *rc is 0 when the
 * workload ran and exited 0 after the signature verified, else 1.
 */
json_t *pf_launch_result(const struct pf_launch *l, const struct pf_launch_run *r,
    const struct pf_launch_log *lg, const json_t *gate, const char *plan_sha,
    const char *seccomp_sha, const char *version, const json_t *policy,
    const struct pf_secrets *rules, int *rc);

#endif
