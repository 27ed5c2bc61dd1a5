/*
 * pf_run: the artifacts of a run folder, found by name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pf_diag.h"
#include "pf_path.h"
#include "pf_run.h"
#include "pf_banned.h"

/* dir/name into *slot when it exists (or always, when required). */
static int
find(char **slot, const char *dir, const char *name, int required, struct pf_err *e)
{
	char *p = pf_path_join(dir, name);

	if (p == NULL)
		return pf_err_nomem(e);
	if (access(p, F_OK) == 0) {
		*slot = p;
		return 0;
	}
	free(p);
	if (required)
		return pf_err_set(e, PF_EXIT_USAGE,
		    "%s: no %s: not a run folder", pf_quote(dir), name);
	return 0;
}

int
pf_run_open(struct pf_run *r, const char *dir, struct pf_err *e)
{
	char *pat;
	int rc;

	memset(r, 0, sizeof(*r));
	if (find(&r->plan, dir, "plan.json", 1, e) == -1 ||
	    find(&r->fetch, dir, "fetch.json", 1, e) == -1 ||
	    find(&r->approve, dir, "approve.json", 0, e) == -1 ||
	    find(&r->gate, dir, "gate.json", 0, e) == -1 ||
	    find(&r->sign, dir, "sign.json", 0, e) == -1 ||
	    find(&r->verify, dir, "verify.json", 0, e) == -1 ||
	    find(&r->result, dir, "result.json", 0, e) == -1)
		goto fail;
	if ((pat = pf_path_join(dir, "scan-*.json")) == NULL) {
		pf_err_nomem(e);
		goto fail;
	}
	rc = glob(pat, 0, NULL, &r->g);
	free(pat);
	if (rc != 0 && rc != GLOB_NOMATCH) {
		pf_err_set(e, PF_EXIT_FAILURE, "%s: cannot list the scans",
		    pf_quote(dir));
		goto fail;
	}
	r->scans = rc == 0 ? r->g.gl_pathv : NULL;
	r->nscans = rc == 0 ? r->g.gl_pathc : 0;
	if (rc == GLOB_NOMATCH)
		globfree(&r->g);
	return 0;
fail:
	pf_run_free(r);
	return -1;
}

void
pf_run_free(struct pf_run *r)
{
	free(r->plan);
	free(r->fetch);
	free(r->approve);
	free(r->gate);
	free(r->sign);
	free(r->verify);
	free(r->result);
	if (r->scans != NULL)
		globfree(&r->g);
	memset(r, 0, sizeof(*r));
}
