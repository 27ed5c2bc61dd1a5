/*
 * pf_run: a run folder, $PF_HOME/runs/<org>/<name>/<commit>/, as the
 * stages that read many artifacts at once (pf-gate, pf-mlbom, pf-report)
 * take it with --run DIR: the path of each artifact that is there.
 */
#ifndef PF_RUN_H
#define PF_RUN_H

#include <glob.h>
#include <stddef.h>

#include "pf_err.h"

struct pf_run {
	/* Paths (malloc'd); plan and fetch always, the others NULL when absent. */
	char *plan, *fetch, *approve, *gate, *sign, *verify, *result;
	char **scans; /* every scan-*.json, sorted */
	size_t nscans;
	glob_t g; /* owns scans */
};

/*
 * Lists the artifacts of the run folder dir. A folder without plan.json
 * and fetch.json is not a run (code 2); code 3 when it cannot be listed.
 */
int pf_run_open(struct pf_run *r, const char *dir, struct pf_err *e);
void pf_run_free(struct pf_run *r);

#endif
