/*
 * pf_tool: what every tool's main() shares: --help/--version, usage errors,
 * reading the input artifact and the policy, writing the output artifact.
 * The *_or_die functions exit with the documented code on failure; only
 * tools call them.
 */
#ifndef PF_TOOL_H
#define PF_TOOL_H

#include <jansson.h>
#include <stdio.h>
#include <stdnoreturn.h>

#include "pf_inputs.h"

/*
 * usage_text is the synopsis and one line per option, as --help prints it.
 * With code 0 it goes to stdout. Otherwise the synopsis (the lines up to
 * the first blank line) and "try 'prog --help'" go to stderr.
 */
noreturn void pf_tool_usage(int code, const char *usage_text);
/* A usage error: "prog: <message>", the synopsis, the try line; exit 2. */
noreturn void pf_tool_usage_error(const char *usage_text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "prog 0.1.0" on stdout, exit 0. */
noreturn void pf_version(void);

/* Reads an artifact of stage `stage` (NULL: any stage) from path ("-" = stdin). Exit 2. */
json_t *pf_artifact_read_or_die(const char *path, const char *stage);
/*
 * The files a scanner reads, sorted: the PATH arguments when there are
 * any, else the files of the fetch.json at in ("-" = stdin). Returns the
 * fetch artifact (NULL for paths) for the envelope's model; the caller
 * frees it. Exit 2 for a bad artifact or path, 3 for an unreadable folder.
 * The policy's scan.rehash_max_bytes goes into l for pf_input_open.
 */
json_t *pf_inputs_collect_or_die(struct pf_inputs *l, const char *in,
    int argc, char *argv[], pf_input_filter want, const json_t *policy);

/*
 * The same, also giving the SHA-256 of the artifact's bytes (what an
 * auditor's tools see), for stages that record or compare input digests.
 */
json_t *pf_artifact_read_digest_or_die(const char *path, const char *stage,
    char sha256_hex[65]);

/* Writes doc atomically to path ("-" = stdout). Exit 3. */
void pf_artifact_write_or_die(const char *path, const json_t *doc);

/*
 * Publishes a stage's artifact: records its verdict in the audit log
 * ($PF_HOME/audit.log: stage, model, status, exit code, findings by
 * severity, the SHA-256 of the artifact's bytes), then writes it as
 * pf_artifact_write_or_die does. The bytes are serialised once for both.
 * A log that cannot take the event is exit 3: a verdict must be auditable.
 */
void pf_artifact_publish_or_die(const char *path, const json_t *doc, int rc);

/*
 * Loads the policy: path, else $PF_POLICY, else the installed
 * default.json (PF_POLICY_DIR). Exit 2 when missing or invalid.
 */
json_t *pf_policy_load_or_die(const char *path);

/* Out of memory in a tool: message and exit 3. */
noreturn void pf_die_nomem(void);
/* Returns p, or dies with out of memory when p is NULL. */
void *pf_check_alloc(void *p);

#endif
