/*
 * pf_deps_read: reads a model's requirements files breadth first, each
 * once at the depth it is first met, following -r/-c includes inside the
 * model up to caps.req_depth, and collects their requirements. Problems
 * with the files (too large, too many, includes leaving the model or
 * missing, malformed lines, pip options) become findings in doc.
 */
#ifndef PF_DEPS_READ_H
#define PF_DEPS_READ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "pf_deps.h"
#include "pf_deps_files.h"
#include "pf_err.h"

struct pf_deps_work;

struct pf_deps_read {
	/* Set by the caller (borrowed). */
	const json_t *policy;
	const struct pf_deps_files *files; /* sorted */
	json_t *doc;			   /* the artifact: findings */
	json_t *files_out; /* gets {path, kind, include_depth} per file */
	json_t *indexes;   /* gets each pip option met */
	/* The result: owned, freed by pf_deps_read_free. */
	struct pf_dep *deps;
	size_t ndeps;
	/* Private. */
	uint64_t cap_file, cap_depth, cap_files, cap_reqs;
	char **groups, **seen;
	size_t ngroups, nseen;
	struct pf_deps_work *queue;
	size_t nqueue;
	int too_many, failed;
	const char *cur, *buf; /* the file being parsed */
	size_t len, depth;
	size_t at_line, at_off; /* line_offset's last answer */
	int cur_root;
	struct pf_err *e;
};

/*
 * Reads every requirements file of rd->files (caps from the policy).
 * Returns 0, or -1 with e set (2: a file vanished, 3: I/O or memory).
 */
int pf_deps_read(struct pf_deps_read *rd, struct pf_err *e);
void pf_deps_read_free(struct pf_deps_read *rd);

#endif
