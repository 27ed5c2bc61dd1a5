/*
 * pf_plan: the plan's file list. Each file the Hub lists, with its size and
 * digests, what it is by name and by first bytes, and what the plan does
 * with it (download or skip, and why) under the policy's formats.* rules.
 * Problems come back as data (rule, severity, message); the tool files them.
 */
#ifndef PF_PLAN_H
#define PF_PLAN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_buf.h"
#include "pf_err.h"
#include "pf_envelope.h"
#include "pf_formats.h"

struct pf_plan_file {
	const char *path; /* borrowed from the Hub answer */
	int64_t size;
	const char *blob_id, *lfs_sha256;
	enum pf_format by_name, by_content;
	const char *action, *reason; /* "download" or "skip" and why */
	struct pf_buf probe;	     /* first bytes, LFS files only */
	const char *rule; /* a format problem: rule, severity, message */
	enum pf_sev sev;
	char msg[80];
};

/*
 * Fills f from a model-info sibling, its size and digests from tree (path
 * -> tree entry) when given. Returns 0, or -1 when the file cannot be
 * planned, with *rule and e->msg saying why: preflight.file.unsafe-name
 * (f->path NULL) or preflight.file.no-digest.
 */
int pf_plan_file_init(struct pf_plan_file *f, const json_t *sib,
    const json_t *tree, const char **rule, struct pf_err *e);

struct pf_plan_formats {
	int mismatch;	/* some name lies about its bytes */
	size_t pickles; /* pickle weights with no safe ones */
	int approve;	/* formats.pickle_only is "approval" */
};

/*
 * Decides each file's action from its formats and the policy
 * (formats.allow_pickle, formats.blocked, formats.pickle_only): a name that
 * lies is skipped; pickle weights are skipped where safetensors or GGUF
 * weights exist; blocked formats are skipped. Sets f->rule on the files
 * with a problem (content-mismatch, blocked, pickle-only) and fills v.
 */
void pf_plan_formats(const json_t *policy, struct pf_plan_file *files, size_t n,
    struct pf_plan_formats *v);

/* plan.json's entry for f; new reference, NULL when out of memory. */
json_t *pf_plan_file_json(const struct pf_plan_file *f);

/*
 * The first weight_map entry of a safetensors index that names no plain
 * file of files[0..n) (a path, or not a string). Returns 0 when every
 * entry is fine, else -1 with *tensor and *shard (NULL: not a string) set.
 */
int pf_plan_index_check(const json_t *index, const struct pf_plan_file *files,
    size_t n, const char **tensor, const char **shard);
/* The file named path, or NULL. */
struct pf_plan_file *pf_plan_find(struct pf_plan_file *files, size_t n,
    const char *path);

#endif
