/*
 * pf_envelope: the members every artifact starts with (pathfinder_version,
 * stage, generated_at, model, status, findings), findings themselves, and
 * the verdict: findings at or over the policy's scan.fail_on fail the stage.
 */
#ifndef PF_ENVELOPE_H
#define PF_ENVELOPE_H

#include <jansson.h>
#include <stdint.h>

#include "pf_err.h"
#include "pf_hash.h"

#define PF_VERSION "0.1.0"

enum pf_sev {
	PF_SEV_INFO = 0,
	PF_SEV_LOW,
	PF_SEV_MEDIUM,
	PF_SEV_HIGH,
	PF_SEV_CRITICAL
};

const char *pf_sev_name(enum pf_sev s);
/* Returns 0 and sets *s, or -1 for an unknown name. */
int pf_sev_parse(const char *name, enum pf_sev *s);

/*
 * A new artifact for stage. model (borrowed, may be NULL) is the "model"
 * object to copy ({id, revision, commit}); from an input artifact pass
 * json_object_get(input, "model"). generated_at honours SOURCE_DATE_EPOCH.
 * Returns a new reference or NULL (out of memory).
 */
json_t *pf_envelope_new(const char *stage, const json_t *model);

/* "YYYY-MM-DDTHH:MM:SSZ" for now (or SOURCE_DATE_EPOCH) into buf[21]. */
void pf_envelope_now(char buf[21]);

/*
 * A new finding. member may be NULL, offset < 0 means none; message is one
 * sentence in diagnostic style. Add evidence with json_object_set_new(f,
 * "evidence", ...). Returns a new reference or NULL.
 */
json_t *pf_finding_new(const char *rule, enum pf_sev sev, const char *file,
    const char *member, int64_t offset, const char *message);
/* The same with a printf-style message. */
json_t *pf_finding_newf(const char *rule, enum pf_sev sev, const char *file,
    const char *member, int64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * Appends a finding to doc's "findings" (consumes f even on failure).
 * Past PF_MAX_FINDINGS the finding is dropped and "findings_truncated"
 * is set true. Returns 0, or -1 on out of memory.
 */
int pf_envelope_add(json_t *doc, json_t *f);

/* Marks the stage failed for a reason of its own (a mismatch, a denial). */
void pf_envelope_fail(json_t *doc);

/*
 * Sorts findings (file, member, offset, rule), gives each an "id" (16 hex
 * of SHA-256 over rule, file, member, offset), sets status "failed" when a
 * finding is at or over fail_on (or pf_envelope_fail was called), else
 * "passed". Returns the exit code: PF_EXIT_OK or PF_EXIT_VERDICT.
 */
int pf_envelope_finish(json_t *doc, enum pf_sev fail_on);

/*
 * Checks that doc is an artifact of stage `stage` (pathfinder_version,
 * stage, model present). what names the source for messages.
 * Returns 0 or -1 with e set (code 2): "stage is 'plan', expected 'fetch'".
 */
int pf_envelope_check(const json_t *doc, const char *stage, const char *what,
    struct pf_err *e);
/*
 * Reads the artifact at path ("-" = stdin; at most PF_MAX_ARTIFACT bytes)
 * and checks it as pf_envelope_check does; sha gets the SHA-256 of exactly
 * the bytes parsed. A new reference, or NULL with e set (2, or 3 on I/O).
 */
json_t *pf_envelope_read(const char *path, const char *stage,
    char sha[PF_SHA256_HEX], struct pf_err *e);

#endif
