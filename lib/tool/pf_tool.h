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

#include "pf_buf.h"
#include "pf_envelope.h"
#include "pf_inputs.h"

/*
 * The options every tool shares, for its getopt_long tables: -q/--quiet
 * (no summary line, no progress), -v/--verbose (what the tool is doing,
 * and the summary on a pass too), -h/--help, -V/--version.
 */
#define PF_TOOL_SHORTOPTS "qvhV"
#define PF_TOOL_LONGOPTS \
	{ "quiet", no_argument, NULL, 'q' }, \
	    { "verbose", no_argument, NULL, 'v' }, \
	    { "help", no_argument, NULL, 'h' }, \
	{ \
		"version", no_argument, NULL, 'V' \
	}

/*
 * Names the tool for its messages and keeps argv for the audit log. argv[0]
 * becomes name, so that getopt's own messages say "pf-fetch: ..." and not
 * the path the tool was started by.
 */
void pf_tool_init(const char *name, int argc, char *argv[]);
/*
 * Handles one of the shared options (q, v, h, V); anything else is a
 * usage error. Call it from the default: of the tool's option switch.
 */
void pf_tool_option(int ch, const char *usage_text);

/*
 * usage_text is the synopsis and one line per option, as --help prints it.
 * With code 0 it goes to stdout. Otherwise the synopsis (the lines up to
 * the first blank line) and "try 'prog --help'" go to stderr.
 */
noreturn void pf_tool_usage(int code, const char *usage_text);
/* A usage error: "prog: <message>", the synopsis, the try line; exit 2. */
noreturn void pf_tool_usage_error(const char *usage_text, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* -j N: hashing threads from 1 to PF_MAX_HASH_THREADS, else usage, exit 2. */
unsigned pf_tool_jobs(const char *arg, const char *usage_text);
/* "prog 0.1.0" on stdout, exit 0. */
noreturn void pf_version(void);

/*
 * Reads an artifact of stage `stage` (NULL: any stage) from path ("-" =
 * stdin; a terminal there is said, not waited on in silence). Its path
 * and SHA-256 go into the output's "made_from". Exit 2.
 */
json_t *pf_artifact_read_or_die(const char *path, const char *stage);
/*
 * Refuses PATH arguments that are Pathfinder artifacts (fetch.json given
 * where -i fetch.json was meant): exit 2, "did you mean -i?".
 */
void pf_tool_refuse_artifact_args(int argc, char *const argv[]);
/*
 * A scanner's rule table: the file --rules names (arg, used as given),
 * else the one the policy's key names, else dflt, searched as
 * pf_policy_file_read does; at most max bytes (the cap capname). It goes
 * into made_from.rules and its bytes come back in b (pf_buf_free them),
 * with its path (*path, malloc'd: "<built-in>/NAME" for the compiled-in
 * copy) and SHA-256. Exit 2 when missing or too large.
 */
void pf_rules_bytes_or_die(const json_t *policy, const char *arg,
    const char *key, const char *dflt, size_t max, const char *capname,
    struct pf_buf *b, char **path, char sha[PF_SHA256_HEX]);
/* Sets doc's "rules": {table (path's file name), sha256, count}. */
void pf_rules_describe_or_die(json_t *doc, const char *path, const char *sha,
    size_t count);
/* Records the bytes of a table read otherwise (path absolute or as given). */
void pf_tool_record_table(const char *path, const void *bytes, size_t len);
/* Records an option that changes the result (consumes value). */
void pf_tool_record_option(const char *name, json_t *value);
/*
 * Statistics of this run that would make the artifact differ from a rerun
 * (timings, attempts, reuse): they go into the audit event, not the
 * artifact. Consumes info.
 */
void pf_tool_record_run(json_t *info);
/*
 * The files a scanner reads, sorted: the PATH arguments when there are
 * any, else the files of the fetch.json at in ("-" = stdin). Returns the
 * fetch artifact (NULL for paths) for the envelope's model; the caller
 * frees it. Exit 2 for a bad artifact or path, 3 for an unreadable folder.
 * The policy's scan.rehash_max_bytes goes into l for pf_input_open.
 */
json_t *pf_inputs_collect_or_die(struct pf_inputs *l, const char *in, int argc,
    char *argv[], pf_input_filter want, const json_t *policy);

/*
 * With -v, how long each file took, so a slow one shows: call it as each
 * file starts; NULL ends the last one (pf_inputs_report_or_die does).
 */
void pf_tool_file(const char *rel);

/* pf_inputs_report (coverage, files' digests, findings); exit 3 on ENOMEM. */
void pf_inputs_report_or_die(json_t *doc, const struct pf_inputs *l,
    const json_t *fetch);

/*
 * The same, also giving the SHA-256 of the artifact's bytes (what an
 * auditor's tools see), for stages that record or compare input digests.
 */
json_t *pf_artifact_read_digest_or_die(const char *path, const char *stage,
    char sha256_hex[65]);

/* Writes doc atomically to path ("-" = stdout). Exit 3. */
void pf_artifact_write_or_die(const char *path, const json_t *doc);

/*
 * Publishes a stage's artifact: adds "made_from" (the tool, the policy's
 * path and SHA-256, the input artifact's and every artifact's read, the
 * rule tables', the options
 * that change the result), records the verdict in the audit log
 * ($PF_HOME/audit.log: stage, model, status, exit code, findings by
 * severity, the artifact's absolute path and SHA-256, user, host, argv,
 * the run's statistics), writes it as pf_artifact_write_or_die does, and
 * says the verdict on stderr in one line (pf_tool_summary).
 * A model's artifact whose event the log cannot take is exit 3: a verdict
 * must be auditable. An artifact of plain paths (model null) uses the log
 * when a store is configured and says so when there is none.
 */
void pf_artifact_publish_or_die(const char *path, json_t *doc, int rc);

/*
 * The one-line verdict on stderr, unless -q (and on a pass only with -v):
 *   pf-preflight: denied: 2 findings (1 critical, 1 high): RULE in 'FILE', ...; plan.json
 * Its first word after the tool's name is stable: the stage's decision when
 * it has one (proceed, approval-required, denied), else passed or failed.
 */
void pf_tool_summary(const json_t *doc, const char *path, int rc);
/* The word pf_tool_summary starts with: the decision, else the status. */
const char *pf_tool_verdict_word(const json_t *doc);

/*
 * Loads the policy: path, else $PF_POLICY, else the installed
 * default.json (PF_POLICY_DIR). Exit 2 when missing or invalid.
 */
json_t *pf_policy_load_or_die(const char *path);

/*
 * Adds a finding with a printf-style message to doc's findings (see
 * pf_finding_newf and pf_envelope_add). Exit 3 when out of memory.
 */
void pf_finding_add_or_die(json_t *doc, enum pf_sev sev, const char *rule,
    const char *file, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Out of memory in a tool: message and exit 3. */
noreturn void pf_die_nomem(void);
/* Returns p, or dies with out of memory when p is NULL. */
void *pf_check_alloc(void *p);

#endif
